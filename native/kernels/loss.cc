// Fused loss kernels: cross-entropy and BCE with logits (forward and backward).
//
// Cross-entropy works on contiguous logits viewed as [N, C, S] (class dim in the middle, S the product
// of the trailing dims; unbatched [C] is N = S = 1), one "row" per (n, s): M = N·S rows of C classes
// at stride S. Forward computes each row's logsumexp (max, then Σ exp(x - max) accumulated in double),
// the row's loss and, for the reductions, the sums of the losses and of the target weights; backward
// writes g·(softmax·A - B) in one pass per row. Rows are cut into blocks that depend only on the
// shape, and the per-block partial sums are added in block order, so results do not depend on the
// thread count.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../parallel.h"
#include "../strided.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

constexpr int64_t kMaxExtent = int64_t(1) << 48;

struct CEParams {
  ptrdiff_t N = 0, C = 0, S = 0;
  bool probs = false;      // class-probability targets instead of int32 labels
  int64_t ignore = -100;   // ignoreIndex (labels only)
  double eps = 0;          // label smoothing
  ptrdiff_t rows() const { return N * S; }
};

// Rows per block: about kElementGrain logits per block.
ptrdiff_t row_grain(ptrdiff_t C) { return std::max<ptrdiff_t>(1, kElementGrain / std::max<ptrdiff_t>(1, C)); }

// meta = [N, C, S, probs, ignoreIndex, labelSmoothing, ndim, input shape...] (the shape only names
// the input in error messages).
CEParams read_ce_meta(Meta& meta, std::string* shape_text) {
  CEParams p;
  p.N = ptrdiff_t(meta.next(0, kMaxExtent, "N"));
  p.C = ptrdiff_t(meta.next(1, kMaxExtent, "number of classes"));
  p.S = ptrdiff_t(meta.next(0, kMaxExtent, "S"));
  p.probs = meta.next(0, 1, "probability-target flag") == 1;
  p.ignore = meta.next(INT32_MIN, INT32_MAX, "ignoreIndex");
  p.eps = meta.next_real();
  if (!(p.eps >= 0 && p.eps <= 1)) throw_range(meta.env(), "crossEntropy: labelSmoothing must be in [0, 1]");
  const int nd = int(meta.next(1, kMaxDims, "ndim"));
  ptrdiff_t shape[kMaxDims];
  for (int d = 0; d < nd; ++d) shape[d] = ptrdiff_t(meta.next(0, kMaxExtent, "size"));
  meta.done();
  if (double(p.N) * double(p.C) * double(p.S) > double(kMaxExtent)) throw_range(meta.env(), "crossEntropy: input too large");
  *shape_text = shape_str(shape, nd);
  return p;
}

struct CEArgs {
  CEParams p;
  Array x, target, weight;
};

// Checks x [N·C·S], target (int32 [N·S] or x's dtype [N·C·S]), weight ([C] or empty) and every label.
CEArgs read_ce_inputs(const Napi::CallbackInfo& info, const char* op, size_t ix, size_t it, size_t iw, size_t imeta) {
  const Napi::Env env = info.Env();
  CEArgs a;
  a.x = get_array(info, ix, op, "x");
  a.target = get_array(info, it, op, "target");
  a.weight = get_array(info, iw, op, "weight");
  float_dtype(env, op, a.x);
  Meta meta(info, imeta, op);
  std::string shape_text;
  a.p = read_ce_meta(meta, &shape_text);
  const CEParams& p = a.p;
  check_length(env, op, "x", a.x, size_t(p.N * p.C * p.S));
  if (p.probs) {
    same_dtype(env, op, a.x, a.target);
    check_length(env, op, "target", a.target, size_t(p.N * p.C * p.S));
  } else {
    if (a.target.dtype != DType::I32) throw_type(env, std::string(op) + ": class targets must be an Int32Array");
    check_length(env, op, "target", a.target, size_t(p.rows()));
    const int32_t* t = a.target.as<int32_t>();
    for (ptrdiff_t r = 0; r < p.rows(); ++r) {
      const int64_t v = t[r];
      if (v == p.ignore) continue;
      if (v < 0 || v >= p.C) {
        throw_range(env, "crossEntropy: target " + std::to_string(v) + " is out of range for " + std::to_string(p.C) +
                             " classes (input shape " + shape_text + ", ignoreIndex " + std::to_string(p.ignore) + ")");
      }
    }
  }
  if (a.weight.length != 0) {
    same_dtype(env, op, a.x, a.weight);
    check_length(env, op, "weight", a.weight, size_t(p.C));
  }
  return a;
}

