// Types shared by the N-API layer and the per-ISA kernel translation units.
// Nothing here depends on N-API, so ISA units compile without it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tg {

enum class DType : int { F32 = 0, F64 = 1, I32 = 2 };
constexpr int kNumFloatTypes = 2;

// Unary elementwise ops. The order is mirrored in src/native.ts (UnaryOp).
enum UnaryOp : int {
  U_NEG, U_ABS, U_SIGN, U_EXP, U_LOG, U_LOG1P, U_SQRT, U_RSQRT, U_SQUARE, U_RECIPROCAL,
  U_SIN, U_COS, U_TANH, U_SIGMOID, U_RELU, U_LEAKY_RELU, U_ELU, U_GELU, U_GELU_TANH,
  U_SILU, U_SOFTPLUS, U_CLAMP, U_POW_SCALAR, U_ERF, U_COUNT
};

// Binary elementwise ops with broadcasting (mirrored in src/native.ts, BinaryOp).
enum BinaryOp : int {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAXIMUM, B_MINIMUM,
  B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_COUNT
};

// Reductions (mirrored in src/native.ts, ReduceOp).
enum ReduceOp : int {
  R_SUM, R_MEAN, R_PROD, R_MAX, R_MIN, R_LOGSUMEXP, R_VAR, R_NORM, R_ARGMAX, R_ARGMIN, R_COUNT
};

// What the per-ISA reduction loops compute (reduce.cc builds the ReduceOps from them):
// sums of x, (x - c)^2, |x|, [x != 0], |x|^c, exp(x - c); the product; max / min of x or |x|.
enum RedKind : int {
  RK_SUM, RK_SUMSQ, RK_ABSSUM, RK_NONZERO, RK_POW, RK_PROD, RK_SUMEXP,
  RK_MAX, RK_MIN, RK_ABSMAX, RK_ABSMIN, RK_COUNT
};

struct UnaryParams { double a = 0, b = 0; };

// Optimizer kinds (mirrored in src/native.ts, OptimKind); hyperparameter layouts are listed with
// each loop in kernels/optim_loops.h.
enum OptimKind : int { O_SGD, O_ADAGRAD, O_RMSPROP, O_ADADELTA, O_ADAM, O_ADAMAX, O_NADAM, O_COUNT };

// A parameter, its gradient and up to three state buffers, updated in place.
template <typename T>
struct OptimBufs {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};

// 1-D strided loops: each ISA unit provides one per (op, dtype).
template <typename T>
using UnaryFn = void (*)(int op, T* y, ptrdiff_t ys, const T* x, ptrdiff_t xs, ptrdiff_t n,
                         UnaryParams p);
// gx = g * f'(x) (y = f(x) is passed too; contiguous inputs).
template <typename T>
using UnaryBwdFn = void (*)(int op, T* gx, const T* g, const T* x, const T* y, ptrdiff_t n,
                            UnaryParams p);
// `rows` runs of n elements; run r of each operand starts r row strides (ors, ars, brs) further on.
template <typename T>
using BinaryFn = void (*)(int op, T* o, ptrdiff_t os, const T* a, ptrdiff_t as, const T* b,
                          ptrdiff_t bs, ptrdiff_t n, ptrdiff_t rows, ptrdiff_t ors, ptrdiff_t ars,
                          ptrdiff_t brs);
// GEMM on one matrix: C = alpha * A·B + beta * C with arbitrary row/column strides for A and B.
template <typename T>
using GemmFn = void (*)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a, ptrdiff_t rsa,
                        ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb, T beta, T* c,
                        ptrdiff_t rsc);
// Sum of a strided run, accumulated in double for accuracy.
template <typename T>
using SumFn = double (*)(const T* x, ptrdiff_t xs, ptrdiff_t n);

// The update of elements [s, e) of one parameter by optimizer `kind` with hyperparameters hp.
template <typename T>
using OptimFn = void (*)(int kind, const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp);

