// matmul as torch.matmul: every rank combination against a naive float64 JS reference, strided
// (transposed) operands, sizes that cross the GEMM's blocks, float32 accuracy, dtype promotion,
// errors naming both shapes, and gradcheck / gradgradcheck in float64.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, numel, sample, t64 } from './helpers';

interface Ref {
  data: Float64Array;
  /** Σ_k |a_ik b_kj| per output element (the scale rounding errors grow with). */
  absScale: Float64Array;
  shape: number[];
}

/** torch.matmul on row-major float64 arrays, with naive loops. */
function refMatmul(a: ArrayLike<number>, aShape: readonly number[], b: ArrayLike<number>, bShape: readonly number[]): Ref {
  const as = aShape.length === 1 ? [1, aShape[0]] : aShape.slice();
  const bs = bShape.length === 1 ? [bShape[0], 1] : bShape.slice();
  const m = as[as.length - 2];
  const k = as[as.length - 1];
  const n = bs[bs.length - 1];
  const ab = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const nb = Math.max(ab.length, bb.length);
  const pa = [...Array(nb - ab.length).fill(1), ...ab];
  const pb = [...Array(nb - bb.length).fill(1), ...bb];
  const batch = pa.map((s, i) => Math.max(s, pb[i]));
  const nbatch = numel(batch);
  const data = new Float64Array(nbatch * m * n);
  const absScale = new Float64Array(nbatch * m * n);
  const idx = new Array<number>(nb).fill(0);
  for (let bi = 0; bi < nbatch; bi++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < nb; d++) {
      oa = oa * pa[d] + (pa[d] === 1 ? 0 : idx[d]);
      ob = ob * pb[d] + (pb[d] === 1 ? 0 : idx[d]);
    }
    oa *= m * k;
    ob *= k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let sa = 0;
        for (let p = 0; p < k; p++) {
          const v = a[oa + i * k + p] * b[ob + p * n + j];
          s += v;
          sa += Math.abs(v);
        }
        data[(bi * m + i) * n + j] = s;
        absScale[(bi * m + i) * n + j] = sa;
      }
    }
    for (let d = nb - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  const shape = [...batch];
  if (aShape.length > 1) shape.push(m);
  if (bShape.length > 1) shape.push(n);
  return { data, absScale, shape };
}

/** |got - ref| <= rtol |ref| + atolScale * Σ|a b| for every element. */
function checkAgainst(got: tg.Tensor, ref: Ref, rtol: number, atolScale: number, what: string): void {
  expect(got.shape, `${what} shape`).toEqual(ref.shape);
  const g = got.data();
  expect(g.length).toBe(ref.data.length);
  for (let i = 0; i < g.length; i++) {
    const tol = rtol * Math.abs(ref.data[i]) + atolScale * ref.absScale[i];
    if (!(Math.abs(g[i] - ref.data[i]) <= tol)) expect.fail(`${what} element ${i}: got ${g[i]}, expected ${ref.data[i]} (tol ${tol})`);
  }
}

const F64_RTOL = 1e-12;
const F64_ATOL = 1e-14;

function rnd(shape: number[], seed: number): Float64Array {
  return sample(shape, seed, -1, 1);
}

/** Row-major values of the last-two-dims transpose of `data` (shape [..., r, c]). */
function transposeLast(data: ArrayLike<number>, shape: readonly number[]): Float64Array {
  const r = shape[shape.length - 2];
  const c = shape[shape.length - 1];
  const nb = numel(shape.slice(0, -2));
  const out = new Float64Array(data.length);
  for (let b = 0; b < nb; b++)
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[b * r * c + j * r + i] = data[b * r * c + i * c + j];
  return out;
}

