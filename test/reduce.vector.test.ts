// Reductions through every loop shape of the vectorized kernels (native/kernels/reduce.cc: runs
// along a contiguous reduced dim, column blocks over outer dims, strided fallbacks, chunked
// reduced ranges): every op x dims (first, last, middle, several, all, keepDim) x float32 / float64
// x layouts (contiguous, transposed, narrowed with offsets, stepped), at sizes around the vector
// widths, with NaN, infinities and ties, against the float64 JS references of reduce.ref.ts;
// float32 accuracy on cancelling and large-magnitude inputs; 1 vs 2 threads bitwise.
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectError, jsRandom, numel, rowMajorStrides } from './helpers';
import {
  type Dims, groupsOf, refAbsSum, refArg, refLse, refMax, refMean, refMin, refNorm, refProd, refStd, refSum, refVar,
  viewData,
} from './reduce.ref';

type DT = 'float32' | 'float64';
type Group = readonly number[];

interface Op {
  name: string;
  run: (x: tg.Tensor, dim: Dims, keepDim: boolean) => tg.Tensor;
  ref: (g: Group) => number;
  /** Absolute error allowed on top of rtol * |result|, for cancelling sums and long products. */
  atol?: (g: Group) => number;
  /** int32 index results, compared exactly; only a single dim or every dim. */
  index?: boolean;
  /** Products: magnitudes near 1 with random signs, so long products stay in range. */
  nearOne?: boolean;
}

const OPS: Op[] = [
  { name: 'sum', run: (x, d, k) => x.sum(d, k), ref: refSum, atol: (g) => 1e-13 * refAbsSum(g) },
  { name: 'mean', run: (x, d, k) => x.mean(d, k), ref: refMean, atol: (g) => (1e-13 * refAbsSum(g)) / g.length },
  { name: 'prod', run: (x, d, k) => x.prod(d, k), ref: refProd, atol: (g) => 1e-15 * g.length * Math.abs(refProd(g)), nearOne: true },
  { name: 'max', run: (x, d, k) => x.max(d, k), ref: refMax },
  { name: 'min', run: (x, d, k) => x.min(d, k), ref: refMin },
  { name: 'logsumexp', run: (x, d, k) => x.logsumexp(d, k), ref: refLse, atol: (g) => 1e-14 * (Math.abs(refMax(g)) + Math.log(g.length) + 1) },
  { name: 'var', run: (x, d, k) => x.var(d, k), ref: refVar(1) },
  { name: 'var(correction 0)', run: (x, d, k) => x.var(d, { correction: 0, keepDim: k }), ref: refVar(0) },
  { name: 'std', run: (x, d, k) => x.std(d, k), ref: refStd(1) },
  { name: 'norm(0)', run: (x, d, k) => x.norm(0, d, k), ref: refNorm(0) },
  { name: 'norm(1)', run: (x, d, k) => x.norm(1, d, k), ref: refNorm(1) },
  { name: 'norm(2)', run: (x, d, k) => x.norm(2, d, k), ref: refNorm(2) },
  { name: 'norm(3)', run: (x, d, k) => x.norm(3, d, k), ref: refNorm(3) },
  { name: 'norm(inf)', run: (x, d, k) => x.norm(Infinity, d, k), ref: refNorm(Infinity) },
  { name: 'norm(-inf)', run: (x, d, k) => x.norm(-Infinity, d, k), ref: refNorm(-Infinity) },
  { name: 'argmax', run: (x, d, k) => x.argmax(d as number | undefined, k), ref: refArg(true), index: true },
  { name: 'argmin', run: (x, d, k) => x.argmin(d as number | undefined, k), ref: refArg(false), index: true },
];

type Mode = 'random' | 'special' | 'ties';

/**
 * Values for `n` elements: uniform in [-2, 2] (or near ±1 for products, closer for long inputs);
 * 'special' sprinkles NaN and ±inf; 'ties' draws from {-2 .. 2}.
 */
function values(n: number, seed: number, mode: Mode, nearOne = false): Float64Array {
  const r = jsRandom(seed);
  const out = new Float64Array(n);
  const width = n > 20000 ? 0.01 : 0.2;
  for (let i = 0; i < n; i++) {
    let v = nearOne ? (r() < 0.5 ? -1 : 1) * (1 - width / 2 + width * r()) : -2 + 4 * r();
    if (mode === 'ties') v = Math.floor(r() * 5) - 2;
    if (mode === 'special') {
      const u = r();
      if (u < 0.02) v = NaN;
      else if (u < 0.04) v = Infinity;
      else if (u < 0.06) v = -Infinity;
    }
    out[i] = v;
  }
  return out;
}

