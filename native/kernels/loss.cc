// Fused loss kernels: cross-entropy and BCE with logits (forward and backward).
//
// Cross-entropy works on contiguous logits viewed as [N, C, S] (class dim in the middle, S the product
// of the trailing dims; unbatched [C] is N = S = 1), one "row" per (n, s): M = N·S rows of C classes
// at stride S. Forward computes each row's logsumexp (max, then Σ exp(x - max) accumulated in double),
// the row's loss and, for the reductions, the sums of the losses and of the target weights; backward
// writes g·(softmax·A - B) in one pass per row. Rows are cut into blocks that depend only on the
// shape, and the per-block partial sums are added in block order, so results do not depend on the
// thread count. The row and chunk loops are per ISA, in kernels/loss_loops.h.
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

// An optional array (empty when absent): when given, x's dtype and `length` entries.
void check_optional(const Napi::Env& env, const char* op, const char* name, const Array& a, const Array& x,
                    size_t length) {
  if (a.length == 0) return;
  same_dtype(env, op, x, a);
  check_length(env, op, name, a, length);
}

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
  check_optional(env, op, "weight", a.weight, a.x, size_t(p.C));
  return a;
}

// rowLoss (length M or 0), lse (Float64Array, M), totals (Float64Array, 2: Σ loss, Σ target weight).
template <typename T>
void ce_forward(const CEArgs& a, const Array& row_loss, double* lse, double* totals) {
  const CEParams& p = a.p;
  const ptrdiff_t M = p.rows(), C = p.C;
  const T* x = a.x.as<T>();
  const T* w = a.weight.as_or_null<T>();
  const int32_t* labels = p.probs ? nullptr : a.target.as<int32_t>();
  const T* probs = p.probs ? a.target.as<T>() : nullptr;
  T* out = row_loss.as_or_null<T>();
  const ptrdiff_t grain = row_grain(C);
  const ptrdiff_t nblocks = (M + grain - 1) / grain;
  std::vector<double> part(size_t(std::max<ptrdiff_t>(nblocks, 1)) * 2, 0.0);
  const auto ce_rows = Sel<T>::loss().ce_forward;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    std::vector<T> d(static_cast<size_t>(C)), e(static_cast<size_t>(C));
    for (ptrdiff_t b = b0; b < b1; ++b) {
      double loss_sum = 0, weight_sum = 0;
      const ptrdiff_t r1 = std::min(M, (b + 1) * grain);
      ce_rows(p, b * grain, r1, x, w, labels, probs, out, lse, &loss_sum, &weight_sum, d.data(), e.data());
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
  check_optional(env, op, "rowLoss", row_loss, a.x, size_t(a.p.rows()));
  if (lse.dtype != DType::F64 || totals.dtype != DType::F64) throw_type(env, std::string(op) + ": lse and totals must be Float64Arrays");
  check_length(env, op, "lse", lse, size_t(a.p.rows()));
  check_length(env, op, "totals", totals, 2);
  with_float_type(a.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    ce_forward<T>(a, row_loss, lse.as<double>(), totals.as<double>());
  });
  return env.Undefined();
}

// gx = g_r·(softmax·A - B) per row; g_r = gradRow[r]·scale, or scale when gradRow is empty.
template <typename T>
void ce_backward(const CEArgs& a, T* gx, const double* lse, const Array& grad_row, double scale) {
  const CEParams& p = a.p;
  const ptrdiff_t M = p.rows(), C = p.C;
  const T* x = a.x.as<T>();
  const T* w = a.weight.as_or_null<T>();
  const int32_t* labels = p.probs ? nullptr : a.target.as<int32_t>();
  const T* probs = p.probs ? a.target.as<T>() : nullptr;
  const T* gr = grad_row.as_or_null<T>();
  double wsum = double(C);
  if (w) {
    wsum = 0;
    for (ptrdiff_t c = 0; c < C; ++c) wsum += double(w[c]);
  }
  const ptrdiff_t grain = row_grain(C);
  const ptrdiff_t nblocks = (M + grain - 1) / grain;
  const auto ce_rows = Sel<T>::loss().ce_backward;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    std::vector<T> d(static_cast<size_t>(C)), e(static_cast<size_t>(C));
    const ptrdiff_t r1 = std::min(M, b1 * grain);
    ce_rows(p, b0 * grain, r1, gx, x, w, labels, probs, gr, lse, scale, wsum, d.data(), e.data());
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
  check_optional(env, op, "gradRow", grad_row, a.x, size_t(a.p.rows()));
  with_float_type(a.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    ce_backward<T>(a, gx.as<T>(), lse.as<double>(), grad_row, scale);
  });
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
  const T* w = a.w.as_or_null<T>();
  const T* pw = a.pw.as_or_null<T>();
  if (!w && !pw) {
    for (ptrdiff_t k = 0; k < n; ++k) lw[k] = wv[k] = T(1);
    return;
  }
  bce_walk(a, c0, c0 + n, [&](ptrdiff_t i, ptrdiff_t wi, ptrdiff_t pi) {
    lw[i - c0] = pw ? T(1) + (pw[pi] - T(1)) * y[i] : T(1);
    wv[i - c0] = w ? w[wi] : T(1);
  });
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
        Sel<T>::loss().bce_loss(lo, xc, yc, lp, lw, wv, m);
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
  check_optional(env, op, "out", out, a.x, size_t(a.numel));
  if (totals.dtype != DType::F64) throw_type(env, std::string(op) + ": totals must be a Float64Array");
  check_length(env, op, "totals", totals, 1);
  with_float_type(a.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    bce_forward<T>(a, out.as_or_null<T>(), totals.as<double>());
  });
  return env.Undefined();
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
      Sel<T>::loss().bce_grad(g, xc, yc, z, lw, wv, sc, m);
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
  check_optional(env, op, "gradOut", gout, a.x, size_t(a.numel));
  with_float_type(a.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    bce_backward<T>(a, gx.as<T>(), gout.as_or_null<T>(), scale);
  });
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