// Convolution geometry, NCHW (validated by kernels/conv.cc).
struct ConvGeom {
  ptrdiff_t n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow;
  ptrdiff_t cg() const { return c / groups; }
  ptrdiff_t ocg() const { return oc / groups; }
  ptrdiff_t kk() const { return kh * kw; }
  ptrdiff_t ohw() const { return oh * ow; }
  ptrdiff_t hw() const { return h * w; }
  size_t input_size() const { return size_t(n * c * hw()); }
  size_t output_size() const { return size_t(n * oc * ohw()); }
  size_t weight_size() const { return size_t(oc * cg() * kk()); }
  // The columns of one image are the input itself: no im2col needed.
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

// Pooling geometry over `planes` planes of h x w (validated by kernels/conv.cc).
struct PoolGeom {
  ptrdiff_t planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
  bool ceil;
};
struct AvgOpts {
  bool count_include_pad;
  ptrdiff_t divisor;  // 0: none
};

// Convolution and pooling loops (native/kernels/conv_loops.h); the pooling ones run planes [p0, p1).
template <typename T>
struct ConvFns {
  // col[(c KH + i) KW + j][oh OW + ow] = x[c][oh sh - ph + i dh][ow sw - pw + j dw] (0 outside).
  void (*im2col)(const ConvGeom& g, ptrdiff_t channels, const T* x, T* col);
  // Its adjoint: x (zeroed first) += every column entry that read it.
  void (*col2im)(const ConvGeom& g, ptrdiff_t channels, const T* col, T* x);
  void (*max_pool)(const PoolGeom& g, ptrdiff_t p0, ptrdiff_t p1, T* out, int32_t* idx, const T* x);
  void (*max_pool_bwd)(ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t hw, ptrdiff_t ohw, T* gx, const T* gout,
                       const int32_t* idx);
  void (*avg_pool)(const PoolGeom& g, const AvgOpts& a, ptrdiff_t p0, ptrdiff_t p1, T* out, const T* x);
  void (*avg_pool_bwd)(const PoolGeom& g, const AvgOpts& a, ptrdiff_t p0, ptrdiff_t p1, T* gx,
                       const T* gout);
};

// Batch norm over an [N, C, L] input (kernels/norm_loops.h), in blocks of at most kBnChannelRun
// channels; layer norm's weight/bias gradients in blocks of at most kLnColBlock columns.
struct BnShape {
  ptrdiff_t n, c, l;
  bool training;
};
constexpr ptrdiff_t kBnChannelRun = 256;
constexpr ptrdiff_t kLnColBlock = 256;
template <typename T>
struct NormFns {
  void (*bn_forward)(const BnShape& a, ptrdiff_t c0, ptrdiff_t c1, T* y, T* smean, T* sinvstd,
                     const T* x, const T* w, const T* b, T* rmean, T* rvar, double eps, double momentum);
  void (*bn_backward)(const BnShape& a, ptrdiff_t c0, ptrdiff_t c1, T* gx, T* gw, T* gb, const T* g,
                      const T* x, const T* w, const T* smean, const T* sinvstd);
  void (*ln_forward)(ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t cols, T* y, T* smean, T* sinvstd, const T* x,
                     const T* w, const T* b, double eps);
  void (*ln_backward_rows)(ptrdiff_t r0, ptrdiff_t r1, ptrdiff_t cols, T* gx, const T* g, const T* x,
                           const T* w, const T* smean, const T* sinvstd);
  void (*ln_backward_cols)(ptrdiff_t c0, ptrdiff_t c1, ptrdiff_t rows, ptrdiff_t cols, T* gw, T* gb,
                           const T* g, const T* x, const T* smean, const T* sinvstd);
};

// Cross-entropy over contiguous logits viewed as [N, C, S] (kernels/loss.cc).
struct CEParams {
  ptrdiff_t N = 0, C = 0, S = 0;
  bool probs = false;      // class-probability targets instead of int32 labels
  int64_t ignore = -100;   // ignoreIndex (labels only)
  double eps = 0;          // label smoothing
  ptrdiff_t rows() const { return N * S; }
};
// Fused-loss loops (native/kernels/loss_loops.h).
template <typename T>
struct LossFns {
  void (*ce_forward)(const CEParams& p, ptrdiff_t r0, ptrdiff_t r1, const T* x, const T* w,
                     const int32_t* labels, const T* probs, T* out, double* lse, double* loss_sum,
                     double* weight_sum, T* d, T* e);
  void (*ce_backward)(const CEParams& p, ptrdiff_t r0, ptrdiff_t r1, T* gx, const T* x, const T* w,
                      const int32_t* labels, const T* probs, const T* gr, const double* lse,
                      double scale, double wsum, T* d, T* e);
  // BCE with logits over a chunk of m entries: the loss from lp = log1p(e^-|x|), lw and weights wv;
  // the gradient from z = e^-|x| times sc.
  void (*bce_loss)(T* l, const T* x, const T* y, const T* lp, const T* lw, const T* wv, ptrdiff_t m);
  void (*bce_grad)(T* g, const T* x, const T* y, const T* z, const T* lw, const T* wv, T sc, ptrdiff_t m);
};

// A Philox generator's key and the counter of a call's first element (kernels/random.cc).
struct PhiloxKey {
  uint32_t k0, k1;
  uint64_t offset;
};
// Uniform float32 in [lo, hi) for elements [s, e) (kernels/random_loops.h).
using UniformF32Fn = void (*)(float* p, ptrdiff_t s, ptrdiff_t e, const PhiloxKey& k, float lo, float hi);

// Reduction loops (native/kernels/reduce_loops.h). The cols loops take w <= kReduceMaxCols.
constexpr ptrdiff_t kReduceMaxCols = 1024;
template <typename T>
struct ReduceFns {
  // out[r] = merge(out[r], kind over x[r rs + i xs] for i < n) for r < nrows, accumulated in
  // double; the centre (or power) of row r is c[r], or cs when c is null.
  void (*rows)(int kind, double* out, const T* x, ptrdiff_t rs, ptrdiff_t nrows, ptrdiff_t xs,
               ptrdiff_t n, const double* c, double cs);
  // acc[j] = kind-combination of acc[j] with x[r * rs + j] for r < nrows, j < w (c[j] per
  // column); the sums and the product.
  void (*cols)(int kind, double* acc, const T* x, ptrdiff_t rs, ptrdiff_t nrows, ptrdiff_t w,
               const double* c);
  // The same for max / min (of x or |x|), in T.
  void (*cols_ext)(int kind, T* acc, const T* x, ptrdiff_t rs, ptrdiff_t nrows, ptrdiff_t w);
  // argmax / argmin (first NaN, else first best) of the runs x + r rs (n elements xs apart,
  // indices i0 + i) merged into val[r], idx[r] for r < nrows.
  void (*arg_rows)(bool is_max, double* val, int64_t* idx, const T* x, ptrdiff_t rs,
                   ptrdiff_t nrows, ptrdiff_t xs, ptrdiff_t n, int64_t i0);
  // Per column j < w: val[j], idx[j] updated with rows r < nrows, whose index is r0 + r.
  void (*arg_cols)(bool is_max, T* val, int32_t* idx, const T* x, ptrdiff_t rs, ptrdiff_t nrows,
                   ptrdiff_t w, int32_t r0);
};

struct KernelTable {
  const char* isa;
  UnaryFn<float> unary_f32;
  UnaryFn<double> unary_f64;
  UnaryBwdFn<float> unary_bwd_f32;
  UnaryBwdFn<double> unary_bwd_f64;
  BinaryFn<float> binary_f32;
  BinaryFn<double> binary_f64;
  BinaryFn<int32_t> binary_i32;
  GemmFn<float> gemm_f32;
  GemmFn<double> gemm_f64;
  SumFn<float> sum_f32;
  SumFn<double> sum_f64;
  ReduceFns<float> reduce_f32;
  ReduceFns<double> reduce_f64;
  OptimFn<float> optim_f32;
  OptimFn<double> optim_f64;
  ConvFns<float> conv_f32;
  ConvFns<double> conv_f64;
  NormFns<float> norm_f32;
  NormFns<double> norm_f64;
  LossFns<float> loss_f32;
  LossFns<double> loss_f64;
  UniformF32Fn uniform_f32;
};

const KernelTable& kernels();

template <typename T> struct Sel;
template <> struct Sel<float> {
  static UnaryFn<float> unary() { return kernels().unary_f32; }
  static UnaryBwdFn<float> unary_bwd() { return kernels().unary_bwd_f32; }
  static BinaryFn<float> binary() { return kernels().binary_f32; }
  static GemmFn<float> gemm() { return kernels().gemm_f32; }
  static SumFn<float> sum() { return kernels().sum_f32; }
  static const ReduceFns<float>& reduce() { return kernels().reduce_f32; }
  static OptimFn<float> optim() { return kernels().optim_f32; }
  static const ConvFns<float>& conv() { return kernels().conv_f32; }
  static const NormFns<float>& norm() { return kernels().norm_f32; }
  static const LossFns<float>& loss() { return kernels().loss_f32; }
};
template <> struct Sel<double> {
  static UnaryFn<double> unary() { return kernels().unary_f64; }
  static UnaryBwdFn<double> unary_bwd() { return kernels().unary_bwd_f64; }
  static BinaryFn<double> binary() { return kernels().binary_f64; }
  static GemmFn<double> gemm() { return kernels().gemm_f64; }
  static SumFn<double> sum() { return kernels().sum_f64; }
  static const ReduceFns<double>& reduce() { return kernels().reduce_f64; }
  static OptimFn<double> optim() { return kernels().optim_f64; }
  static const ConvFns<double>& conv() { return kernels().conv_f64; }
  static const NormFns<double>& norm() { return kernels().norm_f64; }
  static const LossFns<double>& loss() { return kernels().loss_f64; }
};
template <> struct Sel<int32_t> {
  static BinaryFn<int32_t> binary() { return kernels().binary_i32; }
};

}  // namespace tg
