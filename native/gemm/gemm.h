// Packed, cache-blocked GEMM: C = alpha * A·B + beta * C. A and B take any row/column strides,
// so transposed operands are handled by packing without a transposed copy. C has unit column
// stride; beta == 0 never reads C (NaN in C is ignored).
//
// Templated on the register tile (MR x NR); each ISA unit picks a tile that fits its registers.
// This header is included inside each ISA unit's namespace, after isa_prelude.h has included the
// standard headers at global scope: it must not include any header that the prelude has not
// (isa_prelude.h includes <immintrin.h> at global scope on x86).
//
// - Portable path (x86 baseline unit, other architectures): plain C++ micro-kernel relying on
//   auto-vectorisation.
// - NEON path (arm64 baseline unit, tile 8x12 for float or 8x6 for double): gemm_neon.h, an
//   explicit lane-broadcast FMA micro-kernel on the portable packing and blocking.
// - SIMD path (namespace gemm_simd), in the AVX2+FMA unit (tile 6x16 float / 6x8 double, YMM)
//   and the AVX-512 unit (tile 12x32 float / 12x16 double, ZMM): an explicit FMA micro-kernel
//   of MR x 2 vectors (12 or 24 accumulators), edge tiles through masked loads/stores (the same
//   arithmetic as full tiles), packing through 256-bit register transposes, and a direct path
//   for small problems that skips packing A (and B when it is row-major).
//
// The result depends only on (m, n, k), the operands and their strides, never on the thread
// count: the caller (kernels/linalg.cc) splits M and N into fixed blocks, never K.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gemm_detail {
constexpr ptrdiff_t KC = 256;
constexpr ptrdiff_t MC = 144;
constexpr ptrdiff_t NC = 2048;

// 64-byte aligned view of a growable thread-local buffer holding at least n elements.
template <typename T>
static inline T* aligned_buffer(std::vector<T>& v, ptrdiff_t n) {
  const size_t need = size_t(n) + 64 / sizeof(T);
  if (v.size() < need) v.resize(need);
  const uintptr_t p = (reinterpret_cast<uintptr_t>(v.data()) + 63) & ~uintptr_t(63);
  return reinterpret_cast<T*>(p);
}

// C = beta * C (beta == 0 writes zeros without reading C): the k == 0 or alpha == 0 case.
template <typename T>
static void scale_c(ptrdiff_t m, ptrdiff_t n, T beta, T* c, ptrdiff_t rsc) {
  for (ptrdiff_t i = 0; i < m; ++i) {
    T* crow = c + i * rsc;
    if (beta == T(0)) {
      for (ptrdiff_t j = 0; j < n; ++j) crow[j] = T(0);
    } else {
      for (ptrdiff_t j = 0; j < n; ++j) crow[j] = beta * crow[j];
    }
  }
}

// A block (mc x kc) into MR-row micro-panels: out[panel][p][i], rows past mc zero.
template <typename T, int MR>
static void pack_a(const T* a, ptrdiff_t rsa, ptrdiff_t csa, ptrdiff_t mc, ptrdiff_t kc, T* out) {
  for (ptrdiff_t i0 = 0; i0 < mc; i0 += MR) {
    const ptrdiff_t mr = std::min<ptrdiff_t>(MR, mc - i0);
    const T* ap = a + i0 * rsa;
    if (mr == MR && csa == 1) {
      // Row-major A: MR sequential row streams.
      const T* rows[MR];
      for (int i = 0; i < MR; ++i) rows[i] = ap + i * rsa;
      for (ptrdiff_t p = 0; p < kc; ++p) {
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) out[i] = rows[i][p];
        out += MR;
      }
    } else if (mr == MR && rsa == 1) {
      // Column-major (transposed) A: each k step is MR contiguous values.
      for (ptrdiff_t p = 0; p < kc; ++p) {
        const T* col = ap + p * csa;
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) out[i] = col[i];
        out += MR;
      }
    } else {
      for (ptrdiff_t p = 0; p < kc; ++p) {
        for (ptrdiff_t i = 0; i < mr; ++i) out[i] = ap[i * rsa + p * csa];
        for (ptrdiff_t i = mr; i < MR; ++i) out[i] = T(0);
        out += MR;
      }
    }
  }
}

// B block (kc x nc) into NR-column micro-panels: out[panel][p][j], columns past nc zero.
template <typename T, int NR>
static void pack_b(const T* b, ptrdiff_t rsb, ptrdiff_t csb, ptrdiff_t kc, ptrdiff_t nc, T* out) {
  ptrdiff_t j0 = 0;
  if (csb == 1 && nc >= NR) {
    // Row-major B: read each row of the block sequentially (the hardware prefetcher follows it;
    // walking one panel at a time would touch a new page every k step) and deal its NR-runs out
    // to the panels.
    const ptrdiff_t full = nc / NR;
    constexpr ptrdiff_t PB = 8;
    for (ptrdiff_t p0 = 0; p0 < kc; p0 += PB) {
      const ptrdiff_t pe = std::min(PB, kc - p0);
      const T* row = b + p0 * rsb;
      T* o = out + p0 * NR;
      for (ptrdiff_t q = 0; q < full; ++q) {
        for (ptrdiff_t p = 0; p < pe; ++p) {
#pragma GCC unroll 16
          for (int j = 0; j < NR; ++j) o[p * NR + j] = row[p * rsb + j];
        }
        row += NR;
        o += kc * NR;
      }
    }
    j0 = full * NR;
    out += full * kc * NR;
  }
  for (; j0 < nc; j0 += NR) {
    const ptrdiff_t nr = std::min<ptrdiff_t>(NR, nc - j0);
    const T* bp = b + j0 * csb;
    if (rsb == 1) {
      // Column-major (transposed, x @ W.T) B: nr contiguous column streams, transposed in
      // chunks of 16 k steps so the reads stay sequential and the writes stay in L1.
      constexpr ptrdiff_t PB = 16;
      for (ptrdiff_t p0 = 0; p0 < kc; p0 += PB) {
        const ptrdiff_t pe = std::min(PB, kc - p0);
        T* o = out + p0 * NR;
        for (ptrdiff_t j = 0; j < nr; ++j) {
          const T* col = bp + j * csb + p0;
          for (ptrdiff_t p = 0; p < pe; ++p) o[p * NR + j] = col[p];
        }
        for (ptrdiff_t j = nr; j < NR; ++j)
          for (ptrdiff_t p = 0; p < pe; ++p) o[p * NR + j] = T(0);
      }
      out += kc * NR;
    } else {
      for (ptrdiff_t p = 0; p < kc; ++p) {
        const T* row = bp + p * rsb;
        for (ptrdiff_t j = 0; j < nr; ++j) out[j] = row[j * csb];
        for (ptrdiff_t j = nr; j < NR; ++j) out[j] = T(0);
        out += NR;
      }
    }
  }
}

