// Small shims for what differs between Linux, macOS and Windows (GCC, Clang, MinGW-w64, MSVC):
// the floating-point environment a pool worker runs with, whether a worker thread was ended by
// process exit, and x86 CPUID/XGETBV.
#pragma once
#include <cstdint>
#include <thread>

#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#if defined(__WINPTHREADS_VERSION) || defined(__MINGW32__)
#include <pthread.h>
#endif
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define TG_PLATFORM_X86 1
#include <xmmintrin.h>
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#include <immintrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace tg {

// The floating-point control state of a thread: SSE's MXCSR (rounding, flush-to-zero) and, with
// GCC-compatible compilers, the x87 control word. The x87 word matters on Windows with MinGW-w64:
// its pow/exp/log (libmingwex) are x87 long-double code whose results depend on the precision bits,
// node.exe's threads run at 53 bits (0x27F) while a new winpthreads thread starts at 64 (0x37F), so
// pool workers would round differently from the calling thread. The pool copies the caller's state
// into each worker before it runs a job, which makes results independent of the thread count
// whatever the compiler's CRT does at thread start. (MSVC x64 has no x87 code in its CRT math.)
struct FpEnv {
#if TG_PLATFORM_X86
  unsigned mxcsr = 0;
#if defined(__GNUC__)
  uint16_t x87 = 0;
#endif

  static FpEnv current() {
    FpEnv e;
    e.mxcsr = _mm_getcsr();
#if defined(__GNUC__)
    __asm__ volatile("fnstcw %0" : "=m"(e.x87));
#endif
    return e;
  }
  void apply() const {
    _mm_setcsr(mxcsr);
#if defined(__GNUC__)
    __asm__ volatile("fldcw %0" : : "m"(x87));
#endif
  }
  bool operator==(const FpEnv& o) const {
#if defined(__GNUC__)
    if (x87 != o.x87) return false;
#endif
    return mxcsr == o.mxcsr;
  }
#else
  // ARM64: FPCR holds rounding and flush-to-zero; new threads start at the default like the
  // caller unless user code changed it, which tapegrad does not.
  static FpEnv current() { return {}; }
  void apply() const {}
  bool operator==(const FpEnv&) const { return true; }
#endif
  bool operator!=(const FpEnv& o) const { return !(*this == o); }
};

// True when the (not yet joined) thread `t` has already ended. A pool worker only ends when it is
// told to, except on Windows at process exit: ExitProcess ends every other thread first, wherever
// it is (possibly inside the pool's condition variable, holding its internal lock), and only then
// runs the exiting thread's thread_local and static destructors. Always false elsewhere.
inline bool thread_ended(std::thread& t) {
#if defined(_WIN32) && defined(_MSC_VER) && !defined(__clang__)
  return WaitForSingleObject(static_cast<HANDLE>(t.native_handle()), 0) == WAIT_OBJECT_0;
#elif defined(_WIN32) && defined(__WINPTHREADS_VERSION)
  return WaitForSingleObject(static_cast<HANDLE>(pthread_gethandle(t.native_handle())), 0) == WAIT_OBJECT_0;
#else
  (void)t;
  return false;
#endif
}

#if TG_PLATFORM_X86
// CPUID leaf/subleaf into r[0..3] = EAX, EBX, ECX, EDX. False if the leaf is above the maximum.
inline bool cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
#if defined(_MSC_VER) && !defined(__clang__)
  int v[4];
  __cpuid(v, int(leaf & 0x80000000u));
  if (unsigned(v[0]) < leaf) return false;
  __cpuidex(v, int(leaf), int(subleaf));
  for (int i = 0; i < 4; i++) r[i] = unsigned(v[i]);
  return true;
#else
  return __get_cpuid_count(leaf, subleaf, &r[0], &r[1], &r[2], &r[3]) != 0;
#endif
}

// XCR0: which register states the OS saves on a context switch. Only valid when CPUID says OSXSAVE.
inline uint64_t xgetbv0() {
#if defined(_MSC_VER) && !defined(__clang__)
  return _xgetbv(0);
#else
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
#endif
}
#endif

}  // namespace tg
