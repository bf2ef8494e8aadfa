// Convolution and pooling kernels (forward and backward), NCHW, contiguous operands; their loops
// (im2col, col2im, pooling windows) are per ISA, in kernels/conv_loops.h.
// conv2d is im2col + GEMM per image and group; the input gradient is GEMM + col2im; the weight
// gradient sums per-block partials (fixed blocks of images) in block order, so every result is
// bitwise identical for any thread count.
#include <algorithm>
#include <atomic>
#include <new>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../parallel.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

constexpr int64_t kMaxSize = int64_t(1) << 31;

// Checks that a product of sizes stays below 2^48 (so every index fits in ptrdiff_t).
ptrdiff_t checked_product(const Napi::Env& env, const char* op, std::initializer_list<int64_t> sizes) {
  long double p = 1;
  for (int64_t s : sizes) p *= (long double)s;
  if (p > (long double)(int64_t(1) << 48)) throw_range(env, std::string(op) + ": sizes are too large");
  ptrdiff_t r = 1;
  for (int64_t s : sizes) r *= ptrdiff_t(s);
  return r;
}

// meta = [N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, groups]
ConvGeom read_conv(const Napi::CallbackInfo& info, size_t i, const char* op) {
  Meta m(info, i, op);
  ConvGeom g;
  g.n = m.next(0, kMaxSize, "batch size");
  g.c = m.next(1, kMaxSize, "in channels");
  g.h = m.next(1, kMaxSize, "height");
  g.w = m.next(1, kMaxSize, "width");
  g.oc = m.next(1, kMaxSize, "out channels");
  g.kh = m.next(1, kMaxSize, "kernel height");
  g.kw = m.next(1, kMaxSize, "kernel width");
  g.sh = m.next(1, kMaxSize, "stride");
  g.sw = m.next(1, kMaxSize, "stride");
  g.ph = m.next(0, kMaxSize, "padding");
  g.pw = m.next(0, kMaxSize, "padding");
  g.dh = m.next(1, kMaxSize, "dilation");
  g.dw = m.next(1, kMaxSize, "dilation");
  g.groups = m.next(1, kMaxSize, "groups");
  m.done();
  const Napi::Env env = info.Env();
  if (g.c % g.groups || g.oc % g.groups) {
    throw_range(env, std::string(op) + ": in channels " + std::to_string(g.c) + " and out channels " +
                         std::to_string(g.oc) + " must be divisible by groups " + std::to_string(g.groups));
  }
  const int64_t eh = g.dh * (g.kh - 1) + 1, ew = g.dw * (g.kw - 1) + 1;
  if (g.h + 2 * g.ph < eh || g.w + 2 * g.pw < ew) {
    throw_range(env, std::string(op) + ": the padded input is smaller than the dilated kernel");
  }
  g.oh = (g.h + 2 * g.ph - eh) / g.sh + 1;
  g.ow = (g.w + 2 * g.pw - ew) / g.sw + 1;
  checked_product(env, op, {g.n, g.c, g.h, g.w});
  checked_product(env, op, {g.n, g.oc, g.oh, g.ow});
  checked_product(env, op, {g.c, g.kh, g.kw, g.oh, g.ow});
  checked_product(env, op, {g.oc, g.c, g.kh, g.kw});
  return g;
}

// Per-thread column buffer: reused while small (no allocation per image), owned per use when large
// (so one huge convolution does not pin its buffer in every thread for the life of the process).
template <typename T>
class Scratch {
 public:
  explicit Scratch(size_t n) {
    constexpr size_t kKeep = size_t(1) << 22;
    thread_local std::vector<T> kept;
    if (n <= kKeep) {
      if (kept.size() < n) kept.resize(n);
      p_ = kept.data();
    } else {
      own_.reset(new T[n]);  // not zero-filled: every user overwrites the whole buffer
      p_ = own_.get();
    }
  }
  T* data() const { return p_; }

 private:
  std::unique_ptr<T[]> own_;
  T* p_;
};

// parallel_for whose blocks may allocate: an allocation failure in any thread (which would otherwise
// terminate the process from a pool thread) is rethrown on the calling thread after the join.
template <typename F>
void parallel_alloc(ptrdiff_t nblocks, F&& fn) {
  std::atomic<bool> oom{false};
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    try {
      fn(b0, b1);
    } catch (const std::bad_alloc&) {
      oom = true;
    }
  });
  if (oom) throw std::bad_alloc();
}

