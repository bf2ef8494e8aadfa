// `node bench/compare.mjs [gemm|elementwise|overhead|tiny|cnn|mlp|reduce|fashion ...]`: runs tapegrad's W1, W2, W3, W4, W6, W7, W8
// (and, when named, W9 fashion)
// scripts and the same workloads in PyTorch (bench/torch_workloads.py under Debian's system python3,
// which has torch; not the python3 first on PATH), then prints, for each (workload, threads, metric),
// the ratio as a JSON line with metric "ratio_vs_torch": tapegrad/PyTorch for throughput metrics
// (GFLOP/s, GB/s, steps/s) and PyTorch/tapegrad for time-per-op metrics, so > 1 always means tapegrad
// is faster. The raw lines of both are printed first, tagged with "impl". Without torch: a note, exit 0.
// BENCH_ROUNDS=n alternates n runs of each side and pairs the best values.
// The PyTorch side runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (some
// machines set them, forcing OpenBLAS onto its half-speed AVX2 kernels on AVX-512 CPUs); the first two
// lines say which ISA tapegrad dispatched and which OpenBLAS core and ATen capability PyTorch used.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const GROUPS = { gemm: 'gemm.mjs', tiny: 'tiny.mjs', elementwise: 'elementwise.mjs', overhead: 'overhead.mjs', cnn: 'cnn.mjs', mlp: 'mlp.mjs', reduce: 'reduce.mjs', fashion: 'fashion.mjs' };
// W9 (fashion) trains for minutes: only when named. Its script is TypeScript-importing, so it runs under tsx.
const DEFAULT_GROUPS = Object.keys(GROUPS).filter((g) => g !== 'fashion');
const NODE_ARGS = { fashion: ['--import', 'tsx'] };
const THROUGHPUT_UNITS = new Set(['GFLOP/s', 'GB/s', 'steps/s']);
const TIME_UNITS = new Set(['ns', 'us', 'ms', 's']);

const probe = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
if (probe.status !== 0) {
  console.error(`compare: ${PYTHON} cannot import torch (install Debian's python3-torch); nothing to compare`);
  process.exit(0);
}

const groups = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_GROUPS;
for (const g of groups) {
  if (!(g in GROUPS)) {
    console.error(`compare: unknown workload group '${g}' (one of ${Object.keys(GROUPS).join(', ')})`);
    process.exit(2);
  }
}

const torchEnv = { ...process.env };
delete torchEnv.OPENBLAS_CORETYPE;
delete torchEnv.OPENBLAS_L2_SIZE;

let failed = 0;
function run(impl, cmd, args, env) {
  const base = impl === 'torch' ? torchEnv : process.env;
  const r = spawnSync(cmd, args, { env: { ...base, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    failed++;
    console.error(`compare: ${impl} ${args.join(' ')} failed (status ${r.status}${r.signal ? `, ${r.signal}` : ''})`);
  }
  const rows = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line.trim()) continue;
    let row;
    try {
      row = JSON.parse(line);
    } catch {
      console.error(`compare: ${impl}: not a JSON line: ${line}`);
      failed++;
      continue;
    }
    rows.push(row);
    console.log(JSON.stringify({ impl, ...row }));
  }
  return rows;
}

const { backendInfo } = createRequire(import.meta.url)('../dist/index.js');
const info = backendInfo();
console.log(JSON.stringify({ backend: 'tapegrad', version: info.version, isa: info.isa, threads: info.threads, addon: info.addon }));
run('torch', PYTHON, [join(here, 'torch_workloads.py'), 'backend']);

const key = (r) => `${r.workload}\u0000${r.threads}\u0000${r.metric}`;

// The best of several rounds per line: the larger throughput, the smaller time.
function best(rounds) {
  const out = new Map();
  for (const rows of rounds) {
    for (const r of rows) {
      const k = key(r);
      const prev = out.get(k);
      const better = !prev || (THROUGHPUT_UNITS.has(r.unit) ? r.value > prev.value : TIME_UNITS.has(r.unit) ? r.value < prev.value : false);
      if (better) out.set(k, r);
    }
  }
  return out;
}

// BENCH_ROUNDS (default 1) runs each side that many times, alternating, and pairs the best values:
// on a shared machine the other tenants' load then weighs on both sides alike.
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1) | 0);
const ratios = [];
for (const g of groups) {
  const mineRounds = [];
  const theirRounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const rows = run('tapegrad', process.execPath, [...(NODE_ARGS[g] ?? []), join(here, GROUPS[g])]);
    mineRounds.push(rows);
    // W7 reports the current thread count; run PyTorch's with the same one so the lines pair up.
    const env = g === 'overhead' && rows.length ? { BENCH_THREADS: String(rows[0].threads) } : {};
    theirRounds.push(run('torch', PYTHON, [join(here, 'torch_workloads.py'), g], env));
  }
  const mine = [...best(mineRounds).values()];
  const theirs = best(theirRounds);
  for (const r of mine) {
    const t = theirs.get(key(r));
    if (!t || t.unit !== r.unit || !(r.value > 0) || !(t.value > 0)) continue;
    let value;
    if (THROUGHPUT_UNITS.has(r.unit)) value = r.value / t.value;
    else if (TIME_UNITS.has(r.unit)) value = t.value / r.value;
    else continue;
    ratios.push({ workload: r.workload, threads: r.threads, metric: 'ratio_vs_torch', value: Math.round(value * 1000) / 1000, unit: 'x', of: r.metric, tapegrad: r.value, torch: t.value });
  }
}
for (const r of ratios) console.log(JSON.stringify(r));
process.exit(failed ? 1 : 0);
