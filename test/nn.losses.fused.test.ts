// The fused native crossEntropy / binaryCrossEntropyWithLogits kernels: hand-derived values at ±1e4,
// gradcheck and gradgradcheck over every option, agreement with the composed-op path (itself checked
// against PyTorch in nn.losses.test.ts), thread-count independence and argument validation.
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample, t64 } from './helpers';

const F = tg.nn.functional;
const f64 = (shape: number[], seed: number, lo = -2, hi = 2, grad = false) => t64(sample(shape, seed, lo, hi), shape, grad);
const i32 = (data: number[], shape?: number[]) => tg.tensor(Int32Array.from(data), { dtype: 'int32', shape: shape ?? [data.length] });
const reductions = ['mean', 'sum', 'none'] as const;

/** Class probabilities (rows sum to 1 along dim 1, or dim 0 for 1-D) from a seed. */
function probs(shape: number[], seed: number): tg.Tensor {
  return F.softmax(f64(shape, seed, -1, 1), shape.length > 1 ? 1 : 0).detach();
}

// A weight that requires grad sends the loss down the composed-op path (it alone differentiates
// targets and weights), so comparing with it checks the fused kernels against that path. Weights of
// ones equal "no weight" for every reduction.
const composedWeight = (w: tg.Tensor | null, C: number) => (w ?? tg.ones([C], { dtype: 'float64' })).detach().requiresGrad_(true);

interface CECase { name: string; shape: number[]; target: tg.Tensor; C: number }
const ceCases = (): CECase[] => [
  { name: '[5, 4] labels', shape: [5, 4], target: i32([0, 3, 1, 2, 3]), C: 4 },
  { name: '[5, 4] labels, ignored', shape: [5, 4], target: i32([0, -100, 1, 2, -100]), C: 4 },
  { name: '[4] unbatched label', shape: [4], target: i32([2], []), C: 4 },
  { name: '[2, 3, 2, 2] K-dim labels, ignored', shape: [2, 3, 2, 2], target: i32([0, 2, 1, -100, 2, 2, 0, 1], [2, 2, 2]), C: 3 },
  { name: '[5, 4] probabilities', shape: [5, 4], target: probs([5, 4], 40), C: 4 },
  { name: '[4] unbatched probabilities', shape: [4], target: probs([4], 41), C: 4 },
  { name: '[2, 3, 2, 2] K-dim probabilities', shape: [2, 3, 2, 2], target: probs([2, 3, 2, 2], 42), C: 3 },
];