// Runs a kernel, turning an allocation failure into a JavaScript RangeError.
template <typename F>
void run_kernel(const Napi::Env& env, const char* op, F&& fn) {
  try {
    fn();
  } catch (const std::bad_alloc&) {
    throw_range(env, std::string(op) + ": out of memory for the column buffers of this convolution");
  }
}

template <typename T>
void conv_forward(const ConvGeom& g, T* out, const T* x, const T* w, const T* bias) {
  auto gemm = Sel<T>::gemm();
  const ptrdiff_t cg = g.cg(), ocg = g.ocg(), kk = g.kk(), ohw = g.ohw(), ckk = cg * kk;
  parallel_alloc(g.n, [&](ptrdiff_t b0, ptrdiff_t b1) {
    for (ptrdiff_t n = b0; n < b1; ++n) {
      const T* xn = x + n * g.c * g.hw();
      T* on = out + n * g.oc * ohw;
      Scratch<T> buf(g.pointwise() ? 0 : size_t(g.c * kk * ohw));
      const T* col = xn;
      if (!g.pointwise()) {
        Sel<T>::conv().im2col(g, g.c, xn, buf.data());
        col = buf.data();
      }
      for (ptrdiff_t o = 0; o < g.oc; ++o) std::fill(on + o * ohw, on + (o + 1) * ohw, bias ? bias[o] : T(0));
      for (ptrdiff_t gi = 0; gi < g.groups; ++gi) {
        gemm(ocg, ohw, ckk, T(1), w + gi * ocg * ckk, ckk, 1, col + gi * ckk * ohw, ohw, 1, T(1),
             on + gi * ocg * ohw, ohw);
      }
    }
  });
}

template <typename T>
void conv_backward_input(const ConvGeom& g, T* gx, const T* gout, const T* w) {
  auto gemm = Sel<T>::gemm();
  const ptrdiff_t cg = g.cg(), ocg = g.ocg(), kk = g.kk(), ohw = g.ohw(), ckk = cg * kk;
  parallel_alloc(g.n, [&](ptrdiff_t b0, ptrdiff_t b1) {
    for (ptrdiff_t n = b0; n < b1; ++n) {
      T* gxn = gx + n * g.c * g.hw();
      const T* gn = gout + n * g.oc * ohw;
      Scratch<T> buf(g.pointwise() ? 0 : size_t(g.c * kk * ohw));
      T* col = g.pointwise() ? gxn : buf.data();
      for (ptrdiff_t gi = 0; gi < g.groups; ++gi) {
        gemm(ckk, ohw, ocg, T(1), w + gi * ocg * ckk, 1, ckk, gn + gi * ocg * ohw, ohw, 1, T(0),
             col + gi * ckk * ohw, ohw);
      }
      if (!g.pointwise()) Sel<T>::conv().col2im(g, g.c, col, gxn);
    }
  });
}

// Images per weight-gradient block: at most 16 blocks, chosen from the batch size alone.
ptrdiff_t weight_block(ptrdiff_t n) { return std::max<ptrdiff_t>(1, (n + 15) / 16); }