type Layout = 'contiguous' | 'transposed' | 'narrowed' | 'stepped';
const LAYOUTS: Layout[] = ['contiguous', 'transposed', 'narrowed', 'stepped'];

/**
 * A tensor of logical shape `shape` in the given layout over a random base tensor, and its
 * row-major values worked out from the base data with JS stride arithmetic.
 */
function makeInput(shape: number[], layout: Layout, dtype: DT, seed: number, mode: Mode, nearOne: boolean): { x: tg.Tensor; vals: Float64Array } {
  const nd = shape.length;
  const last = nd - 1;
  let baseShape = shape.slice();
  if (layout === 'transposed') baseShape = shape.slice().reverse();
  if (layout === 'narrowed') baseShape = shape.map((s, d) => s + (d === last ? 3 : 1));
  if (layout === 'stepped') baseShape = shape.map((s, d) => (d === last ? 2 * s + 1 : s + 1));
  let data = values(numel(baseShape), seed, mode, nearOne);
  if (dtype === 'float32') data = Float64Array.from(Float32Array.from(data));
  const base = tg.tensor(dtype === 'float32' ? Float32Array.from(data) : data, { shape: baseShape, dtype });
  const bst = rowMajorStrides(baseShape);
  let x = base;
  let strides = bst;
  let offset = 0;
  if (layout === 'transposed') {
    const perm = [...Array(nd).keys()].reverse();
    x = base.permute(...perm);
    strides = perm.map((p) => bst[p]);
  } else if (layout === 'narrowed') {
    for (let d = 0; d < nd; d++) x = x.narrow(d, 1, shape[d]);
    offset = bst.reduce((a, s) => a + s, 0);
  } else if (layout === 'stepped') {
    for (let d = 0; d < nd; d++) x = d === last ? x.slice(d, 1, 1 + 2 * shape[d], 2) : x.slice(d, 1, 1 + shape[d]);
    strides = bst.map((s, d) => (d === last ? 2 * s : s));
    offset = bst.reduce((a, s) => a + s, 0);
  }
  expect(x.shape).toEqual(shape);
  return { x, vals: viewData(data, shape, strides, offset) };
}

function check(y: tg.Tensor, op: Op, vals: Float64Array, shape: number[], dim: Dims, keepDim: boolean, dtype: DT, what: string): void {
  const { outShape, groups } = groupsOf(vals, shape, dim, keepDim);
  expect(y.shape, `${what} shape`).toEqual(outShape);
  expect(y.dtype, `${what} dtype`).toBe(op.index ? 'int32' : dtype);
  const got = y.data();
  expect(got.length, `${what} size`).toBe(groups.length);
  const rtol = dtype === 'float64' ? 1e-12 : 1e-6;
  for (let i = 0; i < groups.length; i++) {
    const e = op.ref(groups[i]);
    const a = got[i];
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const tol = rtol * Math.abs(e) + (op.atol ? op.atol(groups[i]) : 0) + 1e-300;
    if (op.index || !Number.isFinite(e) || !(Math.abs(a - e) <= tol)) {
      expect.fail(`${what} element ${i}: got ${a}, expected ${e} (tol ${tol}; group of ${groups[i].length})`);
    }
  }
}

const SIZES = [1, 3, 7, 8, 9, 31, 33, 1000];

/** Shapes with a dim of size s first, last and in the middle, and the dims to reduce over. */
function cases(s: number): [number[], Dims[]][] {
  return [
    [[s], [0, undefined]],
    [[s, 5], [0, 1, [0, 1], undefined]],
    [[4, s], [0, -1, undefined]],
    [[3, s, 5], [0, 1, 2, [0, 1], [0, 2], [1, 2], undefined]],
  ];
}

const dimStr = (d: Dims) => (d === undefined ? 'all' : JSON.stringify(d));

