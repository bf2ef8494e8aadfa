// Runtime controls: thread count and the chosen instruction set.
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

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  exports["setNumThreads"] = Napi::Function::New(env, SetNumThreads, "setNumThreads");
  exports["getNumThreads"] = Napi::Function::New(env, GetNumThreads, "getNumThreads");
  exports["isa"] = Napi::Function::New(env, Isa, "isa");
}

}  // namespace tg
