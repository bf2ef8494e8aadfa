// Optimizer update loops (one per OptimKind), compiled in every ISA unit: included by
// simd/isa_body.inc inside the unit's namespace (so only headers the prelude has included).
// kernels/optim.cc validates the arguments and splits the elements into fixed blocks.
//
// Each rule follows PyTorch 1.13's single-tensor (foreach=False) implementation operation by
// operation: Python-double hyperparameters are combined in double (in optim.cc or TypeScript)
// and cast to the parameter dtype where PyTorch casts them. The loops are plain contiguous
// elementwise loops left to the auto-vectorizer, so every ISA gives the same bits.
#pragma once

// Square roots stop the vectorizer (under errno semantics, the default, a sqrt is a call with a
// side effect), so the rules that need one run in chunks that stay in L1: a loop writes the sqrt
// arguments to a local array, sqrt_inplace takes their roots with packed (correctly rounded)
// instructions, and a second loop finishes the update.
constexpr ptrdiff_t kChunk = 256;

// Packed square roots of the unit's widest vectors (correctly rounded: the same results on
// every ISA).
#if defined(__AVX512F__)
constexpr ptrdiff_t kSqrtBytes = 64;
// (The masked forms with every lane set: GCC 12 warns about _mm512_sqrt_ps's undefined source.)
inline void sqrt_vector(float* x) {
  const __m512 v = _mm512_loadu_ps(x);
  _mm512_storeu_ps(x, _mm512_mask_sqrt_ps(v, __mmask16(0xffff), v));
}
inline void sqrt_vector(double* x) {
  const __m512d v = _mm512_loadu_pd(x);
  _mm512_storeu_pd(x, _mm512_mask_sqrt_pd(v, __mmask8(0xff), v));
}
#elif defined(__AVX__)
constexpr ptrdiff_t kSqrtBytes = 32;
inline void sqrt_vector(float* x) { _mm256_storeu_ps(x, _mm256_sqrt_ps(_mm256_loadu_ps(x))); }
inline void sqrt_vector(double* x) { _mm256_storeu_pd(x, _mm256_sqrt_pd(_mm256_loadu_pd(x))); }
#elif defined(__SSE2__) || defined(_M_X64)
constexpr ptrdiff_t kSqrtBytes = 16;
inline void sqrt_vector(float* x) { _mm_storeu_ps(x, _mm_sqrt_ps(_mm_loadu_ps(x))); }
inline void sqrt_vector(double* x) { _mm_storeu_pd(x, _mm_sqrt_pd(_mm_loadu_pd(x))); }
#elif defined(__aarch64__) && defined(__ARM_NEON)
constexpr ptrdiff_t kSqrtBytes = 16;
inline void sqrt_vector(float* x) { vst1q_f32(x, vsqrtq_f32(vld1q_f32(x))); }
inline void sqrt_vector(double* x) { vst1q_f64(x, vsqrtq_f64(vld1q_f64(x))); }
#else
constexpr ptrdiff_t kSqrtBytes = 0;
inline void sqrt_vector(float*) {}
inline void sqrt_vector(double*) {}
#endif

