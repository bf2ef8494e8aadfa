// Runs a 1-D kernel over every innermost run of an N-D strided layout, split across the pool in
// fixed element blocks (block boundaries depend only on the layout, never on the thread count).
#pragma once
#include <algorithm>

#include "parallel.h"
#include "validate.h"

namespace tg {

constexpr ptrdiff_t kElementGrain = 32768;

// f(offsets, inner strides, n, row strides, rows) for each group of `rows` runs of n elements, run r
// of operand k starting at offsets[k] + r * row_strides[k]: whole rows of the last two dims go to
// one call (a bias or row-broadcast op is one call, not one per row).
template <typename F>
void for_each_rows(Layout l, F&& f) {
  coalesce(l);
  const ptrdiff_t total = l.numel();
  if (total == 0) return;
  ptrdiff_t zero[4] = {0, 0, 0, 0};
  if (l.ndim == 0) {  // a single element
    f(static_cast<const ptrdiff_t*>(l.offset), static_cast<const ptrdiff_t*>(zero), ptrdiff_t(1),
      static_cast<const ptrdiff_t*>(zero), ptrdiff_t(1));
    return;
  }
  const int nd = l.ndim;
  const int last = nd - 1;
  ptrdiff_t inner_strides[4], row_strides[4] = {0, 0, 0, 0};
  for (int k = 0; k < l.nops; ++k) {
    inner_strides[k] = l.stride[k][last];
    if (nd > 1) row_strides[k] = l.stride[k][last - 1];
  }
  const ptrdiff_t width = l.shape[last];
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
        ptrdiff_t off[4] = {0, 0, 0, 0};
        for (int k = 0; k < l.nops; ++k) {
          off[k] = l.offset[k];
          for (int d = 0; d < nd; ++d) off[k] += idx[d] * l.stride[k][d];
        }
        ptrdiff_t n = std::min(width - idx[last], end - pos), rows = 1;
        if (nd > 1 && idx[last] == 0) rows = std::max<ptrdiff_t>(1, std::min(l.shape[last - 1] - idx[last - 1], (end - pos) / width));
        if (rows > 1) n = width;
        f(static_cast<const ptrdiff_t*>(off), static_cast<const ptrdiff_t*>(inner_strides), n,
          static_cast<const ptrdiff_t*>(row_strides), rows);
        pos += rows * n;
        const int carry = rows > 1 ? last - 1 : last;
        idx[carry] += rows > 1 ? rows : n;
        for (int d = carry; d > 0 && idx[d] == l.shape[d]; --d) {
          idx[d] = 0;
          ++idx[d - 1];
        }
      }
    }
  });
}

// f(const ptrdiff_t* offsets, const ptrdiff_t* inner_strides, ptrdiff_t n) for each run.
template <typename F>
void for_each_run(const Layout& l, F&& f) {
  for_each_rows(l, [&](const ptrdiff_t* off, const ptrdiff_t* st, ptrdiff_t n, const ptrdiff_t* rst, ptrdiff_t rows) {
    if (rows == 1) {
      f(off, st, n);
      return;
    }
    ptrdiff_t o[4];
    for (ptrdiff_t r = 0; r < rows; ++r) {
      for (int k = 0; k < 4; ++k) o[k] = off[k] + r * rst[k];
      f(static_cast<const ptrdiff_t*>(o), st, n);
    }
  });
}

}  // namespace tg
