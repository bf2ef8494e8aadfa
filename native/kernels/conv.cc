// Convolution and pooling kernels (forward and backward).
#include "../validate.h"
#include "exports.h"

namespace tg {

void register_conv(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace tg