describe('fused crossEntropy', () => {
  it('hand-derived values and gradients at logits ±1e4 (float64 and float32)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const x = tg.tensor([1e4, -1e4, 0], { dtype, requiresGrad: true });
      // softmax(x) = [1, 0, 0] exactly in floating point; logsumexp = 1e4.
      const l = F.crossEntropy(x, i32([1], []));
      expect(l.gradFn).toBe('crossEntropy');
      expect(l.item()).toBe(2e4);
      expectClose(tg.grad(l, [x])[0]!.data(), [1, -1, 0], 0, 0, `${dtype} grad`);
      // labelSmoothing 0.1, C = 3: 0.9·2e4 + (0.1/3)·(0 + 2e4 + 1e4) = 19000; grad = p - (0.9·onehot + 0.1/3).
      const ls = F.crossEntropy(x, i32([1], []), { labelSmoothing: 0.1 });
      expectClose([ls.item()], [19000], dtype === 'float32' ? 1e-7 : 1e-15, 0, `${dtype} smoothed`);
      const e = 0.1 / 3;
      expectClose(tg.grad(ls, [x])[0]!.data(), [1 - e, -(0.9 + e), -e], dtype === 'float32' ? 1e-7 : 1e-15, 1e-7, `${dtype} smoothed grad`);
      // Batched with weights, 'mean' over Σ w[t] = 2 + 0.5: rows lose 2e4·w[1] and 1e4·w[0]... row 1 is [0, 1e4, -1e4], label 0.
      const xb = tg.tensor([1e4, -1e4, 0, 0, 1e4, -1e4], { dtype, shape: [2, 3], requiresGrad: true });
      const w = tg.tensor([0.5, 2, 1], { dtype });
      const lb = F.crossEntropy(xb, i32([1, 0]), { weight: w });
      expectClose([lb.item()], [(2 * 2e4 + 0.5 * 1e4) / 2.5], 1e-7, 0, `${dtype} weighted mean`);
      expectClose(tg.grad(lb, [xb])[0]!.data(), [2 / 2.5, -2 / 2.5, 0, -0.5 / 2.5, 0.5 / 2.5, 0], 1e-7, 0, `${dtype} weighted grad`);
      // Probability targets: Σ_c y_c·(lse - x_c) with lse = 1e4 → 0.5·0 + 0.25·2e4 + 0.25·1e4 = 7500.
      const lp = F.crossEntropy(x, tg.tensor([0.5, 0.25, 0.25], { dtype }));
      expect(lp.item()).toBe(7500);
      expectClose(tg.grad(lp, [x])[0]!.data(), [0.5, -0.25, -0.25], 0, 0, `${dtype} probability grad`);
    }
  });

  it('K-dim logits at ±1e4: the class dim is dim 1 (stride S)', () => {
    // x [1, 2, 3]: positions s have logits (x[0,0,s], x[0,1,s]).
    const x = tg.tensor([1e4, -1e4, 5, -1e4, 1e4, 5], { dtype: 'float64', shape: [1, 2, 3], requiresGrad: true });
    const l = F.crossEntropy(x, i32([1, 1, 0], [1, 3]), { reduction: 'none' });
    expectClose(l.data(), [2e4, 0, Math.LN2], 1e-15, 0, 'values');
    expectClose(tg.grad(l.sum(), [x])[0]!.data(), [1, 0, -0.5, -1, 0, 0.5], 1e-15, 0, 'grad');
  });

  it('gradcheck in float64 for every reduction, smoothing, weight, ignored index, K-dim and probability case', () => {
    for (const c of ceCases()) {
      const x = f64(c.shape, 50 + c.shape.length, -3, 3, true);
      for (const reduction of reductions) {
        for (const labelSmoothing of [0, 0.2]) {
          for (const weight of [null, f64([c.C], 60, 0.2, 2)]) {
            const what = `${c.name} ${reduction} eps=${labelSmoothing} weight=${weight !== null}`;
            const fn = (a: tg.Tensor) => F.crossEntropy(a, c.target, { reduction, labelSmoothing, weight });
            expect(fn(x).gradFn, what).toBe('crossEntropy');
            expect(tg.gradcheck(fn, [x]), what).toBe(true);
          }
        }
      }
    }
    // ignoreIndex inside the class range.
    const x = f64([5, 4], 61, -3, 3, true);
    expect(tg.gradcheck((a: tg.Tensor) => F.crossEntropy(a, i32([0, 3, 1, 2, 3]), { ignoreIndex: 3, labelSmoothing: 0.1 }), [x])).toBe(true);
  });

  it('equals the composed-op path (values and gradients, float64 and float32)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const tol = dtype === 'float64' ? 1e-12 : 2e-6;
      for (const c of ceCases()) {
        const x = f64(c.shape, 70, -5, 5).to(dtype).requiresGrad_(true);
        const target = c.target.dtype === 'int32' ? c.target : c.target.to(dtype);
        for (const reduction of reductions) {
          for (const labelSmoothing of [0, 0.3]) {
            for (const w of [null, f64([c.C], 71, 0.2, 2).to(dtype)]) {
              const what = `${dtype} ${c.name} ${reduction} eps=${labelSmoothing} weight=${w !== null}`;
              const fused = F.crossEntropy(x, target, { reduction, labelSmoothing, weight: w });
              const cw = composedWeight(w, c.C);
              const composed = F.crossEntropy(x, target, { reduction, labelSmoothing, weight: cw });
              expect(fused.gradFn, what).toBe('crossEntropy');
              expect(composed.gradFn, what).not.toBe('crossEntropy');
              expect(fused.shape, what).toEqual(composed.shape);
              expectClose(fused.data(), composed.data(), tol, tol, `${what} value`);
              expectClose(tg.grad(fused.sum(), [x])[0]!.data(), tg.grad(composed.sum(), [x])[0]!.data(), tol, tol, `${what} grad`);
            }
          }
        }
      }
    }
  });

  it('second derivatives (createGraph) through recorded ops: gradgradcheck', () => {
    const w = f64([4], 80, 0.2, 2);
    for (const c of ceCases()) {
      const x = f64(c.shape, 81, -2, 2, true);
      for (const reduction of reductions) {
        const fn = (a: tg.Tensor) => F.crossEntropy(a, c.target, { reduction, labelSmoothing: 0.2, weight: c.C === 4 ? w : null });
        expect(tg.gradgradcheck(fn, [x]), `${c.name} ${reduction}`).toBe(true);
      }
    }
  });

  it('all-ignored targets: mean is NaN and the gradient 0; sum is 0', () => {
    const x = f64([2, 3], 90, -1, 1, true);
    const l = F.crossEntropy(x, i32([-100, -100]));
    expect(l.item()).toBeNaN();
    expect(Array.from(tg.grad(l, [x])[0]!.data())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(F.crossEntropy(x, i32([-100, -100]), { reduction: 'sum' }).item()).toBe(0);
    expect(F.crossEntropy(f64([0, 3], 91), i32([], [0]), { reduction: 'none' }).shape).toEqual([0]);
  });

  it('non-contiguous logits and targets', () => {
    const x = f64([4, 5], 92, -3, 3, true);
    const t = i32([0, 3, 1, 2, 3]);
    const y = probs([4, 5], 93).T;
    for (const target of [t, y]) {
      const xt = x.T; // [5, 4], class dim has stride 5
      const fused = F.crossEntropy(xt, target, { labelSmoothing: 0.1 });
      const composed = F.crossEntropy(xt, target, { labelSmoothing: 0.1, weight: composedWeight(null, 4) });
      expectClose(fused.data(), composed.data(), 1e-12, 1e-12, 'value');
      expectClose(tg.grad(fused, [x], { retainGraph: true })[0]!.data(), tg.grad(composed, [x])[0]!.data(), 1e-12, 1e-12, 'grad');
    }
  });
});

