// Normalisation, dropout and embedding kernels (forward and backward).
#include "../validate.h"
#include "exports.h"

namespace tg {

void register_norm(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace tg
