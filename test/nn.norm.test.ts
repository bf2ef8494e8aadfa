// Batch norm, layer norm, dropout and embedding: values, gradients and running stats against PyTorch,
// gradcheck / gradgradcheck in float64, dropout statistics and determinism, bad input.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample, t64 } from './helpers';

const nn = tg.nn;
const F = tg.nn.functional;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const T = tg as any;

interface Enc { data: number[]; shape: number[]; dtype: 'int32' | 'float64' }
type Grads = Record<string, Enc>;
interface BnCase {
  name: string; x: Enc; weight: Enc | null; bias: Enc | null; runningMean: Enc; runningVar: Enc; training: boolean;
  momentum: number; eps: number; gy: Enc; out: Enc; grads: Grads; runningMeanAfter: Enc; runningVarAfter: Enc;
}
interface LnCase { name: string; x: Enc; normalizedShape: number[]; weight: Enc | null; bias: Enc | null; eps: number; gy: Enc; out: Enc; grads: Grads }
interface EmbCase { name: string; weight: Enc; indices: Enc; paddingIdx: number | null; gy: Enc; out: Enc; grads: Grads }
interface Step { mode: 'train' | 'eval'; x: Enc; gy: Enc; out: Enc; grads: Grads; state: Record<string, Enc> }
interface ModCase {
  name: string; cls: 'BatchNorm1d' | 'BatchNorm2d'; numFeatures: number; momentum: number | null; affine: boolean;
  trackRunningStats: boolean; init: Record<string, Enc>; steps: Step[];
}
// Generated once by test/fixtures/make_norm_fixture.py with torch 1.13 (float64).
const fx = JSON.parse(readFileSync(resolve(__dirname, 'fixtures', 'norm.json'), 'utf8')) as {
  batchNorm: BnCase[]; layerNorm: LnCase[]; embedding: EmbCase[]; modules: ModCase[];
};

type Float = 'float32' | 'float64';
const dec = (e: Enc, dtype: Float = 'float64', requiresGrad = false): tg.Tensor =>
  e.dtype === 'int32'
    ? tg.tensor(Int32Array.from(e.data), { dtype: 'int32', shape: e.shape })
    : tg.tensor(Float64Array.from(e.data), { dtype: 'float64', shape: e.shape }).to(dtype).requiresGrad_(requiresGrad);
const decOpt = (e: Enc | null, dtype: Float, requiresGrad = false) => (e === null ? null : dec(e, dtype, requiresGrad));
const f64 = (shape: number[], seed: number, lo = -2, hi = 2, grad = false) => t64(sample(shape, seed, lo, hi), shape, grad);
const i32 = (data: number[], shape?: number[]) => tg.tensor(Int32Array.from(data), { dtype: 'int32', shape: shape ?? [data.length] });
const tol = (dtype: Float) => (dtype === 'float64' ? [1e-10, 1e-12] : [1e-5, 1e-5]);

/** Gradients of (out * gy).sum() with respect to `inputs` (nulls allowed). */
function gradsOf(out: tg.Tensor, gy: Enc, inputs: (tg.Tensor | null)[]): (tg.Tensor | null)[] {
  const present = inputs.filter((t): t is tg.Tensor => t !== null);
  const gs = tg.grad(out.mul(dec(gy, out.dtype as Float)).sum(), present);
  let k = 0;
  return inputs.map((t) => (t === null ? null : gs[k++]));
}

describe('batchNorm matches PyTorch (fixture)', () => {
  it('has the fixture cases', () => expect(fx.batchNorm.length).toBe(16));
  for (const dtype of ['float64', 'float32'] as const) {
    for (const c of fx.batchNorm) {
      it(`${dtype} ${c.name}`, () => {
        const [rtol, atol] = tol(dtype);
        const x = dec(c.x, dtype, true);
        const w = decOpt(c.weight, dtype, true);
        const b = decOpt(c.bias, dtype, true);
        const rm = dec(c.runningMean, dtype);
        const rv = dec(c.runningVar, dtype);
        const out = F.batchNorm(x, rm, rv, w, b, { training: c.training, momentum: c.momentum, eps: c.eps });
        expect(out.dtype).toBe(dtype);
        expect(out.shape).toEqual(c.out.shape);
        expectClose(out.data(), c.out.data, rtol, atol, 'out');
        expectClose(rm.data(), c.runningMeanAfter.data, rtol, atol, 'running mean');
        expectClose(rv.data(), c.runningVarAfter.data, rtol, atol, 'running var');
        const [gx, gw, gb] = gradsOf(out, c.gy, [x, w, b]);
        expectClose(gx!.data(), c.grads.x.data, rtol, atol, 'grad x');
        if (w) expectClose(gw!.data(), c.grads.weight.data, rtol, atol, 'grad weight');
        if (b) expectClose(gb!.data(), c.grads.bias.data, rtol, atol, 'grad bias');
        // The same gradients through the recorded-op backward (createGraph).
        const outs = F.batchNorm(x, dec(c.runningMean, dtype), dec(c.runningVar, dtype), w, b, { training: c.training, momentum: c.momentum, eps: c.eps });
        const present = [x, w, b].filter((t): t is tg.Tensor => t !== null);
        const gg = tg.grad(outs.mul(dec(c.gy, dtype)).sum(), present, { createGraph: true });
        expectClose(gg[0]!.data(), c.grads.x.data, rtol, atol, 'grad x (createGraph)');
        if (w) expectClose(gg[1]!.data(), c.grads.weight.data, rtol, atol, 'grad weight (createGraph)');
      });
    }
  }
});

