// Runtime controls: thread count, the chosen instruction set, and memory advice for large buffers.
#include <cstdint>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "../parallel.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

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

// adviseHugePages(array): asks the kernel to back the 2 MiB-aligned interior of a large, not yet
// touched buffer with transparent huge pages, so first writes fault once per 2 MiB instead of once
// per 4 KiB. Only advice: returns whether the kernel took it.
Napi::Value AdviseHugePages(const Napi::CallbackInfo& info) {
  Array a = get_array(info, 0, "adviseHugePages", "array");
  bool ok = false;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(a.data);
  const uintptr_t end = begin + a.length * (a.dtype == DType::F64 ? 8 : 4);
  const uintptr_t lo = (begin + kHuge - 1) & ~(kHuge - 1), hi = end & ~(kHuge - 1);
  if (hi > lo) ok = madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE) == 0;
#endif
  return Napi::Boolean::New(info.Env(), ok);
}

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  exports["setNumThreads"] = Napi::Function::New(env, SetNumThreads, "setNumThreads");
  exports["getNumThreads"] = Napi::Function::New(env, GetNumThreads, "getNumThreads");
  exports["isa"] = Napi::Function::New(env, Isa, "isa");
  exports["adviseHugePages"] = Napi::Function::New(env, AdviseHugePages, "adviseHugePages");
}

}  // namespace tg