template <typename T, int MR, int NR>
static inline void micro_kernel(ptrdiff_t kc, const T* __restrict ap, const T* __restrict bp,
                                T acc[MR][NR]) {
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = T(0);
  for (ptrdiff_t p = 0; p < kc; ++p) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const T ai = ap[i];
#pragma GCC unroll 16
      for (int j = 0; j < NR; ++j) acc[i][j] += ai * bp[j];
    }
    ap += MR;
    bp += NR;
  }
}

// The blocked loop nest shared by every path that packs both operands: column blocks of NC, k
// blocks of KC (B packed), row blocks of MC (A packed), then MR x NR tiles handed to
// tile(kc, packed A, packed B, c, beta for this k block, rows, cols). The caller sizes the buffers.
template <typename T, int MR, int NR, ptrdiff_t MC, ptrdiff_t NC, ptrdiff_t KC, typename PackA,
          typename PackB, typename Tile>
static inline void block_loops(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const T* a, ptrdiff_t rsa,
                               ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb, T beta, T* c,
                               ptrdiff_t rsc, T* abuf, T* bbuf, PackA&& pack_a, PackB&& pack_b,
                               Tile&& tile) {
  for (ptrdiff_t jc = 0; jc < n; jc += NC) {
    const ptrdiff_t nc = std::min(NC, n - jc);
    for (ptrdiff_t pc = 0; pc < k; pc += KC) {
      const ptrdiff_t kc = std::min(KC, k - pc);
      const T bet = pc == 0 ? beta : T(1);
      pack_b(b + pc * rsb + jc * csb, rsb, csb, kc, nc, bbuf);
      for (ptrdiff_t ic = 0; ic < m; ic += MC) {
        const ptrdiff_t mc = std::min(MC, m - ic);
        pack_a(a + ic * rsa + pc * csa, rsa, csa, mc, kc, abuf);
        for (ptrdiff_t jr = 0; jr < nc; jr += NR) {
          const ptrdiff_t nr = std::min<ptrdiff_t>(NR, nc - jr);
          for (ptrdiff_t ir = 0; ir < mc; ir += MR) {
            tile(kc, abuf + ir * kc, bbuf + jr * kc, c + (ic + ir) * rsc + jc + jr, bet,
                 std::min<ptrdiff_t>(MR, mc - ir), nr);
          }
        }
      }
    }
  }
}

// Both operands packed, then tile(kc, packed A, packed B, c, beta, rows, cols) for every MR x NR
// tile (m, n, k > 0 are checked by the caller).
template <typename T, int MR, int NR, typename Tile>
static void gemm_packed_tiles(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const T* a, ptrdiff_t rsa,
                              ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb, T beta, T* c,
                              ptrdiff_t rsc, Tile&& tile) {
  thread_local std::vector<T> abuf_store, bbuf_store;
  const ptrdiff_t ncap = std::min(NC, (n + NR - 1) / NR * NR);
  const ptrdiff_t kcap = std::min(KC, k);
  const ptrdiff_t mcap = std::min(MC, (m + MR - 1) / MR * MR);
  T* bbuf = aligned_buffer(bbuf_store, kcap * ncap);
  T* abuf = aligned_buffer(abuf_store, kcap * mcap);
  block_loops<T, MR, NR, MC, NC, KC>(m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc, abuf, bbuf,
                                     pack_a<T, MR>, pack_b<T, NR>, tile);
}

// Portable blocked GEMM (m, n, k > 0 and alpha != 0 are checked by the caller).
template <typename T, int MR, int NR>
static void gemm_portable(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a,
                          ptrdiff_t rsa, ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb,
                          T beta, T* c, ptrdiff_t rsc) {
  gemm_packed_tiles<T, MR, NR>(
      m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc,
      [&](ptrdiff_t kc, const T* ap, const T* bp, T* cp, T bet, ptrdiff_t mr, ptrdiff_t nr) {
        alignas(64) T acc[MR][NR];
        micro_kernel<T, MR, NR>(kc, ap, bp, acc);
        for (ptrdiff_t i = 0; i < mr; ++i) {
          T* crow = cp + i * rsc;
          if (bet == T(0)) {
            for (ptrdiff_t j = 0; j < nr; ++j) crow[j] = alpha * acc[i][j];
          } else {
            for (ptrdiff_t j = 0; j < nr; ++j) crow[j] = alpha * acc[i][j] + bet * crow[j];
          }
        }
      });
}
}  // namespace gemm_detail

