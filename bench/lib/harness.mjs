// Shared timing helpers for the bench/*.mjs scripts (this folder is not scanned by run.mjs).
// Every script prints one JSON object per line: {"workload","threads","metric","value","unit"}.
import { createRequire } from 'node:module';

export const tg = createRequire(import.meta.url)('../../dist/index.js');

export function emit(workload, threads, metric, value, unit) {
  console.log(JSON.stringify({ workload, threads, metric, value, unit }));
}

export const now = () => Number(process.hrtime.bigint()) / 1e9;

/** Rounds to `sig` significant digits (keeps the JSON lines short). */
export function round(x, sig = 4) {
  if (!Number.isFinite(x) || x === 0) return x;
  const p = 10 ** (sig - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * p) / p;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Seconds per call of `fn`: warm up for `warmup` s (at least 2 calls), then `batches` timed batches of
 * the same number of calls, each batch ≥ `minBatch` s (and ≥ `minCalls` / `batches` calls), and return
 * the median batch's time per call. With the defaults a point takes ≥ 0.5 s of timed work.
 */
export function timePerCall(fn, { warmup = 0.15, batches = 5, minBatch = 0.1, minCalls = 0 } = {}) {
  let calls = 0;
  const w0 = now();
  while (calls < 2 || now() - w0 < warmup) {
    fn();
    calls++;
  }
  const est = (now() - w0) / calls;
  const reps = Math.max(1, Math.ceil(minBatch / est), Math.ceil(minCalls / batches));
  const times = [];
  for (let b = 0; b < batches; b++) {
    const t0 = now();
    for (let i = 0; i < reps; i++) fn();
    times.push((now() - t0) / reps);
  }
  return median(times);
}

/**
 * The bandwidth reference: GB/s of the allocation-free in-place copy `dst.copy_(src)` of n float32
 * elements (reads n, writes n → 8n bytes), at the current thread count.
 */
export function copyBandwidth(n) {
  const src = tg.randn([n]);
  const dst = tg.zeros([n]);
  return (8 * n) / timePerCall(() => dst.copy_(src)) / 1e9;
}