describe('fused binaryCrossEntropyWithLogits', () => {
  it('hand-derived values and gradients at logits ±1e4', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const x = tg.tensor([1e4, -1e4, 1e4, -1e4], { dtype, requiresGrad: true });
      const y = tg.tensor([1, 1, 0, 0], { dtype });
      const l = F.binaryCrossEntropyWithLogits(x, y, { reduction: 'none' });
      expect(l.gradFn).toBe('binaryCrossEntropyWithLogits');
      expect(Array.from(l.data())).toEqual([0, 1e4, 1e4, 0]);
      expect(Array.from(tg.grad(l.sum(), [x])[0]!.data())).toEqual([0, -1, 1, 0]);
      // posWeight 2 doubles the positive term: lw = 1 + (2 - 1)·y; grad = (1 - y) - lw·sigmoid(-x); 'mean' / 4.
      const lp = F.binaryCrossEntropyWithLogits(x, y, { posWeight: tg.tensor([2], { dtype }) });
      expect(lp.item()).toBe((2e4 + 1e4) / 4);
      expect(Array.from(tg.grad(lp, [x])[0]!.data())).toEqual([0, -0.5, 0.25, 0]);
    }
  });

  it('gradcheck in float64 for weight, posWeight (broadcast), reductions and shapes (also at x = 0)', () => {
    for (const shape of [[3], [2, 4], [2, 3, 4]]) {
      const d = sample(shape, 100 + shape.length, -4, 4);
      d[0] = 0;
      const x0 = t64(d, shape, true);
      const y = f64(shape, 110, 0, 1);
      const last = shape[shape.length - 1];
      for (const reduction of reductions) {
        for (const weight of [null, f64([last], 111, 0.2, 2), f64(shape.length > 1 ? [shape[shape.length - 2], 1] : [1], 112, 0.2, 2)]) {
          for (const posWeight of [null, f64([last], 113, 0.2, 3)]) {
            const what = `${shape} ${reduction} weight=${weight?.shape} posWeight=${posWeight !== null}`;
            const fn = (a: tg.Tensor) => F.binaryCrossEntropyWithLogits(a, y, { reduction, weight, posWeight });
            expect(fn(x0).gradFn, what).toBe('binaryCrossEntropyWithLogits');
            expect(tg.gradcheck(fn, [x0]), what).toBe(true);
          }
        }
      }
    }
  });

  it('equals the composed-op path and has second derivatives', () => {
    const x = f64([3, 4], 120, -6, 6, true);
    const y = f64([3, 4], 121, 0, 1);
    const w = f64([3, 1], 122, 0.2, 2);
    const pw = f64([4], 123, 0.2, 3);
    for (const reduction of reductions) {
      const fused = F.binaryCrossEntropyWithLogits(x, y, { reduction, weight: w, posWeight: pw });
      const composed = F.binaryCrossEntropyWithLogits(x, y, { reduction, weight: w.detach().requiresGrad_(true), posWeight: pw });
      expect(composed.gradFn).not.toBe('binaryCrossEntropyWithLogits');
      expectClose(fused.data(), composed.data(), 1e-13, 1e-13, `${reduction} value`);
      expectClose(tg.grad(fused.sum(), [x])[0]!.data(), tg.grad(composed.sum(), [x])[0]!.data(), 1e-13, 1e-13, `${reduction} grad`);
      expect(tg.gradgradcheck((a: tg.Tensor) => F.binaryCrossEntropyWithLogits(a, y, { reduction, weight: w, posWeight: pw }), [x])).toBe(true);
    }
  });
});