describe('layerNorm matches PyTorch (fixture)', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const c of fx.layerNorm) {
      it(`${dtype} ${c.name}`, () => {
        const [rtol, atol] = tol(dtype);
        const x = dec(c.x, dtype, true);
        const w = decOpt(c.weight, dtype, true);
        const b = decOpt(c.bias, dtype, true);
        const out = F.layerNorm(x, c.normalizedShape, w, b, { eps: c.eps });
        expectClose(out.data(), c.out.data, rtol, atol, 'out');
        const [gx, gw, gb] = gradsOf(out, c.gy, [x, w, b]);
        expectClose(gx!.data(), c.grads.x.data, rtol, atol, 'grad x');
        if (w) {
          expect(gw!.shape).toEqual(c.normalizedShape);
          expectClose(gw!.data(), c.grads.weight.data, rtol, atol, 'grad weight');
          expectClose(gb!.data(), c.grads.bias.data, rtol, atol, 'grad bias');
        }
        const present = [x, w, b].filter((t): t is tg.Tensor => t !== null);
        const outs = F.layerNorm(x, c.normalizedShape, w, b, { eps: c.eps });
        const gg = tg.grad(outs.mul(dec(c.gy, dtype)).sum(), present, { createGraph: true });
        expectClose(gg[0]!.data(), c.grads.x.data, rtol, atol, 'grad x (createGraph)');
        if (w) expectClose(gg[2]!.data(), c.grads.bias.data, rtol, atol, 'grad bias (createGraph)');
      });
    }
  }
});

describe('embedding matches PyTorch (fixture)', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const c of fx.embedding) {
      it(`${dtype} ${c.name}`, () => {
        const [rtol, atol] = tol(dtype);
        const w = dec(c.weight, dtype, true);
        const out = F.embedding(dec(c.indices), w, { paddingIdx: c.paddingIdx });
        expect(out.shape).toEqual(c.out.shape);
        expectClose(out.data(), c.out.data, rtol, atol, 'out');
        const [gw] = gradsOf(out, c.gy, [w]);
        expectClose(gw!.data(), c.grads.weight.data, rtol, atol, 'grad weight');
        const gg = tg.grad(F.embedding(dec(c.indices), w, { paddingIdx: c.paddingIdx }).mul(dec(c.gy, dtype)).sum(), [w], { createGraph: true });
        expectClose(gg[0]!.data(), c.grads.weight.data, rtol, atol, 'grad weight (createGraph)');
      });
    }
  }
});

describe('BatchNorm modules match PyTorch over train steps and eval (fixture)', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const c of fx.modules) {
      it(`${dtype} ${c.name}`, () => {
        const [rtol, atol] = tol(dtype);
        const Cls = c.cls === 'BatchNorm1d' ? nn.BatchNorm1d : nn.BatchNorm2d;
        const m = new Cls(c.numFeatures, { momentum: c.momentum, affine: c.affine, trackRunningStats: c.trackRunningStats, dtype });
        // PyTorch's state dict loads as is (num_batches_tracked decoded as int32).
        const sd: Record<string, tg.Tensor> = {};
        for (const [k, v] of Object.entries(c.init)) sd[k] = dec(v, dtype);
        expect(Object.keys(m.stateDict()).sort()).toEqual(Object.keys(c.init).sort());
        m.loadStateDict(sd);
        for (const [i, s] of c.steps.entries()) {
          if (s.mode === 'train') m.train();
          else m.eval();
          const x = dec(s.x, dtype, true);
          const out = m.forward(x);
          expectClose(out.data(), s.out.data, rtol, atol, `step ${i} out`);
          const [gx, gw, gb] = gradsOf(out, s.gy, [x, m.weight, m.bias]);
          expectClose(gx!.data(), s.grads.x.data, rtol, atol, `step ${i} grad x`);
          if (c.affine) {
            expectClose(gw!.data(), s.grads.weight.data, rtol, atol, `step ${i} grad weight`);
            expectClose(gb!.data(), s.grads.bias.data, rtol, atol, `step ${i} grad bias`);
          }
          const state = m.stateDict();
          expect(Object.keys(state).sort()).toEqual(Object.keys(s.state).sort());
          for (const [k, v] of Object.entries(s.state)) {
            if (v.dtype === 'int32') {
              expect(state[k].dtype, k).toBe('int32');
              expect(state[k].item(), k).toBe(v.data[0]);
            } else {
              expectClose(state[k].data(), v.data, rtol, atol, `step ${i} ${k}`);
            }
          }
        }
      });
    }
  }
});

