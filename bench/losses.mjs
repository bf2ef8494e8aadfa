// W-loss: fused native crossEntropy / binaryCrossEntropyWithLogits against the composed-op path they
// replaced (forward + backward, 'mean' reduction), logits [128, 10] and [4096, 1000], float32 and
// float64, 1 and 2 threads. Prints time per forward+backward and the speedup of the fused kernels.
import { createRequire } from 'node:module';
import { emit, round, tg, timePerCall } from './lib/harness.mjs';

const { _withComposedLosses } = createRequire(import.meta.url)('../dist/nn/losses.js');
const F = tg.nn.functional;

for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  for (const [N, C] of [[128, 10], [4096, 1000]]) {
    for (const dtype of ['float32', 'float64']) {
      tg.manualSeed(0);
      const x = tg.randn([N, C], { dtype }).requiresGrad_(true);
      const labels = tg.randint(0, C, [N], { dtype: 'int32' });
      const y = tg.rand([N, C], { dtype });
      const cases = {
        crossEntropy: () => { x.grad = null; F.crossEntropy(x, labels).backward(); },
        bceWithLogits: () => { x.grad = null; F.binaryCrossEntropyWithLogits(x, y).backward(); },
      };
      for (const [name, fn] of Object.entries(cases)) {
        const fused = timePerCall(fn);
        const composed = timePerCall(() => _withComposedLosses(fn));
        const workload = `loss-${name}-${N}x${C}-${dtype}`;
        emit(workload, threads, 'fused_fwd_bwd', round(fused * 1e3), 'ms');
        emit(workload, threads, 'composed_fwd_bwd', round(composed * 1e3), 'ms');
        emit(workload, threads, 'speedup', round(composed / fused, 3), 'ratio');
      }
    }
  }
}