// The largest logit of a row (stride S); a NaN logit makes the row's sum of exponentials NaN anyway.
template <typename T>
inline T row_max(const T* x, ptrdiff_t C, ptrdiff_t S) {
  // Four independent chains: a single running max is one long dependency chain.
  const T lo = -std::numeric_limits<T>::infinity();
  T m0 = lo, m1 = lo, m2 = lo, m3 = lo;
  ptrdiff_t c = 0;
  for (; c + 4 <= C; c += 4) {
    const T a = x[c * S], b = x[(c + 1) * S], d = x[(c + 2) * S], e = x[(c + 3) * S];
    m0 = a > m0 ? a : m0;
    m1 = b > m1 ? b : m1;
    m2 = d > m2 ? d : m2;
    m3 = e > m3 ? e : m3;
  }
  for (; c < C; ++c) m0 = x[c * S] > m0 ? x[c * S] : m0;
  m0 = m1 > m0 ? m1 : m0;
  m2 = m3 > m2 ? m3 : m2;
  return m2 > m0 ? m2 : m0;
}

// d[c] = (x[c] - m) - shift in T: the max m is a logit, so x - m is the exactly rounded difference, and
// shift (0 or the row's log Σ exp) is small, which keeps float32 accurate for logits of any size.
template <typename T>
inline void load_shifted(T* d, const T* x, ptrdiff_t C, ptrdiff_t S, T m, T shift) {
  if (S == 1) {
    for (ptrdiff_t c = 0; c < C; ++c) d[c] = (x[c] - m) - shift;
  } else {
    for (ptrdiff_t c = 0; c < C; ++c) d[c] = (x[c * S] - m) - shift;
  }
}