describe('gradcheck (float64)', () => {
  const shapes = [[5, 3], [4, 3, 2], [3, 2, 2, 3], [2, 2, 3, 2, 2]];
  for (const shape of shapes) {
    const c = shape[1];
    for (const training of [true, false]) {
      it(`batchNorm ${JSON.stringify(shape)} training=${training}: input, weight, bias`, () => {
        const x = f64(shape, 1, -1, 2, true);
        const w = f64([c], 2, 0.5, 1.5, true);
        const b = f64([c], 3, -1, 1, true);
        const rm = f64([c], 4);
        const rv = f64([c], 5, 0.5, 2);
        const fn = (xx: tg.Tensor, ww: tg.Tensor, bb: tg.Tensor) =>
          F.batchNorm(xx, rm.clone(), rv.clone(), ww, bb, { training, eps: 1e-3 });
        expect(tg.gradcheck(fn, [x, w, b])).toBe(true);
      });
    }
  }
  it('batchNorm without affine parameters and without running stats in training', () => {
    const x = f64([4, 3, 3], 6, -1, 2, true);
    expect(tg.gradcheck((xx: tg.Tensor) => F.batchNorm(xx, null, null, null, null, { training: true }), [x])).toBe(true);
  });
  it('batchNorm with only a weight, or only a bias', () => {
    const x = f64([4, 2, 3], 18, -1, 2, true);
    const w = f64([2], 19, 0.5, 1.5, true);
    expect(tg.gradcheck((xx: tg.Tensor, ww: tg.Tensor) => F.batchNorm(xx, null, null, ww, null, { training: true }), [x, w])).toBe(true);
    expect(tg.gradcheck((xx: tg.Tensor, bb: tg.Tensor) => F.batchNorm(xx, null, null, null, bb, { training: true }), [x, w])).toBe(true);
  });
  it('batchNorm on a non-contiguous input', () => {
    const x = f64([3, 4, 5], 7, -1, 2, true);
    expect(tg.gradcheck((xx: tg.Tensor) => F.batchNorm(xx.permute(2, 1, 0), null, null, null, null, { training: true }), [x])).toBe(true);
  });
  for (const [shape, ns] of [[[4, 5], [5]], [[2, 3, 4], [3, 4]], [[6], [6]], [[3, 1], [1]]] as [number[], number[]][]) {
    it(`layerNorm ${JSON.stringify(shape)} over ${JSON.stringify(ns)}: input, weight, bias`, () => {
      const x = f64(shape, 8, -1, 2, true);
      const w = f64(ns, 9, 0.5, 1.5, true);
      const b = f64(ns, 10, -1, 1, true);
      expect(tg.gradcheck((xx: tg.Tensor, ww: tg.Tensor, bb: tg.Tensor) => F.layerNorm(xx, ns, ww, bb), [x, w, b])).toBe(true);
      expect(tg.gradcheck((xx: tg.Tensor) => F.layerNorm(xx.mul(1), ns), [x])).toBe(true);
      expect(tg.gradcheck((xx: tg.Tensor, bb: tg.Tensor) => F.layerNorm(xx, ns, null, bb), [x, b])).toBe(true);
    });
  }
  it('dropout (fixed generator)', () => {
    const x = f64([6, 7], 11, -2, 2, true);
    expect(tg.gradcheck((xx: tg.Tensor) => F.dropout(xx, 0.3, { generator: new tg.Generator(5) }), [x])).toBe(true);
  });
  it('embedding, with and without a padding index', () => {
    const w = f64([5, 3], 12, -2, 2, true);
    const idx = i32([0, 2, 4, 2, 1, 2], [2, 3]);
    expect(tg.gradcheck((ww: tg.Tensor) => F.embedding(idx, ww), [w])).toBe(true);
    // The padding row's gradient is zero by design (not the derivative), so check the other rows.
    expect(tg.gradcheck((ww: tg.Tensor) => F.embedding(idx, ww, { paddingIdx: 3 }), [w])).toBe(true);
    const report = tg.gradcheckReport((ww: tg.Tensor) => F.embedding(idx, ww, { paddingIdx: 2 }), [w]);
    expect(report.ok).toBe(false);
    expect(report.inputs[0].worst!.element![0]).toBe(2);
  });
  it('modules: BatchNorm1d/2d (train and eval), LayerNorm, Embedding, Dropout', () => {
    const bn1 = new nn.BatchNorm1d(3, { dtype: 'float64' });
    const bn2 = new nn.BatchNorm2d(2, { dtype: 'float64' });
    const ln = new nn.LayerNorm([2, 3], { dtype: 'float64' });
    for (const [m, shape, wshape] of [[bn1, [4, 3], [3]], [bn1, [2, 3, 4], [3]], [bn2, [2, 2, 2, 3], [2]], [ln, [3, 2, 3], [2, 3]]] as const) {
      for (const mode of [true, false]) {
        m.train(mode);
        const fn = (x: tg.Tensor, w: tg.Tensor, b: tg.Tensor) => {
          Object.assign(m, { weight: w, bias: b });
          return m.forward(x);
        };
        const ok = tg.gradcheck(fn, [f64([...shape], 13, -1, 2, true), f64([...wshape], 14, 0.5, 1.5, true), f64([...wshape], 15, -1, 1, true)]);
        expect(ok).toBe(true);
      }
    }
    const emb = new nn.Embedding(4, 3, { paddingIdx: 1, dtype: 'float64' });
    const idx = i32([2, 3, 0, 3]);
    expect(tg.gradcheck((w: tg.Tensor) => (Object.assign(emb, { weight: w }), emb.forward(idx)), [f64([4, 3], 16, -1, 1, true)])).toBe(true);
    const drop = new nn.Dropout(0.4, { generator: new tg.Generator(3) });
    expect(tg.gradcheck((x: tg.Tensor) => {
      (drop as unknown as { generator: tg.Generator }).generator = new tg.Generator(3);
      return drop.forward(x);
    }, [f64([5, 4], 17, -1, 1, true)])).toBe(true);
  });
});

