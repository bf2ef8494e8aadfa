// tg.tune studies: trials and states, enqueueTrial, samplers' ranges and reproducibility, GridSampler,
// and pruner decisions against Optuna 3.1 on scripted learning curves (fixtures/make_tune_fixture.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

const { tune } = tg;
const fx = JSON.parse(readFileSync(new URL('./fixtures/tune.json', import.meta.url), 'utf8'));

const quadratic = (t: tg.tune.Trial): number => {
  const x = t.suggestFloat('x', -4, 4);
  const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
  const n = t.suggestInt('n', 1, 9, { step: 2 });
  const c = t.suggestCategorical('c', ['a', 'b', 'c']);
  return (x - 1) ** 2 + Math.log10(lr) ** 2 + n + (c === 'b' ? 0 : 1);
};

describe('study and trials', () => {
  it('records params, values, states and times; bestTrial follows the direction', async () => {
    const study = tune.createStudy({ sampler: new tune.RandomSampler({ seed: 3 }) });
    await study.optimize(quadratic, { nTrials: 12 });
    const trials = study.trials;
    expect(trials.map((t) => t.number)).toEqual([...Array(12).keys()]);
    for (const t of trials) {
      expect(t.state).toBe('complete');
      expect(t.value).toBeCloseTo(((t.params.x as number) - 1) ** 2 + Math.log10(t.params.lr as number) ** 2 + (t.params.n as number) + (t.params.c === 'b' ? 0 : 1), 12);
      expect(t.datetimeComplete!.getTime()).toBeGreaterThanOrEqual(t.datetimeStart!.getTime());
    }
    const min = Math.min(...trials.map((t) => t.value!));
    expect(study.bestValue).toBe(min);
    expect(study.bestTrial.number).toBe(trials.findIndex((t) => t.value === min));
    expect(study.bestParams).toEqual(study.bestTrial.params);

    const max = tune.createStudy({ direction: 'maximize', sampler: new tune.RandomSampler({ seed: 3 }) });
    await max.optimize(quadratic, { nTrials: 12 });
    expect(max.trials.map((t) => t.value)).toEqual(trials.map((t) => t.value));
    expect(max.bestValue).toBe(Math.max(...trials.map((t) => t.value!)));
  });

  it('prunes on TrialPruned (value = last report), fails on errors, NaN and non-numbers', async () => {
    const study = tune.createStudy({ sampler: new tune.RandomSampler({ seed: 1 }) });
    await study.optimize((t) => {
      t.suggestFloat('x', 0, 1);
      if (t.number === 0) {
        t.report(5, 0);
        t.report(4, 1);
        t.report(9, 1); // the first value of a step is kept
        throw new tune.TrialPruned();
      }
      if (t.number === 1) return NaN;
      if (t.number === 2) return 'x' as unknown as number;
      return 1;
    }, { nTrials: 4 });
    const [a, b, c, d] = study.trials;
    expect([a.state, a.value, [...a.intermediateValues]]).toEqual(['pruned', 4, [[0, 5], [1, 4]]]);
    expect([b.state, b.value, c.state, d.state]).toEqual(['fail', null, 'fail', 'complete']);
    expect(b.systemAttrs.failReason).toMatch(/NaN/);

    class Flaky extends Error {}
    await study.optimize(() => { throw new Flaky('boom'); }, { nTrials: 2, catch: [Flaky] });
    expect(study.trials.slice(4).map((t) => t.state)).toEqual(['fail', 'fail']);
    await expect(study.optimize(() => { throw new RangeError('bad'); }, { nTrials: 3 })).rejects.toThrow('bad');
    expect(study.trials.map((t) => t.state).slice(6)).toEqual(['fail']);
  });

  it('runs enqueued trials first with their parameters, sampling the rest', async () => {
    const study = tune.createStudy({ sampler: new tune.RandomSampler({ seed: 2 }) });
    await study.enqueueTrial({ x: 0.5, c: 'c' });
    await study.enqueueTrial({ x: 0.25 });
    await study.optimize((t) => t.suggestFloat('x', 0, 1) + (t.suggestCategorical('c', ['a', 'c']) === 'c' ? 10 : 0), { nTrials: 3 });
    const [a, b, c] = study.trials;
    expect(a.params).toEqual({ x: 0.5, c: 'c' });
    expect(b.params.x).toBe(0.25);
    expect(c.params.x).not.toBe(0.25);
    await study.enqueueTrial({ x: 7 });
    await expect(study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 1 })).rejects.toThrow(/enqueued value 7 of 'x' is not in float\(0, 1\)/);
  });

  it('the same seed gives the same trials, another seed others (Random and TPE, both modes)', async () => {
    const run = async (mk: () => tg.tune.Sampler) => {
      const s = tune.createStudy({ sampler: mk() });
      await s.optimize(quadratic, { nTrials: 25 });
      return s.trials.map((t) => [t.params, t.value]);
    };
    for (const mk of [
      (seed: number) => new tune.RandomSampler({ seed }),
      (seed: number) => new tune.TPESampler({ seed }),
      (seed: number) => new tune.TPESampler({ seed, multivariate: true, nStartupTrials: 5 }),
    ]) {
      const a = await run(() => mk(4));
      expect(await run(() => mk(4))).toEqual(a);
      expect(await run(() => mk(5))).not.toEqual(a);
    }
  });

  it('loads an existing study only with loadIfExists', async () => {
    const storage = new tune.InMemoryStorage();
    const a = tune.createStudy({ storage, studyName: 's', direction: 'maximize', sampler: new tune.RandomSampler({ seed: 1 }) });
    await a.optimize(() => 1, { nTrials: 2 });
    expect(() => tune.createStudy({ storage, studyName: 's' })).toThrow(/createStudy: a study named 's' already exists/);
    const b = tune.createStudy({ storage, studyName: 's', loadIfExists: true });
    expect(b.direction).toBe('maximize');
    expect(b.trials.length).toBe(2);
    expect((await tune.loadStudy({ storage, studyName: 's' })).trials.length).toBe(2);
  });

  it('rejects bad input with the function name', async () => {
    const study = tune.createStudy();
    expect(() => tune.createStudy({ direction: 'up' as 'minimize' })).toThrow(/createStudy: direction must be/);
    expect(() => tune.createStudy({ sampler: {} as tg.tune.Sampler })).toThrow(/createStudy: sampler must be/);
    await expect(study.optimize(() => 0, { nTrials: -1 })).rejects.toThrow(/optimize: nTrials must be/);
    await expect(study.optimize(() => 0)).rejects.toThrow(/give nTrials or timeout/);
    await expect(study.optimize(null as unknown as tg.tune.Objective, { nTrials: 1 })).rejects.toThrow(/optimize: objective must be a function/);
    const bad = async (f: (t: tg.tune.Trial) => unknown) => study.optimize((t) => (f(t), 0), { nTrials: 1 });
    await expect(bad((t) => t.suggestFloat('a', 2, 1))).rejects.toThrow(/suggestFloat: expected finite low <= high, got 2, 1/);
    await expect(bad((t) => t.suggestFloat('a', 0, 1, { log: true }))).rejects.toThrow(/suggestFloat: low must be > 0 with log/);
    await expect(bad((t) => t.suggestFloat('a', 1, 2, { log: true, step: 0.5 }))).rejects.toThrow(/log and step/);
    await expect(bad((t) => t.suggestInt('a', 0.5, 3))).rejects.toThrow(/suggestInt: expected integers/);
    await expect(bad((t) => t.suggestCategorical('a', []))).rejects.toThrow(/suggestCategorical: choices must be a non-empty array/);
    await expect(bad((t) => (t.suggestFloat('a', 0, 1), t.suggestInt('a', 0, 1)))).rejects.toThrow(/'a' was suggested before as float\(0, 1\), now as int\(0, 1\)/);
    await expect(bad((t) => t.report(1, -1))).rejects.toThrow(/report: step must be an integer >= 0/);
    expect(() => tune.createStudy().bestTrial).toThrow(/bestTrial: .* has no complete trial/);
    expect(() => new tune.TPESampler({ nStartupTrials: -1 })).toThrow(/TPESampler: nStartupTrials must be an integer >= 0/);
    expect(() => new tune.MedianPruner({ intervalSteps: 0 })).toThrow(/MedianPruner: intervalSteps must be an integer >= 1/);
    expect(() => new tune.GridSampler({ a: [] })).toThrow(/GridSampler: space.a must be a non-empty array/);
  });
});