// rowLoss (length M or 0), lse (Float64Array, M), totals (Float64Array, 2: Σ loss, Σ target weight).
template <typename T>
void ce_forward(const CEArgs& a, const Array& row_loss, double* lse, double* totals) {
  const CEParams& p = a.p;
  const ptrdiff_t M = p.rows(), C = p.C, S = p.S;
  const T* x = a.x.as<T>();
  const T* w = a.weight.length ? a.weight.as<T>() : nullptr;
  const int32_t* labels = p.probs ? nullptr : a.target.as<int32_t>();
  const T* probs = p.probs ? a.target.as<T>() : nullptr;
  T* out = row_loss.length ? row_loss.as<T>() : nullptr;
  const ptrdiff_t grain = row_grain(C);
  const ptrdiff_t nblocks = (M + grain - 1) / grain;
  std::vector<double> part(size_t(std::max<ptrdiff_t>(nblocks, 1)) * 2, 0.0);
  const double keep = 1 - p.eps, spread = p.eps / double(C);
  auto exp_fn = Sel<T>::unary();
  auto sum_fn = Sel<T>::sum();
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    std::vector<T> d(static_cast<size_t>(C)), e(static_cast<size_t>(C));
    for (ptrdiff_t b = b0; b < b1; ++b) {
      double loss_sum = 0, weight_sum = 0;
      const ptrdiff_t r1 = std::min(M, (b + 1) * grain);
      for (ptrdiff_t r = b * grain; r < r1; ++r) {
        const ptrdiff_t base = (r / S) * C * S + r % S;
        int32_t t = 0;
        if (labels) {
          t = labels[r];
          if (t == p.ignore) {
            if (out) out[r] = T(0);
            lse[r] = 0;
            continue;
          }
        }
        const T m = row_max(x + base, C, S);
        load_shifted(d.data(), x + base, C, S, m, T(0));
        exp_fn(U_EXP, e.data(), 1, d.data(), 1, C, UnaryParams{});
        const double logs = std::log(sum_fn(e.data(), 1, C));
        lse[r] = double(m) + logs;
        double loss, rw;
        if (labels) {
          rw = w ? double(w[t]) : 1.0;
          loss = keep * rw * (logs - double(d[t]));
          if (p.eps > 0) {
            double sm = 0;
            for (ptrdiff_t c = 0; c < C; ++c) sm += (w ? double(w[c]) : 1.0) * (logs - double(d[c]));
            loss += spread * sm;
          }
        } else {
          rw = 1;
          loss = 0;
          const T* y = probs + base;
          for (ptrdiff_t c = 0; c < C; ++c) {
            const double yc = keep * double(y[c * S]) + spread;
            loss += (w ? double(w[c]) : 1.0) * yc * (logs - double(d[c]));
          }
        }
        if (out) out[r] = static_cast<T>(loss);
        loss_sum += loss;
        weight_sum += rw;
      }
      part[size_t(b) * 2] = loss_sum;
      part[size_t(b) * 2 + 1] = weight_sum;
    }
  });
  double ls = 0, ws = 0;
  for (ptrdiff_t b = 0; b < nblocks; ++b) {
    ls += part[size_t(b) * 2];
    ws += part[size_t(b) * 2 + 1];
  }
  totals[0] = ls;
  totals[1] = ws;
}

// crossEntropyForward(x, target, weight, rowLoss, lse, totals, meta)
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  const char* op = "crossEntropyForward";
  require_args(info, 7, op);
  const Napi::Env env = info.Env();
  CEArgs a = read_ce_inputs(info, op, 0, 1, 2, 6);
  Array row_loss = get_array(info, 3, op, "rowLoss");
  Array lse = get_array(info, 4, op, "lse");
  Array totals = get_array(info, 5, op, "totals");
  if (row_loss.length != 0) {
    same_dtype(env, op, a.x, row_loss);
    check_length(env, op, "rowLoss", row_loss, size_t(a.p.rows()));
  }
  if (lse.dtype != DType::F64 || totals.dtype != DType::F64) throw_type(env, std::string(op) + ": lse and totals must be Float64Arrays");
  check_length(env, op, "lse", lse, size_t(a.p.rows()));
  check_length(env, op, "totals", totals, 2);
  if (a.x.dtype == DType::F32) ce_forward<float>(a, row_loss, lse.as<double>(), totals.as<double>());
  else ce_forward<double>(a, row_loss, lse.as<double>(), totals.as<double>());
  return env.Undefined();
}

