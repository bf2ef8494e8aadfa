// Convolution and pooling loops, compiled in every ISA unit (included by simd/isa_body.inc inside
// the unit's namespace, so only headers the prelude has included): im2col / col2im for the
// convolutions and the pooling windows, each over a range of planes [p0, p1). kernels/conv.cc
// validates the geometry, runs the GEMMs and splits the planes into fixed blocks.
#pragma once
#include <limits>

// The output columns [lo, hi) whose input column ow * sw + dx lies inside the image.
static inline void inside_columns(const ConvGeom& g, ptrdiff_t dx, ptrdiff_t* lo, ptrdiff_t* hi) {
  const ptrdiff_t l = std::min(dx >= 0 ? 0 : (-dx + g.sw - 1) / g.sw, g.ow);
  const ptrdiff_t h = g.w - 1 - dx < 0 ? 0 : (g.w - 1 - dx) / g.sw + 1;
  *lo = l;
  *hi = std::max(l, std::min(h, g.ow));
}

// Rows of im2col and col2im at stride 1 are short (a 14-wide image row: one vector) and start at
// any offset; masked vector loads and stores move them whole, without reading outside [lo, hi).
#ifdef TG_GEMM_SIMD
// r[q] = xr[q] for q in [lo, hi), 0 for the rest of [0, n).
template <typename T>
static inline void copy_row(T* r, const T* xr, ptrdiff_t n, ptrdiff_t lo, ptrdiff_t hi) {
  using W = gemm_simd::Vec<T>;
  typedef typename W::M M;
  for (ptrdiff_t q = 0; q < n; q += W::L) {
    const M in = M(W::mask(hi - q) & ~W::mask(lo - q));
    W::maskstore(r + q, W::mask(n - q), W::maskload(xr + q, in));
  }
}
// xr[q] += r[q] for q in [lo, hi).
template <typename T>
static inline void add_row(T* xr, const T* r, ptrdiff_t lo, ptrdiff_t hi) {
  using W = gemm_simd::Vec<T>;
  typedef typename W::M M;
  for (ptrdiff_t q = lo / W::L * W::L; q < hi; q += W::L) {
    const M in = M(W::mask(hi - q) & ~W::mask(lo - q));
    W::maskstore(xr + q, in, W::maskload(xr + q, in) + W::maskload(r + q, in));
  }
}
#else
template <typename T>
static inline void copy_row(T* r, const T* xr, ptrdiff_t n, ptrdiff_t lo, ptrdiff_t hi) {
  std::fill(r, r + lo, T(0));
  for (ptrdiff_t q = lo; q < hi; ++q) r[q] = xr[q];
  std::fill(r + hi, r + n, T(0));
}
template <typename T>
static inline void add_row(T* xr, const T* r, ptrdiff_t lo, ptrdiff_t hi) {
  for (ptrdiff_t q = lo; q < hi; ++q) xr[q] += r[q];
}
#endif

// One (channel, i, j) block of im2col at stride 1 when output rows are as wide as input rows (the
// "same" padding of odd kernels): the block is then the input plane shifted by one offset, so it is
// one contiguous copy, after which the columns that fell outside the image are zeroed.
template <typename T>
static void im2col_block_same_width(const ConvGeom& g, const T* xc, T* row, ptrdiff_t i, ptrdiff_t dx,
                                    ptrdiff_t lo, ptrdiff_t hi) {
  const ptrdiff_t w = g.w, ih0 = i * g.dh - g.ph;
  const ptrdiff_t oh0 = std::min(g.oh, std::max<ptrdiff_t>(0, -ih0));
  const ptrdiff_t oh1 = std::max(oh0, std::min(g.oh, g.h - ih0));
  std::fill(row, row + oh0 * w, T(0));
  std::fill(row + oh1 * w, row + g.oh * w, T(0));
  if (oh0 == oh1) return;
  T* d = row + oh0 * w;
  const ptrdiff_t so = (oh0 + ih0) * w + dx, len = (oh1 - oh0) * w;
  // Parts of the copy that would read outside the plane are border columns: zero.
  const ptrdiff_t s0 = std::min(len, std::max<ptrdiff_t>(0, -so)), e = std::max(s0, std::min(len, g.hw() - so));
  std::fill(d, d + s0, T(0));
  std::memcpy(d + s0, xc + so + s0, sizeof(T) * size_t(e - s0));
  std::fill(d + e, d + len, T(0));
  for (ptrdiff_t r = 0; r < oh1 - oh0; ++r) {
    std::fill(d + r * w, d + r * w + lo, T(0));
    std::fill(d + r * w + hi, d + (r + 1) * w, T(0));
  }
}

