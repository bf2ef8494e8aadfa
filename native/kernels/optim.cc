// Optimizer updates: one call per parameter tensor reads the gradient and updates the parameter and
// its state buffers in place, in one fused pass. Each rule follows PyTorch 1.13's single-tensor
// (foreach=False) implementation operation by operation: Python-double hyperparameters are combined
// in double (here or in TypeScript) and cast to the parameter dtype where PyTorch casts them.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "../strided.h"
#include "../validate.h"
#include "exports.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

namespace tg {
namespace {

// Mirrored in src/native.ts (OptimKind). Hyperparameter layouts are listed with each kernel.
enum OptimKind : int { O_SGD, O_ADAGRAD, O_RMSPROP, O_ADADELTA, O_ADAM, O_ADAMAX, O_NADAM, O_COUNT };

struct KindInfo {
  const char* name;
  int nhp;
};
constexpr KindInfo kKinds[O_COUNT] = {
    {"sgd", 7}, {"adagrad", 4}, {"rmsprop", 7}, {"adadelta", 5}, {"adam", 10}, {"adamax", 6}, {"nadam", 8},
};

template <typename T>
struct Bufs {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};

// The loops are plain contiguous loops left to the auto-vectorizer, except square roots: under
// errno semantics (the default) a sqrt is a call with a side effect, which stops vectorization.
// So the rules that need one run in chunks that stay in L1: a loop writes the sqrt arguments to
// a local array, sqrt_inplace takes their roots with packed (correctly rounded) instructions,
// and a second loop finishes the update.
constexpr ptrdiff_t kChunk = 256;

inline void sqrt_inplace(float* x, ptrdiff_t n) {
  ptrdiff_t i = 0;
#if defined(__SSE2__) || defined(_M_X64)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#elif defined(__aarch64__) && defined(__ARM_NEON)
  for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vsqrtq_f32(vld1q_f32(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

inline void sqrt_inplace(double* x, ptrdiff_t n) {
  ptrdiff_t i = 0;
#if defined(__SSE2__) || defined(_M_X64)
  for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
#elif defined(__aarch64__) && defined(__ARM_NEON)
  for (; i + 2 <= n; i += 2) vst1q_f64(x + i, vsqrtq_f64(vld1q_f64(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// The gradient as PyTorch's rules see it: negated when maximizing, then plus weightDecay * param.
template <typename T>
inline T effective_grad(T g, T p, bool maximize, bool decay, T wd) {
  g = maximize ? -g : g;
  return decay ? g + wd * p : g;
}

// hp: lr, weightDecay, momentum, dampening, nesterov, maximize, fresh (momentum buffer not yet set)
template <typename T>
void sgd(const Bufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
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
void adagrad(const Bufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
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
void rmsprop(const Bufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
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
void adadelta(const Bufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
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
void adam(const Bufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
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
      const T m = m1[i] * b1 + b1c * d;
      const T v = m2[i] * b2 + b2c * d * d;
      m1[i] = m;
      m2[i] = v;
      r[i] = v;
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
void adamax(const Bufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
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
void nadam(const Bufs<T>& b, ptrdiff_t s, ptrdiff_t e, const double* hp) {
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
      const T m = m1[i] * b1 + b1c * d;
      const T v = m2[i] * b2 + b2c * d * d;
      m1[i] = m;
      m2[i] = v;
      r[i] = v / bc2;
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

template <typename T>
void run(int kind, const Bufs<T>& b, ptrdiff_t n, const double* hp) {
  using Fn = void (*)(const Bufs<T>&, ptrdiff_t, ptrdiff_t, const double*);
  static constexpr Fn fns[O_COUNT] = {sgd<T>, adagrad<T>, rmsprop<T>, adadelta<T>, adam<T>, adamax<T>, nadam<T>};
  const Fn fn = fns[kind];
  const ptrdiff_t nblocks = (n + kElementGrain - 1) / kElementGrain;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    fn(b, b0 * kElementGrain, std::min(n, b1 * kElementGrain), hp);
  });
}

// Which state buffers a kind reads, given its hyperparameters.
void needed_states(int kind, const double* hp, bool need[3]) {
  need[0] = need[1] = need[2] = false;
  switch (kind) {
    case O_SGD: need[0] = hp[2] != 0; break;
    case O_ADAGRAD: need[0] = true; break;
    case O_RMSPROP: need[0] = true; need[1] = hp[5] != 0; need[2] = hp[4] > 0; break;
    case O_ADADELTA: need[0] = need[1] = true; break;
    case O_ADAM: need[0] = need[1] = true; need[2] = hp[5] != 0; break;
    case O_ADAMAX: need[0] = need[1] = true; break;
    case O_NADAM: need[0] = need[1] = true; break;
  }
}

// Indices of the 0/1 flags in each kind's hyperparameters (-1 ends the list).
constexpr int kFlags[O_COUNT][4] = {
    {4, 5, 6, -1}, {3, -1}, {5, 6, -1}, {4, -1}, {5, 6, 7, -1}, {4, -1}, {4, -1},
};

struct Region {
  const char* name;
  const char* lo;
  const char* hi;
};

// optimStep(kind, param, paramOffset, grad, gradOffset, n, s0, s1, s2, hp): updates
// param[paramOffset .. +n) and the state arrays (each exactly n long, or null when unused) in place.
Napi::Value OptimStep(const Napi::CallbackInfo& info) {
  const char* name = "optimStep";
  const Napi::Env env = info.Env();
  require_args(info, 10, name);
  const int kind = int(get_int(info, 0, name, "kind", 0, O_COUNT - 1));
  const std::string op = std::string(name) + " (" + kKinds[kind].name + ")";
  const char* opc = op.c_str();
  Array param = get_array(info, 1, opc, "param");
  float_dtype(env, opc, param);
  const int64_t poff = get_int(info, 2, opc, "paramOffset", 0, int64_t(1) << 48);
  Array grad = get_array(info, 3, opc, "grad");
  same_dtype(env, opc, param, grad);
  const int64_t goff = get_int(info, 4, opc, "gradOffset", 0, int64_t(1) << 48);
  const int64_t n = get_int(info, 5, opc, "n", 0, int64_t(1) << 48);
  if (uint64_t(poff + n) > param.length) {
    throw_range(env, op + ": param (length " + std::to_string(param.length) + ") is too short for " +
                         std::to_string(n) + " elements at offset " + std::to_string(poff));
  }
  if (uint64_t(goff + n) > grad.length) {
    throw_range(env, op + ": grad (length " + std::to_string(grad.length) + ") is too short for " +
                         std::to_string(n) + " elements at offset " + std::to_string(goff));
  }
  napi_typedarray_type hp_type = napi_uint8_array;
  size_t nhp = 0;
  void* hp_data = nullptr;
  bool is_typed = false;
  if (napi_is_typedarray(env, info[9], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, info[9], &hp_type, &nhp, &hp_data, nullptr, nullptr) != napi_ok ||
      hp_type != napi_float64_array) {
    throw_type(env, op + ": hyperparameters must be a Float64Array");
  }
  if (nhp != size_t(kKinds[kind].nhp)) {
    throw_range(env, op + ": expected " + std::to_string(kKinds[kind].nhp) + " hyperparameters, got " +
                         std::to_string(nhp));
  }
  double hp[16];
  std::memcpy(hp, hp_data, nhp * sizeof(double));
  for (size_t i = 0; i < nhp; ++i) {
    if (!std::isfinite(hp[i])) throw_range(env, op + ": hyperparameter " + std::to_string(i) + " is not finite");
  }
  for (const int* f = kFlags[kind]; *f >= 0; ++f) {
    if (hp[*f] != 0 && hp[*f] != 1) throw_range(env, op + ": hyperparameter " + std::to_string(*f) + " must be 0 or 1");
  }
  bool need[3];
  needed_states(kind, hp, need);
  static const char* snames[3] = {"state 0", "state 1", "state 2"};
  Array st[3] = {};
  const size_t esize = param.dtype == DType::F32 ? sizeof(float) : sizeof(double);
  Region regions[5];
  int nreg = 0;
  regions[nreg++] = {"param", static_cast<const char*>(param.data) + poff * esize,
                     static_cast<const char*>(param.data) + (poff + n) * esize};
  regions[nreg++] = {"grad", static_cast<const char*>(grad.data) + goff * esize,
                     static_cast<const char*>(grad.data) + (goff + n) * esize};
  for (int k = 0; k < 3; ++k) {
    if (!need[k]) continue;
    if (info[6 + k].IsNull() || info[6 + k].IsUndefined()) {
      throw_type(env, op + ": " + snames[k] + " is required by these options but is null");
    }
    st[k] = get_array(info, 6 + k, opc, snames[k]);
    same_dtype(env, opc, param, st[k]);
    check_length(env, opc, snames[k], st[k], size_t(n));
    regions[nreg++] = {snames[k], static_cast<const char*>(st[k].data),
                       static_cast<const char*>(st[k].data) + n * esize};
  }
  // The loops assume no two buffers overlap (the grad is only read, but an aliased grad would
  // change under the update).
  if (n > 0) {
    for (int i = 0; i < nreg; ++i)
      for (int j = i + 1; j < nreg; ++j)
        if (regions[i].lo < regions[j].hi && regions[j].lo < regions[i].hi)
          throw_range(env, op + ": " + regions[i].name + " and " + regions[j].name + " share memory");
  }
  if (param.dtype == DType::F32) {
    Bufs<float> b{param.as<float>() + poff, grad.as<float>() + goff, st[0].as<float>(), st[1].as<float>(),
                  st[2].as<float>()};
    run<float>(kind, b, ptrdiff_t(n), hp);
  } else {
    Bufs<double> b{param.as<double>() + poff, grad.as<double>() + goff, st[0].as<double>(),
                   st[1].as<double>(), st[2].as<double>()};
    run<double>(kind, b, ptrdiff_t(n), hp);
  }
  return env.Undefined();
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  exports["optimStep"] = Napi::Function::New(env, OptimStep, "optimStep");
}

}  // namespace tg
