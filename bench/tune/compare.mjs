// TPE (and random search) in tapegrad against Optuna 3.1 on Branin, Hartmann-6 and 4-D Rosenbrock:
// median (and quartiles) over seeds of the best value after N trials, and the time per trial of a
// 200-trial study. Needs `npm run build:ts` and Debian's python3-optuna (/usr/bin/python3).
// Usage: node bench/tune/compare.mjs [nTrials=60] [nSeeds=20] [samplers=tpe,tpe-multivariate,random,gp]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tg = createRequire(import.meta.url)('../../dist/index.js');
const { tune } = tg;
const here = dirname(fileURLToPath(import.meta.url));
const F = JSON.parse(readFileSync(join(here, 'functions.json'), 'utf8'));
const nTrials = Number(process.argv[2] ?? 60);
const nSeeds = Number(process.argv[3] ?? 20);

const A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]].map((r) => r.map((v) => v * 1e-4));
const ALPHA = [1.0, 1.2, 3.0, 3.2];
const FUN = {
  branin: ([x, y]) => (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10,
  hartmann6: (x) => -ALPHA.reduce((s, a, i) => s + a * Math.exp(-x.reduce((t, xj, j) => t + A[i][j] * (xj - P[i][j]) ** 2, 0)), 0),
  rosenbrock4: (x) => x.slice(0, -1).reduce((s, xi, i) => s + 100 * (x[i + 1] - xi * xi) ** 2 + (1 - xi) ** 2, 0),
};
const objective = (name) => (t) => FUN[name](F[name].bounds.map(([lo, hi], i) => t.suggestFloat(`x${i}`, lo, hi)));
const ALL = {
  tpe: (seed) => new tune.TPESampler({ seed }),
  'tpe-multivariate': (seed) => new tune.TPESampler({ seed, multivariate: true }),
  random: (seed) => new tune.RandomSampler({ seed }),
  gp: (seed) => new tune.GPSampler({ seed }),
};
const SAMPLERS = Object.fromEntries((process.argv[4] ?? Object.keys(ALL).join(',')).split(',').map((k) => [k, ALL[k]]));

const quart = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => { const i = (s.length - 1) * p; const lo = Math.floor(i); return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo); };
  return [q(0.25), q(0.5), q(0.75)];
};

const rows = [];
const py = spawnSync('/usr/bin/python3', [join(here, 'optuna_side.py'), String(nTrials), String(nSeeds)], { encoding: 'utf8', maxBuffer: 1 << 26 });
if (py.status !== 0) throw new Error(`optuna_side.py failed: ${py.stderr}`);
for (const line of py.stdout.trim().split('\n')) rows.push(JSON.parse(line));

for (const name of Object.keys(FUN)) {
  for (const [kind, mk] of Object.entries(SAMPLERS)) {
    const bests = [];
    for (let seed = 0; seed < nSeeds; seed++) {
      const s = tune.createStudy({ sampler: mk(seed) });
      await s.optimize(objective(name), { nTrials });
      bests.push(s.bestValue);
    }
    rows.push({ side: 'tapegrad', function: name, sampler: kind, bests });
  }
}
for (const kind of Object.keys(SAMPLERS).filter((k) => k !== 'random')) {
  const s = tune.createStudy({ sampler: SAMPLERS[kind](0) });
  const t0 = performance.now();
  await s.optimize(objective('hartmann6'), { nTrials: 200 });
  rows.push({ side: 'tapegrad', function: 'hartmann6', sampler: kind, secondsPerTrial200: (performance.now() - t0) / 1000 / 200 });
}

for (const r of rows) {
  if (r.bests) {
    const [q1, med, q3] = quart(r.bests);
    console.log(JSON.stringify({ side: r.side, function: r.function, sampler: r.sampler, trials: nTrials, seeds: nSeeds, median: med, q1, q3, min: F[r.function].min }));
  } else console.log(JSON.stringify(r));
}
