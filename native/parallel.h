// One persistent thread pool. Work is cut into blocks whose boundaries depend only on the problem
// size, never on the thread count, so results are bitwise identical for any number of threads.
#pragma once
#include <cstddef>
#include <functional>

namespace tg {
// Calls fn(begin, end) over [0, nblocks) in pieces; the calling thread takes part.
void parallel_for(ptrdiff_t nblocks, const std::function<void(ptrdiff_t, ptrdiff_t)>& fn);
void set_num_threads(int n);
int get_num_threads();
}  // namespace tg
