// Runs a 1-D kernel over every innermost run of an N-D strided layout, split across the pool in
// fixed element blocks (block boundaries depend only on the layout, never on the thread count).
#pragma once
#include <algorithm>

#include "parallel.h"
#include "validate.h"

namespace tg {

constexpr ptrdiff_t kElementGrain = 32768;

// f(const ptrdiff_t* offsets, const ptrdiff_t* inner_strides, ptrdiff_t n) for each run.
template <typename F>
void for_each_run(Layout l, F&& f) {
  coalesce(l);
  const ptrdiff_t total = l.numel();
  if (total == 0) return;
  if (l.ndim == 0) {  // a single element
    ptrdiff_t zero[4] = {0, 0, 0, 0};
    f(l.offset, zero, ptrdiff_t(1));
    return;
  }
  const int nd = l.ndim;
  const int last = nd - 1;
  ptrdiff_t inner_strides[4];
  for (int k = 0; k < l.nops; ++k) inner_strides[k] = l.stride[k][last];
  const ptrdiff_t nblocks = (total + kElementGrain - 1) / kElementGrain;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    for (ptrdiff_t b = b0; b < b1; ++b) {
      ptrdiff_t pos = b * kElementGrain;
      const ptrdiff_t end = std::min(total, pos + kElementGrain);
      ptrdiff_t idx[kMaxDims];
      ptrdiff_t rem = pos;
      for (int d = last; d >= 0; --d) {
        idx[d] = rem % l.shape[d];
        rem /= l.shape[d];
      }
      while (pos < end) {
        ptrdiff_t off[4];
        for (int k = 0; k < l.nops; ++k) {
          off[k] = l.offset[k];
          for (int d = 0; d < nd; ++d) off[k] += idx[d] * l.stride[k][d];
        }
        const ptrdiff_t n = std::min(l.shape[last] - idx[last], end - pos);
        f(static_cast<const ptrdiff_t*>(off), static_cast<const ptrdiff_t*>(inner_strides), n);
        pos += n;
        idx[last] += n;
        for (int d = last; d > 0 && idx[d] == l.shape[d]; --d) {
          idx[d] = 0;
          ++idx[d - 1];
        }
      }
    }
  });
}

}  // namespace tg
