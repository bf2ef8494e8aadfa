// Normalisation and dropout kernels (forward and backward) on contiguous data.
// Batch norm sees its input as [N, C, L] and works per channel; layer norm sees [rows, cols] and
// works per row. Statistics are accumulated in double. Every channel, row or column block is
// computed by one thread in a fixed order, so results never depend on the thread count.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../strided.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

constexpr int64_t kMax = int64_t(1) << 48;

// An optional float array: null or undefined gives data == nullptr.
Array opt_array(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  if (i < info.Length() && (info[i].IsNull() || info[i].IsUndefined())) return Array{DType::F32, nullptr, 0};
  return get_array(info, i, op, name);
}

// Checks a present optional array against the reference dtype and an exact length.
void check_opt(const Napi::Env& env, const char* op, const char* name, const Array& a, const Array& ref,
               size_t length) {
  if (a.data == nullptr) return;
  if (a.dtype != ref.dtype) {
    throw_type(env, std::string(op) + ": " + name + " is " + dtype_name(a.dtype) + " but the input is " +
                        dtype_name(ref.dtype));
  }
  check_length(env, op, name, a, length);
}

void check_req(const Napi::Env& env, const char* op, const char* name, const Array& a, const Array& ref,
               size_t length) {
  same_dtype(env, op, a, ref);
  check_length(env, op, name, a, length);
}

// The arrays every forward wrapper reads first: (y, saveMean, saveInvstd, x, weight?, bias?).
struct ForwardArrays {
  Array y, smean, sinv, x, w, b;
};

ForwardArrays read_forward_arrays(const Napi::CallbackInfo& info, const char* op) {
  ForwardArrays a;
  a.y = get_array(info, 0, op, "y");
  a.smean = get_array(info, 1, op, "saveMean");
  a.sinv = get_array(info, 2, op, "saveInvstd");
  a.x = get_array(info, 3, op, "x");
  a.w = opt_array(info, 4, op, "weight");
  a.b = opt_array(info, 5, op, "bias");
  return a;
}

// x and y hold `total` values, the saved statistics `stats`, weight and bias `features`.
void check_forward_arrays(const Napi::Env& env, const char* op, const ForwardArrays& a, size_t total,
                          size_t stats, size_t features) {
  float_dtype(env, op, a.x);
  check_req(env, op, "x", a.x, a.x, total);
  check_req(env, op, "y", a.y, a.x, total);
  check_req(env, op, "saveMean", a.smean, a.x, stats);
  check_req(env, op, "saveInvstd", a.sinv, a.x, stats);
  check_opt(env, op, "weight", a.w, a.x, features);
  check_opt(env, op, "bias", a.b, a.x, features);
}

// The arrays of every backward wrapper: (gx?, gw?, gb?, g, x, weight?, saveMean, saveInvstd).
struct BackwardArrays {
  Array gx, gw, gb, g, x, w, smean, sinv;
};

BackwardArrays read_backward_arrays(const Napi::CallbackInfo& info, const char* op) {
  BackwardArrays a;
  a.gx = opt_array(info, 0, op, "gx");
  a.gw = opt_array(info, 1, op, "gw");
  a.gb = opt_array(info, 2, op, "gb");
  a.g = get_array(info, 3, op, "g");
  a.x = get_array(info, 4, op, "x");
  a.w = opt_array(info, 5, op, "weight");
  a.smean = get_array(info, 6, op, "saveMean");
  a.sinv = get_array(info, 7, op, "saveInvstd");
  return a;
}

// x, g and gx hold `total` values, gw, gb and weight `features`, the saved statistics `stats`.
void check_backward_arrays(const Napi::Env& env, const char* op, const BackwardArrays& a, size_t total,
                           size_t stats, size_t features) {
  float_dtype(env, op, a.x);
  check_req(env, op, "x", a.x, a.x, total);
  check_req(env, op, "g", a.g, a.x, total);
  check_opt(env, op, "gx", a.gx, a.x, total);
  check_opt(env, op, "gw", a.gw, a.x, features);
  check_opt(env, op, "gb", a.gb, a.x, features);
  check_opt(env, op, "weight", a.w, a.x, features);
  check_req(env, op, "saveMean", a.smean, a.x, stats);
  check_req(env, op, "saveInvstd", a.sinv, a.x, stats);
}

double get_eps(const Napi::CallbackInfo& info, size_t i, const char* op) {
  const double eps = get_number(info, i, op, "eps");
  if (!std::isfinite(eps) || eps < 0) throw_range(info.Env(), std::string(op) + ": eps must be a finite number >= 0");
  return eps;
}

