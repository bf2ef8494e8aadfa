// Load-time choice of the kernel table: the best ISA the CPU and OS support, or a lower one
// forced with TAPEGRAD_ISA (for testing every path on one machine).
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "../common.h"
#include "../platform.h"

#if TG_PLATFORM_X86
#define TG_X86 1
#endif

namespace tg {
namespace isa_base { const KernelTable* base_table(); }
#ifdef TG_X86
namespace isa_avx2 { const KernelTable* avx2_table(); }
namespace isa_avx512 { const KernelTable* avx512_table(); }

namespace {
// 0 (baseline), 1 (AVX2 + FMA) or 2 (AVX-512 F/BW/DQ/VL): what the CPU has and the OS saves.
int cpu_level() {
  unsigned r[4];
  if (!cpuid(1, 0, r)) return 0;
  const unsigned c = r[2];
  const bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
  if (!(osxsave && fma && avx)) return 0;
  const uint64_t xcr0 = xgetbv0();
  if ((xcr0 & 0x6) != 0x6) return 0;  // the OS saves XMM and YMM state
  if (!cpuid(7, 0, r)) return 0;
  const unsigned b = r[1];
  if (!(b & (1u << 5))) return 0;  // AVX2
  // AVX-512 F (16), DQ (17), BW (30), VL (31), and the OS saving opmask, ZMM0-15 upper halves
  // and ZMM16-31 (XCR0 bits 5-7) besides XMM/YMM.
  const unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
  if ((b & need) == need && (xcr0 & 0xe6) == 0xe6) return 2;
  return 1;
}
}  // namespace
#endif

namespace {
int level_of(const std::string& name) {
  if (name == "scalar" || name == "sse2" || name == "neon") return 0;
  if (name == "avx2") return 1;
  if (name == "avx512") return 2;
  return -1;
}

const KernelTable* choose() {
  int best = 0;
#ifdef TG_X86
  best = cpu_level();
#endif
  if (const char* env = std::getenv("TAPEGRAD_ISA")) {
    if (*env) {
      int want = level_of(env);
      if (want < 0) {
        throw std::runtime_error(std::string("TAPEGRAD_ISA=") + env +
                                 " is not one of scalar, sse2, neon, avx2, avx512");
      }
      if (want < best) best = want;
    }
  }
#ifdef TG_X86
  if (best == 2) return isa_avx512::avx512_table();
  if (best == 1) return isa_avx2::avx2_table();
#endif
  return isa_base::base_table();
}
}  // namespace

const KernelTable& kernels() {
  static const KernelTable* table = choose();
  return *table;
}

}  // namespace tg
