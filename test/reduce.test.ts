// Reductions: forward values against the float64 JS references of reduce.ref.ts (every dim
// spelling, keepDim, 0-d, empty, non-contiguous and multi-block sizes), hand-derived gradients at ties and zeros,
// argmax/argmin conventions, and gradcheck / gradgradcheck in float64.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, jsRandom, numel, sample, t64 } from './helpers';
import { type Dims, groupsOf, permuteData, refAbsSum, refLse, refMax, refMean, refMin, refNorm, refProd, refStd, refSum, refVar } from './reduce.ref';

type DT = 'float32' | 'float64';

interface Red {
  name: string;
  fn: (x: tg.Tensor, dim: Dims, keepDim: boolean) => tg.Tensor;
  method: (x: tg.Tensor, dim: Dims, keepDim: boolean) => tg.Tensor;
  ref: (g: number[]) => number;
  /** Magnitude the rounding error scales with (Σ|x| for sums), on top of rtol * |result|. */
  scale?: (g: number[]) => number;
  lo?: number;
  hi?: number;
}

const REDUCTIONS: Red[] = [
  { name: 'sum', fn: (x, d, k) => tg.sum(x, d, k), method: (x, d, k) => x.sum(d, k), ref: refSum, scale: refAbsSum },
  { name: 'mean', fn: (x, d, k) => tg.mean(x, d, k), method: (x, d, k) => x.mean(d, k), ref: refMean, scale: (g) => refAbsSum(g) / g.length },
  { name: 'max', fn: (x, d, k) => tg.max(x, d, k), method: (x, d, k) => x.max(d, k), ref: refMax },
  { name: 'min', fn: (x, d, k) => tg.min(x, d, k), method: (x, d, k) => x.min(d, k), ref: refMin },
  { name: 'prod', fn: (x, d, k) => tg.prod(x, d, k), method: (x, d, k) => x.prod(d, k), ref: refProd, lo: -1.6, hi: 1.6 },
  { name: 'var', fn: (x, d, k) => tg.var(x, d, k), method: (x, d, k) => x.var(d, k), ref: refVar(1) },
  {
    name: 'var(correction 0)',
    fn: (x, d, k) => tg.var(x, d, { correction: 0, keepDim: k }),
    method: (x, d, k) => x.var(d, { correction: 0, keepDim: k }),
    ref: refVar(0),
  },
  {
    name: 'var(correction 1 explicit)',
    fn: (x, d, k) => tg.var(x, d, { correction: 1, keepDim: k }),
    method: (x, d, k) => x.var(d, { keepDim: k, correction: 1 }),
    ref: refVar(1),
  },
  { name: 'std', fn: (x, d, k) => tg.std(x, d, k), method: (x, d, k) => x.std(d, k), ref: refStd(1) },
  {
    name: 'std(correction 0)',
    fn: (x, d, k) => tg.std(x, d, { correction: 0, keepDim: k }),
    method: (x, d, k) => x.std(d, { correction: 0, keepDim: k }),
    ref: refStd(0),
  },
  { name: 'logsumexp', fn: (x, d, k) => tg.logsumexp(x, d, k), method: (x, d, k) => x.logsumexp(d, k), ref: refLse },
  { name: 'norm(p=1)', fn: (x, d, k) => tg.norm(x, 1, d, k), method: (x, d, k) => x.norm(1, d, k), ref: refNorm(1), scale: refAbsSum },
  { name: 'norm(p=2)', fn: (x, d, k) => tg.norm(x, 2, d, k), method: (x, d, k) => x.norm(2, d, k), ref: refNorm(2) },
  { name: 'norm(default p)', fn: (x, d, k) => tg.norm(x, undefined, d, k), method: (x, d, k) => x.norm(undefined, d, k), ref: refNorm(2) },
  { name: 'norm(p=3)', fn: (x, d, k) => tg.norm(x, 3, d, k), method: (x, d, k) => x.norm(3, d, k), ref: refNorm(3) },
  { name: 'norm(p=inf)', fn: (x, d, k) => tg.norm(x, Infinity, d, k), method: (x, d, k) => x.norm(Infinity, d, k), ref: refNorm(Infinity) },
];

