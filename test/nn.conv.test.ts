// conv2d, maxPool2d, avgPool2d and their modules: PyTorch fixtures, gradcheck (first and second order),
// thread-count determinism, PyTorch's kink conventions, bad input and Conv2d's initialisation.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample, t64 } from './helpers';

const nn = tg.nn;
const F = tg.nn.functional;
const f64 = (shape: number[], seed: number, grad = true, lo = -2, hi = 2) => t64(sample(shape, seed, lo, hi), shape, grad);

interface Enc { data: number[]; shape: number[] }
interface Case {
  name: string; fn: 'conv2d' | 'maxPool2d' | 'avgPool2d'; opts: Record<string, unknown>; kernel?: number | number[];
  x: Enc; weight?: Enc; bias?: Enc; out: Enc; gout: Enc; gx: Enc; gw?: Enc; gb?: Enc;
}
// Generated once by test/fixtures/make_conv_fixture.py with torch 1.13 (float64).
const fixture = JSON.parse(readFileSync(resolve(__dirname, 'fixtures', 'conv.json'), 'utf8')) as { cases: Case[] };

function runCase(c: Case, dtype: 'float32' | 'float64') {
  const dec = (e: Enc) => tg.tensor(Float64Array.from(e.data), { dtype: 'float64', shape: e.shape }).to(dtype).requiresGrad_(true);
  const x = dec(c.x);
  const w = c.weight ? dec(c.weight) : null;
  const b = c.bias ? dec(c.bias) : null;
  let out: tg.Tensor;
  if (c.fn === 'conv2d') out = F.conv2d(x, w!, b, c.opts);
  else if (c.fn === 'maxPool2d') out = F.maxPool2d(x, c.kernel as number, c.opts);
  else out = F.avgPool2d(x, c.kernel as number, c.opts);
  const gout = tg.tensor(Float64Array.from(c.gout.data), { dtype: 'float64', shape: c.gout.shape }).to(dtype);
  const inputs = [x, w, b].filter((t): t is tg.Tensor => t !== null);
  const grads = tg.grad(out.mul(gout).sum(), inputs);
  return { out, grads };
}

describe('conv and pooling match PyTorch (fixture)', () => {
  it('has the fixture cases', () => expect(fixture.cases.length).toBeGreaterThan(25));
  for (const dtype of ['float64', 'float32'] as const) {
    const tol = dtype === 'float64' ? 1e-10 : 1e-5;
    for (const c of fixture.cases) {
      it(`${dtype} ${c.fn} ${c.name}`, () => {
        const { out, grads } = runCase(c, dtype);
        expect(out.shape).toEqual(c.out.shape);
        expect(out.dtype).toBe(dtype);
        expectClose(out.data(), c.out.data, tol, tol, 'value');
        expectClose(grads[0]!.data(), c.gx.data, tol, tol, 'grad input');
        if (c.gw) expectClose(grads[1]!.data(), c.gw.data, tol, tol, 'grad weight');
        if (c.gb) expectClose(grads[2]!.data(), c.gb.data, tol, tol, 'grad bias');
      });
    }
  }
});

