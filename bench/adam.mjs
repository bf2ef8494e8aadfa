// W5: one Adam step (tg.optim.Adam, one fused native call) over a 10M-element float32 parameter,
// 1 and 2 threads. Per element the step reads param, grad, expAvg and expAvgSq and writes param,
// expAvg and expAvgSq: 28 bytes, the bandwidth bound. Reported: ms per step, the GB/s those bytes
// make, and that as a fraction of the in-place copy bandwidth measured in the same run
// (copyBandwidth, the W4 copy-inplace reference).
import { copyBandwidth, emit, round, tg, timePerCall } from './lib/harness.mjs';

const n = 10_000_000;
const workload = 'W5-adam-10M';
tg.manualSeed(0);
for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  const p = tg.randn([n]).requiresGrad_();
  p.grad = tg.randn([n]);
  const opt = new tg.optim.Adam([p], { lr: 1e-3 });
  opt.step(); // creates the state outside the timed calls
  const sec = timePerCall(() => opt.step(), { batches: 7 });
  const copy = copyBandwidth(n);
  const gbs = (28 * n) / sec / 1e9;
  emit(workload, threads, 'time_per_step', round(sec * 1e3), 'ms');
  emit(workload, threads, 'bandwidth', round(gbs), 'GB/s');
  emit(workload, threads, 'copy_bandwidth', round(copy), 'GB/s');
  emit(workload, threads, 'fraction_of_copy', round(gbs / copy, 3), 'ratio');
}