describe('reductions: every op, dim, layout and dtype at sizes around the vector widths', () => {
  for (const dtype of ['float64', 'float32'] as DT[]) {
    for (const s of SIZES) {
      it(`${dtype}, a dim of size ${s}: random values, NaN / ±inf, ties`, () => {
        let seed = 1000 * s + (dtype === 'float32' ? 7 : 0);
        for (const mode of ['random', 'special', 'ties'] as Mode[]) {
          for (const [shape, dimsList] of cases(s)) {
            for (const layout of LAYOUTS) {
              for (const nearOne of [false, true]) {
                const { x, vals } = makeInput(shape, layout, dtype, seed++, mode, nearOne);
                for (const op of OPS.filter((o) => !!o.nearOne === nearOne)) {
                  for (const dim of dimsList) {
                    if (op.index && Array.isArray(dim)) continue;
                    const what = `${op.name} ${dtype} ${mode} ${layout} [${shape}] dim ${dimStr(dim)}`;
                    check(op.run(x, dim, false), op, vals, shape, dim, false, dtype, what);
                    if (dim === undefined || dim === -1) check(op.run(x, dim, true), op, vals, shape, dim, true, dtype, `${what} keepDim`);
                  }
                }
              }
            }
          }
        }
      });
    }
  }
});

describe('reductions: NaN, infinities and ties at every lane position', () => {
  // One special value moved across all 40 positions of a row (contiguous runs), and of 33 columns
  // (column j holds the row rotated by j, so every column lane meets it at a different row).
  const n = 40;
  const k = 33;
  for (const dtype of ['float64', 'float32'] as DT[]) {
    it(`${dtype}: a NaN, a +inf, a -inf, a tied maximum`, () => {
      const specials: [string, (v: Float64Array, p: number) => void][] = [
        ['NaN', (v, p) => (v[p] = NaN)],
        ['+inf', (v, p) => (v[p] = Infinity)],
        ['-inf', (v, p) => (v[p] = -Infinity)],
        ['tied max', (v, p) => (v[p] = v[(p + 17) % n] = 3)],
        ['NaN after +inf', (v, p) => ((v[p] = Infinity), (v[(p + 5) % n] = NaN))],
      ];
      for (const [label, put] of specials) {
        for (let p = 0; p < n; p++) {
          const row = values(n, p + 1, 'random');
          put(row, p);
          const vals = dtype === 'float32' ? Float64Array.from(Float32Array.from(row)) : row;
          const mat = Float64Array.from({ length: n * k }, (_, i) => vals[(Math.floor(i / k) + (i % k)) % n]);
          const t = (d: Float64Array, shape: number[]) => tg.tensor(dtype === 'float32' ? Float32Array.from(d) : d, { shape, dtype });
          const asRow = t(vals, [1, n]);
          const cols = t(mat, [n, k]);
          for (const op of OPS) {
            if (op.nearOne) continue;
            check(op.run(asRow, 1, false), op, vals, [1, n], 1, false, dtype, `${op.name} ${label} at ${p} in a row`);
            check(op.run(asRow.reshape(n), undefined, false), op, vals, [n], undefined, false, dtype, `${op.name} ${label} at ${p} in a full reduction`);
            check(op.run(cols, 0, false), op, mat, [n, k], 0, false, dtype, `${op.name} ${label} at ${p} in columns`);
            check(op.run(cols.T, 1, false), op, viewData(mat, [k, n], [1, k]), [k, n], 1, false, dtype, `${op.name} ${label} at ${p} in transposed rows`);
          }
        }
      }
    });
  }

  it('max / min / norm(±inf) of long rows holding +inf and -inf, with and without a NaN', () => {
    // Rows long enough for every ISA's vector loop (which flags NaN through a running sum that
    // infinities of both signs also turn NaN), the specials at positions across the lanes.
    const n = 203;
    for (const dtype of ['float64', 'float32'] as DT[]) {
      for (const withNaN of [false, true]) {
        const rows = 24;
        const vals = values(rows * n, withNaN ? 31 : 30, 'random');
        for (let r = 0; r < rows; r++) {
          vals[r * n + ((r * 7) % n)] = Infinity;
          vals[r * n + ((r * 13 + 5) % n)] = -Infinity;
          if (withNaN && r % 2) vals[r * n + ((r * 29 + 11) % n)] = NaN;
        }
        const x = tg.tensor(dtype === 'float32' ? Float32Array.from(vals) : vals, { shape: [rows, n], dtype });
        for (const op of OPS.filter((o) => ['max', 'min', 'norm(inf)', 'norm(-inf)', 'argmax', 'argmin'].includes(o.name))) {
          check(op.run(x, 1, false), op, vals, [rows, n], 1, false, dtype, `${op.name} ${dtype} ±inf${withNaN ? ' and NaN' : ''}`);
        }
      }
    }
  });

  it('all -inf: argmax / argmin give 0, max gives -inf, logsumexp gives -inf', () => {
    for (const dtype of ['float32', 'float64'] as DT[]) {
      for (const shape of [[37], [37, 9]]) {
        const x = tg.full(shape, -Infinity, { dtype });
        expect(x.argmax(0).data().every((v) => v === 0)).toBe(true);
        expect(x.argmin(0).data().every((v) => v === 0)).toBe(true);
        expect(x.max(0).data().every((v) => v === -Infinity)).toBe(true);
        expect(x.logsumexp(0).data().every((v) => v === -Infinity)).toBe(true);
        expect(x.norm(Infinity, 0).data().every((v) => v === Infinity)).toBe(true);
      }
    }
  });
});

