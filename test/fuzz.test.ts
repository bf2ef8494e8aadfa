// Property-based fuzzing of the public API (issue 18 item 6): a child process (test/fuzz.worker.cjs) calls
// every top-level function, nn.functional and nn.init function, data helper, common layer constructor and
// Tensor method with fast-check-generated hostile arguments (wrong types, NaN, ±Infinity, 2^31, 2^53,
// BigInts, holey, deep and self-containing arrays, fake tensors, Proxies, empty, 0-d, expanded and
// transposed views). Each call must return or throw an Error that starts with the public name, with no
// raw V8/Node error and bounded memory; a native crash or a hang ends the child and fails here.
// Seeded; TAPEGRAD_FUZZ_RUNS (default 3000) and TAPEGRAD_FUZZ_SEED make longer or other runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const entry = resolve(process.env.TAPEGRAD_TEST_PACKAGE ?? '.', 'dist/index.js');
const worker = resolve(__dirname, 'fuzz.worker.cjs');
const runs = Number(process.env.TAPEGRAD_FUZZ_RUNS ?? 3000);
const seed = Number(process.env.TAPEGRAD_FUZZ_SEED ?? 20251203);

describe('fuzzing the public API with hostile arguments', () => {
  it(`${runs} seeded calls (seed ${seed}): every error names the public function, no crash, hang or raw engine error`, () => {
    const env = { ...process.env };
    if (env.TAPEGRAD_ADDON) env.TAPEGRAD_ADDON = resolve(env.TAPEGRAD_ADDON);
    // Functions given a path write files: run where that does no harm.
    const cwd = mkdtempSync(join(tmpdir(), 'tapegrad-fuzz-'));
    try {
      const r = spawnSync(process.execPath, [worker, entry, String(seed), String(runs)], {
        cwd, env, encoding: 'utf8', timeout: Math.max(60_000, runs * 20), maxBuffer: 64 << 20,
      });
      const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const failures = lines.filter((l) => !l.done);
      expect(r.signal, `the child died of ${r.signal} (native crash or hang); stderr: ${r.stderr.slice(-2000)}`).toBeNull();
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      expect(failures, failures.map((f) => `${f.call}: ${f.why}`).join('\n')).toEqual([]);
      expect(lines.at(-1)).toMatchObject({ done: true });
      expect((lines.at(-1) as { functions: number }).functions).toBeGreaterThan(150);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