describe('RandomSampler', () => {
  it('draws within ranges, on step grids, every integer and choice', async () => {
    const study = tune.createStudy({ sampler: new tune.RandomSampler({ seed: 9 }) });
    const seen = { n: new Set<number>(), w: new Set<number>(), c: new Set<unknown>() };
    let logBelow = 0;
    await study.optimize((t) => {
      const q = t.suggestFloat('q', 0, 1.1, { step: 0.25 }); // high lowered to 1 as Optuna does
      expect([0, 0.25, 0.5, 0.75, 1]).toContain(q);
      const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1);
      if (lr < 1e-2) logBelow++;
      seen.n.add(t.suggestInt('n', -3, 3, { step: 3 }));
      seen.w.add(t.suggestInt('w', 1, 4, { log: true }));
      seen.c.add(t.suggestCategorical('c', [null, true, 2]));
      return 0;
    }, { nTrials: 300 });
    expect([...seen.n].sort()).toEqual([-3, 0, 3]);
    expect([...seen.w].sort()).toEqual([1, 2, 3, 4]);
    expect(seen.c.size).toBe(3);
    expect(logBelow / 300).toBeGreaterThan(0.35); // half the log-range: about 0.5, against 0.01 if uniform
    expect(logBelow / 300).toBeLessThan(0.65);
  });
});