// Units of `unit_cost` elements grouped so that one block holds about kElementGrain elements.
inline ptrdiff_t per_block(ptrdiff_t unit_cost) {
  return std::max<ptrdiff_t>(1, kElementGrain / std::max<ptrdiff_t>(1, unit_cost));
}

template <typename F>
void for_units(ptrdiff_t units, ptrdiff_t unit_cost, F&& f) {
  const ptrdiff_t per = per_block(unit_cost);
  const ptrdiff_t nblocks = (units + per - 1) / per;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    const ptrdiff_t e = std::min(units, b1 * per);
    for (ptrdiff_t u = b0 * per; u < e; ++u) f(u);
  });
}

// ---- batch norm ----------------------------------------------------------------------------

struct BnArgs {
  ptrdiff_t n, c, l;
  bool training;
};

// Channels are processed in blocks [c0, c1) row by row, so that small L (an [N, C] input) still reads
// memory contiguously. Each channel's sums run over i, then j, whatever the block: results do not
// depend on the blocking (nor on the thread count).
constexpr ptrdiff_t kChannelRun = 256;

template <typename F>
void for_channel_blocks(const BnArgs& a, F&& f) {
  const ptrdiff_t cb = std::max<ptrdiff_t>(1, std::min<ptrdiff_t>(a.c, kChannelRun / std::max<ptrdiff_t>(1, a.l)));
  const ptrdiff_t nblk = (a.c + cb - 1) / cb;
  for_units(nblk, cb * a.n * a.l, [&](ptrdiff_t blk) { f(blk * cb, std::min(a.c, (blk + 1) * cb)); });
}

// acc[c - c0] += sum over the block's rows of term(value, c), in the fixed (i, j) order.
template <typename Term>
void channel_sums(const BnArgs& a, ptrdiff_t c0, ptrdiff_t c1, double* acc, Term&& term) {
  for (ptrdiff_t c = c0; c < c1; ++c) acc[c - c0] = 0;
  if (a.l == 1) {  // [N, C]: the same order, with a loop over channels the compiler can vectorise
    for (ptrdiff_t i = 0; i < a.n; ++i)
      for (ptrdiff_t c = c0; c < c1; ++c) acc[c - c0] += term(i * a.c + c, c);
    return;
  }
  for (ptrdiff_t i = 0; i < a.n; ++i) {
    for (ptrdiff_t c = c0; c < c1; ++c) {
      const ptrdiff_t o = (i * a.c + c) * a.l;
      double s = acc[c - c0];
      for (ptrdiff_t j = 0; j < a.l; ++j) s += term(o + j, c);
      acc[c - c0] = s;
    }
  }
}

template <typename T>
void bn_forward(const BnArgs& a, T* y, T* smean, T* sinvstd, const T* x, const T* w, const T* b, T* rmean,
                T* rvar, double eps, double momentum) {
  const double m = double(a.n * a.l);
  for_channel_blocks(a, [&](ptrdiff_t c0, ptrdiff_t c1) {
    double mean[kChannelRun], scale[kChannelRun], sq[kChannelRun];
    if (a.training) {
      channel_sums(a, c0, c1, mean, [&](ptrdiff_t k, ptrdiff_t) { return double(x[k]); });
      for (ptrdiff_t c = c0; c < c1; ++c) mean[c - c0] /= m;
      channel_sums(a, c0, c1, sq, [&](ptrdiff_t k, ptrdiff_t c) {
        const double d = double(x[k]) - mean[c - c0];
        return d * d;
      });
    }
    for (ptrdiff_t c = c0; c < c1; ++c) {
      double mu, var;
      if (a.training) {
        mu = mean[c - c0];
        var = sq[c - c0] / m;
        if (rmean != nullptr) {
          rmean[c] = T((1 - momentum) * double(rmean[c]) + momentum * mu);
          rvar[c] = T((1 - momentum) * double(rvar[c]) + momentum * (sq[c - c0] / (m - 1)));
        }
      } else {
        mu = double(rmean[c]);
        var = double(rvar[c]);
      }
      const double invstd = 1.0 / std::sqrt(var + eps);
      smean[c] = T(mu);
      sinvstd[c] = T(invstd);
      mean[c - c0] = mu;
      scale[c - c0] = w ? double(w[c]) * invstd : invstd;
      sq[c - c0] = b ? double(b[c]) : 0.0;  // now the shift
    }
    for (ptrdiff_t i = 0; i < a.n; ++i) {
      for (ptrdiff_t c = c0; c < c1; ++c) {
        const ptrdiff_t o = (i * a.c + c) * a.l;
        const double mu = mean[c - c0], sc = scale[c - c0], sh = sq[c - c0];
        for (ptrdiff_t j = 0; j < a.l; ++j) y[o + j] = T((double(x[o + j]) - mu) * sc + sh);
      }
    }
  });
}

