// tg.nn.utils: clipGradNorm_ / clipGradValue_ against hand-derived values with PyTorch's semantics, and
// checkGradients on real models (a correct MLP, a deliberately wrong custom op, non-determinism).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample } from './helpers';

const nn = tg.nn;
const F = tg.nn.functional;
const U = tg.nn.utils;

function withGrad(values: number[], g: number[] | null, dtype: 'float32' | 'float64' = 'float64'): tg.Tensor {
  const p = tg.tensor(values, { dtype, requiresGrad: true });
  if (g) p.grad = tg.tensor(g, { dtype });
  return p;
}

interface Enc { data: number[]; shape: number[] }
interface ClipCase {
  fn: 'clipGradNorm_' | 'clipGradValue_'; dtype: 'float32' | 'float64'; maxNorm?: number; normType?: number | 'inf';
  clipValue?: number; grads: (Enc | null)[]; total?: number; clipped: (Enc | null)[];
}
// Generated once by test/fixtures/make_clip_fixture.py with torch 1.13.
const clipFixture = JSON.parse(readFileSync(resolve(__dirname, 'fixtures', 'clip.json'), 'utf8')) as { cases: ClipCase[] };

describe('clipping matches PyTorch (fixture)', () => {
  it('has the cases', () => expect(clipFixture.cases.length).toBe(28));
  for (const [i, c] of clipFixture.cases.entries()) {
    it(`${i}: ${c.fn} ${c.dtype} ${c.fn === 'clipGradNorm_' ? `maxNorm=${c.maxNorm} normType=${c.normType}` : `clipValue=${c.clipValue}`}`, () => {
      const params = c.grads.map((g) => {
        const p = tg.zeros(g ? g.shape : [2], { dtype: c.dtype, requiresGrad: true });
        if (g) p.grad = tg.tensor(Float64Array.from(g.data), { dtype: 'float64', shape: g.shape }).to(c.dtype);
        return p;
      });
      const tol = c.dtype === 'float64' ? 1e-13 : 1e-6;
      if (c.fn === 'clipGradNorm_') {
        const total = U.clipGradNorm_(params, c.maxNorm!, { normType: c.normType === 'inf' ? Infinity : c.normType });
        expect(total.dtype).toBe(c.dtype);
        expectClose([total.item()], [c.total!], tol, 0, 'total norm');
      } else {
        U.clipGradValue_(params, c.clipValue!);
      }
      params.forEach((p, k) => {
        const e = c.clipped[k];
        if (e === null) expect(p.grad).toBeNull();
        else expectClose(p.grad!.data(), e.data, tol, tol * 1e-3, `grad ${k}`);
      });
    });
  }
});

describe('clipGradNorm_', () => {
  it('2-norm over all gradients, scaled by maxNorm / (total + 1e-6), null grads skipped', () => {
    const a = withGrad([0, 0], [3, 4]);
    const b = withGrad([0], [12]);
    const c = withGrad([1, 2, 3], null);
    const total = U.clipGradNorm_([a, b, c], 6.5);
    expect(total.item()).toBe(13); // sqrt(9 + 16 + 144)
    expect(total.dtype).toBe('float64');
    const coef = 6.5 / (13 + 1e-6);
    expectClose(a.grad!.data(), [3 * coef, 4 * coef], 1e-15, 0, 'a');
    expectClose(b.grad!.data(), [12 * coef], 1e-15, 0, 'b');
    expect(c.grad).toBeNull();
  });

  it('leaves gradients unchanged when the norm is below maxNorm (coefficient clamped to 1)', () => {
    const a = withGrad([0, 0], [3, 4], 'float32');
    const total = U.clipGradNorm_(a, 100);
    expect(total.item()).toBe(5);
    expect(total.dtype).toBe('float32');
    expect(Array.from(a.grad!.data())).toEqual([3, 4]);
  });

  it('normType 1, 3 and Infinity', () => {
    const mk = () => [withGrad([0, 0], [3, -4]), withGrad([0], [-12])];
    let ps = mk();
    expect(U.clipGradNorm_(ps, 1, { normType: 1 }).item()).toBe(19);
    expectClose(ps[1].grad!.data(), [-12 / (19 + 1e-6)], 1e-15, 0, 'p=1');
    ps = mk();
    expectClose([U.clipGradNorm_(ps, 1, { normType: 3 }).item()], [Math.cbrt(27 + 64 + 1728)], 1e-14, 0, 'p=3');
    ps = mk();
    expect(U.clipGradNorm_(ps, 6, { normType: Infinity }).item()).toBe(12);
    expectClose(ps[0].grad!.data(), [3 * 6 / (12 + 1e-6), -4 * 6 / (12 + 1e-6)], 1e-15, 0, 'inf');
  });

  it('non-finite norms: an error with errorIfNonfinite, else the gradients are scaled by the NaN/inf coefficient', () => {
    const nanGrad = () => [withGrad([0, 0], [NaN, 1]), withGrad([0], [2])];
    expectError(() => U.clipGradNorm_(nanGrad(), 1, { errorIfNonfinite: true }), Error, /clipGradNorm_: the total norm of order 2 .* non-finite/);
    const ps = nanGrad();
    expect(U.clipGradNorm_(ps, 1).item()).toBeNaN();
    expect(Array.from(ps[1].grad!.data())).toEqual([NaN]);
    const inf = [withGrad([0, 0], [Infinity, 1])];
    expectError(() => U.clipGradNorm_(inf, 1, { normType: Infinity, errorIfNonfinite: true }), Error, /order Infinity/);
    expect(U.clipGradNorm_(inf, 1).item()).toBe(Infinity);
    expect(Array.from(inf[0].grad!.data())).toEqual([NaN, 0]); // inf·0 and 1·0, as PyTorch
  });

  it('no gradients at all returns 0; works on a model after backward', () => {
    expect(U.clipGradNorm_([withGrad([1], null)], 1).item()).toBe(0);
    tg.manualSeed(3);
    const model = new nn.Linear(4, 3);
    const x = tg.randn([5, 4]);
    F.crossEntropy(model.forward(x), tg.tensor(Int32Array.from([0, 1, 2, 0, 1]), { dtype: 'int32', shape: [5] })).backward();
    const before = [...model.parameters()].map((p) => Array.from(p.grad!.data()));
    const norm = Math.hypot(...before.flat());
    const total = U.clipGradNorm_(model.parameters(), norm / 2);
    expectClose([total.item()], [norm], 1e-6, 0, 'total');
    const after = [...model.parameters()].map((p) => Array.from(p.grad!.data()));
    expectClose(after.flat(), before.flat().map((v) => v * (norm / 2) / (total.item() + 1e-6)), 1e-6, 1e-9, 'scaled');
  });

  it('bad input', () => {
    expectError(() => U.clipGradNorm_(3 as unknown as tg.Tensor, 1), TypeError, /clipGradNorm_: parameters must be a Tensor or an iterable/);
    expectError(() => U.clipGradNorm_([tg.zeros([1]), 'x' as unknown as tg.Tensor], 1), TypeError, /parameters\[1\] must be a Tensor/);
    expectError(() => U.clipGradNorm_([], '1' as unknown as number), TypeError, /maxNorm must be a number/);
    expectError(() => U.clipGradNorm_([], 1, { normType: 0 }), RangeError, /normType must be a number > 0/);
  });
});