// col[(c*KH + i)*KW + j][oh*OW + ow] = x[c][oh*sh - ph + i*dh][ow*sw - pw + j*dw] (0 outside).
template <typename T>
static void im2col(const ConvGeom& g, ptrdiff_t channels, const T* x, T* col) {
  const ptrdiff_t ohw = g.ohw();
  const bool same_width = g.sh == 1 && g.sw == 1 && g.ow == g.w;
  for (ptrdiff_t c = 0; c < channels; ++c) {
    const T* xc = x + c * g.hw();
    for (ptrdiff_t i = 0; i < g.kh; ++i) {
      for (ptrdiff_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * ohw;
        const ptrdiff_t dx = j * g.dw - g.pw;
        ptrdiff_t lo, hi;
        inside_columns(g, dx, &lo, &hi);
        if (same_width) {
          im2col_block_same_width(g, xc, row, i, dx, lo, hi);
          continue;
        }
        for (ptrdiff_t oh = 0; oh < g.oh; ++oh) {
          T* r = row + oh * g.ow;
          const ptrdiff_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) {
            std::fill(r, r + g.ow, T(0));
            continue;
          }
          const T* xr = xc + ih * g.w + dx;
          if (g.sw == 1) {
            copy_row(r, xr, g.ow, lo, hi);
            continue;
          }
          std::fill(r, r + lo, T(0));
          for (ptrdiff_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * g.sw];
          std::fill(r + hi, r + g.ow, T(0));
        }
      }
    }
  }
}

#ifdef TG_GEMM_SIMD
// col2im at stride 1: each input row is summed in registers over every (i, j) that reads it, in
// the same (i, j) order as the general loop below (so the same bits), and stored once. (Adding
// each column row into x in turn made every store overlap the next load one element off, which
// the store buffer cannot forward.)
template <typename T>
static void col2im_stride1(const ConvGeom& g, ptrdiff_t channels, const T* col, T* x) {
  using W = gemm_simd::Vec<T>;
  typedef typename W::M M;
  typedef typename W::V V;
  const ptrdiff_t ohw = g.ohw();
  ptrdiff_t lo[64], hi[64];  // per kernel column j (kw <= 64 is checked by the caller)
  for (ptrdiff_t j = 0; j < g.kw; ++j) inside_columns(g, j * g.dw - g.pw, &lo[j], &hi[j]);
  for (ptrdiff_t c = 0; c < channels; ++c) {
    for (ptrdiff_t ih = 0; ih < g.h; ++ih) {
      T* xr = x + (c * g.h + ih) * g.w;
      for (ptrdiff_t q = 0; q < g.w; q += W::L) {
        V acc = W::set1(T(0));
        for (ptrdiff_t i = 0; i < g.kh; ++i) {
          const ptrdiff_t oh = ih + g.ph - i * g.dh;
          if (oh < 0 || oh >= g.oh) continue;
          const T* rows = col + (c * g.kh + i) * g.kw * ohw + oh * g.ow;
          for (ptrdiff_t j = 0; j < g.kw; ++j) {
            // x[ih][iw] += r[iw - dx] for iw - dx in [lo, hi).
            const ptrdiff_t dx = j * g.dw - g.pw;
            const M in = M(W::mask(hi[j] + dx - q) & ~W::mask(lo[j] + dx - q));
            acc = acc + W::maskload(rows + j * ohw + q - dx, in);
          }
        }
        W::maskstore(xr + q, W::mask(g.w - q), acc);
      }
    }
  }
}
#endif

// The adjoint of im2col: x[c][ih][iw] += col[...] for every column that read it. x is zeroed first.
template <typename T>
static void col2im(const ConvGeom& g, ptrdiff_t channels, const T* col, T* x) {
  const ptrdiff_t ohw = g.ohw();
#ifdef TG_GEMM_SIMD
  if (g.sh == 1 && g.sw == 1 && g.kw <= 64) return col2im_stride1(g, channels, col, x);
#endif
  std::fill(x, x + channels * g.hw(), T(0));
  for (ptrdiff_t c = 0; c < channels; ++c) {
    T* xc = x + c * g.hw();
    for (ptrdiff_t i = 0; i < g.kh; ++i) {
      for (ptrdiff_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * ohw;
        const ptrdiff_t dx = j * g.dw - g.pw;
        ptrdiff_t lo, hi;
        inside_columns(g, dx, &lo, &hi);
        for (ptrdiff_t oh = 0; oh < g.oh; ++oh) {
          const ptrdiff_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          const T* r = row + oh * g.ow;
          T* xr = xc + ih * g.w + dx;
          if (g.sw == 1) {
            add_row(xr, r, lo, hi);
          } else {
            for (ptrdiff_t ow = lo; ow < hi; ++ow) xr[ow * g.sw] += r[ow];
          }
        }
      }
    }
  }
}

