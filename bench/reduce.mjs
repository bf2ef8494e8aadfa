// W8: memory-bound float32 reductions, 1 and 2 threads. GB/s counts the bytes of input each call
// reads (4 bytes per element; the output is small and not counted):
//   sum-dim0-4096x1024   `x.sum(0)` (a Linear layer's bias gradient: columns, reduced over rows)
//   sum-dim1-4096x1024   `x.sum(1)` (rows)
//   max-dim1-4096x1024   `x.max(1)`
//   sum-all-16e6         `v.sum()` of 16e6 elements down to one scalar
import { emit, round, tg, timePerCall } from './lib/harness.mjs';

tg.manualSeed(0);
const x = tg.randn([4096, 1024]);
const v = tg.randn([16e6]);
const cases = [
  ['sum-dim0-4096x1024', x.size, () => x.sum(0)],
  ['sum-dim1-4096x1024', x.size, () => x.sum(1)],
  ['max-dim1-4096x1024', x.size, () => x.max(1)],
  ['sum-all-16e6', v.size, () => v.sum()],
];
for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  for (const [name, n, fn] of cases) {
    emit(`W8-reduce-${name}`, threads, 'bandwidth', round((4 * n) / timePerCall(fn) / 1e9), 'GB/s');
  }
}
