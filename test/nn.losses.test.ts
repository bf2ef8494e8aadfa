// Losses and penalties: values and gradients against PyTorch, gradcheck, stability at ±1e4, bad input.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample, t64 } from './helpers';

const nn = tg.nn;
const F = tg.nn.functional;
const f64 = (shape: number[], seed: number, lo = -2, hi = 2, grad = false) => t64(sample(shape, seed, lo, hi), shape, grad);
const i32 = (data: number[], shape?: number[]) => tg.tensor(Int32Array.from(data), { dtype: 'int32', shape: shape ?? [data.length] });

interface Enc { data: number[]; shape: number[]; dtype: 'int32' | 'float64' }
interface Case {
  name: string; fn: string; expr: string; input: Enc; target: Enc; opts: Record<string, unknown>;
  tensors: Record<string, Enc>; out: Enc; grad?: number[]; targetGrad?: number[];
}
// Generated once by test/fixtures/make_losses_fixture.py with torch (float64); each case carries its torch expression.
const fixture = JSON.parse(readFileSync(resolve(__dirname, 'fixtures', 'losses.json'), 'utf8')) as { cases: Case[] };

const dec = (e: Enc, requiresGrad = false) =>
  e.dtype === 'int32' ? i32(e.data, e.shape) : tg.tensor(Float64Array.from(e.data), { dtype: 'float64', shape: e.shape, requiresGrad });

type LossFn = (input: tg.Tensor, target: tg.Tensor, opts?: object) => tg.Tensor;
const fns = F as unknown as Record<string, LossFn>;

function runCase(c: Case, dtype: 'float64' | 'float32' = 'float64') {
  const cast = (t: tg.Tensor) => (t.dtype === 'float64' && dtype === 'float32' ? t.float().detach().requiresGrad_(t.requiresGrad) : t);
  const x = cast(dec(c.input, true));
  const y = cast(dec(c.target, c.targetGrad !== undefined));
  const opts: Record<string, unknown> = { ...c.opts };
  for (const [k, v] of Object.entries(c.tensors)) opts[k] = cast(dec(v));
  const out = fns[c.fn](x, y, opts);
  return { x, y, out };
}

describe('losses match PyTorch (fixture)', () => {
  it(`has the fixture cases`, () => expect(fixture.cases.length).toBeGreaterThan(100));
  for (const c of fixture.cases) {
    it(`${c.name}: ${c.expr}`, () => {
      const { x, y, out } = runCase(c);
      expect(out.shape).toEqual(c.out.shape);
      expect(out.dtype).toBe('float64');
      expectClose(out.data(), c.out.data, 1e-10, 1e-13, 'value');
      if (c.grad) {
        const gs = tg.grad(out.sum(), c.targetGrad ? [x, y] : [x]);
        expectClose(gs[0]!.data(), c.grad, 1e-10, 1e-13, 'grad input');
        if (c.targetGrad) expectClose(gs[1]!.data(), c.targetGrad, 1e-10, 1e-13, 'grad target');
      }
    });
  }
  it('float32 values and gradients agree to 1e-5', () => {
    for (const c of fixture.cases) {
      if (c.name.includes('1e4')) continue; // float32 cannot represent 1e4 - 1 + small parts exactly
      const { x, out } = runCase(c, 'float32');
      expect(out.dtype, c.name).toBe('float32');
      expectClose(out.data(), c.out.data, 1e-5, 1e-5, `${c.name} value`);
      if (c.grad) expectClose(tg.grad(out.sum(), [x])[0]!.data(), c.grad, 1e-5, 1e-5, `${c.name} grad`);
    }
  });
});

