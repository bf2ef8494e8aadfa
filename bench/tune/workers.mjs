// Wall time of a study of small-model trials (digits-objective.mjs) with 1 and 2 worker threads
// (each tapegrad with 1 native thread). Needs `npm run build:ts`. Usage: node bench/tune/workers.mjs [nTrials=12]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tg = createRequire(import.meta.url)('../../dist/index.js');
const mod = join(dirname(fileURLToPath(import.meta.url)), 'digits-objective.mjs');
const nTrials = Number(process.argv[2] ?? 12);
const seconds = {};
for (const workers of [1, 2]) {
  const study = tg.tune.createStudy({ direction: 'maximize', sampler: new tg.tune.RandomSampler({ seed: 0 }) });
  const t0 = performance.now();
  await study.optimize(mod, { nTrials, workers });
  seconds[workers] = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ workload: 'tune-digits-trials', workers, trials: nTrials, seconds: seconds[workers], best: study.bestValue }));
}
console.log(JSON.stringify({ workload: 'tune-digits-trials', metric: 'speedup 2 workers vs 1', value: seconds[1] / seconds[2] }));