#if defined(__AVX2__) && defined(__FMA__)
#define TG_GEMM_SIMD 1
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define TG_GEMM_SHUFFLE 1
#endif
#endif
namespace gemm_simd {
using gemm_detail::aligned_buffer;

typedef float v8f __attribute__((vector_size(32)));
typedef float v8f_u __attribute__((vector_size(32), aligned(4), may_alias));
typedef int v8i __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));
typedef double v4d_u __attribute__((vector_size(32), aligned(8), may_alias));
typedef long long v4l __attribute__((vector_size(32)));

#define TG_INLINE inline __attribute__((always_inline))

// Software prefetches as asm: GCC 12 deletes __builtin_prefetch loops as dead code in places.
static TG_INLINE void prefetch_l1(const void* p) { __asm__ volatile("prefetcht0 (%0)" : : "r"(p)); }
static TG_INLINE void prefetch_l2(const void* p) { __asm__ volatile("prefetcht1 (%0)" : : "r"(p)); }

// 256-bit vectors: the AVX2 unit's compute vector, and every unit's packing transposes.
template <typename T> struct Vec256;
template <> struct Vec256<float> {
  typedef v8f V;
  typedef v8i M;
  static constexpr int L = 8;
  static TG_INLINE V load(const float* p) { return *reinterpret_cast<const v8f_u*>(p); }
  static TG_INLINE void store(float* p, V x) { *reinterpret_cast<v8f_u*>(p) = x; }
  static TG_INLINE V set1(float x) { return V{x, x, x, x, x, x, x, x}; }
  static TG_INLINE V fma(V a, V b, V c) { return __builtin_ia32_vfmaddps256(a, b, c); }
  // Lanes [0, n) set; n may be <= 0 (none) or >= L (all).
  static TG_INLINE M mask(ptrdiff_t n) {
    const int k = int(std::max<ptrdiff_t>(0, std::min<ptrdiff_t>(L, n)));
    const M iota = {0, 1, 2, 3, 4, 5, 6, 7};
    const M kk = {k, k, k, k, k, k, k, k};
    return iota < kk;
  }
  static TG_INLINE V maskload(const float* p, M m) {
    return __builtin_ia32_maskloadps256(reinterpret_cast<const v8f*>(p), m);
  }
  static TG_INLINE void maskstore(float* p, M m, V x) {
    __builtin_ia32_maskstoreps256(reinterpret_cast<v8f*>(p), m, x);
  }
#ifdef TG_GEMM_SHUFFLE
  // o[q][j] = r[j][q] for q, j < 8.
  static TG_INLINE void transpose8(const V r[8], V o[8]) {
    const V t0 = __builtin_shufflevector(r[0], r[1], 0, 8, 1, 9, 4, 12, 5, 13);
    const V t1 = __builtin_shufflevector(r[0], r[1], 2, 10, 3, 11, 6, 14, 7, 15);
    const V t2 = __builtin_shufflevector(r[2], r[3], 0, 8, 1, 9, 4, 12, 5, 13);
    const V t3 = __builtin_shufflevector(r[2], r[3], 2, 10, 3, 11, 6, 14, 7, 15);
    const V t4 = __builtin_shufflevector(r[4], r[5], 0, 8, 1, 9, 4, 12, 5, 13);
    const V t5 = __builtin_shufflevector(r[4], r[5], 2, 10, 3, 11, 6, 14, 7, 15);
    const V t6 = __builtin_shufflevector(r[6], r[7], 0, 8, 1, 9, 4, 12, 5, 13);
    const V t7 = __builtin_shufflevector(r[6], r[7], 2, 10, 3, 11, 6, 14, 7, 15);
    const V u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    const V u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    const V u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    const V u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    const V u4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
    const V u5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    const V u6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
    const V u7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    o[0] = __builtin_shufflevector(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11);
    o[1] = __builtin_shufflevector(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11);
    o[2] = __builtin_shufflevector(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11);
    o[3] = __builtin_shufflevector(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11);
    o[4] = __builtin_shufflevector(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);
    o[5] = __builtin_shufflevector(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);
    o[6] = __builtin_shufflevector(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);
    o[7] = __builtin_shufflevector(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);
  }
  static TG_INLINE void transposeL(const V r[8], V o[8]) { transpose8(r, o); }
  // out[q * os + j] = src[j * ss + q] for q, j < 8.
  static TG_INLINE void transpose(const float* src, ptrdiff_t ss, float* out, ptrdiff_t os) {
    V r[8], o[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) r[j] = load(src + j * ss);
    transpose8(r, o);
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) store(out + q * os, o[q]);
  }
