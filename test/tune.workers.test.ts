// study.optimize({workers}): trials of an objective module in worker threads, one study in the main thread.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

const { tune } = tg;
const dir = mkdtempSync(join(tmpdir(), 'tapegrad-tune-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mod = join(dir, 'objective.mjs');
writeFileSync(mod, `import { threadId } from 'node:worker_threads';
export async function objective(trial) {
  const x = trial.suggestFloat('x', -2, 2);
  const k = trial.suggestInt('k', 1, 3);
  trial.report(threadId, 0);
  if (k === 3 && trial.shouldPrune()) { const e = new Error('pruned'); e.name = 'TrialPruned'; throw e; }
  await new Promise((r) => setTimeout(r, 20));
  if (x > 1.9) return NaN;
  return x * x + k;
}
`);
const bad = join(dir, 'bad.mjs');
writeFileSync(bad, `export function objective(trial) { trial.suggestFloat('x', 0, 1); throw new RangeError('objective broke'); }\n`);

describe('optimize with workers', () => {
  it('runs the trials of a module in two threads against one study', async () => {
    const study = tune.createStudy({ sampler: new tune.TPESampler({ seed: 1, nStartupTrials: 4 }), pruner: new tune.NopPruner() });
    await study.optimize(mod, { nTrials: 12, workers: 2 });
    const trials = study.trials;
    expect(trials.map((t) => t.number)).toEqual([...Array(12).keys()]);
    const threads = new Set(trials.map((t) => t.intermediateValues.get(0)));
    expect(threads.size).toBe(2);
    expect([...threads].every((id) => (id as number) > 0)).toBe(true); // worker threads, not the main one
    for (const t of trials.filter((u) => u.state === 'complete')) expect(t.value).toBeCloseTo((t.params.x as number) ** 2 + (t.params.k as number), 12);
    expect(trials.every((t) => t.state === 'complete' || (t.state === 'fail' && (t.params.x as number) > 1.9))).toBe(true);
  });

  it('rethrows the objective error (the trial fails) unless caught; checks its options', async () => {
    const study = tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await expect(study.optimize(bad, { nTrials: 4, workers: 2 })).rejects.toThrow(RangeError);
    expect(study.trials.length).toBeGreaterThanOrEqual(1);
    expect(study.trials.every((t) => t.state === 'fail' && /objective broke/.test(String(t.systemAttrs.failReason)))).toBe(true);
    const s2 = tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await s2.optimize(bad, { nTrials: 3, workers: 2, catch: [RangeError] });
    expect(s2.trials.map((t) => t.state)).toEqual(['fail', 'fail', 'fail']);
    await expect(s2.optimize(() => 0, { nTrials: 1, workers: 2 })).rejects.toThrow(/with workers > 1 the objective must be the path of a module/);
    await expect(s2.optimize(mod, { nTrials: 1, workers: 0 })).rejects.toThrow(/workers must be an integer >= 1/);
  });
});
