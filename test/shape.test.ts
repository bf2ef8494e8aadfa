// Shape ops: forward values against JS references, views sharing storage (writes through under
// noGrad), PyTorch's slicing / chunking conventions, indexSelect / gather, errors, and gradcheck.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, numel, rowMajorStrides, sample, t64 } from './helpers';

// ---- local helpers ---------------------------------------------------------------------------

/** Row-major values of `out[idx] = data[map(idx)]` over `outShape`, where map returns a flat input offset. */
function build(outShape: readonly number[], at: (idx: number[]) => number): number[] {
  const n = numel(outShape);
  const out = new Array<number>(n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < n; i++) {
    out[i] = at(idx);
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function offsetOf(idx: number[], shape: readonly number[]): number {
  const st = rowMajorStrides(shape);
  return idx.reduce((o, v, d) => o + v * st[d], 0);
}

/** Reference permute: out[i0..] = data[idx with idx[perm[d]] = i_d]. */
function refPermute(data: ArrayLike<number>, shape: readonly number[], perm: number[]): { data: number[]; shape: number[] } {
  const oshape = perm.map((p) => shape[p]);
  return {
    shape: oshape,
    data: build(oshape, (o) => {
      const src = new Array<number>(shape.length);
      perm.forEach((p, d) => (src[p] = o[d]));
      return data[offsetOf(src, shape)];
    }),
  };
}

/** Values 0, 1, 2, ... (distinct, easy to read in failure messages). */
function iota(n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => i * scale);
}

function f64(shape: number[], seed: number, rg = false): tg.Tensor {
  return t64(sample(shape, seed), shape, rg);
}

function vals(t: tg.Tensor): number[] {
  return [...t.data()];
}

function gc(fn: (...a: tg.Tensor[]) => tg.Tensor | tg.Tensor[], inputs: tg.Tensor[], what = ''): void {
  expect(tg.gradcheck(fn as (...a: unknown[]) => tg.Tensor, inputs), what).toBe(true);
}

const i32 = (a: unknown) => tg.tensor(a, { dtype: 'int32' });

// ---- reshape / view / flatten ------------------------------------------------------------------

describe('reshape and view', () => {
  it('reshape a contiguous tensor, including -1, as (...sizes) or ([sizes])', () => {
    const data = iota(24);
    const x = t64(data, [2, 3, 4]);
    const cases: [tg.Tensor, number[]][] = [
      [x.reshape(4, 6), [4, 6]],
      [x.reshape([24]), [24]],
      [x.reshape(-1), [24]],
      [x.reshape(2, -1), [2, 12]],
      [x.reshape(-1, 4), [6, 4]],
      [x.reshape([3, -1, 2]), [3, 4, 2]],
      [tg.reshape(x, 1, 24, 1), [1, 24, 1]],
      [tg.reshape(x, [2, 3, 4]), [2, 3, 4]],
    ];
    for (const [y, shape] of cases) {
      expect(y.shape).toEqual(shape);
      expect(vals(y)).toEqual([...data]);
    }
    expect(tg.tensor(5, { dtype: 'float64' }).reshape(1, 1).shape).toEqual([1, 1]);
    expect(tg.tensor([[5]]).reshape([]).shape).toEqual([]);
    expect(tg.tensor([[5]]).reshape([]).item()).toBe(5);
    expect(tg.zeros([0, 3]).reshape(3, -1, 5).shape).toEqual([3, 0, 5]);
  });

  it('reshape of a contiguous tensor is a view: writes go both ways', () => {
    const x = t64(iota(12), [3, 4]);
    const y = x.reshape(2, 6);
    tg.noGrad(() => y.narrow(1, 5, 1).fill_(-1)); // y[:, 5] = x.flat[5], x.flat[11]
    expect(vals(x)).toEqual([0, 1, 2, 3, 4, -1, 6, 7, 8, 9, 10, -1]);
    tg.noGrad(() => x.narrow(0, 0, 1).fill_(9));
    expect(vals(y)).toEqual([9, 9, 9, 9, 4, -1, 6, 7, 8, 9, 10, -1]);
  });

  it('reshape of a transposed tensor that cannot be a view copies, with correct values', () => {
    const base = t64(iota(12), [3, 4]);
    const xt = base.T; // [4, 3]
    const y = xt.reshape(12);
    const ref = refPermute(iota(12), [3, 4], [1, 0]);
    expect(vals(y)).toEqual(ref.data);
    expect(vals(xt.reshape(2, 6))).toEqual(ref.data);
    expect(vals(xt.reshape(-1, 2))).toEqual(ref.data);
    // a copy: writing into it leaves the base alone
    tg.noGrad(() => y.fill_(100));
    expect(vals(base)).toEqual([...iota(12)]);
  });

  it('reshape of a non-contiguous tensor is a view when the strides allow it', () => {
    // [2, 3, 4] transposed to [3, 2, 4]; splitting the contiguous last dim keeps a view.
    const base = t64(iota(24), [2, 3, 4]);
    const x = base.transpose(0, 1);
    const y = x.reshape(3, 2, 2, 2);
    expect(vals(y)).toEqual(refPermute(iota(24), [2, 3, 4], [1, 0, 2]).data);
    tg.noGrad(() => y.narrow(3, 1, 1).fill_(-7));
    // y[..., 1] is x[..., odd k], i.e. base elements with an odd last index
    expect(vals(base)).toEqual([...iota(24)].map((v, i) => (i % 2 === 1 ? -7 : v)));

    // rows sliced with a step: [6, 4] -> [3, 4] with strides [8, 1]; merging rows needs a copy,
    // splitting a row does not.
    const b2 = t64(iota(24), [6, 4]);
    const s = b2.slice(0, 0, 6, 2);
    const r1 = s.reshape(3, 2, 2);
    expect(vals(r1)).toEqual([0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19]);
    tg.noGrad(() => r1.narrow(0, 1, 1).fill_(0.5));
    expect(vals(b2.narrow(0, 2, 1))).toEqual([0.5, 0.5, 0.5, 0.5]);
    const r2 = s.reshape(12);
    tg.noGrad(() => r2.fill_(3));
    expect(vals(b2.narrow(0, 4, 1))).toEqual([16, 17, 18, 19]);

    // unsqueezed transposed view: dropping the size-1 dim again is a view
    const b3 = t64(iota(12), [3, 4]);
    const u = b3.T.unsqueeze(1).reshape(4, 3);
    expect(vals(u)).toEqual(refPermute(iota(12), [3, 4], [1, 0]).data);
    tg.noGrad(() => u.narrow(0, 0, 1).fill_(-2)); // u[0, :] = b3[:, 0]
    expect(vals(b3)).toEqual([-2, 1, 2, 3, -2, 5, 6, 7, -2, 9, 10, 11]);
  });

  it('reshape of an offset view (narrow) and of an expanded tensor', () => {
    const base = t64(iota(24), [6, 4]);
    const n = base.narrow(0, 2, 3);
    expect(vals(n.reshape(12))).toEqual([...iota(12)].map((v) => v + 8));
    const e = t64(Float64Array.from([1, 2, 3]), [3, 1]).expand(3, 4);
    expect(vals(e.reshape(12))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(vals(e.reshape(3, 2, 2))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(vals(e.view(3, 2, 2))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it('view works where reshape would be a view, and throws a RangeError mentioning reshape otherwise', () => {
    const x = t64(iota(12), [3, 4]);
    expect(vals(x.view(4, 3))).toEqual([...iota(12)]);
    expect(x.view(-1).shape).toEqual([12]);
    expect(tg.view(x, [2, 2, 3]).shape).toEqual([2, 2, 3]);
    const v = x.view(6, 2);
    tg.noGrad(() => v.narrow(0, 0, 1).fill_(-1));
    expect(vals(x).slice(0, 3)).toEqual([-1, -1, 2]);
    expectError(() => x.T.view(12), RangeError, /view/, /reshape/);
    expectError(() => x.T.view(-1), RangeError, /reshape/);
    expectError(() => x.slice(1, 0, 2).view(6), RangeError, /reshape/);
    // equally spaced columns can still be viewed flat
    expect(vals(x.slice(1, 0, 4, 2).view(6))).toEqual([-1, 2, 4, 6, 8, 10]);
  });

  it('bad shapes throw RangeError naming the op and the sizes', () => {
    const x = tg.zeros([2, 3]);
    expectError(() => x.reshape(4, 2), RangeError, /reshape/, /\[4, 2\]/, /6/);
    expectError(() => x.reshape(-1, -1), RangeError, /reshape/);
    expectError(() => x.reshape(4, -1), RangeError, /reshape/);
    expectError(() => x.reshape(-2, 3), RangeError, /reshape/);
    expectError(() => x.view(7), RangeError, /view/);
    expectError(() => tg.zeros([0, 3]).reshape(0, -1), RangeError, /reshape/);
  });

  it('flatten(start, end) with negative dims, 0-d input and non-contiguous input', () => {
    const data = iota(120);
    const x = t64(data, [2, 3, 4, 5]);
    expect(x.flatten().shape).toEqual([120]);
    expect(x.flatten(1).shape).toEqual([2, 60]);
    expect(x.flatten(1, 2).shape).toEqual([2, 12, 5]);
    expect(tg.flatten(x, -3, -2).shape).toEqual([2, 12, 5]);
    expect(x.flatten(0, 0).shape).toEqual([2, 3, 4, 5]);
    expect(x.flatten(3).shape).toEqual([2, 3, 4, 5]);
    expect(vals(x.flatten(1, 2))).toEqual([...data]);
    expect(tg.tensor(3).flatten().shape).toEqual([1]);
    const t = t64(iota(12), [3, 4]).T;
    expect(vals(t.flatten())).toEqual(refPermute(iota(12), [3, 4], [1, 0]).data);
    expectError(() => x.flatten(2, 1), RangeError, /flatten/);
    expectError(() => x.flatten(0, 4), RangeError, /flatten/);
  });

  it('gradcheck: reshape (contiguous and not), view, flatten', () => {
    const x = f64([3, 4], 1, true);
    gc((a) => a.reshape(2, 6), [x]);
    gc((a) => a.T.reshape(-1), [x]);
    gc((a) => a.T.reshape(2, 3, 2).mul(a.reshape(2, 3, 2)), [x], 'reshape product');
    gc((a) => a.view(4, 3), [x]);
    gc((a) => a.unsqueeze(0).flatten(0, 1), [x]);
    gc((a) => a.T.flatten(), [x]);
  });
});

// ---- squeeze / unsqueeze ---------------------------------------------------------------------

describe('squeeze and unsqueeze', () => {
  it('squeeze all size-1 dims, one dim, a negative dim; a dim of size != 1 is a no-op', () => {
    const data = iota(6);
    const x = t64(data, [1, 3, 1, 2]);
    expect(x.squeeze().shape).toEqual([3, 2]);
    expect(tg.squeeze(x).shape).toEqual([3, 2]);
    expect(x.squeeze(0).shape).toEqual([3, 1, 2]);
    expect(x.squeeze(2).shape).toEqual([1, 3, 2]);
    expect(x.squeeze(-2).shape).toEqual([1, 3, 2]);
    expect(x.squeeze(-4).shape).toEqual([3, 1, 2]);
    expect(x.squeeze(1).shape).toEqual([1, 3, 1, 2]);
    expect(x.squeeze(-1).shape).toEqual([1, 3, 1, 2]);
    expect(vals(x.squeeze())).toEqual([...data]);
    expect(tg.tensor(4).squeeze().shape).toEqual([]);
    expect(tg.tensor(4).squeeze(0).shape).toEqual([]);
    expect(tg.zeros([1, 1]).squeeze().shape).toEqual([]);
    expectError(() => x.squeeze(4), RangeError, /squeeze/);
    expectError(() => x.squeeze(-5), RangeError, /squeeze/);
  });

  it('unsqueeze at every position including negative dims', () => {
    const data = iota(6);
    const x = t64(data, [2, 3]);
    const cases: [number, number[]][] = [
      [0, [1, 2, 3]],
      [1, [2, 1, 3]],
      [2, [2, 3, 1]],
      [-1, [2, 3, 1]],
      [-2, [2, 1, 3]],
      [-3, [1, 2, 3]],
    ];
    for (const [d, shape] of cases) {
      const y = x.unsqueeze(d);
      expect(y.shape, `dim ${d}`).toEqual(shape);
      expect(vals(y)).toEqual([...data]);
      expect(tg.unsqueeze(x, d).shape).toEqual(shape);
    }
    expect(tg.tensor(2).unsqueeze(0).shape).toEqual([1]);
    expect(tg.tensor(2).unsqueeze(-1).shape).toEqual([1]);
    expectError(() => x.unsqueeze(3), RangeError, /unsqueeze/);
    expectError(() => x.unsqueeze(-4), RangeError, /unsqueeze/);
    // unsqueeze of a transposed view, then a broadcast use of it
    const t = x.T.unsqueeze(1); // [3, 1, 2]
    expect(vals(t.expand(3, 2, 2))).toEqual([0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5]);
  });

  it('squeeze / unsqueeze are views', () => {
    const x = t64(iota(6), [1, 6]);
    const s = x.squeeze();
    const u = x.unsqueeze(-1);
    tg.noGrad(() => x.narrow(1, 2, 2).fill_(-1));
    expect(vals(s)).toEqual([0, 1, -1, -1, 4, 5]);
    expect(vals(u)).toEqual([0, 1, -1, -1, 4, 5]);
  });

  it('gradcheck: squeeze, unsqueeze', () => {
    const x = f64([1, 3, 1, 2], 2, true);
    gc((a) => a.squeeze(), [x]);
    gc((a) => a.squeeze(-2).mul(a.squeeze(2)), [x]);
    gc((a) => a.unsqueeze(-1), [x]);
    gc((a) => a.squeeze().T.unsqueeze(0), [x]);
  });
});

// ---- transpose / permute / T -----------------------------------------------------------------

describe('transpose, permute and T', () => {
  it('transpose any two dims (negative too) against the reference', () => {
    const shape = [2, 3, 4];
    const data = iota(24);
    const x = t64(data, shape);
    const cases: [number, number, number[]][] = [
      [0, 1, [1, 0, 2]],
      [0, 2, [2, 1, 0]],
      [1, 2, [0, 2, 1]],
      [-1, -2, [0, 2, 1]],
      [-3, 2, [2, 1, 0]],
      [1, 1, [0, 1, 2]],
    ];
    for (const [a, b, perm] of cases) {
      const ref = refPermute(data, shape, perm);
      const y = x.transpose(a, b);
      expect(y.shape).toEqual(ref.shape);
      expect(vals(y), `transpose(${a}, ${b})`).toEqual(ref.data);
      expect(vals(tg.transpose(x, a, b))).toEqual(ref.data);
      expect(vals(y.contiguous())).toEqual(ref.data);
    }
    expectError(() => x.transpose(0, 3), RangeError, /transpose/);
  });

  it('permute as (...dims), ([dims]) and with negative dims', () => {
    const shape = [2, 3, 4, 5];
    const data = iota(120);
    const x = t64(data, shape);
    for (const perm of [[3, 1, 0, 2], [0, 1, 2, 3], [1, 3, 2, 0]]) {
      const ref = refPermute(data, shape, perm);
      expect(x.permute(...perm).shape).toEqual(ref.shape);
      expect(vals(x.permute(...perm))).toEqual(ref.data);
      expect(vals(x.permute(perm))).toEqual(ref.data);
      expect(vals(tg.permute(x, perm))).toEqual(ref.data);
    }
    expect(vals(x.permute(-1, 0, -2, 1))).toEqual(refPermute(data, shape, [3, 0, 2, 1]).data);
    // permute of a permuted view
    expect(vals(x.permute(3, 1, 0, 2).permute(2, 0, 3, 1))).toEqual(refPermute(data, shape, [0, 3, 2, 1]).data);
    expectError(() => x.permute(0, 1, 2), RangeError, /permute/);
    expectError(() => x.permute(0, 1, 1, 2), RangeError, /permute/);
    expectError(() => x.permute(0, 1, 2, 4), RangeError, /permute/);
  });

  it('T transposes 2-D tensors only', () => {
    const x = t64(iota(6), [2, 3]);
    expect(x.T.shape).toEqual([3, 2]);
    expect(vals(x.T)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(vals(x.T.T)).toEqual([...iota(6)]);
    expectError(() => tg.zeros([2, 3, 4]).T, RangeError, /T/, /\[2, 3, 4\]/);
  });

  it('transpose / permute / T are views', () => {
    const x = t64(iota(6), [2, 3]);
    const t = x.T;
    const p = x.unsqueeze(0).permute(2, 0, 1);
    tg.noGrad(() => x.narrow(1, 0, 1).fill_(-1));
    expect(vals(t)).toEqual([-1, -1, 1, 4, 2, 5]);
    expect(vals(p)).toEqual([-1, -1, 1, 4, 2, 5]);
    tg.noGrad(() => t.narrow(0, 2, 1).fill_(8)); // column 2 of x
    expect(vals(x)).toEqual([-1, 1, 8, -1, 4, 8]);
  });

  it('gradcheck: transpose, permute, T', () => {
    const x = f64([2, 3, 4], 3, true);
    gc((a) => a.transpose(0, 2), [x]);
    gc((a) => a.transpose(-1, 1).mul(a.transpose(-1, 1)), [x]);
    gc((a) => a.permute(2, 0, 1), [x]);
    const m = f64([3, 4], 4, true);
    gc((a) => a.T, [m]);
    gc((a) => a.T.matmul(a), [m]);
  });
});

// ---- expand ----------------------------------------------------------------------------------

describe('expand', () => {
  it('expands size-1 dims, -1 keeps a size, new leading dims are added', () => {
    const x = t64(Float64Array.from([1, 2, 3]), [3, 1]);
    expect(vals(x.expand(3, 4))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(vals(x.expand(-1, 2))).toEqual([1, 1, 2, 2, 3, 3]);
    expect(vals(tg.expand(x, [3, 2]))).toEqual([1, 1, 2, 2, 3, 3]);
    const y = x.expand(2, -1, 2);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(vals(y)).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expect(x.expand(3, 1).shape).toEqual([3, 1]);
    expect(x.expand(3, 0).shape).toEqual([3, 0]);
    const s = tg.tensor(7, { dtype: 'float64' }).expand(2, 3);
    expect(vals(s)).toEqual([7, 7, 7, 7, 7, 7]);
    const r = t64(iota(3), [3]).expand(2, 3);
    expect(vals(r)).toEqual([0, 1, 2, 0, 1, 2]);
    // expand of a transposed view
    const t = t64(iota(3), [1, 3]).T.expand(3, 2);
    expect(vals(t)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('rejects bad expansions with RangeError', () => {
    const x = tg.zeros([3, 1]);
    expectError(() => x.expand(3, 4).expand(3, 5), RangeError, /expand/);
    expectError(() => x.expand(4, 4), RangeError, /expand/, /\[3, 1\]/);
    expectError(() => x.expand(4), RangeError, /expand/);
    expectError(() => x.expand(-1, 3, 4), RangeError, /expand/);
    expectError(() => x.expand(3, -2), RangeError, /expand/);
  });

  it('an expanded tensor is a view of its base', () => {
    const x = t64(Float64Array.from([1, 2, 3]), [3, 1]);
    const e = x.expand(2, 3, 4);
    tg.noGrad(() => x.narrow(0, 1, 1).fill_(-5));
    expect(vals(e)).toEqual([1, 1, 1, 1, -5, -5, -5, -5, 3, 3, 3, 3, 1, 1, 1, 1, -5, -5, -5, -5, 3, 3, 3, 3]);
  });

  it('the gradient of an expand sums over the broadcast dims (hand-derived and gradcheck)', () => {
    const x = tg.tensor([[1], [2], [3]], { dtype: 'float64', requiresGrad: true });
    const w = t64(iota(24), [2, 3, 4]);
    x.expand(2, 3, 4).mul(w).sum().backward();
    // d/dx[i] = sum over b, j of w[b, i, j]
    const expected = [0, 1, 2].map((i) => [0, 1].reduce((s, b) => s + [0, 1, 2, 3].reduce((q, j) => q + (b * 12 + i * 4 + j), 0), 0));
    expect(vals(x.grad!)).toEqual(expected);
    gc((a) => a.expand(2, 3, 4), [t64(sample([3, 1], 5), [3, 1], true)]);
    gc((a) => a.expand(4, -1), [t64(sample([3], 6), [3], true)]);
    gc((a) => a.expand(2, 3), [t64(sample([], 7), [], true)]);
    gc((a) => a.T.expand(2, 3, 2), [t64(sample([2, 3], 8), [2, 3], true)]);
  });
});

// ---- narrow / slice --------------------------------------------------------------------------

describe('narrow and slice', () => {
  it('narrow along each dim, with a negative start', () => {
    const x = t64(iota(20), [5, 4]);
    expect(vals(x.narrow(0, 1, 3))).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(vals(x.narrow(-1, 2, 2))).toEqual([2, 3, 6, 7, 10, 11, 14, 15, 18, 19]);
    expect(vals(tg.narrow(x, 1, -2, 1))).toEqual([2, 6, 10, 14, 18]);
    expect(x.narrow(0, 5, 0).shape).toEqual([0, 4]);
    expect(vals(x.T.narrow(0, 1, 2))).toEqual([1, 5, 9, 13, 17, 2, 6, 10, 14, 18]);
    expectError(() => x.narrow(0, 3, 3), RangeError, /narrow/);
    expectError(() => x.narrow(0, 6, 0), RangeError, /narrow/);
    expectError(() => x.narrow(0, -6, 1), RangeError, /narrow/);
    expectError(() => x.narrow(0, 0, -1), RangeError, /narrow/);
    expectError(() => x.narrow(2, 0, 1), RangeError, /narrow/);
  });

  it('slice follows Python slicing: negative and out-of-range bounds clamp, step > 1', () => {
    const x = t64(iota(10), [10]);
    const cases: [number | null | undefined, number | null | undefined, number | undefined, number[]][] = [
      [-100, 100, 3, [0, 3, 6, 9]],
      [8, 2, 1, []],
      [-3, undefined, undefined, [7, 8, 9]],
      [2, -2, undefined, [2, 3, 4, 5, 6, 7]],
      [null, null, 4, [0, 4, 8]],
      [1, 9, 3, [1, 4, 7]],
      [-4, -1, 2, [6, 8]],
      [12, undefined, undefined, []],
      [undefined, -12, undefined, []],
      [0, 10, 1, [...iota(10)]],
      [9, 10, 5, [9]],
    ];
    for (const [s, e, st, expected] of cases) {
      const y = st === undefined ? x.slice(0, s, e) : x.slice(0, s, e, st);
      expect(y.shape, `[${s}:${e}:${st}]`).toEqual([expected.length]);
      expect(vals(y), `[${s}:${e}:${st}]`).toEqual(expected);
    }
    const m = t64(iota(20), [4, 5]);
    expect(vals(m.slice(1, 1, undefined, 2))).toEqual([1, 3, 6, 8, 11, 13, 16, 18]);
    expect(vals(tg.slice(m, -2, -3, 100, 2))).toEqual([5, 6, 7, 8, 9, 15, 16, 17, 18, 19]);
    // slicing a view: every other column of the transpose
    expect(vals(m.T.slice(0, 0, 5, 2))).toEqual([0, 5, 10, 15, 2, 7, 12, 17, 4, 9, 14, 19]);
    // slice of a slice
    expect(vals(x.slice(0, 1, 10, 2).slice(0, 1, 5, 2))).toEqual([3, 7]);
    expectError(() => x.slice(0, 0, 5, 0), RangeError, /slice/, /step/);
    expectError(() => x.slice(0, 0, 5, -1), RangeError, /slice/);
    expectError(() => x.slice(1, 0, 5), RangeError, /slice/);
  });

  it('narrow and slice are views', () => {
    const x = t64(iota(10), [10]);
    const n = x.narrow(0, 2, 3);
    const s = x.slice(0, 1, 10, 3); // 1, 4, 7
    tg.noGrad(() => x.narrow(0, 3, 2).fill_(-1)); // x[3], x[4]
    expect(vals(n)).toEqual([2, -1, -1]);
    expect(vals(s)).toEqual([1, -1, 7]);
    tg.noGrad(() => s.fill_(50));
    expect(vals(x)).toEqual([0, 50, 2, -1, 50, 5, 6, 50, 8, 9]);
  });

  it('gradient of slice: ones where selected, zeros elsewhere (hand-derived), and gradcheck', () => {
    const x = tg.zeros([7], { dtype: 'float64', requiresGrad: true });
    x.slice(0, 1, 7, 3).mul(tg.tensor([2, 3], { dtype: 'float64' })).sum().backward();
    expect(vals(x.grad!)).toEqual([0, 2, 0, 0, 3, 0, 0]);
    const m = f64([4, 5], 9, true);
    gc((a) => a.narrow(1, 1, 3), [m]);
    gc((a) => a.narrow(0, -3, 2).mul(a.narrow(0, 0, 2)), [m]);
    gc((a) => a.slice(1, 0, 5, 2), [m]);
    gc((a) => a.slice(0, -3, undefined, 2), [m]);
    gc((a) => a.T.slice(0, 1, 5, 3), [m]);
  });

  it('gradgradcheck through slice and narrow', () => {
    const m = f64([3, 5], 10, true);
    expect(tg.gradgradcheck((a: tg.Tensor) => a.slice(1, 0, 5, 2).square(), [m])).toBe(true);
    expect(tg.gradgradcheck((a: tg.Tensor) => a.narrow(0, 1, 2).square(), [m])).toBe(true);
  });
});

// ---- cat / stack -----------------------------------------------------------------------------

/** Reference cat of row-major arrays along dim. */
function refCat(parts: { data: ArrayLike<number>; shape: number[] }[], dim: number): { data: number[]; shape: number[] } {
  const shape = parts[0].shape.slice();
  shape[dim] = parts.reduce((s, p) => s + p.shape[dim], 0);
  const starts: number[] = [];
  let acc = 0;
  for (const p of parts) {
    starts.push(acc);
    acc += p.shape[dim];
  }
  return {
    shape,
    data: build(shape, (idx) => {
      let k = 0;
      while (idx[dim] >= starts[k] + parts[k].shape[dim]) k++;
      const src = idx.slice();
      src[dim] -= starts[k];
      return parts[k].data[offsetOf(src, parts[k].shape)];
    }),
  };
}

describe('cat and stack', () => {
  it('cat along each dim (negative too) against the reference', () => {
    const specs: [number[][], number][] = [
      [[[2, 3], [4, 3], [1, 3]], 0],
      [[[2, 3], [2, 1], [2, 5]], 1],
      [[[2, 3], [2, 2]], -1],
      [[[2, 3, 4], [2, 1, 4], [2, 2, 4]], 1],
      [[[2, 3, 4], [2, 3, 2]], 2],
      [[[1, 3, 4], [3, 3, 4]], -3],
      [[[5], [3]], 0],
    ];
    let seed = 40;
    for (const [shapes, dim] of specs) {
      const datas = shapes.map((s) => sample(s, seed++));
      const ts = shapes.map((s, i) => t64(datas[i], s));
      const ref = refCat(shapes.map((s, i) => ({ data: datas[i], shape: s })), dim < 0 ? dim + shapes[0].length : dim);
      const y = tg.cat(ts, dim);
      expect(y.shape).toEqual(ref.shape);
      expect(vals(y), `cat ${JSON.stringify(shapes)} dim ${dim}`).toEqual(ref.data);
    }
    // default dim 0
    expect(vals(tg.cat([t64(iota(2), [1, 2]), t64(iota(2, 10), [1, 2])]))).toEqual([0, 1, 0, 10]);
  });

  it('cat with zero-size parts, non-contiguous parts, and one part', () => {
    const a = t64(iota(6), [2, 3]);
    const e = tg.zeros([2, 0], { dtype: 'float64' });
    const y = tg.cat([e, a, e, a.mul(-1)], 1);
    expect(y.shape).toEqual([2, 6]);
    expect(vals(y)).toEqual([0, 1, 2, -0, -1, -2, 3, 4, 5, -3, -4, -5]);
    expect(tg.cat([tg.zeros([0, 3]), tg.zeros([0, 3])]).shape).toEqual([0, 3]);
    expect(vals(tg.cat([tg.zeros([0, 3], { dtype: 'float64' }), a], 0))).toEqual([...iota(6)]);
    const t = a.T; // [3, 2], non-contiguous
    expect(vals(tg.cat([t, t.slice(1, 0, 2, 1)], 1))).toEqual([0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5]);
    const one = tg.cat([a], 1);
    expect(vals(one)).toEqual([...iota(6)]);
  });

  it('cat promotes float32 + float64 to float64 (and the float32 input gets a float32 gradient)', () => {
    const a = tg.tensor([[0.1, 0.2]], { dtype: 'float32', requiresGrad: true });
    const b = tg.tensor([[0.3, 0.4]], { dtype: 'float64', requiresGrad: true });
    const y = tg.cat([a, b], 0);
    expect(y.dtype).toBe('float64');
    expectClose(y.data(), [Math.fround(0.1), Math.fround(0.2), 0.3, 0.4], 0, 0);
    expect(tg.cat([b, a], 1).dtype).toBe('float64');
    y.mul(tg.tensor([[1, 2], [3, 4]], { dtype: 'float64' })).sum().backward();
    expect(a.grad!.dtype).toBe('float32');
    expect(vals(a.grad!)).toEqual([1, 2]);
    expect(b.grad!.dtype).toBe('float64');
    expect(vals(b.grad!)).toEqual([3, 4]);
    expect(tg.cat([tg.zeros([1]), tg.zeros([2])]).dtype).toBe('float32');
  });

  it('cat copies: changing an input afterwards does not change the result', () => {
    const a = t64(iota(3), [3]);
    const y = tg.cat([a, a]);
    tg.noGrad(() => a.fill_(9));
    expect(vals(y)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('cat errors', () => {
    const a = tg.zeros([2, 3]);
    expectError(() => tg.cat([a, tg.zeros([3, 2])], 0), RangeError, /cat/, /\[2, 3\]/, /\[3, 2\]/);
    expectError(() => tg.cat([a, tg.zeros([2, 3, 1])], 0), RangeError, /cat/);
    expectError(() => tg.cat([a, a], 2), RangeError, /cat/);
    expectError(() => tg.cat([tg.tensor(1), tg.tensor(2)]), RangeError, /cat/);
    expectError(() => tg.cat([]), TypeError, /cat/);
    expectError(() => tg.cat([a, [1, 2] as unknown as tg.Tensor]), TypeError, /cat/);
  });

  it('stack along every dim (negative too)', () => {
    const a = t64(iota(6), [2, 3]);
    const b = t64(iota(6, -1), [2, 3]);
    const shapes: [number, number[]][] = [
      [0, [2, 2, 3]],
      [1, [2, 2, 3]],
      [2, [2, 3, 2]],
      [-1, [2, 3, 2]],
      [-3, [2, 2, 3]],
    ];
    for (const [d, shape] of shapes) {
      const y = tg.stack([a, b], d);
      expect(y.shape, `dim ${d}`).toEqual(shape);
      const dd = d < 0 ? d + 3 : d;
      // y[..., k at dd, ...] = (k == 0 ? a : b)[rest]
      const expected = build(shape, (idx) => {
        const k = idx[dd];
        const rest = idx.filter((_, i) => i !== dd);
        const v = rest[0] * 3 + rest[1];
        return k === 0 ? v : -v;
      });
      expect(vals(y), `dim ${d}`).toEqual(expected);
    }
    expect(tg.stack([tg.tensor(1), tg.tensor(2), tg.tensor(3)]).toArray()).toEqual([1, 2, 3]);
    expect(tg.stack([a.T, b.T], 1).shape).toEqual([3, 2, 2]);
    expect(vals(tg.stack([a.T, b.T], 0))).toEqual([0, 3, 1, 4, 2, 5, -0, -3, -1, -4, -2, -5]);
    expectError(() => tg.stack([a, tg.zeros([3, 2], { dtype: 'float64' })]), RangeError, /stack/);
    expectError(() => tg.stack([a, b], 3), RangeError, /stack/);
    expectError(() => tg.stack([a, b], -4), RangeError, /stack/);
  });

  it('gradcheck: cat along each dim (three inputs, one empty), stack', () => {
    const x = f64([2, 3, 4], 50, true);
    const y = f64([2, 3, 4], 51, true);
    const z = f64([2, 3, 4], 52, true);
    for (const d of [0, 1, 2, -1]) gc((a, b, c) => tg.cat([a, b, c], d), [x, y, z], `cat dim ${d}`);
    gc((a, b) => tg.cat([a, b.narrow(1, 0, 0), a.mul(b)], 1), [x, y], 'cat with an empty part and a repeated input');
    gc((a, b) => tg.cat([a.transpose(0, 2), b.transpose(0, 2)], 1), [x, y], 'cat of views');
    for (const d of [0, 1, 3, -2]) gc((a, b) => tg.stack([a, b], d), [x, y], `stack dim ${d}`);
  });

  it('gradgradcheck through cat', () => {
    const x = f64([2, 3], 53, true);
    const y = f64([2, 2], 54, true);
    expect(tg.gradgradcheck((a: tg.Tensor, b: tg.Tensor) => tg.cat([a, b], 1).square(), [x, y])).toBe(true);
  });
});

// ---- split / chunk ---------------------------------------------------------------------------

describe('split and chunk', () => {
  it('split by a size (last part shorter) and by a list of sizes, along a dim', () => {
    const x = t64(iota(10), [5, 2]);
    const parts = x.split(2);
    expect(parts.map((p) => p.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(parts.map(vals)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const byList = tg.split(x, [1, 3, 1], 0);
    expect(byList.map(vals)).toEqual([[0, 1], [2, 3, 4, 5, 6, 7], [8, 9]]);
    const withZero = x.split([0, 5, 0]);
    expect(withZero.map((p) => p.shape)).toEqual([[0, 2], [5, 2], [0, 2]]);
    const cols = x.split(1, 1);
    expect(cols.map(vals)).toEqual([[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]);
    expect(x.split(7).length).toBe(1);
    expect(x.split([2, 0], -1).map((p) => p.shape)).toEqual([[5, 2], [5, 0]]);
    expectError(() => x.split([2, 2]), RangeError, /split/);
    expectError(() => x.split([6, -1]), RangeError, /split/);
    expectError(() => x.split(0), RangeError, /split/);
    expectError(() => x.split(2, 2), RangeError, /split/);
  });

  it("chunk sizes follow PyTorch (ceil(n / chunks) each, maybe fewer chunks)", () => {
    const sizes = (n: number, c: number) => t64(iota(n), [n]).chunk(c).map((p) => p.shape[0]);
    expect(sizes(5, 3)).toEqual([2, 2, 1]);
    expect(sizes(6, 4)).toEqual([2, 2, 2]);
    expect(sizes(6, 3)).toEqual([2, 2, 2]);
    expect(sizes(4, 4)).toEqual([1, 1, 1, 1]);
    expect(sizes(2, 5)).toEqual([1, 1]);
    expect(sizes(10, 4)).toEqual([3, 3, 3, 1]);
    expect(sizes(7, 1)).toEqual([7]);
    const x = t64(iota(15), [3, 5]);
    const parts = tg.chunk(x, 3, 1);
    expect(parts.map((p) => p.shape)).toEqual([[3, 2], [3, 2], [3, 1]]);
    expect(parts.map(vals)).toEqual([[0, 1, 5, 6, 10, 11], [2, 3, 7, 8, 12, 13], [4, 9, 14]]);
    expect(x.chunk(2, -2).map((p) => p.shape)).toEqual([[2, 5], [1, 5]]);
    expectError(() => x.chunk(0), RangeError, /chunk/);
  });

  it('chunk of an empty dim returns `chunks` empty tensors (PyTorch: torch.zeros(0).chunk(3) has 3 parts)', () => {
    const parts = tg.zeros([0]).chunk(3);
    expect(parts.length).toBe(3);
    expect(parts.map((p) => p.shape)).toEqual([[0], [0], [0]]);
    expect(tg.zeros([2, 0]).chunk(2, 1).map((p) => p.shape)).toEqual([[2, 0], [2, 0]]);
  });

  it('split and chunk of a 0-d tensor throw a RangeError naming the op (PyTorch: "expects at least a 1-dimensional tensor")', () => {
    const s = tg.tensor(3);
    expectError(() => s.split(1), RangeError, /split/);
    expectError(() => tg.split(s, [1]), RangeError, /split/);
    expectError(() => s.chunk(2), RangeError, /chunk/);
  });

  it('split / chunk parts are views', () => {
    const x = t64(iota(6), [6]);
    const [a, b] = x.split([2, 4]);
    const c = x.chunk(3)[2];
    tg.noGrad(() => x.fill_(1));
    expect(vals(a)).toEqual([1, 1]);
    expect(vals(b)).toEqual([1, 1, 1, 1]);
    expect(vals(c)).toEqual([1, 1]);
    tg.noGrad(() => b.narrow(0, 0, 1).fill_(-3));
    expect(vals(x)).toEqual([1, 1, -3, 1, 1, 1]);
  });

  it('gradcheck: split and chunk (all parts as outputs, and one part used)', () => {
    const x = f64([5, 3], 60, true);
    gc((a) => a.split(2), [x]);
    gc((a) => a.split([1, 2], 1), [x]);
    gc((a) => a.chunk(3), [x]);
    gc((a) => a.chunk(2, -1)[1], [x], 'one chunk used');
    gc((a) => {
      const [p, q] = a.split([2, 3]);
      return p.sum(0).mul(q.sum(0));
    }, [x], 'parts combined');
  });
});

// ---- indexSelect / gather --------------------------------------------------------------------

describe('indexSelect', () => {
  it('selects along each dim with repeated indices, against the reference', () => {
    const shape = [4, 3, 2];
    const data = iota(24);
    const x = t64(data, shape);
    const idx = [2, 0, 2, 3];
    for (const dim of [0, 1, 2, -1, -3]) {
      const d = dim < 0 ? dim + 3 : dim;
      const index = i32(idx.map((i) => i % shape[d]));
      const list = [...index.data()];
      const y = x.indexSelect(dim, index);
      const oshape = shape.slice();
      oshape[d] = list.length;
      expect(y.shape).toEqual(oshape);
      expect(y.dtype).toBe('float64');
      const expected = build(oshape, (o) => {
        const src = o.slice();
        src[d] = list[o[d]];
        return data[offsetOf(src, shape)];
      });
      expect(vals(y), `dim ${dim}`).toEqual(expected);
      expect(vals(tg.indexSelect(x, dim, index))).toEqual(expected);
    }
  });

  it('works on float32, int32 and non-contiguous input, with an empty or 0-d index', () => {
    const x32 = tg.tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float32' });
    expect(x32.indexSelect(0, i32([2, 2, 0])).toArray()).toEqual([[5, 6], [5, 6], [1, 2]]);
    expect(x32.indexSelect(0, i32([2, 2, 0])).dtype).toBe('float32');
    const xi = tg.tensor([[1, 2], [3, 4]], { dtype: 'int32' });
    expect(xi.indexSelect(1, i32([1])).toArray()).toEqual([[2], [4]]);
    const t = t64(iota(6), [2, 3]).T; // [[0,3],[1,4],[2,5]]
    expect(t.indexSelect(0, i32([2, 0])).toArray()).toEqual([[2, 5], [0, 3]]);
    expect(t.indexSelect(1, i32([1])).toArray()).toEqual([[3], [4], [5]]);
    expect(t.indexSelect(0, tg.zeros([0], { dtype: 'int32' })).shape).toEqual([0, 2]);
    expect(t.indexSelect(0, i32(1)).toArray()).toEqual([[1, 4]]);
  });

  it('gradient accumulates over repeated indices (hand-derived)', () => {
    const x = tg.zeros([4, 2], { dtype: 'float64', requiresGrad: true });
    const w = tg.tensor([[1, 2], [3, 4], [5, 6], [7, 8]], { dtype: 'float64' });
    x.indexSelect(0, i32([1, 3, 1, 1])).mul(w).sum().backward();
    // row 1 gets rows 0, 2, 3 of w; row 3 gets row 1; rows 0 and 2 get nothing
    expect(x.grad!.toArray()).toEqual([[0, 0], [13, 16], [0, 0], [3, 4]]);
    const y = tg.zeros([2, 3], { dtype: 'float64', requiresGrad: true });
    y.indexSelect(1, i32([2, 2, 0, 2])).sum().backward();
    expect(y.grad!.toArray()).toEqual([[1, 0, 3], [1, 0, 3]]);
  });

  it('bad indices: out of range -> RangeError, float index -> TypeError, 2-D index -> RangeError', () => {
    const x = tg.zeros([4, 3]);
    expectError(() => x.indexSelect(0, i32([0, 4])), RangeError, /indexSelect/, /4/);
    expectError(() => x.indexSelect(1, i32([3])), RangeError, /indexSelect/);
    expectError(() => x.indexSelect(0, i32([-1])), RangeError, /indexSelect/);
    expectError(() => x.indexSelect(0, tg.tensor([1])), TypeError, /indexSelect/, /int32/);
    expectError(() => x.indexSelect(0, i32([[0, 1]])), RangeError, /indexSelect/);
    expectError(() => x.indexSelect(2, i32([0])), RangeError, /indexSelect/);
    // the process lives on and the op still works
    expect(x.indexSelect(0, i32([3])).shape).toEqual([1, 3]);
  });

  it('gradcheck with repeated indices along each dim, and gradgradcheck', () => {
    const x = f64([4, 3, 2], 70, true);
    gc((a) => a.indexSelect(0, i32([3, 1, 3, 3])), [x]);
    gc((a) => a.indexSelect(1, i32([2, 2, 0])), [x]);
    gc((a) => a.indexSelect(-1, i32([1, 0, 1])), [x]);
    gc((a) => a.transpose(0, 2).indexSelect(0, i32([1, 1])), [x], 'non-contiguous input');
    expect(tg.gradgradcheck((a: tg.Tensor) => a.indexSelect(1, i32([2, 2, 0])).square(), [f64([2, 3], 71, true)])).toBe(true);
  });
});

describe('gather', () => {
  it('gathers along dim 1 and dim 0 (hand-derived), with an index smaller than the input', () => {
    const x = t64(iota(12), [3, 4]); // [[0..3],[4..7],[8..11]]
    expect(x.gather(1, i32([[0, 0], [3, 1], [2, 2]])).toArray()).toEqual([[0, 0], [7, 5], [10, 10]]);
    expect(tg.gather(x, 0, i32([[2, 0, 1, 2], [0, 0, 0, 0]])).toArray()).toEqual([[8, 1, 6, 11], [0, 1, 2, 3]]);
    expect(x.gather(-1, i32([[3], [0]])).toArray()).toEqual([[3], [4]]);
    expect(x.gather(0, i32([[1]])).toArray()).toEqual([[4]]);
    expect(x.T.gather(1, i32([[2, 0], [1, 1]])).toArray()).toEqual([[8, 0], [5, 5]]);
  });

  it('matches the reference on 3-D input along each dim', () => {
    const shape = [3, 4, 5];
    const data = iota(60);
    const x = t64(data, shape);
    const ishape = [2, 3, 4];
    for (const dim of [0, 1, 2]) {
      const n = shape[dim];
      const idx = build(ishape, (o) => (o[0] * 7 + o[1] * 3 + o[2] * 5) % n);
      const index = tg.tensor(Int32Array.from(idx), { shape: ishape, dtype: 'int32' });
      const expected = build(ishape, (o) => {
        const src = o.slice();
        src[dim] = idx[offsetOf(o, ishape)];
        return data[offsetOf(src, shape)];
      });
      expect(vals(x.gather(dim, index)), `dim ${dim}`).toEqual(expected);
    }
  });

  it('gradient accumulates over repeated indices (hand-derived)', () => {
    const x = tg.zeros([2, 3], { dtype: 'float64', requiresGrad: true });
    x.gather(1, i32([[0, 0, 2], [1, 1, 1]])).mul(tg.tensor([[1, 2, 4], [1, 10, 100]], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.toArray()).toEqual([[3, 0, 4], [0, 111, 0]]);
  });

  it('bad indices: out of range -> RangeError, wrong ndim -> RangeError, float index -> TypeError', () => {
    const x = tg.zeros([3, 4]);
    expectError(() => x.gather(1, i32([[4]])), RangeError, /gather/);
    expectError(() => x.gather(0, i32([[-1]])), RangeError, /gather/);
    expectError(() => x.gather(1, i32([0, 1])), RangeError, /gather/);
    expectError(() => x.gather(1, i32([[0], [0], [0], [0]])), RangeError, /gather/);
    expectError(() => x.gather(1, tg.tensor([[0]])), TypeError, /gather/);
    expect(x.gather(1, i32([[3]])).shape).toEqual([1, 1]);
  });

  it('gradcheck with repeated indices along each dim, and gradgradcheck', () => {
    const x = f64([3, 4], 80, true);
    gc((a) => a.gather(1, i32([[0, 0, 3], [2, 2, 2], [1, 0, 1]])), [x]);
    gc((a) => a.gather(0, i32([[2, 2, 0, 1], [2, 0, 0, 1]])), [x]);
    gc((a) => a.T.gather(0, i32([[1, 1], [3, 0]])), [x], 'non-contiguous input');
    const y = f64([2, 3, 2], 81, true);
    gc((a) => a.gather(2, i32([[[1, 1], [0, 1], [0, 0]], [[1, 1], [1, 1], [0, 1]]])), [y]);
    expect(tg.gradgradcheck((a: tg.Tensor) => a.gather(1, i32([[0, 0], [2, 1], [3, 3]])).square(), [x])).toBe(true);
  });
});
