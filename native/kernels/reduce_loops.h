// Reduction inner loops, templated on the element type; included inside each ISA namespace by
// simd/isa_body.inc so the compiler vectorizes them for that ISA.
//
// Two shapes of loop (reduce.cc picks one per layout):
//   rows  reduce each of a stretch of strided runs (one per output) and merge the result into that
//         output (out[r] op= reduce(x[r * rs + i * xs], i < n)); vectorized along the run when
//         xs == 1;
//   cols  reduce nrows rows of w contiguous columns into w accumulators, row by row
//         (acc[j] op= x[r * rs + j]), for reductions over outer dims; vectorized across columns.
// Sums, products, norms and exp-sums accumulate in double (float32 included); max / min and
// argmax / argmin compare in T, which is exact. (A float32 first level, PyTorch's cascade, was
// measured: 8 elements a lane between flushes into double broke the tests' float32 bounds on
// cancelling and on random sums, and even one float32 add of 2 elements breaks a cancelling-halves
// test in reduce.vector.test.ts; so every float32 element is converted. At 16 MB and more the sum is bound
// by memory bandwidth either way; in L2 the converts cap it at about 2/3 of float32 adds.)
//
// The plain sum of a contiguous float32 run (x.sum(-1), full sums) converts native vectors of
// floats with intrinsics and spreads them over kF32Acc double vectors (sum_f32_vec); the other
// run loops of the sums are plain loops over 16 double accumulators, which GCC keeps in vector
// registers (8 xmm or 4 ymm). The float32 sum's lane layout differs between ISA levels, so its
// last bits may too; within one level every result is the same for any thread count (reduce.cc
// cuts work by shape only). argmax / argmin runs use GCC vector extensions of the unit's native
// width (plain loops left their lanes in memory); their result is exact, so it does not depend on
// the lane layout.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include "../common.h"
#include "vmath.h"

