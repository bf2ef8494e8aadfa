// Binary elementwise loops (strided 1-D runs), templated on the element type; included per ISA.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>
#include "../common.h"

template <typename T>
static inline T binary_f(int op, T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;  // wrap on overflow like PyTorch, without UB
    switch (op) {
      case B_ADD: return T(U(a) + U(b));
      case B_SUB: return T(U(a) - U(b));
      case B_MUL: return T(U(a) * U(b));
      default: break;
    }
  } else {
    switch (op) {
      case B_ADD: return a + b;
      case B_SUB: return a - b;
      case B_MUL: return a * b;
      case B_DIV: return a / b;
      case B_POW: return b == T(2) ? a * a : std::pow(a, b);
      default: break;
    }
  }
  switch (op) {
    case B_MAXIMUM: return (a != a) ? a : ((b != b) ? b : (a > b ? a : b));
    case B_MINIMUM: return (a != a) ? a : ((b != b) ? b : (a < b ? a : b));
    case B_EQ: return T(a == b);
    case B_NE: return T(a != b);
    case B_LT: return T(a < b);
    case B_LE: return T(a <= b);
    case B_GT: return T(a > b);
    case B_GE: return T(a >= b);
  }
  return T(0);
}

template <typename T, int OP>
static inline void binary_run(T* o, ptrdiff_t os, const T* a, ptrdiff_t as, const T* b,
                              ptrdiff_t bs, ptrdiff_t n) {
  if (os == 1 && as == 1 && bs == 1) {
    for (ptrdiff_t i = 0; i < n; ++i) o[i] = binary_f<T>(OP, a[i], b[i]);
  } else if (os == 1 && as == 1 && bs == 0) {
    const T bv = *b;
    for (ptrdiff_t i = 0; i < n; ++i) o[i] = binary_f<T>(OP, a[i], bv);
  } else if (os == 1 && as == 0 && bs == 1) {
    const T av = *a;
    for (ptrdiff_t i = 0; i < n; ++i) o[i] = binary_f<T>(OP, av, b[i]);
  } else {
    for (ptrdiff_t i = 0; i < n; ++i) o[i * os] = binary_f<T>(OP, a[i * as], b[i * bs]);
  }
}

template <typename T, int OP>
static void binary_loop_op(T* o, ptrdiff_t os, const T* a, ptrdiff_t as, const T* b, ptrdiff_t bs,
                           ptrdiff_t n, ptrdiff_t rows, ptrdiff_t ors, ptrdiff_t ars, ptrdiff_t brs) {
  for (ptrdiff_t r = 0; r < rows; ++r) binary_run<T, OP>(o + r * ors, os, a + r * ars, as, b + r * brs, bs, n);
}

template <typename T>
static void binary_loop(int op, T* o, ptrdiff_t os, const T* a, ptrdiff_t as, const T* b,
                        ptrdiff_t bs, ptrdiff_t n, ptrdiff_t rows, ptrdiff_t ors, ptrdiff_t ars,
                        ptrdiff_t brs) {
  switch (op) {
#define TG_CASE(OP) case OP: binary_loop_op<T, OP>(o, os, a, as, b, bs, n, rows, ors, ars, brs); return;
    TG_CASE(B_ADD) TG_CASE(B_SUB) TG_CASE(B_MUL) TG_CASE(B_MAXIMUM) TG_CASE(B_MINIMUM)
    TG_CASE(B_EQ) TG_CASE(B_NE) TG_CASE(B_LT) TG_CASE(B_LE) TG_CASE(B_GT) TG_CASE(B_GE)
    TG_CASE(B_DIV) TG_CASE(B_POW)
#undef TG_CASE
  }
}

template <typename T>
static double sum_run(const T* x, ptrdiff_t xs, ptrdiff_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  ptrdiff_t i = 0;
  if (xs == 1) {
    for (; i + 4 <= n; i += 4) {
      s0 += double(x[i]); s1 += double(x[i + 1]); s2 += double(x[i + 2]); s3 += double(x[i + 3]);
    }
  }
  for (; i < n; ++i) s0 += double(x[i * xs]);
  return (s0 + s1) + (s2 + s3);
}