const SHAPES_DIMS: [number[], Dims[]][] = [
  [[], [undefined, 0, -1]],
  [[7], [undefined, 0, -1, [0]]],
  [[3, 4], [undefined, 0, 1, -1, -2, [0, 1], [1, 0], []]],
  [[2, 3, 4], [undefined, 0, 1, 2, -1, [0, 2], [-1, 0], [1, 2], [0, 1, 2]]],
  [[2, 3, 1, 5], [undefined, 1, 2, [0, 3], [-3, -1]]],
];

function makeInput(data: Float64Array, shape: readonly number[], dtype: DT): { x: tg.Tensor; vals: Float64Array } {
  const vals = dtype === 'float32' ? Float64Array.from(Float32Array.from(data)) : data;
  const x = tg.tensor(dtype === 'float32' ? Float32Array.from(data) : data, { shape: shape.slice(), dtype });
  return { x, vals };
}

/** Checks y against the reference group by group: |y - e| <= rtol |e| + atolScale * scale(group). */
function checkReduction(y: tg.Tensor, r: Red, vals: ArrayLike<number>, shape: readonly number[], dim: Dims, keepDim: boolean, dtype: DT, what: string) {
  const { outShape, groups } = groupsOf(vals, shape, dim, keepDim);
  expect(y.shape, `${what} shape`).toEqual(outShape);
  expect(y.dtype, `${what} dtype`).toBe(dtype);
  const got = y.data();
  expect(got.length, `${what} size`).toBe(groups.length);
  const rtol = dtype === 'float64' ? 1e-12 : 1e-5;
  const atolScale = dtype === 'float64' ? 1e-13 : 1e-6;
  for (let i = 0; i < groups.length; i++) {
    const e = r.ref(groups[i]);
    const a = got[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    const tol = rtol * Math.abs(e) + atolScale * (r.scale ? r.scale(groups[i]) : 0) + (dtype === 'float32' ? 1e-30 : 0);
    if (!(Math.abs(a - e) <= tol)) expect.fail(`${what} element ${i}: got ${a}, expected ${e} (tol ${tol})`);
  }
}

function dimStr(dim: Dims): string {
  return dim === undefined ? 'undefined' : JSON.stringify(dim);
}

// ---- forward ---------------------------------------------------------------------------------

describe('reductions: forward values against a float64 reference', () => {
  for (const dtype of ['float64', 'float32'] as DT[]) {
    for (const r of REDUCTIONS) {
      it(`${r.name} (${dtype}) over every dim spelling, keepDim true/false, function and method`, () => {
        let seed = 100;
        for (const [shape, dimsList] of SHAPES_DIMS) {
          const { x, vals } = makeInput(sample(shape, seed++, r.lo ?? -2, r.hi ?? 2), shape, dtype);
          for (const dim of dimsList) {
            for (const keepDim of [false, true]) {
              const what = `${r.name} ${dtype} shape [${shape}] dim ${dimStr(dim)} keepDim ${keepDim}`;
              checkReduction(r.fn(x, dim, keepDim), r, vals, shape, dim, keepDim, dtype, `tg.${what}`);
              checkReduction(r.method(x, dim, keepDim), r, vals, shape, dim, keepDim, dtype, `method ${what}`);
            }
          }
          // default arguments: everything reduced, no kept dims
          checkReduction(r.method(x, undefined, false), r, vals, shape, undefined, false, dtype, `${r.name} defaults`);
        }
      });
    }
  }

  it('defaults: dim omitted reduces everything to a 0-d tensor, keepDim defaults to false', () => {
    const data = sample([3, 4], 7);
    const x = t64(data, [3, 4]);
    const all = [...data];
    const cases: [tg.Tensor, number][] = [
      [x.sum(), refSum(all)],
      [tg.sum(x), refSum(all)],
      [x.mean(), refMean(all)],
      [x.max(), refMax(all)],
      [x.min(), refMin(all)],
      [x.prod(), refProd(all)],
      [x.var(), refVar(1)(all)],
      [x.std(), refStd(1)(all)],
      [x.logsumexp(), refLse(all)],
      [x.norm(), refNorm(2)(all)],
      [tg.norm(x), refNorm(2)(all)],
    ];
    for (const [y, e] of cases) {
      expect(y.shape).toEqual([]);
      expectClose([y.item()], [e], 1e-12, 0);
    }
    expect(x.sum(1).shape).toEqual([3]);
    expect(x.var(1).shape).toEqual([3]);
    expect(x.std(0).shape).toEqual([4]);
  });

  it('var/std: keepDim given as a boolean or in the options object; correction 2 also works', () => {
    const data = sample([3, 5], 11);
    const x = t64(data, [3, 5]);
    const { groups } = groupsOf(data, [3, 5], 1, true);
    expect(x.var(1, true).shape).toEqual([3, 1]);
    expect(x.var(1, { keepDim: true }).shape).toEqual([3, 1]);
    expect(x.std(-1, { correction: 0 }).shape).toEqual([3]);
    expectClose(x.var(1, { correction: 2 }).data(), groups.map(refVar(2)), 1e-12, 0, 'var correction 2');
    expectClose(x.var(1, true).data(), groups.map(refVar(1)), 1e-12, 0, 'var keepDim boolean');
    expectClose(tg.std(x, 1, { correction: 0, keepDim: true }).data(), groups.map(refStd(0)), 1e-12, 0);
  });

  it('var with a single element per group: NaN for correction 1, 0 for correction 0 (as PyTorch)', () => {
    const x = tg.tensor([[1.5], [-2]], { dtype: 'float64' });
    const v1 = x.var(1).data();
    expect(Number.isNaN(v1[0]) && Number.isNaN(v1[1])).toBe(true);
    expect([...x.var(1, { correction: 0 }).data()]).toEqual([0, 0]);
    expect(Number.isNaN(x.std(1).data()[0])).toBe(true);
  });

  it('rejects a negative correction, a repeated dim and an out-of-range dim', () => {
    const x = t64(sample([2, 3], 3), [2, 3]);
    expectError(() => x.var(0, { correction: -1 }), RangeError, /var/, /correction/);
    expectError(() => x.sum([0, -2]), RangeError, /sum/);
    expectError(() => x.sum(2), RangeError, /sum/, /\[2, 3\]/);
    expectError(() => x.mean(-3), RangeError, /mean/);
    expectError(() => x.argmax(5), RangeError, /argmax/);
  });

  it('propagate NaN: max / min / logsumexp give NaN, argmax / argmin point at the first NaN (as PyTorch)', () => {
    const x = tg.tensor([[1, NaN, 3, NaN], [2, -1, 0, 5]], { dtype: 'float64' });
    expect(Number.isNaN(x.max().item())).toBe(true);
    expect(Number.isNaN(x.min().item())).toBe(true);
    const m = x.max(1).toArray() as number[];
    expect(Number.isNaN(m[0])).toBe(true);
    expect(m[1]).toBe(5);
    expect(x.min(1).toArray()).toEqual([NaN, -1]);
    expect(Number.isNaN(x.logsumexp(1).data()[0])).toBe(true);
    expect(x.argmax(1).toArray()).toEqual([1, 3]);
    expect(x.argmin(1).toArray()).toEqual([1, 1]);
    expect(x.argmax().item()).toBe(1);
  });

  it('max / min of int32 tensors work and stay int32 (PyTorch idiom: numClasses = y.max().item() + 1)', () => {
    const y = tg.tensor([[3, 0, 7], [2, 9, 1]], { dtype: 'int32' });
    const mx = y.max();
    expect(mx.dtype).toBe('int32');
    expect(mx.item()).toBe(9);
    expect(y.min(1).toArray()).toEqual([0, 1]);
    expect(y.max(0, true).toArray()).toEqual([[3, 9, 7]]);
    expect(tg.max(y).dtype).toBe('int32');
  });

  it('keeps integer sums exact and int32', () => {
    const x = tg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });
    const s = x.sum(1);
    expect(s.dtype).toBe('int32');
    expect(s.toArray()).toEqual([6, 15]);
  });
});