// gx = g_r·(softmax·A - B) per row; g_r = gradRow[r]·scale, or scale when gradRow is empty.
template <typename T>
void ce_backward(const CEArgs& a, T* gx, const double* lse, const Array& grad_row, double scale) {
  const CEParams& p = a.p;
  const ptrdiff_t M = p.rows(), C = p.C, S = p.S;
  const T* x = a.x.as<T>();
  const T* w = a.weight.length ? a.weight.as<T>() : nullptr;
  const int32_t* labels = p.probs ? nullptr : a.target.as<int32_t>();
  const T* probs = p.probs ? a.target.as<T>() : nullptr;
  const T* gr = grad_row.length ? grad_row.as<T>() : nullptr;
  const double keep = 1 - p.eps, spread = p.eps / double(C);
  double wsum = double(C);
  if (w) {
    wsum = 0;
    for (ptrdiff_t c = 0; c < C; ++c) wsum += double(w[c]);
  }
  const ptrdiff_t grain = row_grain(C);
  const ptrdiff_t nblocks = (M + grain - 1) / grain;
  auto exp_fn = Sel<T>::unary();
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    std::vector<T> d(static_cast<size_t>(C)), e(static_cast<size_t>(C));
    const ptrdiff_t r1 = std::min(M, b1 * grain);
    for (ptrdiff_t r = b0 * grain; r < r1; ++r) {
      const ptrdiff_t base = (r / S) * C * S + r % S;
      T* g = gx + base;
      if (labels && labels[r] == p.ignore) {
        for (ptrdiff_t c = 0; c < C; ++c) g[c * S] = T(0);
        continue;
      }
      const double gs = gr ? double(gr[r]) * scale : scale;
      const T m = row_max(x + base, C, S);
      load_shifted(d.data(), x + base, C, S, m, static_cast<T>(lse[r] - double(m)));
      exp_fn(U_EXP, e.data(), 1, d.data(), 1, C, UnaryParams{});
      if (labels) {
        // g·(p_c·A - ε/C·w_c) for every class in T, then the target entry (which also loses g·(1-ε)·w_t) in double.
        const int32_t t = labels[r];
        const double wt = w ? double(w[t]) : 1.0;
        const double A = keep * wt + spread * wsum;
        const T ga = static_cast<T>(gs * A), gb = static_cast<T>(gs * spread);
        if (S == 1 && w) {
          for (ptrdiff_t c = 0; c < C; ++c) g[c] = ga * e[c] - gb * w[c];
        } else if (S == 1) {
          for (ptrdiff_t c = 0; c < C; ++c) g[c] = ga * e[c] - gb;
        } else {
          for (ptrdiff_t c = 0; c < C; ++c) g[c * S] = ga * e[c] - gb * (w ? w[c] : T(1));
        }
        g[t * S] = static_cast<T>(gs * (double(e[t]) * A - spread * (w ? double(w[t]) : 1.0) - keep * wt));
      } else {
        const T* y = probs + base;
        double A = 0;
        for (ptrdiff_t c = 0; c < C; ++c) A += (w ? double(w[c]) : 1.0) * (keep * double(y[c * S]) + spread);
        for (ptrdiff_t c = 0; c < C; ++c) {
          const double B = (w ? double(w[c]) : 1.0) * (keep * double(y[c * S]) + spread);
          g[c * S] = static_cast<T>(gs * (double(e[c]) * A - B));
        }
      }
    }
  });
}

// crossEntropyBackward(gx, x, target, weight, lse, gradRow, scale, meta)
Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  const char* op = "crossEntropyBackward";
  require_args(info, 8, op);
  const Napi::Env env = info.Env();
  CEArgs a = read_ce_inputs(info, op, 1, 2, 3, 7);
  Array gx = get_array(info, 0, op, "gx");
  Array lse = get_array(info, 4, op, "lse");
  Array grad_row = get_array(info, 5, op, "gradRow");
  const double scale = get_number(info, 6, op, "scale");
  same_dtype(env, op, a.x, gx);
  check_length(env, op, "gx", gx, a.x.length);
  if (lse.dtype != DType::F64) throw_type(env, std::string(op) + ": lse must be a Float64Array");
  check_length(env, op, "lse", lse, size_t(a.p.rows()));
  if (grad_row.length != 0) {
    same_dtype(env, op, a.x, grad_row);
    check_length(env, op, "gradRow", grad_row, size_t(a.p.rows()));
  }
  if (a.x.dtype == DType::F32) ce_backward<float>(a, gx.as<float>(), lse.as<double>(), grad_row, scale);
  else ce_backward<double>(a, gx.as<double>(), lse.as<double>(), grad_row, scale);
  return env.Undefined();
}

// ---- BCE with logits --------------------------------------------------------------------------

// x and y contiguous over `shape`; weight and posWeight broadcast over it with their own strides.
struct BceArgs {
  Array x, y, w, pw;
  int ndim = 0;
  ptrdiff_t shape[kMaxDims];
  ptrdiff_t woff = 0, pwoff = 0;
  ptrdiff_t wst[kMaxDims], pwst[kMaxDims];
  ptrdiff_t numel = 1;
};

