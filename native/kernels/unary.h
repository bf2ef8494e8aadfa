// Unary elementwise forward and backward loops, templated on the element type.
// Included inside each ISA namespace by simd/isa_*.cc, so the compiler vectorizes them per ISA.
#pragma once
#include <cmath>
#include "../common.h"
#include "vmath.h"

template <typename T>
TG_VM_INLINE T unary_f(int op, T x, UnaryParams p) {
  constexpr T kSqrt1_2 = T(0.70710678118654752440);
  constexpr T kSqrt2OverPi = T(0.79788456080286535588);
  switch (op) {
    case U_NEG: return -x;
    case U_ABS: return std::fabs(x);
    case U_SIGN: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : x);  // keeps ±0 and NaN
    case U_EXP: return tg_exp(x);
    case U_LOG: return tg_log(x);
    case U_LOG1P: return std::log1p(x);
    case U_SQRT: return std::sqrt(x);
    case U_RSQRT: return T(1) / std::sqrt(x);
    case U_SQUARE: return x * x;
    case U_RECIPROCAL: return T(1) / x;
    case U_SIN: return std::sin(x);
    case U_COS: return std::cos(x);
    case U_TANH: return tg_tanh(x);
    case U_SIGMOID: return tg_sigmoid(x);
    case U_RELU: return x < T(0) ? T(0) : x;
    case U_LEAKY_RELU: return x > T(0) ? x : x * T(p.a);
    case U_ELU: return x > T(0) ? x : T(p.a) * std::expm1(x);
    case U_GELU: return T(0.5) * x * (T(1) + tg_erf(x * kSqrt1_2));
    case U_GELU_TANH: {
      T inner = kSqrt2OverPi * (x + T(0.044715) * x * x * x);
      return T(0.5) * x * (T(1) + tg_tanh(inner));
    }
    case U_SILU: return x * tg_sigmoid(x);
    case U_SOFTPLUS: {
      T bx = x * T(p.a);
      return bx > T(p.b) ? x : std::log1p(std::exp(bx)) / T(p.a);
    }
    case U_CLAMP: return x < T(p.a) ? T(p.a) : (x > T(p.b) ? T(p.b) : x);
    case U_POW_SCALAR: return p.a == 2.0 ? x * x : std::pow(x, T(p.a));
    case U_ERF: return tg_erf(x);
  }
  return x;
}

// d f(x) / dx times g; y = f(x) is available where the rule is cheaper through it.
template <typename T>
TG_VM_INLINE T unary_df(int op, T g, T x, T y, UnaryParams p) {
  constexpr T kSqrt1_2 = T(0.70710678118654752440);
  constexpr T kInvSqrt2Pi = T(0.39894228040143267794);
  constexpr T kSqrt2OverPi = T(0.79788456080286535588);
  switch (op) {
    case U_NEG: return -g;
    case U_ABS: return x > T(0) ? g : (x < T(0) ? -g : T(0));
    case U_SIGN: return T(0);
    case U_EXP: return g * y;
    case U_LOG: return g / x;
    case U_LOG1P: return g / (T(1) + x);
    case U_SQRT: return g / (T(2) * y);
    case U_RSQRT: return T(-0.5) * g * y * y * y;
    case U_SQUARE: return T(2) * g * x;
    case U_RECIPROCAL: return -g * y * y;
    case U_SIN: return g * std::cos(x);
    case U_COS: return -g * std::sin(x);
    case U_TANH: return g * (T(1) - y * y);
    case U_SIGMOID: return g * y * (T(1) - y);
    case U_RELU: return y > T(0) ? g : T(0);
    case U_LEAKY_RELU: return x > T(0) ? g : g * T(p.a);
    case U_ELU: return x > T(0) ? g : g * (y + T(p.a));
    case U_GELU: {
      T cdf = T(0.5) * (T(1) + tg_erf(x * kSqrt1_2));
      T pdf = kInvSqrt2Pi * tg_exp(T(-0.5) * x * x);
      return g * (cdf + x * pdf);
    }
    case U_GELU_TANH: {
      T x2 = x * x;
      T inner = kSqrt2OverPi * (x + T(0.044715) * x2 * x);
      T th = tg_tanh(inner);
      T dinner = kSqrt2OverPi * (T(1) + T(3) * T(0.044715) * x2);
      return g * (T(0.5) * (T(1) + th) + T(0.5) * x * (T(1) - th * th) * dinner);
    }
    case U_SILU: {
      T s = tg_sigmoid(x);
      return g * s * (T(1) + x * (T(1) - s));
    }
    case U_SOFTPLUS: {
      T bx = x * T(p.a);
      return bx > T(p.b) ? g : g * tg_sigmoid(bx);
    }
    case U_CLAMP: return (x >= T(p.a) && x <= T(p.b)) ? g : T(0);
    case U_POW_SCALAR:
      return p.a == 0.0 ? T(0) : g * T(p.a) * std::pow(x, T(p.a - 1.0));
    case U_ERF: return g * T(1.12837916709551257390) * tg_exp(-x * x);
  }
  return g;
}

template <typename T, int OP>
static void unary_loop_op(T* y, ptrdiff_t ys, const T* x, ptrdiff_t xs, ptrdiff_t n,
                          UnaryParams p) {
  if (ys == 1 && xs == 1) {
    for (ptrdiff_t i = 0; i < n; ++i) y[i] = unary_f<T>(OP, x[i], p);
  } else {
    for (ptrdiff_t i = 0; i < n; ++i) y[i * ys] = unary_f<T>(OP, x[i * xs], p);
  }
}

template <typename T, int OP>
static void unary_bwd_loop_op(T* gx, const T* g, const T* x, const T* y, ptrdiff_t n,
                              UnaryParams p) {
  for (ptrdiff_t i = 0; i < n; ++i) gx[i] = unary_df<T>(OP, g[i], x[i], y[i], p);
}

#define TG_UNARY_CASES(X) \
  X(U_NEG) X(U_ABS) X(U_SIGN) X(U_EXP) X(U_LOG) X(U_LOG1P) X(U_SQRT) X(U_RSQRT) X(U_SQUARE) \
  X(U_RECIPROCAL) X(U_SIN) X(U_COS) X(U_TANH) X(U_SIGMOID) X(U_RELU) X(U_LEAKY_RELU) X(U_ELU) \
  X(U_GELU) X(U_GELU_TANH) X(U_SILU) X(U_SOFTPLUS) X(U_CLAMP) X(U_POW_SCALAR) X(U_ERF)

// The op switch sits outside the loop so each loop body is specialised and vectorizable.
template <typename T>
static void unary_loop(int op, T* y, ptrdiff_t ys, const T* x, ptrdiff_t xs, ptrdiff_t n,
                       UnaryParams p) {
  switch (op) {
#define TG_CASE(OP) case OP: unary_loop_op<T, OP>(y, ys, x, xs, n, p); return;
    TG_UNARY_CASES(TG_CASE)
#undef TG_CASE
  }
}

template <typename T>
static void unary_bwd_loop(int op, T* gx, const T* g, const T* x, const T* y, ptrdiff_t n,
                           UnaryParams p) {
  switch (op) {
#define TG_CASE(OP) case OP: unary_bwd_loop_op<T, OP>(gx, g, x, y, n, p); return;
    TG_UNARY_CASES(TG_CASE)
#undef TG_CASE
  }
}