describe('reductions: non-contiguous inputs', () => {
  for (const r of REDUCTIONS) {
    it(`${r.name} of a transposed / permuted view matches the reference`, () => {
      const base2 = sample([4, 5], 21, r.lo ?? -2, r.hi ?? 2);
      const b2 = t64(base2, [4, 5]);
      const tv = permuteData(base2, [4, 5], [1, 0]);
      const views: [tg.Tensor, { data: Float64Array; shape: number[] }][] = [
        [b2.T, tv],
        [b2.transpose(0, 1), tv],
      ];
      const base3 = sample([2, 3, 4], 22, r.lo ?? -2, r.hi ?? 2);
      const b3 = t64(base3, [2, 3, 4]);
      views.push([b3.permute(2, 0, 1), permuteData(base3, [2, 3, 4], [2, 0, 1])]);
      for (const [v, ref] of views) {
        for (const dim of [undefined, 0, 1, -1, [0, ref.shape.length - 1]] as Dims[]) {
          for (const keepDim of [false, true]) {
            checkReduction(r.fn(v, dim, keepDim), r, ref.data, ref.shape, dim, keepDim, 'float64', `${r.name} view [${ref.shape}] dim ${dimStr(dim)} keepDim ${keepDim}`);
          }
        }
      }
    });
  }
});

