// NEON micro-kernel for arm64 (the baseline unit there: Advanced SIMD is part of ARMv8-A).
// Tiles sized to the 32 128-bit registers: float 8x12 (24 accumulators + 2 vectors of A + 3 of B),
// double 8x6 (24 + 4 + 3). Each k step broadcasts A by lane (fmla v.4s, v.4s, v.s[i]), so A needs
// no dup. Packing and cache blocking are the portable ones (gemm_detail); edge tiles compute the
// full tile from the zero-padded panels and go through a small buffer, with the same arithmetic as
// full tiles. Included by gemm.h inside the unit's namespace; <arm_neon.h> comes from the prelude.
#pragma once

namespace gemm_neon {

#define TG_INLINE inline __attribute__((always_inline))

template <typename T> struct Vec;
template <> struct Vec<float> {
  typedef float32x4_t V;
  static constexpr int L = 4;
  static TG_INLINE V load(const float* p) { return vld1q_f32(p); }
  static TG_INLINE void store(float* p, V x) { vst1q_f32(p, x); }
  static TG_INLINE V zero() { return vdupq_n_f32(0.0f); }
  // acc + b * a[LANE]
  template <int LANE>
  static TG_INLINE V fma_lane(V acc, V b, V a) { return vfmaq_laneq_f32(acc, b, a, LANE); }
  static TG_INLINE V mul_n(V x, float s) { return vmulq_n_f32(x, s); }
  // acc + x * s
  static TG_INLINE V fma_n(V acc, V x, float s) { return vfmaq_n_f32(acc, x, s); }
};
template <> struct Vec<double> {
  typedef float64x2_t V;
  static constexpr int L = 2;
  static TG_INLINE V load(const double* p) { return vld1q_f64(p); }
  static TG_INLINE void store(double* p, V x) { vst1q_f64(p, x); }
  static TG_INLINE V zero() { return vdupq_n_f64(0.0); }
  template <int LANE>
  static TG_INLINE V fma_lane(V acc, V b, V a) { return vfmaq_laneq_f64(acc, b, a, LANE); }
  static TG_INLINE V mul_n(V x, double s) { return vmulq_n_f64(x, s); }
  static TG_INLINE V fma_n(V acc, V x, double s) { return vfmaq_n_f64(acc, x, s); }
};

// The tiles this kernel is written for.
template <typename T, int MR, int NR>
struct has_kernel {
  static constexpr bool value = MR == 8 && NR == (sizeof(T) == 4 ? 12 : 6);
};

// Row I of the tile: acc[I][v] += A[I] * B[v] for the NV vectors of B; the lane index must be a
// compile-time constant, hence one instantiation per row.
template <typename T, int NV, int I>
static TG_INLINE void fma_row(typename Vec<T>::V (&acc)[NV], const typename Vec<T>::V* av,
                              const typename Vec<T>::V* bv) {
  constexpr int L = Vec<T>::L;
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) acc[v] = Vec<T>::template fma_lane<I % L>(acc[v], bv[v], av[I / L]);
}
template <typename T, int MR, int NV, int... I>
static TG_INLINE void fma_rows(typename Vec<T>::V (&acc)[MR][NV], const typename Vec<T>::V* av,
                               const typename Vec<T>::V* bv, std::integer_sequence<int, I...>) {
  (fma_row<T, NV, I>(acc[I], av, bv), ...);
}

// C[0:mr, 0:nr] = alpha * A·B + beta * C (C not read when beta == 0) for one MR x NR tile of
// packed panels a[p * MR + i], b[p * NR + j] over kc steps.
template <typename T, int MR, int NR>
static void tile(ptrdiff_t kc, const T* __restrict a, const T* __restrict b, T* c, ptrdiff_t rsc,
                 T alpha, T beta, ptrdiff_t mr, ptrdiff_t nr) {
  typedef Vec<T> W;
  typedef typename W::V V;
  constexpr int L = W::L, NA = MR / L, NV = NR / L;
  static_assert(MR % L == 0 && NR % L == 0, "whole vectors");
  V acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = W::zero();
  for (ptrdiff_t p = 0; p < kc; ++p) {
    V av[NA], bv[NV];
#pragma GCC unroll 4
    for (int q = 0; q < NA; ++q) av[q] = W::load(a + q * L);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = W::load(b + v * L);
    fma_rows<T, MR, NV>(acc, av, bv, std::make_integer_sequence<int, MR>());
    a += MR;
    b += NR;
  }
  const bool full = nr == NR;
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
    T* crow = c + i * rsc;
    alignas(16) T edge[NR];
    T* dst = crow;
    if (!full) {  // through a buffer: the same vector arithmetic, nr values read and written
      dst = edge;
      for (ptrdiff_t j = 0; j < NR; ++j) edge[j] = beta != T(0) && j < nr ? crow[j] : T(0);
    }
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      V r = W::mul_n(acc[i][v], alpha);
      if (beta != T(0)) r = W::fma_n(r, W::load(dst + v * L), beta);
      W::store(dst + v * L, r);
    }
    if (!full)
      for (ptrdiff_t j = 0; j < nr; ++j) crow[j] = edge[j];
  }
}

// Blocked, packed GEMM with this kernel (m, n, k > 0 and alpha != 0 are checked by the caller).
template <typename T, int MR, int NR>
static void gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a, ptrdiff_t rsa,
                 ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb, T beta, T* c,
                 ptrdiff_t rsc) {
  gemm_detail::gemm_packed_tiles<T, MR, NR>(
      m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc,
      [&](ptrdiff_t kc, const T* ap, const T* bp, T* cp, T bet, ptrdiff_t mr, ptrdiff_t nr) {
        tile<T, MR, NR>(kc, ap, bp, cp, rsc, alpha, bet, mr, nr);
      });
}
#undef TG_INLINE
}  // namespace gemm_neon