describe('thread-count independence', () => {
  afterAll(() => tg.setNumThreads(Number(process.env.TAPEGRAD_NUM_THREADS ?? 2)));
  const bits = (t: tg.Tensor) => Buffer.from(t.data().buffer);

  it('1 and 2 threads give bitwise equal losses and gradients (several row blocks)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = f64([3000, 37], 130, -8, 8).to(dtype).requiresGrad_(true);
      const labels = i32(Array.from(sample([3000], 131, 0, 37), (v, i) => (i % 11 === 0 ? -100 : Math.floor(v))));
      const yb = f64([3000, 37], 132, 0, 1).to(dtype);
      const w = f64([37], 133, 0.2, 2).to(dtype);
      const run = () => {
        const out: tg.Tensor[] = [];
        for (const reduction of reductions) {
          const ce = F.crossEntropy(x, labels, { reduction, weight: w, labelSmoothing: 0.1 });
          const bce = F.binaryCrossEntropyWithLogits(x, yb, { reduction, posWeight: w });
          out.push(ce, tg.grad(ce.sum(), [x])[0]!, bce, tg.grad(bce.sum(), [x])[0]!);
        }
        return out.map(bits);
      };
      tg.setNumThreads(1);
      const one = run();
      tg.setNumThreads(2);
      const two = run();
      expect(two.length).toBe(12);
      two.forEach((b, i) => expect(b.equals(one[i]), `${dtype} output ${i}`).toBe(true));
    }
  });
});