describe('reductions: sizes that cross the kernel blocks', () => {
  // 4000 elements, then > 32768 elements (the kernels' per-thread grain) in several layouts.
  const cases: [number[], Dims[]][] = [
    [[50, 80], [undefined, 0, 1]],
    [[3, 13000], [undefined, 0, 1, -1]],
    [[200, 200], [1, 0]],
    [[40000], [undefined, 0]],
  ];
  for (const r of REDUCTIONS) {
    it(`${r.name} (float64)`, () => {
      let seed = 300;
      for (const [shape, dims] of cases) {
        // products of tens of thousands of factors stay finite near 1
        const data = r.name === 'prod' ? sample(shape, seed++, 0.99, 1.01) : sample(shape, seed++);
        if (r.name === 'prod') {
          const rnd = jsRandom(seed);
          for (let i = 0; i < data.length; i++) if (rnd() < 0.5) data[i] = -data[i];
        }
        const x = t64(data, shape);
        for (const dim of dims) checkReduction(r.fn(x, dim, false), r, data, shape, dim, false, 'float64', `${r.name} [${shape}] dim ${dimStr(dim)}`);
        if (shape.length === 2) {
          const tv = permuteData(data, shape, [1, 0]);
          for (const dim of [0, 1, undefined] as Dims[]) {
            checkReduction(r.fn(x.T, dim, true), r, tv.data, tv.shape, dim, true, 'float64', `${r.name} [${shape}].T dim ${dimStr(dim)}`);
          }
        }
      }
    });
  }

  it('float32 sum / mean / max / var over 39000 elements', () => {
    const shape = [3, 13000];
    const { x, vals } = makeInput(sample(shape, 401), shape, 'float32');
    for (const r of REDUCTIONS.filter((q) => ['sum', 'mean', 'max', 'min', 'var', 'norm(p=2)', 'logsumexp'].includes(q.name))) {
      for (const dim of [undefined, 0, 1] as Dims[]) {
        checkReduction(r.fn(x, dim, false), r, vals, shape, dim, false, 'float32', `${r.name} float32 dim ${dimStr(dim)}`);
      }
    }
  });

  it('argmax / argmin over 39000 elements, along each dim and flattened', () => {
    const shape = [3, 13000];
    const data = sample(shape, 402);
    const x = t64(data, shape);
    for (const [name, better] of [
      ['argmax', (a: number, b: number) => a > b],
      ['argmin', (a: number, b: number) => a < b],
    ] as const) {
      for (const dim of [undefined, 0, 1]) {
        const { groups } = groupsOf(data, shape, dim, false);
        const expected = groups.map((g) => g.reduce((bi, v, i) => (better(v, g[bi]) ? i : bi), 0));
        const y = name === 'argmax' ? x.argmax(dim) : x.argmin(dim);
        expect(y.dtype).toBe('int32');
        expect([...y.data()], `${name} dim ${dim}`).toEqual(expected);
      }
    }
  });
});

// ---- 0-d and empty ---------------------------------------------------------------------------