// meta = [ndim, shape..., weight offset, weight strides..., posWeight offset, posWeight strides...]
BceArgs read_bce_inputs(const Napi::CallbackInfo& info, const char* op, size_t ix, size_t imeta) {
  const Napi::Env env = info.Env();
  BceArgs a;
  a.x = get_array(info, ix, op, "x");
  a.y = get_array(info, ix + 1, op, "target");
  a.w = get_array(info, ix + 2, op, "weight");
  a.pw = get_array(info, ix + 3, op, "posWeight");
  float_dtype(env, op, a.x);
  same_dtype(env, op, a.x, a.y);
  Meta meta(info, imeta, op);
  a.ndim = int(meta.next(0, kMaxDims, "ndim"));
  for (int d = 0; d < a.ndim; ++d) {
    a.shape[d] = ptrdiff_t(meta.next(0, kMaxExtent, "size"));
    a.numel *= a.shape[d];
    if (a.numel > kMaxExtent) throw_range(env, std::string(op) + ": input too large");
  }
  a.woff = ptrdiff_t(meta.next(0, kMaxExtent, "offset"));
  for (int d = 0; d < a.ndim; ++d) a.wst[d] = ptrdiff_t(meta.next(0, kMaxExtent, "stride"));
  a.pwoff = ptrdiff_t(meta.next(0, kMaxExtent, "offset"));
  for (int d = 0; d < a.ndim; ++d) a.pwst[d] = ptrdiff_t(meta.next(0, kMaxExtent, "stride"));
  meta.done();
  check_length(env, op, "x", a.x, size_t(a.numel));
  check_length(env, op, "target", a.y, size_t(a.numel));
  if (a.w.length != 0) {
    same_dtype(env, op, a.x, a.w);
    check_extent(env, op, "weight", a.w, a.woff, a.shape, a.wst, a.ndim);
  }
  if (a.pw.length != 0) {
    same_dtype(env, op, a.x, a.pw);
    check_extent(env, op, "posWeight", a.pw, a.pwoff, a.shape, a.pwst, a.ndim);
  }
  return a;
}

// Calls f(i, weight index, posWeight index) for i in [s, e), walking the broadcast offsets.
template <typename F>
void bce_walk(const BceArgs& a, ptrdiff_t s, ptrdiff_t e, F&& f) {
  ptrdiff_t idx[kMaxDims];
  ptrdiff_t rem = s, wo = a.woff, po = a.pwoff;
  for (int d = a.ndim - 1; d >= 0; --d) {
    idx[d] = rem % a.shape[d];
    rem /= a.shape[d];
    wo += idx[d] * a.wst[d];
    po += idx[d] * a.pwst[d];
  }
  for (ptrdiff_t i = s; i < e; ++i) {
    f(i, wo, po);
    for (int d = a.ndim - 1; d >= 0; --d) {
      wo += a.wst[d];
      po += a.pwst[d];
      if (++idx[d] < a.shape[d]) break;
      wo -= idx[d] * a.wst[d];
      po -= idx[d] * a.pwst[d];
      idx[d] = 0;
    }
  }
}

// Elements are processed in chunks of kBceChunk: e^-|x| (and log1p of it) through the vectorized unary
// kernels, the broadcast weights gathered into chunk buffers, then plain loops over the chunk.
constexpr ptrdiff_t kBceChunk = 512;

// z = e^-|x| over n entries.
template <typename T>
inline void exp_neg_abs(T* z, T* tmp, const T* x, ptrdiff_t n) {
  for (ptrdiff_t i = 0; i < n; ++i) tmp[i] = -std::fabs(x[i]);
  Sel<T>::unary()(U_EXP, z, 1, tmp, 1, n, UnaryParams{});
}