#endif
};
template <> struct Vec256<double> {
  typedef v4d V;
  typedef v4l M;
  static constexpr int L = 4;
  static TG_INLINE V load(const double* p) { return *reinterpret_cast<const v4d_u*>(p); }
  static TG_INLINE void store(double* p, V x) { *reinterpret_cast<v4d_u*>(p) = x; }
  static TG_INLINE V set1(double x) { return V{x, x, x, x}; }
  static TG_INLINE V fma(V a, V b, V c) { return __builtin_ia32_vfmaddpd256(a, b, c); }
  static TG_INLINE M mask(ptrdiff_t n) {
    const long long k = std::max<ptrdiff_t>(0, std::min<ptrdiff_t>(L, n));
    const M iota = {0, 1, 2, 3};
    const M kk = {k, k, k, k};
    return iota < kk;
  }
  static TG_INLINE V maskload(const double* p, M m) {
    return __builtin_ia32_maskloadpd256(reinterpret_cast<const v4d*>(p), m);
  }
  static TG_INLINE void maskstore(double* p, M m, V x) {
    __builtin_ia32_maskstorepd256(reinterpret_cast<v4d*>(p), m, x);
  }
#ifdef TG_GEMM_SHUFFLE
  // o[q][j] = r[j][q] for q, j < 4.
  static TG_INLINE void transpose4(V r0, V r1, V r2, V r3, V o[4]) {
    const V t0 = __builtin_shufflevector(r0, r1, 0, 4, 2, 6);
    const V t1 = __builtin_shufflevector(r0, r1, 1, 5, 3, 7);
    const V t2 = __builtin_shufflevector(r2, r3, 0, 4, 2, 6);
    const V t3 = __builtin_shufflevector(r2, r3, 1, 5, 3, 7);
    o[0] = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
    o[1] = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
    o[2] = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
    o[3] = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
  }
  static TG_INLINE void transposeL(const V r[4], V o[4]) { transpose4(r[0], r[1], r[2], r[3], o); }
  // out[q * os + j] = src[j * ss + q] for q, j < 4.
  static TG_INLINE void transpose(const double* src, ptrdiff_t ss, double* out, ptrdiff_t os) {
    V o[4];
    transpose4(load(src), load(src + ss), load(src + 2 * ss), load(src + 3 * ss), o);
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) store(out + q * os, o[q]);
  }
#endif
};