template <typename T>
inline void sqrt_inplace(T* x, ptrdiff_t n) {
  ptrdiff_t i = 0;
  if constexpr (kSqrtBytes > 0) {
    constexpr ptrdiff_t lanes = kSqrtBytes / ptrdiff_t(sizeof(T));
    for (; i + lanes <= n; i += lanes) sqrt_vector(x + i);
  }
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// Adam's moving averages of d and d * d (Adam, NAdam); returns the new second moment.
template <typename T>
inline T update_moments(T& m1, T& m2, T d, T b1, T b1c, T b2, T b2c) {
  const T m = m1 * b1 + b1c * d;
  const T v = m2 * b2 + b2c * d * d;
  m1 = m;
  m2 = v;
  return v;
}

// The gradient as PyTorch's rules see it: negated when maximizing, then plus weightDecay * param.
template <typename T>
inline T effective_grad(T g, T p, bool maximize, bool decay, T wd) {
  g = maximize ? -g : g;
  return decay ? g + wd * p : g;
}

// hp: lr, weightDecay, momentum, dampening, nesterov, maximize, fresh (momentum buffer not yet set)
template <typename T>
void sgd(const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
  const T neg_lr = T(-hp[0]), wd = T(hp[1]), mom = T(hp[2]), damp1 = T(1 - hp[3]);
  const bool decay = hp[1] != 0, nesterov = hp[4] != 0, maximize = hp[5] != 0, fresh = hp[6] != 0;
  T* __restrict p = b.p;
  const T* __restrict g = b.g;
  if (hp[2] == 0) {
    for (ptrdiff_t i = s; i < e; ++i) p[i] = p[i] + neg_lr * effective_grad(g[i], p[i], maximize, decay, wd);
    return;
  }
  T* __restrict buf = b.s0;
  if (fresh) {
    for (ptrdiff_t i = s; i < e; ++i) {
      const T d = effective_grad(g[i], p[i], maximize, decay, wd);
      buf[i] = d;
      p[i] = p[i] + neg_lr * (nesterov ? d + mom * d : d);
    }
  } else {
    for (ptrdiff_t i = s; i < e; ++i) {
      const T d = effective_grad(g[i], p[i], maximize, decay, wd);
      const T m = buf[i] * mom + damp1 * d;
      buf[i] = m;
      p[i] = p[i] + neg_lr * (nesterov ? d + mom * m : m);
    }
  }
}

// hp: clr (lr / (1 + (step - 1) * lrDecay)), weightDecay, eps, maximize; s0 sum
template <typename T>
void adagrad(const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
  const T neg_clr = T(-hp[0]), wd = T(hp[1]), eps = T(hp[2]);
  const bool decay = hp[1] != 0, maximize = hp[3] != 0;
  T r[kChunk];
  for (ptrdiff_t c = s; c < e; c += kChunk) {
    const ptrdiff_t n = std::min(kChunk, e - c);
    T* __restrict p = b.p + c;
    const T* __restrict g = b.g + c;
    T* __restrict sum = b.s0 + c;
    for (ptrdiff_t i = 0; i < n; ++i) {
      const T d = effective_grad(g[i], p[i], maximize, decay, wd);
      const T acc = sum[i] + d * d;
      sum[i] = acc;
      r[i] = acc;
    }
    sqrt_inplace(r, n);
    for (ptrdiff_t i = 0; i < n; ++i) {
      const T d = effective_grad(g[i], p[i], maximize, decay, wd);
      p[i] = p[i] + neg_clr * d / (r[i] + eps);
    }
  }
}

// hp: lr, alpha, eps, weightDecay, momentum, centered, maximize
// s0 squareAvg, s1 gradAvg (centered), s2 momentumBuffer (momentum > 0)
template <typename T>
void rmsprop(const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
  const T neg_lr = T(-hp[0]), alpha = T(hp[1]), alpha1 = T(1 - hp[1]), eps = T(hp[2]), wd = T(hp[3]),
          mom = T(hp[4]);
  const bool decay = hp[3] != 0, with_momentum = hp[4] > 0, centered = hp[5] != 0, maximize = hp[6] != 0;
  T r[kChunk];
  for (ptrdiff_t c = s; c < e; c += kChunk) {
    const ptrdiff_t n = std::min(kChunk, e - c);
    T* __restrict p = b.p + c;
    const T* __restrict g = b.g + c;
    T* __restrict sq = b.s0 + c;
    if (centered) {
      T* __restrict ga = b.s1 + c;
      for (ptrdiff_t i = 0; i < n; ++i) {
        const T d = effective_grad(g[i], p[i], maximize, decay, wd);
        const T v = sq[i] * alpha + alpha1 * d * d;
        const T m = ga[i] * alpha + alpha1 * d;
        sq[i] = v;
        ga[i] = m;
        r[i] = v + -m * m;
      }
    } else {
      for (ptrdiff_t i = 0; i < n; ++i) {
        const T d = effective_grad(g[i], p[i], maximize, decay, wd);
        const T v = sq[i] * alpha + alpha1 * d * d;
        sq[i] = v;
        r[i] = v;
      }
    }
    sqrt_inplace(r, n);
    if (with_momentum) {
      T* __restrict buf = b.s2 + c;
      for (ptrdiff_t i = 0; i < n; ++i) {
        const T d = effective_grad(g[i], p[i], maximize, decay, wd);
        const T u = buf[i] * mom + d / (r[i] + eps);
        buf[i] = u;
        p[i] = p[i] + neg_lr * u;
      }
    } else {
      for (ptrdiff_t i = 0; i < n; ++i) {
        const T d = effective_grad(g[i], p[i], maximize, decay, wd);
        p[i] = p[i] + neg_lr * d / (r[i] + eps);
      }
    }
  }
}

// hp: lr, rho, eps, weightDecay, maximize; s0 squareAvg, s1 accDelta
template <typename T>
void adadelta(const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
  const T neg_lr = T(-hp[0]), rho = T(hp[1]), rho1 = T(1 - hp[1]), eps = T(hp[2]), wd = T(hp[3]);
  const bool decay = hp[3] != 0, maximize = hp[4] != 0;
  T r[2 * kChunk];
  for (ptrdiff_t c = s; c < e; c += kChunk) {
    const ptrdiff_t n = std::min(kChunk, e - c);
    T* __restrict p = b.p + c;
    const T* __restrict g = b.g + c;
    T* __restrict sq = b.s0 + c;
    T* __restrict acc = b.s1 + c;
    T* __restrict std_ = r;
    T* __restrict rms = r + kChunk;
    for (ptrdiff_t i = 0; i < n; ++i) {
      const T d = effective_grad(g[i], p[i], maximize, decay, wd);
      const T v = sq[i] * rho + rho1 * d * d;
      sq[i] = v;
      std_[i] = v + eps;
      rms[i] = acc[i] + eps;
    }
    sqrt_inplace(std_, n);
    sqrt_inplace(rms, n);
    for (ptrdiff_t i = 0; i < n; ++i) {
      const T d = effective_grad(g[i], p[i], maximize, decay, wd);
      const T delta = rms[i] / std_[i] * d;
      acc[i] = acc[i] * rho + rho1 * delta * delta;
      p[i] = p[i] + neg_lr * delta;
    }
  }
}

// hp: lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupled (AdamW), stepSize
// (lr / biasCorrection1), sqrt(biasCorrection2); s0 expAvg, s1 expAvgSq, s2 maxExpAvgSq (amsgrad)
template <typename T>
void adam(const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
  const T b1 = T(hp[1]), b1c = T(1 - hp[1]), b2 = T(hp[2]), b2c = T(1 - hp[2]), eps = T(hp[3]),
          wd = T(hp[4]), shrink = T(1 - hp[0] * hp[4]), neg_step = T(-hp[8]), bc2_sqrt = T(hp[9]);
  const bool amsgrad = hp[5] != 0, maximize = hp[6] != 0, decoupled = hp[7] != 0;
  const bool decay = !decoupled && hp[4] != 0;
  T r[kChunk];
  for (ptrdiff_t c = s; c < e; c += kChunk) {
    const ptrdiff_t n = std::min(kChunk, e - c);
    T* __restrict p = b.p + c;
    const T* __restrict g = b.g + c;
    T* __restrict m1 = b.s0 + c;
    T* __restrict m2 = b.s1 + c;
    for (ptrdiff_t i = 0; i < n; ++i) {
      const T pi = decoupled ? p[i] * shrink : p[i];
      const T d = effective_grad(g[i], pi, maximize, decay, wd);
      r[i] = update_moments(m1[i], m2[i], d, b1, b1c, b2, b2c);
    }
    if (amsgrad) {
      T* __restrict mx = b.s2 + c;
      for (ptrdiff_t i = 0; i < n; ++i) {
        const T old = mx[i], v = r[i];
        const T vmax = ((old != old) | (old > v)) ? old : v;  // torch.maximum: NaN wins
        mx[i] = vmax;
        r[i] = vmax;
      }
    }
    sqrt_inplace(r, n);
    for (ptrdiff_t i = 0; i < n; ++i) {
      const T pi = decoupled ? p[i] * shrink : p[i];
      p[i] = pi + neg_step * m1[i] / (r[i] / bc2_sqrt + eps);
    }
  }
}

// hp: beta1, beta2, eps, weightDecay, maximize, clr (lr / biasCorrection); s0 expAvg, s1 expInf
template <typename T>
void adamax(const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
  const T b1 = T(hp[0]), b1c = T(1 - hp[0]), b2 = T(hp[1]), eps = T(hp[2]), wd = T(hp[3]),
          neg_clr = T(-hp[5]);
  const bool decay = hp[3] != 0, maximize = hp[4] != 0;
  T* __restrict p = b.p;
  const T* __restrict g = b.g;
  T* __restrict m1 = b.s0;
  T* __restrict inf = b.s1;
  for (ptrdiff_t i = s; i < e; ++i) {
    const T d = effective_grad(g[i], p[i], maximize, decay, wd);
    const T m = m1[i] * b1 + b1c * d;
    m1[i] = m;
    const T a = inf[i] * b2, c = (d < T(0) ? -d : d) + eps;
    const T u = ((a != a) | (a > c)) ? a : c;  // torch.amax: NaN wins
    inf[i] = u;
    p[i] = p[i] + neg_clr * m / u;
  }
}

// hp: beta1, beta2, eps, weightDecay, maximize, biasCorrection2, gradCoef (-lr (1 - mu) /
// (1 - muProduct)), avgCoef (-lr muNext / (1 - muProductNext)); s0 expAvg, s1 expAvgSq
template <typename T>
void nadam(const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
  const T b1 = T(hp[0]), b1c = T(1 - hp[0]), b2 = T(hp[1]), b2c = T(1 - hp[1]), eps = T(hp[2]),
          wd = T(hp[3]), bc2 = T(hp[5]), cg = T(hp[6]), cm = T(hp[7]);
  const bool decay = hp[3] != 0, maximize = hp[4] != 0;
  T r[kChunk];
  for (ptrdiff_t c = s; c < e; c += kChunk) {
    const ptrdiff_t n = std::min(kChunk, e - c);
    T* __restrict p = b.p + c;
    const T* __restrict g = b.g + c;
    T* __restrict m1 = b.s0 + c;
    T* __restrict m2 = b.s1 + c;
    for (ptrdiff_t i = 0; i < n; ++i) {
      const T d = effective_grad(g[i], p[i], maximize, decay, wd);
      r[i] = update_moments(m1[i], m2[i], d, b1, b1c, b2, b2c) / bc2;
    }
    sqrt_inplace(r, n);
    for (ptrdiff_t i = 0; i < n; ++i) {
      const T d = effective_grad(g[i], p[i], maximize, decay, wd);
      const T denom = r[i] + eps;
      const T q = p[i] + cg * d / denom;
      p[i] = q + cm * m1[i] / denom;
    }
  }
}

// The update of elements [s, e) for one optimizer kind.
template <typename T>
static void optim_loop(int kind, const OptimBufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
  switch (kind) {
    case O_SGD: sgd(b, s, e, hp); break;
    case O_ADAGRAD: adagrad(b, s, e, hp); break;
    case O_RMSPROP: rmsprop(b, s, e, hp); break;
    case O_ADADELTA: adadelta(b, s, e, hp); break;
    case O_ADAM: adam(b, s, e, hp); break;
    case O_ADAMAX: adamax(b, s, e, hp); break;
    default: nadam(b, s, e, hp); break;
  }
}