template <typename T>
void conv_backward_weight(const ConvGeom& g, T* gw, const T* x, const T* gout) {
  auto gemm = Sel<T>::gemm();
  const ptrdiff_t cg = g.cg(), ocg = g.ocg(), kk = g.kk(), ohw = g.ohw(), ckk = cg * kk;
  const ptrdiff_t wsize = g.oc * ckk;
  if (g.n == 0) {
    std::fill(gw, gw + wsize, T(0));
    return;
  }
  const ptrdiff_t per = weight_block(g.n), nblocks = (g.n + per - 1) / per;
  // Block 0 accumulates straight into gw; the others into their own partials.
  std::vector<T> partials(size_t((nblocks - 1) * wsize));
  parallel_alloc(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    for (ptrdiff_t blk = b0; blk < b1; ++blk) {
      T* acc = blk == 0 ? gw : partials.data() + (blk - 1) * wsize;
      const ptrdiff_t n0 = blk * per, n1 = std::min(g.n, n0 + per);
      for (ptrdiff_t n = n0; n < n1; ++n) {
        const T* xn = x + n * g.c * g.hw();
        Scratch<T> buf(g.pointwise() ? 0 : size_t(g.c * kk * ohw));
        const T* col = xn;
        if (!g.pointwise()) {
          Sel<T>::conv().im2col(g, g.c, xn, buf.data());
          col = buf.data();
        }
        const T* gn = gout + n * g.oc * ohw;
        for (ptrdiff_t gi = 0; gi < g.groups; ++gi) {
          gemm(ocg, ckk, ohw, T(1), gn + gi * ocg * ohw, ohw, 1, col + gi * ckk * ohw, 1, ohw,
               n == n0 ? T(0) : T(1), acc + gi * ocg * ckk, ckk);
        }
      }
    }
  });
  if (nblocks == 1) return;
  constexpr ptrdiff_t kChunk = 4096;
  parallel_for((wsize + kChunk - 1) / kChunk, [&](ptrdiff_t c0, ptrdiff_t c1) {
    const ptrdiff_t e1 = std::min(wsize, c1 * kChunk);
    for (ptrdiff_t blk = 1; blk < nblocks; ++blk) {
      const T* p = partials.data() + (blk - 1) * wsize;
      for (ptrdiff_t e = c0 * kChunk; e < e1; ++e) gw[e] += p[e];
    }
  });
}

// gb[c] = sum over n and positions of gout[n][c][...], in a fixed order per channel.
template <typename T>
void conv_backward_bias(T* gb, const T* gout, ptrdiff_t n, ptrdiff_t c, ptrdiff_t hw) {
  auto sum = Sel<T>::sum();
  parallel_for(c, [&](ptrdiff_t c0, ptrdiff_t c1) {
    for (ptrdiff_t ch = c0; ch < c1; ++ch) {
      double s = 0;
      for (ptrdiff_t i = 0; i < n; ++i) s += sum(gout + (i * c + ch) * hw, 1, hw);
      gb[ch] = T(s);
    }
  });
}

struct ConvArrays {
  Array out, a, b;
};

ConvArrays conv_arrays(const Napi::CallbackInfo& info, const char* op, const char* const names[3]) {
  ConvArrays r{get_array(info, 0, op, names[0]), get_array(info, 1, op, names[1]), get_array(info, 2, op, names[2])};
  float_dtype(info.Env(), op, r.out);
  same_dtype(info.Env(), op, r.out, r.a);
  same_dtype(info.Env(), op, r.out, r.b);
  no_overlap(info.Env(), op, r.out, r.a);
  no_overlap(info.Env(), op, r.out, r.b);
  return r;
}

// What each of out, a and b holds: its expected length follows from the geometry.
enum class ConvPart { kInput, kOutput, kWeight };

size_t part_size(const ConvGeom& g, ConvPart p) {
  switch (p) {
    case ConvPart::kInput: return g.input_size();
    case ConvPart::kOutput: return g.output_size();
    case ConvPart::kWeight: return g.weight_size();
  }
  return 0;
}

void check_conv_lengths(const Napi::Env& env, const char* op, const char* const names[3], const ConvPart parts[3],
                        const ConvArrays& r, const ConvGeom& g) {
  check_length(env, op, names[0], r.out, part_size(g, parts[0]));
  check_length(env, op, names[1], r.a, part_size(g, parts[1]));
  check_length(env, op, names[2], r.b, part_size(g, parts[2]));
}

// The backward entries (out, a, b, meta): kernel(g, out, a, b) runs for the arrays' float type.
template <typename Kernel>
Napi::Value conv_backward_entry(const Napi::CallbackInfo& info, const char* op, const char* const names[3],
                                const ConvPart parts[3], Kernel&& kernel) {
  require_args(info, 4, op);
  const ConvArrays r = conv_arrays(info, op, names);
  const ConvGeom g = read_conv(info, 3, op);
  check_conv_lengths(info.Env(), op, names, parts, r, g);
  run_kernel(info.Env(), op, [&] {
    with_float_type(r.out.dtype, [&](auto tag) {
      using T = decltype(tag);
      kernel(g, r.out.as<T>(), r.a.as<T>(), r.b.as<T>());
    });
  });
  return info.Env().Undefined();
}