namespace red_detail {

constexpr int kAccLanes = 16;       // double accumulators of the run loops
constexpr ptrdiff_t kRowUnroll = 4; // rows folded per pass over the accumulators in cols loops

#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
#elif defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif
template <typename T>
struct NativeVec {
  typedef T type __attribute__((vector_size(kVecBytes)));
};

// exp(d) for d <= 0 (the terms of a log-sum-exp, d = x - max): Cephes' rational approximation
// (within 1.5 ulp of exp), branch-free so it vectorizes. Results below exp(-708) ~ 3e-308 are
// flushed to 0, which a sum that holds exp(0) = 1 cannot see; d = -inf gives 0. (NaN d, from a
// NaN or infinite maximum, gives an unspecified value: reduce.cc returns the maximum then.)
TG_VM_INLINE double exp_nonpos(double d) {
  const double t = d > -708.0 ? d : -708.0;
  const double magic = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  const double v = t * 1.4426950408889634074 + magic;
  const int64_t n = int64_t(vm_bit_cast<uint64_t>(v) - vm_bit_cast<uint64_t>(magic));
  const double nf = v - magic;
  double r = t - nf * 6.93145751953125e-1;
  r = r - nf * 1.42860682030941723212e-6;
  const double rr = r * r;
  const double p = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr +
                        9.99999999999999999910e-1);
  const double q = ((3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr +
                    2.27265548208155028766e-1) * rr + 2.00000000000000000009e0;
  const double e = (1.0 + 2.0 * (p / (q - p))) * vm_bit_cast<double>(uint64_t(n + 1023) << 52);
  return d > -708.0 ? e : 0.0;
}

TG_VM_INLINE double identity(int kind) {
  switch (kind) {
    case RK_PROD: return 1.0;
    case RK_MAX: return -INFINITY;
    case RK_MIN:
    case RK_ABSMIN: return INFINITY;
    default: return 0.0;  // sums, counts, and ABSMAX (|x| >= 0)
  }
}

// One step of a double-accumulated kind: acc combined with element v (c: centre or power).
template <int K>
TG_VM_INLINE double step(double acc, double v, double c) {
  if constexpr (K == RK_SUM) return acc + v;
  if constexpr (K == RK_SUMSQ) return acc + (v - c) * (v - c);
  if constexpr (K == RK_ABSSUM) return acc + std::fabs(v);
  if constexpr (K == RK_NONZERO) return acc + (v != 0.0 ? 1.0 : 0.0);  // NaN counts, as PyTorch
  if constexpr (K == RK_POW) return acc + std::pow(std::fabs(v), c);
  if constexpr (K == RK_PROD) return acc * v;
  if constexpr (K == RK_SUMEXP) return acc + exp_nonpos(v - c);
  return acc;
}

// Max / min that propagate NaN (PyTorch): a NaN in either argument wins. (Written as a compare
// and a NaN select, which vectorizes better than one compare with ||.)
template <int K, typename T>
TG_VM_INLINE T extremum(T a, T v) {
  constexpr bool kMax = K == RK_MAX || K == RK_ABSMAX;
  const T m = (kMax ? v > a : v < a) ? v : a;  // keeps a when a is NaN
  return v != v ? v : m;
}

template <int K>
constexpr bool is_extremum() {
  return K == RK_MAX || K == RK_MIN || K == RK_ABSMAX || K == RK_ABSMIN;
}

// Merges two partial results of the same kind (sums add, products multiply).
template <int K, typename A>
TG_VM_INLINE A merge(A a, A b) {
  if constexpr (K == RK_PROD) return a * b;
  else if constexpr (is_extremum<K>()) return extremum<K>(a, b);
  else return a + b;
}

// a[i] = merge(a[i], b[i]) for i < n, the kind's switch outside the loops.
TG_VM_INLINE void merge_arrays(int kind, double* a, const double* b, ptrdiff_t n) {
  switch (kind) {
#define TG_CASE(K) case K: for (ptrdiff_t i = 0; i < n; ++i) a[i] = merge<K>(a[i], b[i]); return;
    TG_CASE(RK_PROD) TG_CASE(RK_MAX) TG_CASE(RK_MIN) TG_CASE(RK_ABSMAX) TG_CASE(RK_ABSMIN)
#undef TG_CASE
    default:
      for (ptrdiff_t i = 0; i < n; ++i) a[i] = merge<RK_SUM>(a[i], b[i]);
  }
}

// f(std::integral_constant<int, w>) for w = W, W / 2, ..., 1.
template <int W, typename F>
TG_VM_INLINE void for_halvings(F&& f) {
  if constexpr (W >= 1) {
    f(std::integral_constant<int, W>{});
    for_halvings<W / 2>(f);
  }
}

// v with its lanes rotated by W (lane l takes lane l + W), for GCC and clang alike (clang has no
// __builtin_shuffle; its __builtin_shufflevector takes the lane indices as constants).
// VI: the integer vector type of V's lane width (GCC's shuffle mask).
template <int W, typename VI, typename V, int... L>
TG_VM_INLINE V rotate_lanes(V v, std::integer_sequence<int, L...>) {
#if defined(__clang__)
  return __builtin_shufflevector(v, v, ((L + W) % int(sizeof...(L)))...);
#else
  return __builtin_shuffle(v, VI{((L + W) % int(sizeof...(L)))...});
#endif
}
template <int W, int N, typename VI, typename V>
TG_VM_INLINE V rotate_lanes(V v) {
  return rotate_lanes<W, VI>(v, std::make_integer_sequence<int, N>{});
}

// a[0] = a[0] op a[1] op ... op a[2W - 1], pairwise (unrolled: a loop here kept the lanes in memory).
template <int K, int W, typename A>
TG_VM_INLINE void fold_lanes(A* a) {
  for (int k = 0; k < W; ++k) a[k] = merge<K>(a[k], a[k + W]);
  if constexpr (W > 1) fold_lanes<K, W / 2>(a);
}

// The sum of a contiguous float32 run of n floats, n a multiple of kF32Chunk (see the top of
// the file): kF32Acc double vectors of at most 256 bits accumulate, each adding kWLanes
// converted floats a step. (512-bit converts ran slower: on Intel cores they leave port 1 idle.)
constexpr int kWBytes = kVecBytes > 32 ? 32 : kVecBytes;
constexpr int kF32Acc = kVecBytes > 32 ? 16 : 8;  // 16 of 32 registers, or 8 of 16
constexpr int kWLanes = kWBytes / 8;
constexpr ptrdiff_t kF32Chunk = kF32Acc * kWLanes;
typedef double VecW __attribute__((vector_size(kWBytes)));

// Adds the 2 * kWLanes floats at p to a (the first half) and b, converted to double. Intrinsics
// on x86: GCC 12 lowers __builtin_convertvector of 8 or 4 floats to narrower converts plus inserts.
TG_VM_INLINE void add_widened(VecW& a, VecW& b, const float* p) {
#if defined(__AVX__)
  a += _mm256_cvtps_pd(_mm_loadu_ps(p));
  b += _mm256_cvtps_pd(_mm_loadu_ps(p + 4));
#elif defined(__SSE2__)
  const __m128 v = _mm_loadu_ps(p);
  a += _mm_cvtps_pd(v);
  b += _mm_cvtps_pd(_mm_movehl_ps(v, v));
#else
  typedef float VH __attribute__((vector_size(kWBytes / 2)));
  VH h[2];
  std::memcpy(h, p, sizeof h);
  a += __builtin_convertvector(h[0], VecW);
  b += __builtin_convertvector(h[1], VecW);
#endif
}

TG_VM_INLINE double sum_f32_vec(const float* x, ptrdiff_t n) {
  VecW d[kF32Acc];
  for (int u = 0; u < kF32Acc; ++u) d[u] = VecW{};
  for (ptrdiff_t i = 0; i < n; i += kF32Chunk) {
    for (int u = 0; u < kF32Acc; u += 2) add_widened(d[u], d[u + 1], x + i + u * kWLanes);
  }
  for (int w = kF32Acc / 2; w > 0; w /= 2) {
    for (int u = 0; u < w; ++u) d[u] += d[u + w];
  }
  typedef int64_t VecWI __attribute__((vector_size(kWBytes)));
  for_halvings<kWLanes / 2>([&](auto w) { d[0] += rotate_lanes<decltype(w)::value, kWLanes, VecWI>(d[0]); });
  return d[0][0];
}

template <typename T, int K>
static double run_sum_double(const T* x, ptrdiff_t xs, ptrdiff_t n, double c) {
  const double id = identity(K);
  double acc = id;
  ptrdiff_t i = 0;
  if (xs == 1 && n >= kAccLanes) {
    double a[kAccLanes];
    for (int k = 0; k < kAccLanes; ++k) a[k] = id;
    for (; i + kAccLanes <= n; i += kAccLanes) {
      for (int k = 0; k < kAccLanes; ++k) a[k] = step<K>(a[k], double(x[i + k]), c);
    }
    fold_lanes<K, kAccLanes / 2>(a);
    acc = a[0];
  }
  for (; i < n; ++i) acc = step<K>(acc, double(x[i * xs]), c);
  return acc;
}

template <typename T, int K>
static double run_sum_like(const T* x, ptrdiff_t xs, ptrdiff_t n, double c) {
  if constexpr (std::is_same_v<T, float> && K == RK_SUM) {
    if (xs == 1 && n >= kF32Chunk) {
      const ptrdiff_t head = n - n % kF32Chunk;
      return sum_f32_vec(x, head) + run_sum_double<T, K>(x + head, 1, n - head, c);
    }
  }
  return run_sum_double<T, K>(x, xs, n, c);
}

// Max / min (of x or |x|) in T: exact. Accumulators are GCC vectors of the unit's native width, so
// that they stay in registers (plain loops over lane arrays kept them on the stack, which cost
// more per row than the row itself at 1024 columns). The compare-and-select is exactly maxps /
// minps (a NaN is never selected); a running sum of the elements, one add a vector (a NaN flag
// cost a compare, a mask move and an or), turns NaN if and only if there is a NaN or there are
// infinities of both signs, and then the run is scanned again with the exact scalar loop.
template <typename T, int K>
static double run_extremum(const T* x, ptrdiff_t xs, ptrdiff_t n) {
  using namespace red_detail;
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  using V = typename NativeVec<T>::type;
  using VI = typename NativeVec<I>::type;
  constexpr bool kAbs = K == RK_ABSMAX || K == RK_ABSMIN;
  constexpr bool kMax = K == RK_MAX || K == RK_ABSMAX;
  constexpr int NL = kVecBytes / int(sizeof(T)), U = 4;
  T acc = T(identity(K));
  ptrdiff_t i = 0;
  if (xs == 1 && n >= U * NL) {
    V a[U], sum[U];
    for (int u = 0; u < U; ++u) {
      for (int l = 0; l < NL; ++l) a[u][l] = acc;
      sum[u] = V{};
    }
    const VI magnitude = VI{} + (std::numeric_limits<I>::max)();  // every bit but the sign
    for (; i + U * NL <= n; i += U * NL) {
      for (int u = 0; u < U; ++u) {
        V v;
        std::memcpy(&v, x + i + u * NL, sizeof v);
        if constexpr (kAbs) v = (V)((VI)v & magnitude);
        a[u] = (kMax ? v > a[u] : v < a[u]) ? v : a[u];
        sum[u] += v;
      }
    }
    // Fold as a tree, then across lanes by shuffles (a serial chain over all the lanes cost as
    // much as a 1024-column row; lanes stored and folded as scalars still cost half of one).
    for (int u = 1; u < U; ++u) {
      a[0] = (kMax ? a[u] > a[0] : a[u] < a[0]) ? a[u] : a[0];
      sum[0] += sum[u];
    }
    for_halvings<NL / 2>([&](auto w) {
      const V b = rotate_lanes<decltype(w)::value, NL, VI>(a[0]);
      a[0] = (kMax ? b > a[0] : b < a[0]) ? b : a[0];
      sum[0] += rotate_lanes<decltype(w)::value, NL, VI>(sum[0]);
    });
    if (sum[0][0] != sum[0][0]) {
      i = 0;  // a NaN, or infinities of both signs: the exact loop below decides
    } else {
      acc = (kMax ? a[0][0] > acc : a[0][0] < acc) ? a[0][0] : acc;
    }
  }
  for (; i < n; ++i) acc = extremum<K>(acc, kAbs ? std::fabs(x[i * xs]) : x[i * xs]);
  return double(acc);
}

// Row-by-row accumulation into w columns, kRowUnroll rows per pass (each column still combines
// its rows in order, so the result does not depend on the unrolling). A (double for the sums, T
// for max / min) is the accumulator type.
template <typename T, int K, typename A>
static void cols_kind(A* acc, const T* x, ptrdiff_t rs, ptrdiff_t nrows, ptrdiff_t w,
                      const double* c) {
  constexpr bool kAbs = K == RK_ABSMAX || K == RK_ABSMIN;
  auto f = [&](A a, T xv, ptrdiff_t j) {
    if constexpr (is_extremum<K>()) return extremum<K>(a, kAbs ? std::fabs(xv) : xv);
    else return step<K>(a, double(xv), c[j]);
  };
  ptrdiff_t r = 0;
  for (; r + kRowUnroll <= nrows; r += kRowUnroll) {
    const T* x0 = x + r * rs;
    const T* x1 = x0 + rs;
    const T* x2 = x1 + rs;
    const T* x3 = x2 + rs;
    for (ptrdiff_t j = 0; j < w; ++j) acc[j] = f(f(f(f(acc[j], x0[j], j), x1[j], j), x2[j], j), x3[j], j);
  }
  for (; r < nrows; ++r) {
    const T* xr = x + r * rs;
    for (ptrdiff_t j = 0; j < w; ++j) acc[j] = f(acc[j], xr[j], j);
  }
}

// out[r] = merge(out[r], kind over x[r * rs + i * xs] for i < n), r < nrows: a batch of outputs,
// one run each (accumulated across calls when an output has several runs).
template <typename T, int K>
static void rows_kind(double* out, const T* x, ptrdiff_t rs, ptrdiff_t nrows, ptrdiff_t xs,
                      ptrdiff_t n, const double* c, double cs) {
  ptrdiff_t r = 0;
  if constexpr (!is_extremum<K>()) {
    if (n < kAccLanes) {
      // Short runs: the run loop would be one serial chain per row, so four rows advance together
      // (each still adds its elements in order: the same result as run_sum_like).
      for (; r + 4 <= nrows; r += 4) {
        double a[4], cr[4];
        for (int k = 0; k < 4; ++k) {
          a[k] = identity(K);
          cr[k] = c ? c[r + k] : cs;
        }
        const T* xr = x + r * rs;
        for (ptrdiff_t i = 0; i < n; ++i)
          for (int k = 0; k < 4; ++k) a[k] = step<K>(a[k], double(xr[k * rs + i * xs]), cr[k]);
        for (int k = 0; k < 4; ++k) out[r + k] = merge<K>(out[r + k], a[k]);
      }
    }
  }
  for (; r < nrows; ++r) {
    double v;
    if constexpr (is_extremum<K>()) v = run_extremum<T, K>(x + r * rs, xs, n);
    else v = run_sum_like<T, K>(x + r * rs, xs, n, c ? c[r] : cs);
    out[r] = merge<K>(out[r], v);
  }
}

}  // namespace red_detail

