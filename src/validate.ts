// Argument checks shared by every public function (the TypeScript twin of native/validate.h).
// One wording per error: `${op}: ${what} must be ..., got ${describe(v)}`. Messages name a bad value
// by its type and never convert user values with String or JSON (a huge tensor, array or a Proxy would
// make the message itself slow or throw); numbers and short strings are shown as they are.
import { Tensor } from './tensor';
import { checkElements, MAX_ELEMENTS } from './limits';
import { isFloat } from './dtype';
import { shapeStr } from './shape';

export { checkElements, MAX_ELEMENTS } from './limits';
export const MAX_DIMS = 16;

const article = (word: string): string => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);

/** Names a value for an error message by its type, in constant time. */
export function describe(v: unknown): string {
  try {
    switch (typeof v) {
      case 'number':
        return Object.is(v, -0) ? '-0' : `${v}`;
      case 'string':
        return v.length <= 40 && !/[\u0000-\u001f\ud800-\udfff]/.test(v) ? `'${v}'` : `a string of length ${v.length}`;
      case 'bigint':
        return 'a BigInt';
      case 'boolean':
        return v ? 'true' : 'false';
      case 'undefined':
        return 'undefined';
      case 'symbol':
        return 'a symbol';
      case 'function':
        return 'a function';
    }
    if (v === null) return 'null';
    if (v instanceof Tensor) return `${article(v.dtype)} Tensor of shape ${shapeStr(v._shape)}`;
    if (Array.isArray(v)) return `an array of length ${v.length}`;
    if (ArrayBuffer.isView(v)) return `${article(Object.getPrototypeOf(v)?.constructor?.name ?? 'typed array')} of length ${(v as Uint8Array).length ?? v.byteLength}`;
    const proto = Object.getPrototypeOf(v);
    const name = proto === null || proto === Object.prototype ? '' : proto.constructor?.name;
    return typeof name === 'string' && /^[A-Za-z_$][\w$]{0,40}$/.test(name) ? article(name) : 'an object';
  } catch {
    return 'an object';
  }
}

export function checkTensor(op: string, x: unknown, what = 'input'): Tensor {
  if (!isTensor(x)) throw new TypeError(`${op}: ${what} must be a Tensor, got ${describe(x)}`);
  return x as Tensor;
}

/** `instanceof Tensor` that a Proxy whose getPrototypeOf trap throws cannot turn into its own error. */
function isTensor(x: unknown): boolean {
  try {
    return x instanceof Tensor;
  } catch {
    return false;
  }
}

/** A float32 or float64 tensor (what differentiable and floating-point-only ops take). */
export function checkFloatTensor(op: string, x: unknown, what = 'input'): Tensor {
  const t = checkTensor(op, x, what);
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: ${what} must be a float32 or float64 Tensor, got ${describe(t)} (convert with .float())`);
  return t;
}

export function checkNumber(op: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${what} must be a number, got ${describe(v)}`);
  return v;
}

export function checkFinite(op: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${what} must be a finite number, got ${describe(v)}`);
  return v;
}

export function checkInt(op: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${what} must be an integer, got ${describe(v)}`);
  if (!Number.isSafeInteger(v)) throw new RangeError(`${op}: ${what} must be a safe integer, got ${describe(v)}`);
  return v;
}

/** A non-negative integer size of at most MAX_ELEMENTS. */
export function checkSize(op: string, v: unknown, what = 'size'): number {
  const n = checkInt(op, v, what);
  if (n < 0) throw new RangeError(`${op}: ${what} must be a non-negative integer, got ${n}`);
  if (n > MAX_ELEMENTS) throw new RangeError(`${op}: ${what} ${n} is over the limit of ${MAX_ELEMENTS} elements`);
  return n;
}

export function checkBool(op: string, v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${what} must be a boolean, got ${describe(v)}`);
  return v;
}

export function checkChoice<T extends string>(op: string, v: unknown, what: string, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    const list = choices.map((c) => `'${c}'`);
    const expected = list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}` : list[0];
    throw new TypeError(`${op}: ${what} must be ${expected}, got ${describe(v)}`);
  }
  return v as T;
}

/** An options object; `undefined` and `null` mean "no options", as an absent argument. */
export function optionsOf<T extends object>(op: string, o: unknown): Partial<T> {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object' || Array.isArray(o) || o instanceof Tensor) {
    throw new TypeError(`${op}: options must be an object, got ${describe(o)}`);
  }
  return o as Partial<T>;
}

/** An integer or a pair of integers (kernel sizes, strides, paddings), each checked by `check`. */
export function checkPair(op: string, v: unknown, what: string, min = 0): [number, number] {
  const one = (x: unknown, w: string): number => {
    const n = checkInt(op, x, w);
    if (n < min) throw new RangeError(`${op}: ${w} must be ${min === 0 ? 'non-negative' : min === 1 ? 'positive' : `at least ${min}`}, got ${describe(v)}`);
    if (n > MAX_ELEMENTS) throw new RangeError(`${op}: ${w} ${n} is over the limit of ${MAX_ELEMENTS}`);
    return n;
  };
  if (typeof v === 'number') {
    const n = one(v, what);
    return [n, n];
  }
  if (Array.isArray(v) && v.length === 2) return [one(v[0], `${what}[0]`), one(v[1], `${what}[1]`)];
  throw new TypeError(`${op}: ${what} must be an integer or a pair of integers, got ${describe(v)}`);
}

/** A dimension index for a tensor of `ndim` dims (negative counts from the end; a 0-d tensor takes 0 and -1). */
export function normDim(op: string, dim: unknown, ndim: number, shape: readonly number[]): number {
  const d = checkInt(op, dim, 'dim');
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (d < lo || d > hi) {
    throw new RangeError(`${op}: dim ${d} is out of range for a tensor of shape ${shapeStr(shape)} (expected ${lo}..${hi})`);
  }
  return d < 0 ? d + Math.max(ndim, 1) : d;
}

/** An array of sizes: holes and non-integers are a TypeError, negative or oversized ones a RangeError. */
export function checkShape(op: string, shape: unknown, what = 'shape'): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: ${what} must be an array of sizes, got ${describe(shape)}`);
  if (shape.length > MAX_DIMS) throw new RangeError(`${op}: at most ${MAX_DIMS} dims are supported, got ${shape.length}`);
  const out = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) {
    if (!(i in shape)) throw new TypeError(`${op}: ${what} has a hole at index ${i}`);
    const s = shape[i];
    if (typeof s !== 'number' || !Number.isInteger(s)) throw new TypeError(`${op}: ${what}[${i}] must be an integer, got ${describe(s)}`);
    if (s < 0) throw new RangeError(`${op}: ${what}[${i}] must be a non-negative integer, got ${s}`);
    out[i] = s;
  }
  if (out.some((s) => s > MAX_ELEMENTS)) throw new RangeError(`${op}: ${what} ${shapeStr(out)} has a size over the limit of ${MAX_ELEMENTS} elements`);
  checkElements(op, out);
  return out;
}
