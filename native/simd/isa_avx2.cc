// AVX2 + FMA kernels (compiled with -mavx2 -mfma); chosen at load time when the CPU and OS allow.
#include "isa_prelude.h"

#if defined(__x86_64__) || defined(_M_X64)
#define TG_ISA_NAME "avx2"
#define TG_ISA_FN avx2_table
#define TG_MR_F32 6
#define TG_NR_F32 16
#define TG_MR_F64 6
#define TG_NR_F64 8

namespace tg {
namespace isa_avx2 {
#include "isa_body.inc"
}  // namespace isa_avx2
}  // namespace tg
#endif