describe('matmul: every rank combination against the reference', () => {
  const cases: [number[], number[]][] = [
    [[5], [5]],
    [[4], [4, 3]],
    [[3, 4], [4]],
    [[3, 4], [4, 5]],
    [[1, 1], [1, 1]],
    [[4], [2, 4, 3]],
    [[2, 3, 4], [4]],
    [[2, 3, 4], [2, 4, 5]],
    [[2, 3, 4], [4, 5]],
    [[3, 4], [2, 4, 5]],
    [[2, 1, 3, 4], [5, 4, 2]],
    [[2, 3, 3, 4], [2, 3, 4, 2]],
    [[1, 3, 2, 4], [2, 1, 4, 3]],
    [[3], [2, 2, 3, 2]],
  ];
  for (const dtype of ['float64', 'float32'] as const) {
    it(`${dtype}: 1-D, 2-D, batched and broadcast batch operands`, () => {
      let seed = 1;
      for (const [sa, sb] of cases) {
        const a = rnd(sa, seed++);
        const b = rnd(sb, seed++);
        const a32 = dtype === 'float32' ? Float64Array.from(Float32Array.from(a)) : a;
        const b32 = dtype === 'float32' ? Float64Array.from(Float32Array.from(b)) : b;
        const A = tg.tensor(a, { shape: sa, dtype });
        const B = tg.tensor(b, { shape: sb, dtype });
        const ref = refMatmul(a32, sa, b32, sb);
        const [rtol, atol] = dtype === 'float64' ? [F64_RTOL, F64_ATOL] : [1e-5, 1e-6];
        const y = tg.matmul(A, B);
        expect(y.dtype).toBe(dtype);
        checkAgainst(y, ref, rtol, atol, `tg.matmul ${dtype} [${sa}] @ [${sb}]`);
        checkAgainst(A.matmul(B), ref, rtol, atol, `method ${dtype} [${sa}] @ [${sb}]`);
      }
    });
  }

  it('1-D · 1-D gives a 0-d tensor (the dot product), hand-derived', () => {
    const y = tg.matmul(tg.tensor([1, 2, 3], { dtype: 'float64' }), tg.tensor([4, -5, 6], { dtype: 'float64' }));
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(12);
    const m = tg.tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    expect(m.matmul(m).toArray()).toEqual([[7, 10], [15, 22]]);
    expect(tg.tensor([1, 1], { dtype: 'float64' }).matmul(m).toArray()).toEqual([4, 6]);
    expect(m.matmul(tg.tensor([1, -1], { dtype: 'float64' })).toArray()).toEqual([-1, -1]);
  });
});