template <typename T>
void bn_backward(const BnArgs& a, T* gx, T* gw, T* gb, const T* g, const T* x, const T* w, const T* smean,
                 const T* sinvstd) {
  const double m = double(a.n * a.l);
  for_channel_blocks(a, [&](ptrdiff_t c0, ptrdiff_t c1) {
    double sg[kChannelRun], sgx[kChannelRun];  // sums of g and of g * (x - mean)
    channel_sums(a, c0, c1, sg, [&](ptrdiff_t k, ptrdiff_t) { return double(g[k]); });
    channel_sums(a, c0, c1, sgx, [&](ptrdiff_t k, ptrdiff_t c) { return double(g[k]) * (double(x[k]) - double(smean[c])); });
    for (ptrdiff_t c = c0; c < c1; ++c) {
      sgx[c - c0] *= double(sinvstd[c]);
      if (gw) gw[c] = T(sgx[c - c0]);
      if (gb) gb[c] = T(sg[c - c0]);
    }
    if (!gx) return;
    for (ptrdiff_t i = 0; i < a.n; ++i) {
      for (ptrdiff_t c = c0; c < c1; ++c) {
        const ptrdiff_t o = (i * a.c + c) * a.l;
        const double mean = double(smean[c]), invstd = double(sinvstd[c]);
        const double k = (w ? double(w[c]) : 1.0) * invstd;
        const double mg = a.training ? sg[c - c0] / m : 0.0, mgx = a.training ? sgx[c - c0] / m : 0.0;
        for (ptrdiff_t j = 0; j < a.l; ++j) {
          const double xhat = (double(x[o + j]) - mean) * invstd;
          gx[o + j] = T(k * (double(g[o + j]) - mg - xhat * mgx));
        }
      }
    }
  });
}

BnArgs read_bn_meta(const Napi::CallbackInfo& info, size_t i, const char* op) {
  Meta meta(info, i, op);
  BnArgs a;
  a.n = meta.next(0, kMax, "N");
  a.c = meta.next(0, kMax, "C");
  a.l = meta.next(0, kMax, "L");
  a.training = meta.next(0, 1, "training") == 1;
  meta.done();
  if (double(a.n) * double(a.c) * double(a.l) > double(kMax)) throw_range(info.Env(), std::string(op) + ": input too large");
  return a;
}

// batchNormForward(y, saveMean, saveInvstd, x, weight?, bias?, runningMean?, runningVar?,
//                  meta=[N, C, L, training], eps, momentum)
// Training normalises with the biased batch variance and, when running stats are given, updates
// them in place with the unbiased one; evaluation normalises with the running stats.
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  const char* name = "batchNormForward";
  const Napi::Env env = info.Env();
  require_args(info, 11, name);
  const ForwardArrays f = read_forward_arrays(info, name);
  Array rm = opt_array(info, 6, name, "runningMean");
  Array rv = opt_array(info, 7, name, "runningVar");
  const BnArgs a = read_bn_meta(info, 8, name);
  const double eps = get_eps(info, 9, name);
  const double momentum = get_number(info, 10, name, "momentum");
  if (!std::isfinite(momentum)) throw_range(env, std::string(name) + ": momentum must be finite");
  const size_t c = size_t(a.c);
  check_forward_arrays(env, name, f, size_t(a.n * a.c * a.l), c, c);
  check_opt(env, name, "runningMean", rm, f.x, c);
  check_opt(env, name, "runningVar", rv, f.x, c);
  if ((rm.data == nullptr) != (rv.data == nullptr)) {
    throw_type(env, std::string(name) + ": runningMean and runningVar must both be given or both be null");
  }
  if (!a.training && rm.data == nullptr) throw_type(env, std::string(name) + ": evaluation needs running stats");
  if (a.training && a.n * a.l < 2 && a.c > 0) {
    throw_range(env, std::string(name) + ": training needs more than 1 value per channel");
  }
  with_float_type(f.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    bn_forward<T>(a, f.y.as<T>(), f.smean.as<T>(), f.sinv.as<T>(), f.x.as<T>(), f.w.as<T>(), f.b.as<T>(),
                  rm.as<T>(), rv.as<T>(), eps, momentum);
  });
  return env.Undefined();
}