describe('gradcheck in float64', () => {
  const gc = (fn: (...t: tg.Tensor[]) => tg.Tensor, inputs: tg.Tensor[]) => expect(tg.gradcheck(fn, inputs)).toBe(true);
  const ggc = (fn: (...t: tg.Tensor[]) => tg.Tensor, inputs: tg.Tensor[]) => expect(tg.gradgradcheck(fn, inputs)).toBe(true);
  const convCases: [string, number[], number[], Record<string, unknown>][] = [
    ['plain', [2, 3, 5, 5], [2, 3, 3, 3], {}],
    ['stride [2,1] padding [1,2]', [2, 2, 6, 5], [3, 2, 3, 2], { stride: [2, 1], padding: [1, 2] }],
    ['dilation 2 padding 1', [1, 2, 7, 6], [2, 2, 3, 2], { dilation: 2, padding: 1 }],
    ['groups 2 stride 2', [2, 4, 5, 5], [4, 2, 2, 3], { groups: 2, stride: 2, padding: 1 }],
    ['pointwise groups 2', [2, 4, 3, 3], [2, 2, 1, 1], { groups: 2 }],
    // Output rows as wide as input rows (im2col's one-copy blocks), wider than one vector:
    ['same width, 21 wide', [1, 2, 4, 21], [2, 2, 3, 3], { padding: 1 }],
    ['same width, kernel taller than the input', [1, 1, 2, 6], [2, 1, 5, 3], { padding: [2, 1] }],
  ];
  for (const [name, xs, ws, opts] of convCases) {
    it(`conv2d ${name}: input, weight and bias`, () => {
      gc((x, w, b) => F.conv2d(x, w, b, opts), [f64(xs, 1), f64(ws, 2), f64([ws[0]], 3)]);
    });
    it(`conv2d ${name}: second order (double backward)`, () => {
      ggc((x, w, b) => F.conv2d(x, w, b, opts), [f64(xs, 4), f64(ws, 5), f64([ws[0]], 6)]);
    });
  }
  it('conv2d unbatched input', () => gc((x, w) => F.conv2d(x, w, null, { padding: 1 }), [f64([2, 4, 4], 7), f64([3, 2, 3, 3], 8)]));

  // Distinct values well apart keep max pooling away from ties, where it is not differentiable.
  const distinct = (shape: number[], seed: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const perm = Array.from({ length: n }, (_, i) => i);
    const r = sample([n], seed, 0, 1);
    perm.sort((a, b) => r[a] - r[b]);
    return t64(Float64Array.from(perm, (v) => v * 0.1 - n * 0.05), shape, true);
  };
  const poolCases: [string, number[], number | number[], Record<string, unknown>][] = [
    ['k3 s2 p1 overlapping', [2, 2, 7, 7], 3, { stride: 2, padding: 1 }],
    ['k3 s2 p1 ceilMode', [1, 2, 8, 8], 3, { stride: 2, padding: 1, ceilMode: true }],
    ['k[2,3] s1 p1 ceilMode', [1, 2, 5, 6], [2, 3], { stride: 1, padding: 1, ceilMode: true }],
  ];
  for (const [name, xs, k, opts] of poolCases) {
    it(`maxPool2d ${name}`, () => {
      gc((x) => F.maxPool2d(x, k, opts), [distinct(xs, 9)]);
      ggc((x) => F.maxPool2d(x, k, opts), [distinct(xs, 10)]);
    });
    for (const countIncludePad of [true, false]) {
      it(`avgPool2d ${name} countIncludePad=${countIncludePad}`, () => {
        gc((x) => F.avgPool2d(x, k, { ...opts, countIncludePad }), [f64(xs, 11)]);
        ggc((x) => F.avgPool2d(x, k, { ...opts, countIncludePad }), [f64(xs, 12)]);
      });
    }
  }
  it('maxPool2d with dilation, avgPool2d with divisorOverride', () => {
    gc((x) => F.maxPool2d(x, 2, { stride: 1, dilation: 2, padding: 1 }), [distinct([1, 2, 6, 5], 13)]);
    gc((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, divisorOverride: 4 }), [f64([1, 2, 6, 5], 14)]);
  });
  it('a small CNN end to end (conv, relu, pool, linear) through gradcheck', () => {
    const w1 = f64([3, 1, 3, 3], 15);
    const w2 = f64([2, 3, 2, 2], 16);
    const fn = (x: tg.Tensor, a: tg.Tensor, b: tg.Tensor) =>
      F.conv2d(F.avgPool2d(F.conv2d(x, a, null, { padding: 1 }).tanh(), 2), b).square().sum();
    gc(fn, [f64([2, 1, 6, 6], 17), w1, w2]);
  });
});

