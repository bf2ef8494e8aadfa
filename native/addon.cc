// Registration only: each kernel family adds its functions.
#include <napi.h>

#include <stdexcept>

#include "common.h"
#include "kernels/exports.h"
#include "parallel.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  try {
    tg::kernels();  // choose the ISA now, so a bad TAPEGRAD_ISA fails at load with its message
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  tg::bind_pool_to_env(env);
  tg::register_elementwise(env, exports);
  tg::register_reduce(env, exports);
  tg::register_linalg(env, exports);
  tg::register_index(env, exports);
  tg::register_random(env, exports);
  tg::register_runtime(env, exports);
  tg::register_optim(env, exports);
  tg::register_conv(env, exports);
  tg::register_norm(env, exports);
  tg::register_loss(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(tapegrad, Init)