describe('second derivatives (gradgradcheck, float64)', () => {
  it('batchNorm in training, [4, 3] and [3, 2, 3]', () => {
    for (const shape of [[4, 3], [3, 2, 3]]) {
      const c = shape[1];
      const fn = (x: tg.Tensor, w: tg.Tensor, b: tg.Tensor) => F.batchNorm(x, null, null, w, b, { training: true, eps: 1e-3 });
      expect(tg.gradgradcheck(fn, [f64(shape, 20, -1, 2, true), f64([c], 21, 0.5, 1.5, true), f64([c], 22, -1, 1, true)])).toBe(true);
    }
  });
  it('batchNorm in evaluation', () => {
    const rm = f64([3], 23);
    const rv = f64([3], 24, 0.5, 2);
    const fn = (x: tg.Tensor, w: tg.Tensor) => F.batchNorm(x, rm, rv, w, null, { training: false });
    expect(tg.gradgradcheck(fn, [f64([4, 3, 2], 25, -1, 2, true), f64([3], 26, 0.5, 1.5, true)])).toBe(true);
  });
  it('layerNorm over one and two dims', () => {
    for (const [shape, ns] of [[[3, 4], [4]], [[2, 2, 3], [2, 3]]]) {
      const fn = (x: tg.Tensor, w: tg.Tensor, b: tg.Tensor) => F.layerNorm(x, ns, w, b);
      expect(tg.gradgradcheck(fn, [f64(shape, 27, -1, 2, true), f64(ns, 28, 0.5, 1.5, true), f64(ns, 29, -1, 1, true)])).toBe(true);
    }
  });
  it('dropout and embedding', () => {
    expect(tg.gradgradcheck((x: tg.Tensor) => F.dropout(x, 0.5, { generator: new tg.Generator(9) }).square(), [f64([4, 4], 30, -1, 1, true)])).toBe(true);
    const idx = i32([0, 2, 2, 1]);
    expect(tg.gradgradcheck((w: tg.Tensor) => F.embedding(idx, w, { paddingIdx: 2 }).square(), [f64([3, 2], 31, -1, 1, true)])).toBe(true);
  });
});

describe('batchNorm and layerNorm: hand-checked values and behaviour', () => {
  it('normalises each channel to mean 0 and biased variance 1 (times weight, plus bias)', () => {
    const x = t64(Float64Array.from([1, 10, 2, 20, 3, 30, 6, 40]), [4, 2]);
    const rm = tg.zeros([2], { dtype: 'float64' });
    const rv = tg.ones([2], { dtype: 'float64' });
    const y = F.batchNorm(x, rm, rv, t64(Float64Array.from([2, 1]), [2]), t64(Float64Array.from([0, 5]), [2]), { training: true, eps: 0 });
    // channel 0: [1, 2, 3, 6], mean 3, biased var 3.5, unbiased 14/3.
    const s = Math.sqrt(3.5);
    expectClose((y.data() as Float64Array).filter((_, i) => i % 2 === 0), [-4 / s, -2 / s, 0, 6 / s], 1e-14, 1e-14);
    expectClose(rm.data(), [0.3, 2.5], 1e-14, 0);
    expectClose(rv.data(), [0.9 + 0.1 * (14 / 3), 0.9 + 0.1 * (500 / 3)], 1e-14, 0);
  });
  it('updates running stats viewed with strides in place', () => {
    const buf = tg.zeros([2, 2], { dtype: 'float64' });
    const rm = buf.narrow(1, 0, 1).reshape(2);
    const rv = tg.ones([2, 2], { dtype: 'float64' }).T.narrow(0, 1, 1).reshape(2);
    F.batchNorm(t64(Float64Array.from([1, 2, 3, 6]), [2, 2]), rm, rv, null, null, { training: true, momentum: 0.5 });
    expectClose(buf.data(), [1, 0, 2, 0], 1e-14, 0);
  });
  it('eval mode uses the running stats and leaves them unchanged', () => {
    const rm = t64(Float64Array.from([1]), [1]);
    const rv = t64(Float64Array.from([4]), [1]);
    const y = F.batchNorm(t64(Float64Array.from([3, 5]), [2, 1]), rm, rv, null, null, { eps: 0 });
    expectClose(y.data(), [1, 2], 1e-15, 0);
    expect(rm.item()).toBe(1);
    expect(rv.item()).toBe(4);
  });
  it('an empty batch gives an empty output and keeps the running stats', () => {
    const rm = tg.zeros([3]);
    const y = F.batchNorm(tg.zeros([0, 3]), rm, tg.ones([3]), null, null, { training: true });
    expect(y.shape).toEqual([0, 3]);
    expect(Array.from(rm.data())).toEqual([0, 0, 0]);
  });
  it('layerNorm normalises each row', () => {
    const y = F.layerNorm(t64(Float64Array.from([1, 2, 3, 10, 10, 40]), [2, 3]), 3, null, null, { eps: 0 });
    const s0 = Math.sqrt(2 / 3);
    const s1 = Math.sqrt(200);
    expectClose(y.data(), [-1 / s0, 0, 1 / s0, -10 / s1, -10 / s1, 20 / s1], 1e-14, 1e-14);
  });
  it('results are bitwise identical on 1 and 2 threads (large inputs, many blocks)', () => {
    const run = () => {
      tg.manualSeed(41);
      const x = tg.randn([64, 8, 300], { requiresGrad: true });
      const w = tg.rand([300], { requiresGrad: true });
      const bw = tg.rand([8], { requiresGrad: true });
      const y = F.layerNorm(x, 300, w).add(F.batchNorm(x, null, null, bw, null, { training: true }));
      y.mul(tg.randn([64, 8, 300])).sum().backward();
      return [y, x.grad!, w.grad!, bw.grad!].map((t) => Buffer.from((t.data() as Float32Array).buffer));
    };
    tg.setNumThreads(1);
    const one = run();
    tg.setNumThreads(2);
    const two = run();
    tg.setNumThreads(Number(process.env.TAPEGRAD_NUM_THREADS ?? 2));
    one.forEach((b, i) => expect(b.equals(two[i]), `output ${i}`).toBe(true));
  });
});

