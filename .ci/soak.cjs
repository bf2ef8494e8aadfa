#!/usr/bin/env node
// Soak test (run by .ci/run, not by npm test): 10,000 MLP training steps and 2,000 CNN steps on the
// bundled digits, sampling the process's RSS; fails if memory grows once warmed up.
//
// Criterion, per phase: samples are taken every `every` steps after a full GC (node --expose-gc) and
// a 10 ms pause and a second GC, so they measure what is retained rather than garbage not yet
// collected (V8 frees the backing stores of dead ArrayBuffers on a background thread after a GC: read
// at once, they still count 10-15 MiB of dead training buffers that vary from sample to sample). The
// live bytes (V8 heap in use plus external memory, which holds every tensor buffer) are judged as
// well as RSS: RSS also holds memory malloc keeps after a free and V8's heap sizing, which step up
// a few times over a long run without anything being retained. The first 20% of the steps
// are warm-up (V8 tiers up, pools and caches fill). Over the remaining samples:
//   - the least-squares slope times the window length (the growth the trend predicts over the
//     window) must stay under SOAK_MAX_TREND_MIB (8 MiB): a fit over 160-200 samples is not moved
//     by one noisy sample; it catches a leak of about 1 KiB per step in the MLP phase (8,000
//     measured steps) and 5 KiB per step in the CNN phase (1,600), e.g. one retained activation;
//   - the largest sample must stay within SOAK_MAX_JUMP_MIB (32 MiB) of the mean of the last
//     warm-up quarter, which catches a leak that comes in a few large steps instead of a trend;
//   - the live bytes' trend must stay under SOAK_MAX_LIVE_TREND_MIB (1 MiB): they do not depend on
//     the allocator, so the limit can be tight: it catches 128 B per step in the MLP phase and
//     660 B per step in the CNN phase (whose live bytes rise by about 370 KiB as V8 compiles the
//     CNN's code; a CNN run alone stays flat within 100 KiB over 8,000 steps).
// SOAK_LEAK_BYTES=n retains n bytes per step, to check that the criterion catches a leak (256 fails
// both phases on the live bytes' trend, 3.5 MiB in the MLP phase; without it the MLP phase's RSS
// trend is within 0.5 MiB and its live trend within 150 KiB);
// SOAK_SCALE=k runs k times the steps.
'use strict';
const path = require('node:path');

const tg = require(process.env.TAPEGRAD_TEST_PACKAGE ? path.resolve(process.env.TAPEGRAD_TEST_PACKAGE) : path.join(__dirname, '..', 'dist', 'index.js'));

const MiB = 1024 * 1024;
const MAX_TREND = Number(process.env.SOAK_MAX_TREND_MIB ?? 8) * MiB;
const MAX_JUMP = Number(process.env.SOAK_MAX_JUMP_MIB ?? 32) * MiB;
const MAX_LIVE_TREND = Number(process.env.SOAK_MAX_LIVE_TREND_MIB ?? 1) * MiB;
const LEAK = Number(process.env.SOAK_LEAK_BYTES ?? 0);
const SCALE = Number(process.env.SOAK_SCALE ?? 1); // more steps, to look at a trend longer
const leaked = [];