describe('clipGradValue_', () => {
  it('clamps every entry in place, skipping null grads', () => {
    const a = withGrad([0, 0, 0], [-3, 0.5, 2]);
    const b = withGrad([0], null);
    const g = a.grad;
    U.clipGradValue_([a, b], 1);
    expect(a.grad).toBe(g); // in place
    expect(Array.from(a.grad!.data())).toEqual([-1, 0.5, 1]);
    expect(b.grad).toBeNull();
    expectError(() => U.clipGradValue_([a], NaN), TypeError, /clipGradValue_: clipValue must be a number/);
  });
});

class MLP extends nn.Module {
  l1 = new nn.Linear(5, 7);
  act = new nn.Tanh();
  l2 = new nn.Linear(7, 4);
  override forward(x: tg.Tensor): tg.Tensor {
    return this.l2.forward(this.act.forward(this.l1.forward(x)));
  }
}

const ceLoss = (m: tg.nn.Module, x: unknown, y: unknown) => F.crossEntropy(m.forward(x as tg.Tensor) as tg.Tensor, y as tg.Tensor);

function batch(seed: number): [tg.Tensor, tg.Tensor] {
  const x = tg.tensor(Float32Array.from(sample([6, 5], seed, -2, 2)), { shape: [6, 5] });
  const y = tg.tensor(Int32Array.from([0, 3, 1, 2, 3, 1]), { dtype: 'int32', shape: [6] });
  return [x, y];
}