describe('matmul: strided (transposed) operands', () => {
  it('.T and transpose(-1, -2) operands agree with contiguous copies and the reference', () => {
    const shapes: [number, number, number][] = [
      [3, 4, 5],
      [7, 13, 5],
      [1, 9, 1],
      [16, 8, 17],
      [5, 300, 7], // c·T: long k, small C, both operands k-contiguous (GEMM's dot-product path)
    ];
    let seed = 100;
    for (const [m, k, n] of shapes) {
      // stored transposed: at is [k, m], bt is [n, k]
      const at = rnd([k, m], seed++);
      const bt = rnd([n, k], seed++);
      const A = t64(at, [k, m]).T; // [m, k], strides [1, m]
      const B = t64(bt, [n, k]).T; // [k, n], strides [1, k]
      const Ac = A.contiguous();
      const Bc = B.contiguous();
      expect(A.isContiguous()).toBe(m === 1 || k === 1);
      const ref = refMatmul(transposeLast(at, [k, m]), [m, k], transposeLast(bt, [n, k]), [k, n]);
      const combos: [string, tg.Tensor, tg.Tensor][] = [
        ['T·T', A, B],
        ['T·c', A, Bc],
        ['c·T', Ac, B],
        ['transpose·c', t64(at, [k, m]).transpose(-1, -2), Bc],
      ];
      const base = tg.matmul(Ac, Bc).data();
      for (const [name, x, y] of combos) {
        const out = tg.matmul(x, y);
        checkAgainst(out, ref, F64_RTOL, F64_ATOL, `${name} ${m}x${k}x${n}`);
        expectClose(out.data(), base, 1e-12, 1e-14, `${name} vs contiguous ${m}x${k}x${n}`);
      }
    }
  });

  it('batched operands transposed with transpose(-1, -2) and permute, and broadcast', () => {
    const a = rnd([2, 5, 3], 120); // viewed as [2, 3, 5]
    const b = rnd([4, 5], 121); // viewed as [5, 4]
    const A = t64(a, [2, 5, 3]).transpose(-1, -2);
    const B = t64(b, [4, 5]).T;
    const ref = refMatmul(transposeLast(a, [2, 5, 3]), [2, 3, 5], transposeLast(b, [4, 5]), [5, 4]);
    checkAgainst(A.matmul(B), ref, F64_RTOL, F64_ATOL, 'batched transposed');
    expectClose(A.matmul(B).data(), A.contiguous().matmul(B.contiguous()).data(), 1e-12, 1e-14);
    // a batch dim that is not outermost in memory: [3, 2, 5] permuted to [2, 3, 5]
    const c = rnd([3, 2, 5], 122);
    const C = t64(c, [3, 2, 5]).permute(1, 0, 2);
    const Cc = C.contiguous();
    const D = t64(rnd([2, 5, 4], 123), [2, 5, 4]);
    expectClose(C.matmul(D).data(), Cc.matmul(D).data(), 1e-12, 1e-14, 'permuted batch');
    checkAgainst(C.matmul(D), refMatmul(Cc.data(), [2, 3, 5], D.data(), [2, 5, 4]), F64_RTOL, F64_ATOL, 'permuted batch vs ref');
  });

  it('operands with non-unit column strides (slices with step), offsets (narrow) and expand', () => {
    const base = rnd([6, 10], 130);
    const B0 = t64(base, [6, 10]);
    const A = B0.slice(1, 0, 10, 2); // [6, 5], column stride 2
    const Bm = B0.narrow(0, 1, 5); // [5, 10], offset 10
    const refA = Float64Array.from(A.data());
    const refB = Float64Array.from(Bm.data());
    checkAgainst(A.matmul(Bm), refMatmul(refA, [6, 5], refB, [5, 10]), F64_RTOL, F64_ATOL, 'sliced operands');
    const E = t64(rnd([1, 5], 131), [1, 5]).expand(4, 5); // row stride 0
    checkAgainst(E.matmul(Bm), refMatmul(E.data(), [4, 5], refB, [5, 10]), F64_RTOL, F64_ATOL, 'expanded operand');
    const v = t64(rnd([5], 132), [5]).expand(3, 2, 5).unsqueeze(-1); // [3, 2, 5, 1] stride-0 batch dims
    checkAgainst(A.matmul(v), refMatmul(refA, [6, 5], v.data(), [3, 2, 5, 1]), F64_RTOL, F64_ATOL, 'expanded batch operand');
  });
});

