// One table drives forward, gradcheck and dtype tests for every elementwise op.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, sample, t64 } from './helpers';

const erf = (x: number): number => {
  // Abramowitz-Stegun is too coarse; use the series / continued fraction in float64.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 200; n++) {
      term *= (-t * t) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for larger |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface UnaryCase {
  name: string;
  f: (x: tg.Tensor) => tg.Tensor;
  ref: (x: number) => number;
  lo?: number;
  hi?: number;
  avoid?: number[];
  /** float32 tolerance (relative) */
  tol32?: number;
}

const unaryCases: UnaryCase[] = [
  { name: 'neg', f: tg.neg, ref: (x) => -x },
  { name: 'abs', f: tg.abs, ref: Math.abs, avoid: [0] },
  { name: 'exp', f: tg.exp, ref: Math.exp },
  { name: 'log', f: tg.log, ref: Math.log, lo: 0.1, hi: 4 },
  { name: 'log1p', f: tg.log1p, ref: Math.log1p, lo: -0.9, hi: 4 },
  { name: 'sqrt', f: tg.sqrt, ref: Math.sqrt, lo: 0.1, hi: 4 },
  { name: 'rsqrt', f: tg.rsqrt, ref: (x) => 1 / Math.sqrt(x), lo: 0.1, hi: 4 },
  { name: 'square', f: tg.square, ref: (x) => x * x },
  { name: 'reciprocal', f: tg.reciprocal, ref: (x) => 1 / x, avoid: [0], lo: -2, hi: 2 },
  { name: 'sin', f: tg.sin, ref: Math.sin },
  { name: 'cos', f: tg.cos, ref: Math.cos },
  { name: 'tanh', f: tg.tanh, ref: Math.tanh },
  { name: 'sigmoid', f: tg.sigmoid, ref: sigmoid },
  { name: 'erf', f: tg.erf, ref: erf },
  { name: 'relu', f: tg.relu, ref: (x) => Math.max(x, 0), avoid: [0] },
  { name: 'leakyRelu', f: (x) => tg.leakyRelu(x, 0.2), ref: (x) => (x > 0 ? x : 0.2 * x), avoid: [0] },
  { name: 'leakyRelu default', f: (x) => x.leakyRelu(), ref: (x) => (x > 0 ? x : 0.01 * x), avoid: [0] },
  { name: 'elu', f: (x) => tg.elu(x, 1.5), ref: (x) => (x > 0 ? x : 1.5 * Math.expm1(x)), avoid: [0] },
  { name: 'gelu', f: (x) => tg.gelu(x), ref: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)) },
  {
    name: 'gelu tanh',
    f: (x) => tg.gelu(x, { approximate: 'tanh' }),
    ref: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  },
  { name: 'silu', f: tg.silu, ref: (x) => x * sigmoid(x) },
  { name: 'softplus', f: (x) => tg.softplus(x), ref: (x) => Math.log1p(Math.exp(x)) },
  {
    name: 'softplus beta threshold',
    f: (x) => tg.softplus(x, { beta: 2, threshold: 1 }),
    ref: (x) => (2 * x > 1 ? x : Math.log1p(Math.exp(2 * x)) / 2),
    avoid: [0.5],
  },
  { name: 'clamp', f: (x) => tg.clamp(x, -0.5, 0.7), ref: (x) => Math.min(Math.max(x, -0.5), 0.7), avoid: [-0.5, 0.7] },
  { name: 'clamp min', f: (x) => x.clamp(0.1), ref: (x) => Math.max(x, 0.1), avoid: [0.1] },
  { name: 'clamp max', f: (x) => x.clamp(null, 0.1), ref: (x) => Math.min(x, 0.1), avoid: [0.1] },
  { name: 'pow 3', f: (x) => tg.pow(x, 3), ref: (x) => x ** 3 },
  { name: 'pow 2', f: (x) => x.pow(2), ref: (x) => x ** 2 },
  { name: 'pow 0.5', f: (x) => x.pow(0.5), ref: Math.sqrt, lo: 0.1, hi: 3 },
  { name: 'pow -1.5', f: (x) => x.pow(-1.5), ref: (x) => x ** -1.5, lo: 0.2, hi: 3 },
  { name: 'add scalar', f: (x) => x.add(2.5), ref: (x) => x + 2.5 },
  { name: 'rsub scalar', f: (x) => tg.sub(1, x), ref: (x) => 1 - x },
  { name: 'mul scalar', f: (x) => x.mul(-3), ref: (x) => x * -3 },
  { name: 'div scalar', f: (x) => tg.div(2, x), ref: (x) => 2 / x, avoid: [0], lo: -2, hi: 2 },
];

