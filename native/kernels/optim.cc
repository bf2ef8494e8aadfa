// Optimizer updates: fused in-place parameter and state updates.
#include "../validate.h"
#include "exports.h"

namespace tg {

void register_optim(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace tg
