// Runtime controls: thread count, the chosen instruction set, and memory advice for large buffers.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "../parallel.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

// Tensor buffers are malloc'd (Buffer.allocUnsafeSlow) and freed when GC collects them. With glibc's
// defaults a freed buffer of a few MiB goes back to the kernel (munmap, or a trim of the heap top),
// so the next one faults all its pages in again, which costs more than the op that fills it (a 4 MiB
// clone: 2-3x). Keeping up to kTrimBytes of freed heap and serving buffers up to kMmapBytes from the
// heap lets a training loop reuse the same memory every step, as PyTorch's caching allocator does.
// (A pool of external ArrayBuffers watched by weak references was tried: it kept every buffer alive
// through scavenges until a full GC, which then ran every few steps and cost more than it saved.)
// Settings the user made through glibc's environment variables are left alone.
constexpr int kMmapBytes = 32 << 20;
constexpr int kTrimBytes = 128 << 20;

void tune_malloc() {
#if defined(__GLIBC__)
  static const bool done = [] {
    const char* tunables = getenv("GLIBC_TUNABLES");
    if (getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") ||
        (tunables && strstr(tunables, "glibc.malloc."))) {
      return false;
    }
    mallopt(M_MMAP_THRESHOLD, kMmapBytes);
    mallopt(M_TRIM_THRESHOLD, kTrimBytes);
    return true;
  }();
  (void)done;
#endif
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  set_num_threads(int(get_int(info, 0, "setNumThreads", "n", 1, 1024)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), get_num_threads());
}

Napi::Value Isa(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kernels().isa);
}

constexpr uintptr_t kHuge = uintptr_t(2) << 20;

// Asks the kernel to back [lo, hi) (2 MiB aligned) with transparent huge pages, so first writes
// fault once per 2 MiB instead of once per 4 KiB. Only advice: returns whether the kernel took it.
bool advise_huge(uintptr_t lo, uintptr_t hi) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  return hi > lo && madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE) == 0;
#else
  (void)lo;
  (void)hi;
  return false;
#endif
}

size_t byte_length(const Array& a) { return a.length * (a.dtype == DType::F64 ? 8 : 4); }

// adviseHugePages(array): huge pages for the 2 MiB-aligned interior of a large, not yet touched
// buffer. Returns whether the advice was taken.
Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  Array a = get_array(info, 0, "adviseHugePages", "array");
  const uintptr_t begin = reinterpret_cast<uintptr_t>(a.data), end = begin + byte_length(a);
  return Napi::Boolean::New(info.Env(), advise_huge((begin + kHuge - 1) & ~(kHuge - 1), end & ~(kHuge - 1)));
}

// hugePageOffset(array, bytes): for a fresh buffer allocated 2 MiB larger than the `bytes` it will
// hold, the offset at which those bytes start on a 2 MiB boundary, advised as huge pages: all of
// them, or all but a last partial 2 MiB that is under 1 MiB (at most 1 MiB of memory is spent on
// rounding). -1 when the buffer is too small.
Napi::Value HugePageOffset(const Napi::CallbackInfo& info) {
  const char* name = "hugePageOffset";
  Array a = get_array(info, 0, name, "array");
  const uintptr_t len = byte_length(a);
  const uintptr_t bytes = uintptr_t(get_int(info, 1, name, "bytes", 0, int64_t(len)));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(a.data);
  const uintptr_t lo = (begin + kHuge - 1) & ~(kHuge - 1);
  if (lo + bytes > begin + len) return Napi::Number::New(info.Env(), -1);
  const uintptr_t full = bytes & ~(kHuge - 1), tail = bytes - full;
  const uintptr_t hi = lo + full + (tail >= kHuge / 2 ? kHuge : 0);
  advise_huge(lo, std::min(hi, (begin + len) & ~uintptr_t(4095)));  // never past the buffer
  return Napi::Number::New(info.Env(), double(lo - begin));
}

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  exports["setNumThreads"] = Napi::Function::New(env, SetNumThreads, "setNumThreads");
  exports["getNumThreads"] = Napi::Function::New(env, GetNumThreads, "getNumThreads");
  exports["isa"] = Napi::Function::New(env, Isa, "isa");
  exports["adviseHugePages"] = Napi::Function::New(env, AdviseHugePages, "adviseHugePages");
  exports["hugePageOffset"] = Napi::Function::New(env, HugePageOffset, "hugePageOffset");
  tune_malloc();
}

}  // namespace tg