describe('matmul: sizes that cross the GEMM blocks', () => {
  it('M=150, K=300, N=1100 in float64, plain and transposed', () => {
    const [m, k, n] = [150, 300, 1100];
    const a = rnd([m, k], 200);
    const b = rnd([k, n], 201);
    const ref = refMatmul(a, [m, k], b, [k, n]);
    const A = t64(a, [m, k]);
    const B = t64(b, [k, n]);
    const y = A.matmul(B);
    checkAgainst(y, ref, F64_RTOL, F64_ATOL, '150x300x1100');
    // the same product from transposed storage
    const At = t64(transposeLast(a, [m, k]), [k, m]).T;
    const Bt = t64(transposeLast(b, [k, n]), [n, k]).T;
    expectClose(At.matmul(Bt).data(), y.data(), 1e-12, 1e-14, 'transposed 150x300x1100');
  });

  it('M=150, K=300, N=1100 in float32 against the float64 reference (rtol 1e-4)', () => {
    const [m, k, n] = [150, 300, 1100];
    const a = Float64Array.from(Float32Array.from(rnd([m, k], 210)));
    const b = Float64Array.from(Float32Array.from(rnd([k, n], 211)));
    const ref = refMatmul(a, [m, k], b, [k, n]);
    const y = tg.tensor(Float32Array.from(a), { shape: [m, k] }).matmul(tg.tensor(Float32Array.from(b), { shape: [k, n] }));
    expect(y.dtype).toBe('float32');
    checkAgainst(y, ref, 1e-4, 1e-5, 'float32 150x300x1100');
  });

  it('odd and edge sizes: 7x13x5, 1x1x1, outer products, tile and block boundaries', () => {
    const sizes: [number, number, number][] = [
      [7, 13, 5],
      [1, 1, 1],
      [1, 300, 1],
      [9, 1, 11],
      [97, 257, 17],
      [145, 3, 1025],
      [3, 5, 2049],
      [5, 513, 3],
    ];
    let seed = 220;
    for (const [m, k, n] of sizes) {
      const a = rnd([m, k], seed++);
      const b = rnd([k, n], seed++);
      checkAgainst(t64(a, [m, k]).matmul(t64(b, [k, n])), refMatmul(a, [m, k], b, [k, n]), F64_RTOL, F64_ATOL, `${m}x${k}x${n}`);
    }
  });

  it('a batched product large enough to run on several threads', () => {
    const sa = [3, 145, 40];
    const sb = [3, 40, 70];
    const a = rnd(sa, 240);
    const b = rnd(sb, 241);
    checkAgainst(t64(a, sa).matmul(t64(b, sb)), refMatmul(a, sa, b, sb), F64_RTOL, F64_ATOL, 'batched 3x145x40x70');
    const bb = rnd([40, 70], 242);
    checkAgainst(t64(a, sa).matmul(t64(bb, [40, 70])), refMatmul(a, sa, bb, [40, 70]), F64_RTOL, F64_ATOL, 'broadcast 2-D operand');
  });

  it('K = 0 gives zeros', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const y = tg.matmul(tg.zeros([3, 0], { dtype }), tg.zeros([0, 4], { dtype }));
      expect(y.shape).toEqual([3, 4]);
      expect([...y.data()]).toEqual(new Array(12).fill(0));
      const z = tg.matmul(tg.zeros([2, 3, 0], { dtype }), tg.zeros([0, 5], { dtype }));
      expect(z.shape).toEqual([2, 3, 5]);
      expect([...z.data()].every((v) => v === 0)).toBe(true);
    }
    const dot = tg.matmul(tg.zeros([0]), tg.zeros([0]));
    expect(dot.shape).toEqual([]);
    expect(dot.item()).toBe(0);
  });

  it('M = 0, N = 0 or an empty batch gives an empty result (as torch.matmul), not an error', () => {
    // The output and the empty operand are both zero-length arrays; the GEMM's aliasing check
    // must not mistake them for the same memory.
    for (const dtype of ['float32', 'float64'] as const) {
      expect(tg.matmul(tg.zeros([0, 3], { dtype }), tg.zeros([3, 4], { dtype })).shape).toEqual([0, 4]);
      expect(tg.matmul(tg.zeros([2, 3], { dtype }), tg.zeros([3, 0], { dtype })).shape).toEqual([2, 0]);
      expect(tg.matmul(tg.zeros([0, 2, 3], { dtype }), tg.zeros([3, 4], { dtype })).shape).toEqual([0, 2, 4]);
      expect(tg.matmul(tg.zeros([0], { dtype }), tg.zeros([0, 5], { dtype })).shape).toEqual([5]);
    }
    const a = tg.zeros([0, 3], { dtype: 'float64', requiresGrad: true });
    const b = tg.ones([3, 2], { dtype: 'float64', requiresGrad: true });
    a.matmul(b).sum().backward();
    expect(a.grad!.shape).toEqual([0, 3]);
    expect(b.grad!.toArray()).toEqual([[0, 0], [0, 0], [0, 0]]);
  });

  it('backward of a K = 0 product gives empty gradients (its backward GEMMs have empty outputs)', () => {
    const a = tg.zeros([3, 0], { dtype: 'float64', requiresGrad: true });
    const b = tg.ones([0, 2], { dtype: 'float64', requiresGrad: true });
    a.matmul(b).sum().backward();
    expect(a.grad!.shape).toEqual([3, 0]);
    expect(b.grad!.shape).toEqual([0, 2]);
  });
});

