// The per-call fast paths for small ops: slab-backed small outputs, the contiguous same-shape
// binary entry (binaryDense) and the bypass of the tape when nothing records. Each must give
// exactly what the general path gives.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample, t64 } from './helpers';

describe('small outputs in shared slabs', () => {
  it('are independent: writing one never changes another, across slab boundaries', () => {
    const outs: tg.Tensor[] = [];
    const want: number[] = [];
    // Mixed dtypes and sizes around the 64-byte limit, enough of them to fill many slabs.
    const sizes = [1, 2, 3, 7, 8, 9, 15, 16, 17, 0];
    for (let i = 0; i < 3000; i++) {
      const n = sizes[i % sizes.length];
      const dtype = (['float32', 'float64', 'int32'] as const)[i % 3];
      const t = tg.zeros([n], { dtype });
      expect(Array.from(t.data()), 'fresh storage is zeroed').toEqual(new Array(n).fill(0));
      outs.push(t);
      want.push(i % 1000);
    }
    outs.forEach((t, i) => t.fill_(want[i]));
    outs.forEach((t, i) => expect(Array.from(t.data()), `tensor ${i}`).toEqual(new Array(t.size).fill(want[i])));
  });

  it('hold float64 values exactly and keep them while many more small tensors are made', () => {
    const keep = tg.tensor([0.1], { dtype: 'float64' }).add(tg.tensor([0.2], { dtype: 'float64' }));
    for (let i = 0; i < 5000; i++) tg.tensor([i], { dtype: 'float64' }).mul(2);
    expect(keep.item()).toBe(0.1 + 0.2);
    expect(keep.data()).toBeInstanceOf(Float64Array);
  });

  it('work as inputs of every kind of op (views, in-place, matmul, backward)', () => {
    const a = tg.tensor([1, 2, 3, 4], { dtype: 'float64' }).mul(1); // a small op output
    const b = a.reshape(2, 2).transpose(0, 1); // non-contiguous view of it
    expect(b.contiguous().toArray()).toEqual([[1, 3], [2, 4]]);
    expect(tg.matmul(b, b).toArray()).toEqual([[7, 15], [10, 22]]);
    const c = a.clone();
    c.add_(a);
    expect(c.toArray()).toEqual([2, 4, 6, 8]);
    expect(a.toArray()).toEqual([1, 2, 3, 4]);
    const x = tg.tensor([0.5, -1.5], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(Array.from(x.grad!.data())).toEqual([1, -3]);
  });
});

describe('contiguous same-shape binary ops', () => {
  const ops: [string, (a: number, b: number) => number][] = [
    ['add', (a, b) => a + b], ['sub', (a, b) => a - b], ['mul', (a, b) => a * b], ['div', (a, b) => a / b],
    ['maximum', Math.max], ['minimum', Math.min], ['pow', (a, b) => a ** b],
    ['lt', (a, b) => +(a < b)], ['ge', (a, b) => +(a >= b)], ['eq', (a, b) => +(a === b)],
  ];
  for (const n of [0, 1, 5, 40000]) {
    it(`agree with a JS reference for ${n} elements, also at storage offsets`, () => {
      const A = sample([n + 3], 1, 0.5, 2);
      const B = sample([n + 5], 2, 0.5, 2);
      const a = t64(A, [n + 3]).narrow(0, 3, n); // contiguous view at offset 3
      const b = t64(B, [n + 5]).narrow(0, 1, n); // at offset 1
      for (const [name, f] of ops) {
        const out = (tg as unknown as Record<string, (x: tg.Tensor, y: tg.Tensor) => tg.Tensor>)[name](a, b);
        const want = Array.from({ length: n }, (_, i) => f(A[3 + i], B[1 + i]));
        expectClose(out.data(), want, 1e-15, 0, name);
        expect(out.shape).toEqual([n]);
      }
    });
  }

  it('with a number or 0-d operand on either side agree with a JS reference', () => {
    const X = sample([2, 3, 4], 5, 0.5, 2);
    const x = t64(X, [2, 3, 4]);
    const xs = x.narrow(0, 1, 1); // contiguous at offset 12
    const s = t64(Float64Array.from([0, 1.75]), [2]).narrow(0, 1, 1).squeeze(0); // 0-d at offset 1
    for (const [name, f] of ops) {
      const fn = (tg as unknown as Record<string, (p: unknown, q: unknown) => tg.Tensor>)[name];
      expectClose(fn(x, 1.75).data(), Array.from(X, (v) => f(v, 1.75)), 1e-15, 0, `${name}(x, number)`);
      expectClose(fn(1.75, x).data(), Array.from(X, (v) => f(1.75, v)), 1e-15, 0, `${name}(number, x)`);
      expectClose(fn(xs, s).data(), Array.from(X.slice(12), (v) => f(v, 1.75)), 1e-15, 0, `${name}(view, 0-d view)`);
      expectClose(fn(s, xs).data(), Array.from(X.slice(12), (v) => f(1.75, v)), 1e-15, 0, `${name}(0-d view, view)`);
      expect(fn(s, xs).shape).toEqual([1, 3, 4]);
    }
    expect(tg.tensor([1, 2], { dtype: 'int32' }).mul(3).toArray()).toEqual([3, 6]);
    expect(tg.sub(10, tg.zeros([0])).shape).toEqual([0]);
  });

  it('give the same result as the strided path (same shape but non-contiguous)', () => {
    const a = t64(sample([3, 4], 3), [3, 4]);
    const b = t64(sample([4, 3], 4), [4, 3]);
    const viaStrides = a.add(b.transpose(0, 1)); // general path
    const viaDense = a.add(b.transpose(0, 1).contiguous()); // dense path
    expect(Array.from(viaDense.data())).toEqual(Array.from(viaStrides.data()));
    expect(viaDense.shape).toEqual([3, 4]);
  });

  it('int32, 0-d and size-1 dims with odd strides take the dense path correctly', () => {
    const i = tg.tensor([1, 2, 3], { dtype: 'int32' });
    expect(i.add(i).toArray()).toEqual([2, 4, 6]);
    expect(i.add(i).dtype).toBe('int32');
    const s = tg.tensor(2.5, { dtype: 'float64' });
    expect(s.mul(s).item()).toBe(6.25);
    expect(s.mul(s).shape).toEqual([]);
    const u = tg.tensor([[1, 2, 3]]).transpose(0, 1).transpose(0, 1); // [1, 3], a size-1 dim
    expect(u.sub(u.mul(2)).toArray()).toEqual([[-1, -2, -3]]);
  });

  it('record only when grad mode is on and an input requires grad', () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    const c = tg.tensor([3, 4]);
    expect(tg.add(x, c).gradFn).toBe('add');
    expect(tg.add(c, c).gradFn).toBe(null);
    expect(tg.add(c, c).requiresGrad).toBe(false);
    tg.noGrad(() => {
      const y = tg.mul(x, c);
      expect(y.gradFn).toBe(null);
      expect(y.requiresGrad).toBe(false);
      expect(y.toArray()).toEqual([3, 8]);
    });
    const z = tg.mul(x, c).sum();
    z.backward();
    expect(Array.from(x.grad!.data())).toEqual([3, 4]);
  });
});