describe('dropout', () => {
  afterAll(() => tg.setNumThreads(Number(process.env.TAPEGRAD_NUM_THREADS ?? 2)));
  const n = 200000;
  for (const p of [0.1, 0.5, 0.8]) {
    it(`p=${p}: keeps a fraction close to 1 - p, scales by 1 / (1 - p), mean preserved`, () => {
      const x = tg.ones([n], { dtype: 'float64' });
      const y = F.dropout(x, p, { generator: new tg.Generator(123) });
      const d = y.data();
      let kept = 0;
      let sum = 0;
      for (const v of d) {
        if (v !== 0) {
          kept++;
          expect(v).toBeCloseTo(1 / (1 - p), 14);
        }
        sum += v;
      }
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p))).toBeLessThan(5 * sigma);
      expect(Math.abs(sum / n - 1)).toBeLessThan((5 * sigma) / (n * (1 - p)));
    });
  }
  it('the gradient is the mask times the scale', () => {
    const x = t64(sample([1000], 40, 0.5, 2), [1000], true);
    const y = F.dropout(x, 0.3, { generator: new tg.Generator(1) });
    y.sum().backward();
    const yd = y.data();
    const xd = x.data();
    const gd = x.grad!.data();
    for (let i = 0; i < 1000; i++) {
      expect(gd[i]).toBe(yd[i] === 0 ? 0 : 1 / 0.7);
      if (yd[i] !== 0) expect(yd[i]).toBeCloseTo(xd[i] / 0.7, 14);
    }
  });
  it('same seed gives the same mask, on 1 and 2 threads; another seed a different one', () => {
    const run = (threads: number, seed: number, dtype: 'float32' | 'float64') => {
      tg.setNumThreads(threads);
      return F.dropout(tg.ones([300001], { dtype }), 0.4, { generator: new tg.Generator(seed) }).data();
    };
    for (const dtype of ['float32', 'float64'] as const) {
      const a = run(1, 77, dtype);
      expect(Array.from(run(2, 77, dtype))).toEqual(Array.from(a));
      expect(Array.from(run(1, 78, dtype))).not.toEqual(Array.from(a));
    }
    tg.manualSeed(5);
    const d1 = F.dropout(tg.ones([1000])).data();
    tg.manualSeed(5);
    expect(Array.from(F.dropout(tg.ones([1000])).data())).toEqual(Array.from(d1));
  });
  it('p = 0 keeps everything, p = 1 gives zeros, training: false is the identity', () => {
    const x = f64([50], 41);
    expect(Array.from(F.dropout(x, 0).data())).toEqual(Array.from(x.data()));
    expect(Array.from(F.dropout(x, 1).data()).every((v) => v === 0)).toBe(true);
    expect(F.dropout(x, 0.5, { training: false })).toBe(x);
  });
  it('Dropout module: random in train mode, identity after eval()', () => {
    const d = new nn.Dropout(0.5);
    const x = tg.ones([1000]);
    expect(Array.from(d.forward(x).data()).some((v) => v === 0)).toBe(true);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(d.toString()).toBe('Dropout(p=0.5)');
  });
});