// Shapes cross SIMD tails (7, 33), thread blocks (> 32768) and include 0-d and empty tensors.
const shapes: number[][] = [[], [0], [1], [7], [3, 5], [2, 3, 4], [33], [2, 0, 3]];
const bigShape = [40000];

describe('unary ops', () => {
  for (const c of unaryCases) {
    const lo = c.lo ?? -2;
    const hi = c.hi ?? 2;
    describe(c.name, () => {
      it('matches the float64 reference over many shapes, contiguous or not', () => {
        for (const [si, shape] of [...shapes, bigShape].entries()) {
          const data = sample(shape, 100 + si, lo, hi, c.avoid);
          const y = c.f(t64(data, shape));
          expect(y.shape).toEqual(shape);
          expect(y.dtype).toBe('float64');
          expectClose(y.data(), Array.from(data, c.ref), 1e-13, 1e-15, `${c.name} ${JSON.stringify(shape)}`);
        }
        const m = sample([4, 6], 7, lo, hi, c.avoid);
        const xt = t64(m, [4, 6]).T; // non-contiguous view
        const expected = Array.from(xt.contiguous().data(), c.ref);
        expectClose(c.f(xt).data(), expected, 1e-13, 1e-15, `${c.name} transposed`);
      });

      it('float32 stays close to the float64 reference', () => {
        const data = sample([1000], 3, lo, hi, c.avoid);
        const x32 = tg.tensor(data, { dtype: 'float32' });
        const y = c.f(x32);
        expect(y.dtype).toBe('float32');
        const xs = x32.data();
        expectClose(y.data(), Array.from(xs, c.ref), c.tol32 ?? 2e-6, 1e-6, c.name);
      });

      it('passes gradcheck in float64', () => {
        for (const [si, shape] of [[], [1], [7], [3, 5], [0, 2]].entries()) {
          const x = t64(sample(shape, 200 + si, lo, hi, c.avoid), shape, true);
          expect(tg.gradcheck(c.f, [x])).toBe(true);
        }
        const big = t64(sample(bigShape, 300, lo, hi, c.avoid), bigShape, true);
        expect(tg.gradcheck(c.f, [big], { fastMode: true })).toBe(true);
      });

      it('passes gradgradcheck (createGraph) in float64', () => {
        const x = t64(sample([5], 400, lo, hi, c.avoid, 0.1), [5], true);
        expect(tg.gradgradcheck(c.f, [x])).toBe(true);
      });
    });
  }
});

interface BinaryCase {
  name: string;
  f: (a: tg.Tensor, b: tg.Tensor) => tg.Tensor;
  ref: (a: number, b: number) => number;
  lo?: number;
  hi?: number;
  blo?: number;
  bhi?: number;
  avoidB?: number[];
}

const binaryCases: BinaryCase[] = [
  { name: 'add', f: tg.add, ref: (a, b) => a + b },
  { name: 'sub', f: (a, b) => a.sub(b), ref: (a, b) => a - b },
  { name: 'mul', f: tg.mul, ref: (a, b) => a * b },
  { name: 'div', f: tg.div, ref: (a, b) => a / b, avoidB: [0], blo: -2, bhi: 2 },
  { name: 'pow', f: tg.pow, ref: (a, b) => a ** b, lo: 0.2, hi: 3 },
  { name: 'maximum', f: tg.maximum, ref: Math.max },
  { name: 'minimum', f: (a, b) => a.minimum(b), ref: Math.min },
];

const shapePairs: [number[], number[]][] = [
  [[], []],
  [[3], [3]],
  [[2, 3], [3]],
  [[2, 1], [1, 3]],
  [[], [2, 2]],
  [[0, 3], [3]],
  [[4, 1, 5], [3, 1]],
  [[1], [6]],
];

// Broadcasts over more than one thread block (32768 elements), with rows that do not divide a block,
// so that whole-row runs and partial rows at block edges both occur.
const bigPairs: [number[], number[]][] = [
  [[3, 130, 333], [333]],
  [[250, 300], [250, 1]],
  [[7, 1, 5000], [1, 9, 5000]],
  [[2, 3, 17, 401], [3, 1, 401]],
];