describe('gradcheck in float64', () => {
  const gc = (fn: (...t: tg.Tensor[]) => tg.Tensor, inputs: tg.Tensor[]) => expect(tg.gradcheck(fn, inputs)).toBe(true);
  const reductions = ['mean', 'sum', 'none'] as const;

  it('regression losses wrt input and target', () => {
    const x = f64([3, 4], 1, -2, 2, true);
    // Keep |x - y| away from the kinks at 0, delta and beta.
    const y = t64(Float64Array.from(x.data(), (v, i) => v + [0.3, -0.7, 1.6, -2.4][i % 4]), [3, 4], true);
    for (const reduction of reductions) {
      gc((a, b) => F.mseLoss(a, b, { reduction }), [x, y]);
      gc((a, b) => F.l1Loss(a, b, { reduction }), [x, y]);
      gc((a, b) => F.huberLoss(a, b, { reduction, delta: 1.2 }), [x, y]);
      gc((a, b) => F.smoothL1Loss(a, b, { reduction, beta: 0.5 }), [x, y]);
    }
  });

  it('binaryCrossEntropy wrt probabilities, targets and weight', () => {
    const p = f64([3, 4], 2, 0.05, 0.95, true);
    const y = f64([3, 4], 3, 0, 1, true);
    const w = f64([4], 4, 0.2, 2, true);
    for (const reduction of reductions) gc((a, b, c) => F.binaryCrossEntropy(a, b, { reduction, weight: c }), [p, y, w]);
  });

  it('binaryCrossEntropyWithLogits wrt logits, targets, weight and posWeight (also at x = 0)', () => {
    const x = t64(Float64Array.from([0, 3.5, -4, 1, -0.5, 2, -2.5, 0.25]), [2, 4], true);
    const y = f64([2, 4], 5, 0, 1, true);
    const w = f64([4], 6, 0.2, 2, true);
    const pw = f64([4], 7, 0.2, 3, true);
    for (const reduction of reductions) {
      gc((a, b, c, d) => F.binaryCrossEntropyWithLogits(a, b, { reduction, weight: c, posWeight: d }), [x, y, w, pw]);
      gc((a, b) => F.binaryCrossEntropyWithLogits(a, b, { reduction }), [x, y]);
    }
  });

  it('nllLoss wrt log-probabilities and class weights, with ignored targets', () => {
    const lp = f64([5, 3], 8, -3, 0, true);
    const w = f64([3], 9, 0.2, 2, true);
    const t = i32([0, 2, -100, 1, 2]);
    for (const reduction of reductions) {
      gc((a, b) => F.nllLoss(a, t, { reduction, weight: b }), [lp, w]);
      gc((a) => F.nllLoss(a, t, { reduction }), [lp]);
    }
  });

  it('crossEntropy with labelSmoothing, ignoreIndex and class weights (class and K-dim targets)', () => {
    const x = f64([5, 3], 10, -3, 3, true);
    const w = f64([3], 11, 0.2, 2, true);
    const t = i32([0, 2, 1, 1, 2]);
    for (const reduction of reductions) {
      for (const labelSmoothing of [0, 0.15]) {
        gc((a, b) => F.crossEntropy(a, t, { reduction, weight: b, labelSmoothing, ignoreIndex: 1 }), [x, w]);
        gc((a, b) => F.crossEntropy(a, i32([0, 2, -100, 1, -100]), { reduction, weight: b, labelSmoothing }), [x, w]);
        gc((a) => F.crossEntropy(a, t, { reduction, labelSmoothing }), [x]);
      }
    }
    const xk = f64([2, 3, 2, 2], 12, -3, 3, true);
    const tk = i32([0, 2, 1, -100, 2, 2, 0, 1], [2, 2, 2]);
    gc((a, b) => F.crossEntropy(a, tk, { weight: b, labelSmoothing: 0.2 }), [xk, w]);
  });

  it('crossEntropy with probability targets wrt logits, targets and weights', () => {
    const x = f64([4, 3], 13, -3, 3, true);
    const p = f64([4, 3], 14, 0, 1, true);
    const w = f64([3], 15, 0.2, 2, true);
    for (const reduction of reductions) {
      gc((a, b, c) => F.crossEntropy(a, b, { reduction, weight: c, labelSmoothing: 0.1 }), [x, p, w]);
    }
  });

  it('penalties', () => {
    const a = f64([3, 2], 16, -2, 2, true);
    const b = f64([4], 17, 0.1, 2, true);
    gc((p, q) => F.l1Penalty([p, q]), [a, b]);
    gc((p, q) => F.l2Penalty([p, q]), [a, b]);
  });
});