describe('reductions: 0-d tensors', () => {
  it('every reduction of a 0-d tensor, with dim undefined / 0 / -1 and keepDim', () => {
    const x = tg.tensor(-1.25, { dtype: 'float64' });
    for (const dim of [undefined, 0, -1] as Dims[]) {
      for (const keepDim of [false, true]) {
        const w = `dim ${dimStr(dim)} keepDim ${keepDim}`;
        const out: [string, tg.Tensor, number][] = [
          ['sum', x.sum(dim, keepDim), -1.25],
          ['mean', x.mean(dim, keepDim), -1.25],
          ['max', x.max(dim, keepDim), -1.25],
          ['min', x.min(dim, keepDim), -1.25],
          ['prod', x.prod(dim, keepDim), -1.25],
          ['logsumexp', x.logsumexp(dim, keepDim), -1.25],
          ['norm1', x.norm(1, dim, keepDim), 1.25],
          ['norm2', x.norm(2, dim, keepDim), 1.25],
          ['norm3', x.norm(3, dim, keepDim), 1.25],
          ['normInf', x.norm(Infinity, dim, keepDim), 1.25],
          ['var0', x.var(dim, { correction: 0, keepDim }), 0],
          ['var1', x.var(dim, keepDim), NaN],
          ['std1', x.std(dim, keepDim), NaN],
        ];
        for (const [name, y, e] of out) {
          expect(y.shape, `${name} ${w}`).toEqual([]);
          expectClose([y.item()], [e], 1e-12, 1e-15, `${name} ${w}`);
        }
      }
    }
    for (const dim of [undefined, 0, -1]) {
      const a = x.argmax(dim);
      expect(a.dtype).toBe('int32');
      expect(a.shape).toEqual([]);
      expect(a.item()).toBe(0);
      expect(x.argmin(dim).item()).toBe(0);
    }
    expectError(() => x.sum(1), RangeError, /sum/);
  });

  it('gradients of a 0-d reduction', () => {
    const x = tg.tensor(0.7, { dtype: 'float64', requiresGrad: true });
    x.sum().backward();
    expect(x.grad!.item()).toBe(1);
    const y = tg.tensor(0.7, { dtype: 'float64', requiresGrad: true });
    y.max(0).backward();
    expect(y.grad!.item()).toBe(1);
    const z = tg.tensor(-0.7, { dtype: 'float64', requiresGrad: true });
    z.norm(3).backward();
    expectClose([z.grad!.item()], [-1], 1e-12, 1e-15);
  });
});

describe('reductions: empty tensors and empty dims', () => {
  it('sum of an empty tensor is 0, prod is 1, mean / var are NaN, logsumexp is -inf, norm is 0', () => {
    for (const dtype of ['float32', 'float64'] as DT[]) {
      const e = tg.zeros([0], { dtype });
      expect(e.sum().item()).toBe(0);
      expect(e.sum().shape).toEqual([]);
      expect(tg.sum(e, 0).item()).toBe(0);
      expect(e.prod().item()).toBe(1);
      expect(Number.isNaN(e.mean().item())).toBe(true);
      expect(Number.isNaN(e.var().item())).toBe(true);
      expect(e.logsumexp().item()).toBe(-Infinity);
      expect(e.norm().item()).toBe(0);
    }
  });

  it('reducing an empty dim of a non-empty output gives identity values, in the right shape', () => {
    const x = tg.zeros([3, 0], { dtype: 'float64' });
    expect(x.sum(1).toArray()).toEqual([0, 0, 0]);
    expect(x.sum(1, true).shape).toEqual([3, 1]);
    expect(x.prod(1).toArray()).toEqual([1, 1, 1]);
    expect((x.mean(1).toArray() as number[]).every(Number.isNaN)).toBe(true);
    expect(x.logsumexp(1).toArray()).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(x.norm(2, 1).toArray()).toEqual([0, 0, 0]);
    // reducing the non-empty dim of an empty tensor gives an empty result
    expect(x.sum(0).shape).toEqual([0]);
    expect(x.max(0).shape).toEqual([0]);
    expect(tg.zeros([0, 3]).min(1).shape).toEqual([0]);
  });

  it('gradient of sum over an empty dim is an empty gradient', () => {
    const x = tg.zeros([3, 0], { dtype: 'float64', requiresGrad: true });
    x.sum(1).sum().backward();
    expect(x.grad!.shape).toEqual([3, 0]);
  });

  it('max / min / argmax / argmin over an empty dim throw RangeError', () => {
    const e = tg.zeros([0]);
    expectError(() => e.max(), RangeError, /max/);
    expectError(() => e.min(), RangeError, /min/);
    expectError(() => tg.max(e, 0), RangeError, /max/);
    expectError(() => e.argmax(), RangeError, /argmax/);
    expectError(() => e.argmin(0), RangeError, /argmin/);
    const x = tg.zeros([2, 0, 3]);
    expectError(() => x.max(1), RangeError, /max/, /\[2, 0, 3\]/);
    expectError(() => x.min([0, 1]), RangeError, /min/);
    expectError(() => x.argmax(1), RangeError, /argmax/);
  });

  it('max / min over an empty dim throw even when the output is empty too (PyTorch: amax(): Expected reduction dim 0 to have non-zero size)', () => {
    // argmax already throws here; max and min must agree with it (and with PyTorch).
    const x = tg.zeros([0, 0]);
    expectError(() => x.argmax(0), RangeError, /argmax/);
    expectError(() => x.max(0), RangeError, /max/);
    expectError(() => x.min(1), RangeError, /min/);
  });
});