function broadcastRef(a: Float64Array, as: number[], b: Float64Array, bs: number[], f: (x: number, y: number) => number) {
  const n = Math.max(as.length, bs.length);
  const pa = [...Array(n - as.length).fill(1), ...as];
  const pb = [...Array(n - bs.length).fill(1), ...bs];
  const out = pa.map((s, i) => Math.max(s, pb[i]));
  if (pa.some((s, i) => s === 0) || pb.some((s) => s === 0)) out.forEach((_, i) => (out[i] = pa[i] === 0 || pb[i] === 0 ? 0 : out[i]));
  const total = out.reduce((p, s) => p * s, 1);
  const res = new Float64Array(total);
  const idx = new Array(n).fill(0);
  for (let k = 0; k < total; k++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < n; d++) {
      ia = ia * pa[d] + (pa[d] === 1 ? 0 : idx[d]);
      ib = ib * pb[d] + (pb[d] === 1 ? 0 : idx[d]);
    }
    res[k] = f(a[ia], b[ib]);
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return { shape: out, values: res };
}

describe('binary ops with broadcasting', () => {
  for (const c of binaryCases) {
    describe(c.name, () => {
      it('matches the float64 reference', () => {
        for (const [pi, [as, bs]] of shapePairs.entries()) {
          const a = sample(as, 500 + pi, c.lo ?? -2, c.hi ?? 2);
          const b = sample(bs, 600 + pi, c.blo ?? -2, c.bhi ?? 2, c.avoidB);
          const y = c.f(t64(a, as), t64(b, bs));
          const ref = broadcastRef(a, as, b, bs, c.ref);
          expect(y.shape).toEqual(ref.shape);
          expectClose(y.data(), ref.values, 1e-14, 1e-15, `${c.name} ${JSON.stringify([as, bs])}`);
        }
        for (const [pi, [as, bs]] of bigPairs.entries()) {
          const a = sample(as, 550 + pi, c.lo ?? -2, c.hi ?? 2);
          const b = sample(bs, 650 + pi, c.blo ?? -2, c.bhi ?? 2, c.avoidB);
          const ref = broadcastRef(a, as, b, bs, c.ref);
          expectClose(c.f(t64(a, as), t64(b, bs)).data(), ref.values, 1e-14, 1e-15, `${c.name} ${JSON.stringify([as, bs])}`);
        }
        // A transposed (strided) first operand with a row-broadcast second one.
        const at = t64(sample([3, 333, 130], 560, c.lo ?? -2, c.hi ?? 2), [3, 333, 130]).transpose(1, 2);
        const bt = sample([333], 660, c.blo ?? -2, c.bhi ?? 2, c.avoidB);
        const reft = broadcastRef(at.contiguous().data() as Float64Array, [3, 130, 333], bt, [333], c.ref);
        expectClose(c.f(at, t64(bt, [333])).data(), reft.values, 1e-14, 1e-15, `${c.name} transposed`);
        const n = 40000;
        const a = sample([n], 1, c.lo ?? -2, c.hi ?? 2);
        const b = sample([n], 2, c.blo ?? -2, c.bhi ?? 2, c.avoidB);
        expectClose(c.f(t64(a, [n]), t64(b, [n])).data(), a.map((v, i) => c.ref(v, b[i])), 1e-14, 1e-15, c.name);
      });

      it('passes gradcheck with broadcasting (gradients summed back to each shape)', () => {
        for (const [pi, [as, bs]] of shapePairs.entries()) {
          const a = t64(sample(as, 700 + pi, c.lo ?? -2, c.hi ?? 2), as, true);
          const b = t64(sample(bs, 800 + pi, c.blo ?? -2, c.bhi ?? 2, c.avoidB), bs, true);
          expect(tg.gradcheck(c.f, [a, b])).toBe(true);
        }
      });

      it('passes gradgradcheck', () => {
        const a = t64(sample([2, 3], 900, c.lo ?? -2, c.hi ?? 2), [2, 3], true);
        const b = t64(sample([3], 901, c.blo ?? -2, c.bhi ?? 2, c.avoidB), [3], true);
        expect(tg.gradgradcheck(c.f, [a, b])).toBe(true);
      });
    });
  }

  it('promotes dtypes like PyTorch', () => {
    const f32 = tg.tensor([1, 2]);
    const f64 = tg.tensor([1, 2], { dtype: 'float64' });
    const i32 = tg.tensor([1, 2], { dtype: 'int32' });
    expect(f32.add(f64).dtype).toBe('float64');
    expect(i32.add(f32).dtype).toBe('float32');
    expect(i32.add(i32).dtype).toBe('int32');
    expect(i32.add(1).dtype).toBe('int32');
    expect(i32.add(0.5).dtype).toBe('float32');
    expect(i32.div(i32).dtype).toBe('float32');
    expect(i32.div(tg.tensor([2, 4], { dtype: 'int32' })).toArray()).toEqual([0.5, 0.5]);
    expect(f32.mul(2).dtype).toBe('float32');
  });

  it('int32 arithmetic wraps on overflow like PyTorch', () => {
    const big = tg.tensor([2147483647], { dtype: 'int32' });
    expect(big.add(1).toArray()).toEqual([-2147483648]);
  });

  it('maximum/minimum split the gradient on ties and propagate NaN', () => {
    const a = tg.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = tg.tensor([1, 5, 0], { dtype: 'float64', requiresGrad: true });
    tg.maximum(a, b).sum().backward();
    expect(a.grad!.toArray()).toEqual([0.5, 0, 1]);
    expect(b.grad!.toArray()).toEqual([0.5, 1, 0]);
    const m = tg.maximum(tg.tensor([NaN, 1]), tg.tensor([0, NaN])).toArray() as number[];
    expect(m.every(Number.isNaN)).toBe(true);
  });

  it('kinks follow PyTorch: relu and abs have zero gradient at 0, clamp passes it at the bounds', () => {
    const x = tg.tensor([0, 0, 0], { dtype: 'float64', requiresGrad: true });
    tg.relu(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 0]);
    const y = tg.tensor([0], { dtype: 'float64', requiresGrad: true });
    tg.abs(y).sum().backward();
    expect(y.grad!.toArray()).toEqual([0]);
    const z = tg.tensor([-1, 1], { dtype: 'float64', requiresGrad: true });
    tg.clamp(z, -1, 1).sum().backward();
    expect(z.grad!.toArray()).toEqual([1, 1]);
    const p = tg.tensor([0], { dtype: 'float64', requiresGrad: true });
    tg.pow(p, tg.tensor([2], { dtype: 'float64', requiresGrad: true })).sum().backward();
    expect(p.grad!.toArray()).toEqual([0]);
  });

  it('sigmoid and softplus stay finite for large inputs', () => {
    const x = tg.tensor([-1000, -50, 50, 1000], { dtype: 'float64' });
    expectClose(tg.sigmoid(x).data(), [0, Math.exp(-50) / (1 + Math.exp(-50)), 1, 1], 1e-15, 0);
    expectClose(tg.softplus(x).data(), [0, Math.log1p(Math.exp(-50)), 50, 1000], 1e-15, 0);
  });
});

