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

// Channels in blocks [c0, c1) of at most kBnChannelRun, fixed by the shape.
template <typename F>
void for_channel_blocks(const BnShape& a, F&& f) {
  const ptrdiff_t cb = std::max<ptrdiff_t>(1, std::min<ptrdiff_t>(a.c, kBnChannelRun / std::max<ptrdiff_t>(1, a.l)));
  const ptrdiff_t nblk = (a.c + cb - 1) / cb;
  for_units(nblk, cb * a.n * a.l, [&](ptrdiff_t blk) { f(blk * cb, std::min(a.c, (blk + 1) * cb)); });
}

BnShape read_bn_meta(const Napi::CallbackInfo& info, size_t i, const char* op) {
  Meta meta(info, i, op);
  BnShape a;
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
  const BnShape a = read_bn_meta(info, 8, name);
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
    const auto fn = Sel<T>::norm().bn_forward;
    for_channel_blocks(a, [&](ptrdiff_t c0, ptrdiff_t c1) {
      fn(a, c0, c1, f.y.as<T>(), f.smean.as<T>(), f.sinv.as<T>(), f.x.as<T>(), f.w.as<T>(), f.b.as<T>(),
         rm.as<T>(), rv.as<T>(), eps, momentum);
    });
  });
  return env.Undefined();
}

// batchNormBackward(gx?, gw?, gb?, g, x, weight?, saveMean, saveInvstd, meta=[N, C, L, training])
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  const char* name = "batchNormBackward";
  const Napi::Env env = info.Env();
  require_args(info, 9, name);
  const BackwardArrays r = read_backward_arrays(info, name);
  const BnShape a = read_bn_meta(info, 8, name);
  check_backward_arrays(env, name, r, size_t(a.n * a.c * a.l), size_t(a.c), size_t(a.c));
  with_float_type(r.x.dtype, [&](auto tag) {
    using T = decltype(tag);
    const auto fn = Sel<T>::norm().bn_backward;
    for_channel_blocks(a, [&](ptrdiff_t c0, ptrdiff_t c1) {
      fn(a, c0, c1, r.gx.as<T>(), r.gw.as<T>(), r.gb.as<T>(), r.g.as<T>(), r.x.as<T>(), r.w.as<T>(),
         r.smean.as<T>(), r.sinv.as<T>());
    });
  });
  return env.Undefined();
}

// ---- layer norm ----------------------------------------------------------------------------

template <typename T>
void ln_backward(ptrdiff_t rows, ptrdiff_t cols, T* gx, T* gw, T* gb, const T* g, const T* x, const T* w,
                 const T* smean, const T* sinvstd) {
  const NormFns<T>& k = Sel<T>::norm();
  if (gx) {
    const ptrdiff_t per = per_block(cols);
    parallel_for((rows + per - 1) / per, [&](ptrdiff_t b0, ptrdiff_t b1) {
      k.ln_backward_rows(b0 * per, std::min(rows, b1 * per), cols, gx, g, x, w, smean, sinvstd);
    });
  }
  if (gw || gb) {  // column blocks, each summing over every row in order
    const ptrdiff_t nb = (cols + kLnColBlock - 1) / kLnColBlock;
    const ptrdiff_t blocks_per = per_block(rows * kLnColBlock);
    parallel_for((nb + blocks_per - 1) / blocks_per, [&](ptrdiff_t b0, ptrdiff_t b1) {
      for (ptrdiff_t blk = b0 * blocks_per; blk < std::min(nb, b1 * blocks_per); ++blk) {
        const ptrdiff_t c0 = blk * kLnColBlock;
        k.ln_backward_cols(c0, std::min(cols, c0 + kLnColBlock), rows, cols, gw, gb, g, x, smean, sinvstd);
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
    const auto fn = Sel<T>::norm().ln_forward;
    const ptrdiff_t per = per_block(cols);
    parallel_for((rows + per - 1) / per, [&](ptrdiff_t b0, ptrdiff_t b1) {
      fn(b0 * per, std::min(rows, b1 * per), cols, f.y.as<T>(), f.smean.as<T>(), f.sinv.as<T>(), f.x.as<T>(),
         f.w.as<T>(), f.b.as<T>(), eps);
    });
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