// ---- argmax / argmin -------------------------------------------------------------------------

describe('argmax / argmin', () => {
  it('return int32 indices, the first one on ties, along a dim or flattened', () => {
    const x = tg.tensor([[1, 3, 3, 2], [5, 0, 5, 0], [-1, -1, -1, -1]], { dtype: 'float64' });
    const am = x.argmax(1);
    expect(am.dtype).toBe('int32');
    expect(am.toArray()).toEqual([1, 0, 0]);
    expect(tg.argmin(x, 1).toArray()).toEqual([0, 1, 0]);
    expect(x.argmax(0).toArray()).toEqual([1, 0, 1, 0]);
    expect(x.argmin(-2).toArray()).toEqual([2, 2, 2, 2]);
    // flattened: first occurrence in row-major order
    expect(x.argmax().item()).toBe(4);
    expect(x.argmax().shape).toEqual([]);
    expect(x.argmin().item()).toBe(8);
    expect(tg.argmax(x).dtype).toBe('int32');
  });

  it('keepDim shapes (dim undefined with keepDim gives all-ones, as PyTorch)', () => {
    const x = t64(sample([2, 3, 4], 5), [2, 3, 4]);
    expect(x.argmax(1, true).shape).toEqual([2, 1, 4]);
    expect(x.argmin(-1, true).shape).toEqual([2, 3, 1]);
    expect(x.argmax(1).shape).toEqual([2, 4]);
    expect(x.argmax(undefined, true).shape).toEqual([1, 1, 1]);
  });

  it('match the reference along every dim, on float32, float64 and a transposed view', () => {
    const shape = [3, 4, 5];
    const data = sample(shape, 9);
    for (const dtype of ['float32', 'float64'] as DT[]) {
      const { x, vals } = makeInput(data, shape, dtype);
      for (const dim of [0, 1, 2, -1, undefined]) {
        for (const [name, better] of [
          ['argmax', (a: number, b: number) => a > b],
          ['argmin', (a: number, b: number) => a < b],
        ] as const) {
          const { groups, outShape } = groupsOf(vals, shape, dim, false);
          const y = name === 'argmax' ? tg.argmax(x, dim) : tg.argmin(x, dim);
          expect(y.shape).toEqual(outShape);
          expect([...y.data()], `${name} ${dtype} dim ${dim}`).toEqual(groups.map((g) => g.reduce((bi, v, i) => (better(v, g[bi]) ? i : bi), 0)));
        }
      }
    }
    const b = t64(data.subarray(0, 20), [4, 5]);
    expect(b.T.argmax(1).toArray()).toEqual(
      [0, 1, 2, 3, 4].map((j) => [0, 1, 2, 3].reduce((bi, i) => (data[i * 5 + j] > data[bi * 5 + j] ? i : bi), 0)),
    );
  });

  it('work on int32 input and return indices without gradient', () => {
    const x = tg.tensor([4, 9, 9, -2], { dtype: 'int32' });
    expect(x.argmax().item()).toBe(1);
    expect(x.argmin().item()).toBe(3);
    const f = tg.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    expect(f.argmax().requiresGrad).toBe(false);
  });
});