describe('checkGradients', () => {
  it('an MLP (float32 model) agrees to < 1e-7 in float64 and the model is left untouched', () => {
    tg.manualSeed(1);
    const model = new MLP();
    const [x, y] = batch(2);
    const params = [...model.parameters()];
    const before = params.map((p) => p.data().slice());
    const w1 = model.l1.weight;
    const report = U.checkGradients(model, ceLoss, x, y);
    expect(report.parameters.map((p) => p.name)).toEqual(['l1.weight', 'l1.bias', 'l2.weight', 'l2.bias']);
    expect(report.parameters.map((p) => p.entriesChecked)).toEqual([32, 7, 28, 4]); // 35 entries sampled down to 32
    for (const p of report.parameters) expect(p.maxRelError, p.name).toBeLessThan(1e-7);
    expect(report.maxRelError).toBeLessThan(1e-7);
    expect(report.ok).toBe(true);
    // Untouched: same objects, dtypes, values; no .grad written.
    expect(model.l1.weight).toBe(w1);
    [...model.parameters()].forEach((p, i) => {
      expect(p.dtype).toBe('float32');
      expect(p.grad).toBeNull();
      expect(Array.from(p.data())).toEqual(Array.from(before[i]));
    });
    expect(x.dtype).toBe('float32');
    // samples and seed choose the entries.
    const small = U.checkGradients(model, ceLoss, x, y, { samples: 3, seed: 5 });
    expect(small.parameters.map((p) => p.entriesChecked)).toEqual([3, 3, 3, 3]);
    expect(small.maxRelError).toBeLessThan(1e-7);
  });

  it('catches a custom op with a wrong backward inside a module', () => {
    // d(x²)/dx = 2x, but this backward returns x·g: the analytical gradient is half the true one.
    const badSquare = tg.defineOp('badSquare', {
      forward(ctx, x: tg.Tensor) {
        ctx.save(x);
        return x.mul(x);
      },
      backward(ctx, g) {
        return [g.mul(ctx.saved[0])];
      },
    });
    class Bad extends nn.Module {
      lin = new nn.Linear(5, 4);
      out = new nn.Linear(4, 4);
      override forward(x: tg.Tensor): tg.Tensor {
        return this.out.forward(badSquare(this.lin.forward(x)));
      }
    }
    tg.manualSeed(2);
    const report = U.checkGradients(new Bad(), ceLoss, ...batch(3));
    const byName = Object.fromEntries(report.parameters.map((p) => [p.name, p]));
    // Parameters after the bad op are right; those before it are off by a factor 2: |a - 2a| / |3a| = 1/3.
    expect(byName['out.weight'].maxRelError).toBeLessThan(1e-7);
    expect(byName['lin.weight'].maxRelError).toBeGreaterThan(0.3);
    expect(byName['lin.bias'].maxRelError).toBeGreaterThan(0.3);
    expect(report.ok).toBe(false);
    expect(report.worst!.name).toMatch(/^lin\./);
    expectClose([report.worst!.numerical], [2 * report.worst!.analytical], 1e-6, 0, 'factor 2');
  });

  it('non-deterministic losses throw unless reseeded; the mode is kept; unused parameters report 0', () => {
    class Noisy extends nn.Module {
      lin = new nn.Linear(5, 4);
      unused = new nn.Parameter(tg.zeros([3]));
      override forward(x: tg.Tensor): tg.Tensor {
        const y = this.lin.forward(x);
        // Dropout-like noise in training mode only.
        return this.training ? y.mul(tg.rand(y.shape, { dtype: y.dtype }).gt(0.3).mul(1 / 0.7)) : y;
      }
    }
    tg.manualSeed(4);
    const model = new Noisy();
    const [x, y] = batch(5);
    expectError(() => U.checkGradients(model, ceLoss, x, y), Error, /checkGradients: lossFn is not deterministic/, /model\.eval\(\)/);
    expect(model.training).toBe(true);
    const seeded = U.checkGradients(model, (m, a, b) => {
      tg.manualSeed(7);
      return ceLoss(m, a, b);
    }, x, y);
    expect(seeded.maxRelError).toBeLessThan(1e-7);
    const unused = seeded.parameters.find((p) => p.name === 'unused')!;
    expect(unused.maxRelError).toBe(0);
    expect(unused.worst).toEqual({ index: [0], analytical: 0, numerical: 0, relError: 0 });
    model.eval();
    expect(U.checkGradients(model, ceLoss, x, y).ok).toBe(true);
  });

  it('buffers are converted too and restored afterwards', () => {
    class Scaled extends nn.Module {
      lin = new nn.Linear(5, 4);
      declare scale: tg.Tensor;
      constructor() {
        super();
        this.registerBuffer('scale', tg.tensor([0.5, 2, 1, 3]));
      }
      override forward(x: tg.Tensor): tg.Tensor {
        return this.lin.forward(x).mul(this.scale);
      }
    }
    const m = new Scaled();
    const buf = m.scale;
    expect(U.checkGradients(m, ceLoss, ...batch(6)).maxRelError).toBeLessThan(1e-7);
    expect(m.scale).toBe(buf);
    expect(buf.dtype).toBe('float32');
    expect(Array.from(buf.data())).toEqual([0.5, 2, 1, 3]);
  });

  it('bad input', () => {
    const m = new nn.Linear(5, 4);
    const [x, y] = batch(7);
    expectError(() => U.checkGradients({} as tg.nn.Module, ceLoss, x, y), TypeError, /checkGradients: model must be a tg\.nn\.Module/);
    expectError(() => U.checkGradients(m, 'f' as unknown as typeof ceLoss, x, y), TypeError, /lossFn must be a function/);
    expectError(() => U.checkGradients(m, (mm, a) => (mm.forward(a as tg.Tensor) as tg.Tensor), x), RangeError, /scalar loss, got shape \[6, 4\]/);
    expectError(() => U.checkGradients(m, ceLoss, x, y, { samples: 0 }), RangeError, /samples must be a positive integer/);
    expectError(() => U.checkGradients(m, ceLoss, x, y, { eps: -1 }), RangeError, /eps must be a positive number/);
    expect(m.weight.dtype).toBe('float32'); // restored after the throw inside the check
  });
});