// One window's maximum as PyTorch: the first maximum wins (strict >); a NaN always takes over.
// `best` starts at the window's first valid element. The common NaN-free case runs without data-
// dependent branches (max instructions and integer selects): on random data a branch per element
// mispredicts about half the time, which made max pooling 3x slower.
template <typename T>
static inline void window_max(const T* xp, ptrdiff_t w, ptrdiff_t h0, ptrdiff_t h1, ptrdiff_t dh, ptrdiff_t w0,
                       ptrdiff_t w1, ptrdiff_t dw, T* out, int32_t* idx) {
  ptrdiff_t best = h0 * w + w0;
  T m = -std::numeric_limits<T>::infinity();
  bool nan = false;
  for (ptrdiff_t ih = h0; ih < h1; ih += dh) {
    const T* row = xp + ih * w;
    for (ptrdiff_t iw = w0; iw < w1; iw += dw) {
      const T v = row[iw];
      nan |= v != v;
      best = v > m ? ih * w + iw : best;
      m = m < v ? v : m;
    }
  }
  if (nan) {
    best = h0 * w + w0;
    m = -std::numeric_limits<T>::infinity();
    for (ptrdiff_t ih = h0; ih < h1; ih += dh) {
      for (ptrdiff_t iw = w0; iw < w1; iw += dw) {
        const T v = xp[ih * w + iw];
        if (v > m || v != v) {
          m = v;
          best = ih * w + iw;
        }
      }
    }
  }
  *out = m;
  *idx = int32_t(best);
}

#ifdef __AVX512F__
// 2x2 windows, stride 2, no padding or dilation (MaxPool2d(2)), float: 16 output columns per step
// (masked at the row's end), the window_max rule applied to the elements in scan order a, b (row
// 2 oh), c, d (row 2 oh + 1) through compare masks: a strictly larger value or a NaN takes over.
static inline void max_pool_2x2_row(const float* r0, const float* r1, ptrdiff_t ow, int32_t base,
                                    int32_t w, float* out, int32_t* idx) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i step = _mm512_set1_epi32(32);
  __m512i ia = _mm512_add_epi32(even, _mm512_set1_epi32(base));
  const __m512i one = _mm512_set1_epi32(1), down = _mm512_set1_epi32(w), diag = _mm512_set1_epi32(w + 1);
  for (ptrdiff_t j = 0; j < ow; j += 16) {
    const ptrdiff_t left = ow - j;
    const __mmask16 m = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    const ptrdiff_t in = 2 * std::min<ptrdiff_t>(16, left);  // input columns this step
    const __mmask16 lo = in >= 16 ? __mmask16(0xffff) : __mmask16((1u << in) - 1);
    const __mmask16 hi = in <= 16 ? __mmask16(0) : __mmask16((1u << (in - 16)) - 1);
    const __m512 x0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * j), x1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * j + 16);
    const __m512 y0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * j), y1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * j + 16);
    __m512 best = _mm512_permutex2var_ps(x0, even, x1);
    __m512i bi = ia;
    const __m512 cand[3] = {_mm512_permutex2var_ps(x0, odd, x1), _mm512_permutex2var_ps(y0, even, y1),
                            _mm512_permutex2var_ps(y0, odd, y1)};
    const __m512i off[3] = {one, down, diag};
    for (int q = 0; q < 3; ++q) {
      const __mmask16 take = _mm512_cmp_ps_mask(cand[q], best, _CMP_GT_OQ) |
                             _mm512_cmp_ps_mask(cand[q], cand[q], _CMP_UNORD_Q);
      best = _mm512_mask_mov_ps(best, take, cand[q]);
      bi = _mm512_mask_add_epi32(bi, take, ia, off[q]);
    }
    _mm512_mask_storeu_ps(out + j, m, best);
    _mm512_mask_storeu_epi32(idx + j, m, bi);
    ia = _mm512_add_epi32(ia, step);
  }
}
#endif