#ifdef __AVX512F__
// 512-bit vectors with opmask edges (the AVX-512 unit's compute vector).
template <typename T> struct Vec512;
template <> struct Vec512<float> {
  typedef __m512 V;
  typedef __mmask16 M;
  static constexpr int L = 16;
  static TG_INLINE V load(const float* p) { return _mm512_loadu_ps(p); }
  static TG_INLINE void store(float* p, V x) { _mm512_storeu_ps(p, x); }
  static TG_INLINE V set1(float x) { return _mm512_set1_ps(x); }
  static TG_INLINE V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static TG_INLINE M mask(ptrdiff_t n) {
    return n <= 0 ? M(0) : n >= L ? M(0xffff) : M((1u << n) - 1);
  }
  static TG_INLINE V maskload(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static TG_INLINE void maskstore(float* p, M m, V x) { _mm512_mask_storeu_ps(p, m, x); }
};
template <> struct Vec512<double> {
  typedef __m512d V;
  typedef __mmask8 M;
  static constexpr int L = 8;
  static TG_INLINE V load(const double* p) { return _mm512_loadu_pd(p); }
  static TG_INLINE void store(double* p, V x) { _mm512_storeu_pd(p, x); }
  static TG_INLINE V set1(double x) { return _mm512_set1_pd(x); }
  static TG_INLINE V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static TG_INLINE M mask(ptrdiff_t n) {
    return n <= 0 ? M(0) : n >= L ? M(0xff) : M((1u << n) - 1);
  }
  static TG_INLINE V maskload(const double* p, M m) { return _mm512_maskz_loadu_pd(m, p); }
  static TG_INLINE void maskstore(double* p, M m, V x) { _mm512_mask_storeu_pd(p, m, x); }
};
template <typename T> using Vec = Vec512<T>;
#else
template <typename T> using Vec = Vec256<T>;
#endif

// The kc x NR strip of a column-major B (element (p, j) at b[j * csb + p], all NR columns
// present) into out[p * NR + j], through L x L register transposes.
template <typename T, int NR>
static void pack_strip_cm(const T* b, ptrdiff_t csb, ptrdiff_t kc, T* out) {
  constexpr int L = Vec256<T>::L;
  static_assert(NR % L == 0, "whole 256-bit transposes");
  ptrdiff_t p = 0;
#ifdef TG_GEMM_SHUFFLE
  for (; p + L <= kc; p += L) {
#pragma GCC unroll 4
    for (int j0 = 0; j0 < NR; j0 += L) Vec256<T>::transpose(b + j0 * csb + p, csb, out + p * NR + j0, NR);
  }
#endif
  for (; p < kc; ++p)
    for (int j = 0; j < NR; ++j) out[p * NR + j] = b[j * csb + p];
}

// Cache blocking (chosen on Zen 3/4, L1d 32 KiB / L2 512 KiB-1 MiB, and kept for the AVX-512 tiles on
// Sapphire Rapids-class cores, L1d 48 KiB / L2 2 MiB, where MC = 288 and 576 measured no better): a
// KC x NR micro-panel of B (16 KiB with YMM tiles, 32 KiB with ZMM ones) stays in L1 while the
// MC x KC block of A (144 KiB) streams from L2.
template <typename T> struct Blocking;
template <> struct Blocking<float> {
  static constexpr ptrdiff_t KC = 256, MC = 144, NC = 4096;
};
template <> struct Blocking<double> {
  static constexpr ptrdiff_t KC = 256, MC = 144, NC = 4096;
};

// B block (kc x nc) into NR-column micro-panels (columns past nc zero); full panels of a
// column-major B through register transposes.
template <typename T, int NR>
static void pack_b(const T* b, ptrdiff_t rsb, ptrdiff_t csb, ptrdiff_t kc, ptrdiff_t nc, T* out) {
  if (rsb == 1 && csb != 1) {
    const ptrdiff_t nfull = nc / NR * NR;
    for (ptrdiff_t j0 = 0; j0 < nfull; j0 += NR) pack_strip_cm<T, NR>(b + j0 * csb, csb, kc, out + j0 * kc);
    if (nfull < nc) gemm_detail::pack_b<T, NR>(b + nfull * csb, rsb, csb, kc, nc - nfull, out + nfull * kc);
    return;
  }
  gemm_detail::pack_b<T, NR>(b, rsb, csb, kc, nc, out);
}

// A block (mc x kc) into MR-row micro-panels out[panel][p][i] (rows past mc zero). Row-major A
// goes through 256-bit L x L register transposes of groups of L rows (the last group padded with
// zero rows) whose stores overlap: the last group of each k step writes up to L - 1 values past
// it, which the next k step's stores overwrite, so out needs L elements of slack.
template <typename T, int MR>
static void pack_a(const T* a, ptrdiff_t rsa, ptrdiff_t csa, ptrdiff_t mc, ptrdiff_t kc, T* out) {
#ifdef TG_GEMM_SHUFFLE
  typedef Vec256<T> H;
  typedef typename H::V HV;
  constexpr int L = H::L, G = (MR + L - 1) / L;
  if (csa == 1) {
    for (ptrdiff_t i0 = 0; i0 < mc; i0 += MR) {
      const ptrdiff_t mr = std::min<ptrdiff_t>(MR, mc - i0);
      const T* ap = a + i0 * rsa;
      if (mr < MR) {
        gemm_detail::pack_a<T, MR>(ap, rsa, 1, mr, kc, out);
        out += kc * MR;
        continue;
      }
      ptrdiff_t p = 0;
      for (; p + L <= kc; p += L) {
        HV o[G][L];
#pragma GCC unroll 4
        for (int g = 0; g < G; ++g) {
          HV r[L];
#pragma GCC unroll 8
          for (int j = 0; j < L; ++j) r[j] = g * L + j < MR ? H::load(ap + (g * L + j) * rsa + p) : HV{};
          H::transposeL(r, o[g]);
        }
#pragma GCC unroll 8
        for (int q = 0; q < L; ++q)
#pragma GCC unroll 4
          for (int g = 0; g < G; ++g) H::store(out + (p + q) * MR + g * L, o[g][q]);
      }
      for (; p < kc; ++p)
        for (int i = 0; i < MR; ++i) out[p * MR + i] = ap[i * rsa + p];
      out += kc * MR;
    }
    return;
  }
#endif
  gemm_detail::pack_a<T, MR>(a, rsa, csa, mc, kc, out);
}

// The register tile: M (<= MR) rows x NV (1 or 2) vectors, accumulated over k steps.
// A: packed (PA: a[p * MR + i]) or strided (a[i * rsa + p * csa]).
// B: packed (PB: b[p * NR + j], NR = 2 vectors) or row-strided with unit columns
// (b[p * rsb + j]); NV full vectors of columns are always readable. With COPYB (B row-strided,
// NV == 2), the B rows read are also written to bcopy as a packed micro-panel.
// C: rows [0, mrows) and columns [0, nr) are written as alpha * acc + beta * C (C not read when
// beta == 0), through masked accesses at the edges.
template <typename T, int MR, int M, bool PA, bool PB, int NV = 2, bool COPYB = false>
static TG_INLINE void tile(ptrdiff_t k, const T* __restrict a, ptrdiff_t rsa, ptrdiff_t csa,
                           const T* __restrict b, ptrdiff_t rsb, T* c, ptrdiff_t rsc, T alpha,
                           T beta, ptrdiff_t mrows, ptrdiff_t nr, T* __restrict bcopy = nullptr) {
  typedef Vec<T> W;
  typedef typename W::V V;
  constexpr int L = W::L;
  constexpr int NR = 2 * L;
  static_assert(NV == 1 || NV == 2, "one or two vectors of columns");
  static_assert(!COPYB || NV == 2, "COPYB copies whole micro-panels");
  if (k >= 64) {
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      prefetch_l1(c + i * rsc);
      prefetch_l1(c + i * rsc + NV * L - 1);
    }
  }
  V c0[M], c1[M];
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i) {
    c0[i] = V{};
    c1[i] = V{};
  }
  const ptrdiff_t as = PA ? MR : csa;
  const ptrdiff_t bs = PB ? NR : rsb;
  const ptrdiff_t ars = PA ? 1 : rsa;
#pragma GCC unroll 4
  for (ptrdiff_t p = 0; p < k; ++p) {
    const V b0 = W::load(b);
    const V b1 = NV == 2 ? W::load(b + L) : V{};
    if (COPYB) {
      W::store(bcopy, b0);
      W::store(bcopy + L, b1);
      bcopy += NR;
    }
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      const V ai = W::set1(a[i * ars]);
      c0[i] = W::fma(ai, b0, c0[i]);
      if (NV == 2) c1[i] = W::fma(ai, b1, c1[i]);
    }
    a += as;
    b += bs;
  }
  const V va = W::set1(alpha), vb = W::set1(beta);
  if (nr == NV * L) {
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      if (i >= mrows) break;
      T* cr = c + i * rsc;
      V r0 = va * c0[i];
      if (beta != T(0)) r0 = W::fma(vb, W::load(cr), r0);
      W::store(cr, r0);
      if (NV == 2) {
        V r1 = va * c1[i];
        if (beta != T(0)) r1 = W::fma(vb, W::load(cr + L), r1);
        W::store(cr + L, r1);
      }
    }
  } else {
    const typename W::M m0 = W::mask(nr), m1 = W::mask(nr - L);
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      if (i >= mrows) break;
      T* cr = c + i * rsc;
      V r0 = va * c0[i];
      if (beta != T(0)) r0 = W::fma(vb, W::maskload(cr, m0), r0);
      W::maskstore(cr, m0, r0);
      if (NV == 2) {
        V r1 = va * c1[i];
        if (beta != T(0)) r1 = W::fma(vb, W::maskload(cr + L, m1), r1);
        W::maskstore(cr + L, m1, r1);
      }
    }
  }
}