describe('PyTorch conventions at kinks and edges', () => {
  it('max pooling: the first maximum of a window gets the gradient; NaN propagates', () => {
    const x = tg.tensor([[[[1, 3, 3], [3, 2, 0], [3, 3, 1]]]], { dtype: 'float64', requiresGrad: true });
    const y = F.maxPool2d(x, 2, { stride: 1 });
    expect(y.toArray()).toEqual([[[[3, 3], [3, 3]]]]);
    y.sum().backward();
    // windows: (0,0) first max at (0,1); (0,1) at (0,1); (1,0) at (1,0); (1,1) at (2,1)... row-major first
    expect(x.grad!.toArray()).toEqual([[[[0, 2, 0], [1, 0, 0], [0, 1, 0]]]]);
    const xn = tg.tensor([[[[1, NaN], [5, 2]]]], { requiresGrad: true });
    const z = F.maxPool2d(xn, 2);
    expect(Number.isNaN(z.item())).toBe(true);
    z.backward();
    expect(xn.grad!.toArray()).toEqual([[[[0, 1], [0, 0]]]]);
    const xi = tg.tensor([[[[-Infinity, -Infinity], [-Infinity, -Infinity]]]], { requiresGrad: true });
    F.maxPool2d(xi, 2).backward();
    expect(xi.grad!.toArray()).toEqual([[[[1, 0], [0, 0]]]]);
  });
  // Every kernel-size/stride combination of windows whose values are drawn from a few values
  // (ties everywhere, NaN, -inf) against PyTorch's rule written out here: scan the window row by
  // row, a strictly larger value or a NaN takes over. Widths cover the vector remainders of every
  // ISA, odd sizes leave a row and column out of 2x2 / stride-2 windows (its own fast path).
  it('max pooling with ties, NaN and -inf matches the scan rule (2x2 stride 2 and general windows)', () => {
    const pool = [-Infinity, -1, 0, 0, 1, 2, 2, NaN];
    const reference = (x: number[], h: number, w: number, k: number, s: number) => {
      const oh = Math.floor((h - k) / s) + 1, ow = Math.floor((w - k) / s) + 1;
      const out: number[] = [], idx: number[] = [];
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let m = -Infinity, bi = i * s * w + j * s;
          for (let a = 0; a < k; a++) {
            for (let b = 0; b < k; b++) {
              const at = (i * s + a) * w + j * s + b, v = x[at];
              if (v > m || Number.isNaN(v)) { m = v; bi = at; }
            }
          }
          out.push(m);
          idx.push(bi);
        }
      }
      return { out, idx, ohw: oh * ow };
    };
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [h, w] of [[2, 2], [5, 9], [4, 37], [3, 66], [6, 130]]) {
        for (const [k, s] of [[2, 2], [2, 1], [3, 2]]) {
          if (k > h || k > w) continue;
          const planes = 3, r = sample([planes * h * w], h * 1000 + w * 10 + k, 0, pool.length);
          const data = Array.from(r, (v) => pool[Math.min(pool.length - 1, Math.floor(v))]);
          const x = tg.tensor(dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data), {
            shape: [1, planes, h, w],
            requiresGrad: true,
          });
          const y = F.maxPool2d(x, k, { stride: s });
          const weights = tg.arange(1, y.size + 1, { dtype }).reshape([...y.shape]);
          y.mul(weights).sum().backward();
          const got = Array.from(y.data()), grad = Array.from(x.grad!.data());
          const wantGrad = new Array(planes * h * w).fill(0);
          const want: number[] = [];
          for (let p = 0; p < planes; p++) {
            const ref = reference(data.slice(p * h * w, (p + 1) * h * w), h, w, k, s);
            want.push(...ref.out);
            ref.idx.forEach((at, o) => (wantGrad[p * h * w + at] += p * ref.ohw + o + 1));
          }
          expect(got, `${dtype} ${h}x${w} k${k} s${s}`).toEqual(want);
          expect(grad, `${dtype} ${h}x${w} k${k} s${s} gradient`).toEqual(wantGrad);
        }
      }
    }
  });
  it('padding is -inf for max and counted (or not) for avg', () => {
    const x = tg.tensor([[[[-1, -2], [-3, -4]]]], { dtype: 'float64' });
    expect(F.maxPool2d(x, 2, { padding: 1 }).toArray()).toEqual([[[[-1, -2], [-3, -4]]]]);
    expect(F.avgPool2d(x, 2, { padding: 1 }).toArray()).toEqual([[[[-0.25, -0.5], [-0.75, -1]]]]);
    expect(F.avgPool2d(x, 2, { padding: 1, countIncludePad: false }).toArray()).toEqual([[[[-1, -2], [-3, -4]]]]);
  });
  it('ceilMode output sizes follow PyTorch (the last window must start inside input or left padding)', () => {
    const size = (h: number, k: number, s: number, p: number, ceilMode: boolean) =>
      F.maxPool2d(tg.zeros([1, 1, h, h]), k, { stride: s, padding: p, ceilMode }).shape[2];
    expect(size(5, 2, 2, 1, true)).toBe(3); // 4 without the rule
    expect(size(5, 2, 2, 0, true)).toBe(3);
    expect(size(5, 2, 2, 0, false)).toBe(2);
    expect(size(6, 3, 2, 1, true)).toBe(4);
    expect(size(6, 2, 2, 1, true)).toBe(4);
    expect(size(4, 3, 3, 1, true)).toBe(2);
    expect(size(7, 3, 2, 0, true)).toBe(3);
    expect(size(8, 3, 3, 0, true)).toBe(3);
  });
  it('accepts unbatched [C, H, W] inputs and returns [C, OH, OW]', () => {
    const x = f64([2, 5, 5], 20, false);
    expect(F.maxPool2d(x, 2).shape).toEqual([2, 2, 2]);
    expect(F.avgPool2d(x, 2).shape).toEqual([2, 2, 2]);
    const y = F.conv2d(x, f64([3, 2, 3, 3], 21, false));
    expect(y.shape).toEqual([3, 3, 3]);
    expectClose(y.data(), F.conv2d(x.unsqueeze(0), f64([3, 2, 3, 3], 21, false)).data(), 0, 0);
  });
  it('non-contiguous inputs give the same result as contiguous ones', () => {
    const x = f64([2, 3, 6, 5], 22, false);
    const xt = x.transpose(2, 3).contiguous().transpose(2, 3);
    const w = f64([4, 3, 3, 3], 23, false);
    expectClose(F.conv2d(xt, w, null, { padding: 1 }).data(), F.conv2d(x, w, null, { padding: 1 }).data(), 0, 0);
    expectClose(F.maxPool2d(xt, 2).data(), F.maxPool2d(x, 2).data(), 0, 0);
  });
  it('a large kernel (column buffer too big to keep per thread) equals the sum of per-channel convolutions', () => {
    const x = f64([2, 3, 40, 40], 25);
    const w = f64([2, 3, 31, 31], 26);
    const y = F.conv2d(x, w, null, { padding: 15 });
    let ref = F.conv2d(x.narrow(1, 0, 1), w.narrow(1, 0, 1), null, { padding: 15 });
    for (const c of [1, 2]) ref = ref.add(F.conv2d(x.narrow(1, c, 1), w.narrow(1, c, 1), null, { padding: 15 }));
    expectClose(y.data(), ref.data(), 1e-10, 1e-10, 'value');
    const [gx, gw] = tg.grad(y.sum(), [x, w]);
    const [rx, rw] = tg.grad(ref.sum(), [x, w]);
    expectClose(gx!.data(), rx!.data(), 1e-10, 1e-10, 'grad input');
    expectClose(gw!.data(), rw!.data(), 1e-10, 1e-10, 'grad weight');
  });
  it('empty batch', () => {
    const w = f64([4, 3, 3, 3], 24);
    const x = tg.zeros([0, 3, 5, 5], { dtype: 'float64', requiresGrad: true });
    const y = F.conv2d(x, w, null);
    expect(y.shape).toEqual([0, 4, 3, 3]);
    y.sum().backward();
    expect(w.grad!.data().every((v) => v === 0)).toBe(true);
  });
});

