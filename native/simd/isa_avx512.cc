// AVX-512 F/BW/DQ/VL kernels (compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma);
// chosen at load time when the CPU and OS allow.
#include "isa_prelude.h"

#if defined(__x86_64__) || defined(_M_X64)
#define TG_ISA_NAME "avx512"
#define TG_ISA_FN avx512_table
// GEMM tiles: 12 rows x 2 ZMM vectors, 24 of the 32 registers accumulating.
#define TG_MR_F32 12
#define TG_NR_F32 32
#define TG_MR_F64 12
#define TG_NR_F64 16

namespace tg {
namespace isa_avx512 {
#include "isa_body.inc"
}  // namespace isa_avx512
}  // namespace tg
#endif