// lw = 1 + (posWeight - 1)·y and the weight of entries [c0, c0 + n), or 1 where absent.
template <typename T>
inline void gather_weights(const BceArgs& a, ptrdiff_t c0, ptrdiff_t n, const T* y, T* lw, T* wv) {
  const T* w = a.w.length ? a.w.as<T>() : nullptr;
  const T* pw = a.pw.length ? a.pw.as<T>() : nullptr;
  if (!w && !pw) {
    for (ptrdiff_t k = 0; k < n; ++k) lw[k] = wv[k] = T(1);
    return;
  }
  bce_walk(a, c0, c0 + n, [&](ptrdiff_t i, ptrdiff_t wi, ptrdiff_t pi) {
    lw[i - c0] = pw ? T(1) + (pw[pi] - T(1)) * y[i] : T(1);
    wv[i - c0] = w ? w[wi] : T(1);
  });
}

template <typename T>
inline void bce_loss_chunk(T* __restrict l, const T* __restrict x, const T* __restrict y, const T* __restrict lp,
                           const T* __restrict lw, const T* __restrict wv, ptrdiff_t m) {
  for (ptrdiff_t k = 0; k < m; ++k) {
    const T sp = (x[k] < T(0) ? -x[k] : T(0)) + lp[k];  // softplus(-x) = max(-x, 0) + log1p(e^-|x|)
    l[k] = ((T(1) - y[k]) * x[k] + lw[k] * sp) * wv[k];
  }
}

// l = w·((1 - y)·x + lw·softplus(-x)), lw = 1 + (posWeight - 1)·y, softplus(-x) = max(-x, 0) + log1p(e^-|x|).
template <typename T>
void bce_forward(const BceArgs& a, T* out, double* total) {
  const T* x = a.x.as<T>();
  const T* y = a.y.as<T>();
  const ptrdiff_t n = a.numel;
  const ptrdiff_t nblocks = (n + kElementGrain - 1) / kElementGrain;
  std::vector<double> part(size_t(std::max<ptrdiff_t>(nblocks, 1)), 0.0);
  auto unary = Sel<T>::unary();
  auto sum_fn = Sel<T>::sum();
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    T z[kBceChunk], lp[kBceChunk], lw[kBceChunk], wv[kBceChunk], l[kBceChunk];
    for (ptrdiff_t b = b0; b < b1; ++b) {
      double sum = 0;
      const ptrdiff_t end = std::min(n, (b + 1) * kElementGrain);
      for (ptrdiff_t c0 = b * kElementGrain; c0 < end; c0 += kBceChunk) {
        const ptrdiff_t m = std::min(kBceChunk, end - c0);
        const T* xc = x + c0;
        const T* yc = y + c0;
        exp_neg_abs(z, lp, xc, m);
        unary(U_LOG1P, lp, 1, z, 1, m, UnaryParams{});
        gather_weights(a, c0, m, y, lw, wv);
        T* lo = out ? out + c0 : l;
        bce_loss_chunk(lo, xc, yc, lp, lw, wv, m);
        sum += sum_fn(lo, 1, m);
      }
      part[size_t(b)] = sum;
    }
  });
  double s = 0;
  for (ptrdiff_t b = 0; b < nblocks; ++b) s += part[size_t(b)];
  *total = s;
}

// bceWithLogitsForward(x, target, weight, posWeight, out, totals, meta)
Napi::Value BceWithLogitsForward(const Napi::CallbackInfo& info) {
  const char* op = "bceWithLogitsForward";
  require_args(info, 7, op);
  const Napi::Env env = info.Env();
  BceArgs a = read_bce_inputs(info, op, 0, 6);
  Array out = get_array(info, 4, op, "out");
  Array totals = get_array(info, 5, op, "totals");
  if (out.length != 0) {
    same_dtype(env, op, a.x, out);
    check_length(env, op, "out", out, size_t(a.numel));
  }
  if (totals.dtype != DType::F64) throw_type(env, std::string(op) + ": totals must be a Float64Array");
  check_length(env, op, "totals", totals, 1);
  if (a.x.dtype == DType::F32) bce_forward<float>(a, out.length ? out.as<float>() : nullptr, totals.as<double>());
  else bce_forward<double>(a, out.length ? out.as<double>() : nullptr, totals.as<double>());
  return env.Undefined();
}