template <typename T>
static void reduce_rows(int kind, double* out, const T* x, ptrdiff_t rs, ptrdiff_t nrows,
                        ptrdiff_t xs, ptrdiff_t n, const double* c, double cs) {
  using namespace red_detail;
  switch (kind) {
#define TG_CASE(K) case K: rows_kind<T, K>(out, x, rs, nrows, xs, n, c, cs); return;
    TG_CASE(RK_SUM) TG_CASE(RK_SUMSQ) TG_CASE(RK_ABSSUM) TG_CASE(RK_NONZERO) TG_CASE(RK_POW)
    TG_CASE(RK_PROD) TG_CASE(RK_SUMEXP) TG_CASE(RK_MAX) TG_CASE(RK_MIN) TG_CASE(RK_ABSMAX)
    TG_CASE(RK_ABSMIN)
#undef TG_CASE
  }
}

template <typename T>
static void reduce_cols(int kind, double* acc, const T* x, ptrdiff_t rs, ptrdiff_t nrows,
                        ptrdiff_t w, const double* c) {
  using namespace red_detail;
  switch (kind) {
#define TG_CASE(K) case K: cols_kind<T, K>(acc, x, rs, nrows, w, c); return;
    TG_CASE(RK_SUM) TG_CASE(RK_SUMSQ) TG_CASE(RK_ABSSUM) TG_CASE(RK_NONZERO) TG_CASE(RK_POW)
    TG_CASE(RK_PROD) TG_CASE(RK_SUMEXP)
#undef TG_CASE
  }
}

