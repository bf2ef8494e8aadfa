// Standard headers every ISA unit needs, included at global scope before the unit opens its
// own namespace (the kernel headers are then included inside that namespace).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "../common.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>  // the AVX-512 GEMM micro-kernel (gemm/gemm.h, Vec512)
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>  // the NEON GEMM micro-kernel (gemm/gemm_neon.h)
#endif