// conv2d(out, x, weight, bias, meta): bias is an empty array when absent.
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  const char* op = "conv2d";
  require_args(info, 5, op);
  static const char* const names[3] = {"out", "x", "weight"};
  static const ConvPart parts[3] = {ConvPart::kOutput, ConvPart::kInput, ConvPart::kWeight};
  ConvArrays r = conv_arrays(info, op, names);
  Array bias = get_array(info, 3, op, "bias");
  same_dtype(info.Env(), op, r.out, bias);
  no_overlap(info.Env(), op, r.out, bias);
  ConvGeom g = read_conv(info, 4, op);
  check_conv_lengths(info.Env(), op, names, parts, r, g);
  if (bias.length != 0) check_length(info.Env(), op, "bias", bias, size_t(g.oc));
  run_kernel(info.Env(), op, [&] {
    with_float_type(r.out.dtype, [&](auto tag) {
      using T = decltype(tag);
      conv_forward<T>(g, r.out.as<T>(), r.a.as<T>(), r.b.as<T>(), bias.as_or_null<T>());
    });
  });
  return info.Env().Undefined();
}

// conv2dBackwardInput(gx, gout, weight, meta)
Napi::Value Conv2dBackwardInput(const Napi::CallbackInfo& info) {
  static const char* const names[3] = {"gx", "gout", "weight"};
  static const ConvPart parts[3] = {ConvPart::kInput, ConvPart::kOutput, ConvPart::kWeight};
  return conv_backward_entry(info, "conv2dBackwardInput", names, parts,
                             [](const ConvGeom& g, auto* gx, auto* gout, auto* w) { conv_backward_input(g, gx, gout, w); });
}

// conv2dBackwardWeight(gw, x, gout, meta)
Napi::Value Conv2dBackwardWeight(const Napi::CallbackInfo& info) {
  static const char* const names[3] = {"gw", "x", "gout"};
  static const ConvPart parts[3] = {ConvPart::kWeight, ConvPart::kInput, ConvPart::kOutput};
  return conv_backward_entry(info, "conv2dBackwardWeight", names, parts,
                             [](const ConvGeom& g, auto* gw, auto* x, auto* gout) { conv_backward_weight(g, gw, x, gout); });
}

// conv2dBackwardBias(gb, gout, meta = [N, C, H*W])
Napi::Value Conv2dBackwardBias(const Napi::CallbackInfo& info) {
  const char* op = "conv2dBackwardBias";
  require_args(info, 3, op);
  Array gb = get_array(info, 0, op, "gb"), gout = get_array(info, 1, op, "gout");
  float_dtype(info.Env(), op, gb);
  same_dtype(info.Env(), op, gb, gout);
  no_overlap(info.Env(), op, gb, gout);
  Meta m(info, 2, op);
  const ptrdiff_t n = m.next(0, kMaxSize, "batch size"), c = m.next(0, kMaxSize, "channels"),
                  hw = m.next(0, kMaxSize, "spatial size");
  m.done();
  check_length(info.Env(), op, "gb", gb, size_t(c));
  check_length(info.Env(), op, "gout", gout, size_t(checked_product(info.Env(), op, {n, c, hw})));
  with_float_type(gb.dtype, [&](auto tag) {
    using T = decltype(tag);
    conv_backward_bias<T>(gb.as<T>(), gout.as<T>(), n, c, hw);
  });
  return info.Env().Undefined();
}

// ---- pooling -------------------------------------------------------------------------------

// PyTorch's pooling_output_shape, including ceil mode's rule that the last window must start
// inside the input or the left padding.
ptrdiff_t pool_out(ptrdiff_t in, ptrdiff_t k, ptrdiff_t pad, ptrdiff_t stride, ptrdiff_t dil, bool ceil) {
  const ptrdiff_t num = in + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0);
  ptrdiff_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil && (out - 1) * stride >= in + pad) --out;
  return out;
}