describe('comparisons and where', () => {
  it('comparisons return 0/1 in the input dtype, without grad', () => {
    const a = tg.tensor([1, 2, 3], { requiresGrad: true });
    const b = tg.tensor([2, 2, 2]);
    const cases: [string, tg.Tensor, number[]][] = [
      ['eq', tg.eq(a, b), [0, 1, 0]],
      ['ne', tg.ne(a, b), [1, 0, 1]],
      ['lt', a.lt(b), [1, 0, 0]],
      ['le', a.le(b), [1, 1, 0]],
      ['gt', a.gt(2), [0, 0, 1]],
      ['ge', a.ge(2), [0, 1, 1]],
    ];
    for (const [name, t, v] of cases) {
      expect(t.toArray(), name).toEqual(v);
      expect(t.dtype).toBe('float32');
      expect(t.requiresGrad).toBe(false);
    }
  });

  it('where selects with broadcasting and routes gradients', () => {
    const cond = tg.tensor([[1], [0]]);
    const a = tg.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = tg.tensor([[10], [20]], { dtype: 'float64', requiresGrad: true });
    const y = tg.where(cond, a, b);
    expect(y.toArray()).toEqual([[1, 2, 3], [20, 20, 20]]);
    y.sum().backward();
    expect(a.grad!.toArray()).toEqual([1, 1, 1]);
    expect(b.grad!.toArray()).toEqual([[0], [3]]);
    expect(tg.where(cond, 1, b).toArray()).toEqual([[1], [20]]);
    const x = t64(sample([3, 4], 5), [3, 4], true);
    const w = t64(sample([4], 6), [4], true);
    expect(tg.gradcheck((p: tg.Tensor, q: tg.Tensor) => tg.where(p.gt(0), p, q), [x, w])).toBe(true);
  });
});