// ---- hand-derived gradients -----------------------------------------------------------------

function gradOf(data: unknown, f: (x: tg.Tensor) => tg.Tensor): unknown {
  const x = tg.tensor(data, { dtype: 'float64', requiresGrad: true });
  f(x).sum().backward();
  return noNegZero(x.grad!.toArray());
}

/** Nested arrays with -0 turned into +0 (the sign of a zero gradient is not part of the contract). */
function noNegZero(a: unknown): unknown {
  return Array.isArray(a) ? a.map(noNegZero) : (a as number) + 0;
}

describe('reductions: gradients at ties and zeros (hand-derived)', () => {
  it('max / min ties split the gradient evenly', () => {
    expect(gradOf([1, 3, 3, 2], (x) => x.max())).toEqual([0, 0.5, 0.5, 0]);
    expect(gradOf([4, 1, 1, 1], (x) => x.min())).toEqual([0, 1 / 3, 1 / 3, 1 / 3]);
    expect(gradOf([[3, 1, 3], [2, 2, 2], [0, 5, 1]], (x) => x.max(1))).toEqual([
      [0.5, 0, 0.5],
      [1 / 3, 1 / 3, 1 / 3],
      [0, 1, 0],
    ]);
    expect(gradOf([[3, 1, 3], [2, 1, 7]], (x) => x.min(0, true))).toEqual([
      [0, 0.5, 1],
      [1, 0.5, 0],
    ]);
    // over several dims: 4 tied maxima among 8 entries
    expect(gradOf([[[2, 2], [1, 2]], [[0, 2], [2, -1]]], (x) => x.max([1, 2]))).toEqual([
      [[1 / 3, 1 / 3], [0, 1 / 3]],
      [[0, 0.5], [0.5, 0]],
    ]);
  });

  it('max gradient scales with the upstream gradient', () => {
    const x = tg.tensor([[1, 5, 5], [7, 0, 7]], { dtype: 'float64', requiresGrad: true });
    x.max(1).mul(tg.tensor([2, -4], { dtype: 'float64' })).sum().backward();
    expect(noNegZero(x.grad!.toArray())).toEqual([
      [0, 1, 1],
      [-2, 0, -2],
    ]);
  });

  it('norm(p=inf) ties split evenly with the sign of the entry (as PyTorch)', () => {
    expect(gradOf([1, -3, 3, 2], (x) => x.norm(Infinity))).toEqual([0, -0.5, 0.5, 0]);
  });

  it('prod with one zero: only the zero gets the product of the others', () => {
    expect(gradOf([2, 0, 3], (x) => x.prod())).toEqual([0, 6, 0]);
    expect(gradOf([-1.5, 4, 0, 2], (x) => x.prod())).toEqual([0, 0, -12, 0]);
  });

  it('prod with two zeros: the gradient is zero everywhere', () => {
    expect(gradOf([2, 0, 3, 0], (x) => x.prod())).toEqual([0, 0, 0, 0]);
  });

  it('prod along a dim with rows of no, one and two zeros', () => {
    expect(gradOf([[2, 0, 3], [0, 4, 0], [1, 2, 3]], (x) => x.prod(1))).toEqual([
      [0, 6, 0],
      [0, 0, 0],
      [6, 3, 2],
    ]);
    expect(gradOf([[2, 0], [5, 0], [0.5, 0]], (x) => x.prod(0, true))).toEqual([
      [2.5, 0],
      [1, 0],
      [10, 0],
    ]);
  });

  it('sum / mean gradients are constant (ones and 1/n)', () => {
    expect(gradOf([[1, 2, 3], [4, 5, 6]], (x) => x.sum(0))).toEqual([[1, 1, 1], [1, 1, 1]]);
    expect(gradOf([[1, 2, 3], [4, 5, 6]], (x) => x.mean(1))).toEqual([[1 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, 1 / 3]]);
    expect(gradOf([[1, 2], [3, 4]], (x) => x.mean())).toEqual([[0.25, 0.25], [0.25, 0.25]]);
  });

  it('var gradient: 2 (x - mean) / (n - correction)', () => {
    expect(gradOf([1, 2, 6], (x) => x.var())).toEqual([-2, -1, 3]);
    expectClose(gradOf([1, 2, 6], (x) => x.var(0, { correction: 0 })) as number[], [-4 / 3, -2 / 3, 2], 1e-15, 0);
  });

  it('float32 gradients have the input dtype', () => {
    const x = tg.tensor([[1, 2], [3, 5]], { requiresGrad: true });
    x.var(1).sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expectClose(x.grad!.data(), [-1, 1, -2, 2], 1e-6, 1e-7);
  });
});