describe('stability for logits of ±1e4', () => {
  const big = [1e4, -1e4, 1e4 - 3, -1e4 + 1, 0, 1e4, -1e4, -1e4];
  const finite = (t: tg.Tensor) => Array.from(t.data()).every(Number.isFinite);
  for (const dtype of ['float64', 'float32'] as const) {
    it(`crossEntropy (class and probability targets) and BCE-with-logits in ${dtype}`, () => {
      const x = tg.tensor(big, { dtype, shape: [2, 4], requiresGrad: true });
      const w = tg.tensor([0.5, 1, 2, 1.5], { dtype });
      const losses = [
        F.crossEntropy(x, i32([1, 3]), { weight: w, labelSmoothing: 0.1 }),
        F.crossEntropy(x, i32([0, -100])),
        F.crossEntropy(x, tg.full([2, 4], 0.25, { dtype }), { reduction: 'sum' }),
        F.binaryCrossEntropyWithLogits(x, tg.tensor([1, 0, 0, 1, 0.5, 0, 1, 1], { dtype, shape: [2, 4] }), { posWeight: w }),
        F.nllLoss(F.logSoftmax(x, 1), i32([1, 2])),
      ];
      for (const [i, l] of losses.entries()) {
        expect(finite(l), `loss ${i}`).toBe(true);
        expect(finite(tg.grad(l, [x])[0]!), `grad ${i}`).toBe(true);
      }
      // Exact: logsumexp of row 0 is 1e4 + log1p(e^-3), the target logit -1e4; row 1's target is 1e4 below its max.
      expectClose(F.crossEntropy(x, i32([1, 0]), { reduction: 'none' }).data(), [2e4 + Math.log1p(Math.exp(-3)), 1e4], 1e-6, 1e-6, 'ce');
      expectClose(F.binaryCrossEntropyWithLogits(x, tg.zeros([2, 4], { dtype }), { reduction: 'none' }).data(),
        big.map((v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))), 1e-6, 1e-6, 'bce');
    });
  }

  it('binaryCrossEntropy clamps the log at -100 for probabilities 0 and 1', () => {
    const l = F.binaryCrossEntropy(tg.tensor([0, 1], { dtype: 'float64' }), tg.tensor([1, 0], { dtype: 'float64' }), { reduction: 'none' });
    expect(Array.from(l.data())).toEqual([100, 100]);
  });
});

describe('penalties and loss modules', () => {
  it('l1Penalty = Σ|p| and l2Penalty = Σp² (no 1/2) over all params', () => {
    const lin = new nn.Linear(3, 2, { dtype: 'float64' });
    const vals = [...lin.parameters()].flatMap((p) => Array.from(p.data()));
    expectClose(F.l1Penalty(lin.parameters()).data(), [vals.reduce((s, v) => s + Math.abs(v), 0)], 1e-14, 0, 'l1');
    expectClose(F.l2Penalty(lin.parameters()).data(), [vals.reduce((s, v) => s + v * v, 0)], 1e-14, 0, 'l2');
    expectClose(F.l2Penalty(tg.tensor([3, -4], { dtype: 'float64' })).data(), [25], 0, 0, 'single tensor');
    const g = tg.grad(F.l2Penalty([lin.weight]), [lin.weight])[0]!;
    expectClose(g.data(), Array.from(lin.weight.data(), (v) => 2 * v), 1e-15, 0, 'l2 grad');
    expect(F.l1Penalty([]).item()).toBe(0);
  });

  it('modules call the functional forms with their options', () => {
    const x = f64([4, 3], 20, -3, 3);
    const t = i32([0, 2, 1, 2]);
    const w = tg.tensor([0.5, 1, 2], { dtype: 'float64' });
    const ce = new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1, ignoreIndex: 1, reduction: 'sum' });
    expectClose(ce.forward(x, t).data(), F.crossEntropy(x, t, { weight: w, labelSmoothing: 0.1, ignoreIndex: 1, reduction: 'sum' }).data(), 0, 0, 'ce');
    expect([...ce.namedBuffers()].map(([n]) => n)).toEqual(['weight']);
    expect(String(ce)).toBe('CrossEntropyLoss(reduction=sum)');
    const lp = F.logSoftmax(x, 1);
    expectClose(new nn.NLLLoss().forward(lp, t).data(), F.nllLoss(lp, t).data(), 0, 0, 'nll');
    const y = f64([4, 3], 21, -3, 3);
    const p = x.sigmoid();
    const yb = y.sigmoid();
    const pairs: [tg.nn.Module, tg.Tensor][] = [
      [new nn.MSELoss(), F.mseLoss(x, y)],
      [new nn.L1Loss({ reduction: 'none' }), F.l1Loss(x, y, { reduction: 'none' })],
      [new nn.HuberLoss({ delta: 0.7 }), F.huberLoss(x, y, { delta: 0.7 })],
      [new nn.SmoothL1Loss({ beta: 0.4 }), F.smoothL1Loss(x, y, { beta: 0.4 })],
    ];
    for (const [m, e] of pairs) expectClose((m.forward(x, y) as tg.Tensor).data(), e.data(), 0, 0, String(m));
    expectClose(new nn.BCELoss({ weight: w }).forward(p, yb).data(), F.binaryCrossEntropy(p, yb, { weight: w }).data(), 0, 0, 'bce');
    expectClose(new nn.BCEWithLogitsLoss({ posWeight: w }).forward(x, yb).data(), F.binaryCrossEntropyWithLogits(x, yb, { posWeight: w }).data(), 0, 0, 'bcel');
    expectError(() => new nn.MSELoss({ reduction: 'avg' as 'mean' }), RangeError, /MSELoss: reduction must be 'mean', 'sum' or 'none'/);
  });

  it('mean over all-ignored targets is NaN, as PyTorch', () => {
    expect(F.crossEntropy(f64([2, 3], 22), i32([-100, -100])).item()).toBeNaN();
    expect(F.crossEntropy(f64([2, 3], 22), i32([-100, -100]), { reduction: 'sum' }).item()).toBe(0);
  });
});

