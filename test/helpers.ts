// Shared test utilities: a JS random source independent of tapegrad, and closeness checks.
import { expect } from 'vitest';
import * as tg from 'tapegrad';

/** Deterministic uniform numbers in [0, 1) (mulberry32), independent of tapegrad's RNG. */
export function jsRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((p, s) => p * s, 1);
}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
  return st;
}

/** Uniform values in [lo, hi], optionally kept at least `gap` away from the points in `avoid`. */
export function sample(shape: readonly number[], seed: number, lo = -2, hi = 2, avoid: number[] = [], gap = 0.05): Float64Array {
  const r = jsRandom(seed);
  const out = new Float64Array(numel(shape));
  for (let i = 0; i < out.length; i++) {
    let v: number;
    do v = lo + (hi - lo) * r();
    while (avoid.some((p) => Math.abs(v - p) < gap));
    out[i] = v;
  }
  return out;
}

export function t64(data: Float64Array, shape: readonly number[], requiresGrad = false): tg.Tensor {
  return tg.tensor(data, { shape: shape.slice(), dtype: 'float64', requiresGrad });
}

/** Asserts |a - e| <= atol + rtol * |e| elementwise (NaN matches NaN), with a useful message. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-12, atol = 1e-12, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    const ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`${what} element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Expects fn to throw an error of `type` whose message matches every pattern. */
export function expectError(fn: () => unknown, type: ErrorConstructor, ...patterns: (string | RegExp)[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === undefined) expect.fail(`expected a ${type.name}, but nothing was thrown`);
  expect(err).toBeInstanceOf(type);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
}