describe('native binaryDense validation', () => {
  it.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('rejects every malformed argument with an error', async () => {
    const { native } = await import('../src/native');
    const call = (...args: unknown[]) => () => (native.binaryDense as (...a: unknown[]) => void)(...args);
    const f32 = (n: number) => new Float32Array(n);
    expectError(call(0, f32(2), f32(2), 0, f32(2)), TypeError, /binaryDense: expected 6 arguments, got 5/);
    expectError(call(99, f32(2), f32(2), 0, f32(2), 0), RangeError, /binaryDense: op must be an integer/);
    expectError(call(0, [1, 2], f32(2), 0, f32(2), 0), TypeError, /binaryDense: out must be a Float32Array/);
    expectError(call(0, f32(2), new Uint8Array(8), 0, f32(2), 0), TypeError, /binaryDense: a must be a Float32Array/);
    expectError(call(0, f32(2), f32(2), 0, null, 0), TypeError, /binaryDense: b must be a Float32Array/);
    expectError(call(0, f32(2), new Float64Array(2), 0, f32(2), 0), TypeError, /binaryDense: dtype mismatch/);
    expectError(call(0, f32(2), f32(2), 0, new Int32Array(2), 0), TypeError, /binaryDense: dtype mismatch/);
    expectError(call(3, new Int32Array(2), new Int32Array(2), 0, new Int32Array(2), 0), TypeError, /div and pow need float/);
    expectError(call(0, f32(2), f32(2), -1, f32(2), 0), RangeError, /aOffset must be an integer in \[0, 2\]/);
    expectError(call(0, f32(2), f32(2), 0.5, f32(2), 0), RangeError, /aOffset must be an integer/);
    expectError(call(0, f32(2), f32(2), 0, f32(2), 3), RangeError, /bOffset must be an integer in \[0, 2\]/);
    expectError(call(0, f32(2), f32(2), 0, f32(2), '0'), TypeError, /bOffset must be a number/);
    expectError(call(0, f32(2), f32(2), 1, f32(2), 0), RangeError, /binaryDense: a has length 2, expected at least 3/);
    expectError(call(0, f32(3), f32(3), 0, f32(2), 0), RangeError, /binaryDense: b has length 2, expected at least 3/);
    // Still alive and working.
    const out = f32(2);
    native.binaryDense(2, out, Float32Array.from([9, 2, 3]), 1, Float32Array.from([4, 5]), 0);
    expect(Array.from(out)).toEqual([8, 15]);
  });
});