// Packed A and B, the full MR rows computed (A is zero padded), mr rows and nr columns stored
// (one vector of columns when nr fits in one).
template <typename T, int MR>
static void tile_packed(ptrdiff_t k, const T* a, const T* b, T* c, ptrdiff_t rsc, T alpha, T beta,
                        ptrdiff_t mr, ptrdiff_t nr) {
  if (nr <= Vec<T>::L)
    tile<T, MR, MR, true, true, 1>(k, a, 0, 0, b, 0, c, rsc, alpha, beta, mr, nr);
  else
    tile<T, MR, MR, true, true, 2>(k, a, 0, 0, b, 0, c, rsc, alpha, beta, mr, nr);
}

// Packed A, B read in place (row-major, NR full columns) and copied to bcopy on the way.
template <typename T, int MR>
static void tile_copy_b(ptrdiff_t k, const T* a, const T* b, ptrdiff_t rsb, T* bcopy, T* c,
                        ptrdiff_t rsc, T alpha, T beta, ptrdiff_t mr) {
  tile<T, MR, MR, true, false, 2, true>(k, a, 0, 0, b, rsb, c, rsc, alpha, beta, mr,
                                        2 * Vec<T>::L, bcopy);
}

// Strided A (rows past m are never read, so the row count M = mr is a template argument).
template <typename T, int MR, bool PB, int NV, int M = MR>
static void tile_strided_a_nv(ptrdiff_t mr, ptrdiff_t k, const T* a, ptrdiff_t rsa, ptrdiff_t csa,
                              const T* b, ptrdiff_t rsb, T* c, ptrdiff_t rsc, T alpha, T beta,
                              ptrdiff_t nr) {
  if constexpr (M > 1) {
    if (mr < M) {
      tile_strided_a_nv<T, MR, PB, NV, M - 1>(mr, k, a, rsa, csa, b, rsb, c, rsc, alpha, beta, nr);
      return;
    }
  }
  tile<T, MR, M, false, PB, NV>(k, a, rsa, csa, b, rsb, c, rsc, alpha, beta, M, nr);
}
template <typename T, int MR, bool PB>
static void tile_strided_a(ptrdiff_t mr, ptrdiff_t k, const T* a, ptrdiff_t rsa, ptrdiff_t csa,
                           const T* b, ptrdiff_t rsb, T* c, ptrdiff_t rsc, T alpha, T beta,
                           ptrdiff_t nr) {
  if (nr <= Vec<T>::L)
    tile_strided_a_nv<T, MR, PB, 1>(mr, k, a, rsa, csa, b, rsb, c, rsc, alpha, beta, nr);
  else
    tile_strided_a_nv<T, MR, PB, 2>(mr, k, a, rsa, csa, b, rsb, c, rsc, alpha, beta, nr);
}

// Small problems: no packing of A (read in place through its strides) and, when B is row-major,
// none of B either (only a ragged last column strip is copied, zero padded, so that every tile
// reads NR full columns). K is not blocked: each tile accumulates all of k in registers.
template <typename T, int MR, int NR>
static void gemm_small(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a, ptrdiff_t rsa,
                       ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb, T beta, T* c,
                       ptrdiff_t rsc) {
  thread_local std::vector<T> bbuf_store;
  if (csb == 1) {
    const ptrdiff_t nfull = n / NR * NR;
    for (ptrdiff_t jr = 0; jr < nfull; jr += NR)
      for (ptrdiff_t ir = 0; ir < m; ir += MR)
        tile_strided_a<T, MR, false>(std::min<ptrdiff_t>(MR, m - ir), k, a + ir * rsa, rsa, csa,
                                     b + jr, rsb, c + ir * rsc + jr, rsc, alpha, beta, NR);
    if (nfull < n) {
      T* strip = aligned_buffer(bbuf_store, k * NR);
      pack_b<T, NR>(b + nfull, rsb, 1, k, n - nfull, strip);
      for (ptrdiff_t ir = 0; ir < m; ir += MR)
        tile_strided_a<T, MR, true>(std::min<ptrdiff_t>(MR, m - ir), k, a + ir * rsa, rsa, csa,
                                    strip, NR, c + ir * rsc + nfull, rsc, alpha, beta, n - nfull);
    }
  } else {
    const ptrdiff_t npad = (n + NR - 1) / NR * NR;
    T* bp = aligned_buffer(bbuf_store, k * npad);
    pack_b<T, NR>(b, rsb, csb, k, n, bp);
    for (ptrdiff_t jr = 0; jr < n; jr += NR)
      for (ptrdiff_t ir = 0; ir < m; ir += MR)
        tile_strided_a<T, MR, true>(std::min<ptrdiff_t>(MR, m - ir), k, a + ir * rsa, rsa, csa,
                                    bp + jr * k, NR, c + ir * rsc + jr, rsc, alpha, beta,
                                    std::min<ptrdiff_t>(NR, n - jr));
  }
}