describe('determinism', () => {
  it('1 and 2 threads give bitwise equal values and gradients (float32, batch not a multiple of the block)', () => {
    const prev = tg.getNumThreads();
    const run = (threads: number) => {
      tg.setNumThreads(threads);
      const x = tg.tensor(sample([37, 4, 12, 12], 30), { shape: [37, 4, 12, 12] }).requiresGrad_(true);
      const w = tg.tensor(sample([8, 4, 3, 3], 31), { shape: [8, 4, 3, 3] }).requiresGrad_(true);
      const b = tg.tensor(sample([8], 32), { shape: [8] }).requiresGrad_(true);
      const y = F.avgPool2d(F.maxPool2d(F.conv2d(x, w, b, { padding: 1 }).relu(), 2), 3, { stride: 1, padding: 1 });
      y.mul(y).sum().backward();
      return [y, x.grad!, w.grad!, b.grad!].map((t) => Array.from(t.data()));
    };
    try {
      const one = run(1);
      const two = run(2);
      for (let i = 0; i < one.length; i++) expect(two[i]).toEqual(one[i]);
    } finally {
      tg.setNumThreads(prev);
    }
  });
});

describe('bad input', () => {
  const x = tg.zeros([2, 3, 8, 8]);
  const w = tg.zeros([4, 3, 3, 3]);
  it('conv2d', () => {
    expectError(() => F.conv2d(tg.zeros([3, 8]), w), RangeError, /conv2d/, /3-D .* or 4-D/, /\[3, 8\]/);
    expectError(() => F.conv2d(tg.zeros([2, 5, 8, 8]), w), RangeError, /conv2d/, /5 channels/, /\[4, 3, 3, 3\]/);
    expectError(() => F.conv2d(x, tg.zeros([4, 3, 3])), RangeError, /weight must be 4-D/);
    expectError(() => F.conv2d(x, tg.zeros([4, 1, 3, 3]), null, { groups: 2 }), RangeError, /expects 2/);
    expectError(() => F.conv2d(x, tg.zeros([3, 1, 3, 3]), null, { groups: 2 }), RangeError, /divisible by groups/);
    expectError(() => F.conv2d(x, w, null, { stride: 0 }), RangeError, /stride must be positive/);
    expectError(() => F.conv2d(x, w, null, { padding: -1 }), RangeError, /padding must be non-negative/);
    expectError(() => F.conv2d(x, w, null, { dilation: [1, 2, 3] }), TypeError, /dilation must be an integer or a pair/);
    expectError(() => F.conv2d(x, w, null, { groups: 0 }), RangeError, /groups must be a positive integer/);
    expectError(() => F.conv2d(x, w, null, { padding: 2 ** 40 }), RangeError, /^conv2d: padding 1099511627776 is over the limit/);
    expectError(() => F.conv2d(tg.zeros([1, 3, 2, 2]), w), RangeError, /smaller than the \(dilated\) kernel/, /\[1, 3, 2, 2\]/);
    expectError(() => F.conv2d(x, w, tg.zeros([5])), RangeError, /bias must have shape \[4\]/);
    expectError(() => F.conv2d(x, w.double()), TypeError, /float32 but weight is float64/);
    expectError(() => F.conv2d(x.to('int32'), w), TypeError, /int32/);
    expectError(() => F.conv2d([1, 2] as unknown as tg.Tensor, w), TypeError, /must be a Tensor/);
  });
  it('pools', () => {
    expectError(() => F.maxPool2d(tg.zeros([8, 8]), 2), RangeError, /maxPool2d/, /\[8, 8\]/);
    expectError(() => F.maxPool2d(x, 2, { padding: 2 }), RangeError, /at most half of the kernel size/);
    expectError(() => F.avgPool2d(x, 3, { padding: 2 }), RangeError, /at most half of the kernel size/);
    expectError(() => F.maxPool2d(x, 0), RangeError, /kernelSize must be positive/);
    expectError(() => F.maxPool2d(tg.zeros([1, 1, 2, 2]), 3, { padding: 1, dilation: 2 }), RangeError, /too small/);
    expectError(() => F.avgPool2d(x, 2, { divisorOverride: 0 }), RangeError, /divisorOverride/);
    expectError(() => F.avgPool2d(x, 2, { ceilMode: 1 as unknown as boolean }), TypeError, /ceilMode must be a boolean/);
    expectError(() => F.maxPool2d(x, 2.5), TypeError, /kernelSize/);
  });
  it('non-tensor arguments are TypeErrors naming the op', () => {
    const bads: unknown[] = ['a', {}, null, undefined, [1, 2], () => 1, 3];
    for (const bad of bads) {
      const b = bad as tg.Tensor;
      expectError(() => F.conv2d(b, w), TypeError, /^conv2d: input must be a Tensor/);
      expectError(() => F.conv2d(x, b), TypeError, /^conv2d: weight must be a Tensor/);
      expectError(() => F.maxPool2d(b, 2), TypeError, /^maxPool2d: input must be a Tensor/);
      expectError(() => F.avgPool2d(b, 2), TypeError, /^avgPool2d: input must be a Tensor/);
      expectError(() => new nn.Conv2d(3, 4, 3).forward(b), TypeError, /^Conv2d\(3, 4, kernelSize=\(3, 3\)\): input must be a Tensor/);
      expectError(() => new nn.MaxPool2d(2).forward(b), TypeError, /^MaxPool2d\(kernelSize=\(2, 2\)\): input must be a Tensor/);
    }
    expectError(() => F.conv2d(x, w, 'b' as unknown as tg.Tensor), TypeError, /^conv2d: bias must be a Tensor/);
    expectError(() => F.conv2d(x, w, null, 'a' as unknown as object), TypeError, /^conv2d: options must be an object, got 'a'/);
    // null options are absent options
    expect(F.conv2d(x, w, null, null as unknown as object).shape).toEqual(F.conv2d(x, w).shape);
  });
  // Reaches into the repository's addon: not run against an installed package (.ci/pack-check.sh).
  it.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('native entry points validate their arguments', async () => {
    const { native } = await import('../src/native');
    const meta = (a: number[]) => Float64Array.from(a);
    const cm = [1, 1, 4, 4, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1];
    expectError(() => native.conv2d(new Float32Array(5), new Float32Array(16), new Float32Array(9), new Float32Array(0), meta(cm)), RangeError, /out has length 5, expected 4/);
    expectError(() => native.conv2d(new Float32Array(4), new Float32Array(15), new Float32Array(9), new Float32Array(0), meta(cm)), RangeError, /x has length/);
    expectError(() => native.conv2d(new Float32Array(4), new Float64Array(16), new Float32Array(9), new Float32Array(0), meta(cm)), TypeError, /dtype mismatch/);
    const buf = new Float32Array(16);
    expectError(() => native.conv2d(buf.subarray(0, 4), buf, new Float32Array(9), new Float32Array(0), meta(cm)), TypeError, /overlaps/);
    expectError(() => native.conv2d(new Float32Array(4), new Float32Array(16), new Float32Array(9), new Float32Array(0), meta([...cm.slice(0, 13), 2])), RangeError, /divisible by groups/);
    expectError(() => native.conv2d(new Float32Array(4), new Float32Array(16), new Float32Array(9), new Float32Array(0), meta(cm.slice(0, 13))), RangeError, /too short/);
    const pm = [1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, 0];
    expectError(() => native.maxPool2d(new Float32Array(4), new Int32Array(4), new Float32Array(16), meta([...pm.slice(0, 7), 2, 0, 1, 1, 0])), RangeError, /padding/);
    expectError(() => native.maxPool2d(new Float32Array(4), new Float32Array(4) as unknown as Int32Array, new Float32Array(16), meta(pm)), TypeError, /Int32Array/);
    expectError(() => native.maxPool2dBackward(new Float32Array(16), new Float32Array(4), Int32Array.from([0, 1, 16, 2]), meta([1, 16, 4])), RangeError, /index 16 is out of range/);
    expectError(() => native.avgPool2d(new Float32Array(4), new Float32Array(16), meta([...pm, 1])), RangeError, /too short/);
  });
});