describe('modules: initialisation, buffers and modes', () => {
  it('BatchNorm1d has PyTorch-named parameters and buffers, initialised as PyTorch', () => {
    const m = new nn.BatchNorm1d(3);
    expect([...m.namedParameters()].map(([k]) => k)).toEqual(['weight', 'bias']);
    expect([...m.namedBuffers()].map(([k]) => k)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(Array.from(m.weight!.data())).toEqual([1, 1, 1]);
    expect(Array.from(m.bias!.data())).toEqual([0, 0, 0]);
    expect(Array.from(m.runningMean!.data())).toEqual([0, 0, 0]);
    expect(Array.from(m.runningVar!.data())).toEqual([1, 1, 1]);
    expect(m.numBatchesTracked!.dtype).toBe('int32');
    expect(m.numBatchesTracked!.shape).toEqual([]);
    const nt = new nn.BatchNorm2d(2, { affine: false, trackRunningStats: false });
    expect(Object.keys(nt.stateDict())).toEqual([]);
    expect(nt.numParameters()).toBe(0);
  });
  it('train mode counts batches and updates the stats; eval mode does not', () => {
    const m = new nn.BatchNorm1d(2, { dtype: 'float64' });
    const x = f64([5, 2], 50);
    m.forward(x);
    m.forward(x);
    expect(m.numBatchesTracked!.item()).toBe(2);
    const rm = Array.from(m.runningMean!.data());
    m.eval();
    m.forward(x);
    expect(m.numBatchesTracked!.item()).toBe(2);
    expect(Array.from(m.runningMean!.data())).toEqual(rm);
  });
  it('momentum null gives the cumulative average of the batch means', () => {
    const m = new nn.BatchNorm1d(1, { momentum: null, dtype: 'float64' });
    for (const v of [[1, 3], [5, 7], [0, 2]]) m.forward(t64(Float64Array.from(v), [2, 1]));
    expectClose(m.runningMean!.data(), [(2 + 6 + 1) / 3], 1e-15, 0);
    // each batch's unbiased variance is 2; the first batch (factor 1) replaces the initial 1
    expectClose(m.runningVar!.data(), [2], 1e-15, 0);
  });
  it('Module.to converts the float buffers and keeps num_batches_tracked int32', () => {
    const m = new nn.BatchNorm2d(2).double();
    expect(m.runningMean!.dtype).toBe('float64');
    expect(m.numBatchesTracked!.dtype).toBe('int32');
    expect(m.forward(f64([2, 2, 2, 2], 51)).dtype).toBe('float64');
  });
  it('LayerNorm: weight ones, bias zeros of the normalised shape; no affine', () => {
    const m = new nn.LayerNorm([2, 3]);
    expect(m.weight!.shape).toEqual([2, 3]);
    expect(Array.from(m.weight!.data()).every((v) => v === 1)).toBe(true);
    expect(Array.from(m.bias!.data()).every((v) => v === 0)).toBe(true);
    expect(new nn.LayerNorm(4, { elementwiseAffine: false }).numParameters()).toBe(0);
    expect(m.toString()).toBe('LayerNorm([2, 3], eps=0.00001, elementwiseAffine=true)');
  });
  it('Embedding: N(0, 1) initialisation, padding row zeroed and never updated', () => {
    const e = new nn.Embedding(2000, 10, { paddingIdx: -1, generator: new tg.Generator(3) });
    expect(e.paddingIdx).toBe(1999);
    const w = e.weight.data();
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 1999 * 10; i++) {
      s += w[i];
      s2 += w[i] * w[i];
    }
    const cnt = 1999 * 10;
    expect(Math.abs(s / cnt)).toBeLessThan(0.05);
    expect(Math.abs(s2 / cnt - 1)).toBeLessThan(0.05);
    expect(Array.from(w.slice(1999 * 10))).toEqual(new Array(10).fill(0));
    const out = e.forward(i32([1999, 0, 1999]));
    expect(out.shape).toEqual([3, 10]);
    out.sum().backward();
    expect(Array.from(e.weight.grad!.data().slice(1999 * 10))).toEqual(new Array(10).fill(0));
    expect(Array.from(e.weight.grad!.data().slice(0, 10))).toEqual(new Array(10).fill(1));
  });
});

