// One persistent thread pool. Work is cut into blocks whose boundaries depend only on the problem
// size, never on the thread count, so results are bitwise identical for any number of threads.
#pragma once
#include <cstddef>
#include <functional>
#include <utility>

typedef struct napi_env__* napi_env;  // as <node_api.h>

namespace tg {
void parallel_for_pool(ptrdiff_t nblocks, const std::function<void(ptrdiff_t, ptrdiff_t)>& fn);

// Calls fn(begin, end) over [0, nblocks) in pieces; the calling thread takes part. A single
// block runs inline with no std::function or pool traffic (the common case for small tensors).
template <typename F>
inline void parallel_for(ptrdiff_t nblocks, F&& fn) {
  if (nblocks <= 0) return;
  if (nblocks == 1) {
    fn(ptrdiff_t(0), ptrdiff_t(1));
    return;
  }
  parallel_for_pool(nblocks, std::function<void(ptrdiff_t, ptrdiff_t)>(std::ref(fn)));
}
void set_num_threads(int n);
// Joins the calling JS thread's pool when its Node environment is torn down (call once per env).
void bind_pool_to_env(napi_env env);
int get_num_threads();
}  // namespace tg
