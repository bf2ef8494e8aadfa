// float32 exp, log, tanh, sigmoid and erf as branch-free polynomial code that the compiler
// vectorizes inside each ISA unit's loops (every path is computed and the result selected).
// Accuracy, measured against double libm over every float32 input: exp, log <= 1 ulp-ish (Cephes
// polynomials), tanh, sigmoid <= 2 ulp, erf <= 3 ulp; ±inf, NaN and denormals handled as libm does.
// float64 stays on libm (full double accuracy for gradcheck).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

// Inlined into each loop whatever GCC's size heuristics say (also the unary op switch in unary.h,
// which GCC otherwise clones per op): a call in the loop body would stop vectorization.
#if defined(__GNUC__) || defined(__clang__)
#define TG_VM_INLINE static inline __attribute__((always_inline))
#else
#define TG_VM_INLINE static inline
#endif

template <typename To, typename From>
TG_VM_INLINE To vm_bit_cast(From x) {
  static_assert(sizeof(To) == sizeof(From), "vm_bit_cast: sizes differ");
  To y;
  std::memcpy(&y, &x, sizeof y);
  return y;
}
TG_VM_INLINE uint32_t vm_bits(float x) { return vm_bit_cast<uint32_t>(x); }
TG_VM_INLINE float vm_float(uint32_t u) { return vm_bit_cast<float>(u); }
// 2^k for k in [-126, 127].
TG_VM_INLINE float vm_pow2(int32_t k) { return vm_float(uint32_t(k + 127) << 23); }

TG_VM_INLINE float vm_exp(float x) {
  // Clamped so that n stays in [-150, 128]; the two-step scaling below then underflows to
  // denormals/zero and overflows to inf exactly where exp does.
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 88.8f ? 88.8f : xc;
  // n = round(x / ln2) by the 1.5 * 2^23 trick (no float->int conversion, so NaN is harmless).
  const float magic = 12582912.0f;
  const float v = xc * 1.44269504088896341f + magic;
  const int32_t n = int32_t(vm_bits(v) - vm_bits(magic));
  const float nf = v - magic;
  float r = xc - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  const int32_t n1 = n >> 1;
  const float y = p * vm_pow2(n1) * vm_pow2(n - n1);
  return x != x ? x : y;
}

TG_VM_INLINE float vm_log(float x) {
  const bool sub = x < 1.17549435e-38f;  // denormal (or <= 0: fixed up at the end)
  const float xs = sub ? x * 8388608.0f : x;
  const uint32_t u = vm_bits(xs);
  int32_t e = int32_t((u >> 23) & 0xffu) - 126 - (sub ? 23 : 0);
  float m = vm_float((u & 0x807fffffu) | 0x3f000000u);  // [0.5, 1)
  const bool low = m < 0.707106781186547524f;
  e = low ? e - 1 : e;
  const float f = low ? m + m - 1.0f : m - 1.0f;
  const float ef = float(e);
  const float z = f * f;
  float p = 7.0376836292e-2f;
  p = p * f - 1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f - 1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f - 1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f - 2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  float y = p * f * z;
  y = y + ef * -2.12194440e-4f;
  y = y - 0.5f * z;
  float r = f + y;
  r = r + ef * 0.693359375f;
  r = x == INFINITY ? x : r;
  r = x == 0.0f ? -INFINITY : r;
  r = x < 0.0f ? NAN : r;
  return x != x ? x : r;
}

TG_VM_INLINE float vm_copysign(float mag, float sign) {
  return vm_float((vm_bits(mag) & 0x7fffffffu) | (vm_bits(sign) & 0x80000000u));
}

TG_VM_INLINE float vm_tanh(float x) {
  const float ax = std::fabs(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float e = vm_exp(2.0f * ax);
  const float big = 1.0f - 2.0f / (e + 1.0f);
  return vm_copysign(ax < 0.625f ? small : big, x);  // NaN takes `big`, which is NaN; keeps -0
}

TG_VM_INLINE float vm_sigmoid(float x) {
  const float e = vm_exp(-std::fabs(x));
  const float d = 1.0f + e;
  return x >= 0.0f ? 1.0f / d : e / d;  // e / (1 + e) keeps tiny results accurate
}

// erf(x) = x P(x^2) below 0.921875, 1 - exp(Q(|x|)) up to 3.92 (Q fits log erfc), ±1 beyond.
// Coefficients fitted once (weighted least squares iterated towards minimax) in double.
TG_VM_INLINE float vm_erf(float x) {
  const float ax = std::fabs(x);
  const float t = x * x;
  float p = 8.070874173427e-05f;
  p = p * t - 8.058745297603309e-4f;
  p = p * t + 5.191948264837265e-3f;
  p = p * t - 2.6854662224650383e-2f;
  p = p * t + 1.1283574998378754e-1f;
  p = p * t - 3.761261999607086e-1f;
  p = p * t + 1.1283791065216064f;
  const float small = x * p;
  const float a = ax > 3.92f ? 3.92f : ax;
  float q = 1.5754981319560102e-08f;
  q = q * a + 1.3083329122309806e-06f;
  q = q * a - 4.305474431021139e-05f;
  q = q * a + 5.810331786051393e-4f;
  q = q * a - 4.707054700702429e-3f;
  q = q * a + 2.6305926963686943e-2f;
  q = q * a - 1.0991381853818893e-1f;
  q = q * a - 6.319781541824341e-1f;
  q = q * a - 1.1301535367965698f;
  q = q * a + 3.018706920556724e-4f;
  float big = 1.0f - vm_exp(q);
  big = ax > 3.92f ? 1.0f : big;
  const float r = ax < 0.921875f ? small : vm_copysign(big, x);
  return x != x ? x : r;
}

// Overloads used by the templated kernels: float takes the polynomial code, double libm.
TG_VM_INLINE float tg_exp(float x) { return vm_exp(x); }
TG_VM_INLINE double tg_exp(double x) { return std::exp(x); }
TG_VM_INLINE float tg_log(float x) { return vm_log(x); }
TG_VM_INLINE double tg_log(double x) { return std::log(x); }
TG_VM_INLINE float tg_tanh(float x) { return vm_tanh(x); }
TG_VM_INLINE double tg_tanh(double x) { return std::tanh(x); }
TG_VM_INLINE float tg_erf(float x) { return vm_erf(x); }
TG_VM_INLINE double tg_erf(double x) { return std::erf(x); }
TG_VM_INLINE float tg_sigmoid(float x) { return vm_sigmoid(x); }
TG_VM_INLINE double tg_sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}