// ---- gradcheck -----------------------------------------------------------------------------

/** Values whose entries and magnitudes are pairwise >= 0.05 apart and >= 0.1 away from 0. */
function distinct(shape: number[], seed: number, lo = -2, hi = 2): Float64Array {
  const r = jsRandom(seed);
  const n = numel(shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    let tries = 0;
    for (;;) {
      v = lo + (hi - lo) * r();
      let ok = Math.abs(v) >= 0.1;
      for (let j = 0; ok && j < i; j++) if (Math.abs(out[j] - v) < 0.05 || Math.abs(Math.abs(out[j]) - Math.abs(v)) < 0.05) ok = false;
      if (ok || ++tries > 10000) break;
    }
    out[i] = v;
  }
  return out;
}

const GRAD_CASES: [number[], Dims, boolean][] = [
  [[], undefined, false],
  [[5], undefined, false],
  [[5], 0, true],
  [[3, 4], 1, false],
  [[3, 4], -2, true],
  [[3, 4], undefined, true],
  [[2, 3, 4], [0, 2], false],
  [[2, 3, 4], -1, true],
  [[2, 1, 3], [1, 2], false],
];

describe('reductions: gradcheck in float64', () => {
  for (const r of REDUCTIONS) {
    it(`${r.name}`, () => {
      let seed = 500;
      for (const [shape, dim, keepDim] of GRAD_CASES) {
        // var/std of a single element is NaN (correction 1) or sits at sqrt's kink (std, correction 0)
        if (/var|std/.test(r.name) && shape.length === 0) continue;
        // prod: keep factors away from 0 so the quotient path is well conditioned
        const data = distinct(shape, seed++, r.lo ?? -2, r.hi ?? 2);
        const x = t64(data, shape, true);
        expect(tg.gradcheck((a: tg.Tensor) => r.fn(a, dim, keepDim), [x]), `${r.name} [${shape}] dim ${dimStr(dim)}`).toBe(true);
      }
      // through a transposed view
      const x = t64(distinct([3, 4], 777), [3, 4], true);
      expect(tg.gradcheck((a: tg.Tensor) => r.method(a.T, 1, false), [x])).toBe(true);
      expect(tg.gradcheck((a: tg.Tensor) => r.method(a.permute(1, 0), [0, 1], true), [x])).toBe(true);
    });
  }

  it('gradcheckReport of sum has tiny errors (sanity of the checker on a linear op)', () => {
    const x = t64(distinct([3, 4], 1), [3, 4], true);
    const rep = tg.gradcheckReport((a: tg.Tensor) => a.sum(1), [x]);
    expect(rep.ok).toBe(true);
    expect(rep.inputs[0].maxAbsError).toBeLessThan(1e-8);
  });
});

describe('reductions: gradgradcheck in float64', () => {
  const cases: [string, (x: tg.Tensor) => tg.Tensor][] = [
    ['sum dim 1', (x) => x.sum(1)],
    ['sum all', (x) => x.sum()],
    ['mean dim 0 keepDim', (x) => x.mean(0, true)],
    ['mean all', (x) => tg.mean(x)],
    ['logsumexp dim 1', (x) => x.logsumexp(1)],
    ['logsumexp all', (x) => tg.logsumexp(x)],
    ['var dim 1', (x) => x.var(1)],
    ['var all correction 0', (x) => x.var(undefined, { correction: 0 })],
    ['norm(2) dim 1', (x) => x.norm(2, 1)],
    ['norm(2) all', (x) => tg.norm(x)],
  ];
  for (const [name, f] of cases) {
    it(name, () => {
      const x = t64(distinct([3, 4], 900), [3, 4], true);
      expect(tg.gradgradcheck(f, [x])).toBe(true);
    });
  }
});