describe('matmul: dtypes and errors', () => {
  it('promotes float32 with float64 to float64 (exact float32 values), gradients keep each dtype', () => {
    const a = tg.tensor([[0.1, 0.2], [0.3, 0.4]], { dtype: 'float32', requiresGrad: true });
    const b = tg.tensor([[1.5], [-0.7]], { dtype: 'float64', requiresGrad: true });
    const y = tg.matmul(a, b);
    expect(y.dtype).toBe('float64');
    const fa = [0.1, 0.2, 0.3, 0.4].map(Math.fround);
    expectClose(y.data(), [fa[0] * 1.5 - fa[1] * 0.7, fa[2] * 1.5 - fa[3] * 0.7], 1e-15, 0);
    expect(b.matmul(tg.tensor([[2, 3]])).dtype).toBe('float64');
    y.sum().backward();
    expect(a.grad!.dtype).toBe('float32');
    expectClose(a.grad!.data(), [1.5, -0.7, 1.5, -0.7], 1e-7, 0);
    expect(b.grad!.dtype).toBe('float64');
    expectClose(b.grad!.data(), [fa[0] + fa[2], fa[1] + fa[3]], 1e-15, 0);
  });

  it('mismatched inner dims throw RangeError naming both shapes', () => {
    expectError(() => tg.matmul(tg.zeros([3, 4]), tg.zeros([5, 6])), RangeError, /matmul/, /\[3, 4\]/, /\[5, 6\]/);
    expectError(() => tg.zeros([2, 3, 4]).matmul(tg.zeros([3, 4])), RangeError, /\[2, 3, 4\]/, /\[3, 4\]/);
    expectError(() => tg.matmul(tg.zeros([3]), tg.zeros([4])), RangeError, /\[3\]/, /\[4\]/);
    expectError(() => tg.matmul(tg.zeros([3]), tg.zeros([4, 3])), RangeError, /\[3\]/, /\[4, 3\]/);
    expectError(() => tg.matmul(tg.zeros([2, 3]), tg.zeros([2])), RangeError, /\[2, 3\]/, /\[2\]/);
  });

  it('incompatible batch dims: the RangeError names both operand shapes, not just their batch parts', () => {
    // Today the message reads "matmul: shapes [2] and [3] cannot be broadcast together".
    expectError(() => tg.matmul(tg.zeros([2, 3, 4]), tg.zeros([3, 4, 5])), RangeError, /matmul/, /\[2, 3, 4\]/, /\[3, 4, 5\]/);
  });

  it('incompatible batch dims, 0-d and non-tensor operands are rejected', () => {
    expectError(() => tg.matmul(tg.zeros([2, 3, 4]), tg.zeros([3, 4, 5])), RangeError, /matmul/);
    expectError(() => tg.matmul(tg.tensor(2), tg.zeros([3])), RangeError, /matmul/);
    expectError(() => tg.matmul(tg.zeros([3]), tg.tensor(2)), RangeError, /matmul/);
    expectError(() => tg.matmul(tg.zeros([3]), [1, 2, 3] as unknown as tg.Tensor), TypeError, /matmul/);
  });
});