// batchNormBackward(gx?, gw?, gb?, g, x, weight?, saveMean, saveInvstd, meta=[N, C, L, training])
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  const char* name = "batchNormBackward";
  const Napi::Env env = info.Env();
  require_args(info, 9, name);
  const BackwardArrays r = read_backward_arrays(info, name);
  const BnArgs a = read_bn_meta(info, 8, name);
  check_backward_arrays(env, name, r, size_t(a.n * a.c * a.l), size_t(a.c), size_t(a.c));
  with_float_type(r.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    bn_backward<T>(a, r.gx.as<T>(), r.gw.as<T>(), r.gb.as<T>(), r.g.as<T>(), r.x.as<T>(), r.w.as<T>(),
                   r.smean.as<T>(), r.sinv.as<T>());
  });
  return env.Undefined();
}

// ---- layer norm ----------------------------------------------------------------------------

template <typename T>
void ln_forward(ptrdiff_t rows, ptrdiff_t cols, T* y, T* smean, T* sinvstd, const T* x, const T* w, const T* b,
                double eps) {
  for_units(rows, cols, [&](ptrdiff_t r) {
    const T* p = x + r * cols;
    T* q = y + r * cols;
    double s = 0;
    for (ptrdiff_t j = 0; j < cols; ++j) s += double(p[j]);
    const double mean = s / double(cols);
    double s2 = 0;
    for (ptrdiff_t j = 0; j < cols; ++j) {
      const double d = double(p[j]) - mean;
      s2 += d * d;
    }
    const double invstd = 1.0 / std::sqrt(s2 / double(cols) + eps);
    smean[r] = T(mean);
    sinvstd[r] = T(invstd);
    for (ptrdiff_t j = 0; j < cols; ++j) {
      double v = (double(p[j]) - mean) * invstd;
      if (w) v *= double(w[j]);
      if (b) v += double(b[j]);
      q[j] = T(v);
    }
  });
}

constexpr ptrdiff_t kColBlock = 256;

template <typename T>
void ln_backward(ptrdiff_t rows, ptrdiff_t cols, T* gx, T* gw, T* gb, const T* g, const T* x, const T* w,
                 const T* smean, const T* sinvstd) {
  if (gx) {
    for_units(rows, cols, [&](ptrdiff_t r) {
      const ptrdiff_t o = r * cols;
      const double mean = double(smean[r]), invstd = double(sinvstd[r]);
      double sdy = 0, sdyx = 0;  // sums of dxhat and dxhat * xhat, with dxhat = g * w
      for (ptrdiff_t j = 0; j < cols; ++j) {
        const double dy = double(g[o + j]) * (w ? double(w[j]) : 1.0);
        sdy += dy;
        sdyx += dy * (double(x[o + j]) - mean) * invstd;
      }
      const double mdy = sdy / double(cols), mdyx = sdyx / double(cols);
      for (ptrdiff_t j = 0; j < cols; ++j) {
        const double dy = double(g[o + j]) * (w ? double(w[j]) : 1.0);
        const double xhat = (double(x[o + j]) - mean) * invstd;
        gx[o + j] = T(invstd * (dy - mdy - xhat * mdyx));
      }
    });
  }
  if (gw || gb) {  // column blocks, each summing over every row in order
    const ptrdiff_t nb = (cols + kColBlock - 1) / kColBlock;
    const ptrdiff_t blocks_per = per_block(rows * kColBlock);
    parallel_for((nb + blocks_per - 1) / blocks_per, [&](ptrdiff_t b0, ptrdiff_t b1) {
      double aw[kColBlock], ab[kColBlock];
      for (ptrdiff_t blk = b0 * blocks_per; blk < std::min(nb, b1 * blocks_per); ++blk) {
        const ptrdiff_t c0 = blk * kColBlock, c1 = std::min(cols, c0 + kColBlock);
        std::fill(aw, aw + kColBlock, 0.0);
        std::fill(ab, ab + kColBlock, 0.0);
        for (ptrdiff_t r = 0; r < rows; ++r) {
          const double mean = double(smean[r]), invstd = double(sinvstd[r]);
          const T* gr = g + r * cols;
          const T* xr = x + r * cols;
          for (ptrdiff_t j = c0; j < c1; ++j) {
            aw[j - c0] += double(gr[j]) * (double(xr[j]) - mean) * invstd;
            ab[j - c0] += double(gr[j]);
          }
        }
        for (ptrdiff_t j = c0; j < c1; ++j) {
          if (gw) gw[j] = T(aw[j - c0]);
          if (gb) gb[j] = T(ab[j - c0]);
        }
      }
    });
  }
}