describe('bad input', () => {
  const x = f64([4, 3], 30);
  it('shapes', () => {
    expectError(() => F.mseLoss(x, f64([3, 4], 1)), RangeError, /mseLoss: target shape \[3, 4\] must equal input shape \[4, 3\]/);
    expectError(() => F.crossEntropy(x, i32([0, 1, 2])), RangeError, /crossEntropy: target shape \[3\] does not match input shape \[4, 3\]/);
    expectError(() => F.nllLoss(f64([2, 3, 5], 1), i32([0, 1])), RangeError, /nllLoss/, /\[2\]/, /\[2, 3, 5\]/, /\[2, 5\]/);
    expectError(() => F.crossEntropy(x, f64([4, 2], 1)), RangeError, /crossEntropy: probability target shape \[4, 2\] must equal input shape \[4, 3\]/);
    expectError(() => F.crossEntropy(x, i32([0, 1, 2, 0]), { weight: tg.ones([4], { dtype: 'float64' }) }), RangeError, /crossEntropy: weight must have shape \[3\]/, /\[4\]/);
    expectError(() => F.binaryCrossEntropyWithLogits(x, x, { posWeight: tg.ones([4], { dtype: 'float64' }) }), RangeError, /posWeight shape \[4\] does not broadcast to input shape \[4, 3\]/);
    expectError(() => F.crossEntropy(tg.tensor(1, { dtype: 'float64' }), i32([0], [])), RangeError, /class dimension/);
  });
  it('dtypes', () => {
    expectError(() => F.nllLoss(x, f64([4], 1)), TypeError, /nllLoss: class targets must be an int32 tensor, got float64/);
    expectError(() => F.mseLoss(i32([1, 2]), i32([1, 2])), TypeError, /^mseLoss: input must be a float32 or float64 Tensor, got an int32 Tensor of shape \[2\]/);
    expectError(() => F.l1Loss(x, [1, 2] as unknown as tg.Tensor), TypeError, /l1Loss: target must be a Tensor, got an array/);
    expectError(() => F.l2Penalty([x, 3 as unknown as tg.Tensor]), TypeError, /l2Penalty: params\[1\] must be a Tensor/);
  });
  it('index ranges and options', () => {
    expectError(() => F.crossEntropy(x, i32([0, 3, 1, 1])), RangeError, /crossEntropy: target 3 is out of range for 3 classes/, /\[4, 3\]/);
    expectError(() => F.nllLoss(x, i32([0, -1, 1, 1])), RangeError, /nllLoss: target -1 is out of range/);
    expect(Number.isFinite(F.nllLoss(x, i32([0, -1, 1, 1]), { ignoreIndex: -1 }).item())).toBe(true);
    expectError(() => F.crossEntropy(x, i32([0, 1, 1, 1]), { labelSmoothing: 1.5 }), RangeError, /labelSmoothing must be in \[0, 1\]/);
    expectError(() => F.huberLoss(x, x, { delta: 0 }), RangeError, /huberLoss: delta must be positive/);
    expectError(() => F.smoothL1Loss(x, x, { beta: -1 }), RangeError, /smoothL1Loss: beta/);
    expectError(() => F.l1Loss(x, x, { reduction: 'avg' as 'mean' }), RangeError, /^l1Loss: reduction must be 'mean', 'sum' or 'none', got 'avg'/);
    expectError(() => F.binaryCrossEntropy(tg.tensor([0.5, 1.2], { dtype: 'float64' }), tg.tensor([0, 1], { dtype: 'float64' })), RangeError, /binaryCrossEntropy: all elements of input should be between 0 and 1/);
  });
});