describe('reductions: expanded (zero-stride) inputs', () => {
  it('every op over broadcast rows and columns matches the reference', () => {
    for (const dtype of ['float64', 'float32'] as DT[]) {
      const row = values(37, 4, 'random');
      const vals = dtype === 'float32' ? Float64Array.from(Float32Array.from(row)) : row;
      const r = tg.tensor(dtype === 'float32' ? Float32Array.from(row) : row, { shape: [1, 37], dtype });
      const views: [string, tg.Tensor, number[], number[]][] = [
        ['rows repeated', r.expand(50, 37), [50, 37], [0, 1]],
        ['columns repeated', r.reshape(37, 1).expand(37, 50), [37, 50], [1, 0]],
      ];
      for (const [name, x, shape, strides] of views) {
        const xv = viewData(vals, shape, strides);
        for (const op of OPS) {
          if (op.nearOne) continue;
          for (const dim of [0, 1, undefined] as Dims[]) check(op.run(x, dim, false), op, xv, shape, dim, false, dtype, `${op.name} ${dtype} ${name} dim ${dimStr(dim)}`);
        }
      }
    }
  });

  // Reaches into the repository's addon: not run against an installed package (.ci/pack-check.sh).
  it.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('native reduce rejects shapes whose element count overflows', async () => {
    const { native } = await import('../src/native');
    const big = 2 ** 40;
    const meta = Float64Array.from([2, big, big, 0, 0, 0, 0]);
    expectError(() => native.reduce(0, new Float32Array(1), new Float32Array(1), meta, 0), RangeError, /reduce: the shape \[1099511627776, 1099511627776\] has too many elements/);
    const meta2 = Float64Array.from([0, 2, big, big, 0, 0, 0]);
    expectError(() => native.reduce(0, new Float32Array(1), new Float32Array(1), meta2, 0), RangeError, /too many elements/);
  });
});