describe('bad input', () => {
  const x = f64([4, 3], 60);
  it('batchNorm: shapes, dtypes, options', () => {
    expectError(() => F.batchNorm(f64([3], 1), null, null, null, null, { training: true }), RangeError, /^batchNorm\b/, /\[3\]/);
    expectError(() => F.batchNorm(x, tg.zeros([4], { dtype: 'float64' }), tg.ones([4], { dtype: 'float64' })), RangeError, /^batchNorm: runningMean must have shape \[3\] for input shape \[4, 3\], got \[4\]/);
    expectError(() => F.batchNorm(x, tg.zeros([3]), tg.ones([3])), TypeError, /^batchNorm: runningMean is float32 but the input is float64/);
    expectError(() => F.batchNorm(x, null, null), TypeError, /^batchNorm: .*evaluation/);
    expectError(() => F.batchNorm(x, null, null, f64([2], 1), null, { training: true }), RangeError, /^batchNorm: weight must have shape \[3\]/);
    expectError(() => F.batchNorm(f64([1, 3], 1), null, null, null, null, { training: true }), RangeError, /^batchNorm: expected more than 1 value per channel when training, got input shape \[1, 3\]/);
    expectError(() => F.batchNorm(x, null, null, null, null, { training: true, eps: -1 }), RangeError, /^batchNorm: eps/);
    expectError(() => T.nn.functional.batchNorm(x, null, null, null, null, { training: true, momentum: null }), TypeError, /^batchNorm: momentum/);
    expectError(() => T.nn.functional.batchNorm(i32([1, 2, 3, 4], [2, 2]), null, null, null, null, { training: true }), TypeError, /^batchNorm: input must be a float32 or float64/);
    expectError(() => T.nn.functional.batchNorm('x', null, null), TypeError, /^batchNorm: input must be a Tensor/);
  });
  it('BatchNorm modules name the layer and the shapes', () => {
    expectError(() => new nn.BatchNorm1d(3).forward(tg.zeros([2, 3, 4, 5])), RangeError, /^BatchNorm1d\(3\): expected a 2-D \[N, C\] or 3-D \[N, C, L\] input, got shape \[2, 3, 4, 5\]/);
    expectError(() => new nn.BatchNorm2d(3).forward(tg.zeros([2, 3, 4])), RangeError, /^BatchNorm2d\(3\): expected a 4-D/, /\[2, 3, 4\]/);
    expectError(() => new nn.BatchNorm1d(3).forward(tg.zeros([2, 4])), RangeError, /^BatchNorm1d\(3\): input shape \[2, 4\] has 4 channels \(dim 1\), expected 3/);
    expectError(() => new nn.BatchNorm1d(3).forward(x), TypeError, /^BatchNorm1d\(3\): input is float64 but the parameters are float32/);
    expectError(() => new nn.BatchNorm1d(-1), RangeError, /^BatchNorm1d: numFeatures must be a non-negative integer, got -1/);
    expectError(() => new nn.BatchNorm1d(2.5), TypeError, /^BatchNorm1d: numFeatures must be an integer, got 2.5/);
    expectError(() => new nn.BatchNorm2d(2, { momentum: NaN }), TypeError, /^BatchNorm2d: momentum/);
  });
  it('layerNorm', () => {
    expectError(() => F.layerNorm(x, [4]), RangeError, /^layerNorm: input shape \[4, 3\] does not end with normalizedShape \[4\]/);
    expectError(() => F.layerNorm(x, []), RangeError, /^layerNorm: normalizedShape/);
    expectError(() => F.layerNorm(x, [-3]), RangeError, /^layerNorm: normalizedShape/);
    expectError(() => F.layerNorm(x, 3, f64([4], 1)), RangeError, /^layerNorm: weight must have shape \[3\] for input shape \[4, 3\], got \[4\]/);
    expectError(() => new nn.LayerNorm(5).forward(tg.zeros([2, 4])), RangeError, /^LayerNorm\(\[5\]\): input shape \[2, 4\] does not end with \[5\]/);
    expectError(() => new nn.LayerNorm(-2), RangeError, /^LayerNorm: normalizedShape/);
  });
  it('dropout: p outside [0, 1], bad options', () => {
    for (const p of [-0.1, 1.5, NaN]) {
      expectError(() => F.dropout(x, p), RangeError, /^dropout: dropout probability has to be between 0 and 1, but got/);
      expectError(() => new nn.Dropout(p), RangeError, /^Dropout: dropout probability has to be between 0 and 1/);
    }
    expectError(() => T.nn.functional.dropout(x, 0.5, { generator: 3 }), TypeError, /^dropout: generator must be a tg.Generator/);
    expectError(() => T.nn.functional.dropout(i32([1]), 0.5), TypeError, /^dropout: input must be a float32 or float64/);
  });
  it('embedding: indices out of range, dtypes, padding index, sizes', () => {
    const w = f64([4, 2], 1);
    expectError(() => F.embedding(i32([0, 4]), w), RangeError, /^embedding: index 4 is out of range for a dim of size 4 \(weight shape \[4, 2\], indices shape \[2\]\)/);
    expectError(() => F.embedding(i32([-1]), w), RangeError, /^embedding: index -1 is out of range/);
    expectError(() => F.embedding(f64([2], 1), w), TypeError, /^embedding: indices must be an int32 tensor, got float64/);
    expectError(() => F.embedding(i32([0]), f64([4], 1)), RangeError, /^embedding: weight must be 2-D/);
    expectError(() => F.embedding(i32([0]), w, { paddingIdx: 4 }), RangeError, /^embedding: paddingIdx must be an integer within \[-4, 4\)/);
    expectError(() => new nn.Embedding(-1, 3), RangeError, /^Embedding: numEmbeddings must be a non-negative integer, got -1/);
    expectError(() => new nn.Embedding(3, -2), RangeError, /^Embedding: embeddingDim must be a non-negative integer/);
    expectError(() => new nn.Embedding(3, 2, { paddingIdx: 3 }), RangeError, /^Embedding: paddingIdx/);
  });
  // The kernels' own argument checks, called directly on the addon src/ loads (not available when the
  // suite runs against an installed package).
  it.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('the native kernels validate every argument and the process lives on', async () => {
    const { native } = await import('../src/native');
    const f = (n: number) => new Float64Array(n);
    const meta = (...v: number[]) => Float64Array.from(v);
    // batchNormForward(y, mean, invstd, x, w, b, rm, rv, meta [N, C, L, training], eps, momentum)
    const bn = (o: Partial<Record<number, unknown>>) => {
      const a: unknown[] = [f(6), f(3), f(3), f(6), null, null, f(3), f(3), meta(2, 3, 1, 1), 1e-5, 0.1];
      for (const [k, v] of Object.entries(o)) a[Number(k)] = v;
      return (native.batchNormForward as (...args: unknown[]) => void)(...a);
    };
    bn({});
    expectError(() => bn({ 0: f(5) }), RangeError, /^batchNormForward\b/);
    expectError(() => bn({ 3: new Float32Array(6) }), TypeError, /^batchNormForward\b/);
    expectError(() => bn({ 4: f(2) }), RangeError, /^batchNormForward\b/);
    expectError(() => bn({ 5: [1, 2, 3] }), TypeError, /^batchNormForward: bias must be a Float32Array/);
    expectError(() => bn({ 7: null }), TypeError, /^batchNormForward: runningMean and runningVar/);
    expectError(() => bn({ 6: null, 7: null, 8: meta(2, 3, 1, 0) }), TypeError, /^batchNormForward: evaluation needs running stats/);
    expectError(() => bn({ 8: meta(2, 3, 1) }), RangeError, /^batchNormForward\b/);
    expectError(() => bn({ 8: meta(2, 3, 1, 2) }), RangeError, /^batchNormForward\b/);
    expectError(() => bn({ 8: meta(1, 6, 1, 1) }), RangeError, /^batchNormForward\b/);
    expectError(() => bn({ 8: meta(2 ** 40, 2 ** 40, 1, 1) }), RangeError, /^batchNormForward\b/);
    expectError(() => bn({ 9: -1 }), RangeError, /^batchNormForward: eps/);
    expectError(() => bn({ 10: Infinity }), RangeError, /^batchNormForward: momentum/);
    expectError(() => bn({ 3: new Int32Array(6) }), TypeError, /^batchNormForward\b/);
    expectError(() => (native.batchNormForward as (...a: unknown[]) => void)(f(6)), TypeError, /^batchNormForward: expected 11 arguments/);
    const bnb = (o: Partial<Record<number, unknown>>) => {
      const a: unknown[] = [f(6), f(3), f(3), f(6), f(6), f(3), f(3), f(3), meta(2, 3, 1, 1)];
      for (const [k, v] of Object.entries(o)) a[Number(k)] = v;
      return (native.batchNormBackward as (...args: unknown[]) => void)(...a);
    };
    bnb({});
    bnb({ 0: null, 1: null, 5: null });
    expectError(() => bnb({ 3: f(5) }), RangeError, /^batchNormBackward\b/);
    expectError(() => bnb({ 1: f(4) }), RangeError, /^batchNormBackward\b/);
    expectError(() => bnb({ 6: new Float32Array(3) }), TypeError, /^batchNormBackward\b/);
    const ln = (o: Partial<Record<number, unknown>>) => {
      const a: unknown[] = [f(6), f(2), f(2), f(6), f(3), null, meta(2, 3), 1e-5];
      for (const [k, v] of Object.entries(o)) a[Number(k)] = v;
      return (native.layerNormForward as (...args: unknown[]) => void)(...a);
    };
    ln({});
    expectError(() => ln({ 1: f(3) }), RangeError, /^layerNormForward\b/);
    expectError(() => ln({ 4: f(2) }), RangeError, /^layerNormForward\b/);
    expectError(() => ln({ 6: meta(2, -3) }), RangeError, /^layerNormForward\b/);
    expectError(() => ln({ 7: NaN }), RangeError, /^layerNormForward: eps/);
    const lnb = (o: Partial<Record<number, unknown>>) => {
      const a: unknown[] = [f(6), f(3), f(3), f(6), f(6), null, f(2), f(2), meta(2, 3)];
      for (const [k, v] of Object.entries(o)) a[Number(k)] = v;
      return (native.layerNormBackward as (...args: unknown[]) => void)(...a);
    };
    lnb({});
    expectError(() => lnb({ 2: f(6) }), RangeError, /^layerNormBackward\b/);
    expectError(() => lnb({ 4: 'x' }), TypeError, /^layerNormBackward\b/);
    const dr = (o: Partial<Record<number, unknown>>) => {
      const a: unknown[] = [f(6), f(6), f(6), 0.5];
      for (const [k, v] of Object.entries(o)) a[Number(k)] = v;
      return (native.dropoutForward as (...args: unknown[]) => void)(...a);
    };
    dr({});
    expectError(() => dr({ 3: 1.5 }), RangeError, /^dropoutForward: p must be in \[0, 1\]/);
    expectError(() => dr({ 3: NaN }), RangeError, /^dropoutForward: p/);
    expectError(() => dr({ 1: f(5) }), RangeError, /^dropoutForward\b/);
    expectError(() => dr({ 2: new Int32Array(6), 0: new Int32Array(6), 1: new Int32Array(6) }), TypeError, /^dropoutForward\b/);
    expect(F.layerNorm(f64([2, 3], 1), 3).shape).toEqual([2, 3]);
  });
});
