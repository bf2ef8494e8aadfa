// `tapegrad tune`: two CLI workers started with the same command share one journal study.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

const dir = mkdtempSync(join(tmpdir(), 'tapegrad-tune-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Against an installed package (pack-check) its built CLI runs; here the source, under tsx.
const pkg = process.env.TAPEGRAD_TEST_PACKAGE;
const cli = pkg ? join(pkg, 'dist', 'cli.js') : fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const mod = join(dir, 'objective.mjs');
writeFileSync(mod, `export const direction = 'maximize';
export async function objective(trial) {
  const x = trial.suggestFloat('x', -1, 1);
  const k = trial.suggestInt('k', 0, 3);
  await new Promise((r) => setTimeout(r, 5));
  return -(x * x) - k;
}
`);

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [...(pkg ? [] : ['--import', 'tsx']), cli, 'tune', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((r) => child.on('exit', (code) => r({ code, out, err })));
}

describe('tapegrad tune', () => {
  it('runs one worker per command; two of them share the study', async () => {
    const journal = join(dir, 'study.jsonl');
    const args = [mod, '--study', 'cli', '--storage', `journal:${journal}`, '--trials', '6', '--sampler', 'random'];
    const [a, b] = await Promise.all([run(args), run(args)]);
    expect([a.code, b.code], a.err + b.err).toEqual([0, 0]);
    expect(a.out + b.out).toMatch(/best value -?\d/);
    const study = await tg.tune.loadStudy({ storage: tg.tune.journalStorage(journal), studyName: 'cli' });
    expect(study.direction).toBe('maximize');
    expect(study.trials.map((t) => t.number)).toEqual([...Array(12).keys()]);
    expect(study.trials.every((t) => t.state === 'complete' && t.value === -((t.params.x as number) ** 2) - (t.params.k as number))).toBe(true);
  });

  // tuneCli itself is internal: only from the source tree.
  it.skipIf(!!pkg)('says what is missing', async () => {
    const { tuneCli } = await import('../src/tune/cli');
    await expect(tuneCli([mod, '--storage', 'memory', '--trials', '1'])).rejects.toThrow(/--study NAME is required/);
    await expect(tuneCli([mod, '--study', 's', '--trials', '1'])).rejects.toThrow(/--storage URL is required/);
    await expect(tuneCli([mod, '--study', 's', '--storage', 'mysql://x', '--trials', '1'])).rejects.toThrow(/--storage must be postgresql/);
    await expect(tuneCli([mod, '--study', 's', '--storage', 'memory', '--trials', 'x'])).rejects.toThrow(/--trials must be a positive integer/);
    await expect(tuneCli([mod, '--study', 's', '--storage', 'memory', '--trials', '1', '--sampler', 'nope'])).rejects.toThrow(/--sampler must be one of tpe, random, gp/);
    await expect(tuneCli([join(dir, 'objective.mjs'), '--study', 's', '--storage', 'memory', '--trials', '1', '--bogus', '1'])).rejects.toThrow(/unknown option --bogus/);
    const lines: string[] = [];
    await tuneCli([mod, '--study', 's', '--storage', 'memory', '--trials', '3'], (s) => lines.push(s));
    expect(lines[0]).toBe('study s: 3 trials (3 new since this worker started)');
  });
});