describe('reductions: float32 accumulates in double', () => {
  // Values near ±2^24 cancel pairwise and leave the small parts: a float32 accumulator loses
  // them entirely (error ~ 1e-7 of the magnitude, ~1e4 here), double keeps the float32 result exact.
  function cancelling(n: number, seed: number): Float64Array {
    const r = jsRandom(seed);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.fround((i % 2 ? -1 : 1) * 16777216 * (1 + Math.floor(r() * 64)) + r());
    return out;
  }
  const shapes: [number[], Dims[]][] = [
    [[10007], [0]],
    [[64, 1031], [0, 1, undefined]],
    [[1031, 64], [0, 1, undefined]],
  ];

  it('sum / mean of cancelling large values: within 1 float32 ulp of the exact result', () => {
    let seed = 1;
    for (const [shape, dims] of shapes) {
      const vals = cancelling(numel(shape), seed++);
      const x = tg.tensor(Float32Array.from(vals), { shape, dtype: 'float32' });
      {
        for (const dim of dims) {
          const { groups } = groupsOf(vals, shape, dim, false);
          for (const [name, y, ref] of [
            ['sum', x.sum(dim), refSum],
            ['mean', x.mean(dim), refMean],
          ] as const) {
            const got = y.data();
            groups.forEach((g, i) => {
              const e = ref(g);
              expect(Math.abs(got[i] - e), `${name} [${shape}] dim ${dimStr(dim)} element ${i}: got ${got[i]}, expected ${e}`).toBeLessThanOrEqual(Math.abs(e) * 2 ** -23);
            });
          }
        }
      }
      // and through the transposed layout (rows become columns)
      if (shape.length === 2) {
        const t = tg.tensor(Float32Array.from(vals), { shape, dtype: 'float32' }).T;
        const tv = viewData(vals, [shape[1], shape[0]], [1, shape[1]]);
        for (const dim of [0, 1]) {
          const { groups } = groupsOf(tv, [shape[1], shape[0]], dim, false);
          const got = t.sum(dim).data();
          groups.forEach((g, i) => expect(Math.abs(got[i] - refSum(g))).toBeLessThanOrEqual(Math.abs(refSum(g)) * 2 ** -23));
        }
      }
    }
  });

  it('sums of runs whose first half cancels the second, at lengths around the vector blocks: within 1 float32 ulp', () => {
    // v in [2^20, 2^21) (float32 ulp 2^-3) in the first half of a run, -v + t with t in {0, 1/8, ..,
    // 7/8} in the second: the exact sum is the sum of the t's, small next to the partial sums of the
    // first half. Every element is a multiple of 2^-3, so double partial sums are exact; a float32
    // partial of a few elements (~2^23, ulp 1) already drops the eighths.
    const r = jsRandom(11);
    const run = (n: number): number[] => {
      const h = Math.floor(n / 2);
      const v = Array.from({ length: h }, () => Math.fround(2 ** 20 * (1 + r())));
      const out = v.concat(v.map((a) => -a + Math.floor(8 * r()) / 8));
      if (n % 2) out.push(Math.floor(8 * r()) / 8);
      return out;
    };
    for (const n of [15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1024, 1031, 4099]) {
      const rows = 3;
      const vals = Float64Array.from(Array.from({ length: rows }, () => run(n)).flat());
      const x = tg.tensor(Float32Array.from(vals), { shape: [rows, n], dtype: 'float32' });
      const within = (got: number, e: number, what: string) =>
        expect(Math.abs(got - e), `${what} length ${n}: got ${got}, expected ${e}`).toBeLessThanOrEqual(Math.abs(e) * 2 ** -23);
      const { groups } = groupsOf(vals, [rows, n], 1, false);
      const sums = x.sum(1).data();
      const means = x.mean(1).data();
      groups.forEach((g, i) => {
        within(sums[i], refSum(g), `sum row ${i}`);
        within(means[i], refMean(g), `mean row ${i}`);
      });
      // one run at an offset of 1 element (unaligned loads), and the whole tensor at once
      within(x.narrow(0, 1, 1).reshape(n).sum().item(), refSum(groups[1]), 'sum of row 1');
      within(x.sum().item(), refSum([...vals]), 'full sum');
      const shifted = tg.tensor(Float32Array.from([0, ...vals.subarray(0, n)]), { dtype: 'float32' }).narrow(0, 1, n);
      within(shifted.sum().item(), refSum(groups[0]), 'sum at offset 1');
    }
  });

  it('var / std of values with a large offset (1e4 + U(0, 1)): relative error <= 1e-6', () => {
    const r = jsRandom(5);
    for (const shape of [[4099], [33, 517], [517, 33]]) {
      const vals = Float64Array.from({ length: numel(shape) }, () => Math.fround(1e4 + r()));
      const x = tg.tensor(Float32Array.from(vals), { shape, dtype: 'float32' });
      for (const dim of [0, shape.length - 1, undefined] as Dims[]) {
        const { groups } = groupsOf(vals, shape, dim, false);
        const v = x.var(dim).data();
        const sd = x.std(dim, { correction: 0 }).data();
        groups.forEach((g, i) => {
          expect(Math.abs(v[i] - refVar(1)(g)) / refVar(1)(g), `var [${shape}] dim ${dimStr(dim)} element ${i}`).toBeLessThanOrEqual(1e-6);
          expect(Math.abs(sd[i] - refStd(0)(g)) / refStd(0)(g), `std [${shape}] dim ${dimStr(dim)} element ${i}`).toBeLessThanOrEqual(1e-6);
        });
      }
    }
  });

  it('norm(2) of values whose squares overflow or underflow float32', () => {
    const r = jsRandom(9);
    for (const scale of [1e20, 1e-25]) {
      for (const shape of [[1000], [40, 77], [77, 40]]) {
        const vals = Float64Array.from({ length: numel(shape) }, () => Math.fround(scale * (r() - 0.5)));
        const x = tg.tensor(Float32Array.from(vals), { shape, dtype: 'float32' });
        for (const dim of [0, shape.length - 1, undefined] as Dims[]) {
          const { groups } = groupsOf(vals, shape, dim, false);
          const got = x.norm(2, dim).data();
          groups.forEach((g, i) => {
            const e = refNorm(2)(g);
            expect(Math.abs(got[i] - e) / e, `norm ${scale} [${shape}] dim ${dimStr(dim)} element ${i}: got ${got[i]}, expected ${e}`).toBeLessThanOrEqual(1e-6);
          });
        }
      }
    }
  });
});

