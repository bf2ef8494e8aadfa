// W4: memory-bound elementwise ops on n ∈ {1e6, 16e6} float32 elements, 1 and 2 threads.
// GB/s counts the bytes each op call reads and writes as executed (only the op calls are timed; a
// fresh output buffer per call is part of what tapegrad does, so its cost is included):
//   copy          `a.clone()`: reads n, writes n floats → 8n bytes (the bandwidth reference)
//   mul-add       `a.mul(b).add(a)`: two ops, each reads 2n and writes n → 24n bytes
//   relu          `tg.relu(a)`: reads n, writes n → 8n bytes
// Allocation-free references (kernel bandwidth without the cost of a fresh output buffer):
//   copy-inplace  `d.copy_(a)`: 8n bytes
//   mul-inplace   `c.mul_(ones)`: reads 2n, writes n → 12n bytes
// Each op's bandwidth is also printed as a fraction of the copy's (`fraction_of_copy`) and of the
// allocation-free copy's (`fraction_of_copy_inplace`).
import { emit, round, tg, timePerCall } from './lib/harness.mjs';

tg.manualSeed(0);
const sizes = [
  [1e6, '1e6'],
  [16e6, '16e6'],
];
for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  for (const [n, label] of sizes) {
    const a = tg.randn([n]);
    const b = tg.randn([n]);
    const c = tg.randn([n]);
    const d = tg.zeros([n]);
    const ones = tg.ones([n]);
    const ops = [
      ['copy', 8 * n, () => a.clone()],
      ['copy-inplace', 8 * n, () => d.copy_(a)],
      ['mul-add', 24 * n, () => a.mul(b).add(a)],
      ['relu', 8 * n, () => tg.relu(a)],
      ['mul-inplace', 12 * n, () => c.mul_(ones)],
    ];
    const ref = {};
    for (const [name, bytes, fn] of ops) {
      const gbs = bytes / timePerCall(fn) / 1e9;
      ref[name] = gbs;
      const workload = `W4-${name}-${label}`;
      emit(workload, threads, 'bandwidth', round(gbs), 'GB/s');
      if (name !== 'copy') emit(workload, threads, 'fraction_of_copy', round(gbs / ref.copy, 3), 'ratio');
      if (name !== 'copy' && name !== 'copy-inplace') {
        emit(workload, threads, 'fraction_of_copy_inplace', round(gbs / ref['copy-inplace'], 3), 'ratio');
      }
    }
  }
}