describe('matmul: gradients', () => {
  it('hand-derived: dA = G B^T, dB = A^T G', () => {
    const a = tg.tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    const b = tg.tensor([[5, 6, 7], [8, 9, 10]], { dtype: 'float64', requiresGrad: true });
    a.matmul(b).sum().backward();
    expect(a.grad!.toArray()).toEqual([[18, 27], [18, 27]]);
    expect(b.grad!.toArray()).toEqual([[4, 4, 4], [6, 6, 6]]);
  });

  it('the gradient of a broadcast batch operand is summed over the batch', () => {
    const sa = [2, 3, 4];
    const sb = [4, 5];
    const a = rnd(sa, 300);
    const b = rnd(sb, 301);
    const A = t64(a, sa, true);
    const B = t64(b, sb, true);
    const w = rnd([2, 3, 5], 302);
    A.matmul(B).mul(t64(w, [2, 3, 5])).sum().backward();
    // dB[p][j] = Σ_batch Σ_i a[bt][i][p] w[bt][i][j]
    const dB = new Float64Array(20);
    for (let bt = 0; bt < 2; bt++)
      for (let i = 0; i < 3; i++) for (let p = 0; p < 4; p++) for (let j = 0; j < 5; j++) dB[p * 5 + j] += a[bt * 12 + i * 4 + p] * w[bt * 15 + i * 5 + j];
    expect(B.grad!.shape).toEqual([4, 5]);
    expectClose(B.grad!.data(), dB, 1e-12, 1e-14, 'dB');
    // dA[bt][i][p] = Σ_j w[bt][i][j] b[p][j]
    const dA = new Float64Array(24);
    for (let bt = 0; bt < 2; bt++)
      for (let i = 0; i < 3; i++) for (let p = 0; p < 4; p++) for (let j = 0; j < 5; j++) dA[bt * 12 + i * 4 + p] += w[bt * 15 + i * 5 + j] * b[p * 5 + j];
    expectClose(A.grad!.data(), dA, 1e-12, 1e-14, 'dA');
  });

  const gcCases: [string, number[], number[], ((x: tg.Tensor) => tg.Tensor)?, ((y: tg.Tensor) => tg.Tensor)?][] = [
    ['1-D · 1-D', [4], [4]],
    ['1-D · 2-D', [3], [3, 2]],
    ['2-D · 1-D', [2, 3], [3]],
    ['2-D · 2-D', [3, 4], [4, 2]],
    ['2-D · 2-D transposed operands', [4, 3], [2, 4], (x) => x.T, (y) => y.T],
    ['batched 3-D', [2, 3, 2], [2, 2, 3]],
    ['batched · 2-D (broadcast)', [2, 2, 3], [3, 2]],
    ['2-D · batched (broadcast)', [2, 3], [2, 3, 2]],
    ['4-D · 3-D broadcast batch', [2, 1, 2, 3], [3, 3, 2]],
    ['1-D · 3-D', [3], [2, 3, 2]],
    ['3-D · 1-D', [2, 2, 3], [3]],
    ['batched transpose(-1, -2)', [2, 3, 2], [2, 2, 3], (x) => x.transpose(-1, -2), (y) => y.transpose(-1, -2)],
  ];
  for (const [name, sa, sb, fa, fb] of gcCases) {
    it(`gradcheck: ${name}`, () => {
      const A = t64(rnd(sa, 400 + sa.length), sa, true);
      const B = t64(rnd(sb, 410 + sb.length), sb, true);
      const f = (x: tg.Tensor, y: tg.Tensor) => tg.matmul(fa ? fa(x) : x, fb ? fb(y) : y);
      expect(tg.gradcheck(f, [A, B])).toBe(true);
    });
  }

  it('gradcheck with one operand not requiring grad, and the same tensor on both sides', () => {
    const A = t64(rnd([3, 3], 420), [3, 3], true);
    const B = t64(rnd([3, 2], 421), [3, 2]);
    expect(tg.gradcheck((x: tg.Tensor, y: tg.Tensor) => x.matmul(y), [A, B])).toBe(true);
    expect(tg.gradcheck((x: tg.Tensor) => x.matmul(x), [A])).toBe(true);
    expect(tg.gradcheck((x: tg.Tensor) => x.T.matmul(x), [A])).toBe(true);
  });

  it('gradgradcheck: 2-D · 2-D and a batched broadcast case', () => {
    const A = t64(rnd([3, 4], 430), [3, 4], true);
    const B = t64(rnd([4, 2], 431), [4, 2], true);
    expect(tg.gradgradcheck((x: tg.Tensor, y: tg.Tensor) => x.matmul(y), [A, B])).toBe(true);
    const C = t64(rnd([2, 2, 3], 432), [2, 2, 3], true);
    const D = t64(rnd([3, 2], 433), [3, 2], true);
    expect(tg.gradgradcheck((x: tg.Tensor, y: tg.Tensor) => x.matmul(y), [C, D])).toBe(true);
  });
});