describe('bad input', () => {
  it('labels out of range name crossEntropy, the label and the number of classes; ignoreIndex is exempt', () => {
    const x = f64([4, 3], 140);
    expectError(() => F.crossEntropy(x, i32([0, 7, 1, 1])), RangeError, /crossEntropy: target 7 is out of range for 3 classes/, /\[4, 3\]/);
    expectError(() => F.crossEntropy(x, i32([0, -1, 1, 1])), RangeError, /crossEntropy: target -1 is out of range for 3 classes/);
    expectError(() => F.crossEntropy(f64([2, 3, 2], 1), i32([0, 1, 3, 0], [2, 2])), RangeError, /target 3 .* 3 classes/, /\[2, 3, 2\]/);
    expect(Number.isFinite(F.crossEntropy(x, i32([0, -1, 1, 1]), { ignoreIndex: -1 }).item())).toBe(true);
    expect(Number.isFinite(F.crossEntropy(x, i32([0, 5, 1, 1]), { ignoreIndex: 5 }).item())).toBe(true);
  });

  it('the native kernels validate every argument', () => {
    // The same addon file that tapegrad loaded (Node caches it).
    const addon = createRequire(import.meta.url)(tg.backendInfo().addon) as Record<string, (...a: unknown[]) => void>;
    const x = new Float64Array(6);
    const t = new Int32Array([0, 1]);
    const meta = (over: Record<number, number> = {}) => {
      const m = Float64Array.from([2, 3, 1, 0, -100, 0, 2, 2, 3]);
      for (const [k, v] of Object.entries(over)) m[Number(k)] = v;
      return m;
    };
    const e64 = new Float64Array(0);
    const fwd = (...a: unknown[]) => addon.crossEntropyForward(...a);
    fwd(x, t, e64, e64, new Float64Array(2), new Float64Array(2), meta()); // valid
    expectError(() => fwd(x, t, e64, e64, new Float64Array(2), new Float64Array(2)), TypeError, /crossEntropyForward/);
    expectError(() => fwd(new Float64Array(5), t, e64, e64, new Float64Array(2), new Float64Array(2), meta()), RangeError, /crossEntropyForward.*x/);
    expectError(() => fwd(x, new Int32Array(3), e64, e64, new Float64Array(2), new Float64Array(2), meta()), RangeError, /target/);
    expectError(() => fwd(x, new Float64Array(2), e64, e64, new Float64Array(2), new Float64Array(2), meta()), TypeError, /Int32Array/);
    expectError(() => fwd(x, t, new Float64Array(2), e64, new Float64Array(2), new Float64Array(2), meta()), RangeError, /weight/);
    expectError(() => fwd(x, t, new Float32Array(3), e64, new Float64Array(2), new Float64Array(2), meta()), TypeError, /dtype/);
    expectError(() => fwd(x, t, e64, new Float64Array(3), new Float64Array(2), new Float64Array(2), meta()), RangeError, /rowLoss/);
    expectError(() => fwd(x, t, e64, e64, new Float32Array(2), new Float64Array(2), meta()), TypeError, /lse/);
    expectError(() => fwd(x, t, e64, e64, new Float64Array(2), new Float64Array(1), meta()), RangeError, /totals/);
    expectError(() => fwd(x, new Int32Array([0, 3]), e64, e64, new Float64Array(2), new Float64Array(2), meta()), RangeError, /target 3 is out of range for 3 classes/);
    expectError(() => fwd(x, t, e64, e64, new Float64Array(2), new Float64Array(2), meta({ 1: 0 })), RangeError, /number of classes/);
    expectError(() => fwd(x, t, e64, e64, new Float64Array(2), new Float64Array(2), meta({ 5: NaN })), RangeError, /labelSmoothing/);
    expectError(() => fwd(x, t, e64, e64, new Float64Array(2), new Float64Array(2), meta({ 4: 2 ** 40 })), RangeError, /ignoreIndex/);
    expectError(() => fwd(x, t, e64, e64, new Float64Array(2), new Float64Array(2), meta().subarray(0, 7)), RangeError, /too short/);
    expectError(() => fwd(x, t, e64, e64, new Float64Array(2), new Float64Array(2), [2, 3, 1]), TypeError, /Float64Array/);
    const bwd = (...a: unknown[]) => addon.crossEntropyBackward(...a);
    bwd(new Float64Array(6), x, t, e64, new Float64Array(2), e64, 1, meta()); // valid
    expectError(() => bwd(new Float64Array(5), x, t, e64, new Float64Array(2), e64, 1, meta()), RangeError, /gx/);
    expectError(() => bwd(new Float64Array(6), x, t, e64, new Float64Array(2), new Float64Array(5), 1, meta()), RangeError, /gradRow/);
    expectError(() => bwd(new Float64Array(6), x, t, e64, new Float64Array(2), e64, '1', meta()), TypeError, /scale/);
    const bmeta = (wOff = 0, wStride = 0) => Float64Array.from([1, 6, wOff, wStride, 0, 0]);
    const bf = (...a: unknown[]) => addon.bceWithLogitsForward(...a);
    bf(x, x, new Float64Array(1), e64, e64, new Float64Array(1), bmeta()); // valid: weight broadcast from one entry
    expectError(() => bf(x, x, new Float64Array(1), e64, e64, new Float64Array(1), bmeta(0, 1)), RangeError, /weight/);
    expectError(() => bf(x, x, new Float64Array(1), e64, e64, new Float64Array(1), bmeta(1, 0)), RangeError, /weight/);
    expectError(() => bf(x, new Float64Array(5), e64, e64, e64, new Float64Array(1), bmeta()), RangeError, /target/);
    expectError(() => bf(x, new Float32Array(6), e64, e64, e64, new Float64Array(1), bmeta()), TypeError, /dtype/);
    expectError(() => bf(new Int32Array(6), new Int32Array(6), e64, e64, e64, new Float64Array(1), bmeta()), TypeError, /int32/);
    const bb = (...a: unknown[]) => addon.bceWithLogitsBackward(...a);
    expectError(() => bb(new Float64Array(2), x, x, e64, e64, e64, 1, bmeta()), RangeError, /gx/);
    expectError(() => bb(new Float64Array(6), x, x, e64, new Float64Array(1), e64, 1, Float64Array.from([1, 6, 0, 0, 0, 1])), RangeError, /posWeight/);
  });
});
