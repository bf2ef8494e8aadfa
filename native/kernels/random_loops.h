// Random-number fill loops, compiled in every ISA unit (included by simd/isa_body.inc inside the
// unit's namespace after philox.h). Integer and float conversions only: the same numbers on
// every ISA.
#pragma once

// p[i] for i in [s, e): uniform in [lo, hi), 24 bits per float; each counter's four words serve
// four consecutive elements (counter offset + i / 4).
static void uniform_f32(float* p, ptrdiff_t s, ptrdiff_t e, const PhiloxKey& k, float lo, float hi) {
  for (ptrdiff_t i = s; i < e; i += 4) {
    const Words w = philox(k.offset + uint64_t(i / 4), k.k0, k.k1);
    for (ptrdiff_t j = 0; j < 4 && i + j < e; ++j) {
      const float v = lo + float(w.w[j] >> 8) * 0x1.0p-24f * (hi - lo);
      p[i + j] = v < hi ? v : lo;  // rounding may reach high: keep the interval half-open
    }
  }
}