describe('GridSampler', () => {
  it('visits every point once, last parameter fastest, then stops the study', async () => {
    const study = tune.createStudy({ sampler: new tune.GridSampler({ a: [1, 2, 3], b: ['x', 'y'] }) });
    await study.optimize((t) => t.suggestCategorical('a', [1, 2, 3]) * 10 + (t.suggestCategorical('b', ['x', 'y']) === 'y' ? 1 : 0));
    expect(study.trials.map((t) => t.value)).toEqual([10, 11, 20, 21, 30, 31]);
    const s2 = tune.createStudy({ sampler: new tune.GridSampler({ x: [0.5, 2] }) });
    await s2.optimize((t) => t.suggestFloat('x', 0, 3), { nTrials: 10 });
    expect(s2.trials.map((t) => t.params.x)).toEqual([0.5, 2]);
    await expect(tune.createStudy({ sampler: new tune.GridSampler({ x: [1] }) }).optimize((t) => t.suggestFloat('y', 0, 1)))
      .rejects.toThrow(/GridSampler: parameter 'y' is not in the grid \(x\)/);
  });
});

describe('pruners against Optuna 3.1', () => {
  const curves: number[][] = fx.pruners.curves;
  const make = (name: string, o: Record<string, number>) => (name === 'median' ? new tune.MedianPruner(o) : new tune.SuccessiveHalvingPruner(o));
  for (const c of fx.pruners.cases) {
    it(`${c.pruner} ${JSON.stringify(c.options)} ${c.direction}: the same step of the same trials is pruned`, async () => {
      const study = tune.createStudy({ direction: c.direction, pruner: make(c.pruner, c.options), sampler: new tune.RandomSampler({ seed: 0 }) });
      const sign = c.direction === 'minimize' ? 1 : -1;
      const stops: (number | null)[] = [];
      await study.optimize((t) => {
        const curve = curves[t.number];
        for (let s = 0; s < curve.length; s++) {
          t.report(sign * curve[s], s);
          if (t.shouldPrune()) {
            stops.push(s);
            throw new tune.TrialPruned();
          }
        }
        stops.push(null);
        return sign * curve[curve.length - 1];
      }, { nTrials: curves.length });
      expect(stops).toEqual(c.decisions);
      expect(c.decisions.some((d: number | null) => d !== null)).toBe(true);
    });
  }
  it('NopPruner never prunes', () => {
    expect(new tune.NopPruner().prune()).toBe(false);
  });
});