template <typename T>
static void reduce_cols_ext(int kind, T* acc, const T* x, ptrdiff_t rs, ptrdiff_t nrows,
                            ptrdiff_t w) {
  using namespace red_detail;
  switch (kind) {
#define TG_CASE(K) case K: cols_kind<T, K>(acc, x, rs, nrows, w, nullptr); return;
    TG_CASE(RK_MAX) TG_CASE(RK_MIN) TG_CASE(RK_ABSMAX) TG_CASE(RK_ABSMIN)
#undef TG_CASE
  }
}

// The best value of an argmax / argmin run and its index.
struct ArgBest {
  double value;
  int64_t index;
};

// argmax / argmin of a run: the first NaN if there is one (NaN wins, as PyTorch), else the first
// of the best values. Each lane keeps its own best value and index (an integer as wide as T).
template <typename T, bool kMax>
static ArgBest arg_run_dir(const T* x, ptrdiff_t xs, ptrdiff_t n) {
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  using V = typename red_detail::NativeVec<T>::type;
  using VI = typename red_detail::NativeVec<I>::type;
  constexpr int NL = red_detail::kVecBytes / int(sizeof(T)), U = 2, W = U * NL;
  auto better = [](T v, T b) { return kMax ? v > b : v < b; };
  T best = kMax ? -INFINITY : INFINITY;
  ptrdiff_t bi = 0, i = 0;
  if (xs == 1 && n >= W) {
    V bv[U];
    VI bx[U], cur[U], bad[U];
    for (int u = 0; u < U; ++u) {
      for (int k = 0; k < NL; ++k) {
        bv[u][k] = best;
        bx[u][k] = I(u * NL + k);
        bad[u][k] = 0;
      }
      cur[u] = bx[u];
    }
    for (; i + W <= n; i += W) {
      for (int u = 0; u < U; ++u) {
        V v;
        std::memcpy(&v, x + i + u * NL, sizeof v);
        const VI take = kMax ? v > bv[u] : v < bv[u];
        bv[u] = take ? v : bv[u];
        bx[u] = take ? cur[u] : bx[u];
        bad[u] |= v != v;
        cur[u] += I(W);
      }
    }
    bool nan = false;
    for (int u = 0; u < U; ++u) {
      for (int k = 0; k < NL; ++k) nan |= bad[u][k] != 0;
    }
    if (nan) {
      for (ptrdiff_t j = 0;; ++j) {
        if (x[j] != x[j]) return {double(x[j]), int64_t(j)};
      }
    }
    // lanes hold disjoint index sets: ties between lanes go to the lower index
    best = bv[0][0];
    bi = ptrdiff_t(bx[0][0]);
    for (int u = 0; u < U; ++u) {
      for (int k = 0; k < NL; ++k) {
        const T v = bv[u][k];
        const ptrdiff_t vi = ptrdiff_t(bx[u][k]);
        if (better(v, best) || (v == best && vi < bi)) {
          best = v;
          bi = vi;
        }
      }
    }
  }
  for (; i < n; ++i) {
    const T v = x[i * xs];
    if (v != v) return {double(v), int64_t(i)};
    if (better(v, best)) {
      best = v;
      bi = i;
    }
  }
  return {double(best), int64_t(bi)};
}