// Blocked, packed GEMM. When all of m fits one MC block (always the case under linalg.cc's row
// blocks) and B is row-major, B is not packed in a pass of its own: the first tile of each
// column strip reads the strip in place, writes the packed copy that the strip's other tiles use
// (it stays in L1), and prefetches the next strip.
template <typename T, int MR, int NR>
static void gemm_packed(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a,
                        ptrdiff_t rsa, ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb,
                        T beta, T* c, ptrdiff_t rsc) {
  constexpr ptrdiff_t KC = Blocking<T>::KC, MC = Blocking<T>::MC, NC = Blocking<T>::NC;
  static_assert(MC % MR == 0, "MC must be a multiple of MR");
  thread_local std::vector<T> abuf_store, bbuf_store;
  const ptrdiff_t kcap = std::min(KC, k);
  const ptrdiff_t mcap = std::min(MC, (m + MR - 1) / MR * MR);
  T* abuf = aligned_buffer(abuf_store, kcap * mcap + Vec<T>::L);  // + pack_a slack
  if (m <= MC && (csb == 1 || rsb == 1)) {
    // One column strip of B at a time, packed (or, row-major, copied by its first tile) into an
    // L1-resident buffer just before its tiles run.
    T* strip = aligned_buffer(bbuf_store, kcap * NR);
    const bool row_major = csb == 1;
    const ptrdiff_t tiles = (m + MR - 1) / MR;
    constexpr ptrdiff_t LINE = 64 / ptrdiff_t(sizeof(T));
    // Prefetch units [u0, u1) of the strip at bs with kk k steps: a row of NR values when B is
    // row-major, a column of kk values when it is column-major.
    const bool use_pf = std::min(KC, k) * n * ptrdiff_t(sizeof(T)) > (128 << 10);
    auto prefetch = [&](const T* bs, ptrdiff_t kk, ptrdiff_t u0, ptrdiff_t u1) {
      if (row_major) {
        for (ptrdiff_t p = u0; p < u1; ++p) {
          prefetch_l2(bs + p * rsb);
          prefetch_l2(bs + p * rsb + NR - 1);
        }
      } else {
        for (ptrdiff_t j = u0; j < u1; ++j) {
          const T* col = bs + j * csb;
          for (ptrdiff_t p = 0; p < kk; p += LINE) prefetch_l2(col + p);
          prefetch_l2(col + kk - 1);
        }
      }
    };
    const ptrdiff_t nfull = n / NR * NR;
    for (ptrdiff_t pc = 0; pc < k; pc += KC) {
      const ptrdiff_t kc = std::min(KC, k - pc);
      const T bet = pc == 0 ? beta : T(1);
      const T* bpc = b + pc * rsb;
      if (pc == 0 && nfull > 0 && use_pf) prefetch(bpc, kc, 0, row_major ? kc : NR);
      // A is packed once per k block and stays in L2 while every column strip streams past it.
      pack_a<T, MR>(a + pc * csa, rsa, csa, m, kc, abuf);
      const T* after = pc + KC < k ? bpc + KC * rsb : nullptr;  // the next k block's first strip
      const ptrdiff_t kafter = pc + KC < k ? std::min(KC, k - pc - KC) : 0;
      for (ptrdiff_t jr = 0; jr < nfull; jr += NR) {
        // While this strip is computed, the next one (or the next k block's first) is
        // prefetched into L2, each tile issuing its share of the prefetches first.
        const T* next = jr + NR < nfull ? bpc + (jr + NR) * csb : after;
        const ptrdiff_t knext = jr + NR < nfull ? kc : kafter;
        if (!use_pf) next = nullptr;
        const ptrdiff_t units = row_major ? knext : NR;
        T* cj = c + jr;
        ptrdiff_t t = 0;
        if (next) prefetch(next, knext, 0, units / tiles);
        if (row_major) {
          tile_copy_b<T, MR>(kc, abuf, bpc + jr, rsb, strip, cj, rsc, alpha, bet,
                             std::min<ptrdiff_t>(MR, m));
          t = 1;
        } else {
          pack_strip_cm<T, NR>(bpc + jr * csb, csb, kc, strip);
        }
        for (; t < tiles; ++t) {
          const ptrdiff_t ir = t * MR;
          if (next && t > 0) prefetch(next, knext, units * t / tiles, units * (t + 1) / tiles);
          tile_packed<T, MR>(kc, abuf + ir * kc, strip, cj + ir * rsc, rsc, alpha, bet,
                             std::min<ptrdiff_t>(MR, m - ir), NR);
        }
      }
      if (nfull < n) {
        pack_b<T, NR>(bpc + nfull * csb, rsb, csb, kc, n - nfull, strip);
        for (ptrdiff_t ir = 0; ir < m; ir += MR)
          tile_packed<T, MR>(kc, abuf + ir * kc, strip, c + ir * rsc + nfull, rsc, alpha, bet,
                             std::min<ptrdiff_t>(MR, m - ir), n - nfull);
      }
    }
    return;
  }
  const ptrdiff_t ncap = std::min(NC, (n + NR - 1) / NR * NR);
  T* bbuf = aligned_buffer(bbuf_store, kcap * ncap);
  gemm_detail::block_loops<T, MR, NR, MC, NC, KC>(
      m, n, k, a, rsa, csa, b, rsb, csb, beta, c, rsc, abuf, bbuf, pack_a<T, MR>, pack_b<T, NR>,
      [&](ptrdiff_t kc, const T* ap, const T* bp, T* cp, T bet, ptrdiff_t mr, ptrdiff_t nr) {
        tile_packed<T, MR>(kc, ap, bp, cp, rsc, alpha, bet, mr, nr);
      });
}