// meta = [planes, H, W, KH, KW, sh, sw, ph, pw, dh, dw, ceil, ...extra]
PoolGeom read_pool(Meta& m, const char* op) {
  PoolGeom g;
  g.planes = m.next(0, kMaxSize, "planes");
  g.h = m.next(1, kMaxSize, "height");
  g.w = m.next(1, kMaxSize, "width");
  g.kh = m.next(1, kMaxSize, "kernel height");
  g.kw = m.next(1, kMaxSize, "kernel width");
  g.sh = m.next(1, kMaxSize, "stride");
  g.sw = m.next(1, kMaxSize, "stride");
  g.ph = m.next(0, g.kh / 2, "padding (at most half the kernel)");
  g.pw = m.next(0, g.kw / 2, "padding (at most half the kernel)");
  g.dh = m.next(1, kMaxSize, "dilation");
  g.dw = m.next(1, kMaxSize, "dilation");
  g.ceil = m.next(0, 1, "ceil mode") != 0;
  g.oh = pool_out(g.h, g.kh, g.ph, g.sh, g.dh, g.ceil);
  g.ow = pool_out(g.w, g.kw, g.pw, g.sw, g.dw, g.ceil);
  if (g.oh < 1 || g.ow < 1) throw_range(m.env(), std::string(op) + ": output size is too small");
  checked_product(m.env(), op, {g.planes, g.h, g.w});
  checked_product(m.env(), op, {g.planes, g.oh, g.ow});
  return g;
}

void int32_indices(const Napi::Env& env, const char* op, const Array& idx) {
  if (idx.dtype != DType::I32) throw_type(env, std::string(op) + ": indices must be an Int32Array");
}

// Rows of planes per parallel block (fixed by the shape).
ptrdiff_t plane_blocks(const PoolGeom& g, ptrdiff_t* per) {
  const ptrdiff_t work = std::max<ptrdiff_t>(1, g.h * g.w + g.oh * g.ow * g.kh * g.kw);
  *per = std::max<ptrdiff_t>(1, 32768 / work);
  return (g.planes + *per - 1) / *per;
}

// fn(p0, p1) over fixed blocks of planes.
template <typename F>
void for_planes(const PoolGeom& g, F&& fn) {
  ptrdiff_t per;
  const ptrdiff_t nb = plane_blocks(g, &per);
  parallel_for(nb, [&](ptrdiff_t b0, ptrdiff_t b1) { fn(b0 * per, std::min(g.planes, b1 * per)); });
}

// maxPool2d(out, indices, x, meta = [planes, H, W, KH, KW, sh, sw, ph, pw, dh, dw, ceil])
Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  const char* op = "maxPool2d";
  require_args(info, 4, op);
  Array out = get_array(info, 0, op, "out"), idx = get_array(info, 1, op, "indices"), x = get_array(info, 2, op, "x");
  float_dtype(info.Env(), op, out);
  same_dtype(info.Env(), op, out, x);
  int32_indices(info.Env(), op, idx);
  no_overlap(info.Env(), op, out, x);
  no_overlap(info.Env(), op, idx, x);
  no_overlap(info.Env(), op, out, idx);
  Meta m(info, 3, op);
  PoolGeom g = read_pool(m, op);
  m.done();
  if (g.h * g.w > int64_t(INT32_MAX)) throw_range(info.Env(), "maxPool2d: a plane is too large for int32 indices");
  check_length(info.Env(), op, "out", out, size_t(g.planes * g.oh * g.ow));
  check_length(info.Env(), op, "indices", idx, size_t(g.planes * g.oh * g.ow));
  check_length(info.Env(), op, "x", x, size_t(g.planes * g.h * g.w));
  with_float_type(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    for_planes(g, [&](ptrdiff_t p0, ptrdiff_t p1) {
      Sel<T>::conv().max_pool(g, p0, p1, out.as<T>(), idx.as<int32_t>(), x.as<T>());
    });
  });
  return info.Env().Undefined();
}