describe('unary ops on the direct path', () => {
  it('agree with a JS reference for contiguous views, strided views and 0-d tensors', () => {
    const X = sample([3, 4], 6, 0.2, 2);
    const x = t64(X, [3, 4]);
    const fs: [string, (v: number) => number][] = [['exp', Math.exp], ['sqrt', Math.sqrt], ['neg', (v) => -v], ['tanh', Math.tanh]];
    for (const [name, f] of fs) {
      const fn = (t: tg.Tensor) => (t as unknown as Record<string, () => tg.Tensor>)[name]();
      expectClose(fn(x.narrow(0, 1, 2)).data(), Array.from(X.slice(4), f), 1e-15, 0, `${name} offset view`);
      const tr = fn(x.transpose(0, 1));
      expectClose(tr.data(), Array.from({ length: 12 }, (_, i) => f(X[(i % 3) * 4 + Math.floor(i / 3)])), 1e-15, 0, `${name} transposed`);
      expect(tr.shape).toEqual([4, 3]);
      const s = fn(x.narrow(0, 2, 1).narrow(1, 3, 1).squeeze(0).squeeze(0));
      expect(s.shape).toEqual([]);
      expectClose([s.item()], [f(X[11])], 1e-15, 0, `${name} 0-d`);
    }
    expect(tg.clamp(x, 0.5, 1).shape).toEqual([3, 4]);
    expect(tg.zeros([0, 3]).exp().shape).toEqual([0, 3]);
  });

  it('record exactly when grad mode is on and the input requires grad', () => {
    const x = tg.tensor([0.5, 2], { dtype: 'float64', requiresGrad: true });
    expect(x.exp().gradFn).toBe('exp');
    expect(tg.noGrad(() => x.exp()).gradFn).toBe(null);
    expect(x.detach().exp().requiresGrad).toBe(false);
    x.square().sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([1, 4]);
  });
});

describe('full reductions on the direct plan', () => {
  it('match the explicit list of every dim, with and without keepDim', () => {
    const x = t64(sample([2, 3, 4], 7), [2, 3, 4]).transpose(0, 2);
    for (const keepDim of [false, true]) {
      for (const name of ['sum', 'mean', 'max', 'logsumexp', 'var']) {
        const fn = (tg as unknown as Record<string, (t: tg.Tensor, d: unknown, k: boolean) => tg.Tensor>)[name];
        const all = fn(x, null, keepDim);
        const listed = fn(x, [0, 1, 2], keepDim);
        expect(all.shape, name).toEqual(keepDim ? [1, 1, 1] : []);
        expect(Array.from(all.data()), name).toEqual(Array.from(listed.data()));
      }
    }
    const s = tg.tensor(3, { dtype: 'float64', requiresGrad: true });
    expect(s.sum().shape).toEqual([]);
    s.mul(s).sum().backward();
    expect(s.grad!.item()).toBe(6);
  });
});