// Per run r < nrows (x + r * rs, n elements xs apart, indices i0 + i): val[r], idx[r] take the
// run's best when it is better, or its first NaN while they hold no NaN (runs come in index order).
template <typename T>
static void reduce_arg_rows(bool is_max, double* val, int64_t* idx, const T* x, ptrdiff_t rs,
                            ptrdiff_t nrows, ptrdiff_t xs, ptrdiff_t n, int64_t i0) {
  for (ptrdiff_t r = 0; r < nrows; ++r) {
    const ArgBest b = is_max ? arg_run_dir<T, true>(x + r * rs, xs, n) : arg_run_dir<T, false>(x + r * rs, xs, n);
    const double a = val[r];
    if ((is_max ? b.value > a : b.value < a) || (b.value != b.value && a == a)) {
      val[r] = b.value;
      idx[r] = i0 + b.index;
    }
  }
}

// Per column j < w: val[j] / idx[j] take row r (index r0 + r) when it is better, or NaN while
// the column holds no NaN yet; rows in order, so ties keep the first.
template <typename T, bool kMax>
static void arg_cols_dir(T* val, int32_t* idx, const T* x, ptrdiff_t rs, ptrdiff_t nrows,
                         ptrdiff_t w, int32_t r0) {
  for (ptrdiff_t r = 0; r < nrows; ++r) {
    const T* xr = x + r * rs;
    const int32_t ri = r0 + int32_t(r);
    for (ptrdiff_t j = 0; j < w; ++j) {
      const T v = xr[j];
      const T b = val[j];
      const bool take = (kMax ? v > b : v < b) | ((v != v) & (b == b));
      val[j] = take ? v : b;
      idx[j] = take ? ri : idx[j];
    }
  }
}

template <typename T>
static void reduce_arg_cols(bool is_max, T* val, int32_t* idx, const T* x, ptrdiff_t rs,
                            ptrdiff_t nrows, ptrdiff_t w, int32_t r0) {
  if (is_max) arg_cols_dir<T, true>(val, idx, x, rs, nrows, w, r0);
  else arg_cols_dir<T, false>(val, idx, x, rs, nrows, w, r0);
}