// C = alpha A B + beta C when A runs contiguously along k (csa == 1) and B too (rsb == 1), k is long
// and C small: every entry of C is a dot product of two contiguous k-vectors, and a 4 x 4 block of
// entries shares its 8 vector loads among 16 FMAs. This is a convolution's weight gradient with few
// channels (C = 16 x 9 over k = 784 positions), where packing would spend its time on the padding
// of mostly empty panels. Lanes are summed in a fixed order: results depend on the ISA, never on
// the thread count.
template <typename T>
static void gemm_dot(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a, ptrdiff_t rsa,
                     const T* b, ptrdiff_t csb, T beta, T* c, ptrdiff_t rsc) {
  using W = Vec<T>;
  typedef typename W::V V;
  constexpr int L = W::L, B = 4;
  const ptrdiff_t kfull = k / L * L;
  const typename W::M tail = W::mask(k - kfull);
  for (ptrdiff_t i0 = 0; i0 < m; i0 += B) {
    const ptrdiff_t mi = std::min<ptrdiff_t>(B, m - i0);
    for (ptrdiff_t j0 = 0; j0 < n; j0 += B) {
      const ptrdiff_t nj = std::min<ptrdiff_t>(B, n - j0);
      // Rows and columns past the edge repeat the last real one; their sums are not stored.
      const T* ar[B];
      const T* bc[B];
      for (int r = 0; r < B; ++r) ar[r] = a + (i0 + std::min<ptrdiff_t>(r, mi - 1)) * rsa;
      for (int q = 0; q < B; ++q) bc[q] = b + (j0 + std::min<ptrdiff_t>(q, nj - 1)) * csb;
      V acc[B][B];
#pragma GCC unroll 4
      for (int r = 0; r < B; ++r)
#pragma GCC unroll 4
        for (int q = 0; q < B; ++q) acc[r][q] = W::set1(T(0));
      auto step = [&](V av[B], V bv[B]) {
#pragma GCC unroll 4
        for (int r = 0; r < B; ++r)
#pragma GCC unroll 4
          for (int q = 0; q < B; ++q) acc[r][q] = W::fma(av[r], bv[q], acc[r][q]);
      };
      for (ptrdiff_t p = 0; p < kfull; p += L) {
        V av[B], bv[B];
#pragma GCC unroll 4
        for (int r = 0; r < B; ++r) av[r] = W::load(ar[r] + p);
#pragma GCC unroll 4
        for (int q = 0; q < B; ++q) bv[q] = W::load(bc[q] + p);
        step(av, bv);
      }
      if (kfull < k) {
        V av[B], bv[B];
#pragma GCC unroll 4
        for (int r = 0; r < B; ++r) av[r] = W::maskload(ar[r] + kfull, tail);
#pragma GCC unroll 4
        for (int q = 0; q < B; ++q) bv[q] = W::maskload(bc[q] + kfull, tail);
        step(av, bv);
      }
      for (ptrdiff_t r = 0; r < mi; ++r) {
        for (ptrdiff_t q = 0; q < nj; ++q) {
          alignas(64) T lanes[L];
          W::store(lanes, acc[r][q]);
          for (int w = L / 2; w >= 1; w /= 2)
            for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
          T* cij = c + (i0 + r) * rsc + j0 + q;
          *cij = beta == T(0) ? alpha * lanes[0] : alpha * lanes[0] + beta * *cij;
        }
      }
    }
  }
}

// Whether the dot-product path suits the shape: long k, few outputs, both operands k-contiguous.
static inline bool use_dot(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, ptrdiff_t csa, ptrdiff_t rsb) {
  return csa == 1 && rsb == 1 && k >= 256 && m * n <= 1024;
}

// Whether the direct (unpacked) path is cheaper than packing.
template <typename T, int MR, int NR>
static inline bool use_small(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
  return m * n * k <= ptrdiff_t(1) << 20 && n * k * ptrdiff_t(sizeof(T)) <= ptrdiff_t(512) << 10;
}

template <typename T, int MR, int NR>
static void gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a, ptrdiff_t rsa,
                 ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb, T beta, T* c,
                 ptrdiff_t rsc) {
  if (use_dot(m, n, k, csa, rsb))
    gemm_dot<T>(m, n, k, alpha, a, rsa, b, csb, beta, c, rsc);
  else if (use_small<T, MR, NR>(m, n, k))
    gemm_small<T, MR, NR>(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc);
  else
    gemm_packed<T, MR, NR>(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc);
}
#undef TG_INLINE
}  // namespace gemm_simd
#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
#define TG_GEMM_NEON 1
#include "gemm_neon.h"
#endif

// Whether this unit's tile has the explicit SIMD kernel (MR rows x 2 compute vectors).
template <typename T, int MR, int NR>
struct gemm_has_simd_kernel {
#ifdef TG_GEMM_SIMD
  static constexpr bool value = NR == 2 * gemm_simd::Vec<T>::L && MR >= 4 && MR <= 14;
#else
  static constexpr bool value = false;
#endif
};

template <typename T, int MR, int NR>
static void gemm_blocked(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a, ptrdiff_t rsa,
                         ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb, T beta, T* c,
                         ptrdiff_t rsc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T(0)) {
    gemm_detail::scale_c(m, n, beta, c, rsc);
    return;
  }
#ifdef TG_GEMM_SIMD
  if constexpr (gemm_has_simd_kernel<T, MR, NR>::value) {
    gemm_simd::gemm<T, MR, NR>(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc);
    return;
  }
#endif
#ifdef TG_GEMM_NEON
  if constexpr (gemm_neon::has_kernel<T, MR, NR>::value) {
    gemm_neon::gemm<T, MR, NR>(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc);
    return;
  }
#endif
  gemm_detail::gemm_portable<T, MR, NR>(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc);
}
