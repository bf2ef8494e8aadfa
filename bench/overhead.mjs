// W7: per-op overhead from JavaScript through N-API and back, on 1-element tensors (ns per op).
//   add-nograd     tg.add(a, b) inside tg.noGrad, a and b not requiring grad
//   add-plain      tg.add(a, b) with grad mode on, a and b not requiring grad (nothing is recorded)
//   add-record     tg.add(a, b) with a.requiresGrad: records a tape node per call
//   matmul-1x1     tg.matmul(a, b) of [1, 1] tensors, no grad
// ≥ 200k calls per point (5 timed batches, median). Threads do not matter: reports the current count.
import { emit, round, tg, timePerCall } from './lib/harness.mjs';

const threads = tg.getNumThreads();
const a = tg.tensor([1.5]);
const b = tg.tensor([2.5]);
const ag = tg.tensor([1.5], { requiresGrad: true });
const m1 = tg.tensor([[1.5]]);
const m2 = tg.tensor([[2.5]]);
const opts = { minCalls: 200_000, warmup: 0.2 };

const cases = [
  ['W7-add-nograd', () => tg.noGrad(() => timePerCall(() => tg.add(a, b), opts))],
  ['W7-add-plain', () => timePerCall(() => tg.add(a, b), opts)],
  ['W7-add-record', () => timePerCall(() => tg.add(ag, b), opts)],
  ['W7-matmul-1x1', () => timePerCall(() => tg.matmul(m1, m2), opts)],
];
for (const [workload, run] of cases) emit(workload, threads, 'time_per_op', round(run() * 1e9), 'ns');
