// Packed, cache-blocked GEMM: C = alpha * A·B + beta * C. A and B take any row/column strides,
// so transposed operands are handled by packing without a transposed copy.
// Templated on the register tile (MR x NR); each ISA unit picks a tile that fits its registers.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

namespace gemm_detail {
constexpr ptrdiff_t KC = 256;
constexpr ptrdiff_t MC = 96;
constexpr ptrdiff_t NC = 2048;

template <typename T, int MR>
static void pack_a(const T* a, ptrdiff_t rsa, ptrdiff_t csa, ptrdiff_t mc, ptrdiff_t kc, T* out) {
  for (ptrdiff_t i0 = 0; i0 < mc; i0 += MR) {
    const ptrdiff_t mr = std::min<ptrdiff_t>(MR, mc - i0);
    for (ptrdiff_t p = 0; p < kc; ++p) {
      for (ptrdiff_t i = 0; i < mr; ++i) out[i] = a[(i0 + i) * rsa + p * csa];
      for (ptrdiff_t i = mr; i < MR; ++i) out[i] = T(0);
      out += MR;
    }
  }
}

template <typename T, int NR>
static void pack_b(const T* b, ptrdiff_t rsb, ptrdiff_t csb, ptrdiff_t kc, ptrdiff_t nc, T* out) {
  for (ptrdiff_t j0 = 0; j0 < nc; j0 += NR) {
    const ptrdiff_t nr = std::min<ptrdiff_t>(NR, nc - j0);
    for (ptrdiff_t p = 0; p < kc; ++p) {
      const T* row = b + p * rsb + j0 * csb;
      if (csb == 1) {
        for (ptrdiff_t j = 0; j < nr; ++j) out[j] = row[j];
      } else {
        for (ptrdiff_t j = 0; j < nr; ++j) out[j] = row[j * csb];
      }
      for (ptrdiff_t j = nr; j < NR; ++j) out[j] = T(0);
      out += NR;
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
}  // namespace gemm_detail

template <typename T, int MR, int NR>
static void gemm_blocked(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T* a, ptrdiff_t rsa,
                         ptrdiff_t csa, const T* b, ptrdiff_t rsb, ptrdiff_t csb, T beta, T* c,
                         ptrdiff_t rsc) {
  using namespace gemm_detail;
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T(0)) {
    for (ptrdiff_t i = 0; i < m; ++i)
      for (ptrdiff_t j = 0; j < n; ++j) c[i * rsc + j] = beta == T(0) ? T(0) : beta * c[i * rsc + j];
    return;
  }
  thread_local std::vector<T> abuf, bbuf;
  const ptrdiff_t ncap = std::min(NC, (n + NR - 1) / NR * NR);
  const ptrdiff_t kcap = std::min(KC, k);
  if (ptrdiff_t(bbuf.size()) < kcap * ncap) bbuf.resize(kcap * ncap);
  if (ptrdiff_t(abuf.size()) < kcap * (MC + MR)) abuf.resize(kcap * (MC + MR));
  alignas(64) T acc[MR][NR];
  for (ptrdiff_t jc = 0; jc < n; jc += NC) {
    const ptrdiff_t nc = std::min(NC, n - jc);
    for (ptrdiff_t pc = 0; pc < k; pc += KC) {
      const ptrdiff_t kc = std::min(KC, k - pc);
      const T bet = pc == 0 ? beta : T(1);
      pack_b<T, NR>(b + pc * rsb + jc * csb, rsb, csb, kc, nc, bbuf.data());
      for (ptrdiff_t ic = 0; ic < m; ic += MC) {
        const ptrdiff_t mc = std::min(MC, m - ic);
        pack_a<T, MR>(a + ic * rsa + pc * csa, rsa, csa, mc, kc, abuf.data());
        for (ptrdiff_t jr = 0; jr < nc; jr += NR) {
          const ptrdiff_t nr = std::min<ptrdiff_t>(NR, nc - jr);
          for (ptrdiff_t ir = 0; ir < mc; ir += MR) {
            const ptrdiff_t mr = std::min<ptrdiff_t>(MR, mc - ir);
            micro_kernel<T, MR, NR>(kc, abuf.data() + ir * kc, bbuf.data() + jr * kc, acc);
            T* cp = c + (ic + ir) * rsc + jc + jr;
            for (ptrdiff_t i = 0; i < mr; ++i) {
              T* crow = cp + i * rsc;
              if (bet == T(0)) {
                for (ptrdiff_t j = 0; j < nr; ++j) crow[j] = alpha * acc[i][j];
              } else {
                for (ptrdiff_t j = 0; j < nr; ++j) crow[j] = alpha * acc[i][j] + bet * crow[j];
              }
            }
          }
        }
      }
    }
  }
}