if (typeof global.gc !== 'function') {
  // Re-run with --expose-gc (the samples must be taken after a full collection).
  const { spawnSync } = require('node:child_process');
  const r = spawnSync(process.execPath, ['--expose-gc', __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { nn } = tg;
const { x, y } = tg.datasets.digits();
const xs = x.div(16);

async function sample() {
  global.gc();
  await new Promise((resolve) => setTimeout(resolve, 10));
  global.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, live: m.heapUsed + m.external };
}

async function phase(name, { steps, every, model, input, batchSize, lr }) {
  const opt = new tg.optim.Adam(model.parameters(), { lr });
  const loader = new tg.data.DataLoader(new tg.data.TensorDataset(input, y), { batchSize, shuffle: true, dropLast: true });
  const samples = []; // [step, rss]
  let it = loader[Symbol.iterator]();
  let loss = NaN;
  const t0 = process.hrtime.bigint();
  for (let step = 1; step <= steps; step++) {
    let next = it.next();
    if (next.done) {
      it = loader[Symbol.iterator]();
      next = it.next();
    }
    const [xb, yb] = next.value;
    opt.zeroGrad();
    const l = nn.functional.crossEntropy(model.forward(xb), yb);
    l.backward();
    opt.step();
    if (LEAK > 0) leaked.push(Buffer.alloc(LEAK, 1));
    if (step % every === 0) {
      loss = l.item();
      samples.push([step, await sample()]);
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return judge(name, steps, samples, loss, seconds);
}

// Least-squares growth over the measured window and the largest rise above the warm-up's end, for
// one series of [step, bytes] samples.
function growth(samples, steps) {
  const warm = samples.filter(([s]) => s <= 0.2 * steps);
  const after = samples.filter(([s]) => s > 0.2 * steps);
  const base = warm.slice(Math.floor(warm.length * 0.75));
  const baseline = base.reduce((a, [, r]) => a + r, 0) / base.length;
  const n = after.length;
  const mx = after.reduce((a, [s]) => a + s, 0) / n;
  const my = after.reduce((a, [, r]) => a + r, 0) / n;
  const sxy = after.reduce((a, [s, r]) => a + (s - mx) * (r - my), 0);
  const sxx = after.reduce((a, [s]) => a + (s - mx) ** 2, 0);
  const slope = sxy / sxx; // bytes per step
  const window = after[n - 1][0] - after[0][0];
  const peak = Math.max(...after.map(([, r]) => r));
  return { baseline, slope, window, trend: slope * window, jump: peak - baseline };
}

function judge(name, steps, samples, loss, seconds) {
  const rss = growth(samples.map(([s, m]) => [s, m.rss]), steps);
  const live = growth(samples.map(([s, m]) => [s, m.live]), steps);
  const ok = rss.trend <= MAX_TREND && rss.jump <= MAX_JUMP && live.trend <= MAX_LIVE_TREND && Number.isFinite(loss);
  const mib = (b) => (b / MiB).toFixed(1);
  console.log(
    `${name}: ${steps} steps in ${seconds.toFixed(1)}s, final loss ${loss.toFixed(4)}; RSS after warm-up ${mib(rss.baseline)} MiB, ` +
      `trend ${mib(rss.trend)} MiB over the last ${rss.window} steps (${rss.slope.toFixed(1)} B/step, limit ${mib(MAX_TREND)}), ` +
      `peak ${mib(rss.jump)} MiB above warm-up (limit ${mib(MAX_JUMP)}); live ${mib(live.baseline)} MiB, ` +
      `trend ${(live.trend / 1024).toFixed(1)} KiB (${live.slope.toFixed(1)} B/step, limit ${mib(MAX_LIVE_TREND)} MiB): ${ok ? 'ok' : 'FAILED'}`,
  );
  return ok;
}

tg.manualSeed(0);
const mlp = new nn.Sequential(new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 64), new nn.ReLU(), new nn.Linear(64, 10));
const cnn = new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Conv2d(8, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(16 * 2 * 2, 10),
);
(async () => {
  const t0 = Date.now();
  const results = [
    await phase('mlp', { steps: 10_000 * SCALE, every: 50, model: mlp, input: xs, batchSize: 32, lr: 1e-3 }),
    await phase('cnn', { steps: 2_000 * SCALE, every: 10, model: cnn, input: xs.reshape(-1, 1, 8, 8), batchSize: 32, lr: 1e-3 }),
  ];
  console.log(`soak: ${((Date.now() - t0) / 1000).toFixed(1)}s in all`);
  process.exit(results.every(Boolean) ? 0 : 1);
})();