// Branch-free (vectorizable) chunk loop: sigmoid(-x) = (x >= 0 ? z : 1) / (1 + z) with z = e^-|x|.
template <typename T>
inline void bce_grad_chunk(T* __restrict g, const T* __restrict x, const T* __restrict y, const T* __restrict z,
                           const T* __restrict lw, const T* __restrict wv, T sc, ptrdiff_t m) {
  for (ptrdiff_t k = 0; k < m; ++k) {
    const T num = x[k] >= T(0) ? z[k] : T(1);
    const T sig_neg = num / (T(1) + z[k]);
    g[k] = ((T(1) - y[k]) - lw[k] * sig_neg) * wv[k] * sc;
  }
}

// gx = g·w·((1 - y) - lw·sigmoid(-x)), g = gradOut[i]·scale, or scale when gradOut is empty.
template <typename T>
void bce_backward(const BceArgs& a, T* gx, const T* gout, double scale) {
  const T* x = a.x.as<T>();
  const T* y = a.y.as<T>();
  const ptrdiff_t n = a.numel;
  const ptrdiff_t nblocks = (n + kElementGrain - 1) / kElementGrain;
  const T sc = static_cast<T>(scale);
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    T z[kBceChunk], tmp[kBceChunk], lw[kBceChunk], wv[kBceChunk];
    const ptrdiff_t end = std::min(n, b1 * kElementGrain);
    for (ptrdiff_t c0 = b0 * kElementGrain; c0 < end; c0 += kBceChunk) {
      const ptrdiff_t m = std::min(kBceChunk, end - c0);
      const T* xc = x + c0;
      const T* yc = y + c0;
      T* g = gx + c0;
      exp_neg_abs(z, tmp, xc, m);
      gather_weights(a, c0, m, y, lw, wv);
      bce_grad_chunk(g, xc, yc, z, lw, wv, sc, m);
      if (gout) {
        for (ptrdiff_t k = 0; k < m; ++k) g[k] *= gout[c0 + k];
      }
    }
  });
}

// bceWithLogitsBackward(gx, x, target, weight, posWeight, gradOut, scale, meta)
Napi::Value BceWithLogitsBackward(const Napi::CallbackInfo& info) {
  const char* op = "bceWithLogitsBackward";
  require_args(info, 8, op);
  const Napi::Env env = info.Env();
  BceArgs a = read_bce_inputs(info, op, 1, 7);
  Array gx = get_array(info, 0, op, "gx");
  Array gout = get_array(info, 5, op, "gradOut");
  const double scale = get_number(info, 6, op, "scale");
  same_dtype(env, op, a.x, gx);
  check_length(env, op, "gx", gx, size_t(a.numel));
  if (gout.length != 0) {
    same_dtype(env, op, a.x, gout);
    check_length(env, op, "gradOut", gout, size_t(a.numel));
  }
  if (a.x.dtype == DType::F32) bce_backward<float>(a, gx.as<float>(), gout.length ? gout.as<float>() : nullptr, scale);
  else bce_backward<double>(a, gx.as<double>(), gout.length ? gout.as<double>() : nullptr, scale);
  return env.Undefined();
}

}  // namespace

void register_loss(Napi::Env env, Napi::Object exports) {
  exports["crossEntropyForward"] = Napi::Function::New(env, CrossEntropyForward, "crossEntropyForward");
  exports["crossEntropyBackward"] = Napi::Function::New(env, CrossEntropyBackward, "crossEntropyBackward");
  exports["bceWithLogitsForward"] = Napi::Function::New(env, BceWithLogitsForward, "bceWithLogitsForward");
  exports["bceWithLogitsBackward"] = Napi::Function::New(env, BceWithLogitsBackward, "bceWithLogitsBackward");
}

}  // namespace tg
