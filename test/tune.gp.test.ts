// GPSampler's parts: the Gaussian NLL op's gradient (gradcheck) and value (hand-computed), the Matérn
// 5/2 kernel against its formula, the posterior and expected improvement; then the sampler itself.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { jsRandom } from './helpers';

const { tune } = tg;
const f64 = (a: number[] | Float64Array, shape?: number[]) => tg.tensor(Array.from(a), { dtype: 'float64', shape });

// The building blocks are internal (from the source tree): the installed package's run skips them.
describe.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('GP building blocks', () => {
  let gpm: typeof import('../src/tune/samplers/gp/gp');
  let sm: typeof import('../src/tune/samplers/gp/sampler');
  beforeAll(async () => {
    gpm = await import('../src/tune/samplers/gp/gp');
    sm = await import('../src/tune/samplers/gp/sampler');
  });
  it('gaussianNll: value by hand for a 2x2 matrix and gradients by gradcheck', () => {
    // K = [[2, 1], [1, 3]], y = [1, -1]: det 5, K^-1 y = [4, -3] / 5, y^T K^-1 y = 7/5.
    const v = gpm.gaussianNll(f64([2, 1, 1, 3], [2, 2]), f64([1, -1])).item();
    expect(v).toBeCloseTo(0.5 * 1.4 + 0.5 * Math.log(5) + Math.log(2 * Math.PI), 12);
    const r = jsRandom(1);
    const a = Array.from({ length: 16 }, () => r() - 0.5);
    const spd = (m: tg.Tensor) => m.matmul(m.transpose(0, 1)).add(tg.eye(4, { dtype: 'float64' }));
    const m = f64(a, [4, 4]).requiresGrad_();
    const y = f64([0.3, -1, 2, 0.5]).requiresGrad_();
    expect(tg.gradcheck((mm: tg.Tensor, yy: tg.Tensor) => gpm.gaussianNll(spd(mm), yy), [m, y])).toBe(true);
  });

  it('Matérn 5/2 kernel matches its formula', () => {
    const a = f64([0, 0, 0.3, 0.9], [2, 2]);
    const b = f64([0.5, 0.1], [1, 2]);
    const k = gpm.maternTensor(a, b, f64([2, 0.5]), f64([1.7]))._flat();
    for (const [i, p] of [[0, 0], [0.3, 0.9]].entries()) {
      const r = Math.sqrt(5) * Math.hypot((p[0] - 0.5) * 2, (p[1] - 0.1) * 0.5);
      expect(k[i]).toBeCloseTo(1.7 * (1 + r + (r * r) / 3) * Math.exp(-r), 12);
    }
  });

  it('posterior interpolates with small noise and reverts to the prior far away; fitting raises the likelihood', () => {
    const x = Float64Array.from([0.1, 0.4, 0.8]);
    const y = Float64Array.from([1, -0.5, 0.3]);
    const gp = new gpm.GaussianProcess(x, 3, 1, y, { logLength: [Math.log(0.2)], logAmp: 0, logNoise: Math.log(1e-8) });
    for (let i = 0; i < 3; i++) {
      const p = gp.predict(Float64Array.of(x[i]));
      expect(p.mean).toBeCloseTo(y[i], 5);
      expect(p.variance).toBeLessThan(1e-5);
    }
    const far = new gpm.GaussianProcess(Float64Array.of(0), 1, 1, Float64Array.of(2), { logLength: [Math.log(0.01)], logAmp: 0, logNoise: Math.log(1e-6) });
    const p = far.predict(Float64Array.of(1));
    expect(p.mean).toBeCloseTo(0, 10);
    expect(p.variance).toBeCloseTo(1, 10);

    const r = jsRandom(4);
    const xs = Float64Array.from({ length: 20 }, () => r());
    const ys = Float64Array.from(xs, (v) => Math.sin(6 * v));
    const init = { logLength: [Math.log(0.02)], logAmp: 0, logNoise: Math.log(0.5) };
    const nll = (h: typeof init) => gpm.gaussianNll(
      gpm.maternTensor(f64(xs, [20, 1]), f64(xs, [20, 1]), f64([Math.exp(-h.logLength[0])]), f64([Math.exp(h.logAmp)])).add(tg.eye(20, { dtype: 'float64' }).mul(Math.exp(h.logNoise) + 1e-6)),
      f64(ys),
    ).item();
    const fitted = gpm.fitHyper(xs, 20, 1, ys, init, 120);
    expect(nll(fitted)).toBeLessThan(nll(init) - 5);
    expect(Math.exp(fitted.logNoise)).toBeLessThan(0.05); // the data are noise-free
  });

  it('expected improvement matches numerical integration; unit maps invert on grids', () => {
    const [m, v, best] = [0.3, 0.49, 0.1];
    let num = 0;
    for (let i = 0; i < 200000; i++) {
      const t = -8 + (16 * (i + 0.5)) / 200000;
      const f = m + Math.sqrt(v) * t;
      num += Math.max(0, best - f) * Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI) * (16 / 200000);
    }
    expect(sm.expectedImprovement(m, v, best)).toBeCloseTo(num, 8);
    const dInt = { kind: 'int' as const, low: 2, high: 20, log: false, step: 3 };
    for (const k of [2, 5, 8, 11, 14, 17, 20]) expect(sm.fromUnit(dInt, sm.toUnit(dInt, k))).toBe(k);
    const dLog = { kind: 'int' as const, low: 1, high: 64, log: true, step: 1 };
    for (const k of [1, 2, 7, 64]) expect(sm.fromUnit(dLog, sm.toUnit(dLog, k))).toBe(k);
    const dF = { kind: 'float' as const, low: 1e-4, high: 1, log: true, step: null };
    expect(sm.fromUnit(dF, sm.toUnit(dF, 0.003))).toBeCloseTo(0.003, 12);
  });
});

describe('GPSampler', () => {
  const branin = (t: tg.tune.Trial) => {
    const x = t.suggestFloat('x', -5, 10);
    const y = t.suggestFloat('y', 0, 15);
    return (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10;
  };

  it('gets near the Branin minimum (0.398) in 25 trials, beating random search; the same seed repeats', async () => {
    const gp = tune.createStudy({ sampler: new tune.GPSampler({ seed: 0 }) });
    await gp.optimize(branin, { nTrials: 25 });
    const rnd = tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await rnd.optimize(branin, { nTrials: 25 });
    expect(gp.bestValue).toBeLessThan(0.6);
    expect(gp.bestValue).toBeLessThan(rnd.bestValue);
    const again = tune.createStudy({ sampler: new tune.GPSampler({ seed: 0 }) });
    await again.optimize(branin, { nTrials: 14 });
    expect(again.trials.map((t) => t.params)).toEqual(gp.trials.slice(0, 14).map((t) => t.params));
  });

  it('keeps integers on their grid, samples categoricals at random, maximises', async () => {
    const s = tune.createStudy({ direction: 'maximize', sampler: new tune.GPSampler({ seed: 1, nStartupTrials: 5 }) });
    await s.optimize((t) => {
      const k = t.suggestInt('k', 0, 30, { step: 3 });
      const c = t.suggestCategorical('c', ['a', 'b']);
      expect(k % 3).toBe(0);
      return -((k - 12) ** 2) + (c === 'a' ? 1 : 0);
    }, { nTrials: 15 });
    expect(s.bestParams.k).toBe(12);
    expect(() => new tune.GPSampler({ nStartupTrials: 0 })).toThrow(/GPSampler: nStartupTrials must be an integer >= 1/);
  });
});