template <typename T>
static void max_pool_planes(const PoolGeom& geom, ptrdiff_t p0, ptrdiff_t p1, T* out, int32_t* idx,
                            const T* x) {
  const PoolGeom g = geom;  // a local copy: the loops read its fields from registers
#ifdef __AVX512F__
  const bool two = std::is_same<T, float>::value && g.kh == 2 && g.kw == 2 && g.sh == 2 &&
                   g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 &&
                   2 * g.oh <= g.h && 2 * g.ow <= g.w;
#endif
  for (ptrdiff_t p = p0; p < p1; ++p) {
    const T* xp = x + p * g.h * g.w;
    T* op = out + p * g.oh * g.ow;
    int32_t* ip = idx + p * g.oh * g.ow;
#ifdef __AVX512F__
    if constexpr (std::is_same<T, float>::value) {
      if (two) {
        for (ptrdiff_t oh = 0; oh < g.oh; ++oh) {
          const float* r0 = xp + 2 * oh * g.w;
          max_pool_2x2_row(r0, r0 + g.w, g.ow, int32_t(2 * oh * g.w), int32_t(g.w), op + oh * g.ow,
                           ip + oh * g.ow);
        }
        continue;
      }
    }
#endif
    for (ptrdiff_t oh = 0; oh < g.oh; ++oh) {
      ptrdiff_t h0 = oh * g.sh - g.ph;
      const ptrdiff_t h1 = std::min(h0 + (g.kh - 1) * g.dh + 1, g.h);
      while (h0 < 0) h0 += g.dh;
      h0 = std::min(h0, g.h - 1);
      for (ptrdiff_t ow = 0; ow < g.ow; ++ow) {
        ptrdiff_t w0 = ow * g.sw - g.pw;
        const ptrdiff_t w1 = std::min(w0 + (g.kw - 1) * g.dw + 1, g.w);
        while (w0 < 0) w0 += g.dw;
        w0 = std::min(w0, g.w - 1);
        window_max(xp, g.w, h0, h1, g.dh, w0, w1, g.dw, op + oh * g.ow + ow, ip + oh * g.ow + ow);
      }
    }
  }
}

// gx (planes of hw) = the output gradients scattered to their argmax positions.
template <typename T>
static void max_pool_bwd_planes(ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t hw, ptrdiff_t ohw, T* gx,
                                const T* gout, const int32_t* idx) {
  for (ptrdiff_t p = p0; p < p1; ++p) {
    T* gp = gx + p * hw;
    std::fill(gp, gp + hw, T(0));
    const T* g = gout + p * ohw;
    const int32_t* ip = idx + p * ohw;
    for (ptrdiff_t i = 0; i < ohw; ++i) gp[ip[i]] += g[i];
  }
}

// Calls fn(h0, h1, w0, w1, divisor) for the clipped window of output (oh, ow), as PyTorch's
// avg_pool2d: the pad-inclusive count is clipped to the padded input, not to ceil mode's overhang.
template <typename F>
static void avg_window(const PoolGeom& g, const AvgOpts& a, ptrdiff_t oh, ptrdiff_t ow, F&& fn) {
  ptrdiff_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  ptrdiff_t h1 = std::min(h0 + g.kh, g.h + g.ph), w1 = std::min(w0 + g.kw, g.w + g.pw);
  const ptrdiff_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<ptrdiff_t>(h0, 0);
  w0 = std::max<ptrdiff_t>(w0, 0);
  h1 = std::min(h1, g.h);
  w1 = std::min(w1, g.w);
  if (h0 >= h1 || w0 >= w1) return fn(h0, h0, w0, w0, ptrdiff_t(1));
  const ptrdiff_t div = a.divisor ? a.divisor : a.count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);
  fn(h0, h1, w0, w1, div);
}

template <typename T>
static void avg_pool_planes(const PoolGeom& g, const AvgOpts& a, ptrdiff_t p0, ptrdiff_t p1, T* out,
                            const T* x) {
  for (ptrdiff_t p = p0; p < p1; ++p) {
    const T* xp = x + p * g.h * g.w;
    T* op = out + p * g.oh * g.ow;
    for (ptrdiff_t oh = 0; oh < g.oh; ++oh) {
      for (ptrdiff_t ow = 0; ow < g.ow; ++ow) {
        avg_window(g, a, oh, ow, [&](ptrdiff_t h0, ptrdiff_t h1, ptrdiff_t w0, ptrdiff_t w1, ptrdiff_t div) {
          T s = 0;
          for (ptrdiff_t ih = h0; ih < h1; ++ih)
            for (ptrdiff_t iw = w0; iw < w1; ++iw) s += xp[ih * g.w + iw];
          op[oh * g.ow + ow] = s / T(div);
        });
      }
    }
  }
}

template <typename T>
static void avg_pool_bwd_planes(const PoolGeom& g, const AvgOpts& a, ptrdiff_t p0, ptrdiff_t p1,
                                T* gx, const T* gout) {
  for (ptrdiff_t p = p0; p < p1; ++p) {
    T* gp = gx + p * g.h * g.w;
    std::fill(gp, gp + g.h * g.w, T(0));
    const T* go = gout + p * g.oh * g.ow;
    for (ptrdiff_t oh = 0; oh < g.oh; ++oh) {
      for (ptrdiff_t ow = 0; ow < g.ow; ++ow) {
        avg_window(g, a, oh, ow, [&](ptrdiff_t h0, ptrdiff_t h1, ptrdiff_t w0, ptrdiff_t w1, ptrdiff_t div) {
          const T v = go[oh * g.ow + ow] / T(div);
          for (ptrdiff_t ih = h0; ih < h1; ++ih)
            for (ptrdiff_t iw = w0; iw < w1; ++iw) gp[ih * g.w + iw] += v;
        });
      }
    }
  }
}