void read_ln_meta(const Napi::CallbackInfo& info, size_t i, const char* op, ptrdiff_t* rows, ptrdiff_t* cols) {
  Meta meta(info, i, op);
  *rows = meta.next(0, kMax, "rows");
  *cols = meta.next(0, kMax, "cols");
  meta.done();
  if (double(*rows) * double(*cols) > double(kMax)) throw_range(info.Env(), std::string(op) + ": input too large");
}

// layerNormForward(y, saveMean, saveInvstd, x, weight?, bias?, meta=[rows, cols], eps)
Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  const char* name = "layerNormForward";
  const Napi::Env env = info.Env();
  require_args(info, 8, name);
  const ForwardArrays f = read_forward_arrays(info, name);
  ptrdiff_t rows, cols;
  read_ln_meta(info, 6, name, &rows, &cols);
  const double eps = get_eps(info, 7, name);
  check_forward_arrays(env, name, f, size_t(rows * cols), size_t(rows), size_t(cols));
  with_float_type(f.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    ln_forward<T>(rows, cols, f.y.as<T>(), f.smean.as<T>(), f.sinv.as<T>(), f.x.as<T>(), f.w.as<T>(), f.b.as<T>(),
                  eps);
  });
  return env.Undefined();
}

// layerNormBackward(gx?, gw?, gb?, g, x, weight?, saveMean, saveInvstd, meta=[rows, cols])
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  const char* name = "layerNormBackward";
  const Napi::Env env = info.Env();
  require_args(info, 9, name);
  const BackwardArrays r = read_backward_arrays(info, name);
  ptrdiff_t rows, cols;
  read_ln_meta(info, 8, name, &rows, &cols);
  check_backward_arrays(env, name, r, size_t(rows * cols), size_t(rows), size_t(cols));
  with_float_type(r.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    ln_backward<T>(rows, cols, r.gx.as<T>(), r.gw.as<T>(), r.gb.as<T>(), r.g.as<T>(), r.x.as<T>(), r.w.as<T>(),
                   r.smean.as<T>(), r.sinv.as<T>());
  });
  return env.Undefined();
}

// ---- dropout -------------------------------------------------------------------------------

template <typename T>
void dropout_forward(T* out, T* mask, const T* x, ptrdiff_t n, double p) {
  const T scale = p < 1 ? T(1.0 / (1.0 - p)) : T(0);
  for_units((n + kElementGrain - 1) / kElementGrain, kElementGrain, [&](ptrdiff_t blk) {
    const ptrdiff_t e = std::min(n, (blk + 1) * kElementGrain);
    for (ptrdiff_t i = blk * kElementGrain; i < e; ++i) {
      mask[i] = double(mask[i]) >= p ? scale : T(0);  // kept with probability 1 - p
      out[i] = x[i] * mask[i];
    }
  });
}

// dropoutForward(out, mask, x, p): mask holds uniform draws in [0, 1) on entry (from the seeded
// Philox generator) and the kept-and-scaled mask (0 or 1 / (1 - p)) on return; out = x * mask.
Napi::Value DropoutForward(const Napi::CallbackInfo& info) {
  const char* name = "dropoutForward";
  const Napi::Env env = info.Env();
  require_args(info, 4, name);
  Array out = get_array(info, 0, name, "out");
  Array mask = get_array(info, 1, name, "mask");
  Array x = get_array(info, 2, name, "x");
  const double p = get_number(info, 3, name, "p");
  if (!(p >= 0 && p <= 1)) throw_range(env, std::string(name) + ": p must be in [0, 1]");
  float_dtype(env, name, x);
  check_req(env, name, "out", out, x, x.length);
  check_req(env, name, "mask", mask, x, x.length);
  with_float_type(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    dropout_forward<T>(out.as<T>(), mask.as<T>(), x.as<T>(), ptrdiff_t(x.length), p);
  });
  return env.Undefined();
}

}  // namespace

void register_norm(Napi::Env env, Napi::Object exports) {
  exports["batchNormForward"] = Napi::Function::New(env, BatchNormForward, "batchNormForward");
  exports["batchNormBackward"] = Napi::Function::New(env, BatchNormBackward, "batchNormBackward");
  exports["layerNormForward"] = Napi::Function::New(env, LayerNormForward, "layerNormForward");
  exports["layerNormBackward"] = Napi::Function::New(env, LayerNormBackward, "layerNormBackward");
  exports["dropoutForward"] = Napi::Function::New(env, DropoutForward, "dropoutForward");
}

}  // namespace tg
