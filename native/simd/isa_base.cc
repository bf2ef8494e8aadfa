// Baseline kernels for the architecture's minimum: SSE2 on x86-64, NEON on arm64, plain C++ elsewhere.
#include "isa_prelude.h"

#if defined(__x86_64__) || defined(_M_X64)
#define TG_ISA_NAME "sse2"
#elif defined(__aarch64__) || defined(_M_ARM64)
#define TG_ISA_NAME "neon"
#else
#define TG_ISA_NAME "scalar"
#endif
#define TG_ISA_FN base_table
#if defined(__aarch64__) && defined(__ARM_NEON)
// The NEON micro-kernel's tiles (gemm/gemm_neon.h): 24 of the 32 vector registers accumulate.
#define TG_MR_F32 8
#define TG_NR_F32 12
#define TG_MR_F64 8
#define TG_NR_F64 6
#else
#define TG_MR_F32 4
#define TG_NR_F32 8
#define TG_MR_F64 4
#define TG_NR_F64 4
#endif

namespace tg {
namespace isa_base {
#include "isa_body.inc"
}  // namespace isa_base
}  // namespace tg
