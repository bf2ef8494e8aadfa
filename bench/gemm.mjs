// W1: GEMM throughput. sgemm C = A·B for square N ∈ {64, 256, 1024, 2048}, dgemm at N = 1024, and
// "x @ W.T" (transposed second operand, a strided view: no copy) at N = 1024; 1 and 2 threads.
// GFLOP/s = 2N³ / time per call (median of 5 timed batches of ≥ 0.1 s after a warm-up).
import { emit, round, tg, timePerCall } from './lib/harness.mjs';

tg.manualSeed(0);
const cases = [
  ...[64, 256, 1024, 2048].map((n) => ({ workload: `W1-sgemm-${n}`, n, dtype: 'float32', transB: false })),
  { workload: 'W1-dgemm-1024', n: 1024, dtype: 'float64', transB: false },
  { workload: 'W1-sgemm-xWT-1024', n: 1024, dtype: 'float32', transB: true },
];

for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  for (const { workload, n, dtype, transB } of cases) {
    const a = tg.randn([n, n], { dtype });
    const w = tg.randn([n, n], { dtype });
    const b = transB ? w.T : w;
    const sec = timePerCall(() => tg.matmul(a, b));
    emit(workload, threads, 'gflops', round((2 * n ** 3) / sec / 1e9), 'GFLOP/s');
  }
}
