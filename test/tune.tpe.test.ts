// TPESampler's parts against Optuna 3.1 (fixtures/make_tune_fixture.py): the truncated normal in log
// space, the Parzen estimators' kernels (bandwidths, prior, weights, magic clip), the good/bad split
// with pruned trials, default gamma and weights; and that TPE beats random search on a quadratic.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { logGaussMass, logNdtr, truncnormPpf, erf } from '../src/tune/samplers/tpe/truncnorm';
import { ParzenEstimator } from '../src/tune/samplers/tpe/parzen-estimator';
import type * as TpeModule from '../src/tune/samplers/tpe/sampler';
import type * as RngModule from '../src/tune/rng';

// The sampler's bookkeeping and its generator pull in the library (src/random.ts loads the addon):
// tested from the source tree; the installed package's run (pack-check) skips them.
const fromSource = !process.env.TAPEGRAD_TEST_PACKAGE;
let tpe: typeof TpeModule;
let rng: typeof RngModule;
beforeAll(async () => {
  if (!fromSource) return;
  tpe = await import('../src/tune/samplers/tpe/sampler');
  rng = await import('../src/tune/rng');
});
import type { Distribution } from '../src/tune/distributions';
import type { FrozenTrial } from '../src/tune/frozen-trial';

const { tune } = tg;
const fx = JSON.parse(readFileSync(new URL('./fixtures/tune.json', import.meta.url), 'utf8'));
const close = (a: number, b: number, rel = 1e-9) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

describe('truncated normal helpers', () => {
  it('match Optuna: log Phi, log Gaussian mass, truncated quantile', () => {
    for (const [x, v] of fx.logNdtr) close(logNdtr(x), v, 1e-12);
    for (const [a, b, v] of fx.logGaussMass) close(logGaussMass(a, b), v, 1e-10);
    for (const [q, a, b, v] of fx.ppf) close(truncnormPpf(q, a, b), v, 1e-9);
    close(erf(0.5), 0.5204998778130465, 1e-14);
    close(erf(-2.5), -0.9995930479825550, 1e-14);
  });
});

describe.runIf(fromSource)('ParzenEstimator', () => {
  const space = fx.parzen.space as Record<string, Distribution>;
  const obs = fx.parzen.observations as Record<string, number[]>;
  for (const e of fx.parzen.estimators) {
    it(`has Optuna's kernels (${e.multivariate ? 'multivariate' : 'univariate'}, ${e.n} observations)`, () => {
      const o = Object.fromEntries(Object.entries(obs).map(([k, v]) => [k, v.slice(0, e.n)]));
      const pe = new ParzenEstimator(o, space, { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: tpe.defaultWeights, multivariate: e.multivariate });
      expect(Array.from(pe.weights)).toEqual(e.weights.map((w: number) => expect.closeTo(w, 14)));
      const kernels = (pe as unknown as { kernels: Record<string, { mus?: Float64Array; sigmas?: Float64Array; probs?: Float64Array; low?: number; high?: number }> }).kernels;
      for (const [k, ref] of Object.entries(e.kernels as Record<string, { mus?: number[]; sigmas?: number[]; probs?: number[][]; low?: number; high?: number }>)) {
        if (ref.probs) {
          expect(Array.from(kernels[k].probs!)).toEqual(ref.probs.flat().map((p) => expect.closeTo(p, 14)));
          continue;
        }
        expect(Array.from(kernels[k].mus!)).toEqual(ref.mus!.map((m) => expect.closeTo(m, 12)));
        expect(Array.from(kernels[k].sigmas!)).toEqual(ref.sigmas!.map((s) => expect.closeTo(s, 12)));
        close(kernels[k].low!, ref.low!, 1e-14);
        close(kernels[k].high!, ref.high!, 1e-14);
      }
    });
  }

  it("log densities are Optuna's (all six kinds of parameter jointly), samples stay in the space", () => {
    const mk = (e: { n: number; multivariate: boolean }) => new ParzenEstimator(
      Object.fromEntries(Object.entries(obs).map(([k, v]) => [k, v.slice(0, e.n)])), space,
      { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: tpe.defaultWeights, multivariate: e.multivariate });
    for (const e of fx.parzen.estimators) {
      const pe = mk(e);
      expect(Array.from(pe.logPdf(e.points))).toEqual(e.logPdf.map((v: number) => expect.closeTo(v, 9)));
      const s = pe.sample(new rng.SamplerRng('t', e.n), 300);
      for (const [k, d] of Object.entries(space)) {
        for (const v of s[k]) {
          if (d.kind === 'categorical') expect([0, 1, 2]).toContain(v);
          else {
            expect(v).toBeGreaterThanOrEqual(d.low);
            expect(v).toBeLessThanOrEqual(d.high);
            if (d.kind === 'int') expect((v - d.low) % d.step).toBe(0);
          }
        }
      }
      expect(new Set(s.q)).toEqual(new Set([0, 0.25, 0.5, 0.75, 1]));
    }
  });
});

describe.runIf(fromSource)('TPE bookkeeping', () => {
  it("default gamma and weights are Optuna's", () => {
    for (const [n, g] of fx.gamma) expect(tpe.defaultGamma(n)).toBe(g);
    for (const [n, w] of fx.weights) expect(tpe.defaultWeights(n)).toEqual(w.map((x: number) => expect.closeTo(x, 14)));
  });

  it('splits complete and pruned trials as Optuna does', () => {
    const dist: Distribution = { kind: 'float', low: 0, high: 1, log: false, step: null };
    const trials = fx.split.trials.map(([state, value, iv]: [string, number | null, Record<string, number>], i: number): FrozenTrial => ({
      number: i, trialId: i, state: state as 'complete', value, params: { x: i / 10 }, internalParams: { x: i / 10 }, distributions: { x: dist },
      intermediateValues: new Map(Object.entries(iv).map(([k, v]) => [Number(k), v])), datetimeStart: null, datetimeComplete: null, systemAttrs: {},
    }));
    const view = { direction: 'minimize' as const, trials, trialsIn: () => trials, stop: () => {} };
    const { scores, values } = tpe.observations(view, ['x']);
    expect(values.x).toEqual(trials.map((t: FrozenTrial) => t.params.x));
    for (const [nb, split] of Object.entries(fx.split.split)) expect(tpe.splitObservations(scores, Number(nb))).toEqual(split);
  });
});

describe('TPESampler', () => {
  it('finds a better minimum than random search with the same budget', async () => {
    const f = (t: tg.tune.Trial) => {
      const x = t.suggestFloat('x', -10, 10);
      const y = t.suggestFloat('y', -10, 10);
      const k = t.suggestInt('k', 0, 20);
      return (x - 3) ** 2 + (y + 1) ** 2 + (k - 7) ** 2;
    };
    let wins = 0;
    for (let seed = 0; seed < 5; seed++) {
      const tpeStudy = tune.createStudy({ sampler: new tune.TPESampler({ seed }) });
      await tpeStudy.optimize(f, { nTrials: 50 });
      const rnd = tune.createStudy({ sampler: new tune.RandomSampler({ seed }) });
      await rnd.optimize(f, { nTrials: 50 });
      if (tpeStudy.bestValue < rnd.bestValue) wins++;
      // the first nStartupTrials are random draws
      expect(tpeStudy.trials.slice(0, 10).every((t) => t.state === 'complete')).toBe(true);
    }
    expect(wins).toBeGreaterThanOrEqual(4);
  });
});
