// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", 2011): four 32-bit
// words from a 64-bit counter under a 64-bit key. Included inside a namespace by kernels/random.cc
// and by each ISA unit (simd/isa_body.inc), so it includes nothing itself.
struct Words { uint32_t w[4]; };

static inline Words philox(uint64_t counter, uint32_t k0, uint32_t k1) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = 0, c3 = 0;
  for (int r = 0; r < 10; ++r) {
    const uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
    const uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c1 = uint32_t(p1);
    c3 = uint32_t(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

static inline double u53(uint32_t hi, uint32_t lo) {  // uniform in [0, 1)
  return double(((uint64_t(hi) << 32) | lo) >> 11) * 0x1.0p-53;
}