// maxPool2dBackward(gx, gout, indices, meta = [planes, H*W, OH*OW]); gx is overwritten.
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  const char* op = "maxPool2dBackward";
  require_args(info, 4, op);
  Array gx = get_array(info, 0, op, "gx"), gout = get_array(info, 1, op, "gout"), idx = get_array(info, 2, op, "indices");
  float_dtype(info.Env(), op, gx);
  same_dtype(info.Env(), op, gx, gout);
  int32_indices(info.Env(), op, idx);
  no_overlap(info.Env(), op, gx, gout);
  no_overlap(info.Env(), op, gx, idx);
  Meta m(info, 3, op);
  const ptrdiff_t planes = m.next(0, kMaxSize, "planes"), hw = m.next(0, INT32_MAX, "plane size"),
                  ohw = m.next(0, kMaxSize, "output plane size");
  m.done();
  check_length(info.Env(), op, "gx", gx, size_t(checked_product(info.Env(), op, {planes, hw})));
  check_length(info.Env(), op, "gout", gout, size_t(checked_product(info.Env(), op, {planes, ohw})));
  check_length(info.Env(), op, "indices", idx, size_t(planes * ohw));
  const int32_t* ip = idx.as<int32_t>();
  for (size_t i = 0; i < idx.length; ++i) {
    if (ip[i] < 0 || ip[i] >= hw) {
      throw_range(info.Env(), "maxPool2dBackward: index " + std::to_string(ip[i]) +
                                  " is out of range for a plane of " + std::to_string(hw) + " elements");
    }
  }
  with_float_type(gx.dtype, [&](auto tag) {
    using T = decltype(tag);
    const ptrdiff_t per = std::max<ptrdiff_t>(1, 32768 / std::max<ptrdiff_t>(1, hw + ohw));
    parallel_for((planes + per - 1) / per, [&](ptrdiff_t b0, ptrdiff_t b1) {
      Sel<T>::conv().max_pool_bwd(b0 * per, std::min(planes, b1 * per), hw, ohw, gx.as<T>(), gout.as<T>(), ip);
    });
  });
  return info.Env().Undefined();
}

// avgPool2d(out, x, meta) and avgPool2dBackward(gx, gout, meta);
// meta = [planes, H, W, KH, KW, sh, sw, ph, pw, 1, 1, ceil, countIncludePad, divisor (0: none)]
Napi::Value AvgPool(const Napi::CallbackInfo& info, bool backward) {
  const char* op = backward ? "avgPool2dBackward" : "avgPool2d";
  require_args(info, 3, op);
  Array out = get_array(info, 0, op, backward ? "gx" : "out"), in = get_array(info, 1, op, backward ? "gout" : "x");
  float_dtype(info.Env(), op, out);
  same_dtype(info.Env(), op, out, in);
  no_overlap(info.Env(), op, out, in);
  Meta m(info, 2, op);
  PoolGeom g = read_pool(m, op);
  if (g.dh != 1 || g.dw != 1) throw_range(info.Env(), std::string(op) + ": dilation must be 1");
  AvgOpts a;
  a.count_include_pad = m.next(0, 1, "countIncludePad") != 0;
  a.divisor = m.next(-kMaxSize, kMaxSize, "divisorOverride");
  m.done();
  const size_t big = size_t(g.planes * g.h * g.w), small = size_t(g.planes * g.oh * g.ow);
  check_length(info.Env(), op, backward ? "gx" : "out", out, backward ? big : small);
  check_length(info.Env(), op, backward ? "gout" : "x", in, backward ? small : big);
  with_float_type(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    for_planes(g, [&](ptrdiff_t p0, ptrdiff_t p1) {
      if (backward) Sel<T>::conv().avg_pool_bwd(g, a, p0, p1, out.as<T>(), in.as<T>());
      else Sel<T>::conv().avg_pool(g, a, p0, p1, out.as<T>(), in.as<T>());
    });
  });
  return info.Env().Undefined();
}

Napi::Value AvgPool2d(const Napi::CallbackInfo& info) { return AvgPool(info, false); }
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) { return AvgPool(info, true); }

}  // namespace

void register_conv(Napi::Env env, Napi::Object exports) {
  exports["conv2d"] = Napi::Function::New(env, Conv2d, "conv2d");
  exports["conv2dBackwardInput"] = Napi::Function::New(env, Conv2dBackwardInput, "conv2dBackwardInput");
  exports["conv2dBackwardWeight"] = Napi::Function::New(env, Conv2dBackwardWeight, "conv2dBackwardWeight");
  exports["conv2dBackwardBias"] = Napi::Function::New(env, Conv2dBackwardBias, "conv2dBackwardBias");
  exports["maxPool2d"] = Napi::Function::New(env, MaxPool2d, "maxPool2d");
  exports["maxPool2dBackward"] = Napi::Function::New(env, MaxPool2dBackward, "maxPool2dBackward");
  exports["avgPool2d"] = Napi::Function::New(env, AvgPool2d, "avgPool2d");
  exports["avgPool2dBackward"] = Napi::Function::New(env, AvgPool2dBackward, "avgPool2dBackward");
}

}  // namespace tg