describe('reductions: large inputs whose reduced range is cut into chunks', () => {
  // More than 2 * 32768 elements with few outputs: the reduced range is split into fixed chunks
  // whose partial results are merged in order.
  const layouts: [number[], Dims[]][] = [
    [[100003], [0]],
    [[7, 50001], [1]],
    [[50001, 7], [0]],
    [[3001, 70], [0]],
    [[301, 3, 201], [[0, 2]]], // several runs per output, a chunk boundary inside a run
    [[301, 2, 3, 70], [[0, 2]]], // column blocks over several runs
  ];
  for (const dtype of ['float64', 'float32'] as DT[]) {
    it(`every op (${dtype})`, () => {
      let seed = 77;
      for (const [shape, dims] of layouts) {
        for (const nearOne of [false, true]) {
          const { x, vals } = makeInput(shape, 'contiguous', dtype, seed++, 'random', nearOne);
          for (const op of OPS.filter((o) => !!o.nearOne === nearOne)) {
            for (const dim of dims) {
              if (op.index && Array.isArray(dim)) continue;
              check(op.run(x, dim, false), op, vals, shape, dim, false, dtype, `${op.name} [${shape}] dim ${dimStr(dim)}`);
            }
          }
        }
      }
    });

    it(`argmax / argmin: ties and NaN in different chunks keep the first (${dtype})`, () => {
      const n = 100003;
      const data = values(n, 3, 'random');
      data[10] = data[80000] = 5;
      data[20] = data[70000] = -5;
      const f = (d: Float64Array) => tg.tensor(dtype === 'float32' ? Float32Array.from(d) : d, { dtype });
      expect(f(data).argmax().item()).toBe(10);
      expect(f(data).argmin().item()).toBe(20);
      const argCols = (d: Float64Array, isMax: boolean) => [0, 1].map((c) => refArg(isMax)([...viewData(d, [50001], [2], c)]));
      const cols = () => f(data.subarray(0, 50001 * 2)).reshape(50001, 2);
      expect(cols().argmax(0).toArray()).toEqual(argCols(data, true));
      expect(cols().argmax(0).toArray()[0]).toBe(5);
      expect(cols().argmin(0).toArray()[0]).toBe(10);
      data[90000] = NaN;
      data[50000] = NaN;
      expect(f(data).argmax().item()).toBe(50000);
      expect(f(data).argmin().item()).toBe(50000);
      expect(Number.isNaN(f(data).max().item())).toBe(true);
      expect(cols().argmax(0).toArray()).toEqual([25000, argCols(data, true)[1]]);
      expect(cols().argmin(0).toArray()).toEqual([25000, argCols(data, false)[1]]);
    });
  }
});

describe('reductions: bitwise identical for 1 and 2 threads', () => {
  afterAll(() => tg.setNumThreads(Number(process.env.TAPEGRAD_NUM_THREADS ?? 2)));
  const bits = (t: tg.Tensor) => {
    const d = t.data();
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  };
  const inputs: [string, () => tg.Tensor, Dims[]][] = [
    ['[300007] float32', () => (tg.manualSeed(1), tg.randn([300007])), [undefined]],
    ['[300007] float64', () => (tg.manualSeed(2), tg.randn([300007], { dtype: 'float64' })), [undefined]],
    ['[2001, 301] float32', () => (tg.manualSeed(3), tg.randn([2001, 301])), [0, 1, undefined]],
    ['[301, 2001].T float32', () => (tg.manualSeed(4), tg.randn([301, 2001]).T), [0, 1]],
    ['[40, 1000, 9] float64', () => (tg.manualSeed(5), tg.randn([40, 1000, 9], { dtype: 'float64' })), [1, [0, 2]]],
  ];
  for (const [name, make, dims] of inputs) {
    it(name, () => {
      const x = make();
      for (const op of OPS) {
        for (const dim of dims) {
          if (op.index && Array.isArray(dim)) continue;
          const src = op.nearOne ? x.mul(0.01).exp() : x;
          tg.setNumThreads(1);
          const one = bits(op.run(src, dim, false));
          tg.setNumThreads(2);
          const two = bits(op.run(src, dim, false));
          expect(one.equals(two), `${op.name} dim ${dimStr(dim)}`).toBe(true);
        }
      }
    });
  }
});
