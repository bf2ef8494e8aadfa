// Tensors: creation, randomness, properties, conversion, in-place ops and printing.
// Reference values are hand-derived, or PyTorch 1.13's (quoted inline, or in
// fixtures/format.json, made by fixtures/make_format_fixture.py).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError } from './helpers';

const arr = (t: tg.Tensor): number[] => Array.from(t.data() as ArrayLike<number>);
const i32 = (data: unknown): tg.Tensor => tg.tensor(data, { dtype: 'int32' });
const bits64 = (t: tg.Tensor): Float64Array => Float64Array.from(t.data() as ArrayLike<number>);
const envThreads = (): number => Number(process.env.TAPEGRAD_NUM_THREADS);

// ---------------------------------------------------------------------------------------------
describe('tensor()', () => {
  it('makes a 0-d float32 tensor from a number or a boolean', () => {
    const t = tg.tensor(3.5);
    expect(t.shape).toEqual([]);
    expect(t.ndim).toBe(0);
    expect(t.size).toBe(1);
    expect(t.dtype).toBe('float32');
    expect(t.item()).toBe(3.5);
    expect(t.toArray()).toBe(3.5);
    expect(tg.tensor(0.1).item()).toBe(Math.fround(0.1));
    expect(tg.tensor(true).item()).toBe(1);
    expect(tg.tensor(false, { dtype: 'int32' }).item()).toBe(0);
  });

  it('infers the shape of nested arrays', () => {
    const t = tg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(t.data()).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(tg.tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(tg.tensor([7]).shape).toEqual([1]);
    expect(tg.tensor([]).shape).toEqual([0]);
    expect(tg.tensor([[], []]).shape).toEqual([2, 0]);
  });

  it('turns booleans into 0/1', () => {
    const t = tg.tensor([[true, false], [false, true]]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([[1, 0], [0, 1]]);
  });

  it('rejects ragged nested arrays with a RangeError', () => {
    expectError(() => tg.tensor([[1, 2], [3]]), RangeError, /tensor/, /ragged/);
    expectError(() => tg.tensor([[1, 2], 3]), RangeError, /tensor/, /ragged/);
    expectError(() => tg.tensor([[[1, 2]], [[1]]]), RangeError, /tensor/, /ragged/);
  });

  it('rejects ragged nested arrays whose first element is shallower than a later one', () => {
    // [1, [2, 3]] has a number where a later element has an array: ragged, as in PyTorch
    // ("expected sequence of length ..."). It must not become a [2, 2] tensor over 3 numbers.
    expectError(() => tg.tensor([1, [2, 3]]), RangeError, /tensor/, /ragged/);
    expectError(() => tg.tensor([[1, 2], [3, [4, 5]]]), RangeError, /tensor/, /ragged/);
  });

  it('takes typed arrays with a shape, keeping their dtype', () => {
    const f32 = tg.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect(f32.dtype).toBe('float32');
    expect(f32.shape).toEqual([2, 3]);
    expect(f32.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const f64 = tg.tensor(new Float64Array([0.1, 0.2]));
    expect(f64.dtype).toBe('float64');
    expect(f64.shape).toEqual([2]);
    expect(arr(f64)).toEqual([0.1, 0.2]);
    const i = tg.tensor(new Int32Array([1, -2, 3, 4]), { shape: [2, 2] });
    expect(i.dtype).toBe('int32');
    expect(i.toArray()).toEqual([[1, -2], [3, 4]]);
    expect(tg.tensor(new Float64Array([5]), { shape: [] }).shape).toEqual([]);
  });

  it('copies typed-array data', () => {
    const src = new Float32Array([1, 2, 3]);
    const t = tg.tensor(src);
    src[0] = 100;
    expect(arr(t)).toEqual([1, 2, 3]);
  });

  it('converts to the dtype option', () => {
    expect(tg.tensor([1.5, -2.5, 3.99], { dtype: 'int32' }).data()).toEqual(new Int32Array([1, -2, 3]));
    expect(tg.tensor([0.1], { dtype: 'float64' }).item()).toBe(0.1);
    const fromF64 = tg.tensor(new Float64Array([0.1, 1e300]), { dtype: 'float32' });
    expect(fromF64.dtype).toBe('float32');
    expect(arr(fromF64)).toEqual([Math.fround(0.1), Infinity]);
    const fromI32 = tg.tensor(new Int32Array([7, -8]), { dtype: 'float64' });
    expect(fromI32.dtype).toBe('float64');
    expect(arr(fromI32)).toEqual([7, -8]);
  });

  it('sets requiresGrad', () => {
    const t = tg.tensor([1, 2], { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
    expect(tg.tensor([1, 2]).requiresGrad).toBe(false);
  });

  it('copies a Tensor argument, keeping its dtype', () => {
    const a = tg.tensor([1, 2, 3], { dtype: 'float64' });
    const b = tg.tensor(a);
    expect(b.dtype).toBe('float64');
    b.fill_(0);
    expect(arr(a)).toEqual([1, 2, 3]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('zeros, ones, full, zerosLike, onesLike', () => {
  it('take sizes as arguments or as one array, with options last', () => {
    for (const t of [tg.zeros(2, 3), tg.zeros([2, 3])]) {
      expect(t.shape).toEqual([2, 3]);
      expect(t.dtype).toBe('float32');
      expect(arr(t)).toEqual([0, 0, 0, 0, 0, 0]);
    }
    for (const t of [tg.ones(3, 1), tg.ones([3, 1])]) {
      expect(t.shape).toEqual([3, 1]);
      expect(arr(t)).toEqual([1, 1, 1]);
    }
    const z = tg.zeros(2, 2, { dtype: 'float64' });
    expect(z.dtype).toBe('float64');
    const o = tg.ones([4], { dtype: 'int32' });
    expect(o.dtype).toBe('int32');
    expect(o.data()).toEqual(new Int32Array([1, 1, 1, 1]));
    const g = tg.ones(2, { requiresGrad: true });
    expect(g.requiresGrad).toBe(true);
    expect(g.isLeaf).toBe(true);
    expect(tg.zeros(0, 4).shape).toEqual([0, 4]);
    expect(tg.zeros([]).shape).toEqual([]);
    expect(tg.ones([]).item()).toBe(1);
  });

  it('full fills with the value', () => {
    const t = tg.full([2, 2], 7.5);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([[7.5, 7.5], [7.5, 7.5]]);
    const i = tg.full(3, -4, { dtype: 'int32' });
    expect(i.shape).toEqual([3]);
    expect(i.data()).toEqual(new Int32Array([-4, -4, -4]));
    expect(arr(tg.full([2], 0.1, { dtype: 'float64' }))).toEqual([0.1, 0.1]);
    expect(arr(tg.full([2], -Infinity))).toEqual([-Infinity, -Infinity]);
  });

  it('zerosLike and onesLike copy shape and dtype, not storage or requiresGrad', () => {
    const x = tg.tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
    const z = tg.zerosLike(x);
    expect(z.shape).toEqual([1, 3]);
    expect(z.dtype).toBe('float64');
    expect(z.requiresGrad).toBe(false);
    expect(arr(z)).toEqual([0, 0, 0]);
    const o = tg.onesLike(x, { dtype: 'int32' });
    expect(o.dtype).toBe('int32');
    expect(arr(o)).toEqual([1, 1, 1]);
    const y = tg.tensor([5, 6]);
    tg.onesLike(y).fill_(9);
    expect(arr(y)).toEqual([5, 6]);
    expect(tg.zerosLike(y, { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('arange', () => {
  it('takes end, (start, end) or (start, end, step)', () => {
    const a = tg.arange(5);
    expect(a.dtype).toBe('float32');
    expect(arr(a)).toEqual([0, 1, 2, 3, 4]);
    expect(arr(tg.arange(1, 4))).toEqual([1, 2, 3]);
    expect(arr(tg.arange(-2, 2, 1.5))).toEqual([-2, -0.5, 1]);
    expect(arr(tg.arange(0, 1, 0.25))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(tg.arange(0, 0).shape).toEqual([0]);
  });

  it('counts down with a negative step', () => {
    expect(arr(tg.arange(5, 0, -1.5))).toEqual([5, 3.5, 2, 0.5]);
    expect(arr(tg.arange(3, -3, -2))).toEqual([3, 1, -1]);
  });

  it('has ceil((end - start) / step) elements', () => {
    // (0.3 - 0) / 0.1 = 2.9999999999999996 in doubles: 3 elements, as torch.arange(0, 0.3, 0.1).
    expect(tg.arange(0, 0.3, 0.1).size).toBe(3);
    expect(tg.arange(-1, 1, 0.3).size).toBe(7);
    expect(tg.arange(0, 10, 3).size).toBe(4);
    expect(tg.arange(0, 9, 3).size).toBe(3);
    expect(tg.arange(1, 2, 0.1).size).toBe(10);
  });

  it('matches torch.arange with a float step', () => {
    // torch.arange(0, 2, 0.3) and torch.arange(0, 1, 0.1), float32.
    expect(arr(tg.arange(0, 2, 0.3))).toEqual(
      [0.0, 0.30000001192092896, 0.6000000238418579, 0.8999999761581421, 1.2000000476837158, 1.5, 1.7999999523162842],
    );
    expect(arr(tg.arange(0, 1, 0.1))).toEqual([
      0.0, 0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645, 0.5,
      0.6000000238418579, 0.699999988079071, 0.800000011920929, 0.8999999761581421,
    ]);
    // torch.arange(1, 2, 0.1, dtype=torch.float64): torch's vectorised kernel adds step to a
    // base every few elements, so its last bits vary; compare to within an ulp or two.
    expectClose(
      arr(tg.arange(1, 2, 0.1, { dtype: 'float64' })),
      [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.5999999999999999, 1.7, 1.8, 1.9000000000000001],
      0, 5e-16,
    );
  });

  it('takes dtype options after any number of arguments', () => {
    const a = tg.arange(4, { dtype: 'int32' });
    expect(a.dtype).toBe('int32');
    expect(a.data()).toEqual(new Int32Array([0, 1, 2, 3]));
    expect(tg.arange(1, 3, { dtype: 'float64' }).dtype).toBe('float64');
    const c = tg.arange(0, 6, 2, { dtype: 'int32', requiresGrad: false });
    expect(c.data()).toEqual(new Int32Array([0, 2, 4]));
    expect(tg.arange(3, { requiresGrad: true }).requiresGrad).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('linspace', () => {
  it('hits both endpoints exactly', () => {
    expect(arr(tg.linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(arr(tg.linspace(2, -3, 6))).toEqual([2, 1, 0, -1, -2, -3]);
    for (const [a, b, n] of [[0.1, 0.9, 9], [-1, 1, 10], [0, 1, 7], [1e-3, 7.77, 13]]) {
      const t = arr(tg.linspace(a, b, n, { dtype: 'float64' }));
      expect(t.length).toBe(n);
      expect(t[0]).toBe(a);
      expect(t[n - 1]).toBe(b);
      const f = arr(tg.linspace(a, b, n));
      expect(f[0]).toBe(Math.fround(a));
      expect(f[n - 1]).toBe(Math.fround(b));
    }
  });

  it('matches torch.linspace', () => {
    // torch.linspace(-1, 1, 10, dtype=torch.float64) and (0.1, 0.9, 9); torch's vectorised kernel
    // makes the last bits depend on its SIMD width, so compare to within an ulp or two.
    expectClose(
      arr(tg.linspace(-1, 1, 10, { dtype: 'float64' })),
      [-1.0, -0.7777777777777778, -0.5555555555555556, -0.33333333333333337, -0.11111111111111116,
        0.11111111111111105, 0.33333333333333326, 0.5555555555555555, 0.7777777777777778, 1.0],
      0, 3e-16,
    );
    expectClose(
      arr(tg.linspace(0.1, 0.9, 9, { dtype: 'float64' })),
      [0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
      0, 3e-16,
    );
    // torch.linspace(0, 1, 7) in float32 (torch computes in float32: within 1 ulp).
    expectClose(
      arr(tg.linspace(0, 1, 7)),
      [0.0, 0.1666666716337204, 0.3333333432674408, 0.5, 0.6666666269302368, 0.8333333134651184, 1.0],
      1.2e-7, 0,
    );
    expect(arr(tg.linspace(0, 10, 11))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('handles 0, 1 and 2 steps as PyTorch does', () => {
    expect(tg.linspace(0, 1, 0).shape).toEqual([0]);
    expect(arr(tg.linspace(0, 1, 2))).toEqual([0, 1]);
    // torch.linspace(0, 1, 1) is tensor([0.]) and torch.linspace(3, -1, 1) is tensor([3.]): the start.
    expect(arr(tg.linspace(0, 1, 1))).toEqual([0]);
    expect(arr(tg.linspace(3, -1, 1))).toEqual([3]);
  });

  it('takes dtype and requiresGrad', () => {
    const t = tg.linspace(0, 1, 3, { dtype: 'float64', requiresGrad: true });
    expect(t.dtype).toBe('float64');
    expect(t.requiresGrad).toBe(true);
    expect(tg.linspace(0, 4, 3, { dtype: 'int32' }).data()).toEqual(new Int32Array([0, 2, 4]));
  });
});

// ---------------------------------------------------------------------------------------------
describe('eye', () => {
  it('makes square and rectangular identities', () => {
    expect(tg.eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(tg.eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(tg.eye(3, 2).toArray()).toEqual([[1, 0], [0, 1], [0, 0]]);
    expect(tg.eye(0).shape).toEqual([0, 0]);
    expect(tg.eye(1).toArray()).toEqual([[1]]);
  });

  it('takes options with or without m', () => {
    const a = tg.eye(2, { dtype: 'int32' });
    expect(a.dtype).toBe('int32');
    expect(a.toArray()).toEqual([[1, 0], [0, 1]]);
    const b = tg.eye(2, 4, { dtype: 'float64', requiresGrad: true });
    expect(b.dtype).toBe('float64');
    expect(b.shape).toEqual([2, 4]);
    expect(b.requiresGrad).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('random creation', () => {
  afterEach(() => tg.setNumThreads(envThreads()));

  const draws = (): tg.Tensor[] => [
    tg.rand(64),
    tg.randn(3, 5),
    tg.randint(0, 1000, [50]),
    tg.randperm(40),
    tg.rand([7], { dtype: 'float64' }),
    tg.randn([9], { dtype: 'float64' }),
  ];

  it('repeats exactly after the same manualSeed', () => {
    tg.manualSeed(1234);
    const a = draws().map(arr);
    tg.manualSeed(1234);
    const b = draws().map(arr);
    expect(b).toEqual(a);
  });

  it('gives different numbers for different seeds and for successive draws', () => {
    tg.manualSeed(1);
    const a = draws().map(arr);
    tg.manualSeed(2);
    const b = draws().map(arr);
    for (let i = 0; i < a.length; i++) expect(b[i], `draw ${i}`).not.toEqual(a[i]);
    tg.manualSeed(1);
    const first = arr(tg.rand(32));
    const second = arr(tg.rand(32));
    expect(second).not.toEqual(first);
  });

  it('accepts a bigint seed and seeds equal as numbers and bigints', () => {
    tg.manualSeed(77);
    const a = arr(tg.rand(16));
    tg.manualSeed(77n);
    expect(arr(tg.rand(16))).toEqual(a);
    tg.manualSeed(2n ** 63n + 5n);
    expect(arr(tg.rand(16))).not.toEqual(a);
  });

  it('a Generator passed as {generator} is independent of the default generator', () => {
    const g = new tg.Generator(99);
    tg.manualSeed(5);
    const expected = arr(tg.rand(20));
    tg.manualSeed(5);
    const fromG = arr(tg.rand(20, { generator: g }));
    const afterG = arr(tg.rand(20));
    // Drawing from g did not advance the default generator ...
    expect(afterG).toEqual(expected);
    // ... and the default generator does not advance g.
    const g2 = new tg.Generator(99);
    expect(arr(tg.rand(20, { generator: g2 }))).toEqual(fromG);
    expect(arr(tg.rand(5, { generator: g }))).toEqual(arr(tg.rand(5, { generator: g2 })));
    expect(fromG).not.toEqual(expected);
  });

  it('a Generator(seed) draws the same numbers as the default generator after manualSeed(seed)', () => {
    tg.manualSeed(31337);
    const d = [arr(tg.rand(10)), arr(tg.randn(10)), arr(tg.randint(-5, 5, [10])), arr(tg.randperm(10))];
    const g = new tg.Generator(31337);
    const o = { generator: g };
    const e = [arr(tg.rand(10, o)), arr(tg.randn(10, o)), arr(tg.randint(-5, 5, [10], o)), arr(tg.randperm(10, o))];
    expect(e).toEqual(d);
  });

  it('rand is uniform in [0, 1)', () => {
    tg.manualSeed(7);
    for (const dtype of ['float32', 'float64'] as const) {
      const t = tg.rand([100_000], { dtype });
      expect(t.dtype).toBe(dtype);
      const v = t.data() as Float32Array | Float64Array;
      let lo = Infinity;
      let hi = -Infinity;
      let s = 0;
      let below = 0;
      for (const x of v) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
        s += x;
        if (x < 0.25) below++;
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThan(1);
      // mean 0.5, sd of the mean 0.29/316 = 0.0009; fraction below 0.25, sd 0.0014.
      expect(Math.abs(s / v.length - 0.5)).toBeLessThan(0.01);
      expect(Math.abs(below / v.length - 0.25)).toBeLessThan(0.01);
      expect(lo).toBeLessThan(0.001);
      expect(hi).toBeGreaterThan(0.999);
    }
  });

  it('randn has mean 0 and variance 1', () => {
    tg.manualSeed(11);
    for (const dtype of ['float32', 'float64'] as const) {
      const v = tg.randn([100_000], { dtype }).data() as Float32Array | Float64Array;
      let s = 0;
      let s2 = 0;
      let within1 = 0;
      let nonFinite = 0;
      for (const x of v) {
        if (!Number.isFinite(x)) nonFinite++;
        s += x;
        s2 += x * x;
        if (Math.abs(x) < 1) within1++;
      }
      expect(nonFinite).toBe(0);
      const n = v.length;
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      // sd of the mean 0.0032, of the variance 0.0045, of the fraction 0.0015.
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(Math.abs(variance - 1)).toBeLessThan(0.03);
      expect(Math.abs(within1 / n - 0.6827)).toBeLessThan(0.01);
    }
  });

  it('randint stays in [low, high), covers every value, and defaults to int32', () => {
    tg.manualSeed(3);
    const t = tg.randint(-3, 4, [10_000]);
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([10_000]);
    const counts = new Map<number, number>();
    for (const x of t.data()) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    // each about 10000 / 7 = 1429, sd 35
    for (const c of counts.values()) expect(Math.abs(c - 10_000 / 7)).toBeLessThan(250);
    expect(tg.randint(0, 5, [2, 3]).shape).toEqual([2, 3]);
    expect(arr(tg.randint(4, 5, [6]))).toEqual([4, 4, 4, 4, 4, 4]);
    const f = tg.randint(0, 10, [100], { dtype: 'float64' });
    expect(f.dtype).toBe('float64');
    for (const x of arr(f)) expect(Number.isInteger(x) && x >= 0 && x < 10).toBe(true);
  });

  it('randperm is a permutation', () => {
    tg.manualSeed(5);
    for (const n of [0, 1, 2, 10, 1000]) {
      const p = tg.randperm(n);
      expect(p.dtype).toBe('int32');
      expect(p.shape).toEqual([n]);
      const sorted = arr(p).sort((a, b) => a - b);
      expect(sorted).toEqual([...Array(n).keys()]);
    }
    const p = arr(tg.randperm(1000));
    expect(p).not.toEqual([...Array(1000).keys()]);
  });

  it('gives bitwise identical results with 1 and 2 threads', () => {
    const n = 1 << 17;
    const draw = (): Float64Array[] => {
      tg.manualSeed(2024);
      const g = new tg.Generator(42);
      return [
        bits64(tg.rand([n])),
        bits64(tg.randn([n])),
        bits64(tg.rand([n], { dtype: 'float64' })),
        bits64(tg.randn([n], { dtype: 'float64', generator: g })),
        bits64(tg.randint(-1000, 1000, [n])),
        bits64(tg.randperm(n)),
      ];
    };
    tg.setNumThreads(1);
    expect(tg.getNumThreads()).toBe(1);
    const one = draw();
    tg.setNumThreads(2);
    expect(tg.getNumThreads()).toBe(2);
    const two = draw();
    tg.setNumThreads(envThreads());
    expect(tg.getNumThreads()).toBe(envThreads());
    for (let i = 0; i < one.length; i++) {
      // Compare bit patterns (via Object.is) without a slow element-by-element expect.
      let diff = -1;
      for (let j = 0; j < n; j++) {
        if (!Object.is(one[i][j], two[i][j])) {
          diff = j;
          break;
        }
      }
      expect(diff, `draw ${i} first differs at element ${diff}`).toBe(-1);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('properties', () => {
  it('shape, dtype, ndim and size', () => {
    const t = tg.zeros(2, 3, 4, { dtype: 'float64' });
    expect(t.shape).toEqual([2, 3, 4]);
    expect(t.dtype).toBe('float64');
    expect(t.ndim).toBe(3);
    expect(t.size).toBe(24);
    expect(tg.zeros(3, 0).size).toBe(0);
    expect(tg.tensor(1).size).toBe(1);
  });

  it('shape cannot be changed through the returned array', () => {
    const t = tg.zeros(2, 3);
    try {
      (t.shape as number[]).push(5);
    } catch {
      // a frozen array throws in strict mode; either way the tensor must keep its shape
    }
    try {
      (t.shape as number[])[0] = 7;
    } catch {
      // same
    }
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
  });

  it('requiresGrad, isLeaf and gradFn', () => {
    const x = tg.tensor([1, 2, 3], { requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
    expect(x.gradFn).toBeNull();
    const y = x.mul(2);
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn).toBe('mul');
    expect(tg.add(x, 1).gradFn).toBe('add');
    expect(x.sum().gradFn).toBe('sum');
    expect(x.exp().gradFn).toBe('exp');
    expect(x.clone().gradFn).toBe('clone');
    expect(x.to('float64').gradFn).toBe('to');
    expect(tg.matmul(x.reshape(1, 3), x.reshape(3, 1)).gradFn).toBe('matmul');
    // No grad needed: results are leaves without a gradFn.
    const c = tg.tensor([1, 2]).mul(2);
    expect(c.requiresGrad).toBe(false);
    expect(c.isLeaf).toBe(true);
    expect(c.gradFn).toBeNull();
    const n = tg.noGrad(() => x.mul(2));
    expect(n.requiresGrad).toBe(false);
    expect(n.isLeaf).toBe(true);
    expect(n.gradFn).toBeNull();
    expect(x.grad).toBeNull();
  });

  it('item() reads a one-element tensor and rejects larger ones', () => {
    expect(tg.tensor(2.5).item()).toBe(2.5);
    expect(tg.tensor([[-4]]).item()).toBe(-4);
    expect(tg.tensor([7], { dtype: 'int32' }).item()).toBe(7);
    expect(tg.tensor([0.1], { dtype: 'float64' }).item()).toBe(0.1);
    expect(tg.arange(6).reshape(2, 3).narrow(0, 1, 1).narrow(1, 2, 1).item()).toBe(5);
    expectError(() => tg.tensor([1, 2]).item(), RangeError, /item/, /\[2\]/);
    expectError(() => tg.zeros(0).item(), RangeError, /item/);
    expectError(() => tg.zeros(2, 2).item(), RangeError, /item/, /\[2, 2\]/);
  });

  it('toArray() gives nested arrays, also for views', () => {
    const t = tg.arange(6).reshape(2, 3);
    expect(t.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(t.T.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(tg.arange(8).reshape(2, 2, 2).toArray()).toEqual([[[0, 1], [2, 3]], [[4, 5], [6, 7]]]);
    expect(tg.tensor(3).toArray()).toBe(3);
    expect(tg.zeros(2, 0).toArray()).toEqual([[], []]);
    expect(i32([[1, -2]]).toArray()).toEqual([[1, -2]]);
  });

  it('data() is a row-major copy in the matching typed array', () => {
    const t = tg.tensor([[1, 2], [3, 4]]);
    const d = t.data();
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual([1, 2, 3, 4]);
    d[0] = 100;
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(t.data()[0]).toBe(1);
    expect(tg.zeros(2, { dtype: 'float64' }).data()).toBeInstanceOf(Float64Array);
    expect(tg.zeros(2, { dtype: 'int32' }).data()).toBeInstanceOf(Int32Array);
    // A view's data is its own elements in row-major order, still a copy.
    expect(Array.from(t.T.data())).toEqual([1, 3, 2, 4]);
    const v = tg.arange(10).slice(0, 1, 9, 3);
    const vd = v.data();
    expect(Array.from(vd)).toEqual([1, 4, 7]);
    vd.fill(0);
    expect(arr(v)).toEqual([1, 4, 7]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('conversion', () => {
  it('to(dtype), float() and double()', () => {
    const x = tg.tensor([0.1, -2.5]);
    const d = x.to('float64');
    expect(d.dtype).toBe('float64');
    expect(arr(d)).toEqual([Math.fround(0.1), -2.5]);
    expect(x.double().dtype).toBe('float64');
    const back = tg.tensor([0.1], { dtype: 'float64' }).float();
    expect(back.dtype).toBe('float32');
    expect(back.item()).toBe(Math.fround(0.1));
    expect(i32([3, -4]).float().data()).toEqual(new Float32Array([3, -4]));
    expect(tg.to(x, 'float64').dtype).toBe('float64');
    // Converting to the same dtype returns the tensor itself, as in PyTorch.
    expect(x.to('float32')).toBe(x);
    expect(x.float()).toBe(x);
  });

  it("to('int32') truncates toward zero and rejects NaN, infinities and overflow", () => {
    // torch.tensor([1.7, -1.7, 2.5, -0.5, -2.99]).to(torch.int32) -> [1, -1, 2, 0, -2]
    expect(tg.tensor([1.7, -1.7, 2.5, -0.5, -2.99]).to('int32').data()).toEqual(new Int32Array([1, -1, 2, 0, -2]));
    expect(tg.tensor([2147483647, -2147483648], { dtype: 'float64' }).to('int32').data()).toEqual(
      new Int32Array([2147483647, -2147483648]),
    );
    expectError(() => tg.tensor([1, NaN]).to('int32'), RangeError, /int32/);
    expectError(() => tg.tensor([Infinity]).to('int32'), RangeError, /int32/);
    expectError(() => tg.tensor([3e9], { dtype: 'float64' }).to('int32'), RangeError, /int32/);
  });

  it('clone() copies into new storage and is differentiable', () => {
    const x = tg.tensor([1, 2, 3]);
    const c = x.clone();
    expect(c).not.toBe(x);
    c.fill_(0);
    expect(arr(x)).toEqual([1, 2, 3]);
    const tr = tg.arange(6).reshape(2, 3).T.clone();
    expect(tr.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(tr.isContiguous()).toBe(true);
    const w = tg.tensor([1, 2], { requiresGrad: true });
    const wc = tg.clone(w);
    expect(wc.requiresGrad).toBe(true);
    wc.mul(3).sum().backward();
    expect(arr(w.grad!)).toEqual([3, 3]);
  });

  it('detach() shares storage but not the graph', () => {
    const x = tg.tensor([1, 2, 3], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.gradFn).toBeNull();
    d.fill_(5);
    expect(arr(x)).toEqual([5, 5, 5]);
    const y = x.mul(2).detach();
    expect(y.gradFn).toBeNull();
    expect(y.requiresGrad).toBe(false);
  });

  it('contiguous() returns contiguous tensors with the same elements', () => {
    const x = tg.arange(6).reshape(2, 3);
    expect(x.contiguous()).toBe(x);
    const t = x.T;
    expect(t.isContiguous()).toBe(false);
    const c = t.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    c.fill_(0);
    expect(arr(x)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('in-place ops', () => {
  it('fill_ and zero_ return the tensor itself', () => {
    const x = tg.tensor([[1, 2], [3, 4]]);
    expect(x.fill_(2.5)).toBe(x);
    expect(x.toArray()).toEqual([[2.5, 2.5], [2.5, 2.5]]);
    expect(x.zero_()).toBe(x);
    expect(arr(x)).toEqual([0, 0, 0, 0]);
    const i = i32([1, 2]).fill_(-7);
    expect(i.data()).toEqual(new Int32Array([-7, -7]));
  });

  it('copy_ broadcasts and converts dtype', () => {
    const x = tg.zeros(2, 3);
    expect(x.copy_(tg.tensor([1, 2, 3]))).toBe(x);
    expect(x.toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
    x.copy_(tg.tensor([[10], [20]]));
    expect(x.toArray()).toEqual([[10, 10, 10], [20, 20, 20]]);
    x.copy_(tg.tensor(0.5, { dtype: 'float64' }));
    expect(arr(x)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const i = i32([0, 0]).copy_(tg.tensor([1.9, -1.9]));
    expect(i.data()).toEqual(new Int32Array([1, -1]));
    // Copying a tensor onto its own transpose reads the old values, not half-updated ones.
    const s = tg.tensor([[1, 2], [3, 4]]);
    s.copy_(s.T);
    expect(s.toArray()).toEqual([[1, 3], [2, 4]]);
  });

  it('add_ (with alpha) and mul_', () => {
    const x = tg.tensor([1, 2, 3]);
    expect(x.add_(tg.tensor([10, 20, 30]))).toBe(x);
    expect(arr(x)).toEqual([11, 22, 33]);
    x.add_(tg.tensor([1, 1, 1]), -2);
    expect(arr(x)).toEqual([9, 20, 31]);
    x.add_(1);
    expect(arr(x)).toEqual([10, 21, 32]);
    x.add_(2, 3);
    expect(arr(x)).toEqual([16, 27, 38]);
    expect(x.mul_(0.5)).toBe(x);
    expect(arr(x)).toEqual([8, 13.5, 19]);
    const m = tg.ones(2, 2);
    m.mul_(tg.tensor([[2], [3]]));
    expect(m.toArray()).toEqual([[2, 2], [3, 3]]);
    m.add_(tg.tensor([1, -1], { dtype: 'float64' }), 0.5);
    expect(m.toArray()).toEqual([[2.5, 1.5], [3.5, 2.5]]);
    expect(m.dtype).toBe('float32');
    const i = i32([1, 2]);
    i.mul_(3);
    i.add_(i32([1, 1]), 2);
    expect(i.data()).toEqual(new Int32Array([5, 8]));
    // An operand that aliases the target in another layout is read before it is overwritten.
    const s = tg.tensor([[1, 2], [3, 4]]);
    s.add_(s.T);
    expect(s.toArray()).toEqual([[2, 5], [5, 8]]);
  });

  it('add_ of a fractional number into an int32 tensor throws instead of truncating', () => {
    // PyTorch: torch.tensor([1, 2], dtype=torch.int32).add_(1.5) raises
    // "result type Float can't be cast to the desired output type Int"; tapegrad already
    // throws for a float32 *tensor* operand, so a float scalar must not silently become 1.
    expectError(() => i32([1, 2]).add_(1.5), TypeError, /add_/);
    expectError(() => i32([1, 2]).mul_(0.5), TypeError, /mul_/);
    expectError(() => i32([1, 2]).add_(tg.tensor([1, 1])), TypeError, /add_/, /int32/);
  });

  it('requiresGrad_ sets and clears the flag and returns the tensor', () => {
    const x = tg.tensor([1, 2]);
    expect(x.requiresGrad_()).toBe(x);
    expect(x.requiresGrad).toBe(true);
    x.requiresGrad_(false);
    expect(x.requiresGrad).toBe(false);
    x.requiresGrad = true;
    expect(x.requiresGrad).toBe(true);
    expect(() => x.mul(2).requiresGrad_(false)).toThrow(/requiresGrad_/);
  });

  it('writes through views into their base', () => {
    const x = tg.zeros(2, 3);
    x.narrow(1, 1, 1).fill_(5);
    expect(x.toArray()).toEqual([[0, 5, 0], [0, 5, 0]]);
    x.T.narrow(0, 2, 1).copy_(tg.tensor([[7, 8]]));
    expect(x.toArray()).toEqual([[0, 5, 7], [0, 5, 8]]);
    x.reshape(6).slice(0, 0, 6, 2).add_(1);
    expect(x.toArray()).toEqual([[1, 5, 8], [0, 6, 8]]);
    x.narrow(0, 1, 1).squeeze(0).mul_(tg.tensor([2, 3, 4]));
    expect(x.toArray()).toEqual([[1, 5, 8], [0, 18, 32]]);
    x.unsqueeze(0).narrow(2, 0, 1).zero_();
    expect(x.toArray()).toEqual([[0, 5, 8], [0, 18, 32]]);
    const parts = x.chunk(2, 0);
    parts[0].fill_(-1);
    expect(x.toArray()).toEqual([[-1, -1, -1], [0, 18, 32]]);
  });

  it('refuses to change a leaf that requires grad while grad mode is on', () => {
    const w = tg.tensor([1, 2, 3], { requiresGrad: true });
    expect(() => w.fill_(0)).toThrow(/fill_.*leaf|leaf.*fill_/);
    expect(() => w.add_(1)).toThrow(/add_/);
    expect(() => w.mul_(2)).toThrow(/mul_/);
    expect(() => w.zero_()).toThrow(/fill_|zero_/);
    expect(() => w.copy_(tg.zeros(3))).toThrow(/copy_/);
    expect(arr(w)).toEqual([1, 2, 3]);
    // Inside noGrad it works and the tensor stays a leaf that requires grad.
    tg.noGrad(() => {
      w.mul_(2);
      w.add_(tg.tensor([1, 1, 1]), 0.5);
    });
    expect(arr(w)).toEqual([2.5, 4.5, 6.5]);
    expect(w.requiresGrad).toBe(true);
    expect(w.isLeaf).toBe(true);
    tg.noGrad(() => w.zero_());
    expect(arr(w)).toEqual([0, 0, 0]);
  });

  it('backward() names the op whose saved tensor was changed in place', () => {
    const w = tg.tensor([1, 2, 3], { requiresGrad: true });
    const x = tg.tensor([4, 5, 6]);
    const y = w.mul(x);
    x.fill_(0); // x does not require grad, so the write itself is allowed
    expect(() => y.sum().backward()).toThrow(/mul/);
    const a = tg.tensor([0.5, 1], { requiresGrad: true });
    const e = a.exp();
    tg.noGrad(() => e.mul_(2));
    expect(() => e.sum().backward()).toThrow(/exp/);
    // Unchanged inputs backpropagate normally.
    const b = tg.tensor([1, 2], { requiresGrad: true });
    b.mul(tg.tensor([3, 4])).sum().backward();
    expect(arr(b.grad!)).toEqual([3, 4]);
  });

  it('refuses to write into an expanded view', () => {
    const base = tg.tensor([[1, 2, 3]]);
    const e = base.expand(2, 3);
    expectError(() => e.fill_(0), RangeError, /fill_/, /expand/);
    expectError(() => e.add_(1), RangeError, /add_/, /expand/);
    expectError(() => e.mul_(tg.ones(2, 3)), RangeError, /mul_/, /expand/);
    expectError(() => e.copy_(tg.zeros(2, 3)), RangeError, /copy_/, /expand/);
    expect(arr(base)).toEqual([1, 2, 3]);
    // Expanding a size-1 dim to 1 is not a broadcast view: writing is fine.
    const ok = tg.tensor([[1, 2, 3]]).expand(1, 3);
    ok.fill_(4);
    expect(arr(ok)).toEqual([4, 4, 4]);
  });
});

// ---------------------------------------------------------------------------------------------
interface FormatCase {
  name: string;
  shape: number[];
  dtype: tg.DType;
  requiresGrad: boolean;
  values: (number | string)[];
  torch: string;
  expected: string;
}

const fixturePath = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'format.json');
const formatCases = (JSON.parse(readFileSync(fixturePath, 'utf8')) as { cases: FormatCase[] }).cases;

function fromCase(c: FormatCase): tg.Tensor {
  const num = (v: number | string): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));
  return tg.tensor(Float64Array.from(c.values, num), { shape: c.shape, dtype: c.dtype, requiresGrad: c.requiresGrad });
}

describe('printing', () => {
  it('has the fixture cases', () => {
    expect(formatCases.length).toBeGreaterThan(50);
  });

  for (const c of formatCases) {
    it(`prints like PyTorch: ${c.name}`, () => {
      const t = fromCase(c);
      expect(t.shape).toEqual(c.shape);
      expect(t.toString()).toBe(c.expected);
      expect(inspect(t)).toBe(c.expected);
    });
  }

  it('prints views like their contiguous copies', () => {
    const x = tg.arange(12).reshape(3, 4).div(4);
    expect(x.T.toString()).toBe(x.T.contiguous().toString());
    expect(x.T.toString()).toBe(
      'tensor([[0.0000, 1.0000, 2.0000],\n' +
        '        [0.2500, 1.2500, 2.2500],\n' +
        '        [0.5000, 1.5000, 2.5000],\n' +
        '        [0.7500, 1.7500, 2.7500]])',
    );
    expect(tg.arange(10).slice(0, 1, 10, 4).toString()).toBe('tensor([1., 5., 9.])');
  });

  it('prints gradFn for results of recorded ops', () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    expect(x.mul(2).toString()).toBe('tensor([2., 4.], gradFn=<mul>)');
    expect(String(x.sum())).toBe('tensor(3., gradFn=<sum>)');
    expect(inspect(x.detach())).toBe('tensor([1., 2.])');
  });

  it('works inside util.inspect of other values and template strings', () => {
    const t = tg.tensor([1, 2]);
    expect(inspect({ a: t })).toBe('{ a: tensor([1., 2.]) }');
    expect(`${t}`).toBe('tensor([1., 2.])');
  });
});