describe('modules', () => {
  it('Conv2d: parameter shapes, stateDict names and PyTorch-distributed initialisation', () => {
    tg.manualSeed(0);
    const conv = new nn.Conv2d(16, 32, 5, { groups: 2 });
    expect(conv.weight.shape).toEqual([32, 8, 5, 5]);
    expect(conv.bias!.shape).toEqual([32]);
    expect(Object.keys(conv.stateDict())).toEqual(['weight', 'bias']);
    // kaimingUniform_(a = √5) gives bound = √(6 / ((1 + 5) · fanIn)) = 1/√fanIn, fanIn = 8·5·5 = 200.
    const bound = 1 / Math.sqrt(200);
    for (const t of [conv.weight, conv.bias!]) {
      const v = Array.from(t.data());
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.abs(mean)).toBeLessThan((4 * bound) / Math.sqrt(3 * v.length));
      const expectedSd = bound / Math.sqrt(3);
      expect(Math.abs(sd - expectedSd)).toBeLessThan(v.length > 1000 ? 0.05 * expectedSd : 0.25 * expectedSd);
    }
    expect(Math.max(...Array.from(conv.weight.data(), Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(new nn.Conv2d(2, 3, [1, 2], { bias: false }).bias).toBeNull();
    expect(Object.keys(new nn.Conv2d(2, 3, [1, 2], { bias: false }).stateDict())).toEqual(['weight']);
  });
  it('Conv2d forward equals the functional form; float64 via dtype', () => {
    const conv = new nn.Conv2d(3, 4, [3, 2], { stride: 2, padding: [1, 0], dtype: 'float64' });
    const x = f64([2, 3, 7, 6], 40, false);
    const y = conv.forward(x);
    expectClose(y.data(), F.conv2d(x, conv.weight, conv.bias, { stride: 2, padding: [1, 0] }).data(), 0, 0);
    expect(y.shape).toEqual([2, 4, 4, 3]);
  });
  it('Conv2d validation names the layer and shapes', () => {
    expectError(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), RangeError, /Conv2d/, /inChannels \(3\) must be divisible by groups \(2\)/);
    expectError(() => new nn.Conv2d(4, 3, 3, { groups: 2 }), RangeError, /outChannels \(3\) must be divisible by groups \(2\)/);
    expectError(() => new nn.Conv2d(0, 3, 3), RangeError, /inChannels must be a positive integer/);
    expectError(() => new nn.Conv2d(3, 3, 0), RangeError, /kernelSize must be positive/);
    const conv = new nn.Conv2d(3, 4, 3);
    expectError(() => conv.forward(tg.zeros([2, 5, 8, 8])), RangeError, /Conv2d\(3, 4, kernelSize=\(3, 3\)\)/, /\[2, 5, 8, 8\] has 5 channels, expected 3/);
    expectError(() => conv.forward(tg.zeros([8, 8])), RangeError, /Conv2d\(3, 4/, /3-D/, /\[8, 8\]/);
    expectError(() => conv.forward(tg.zeros([1, 3, 2, 2])), RangeError, /Conv2d\(3, 4/, /smaller than/);
    expectError(() => conv.forward(tg.zeros([1, 3, 4, 4], { dtype: 'float64' })), TypeError, /float64 but the weight is float32/);
  });
  it('MaxPool2d and AvgPool2d', () => {
    const x = f64([2, 3, 7, 7], 41, false);
    expectClose(new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }).forward(x).data(),
      F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }).data(), 0, 0);
    expectClose(new nn.AvgPool2d(2, { countIncludePad: false, padding: 1 }).forward(x).data(),
      F.avgPool2d(x, 2, { countIncludePad: false, padding: 1 }).data(), 0, 0);
    expect(new nn.MaxPool2d(2).forward(x).shape).toEqual([2, 3, 3, 3]);
    expect(new nn.MaxPool2d(2).parameters().next().done).toBe(true);
    expectError(() => new nn.MaxPool2d(2, { padding: 2 }), RangeError, /MaxPool2d/, /at most half/);
    expectError(() => new nn.AvgPool2d(3, { divisorOverride: 0 }), RangeError, /AvgPool2d/, /divisorOverride/);
    expectError(() => new nn.MaxPool2d(3).forward(tg.zeros([1, 1, 2, 2])), RangeError, /MaxPool2d\(kernelSize=\(3, 3\)\)/, /too small/);
  });
  it('a Sequential CNN trains a step (loss decreases)', () => {
    tg.manualSeed(3);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(4, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.AvgPool2d(2), new nn.Flatten(), new nn.Linear(8 * 2 * 2, 3),
    );
    const x = tg.randn([8, 1, 8, 8]);
    const y = tg.tensor(Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1]), { dtype: 'int32', shape: [8] });
    const lossAt = () => F.crossEntropy(model.forward(x), y);
    const l0 = lossAt();
    l0.backward();
    tg.noGrad(() => {
      for (const p of model.parameters()) p.add_(p.grad!, -0.1);
    });
    expect(lossAt().item()).toBeLessThan(l0.item());
  });
});
