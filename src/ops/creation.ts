// Creation functions: tensor, zeros/ones/full, arange, linspace, eye and the random ones.
import { native, TypedArray } from '../native';
import { DType, dtypeOfArray, isDType } from '../dtype';
import { allocate } from '../alloc';
import { Storage, Tensor } from '../tensor';
import { contiguousStrides, numel, shapeStr } from '../shape';
import { checkElements, checkFinite, MAX_ELEMENTS, checkShape, checkSize, checkTensor, describe, MAX_DIMS, optionsOf } from '../validate';
import { Generator, resolveGenerator } from '../random';
import { elementwiseMeta } from './util';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

function options(op: string, o: unknown): RandomOptions & { shape?: number[] } {
  const opts = optionsOf<RandomOptions & { shape?: number[] }>(op, o);
  if (opts.dtype !== undefined && !isDType(opts.dtype)) {
    throw new TypeError(`${op}: dtype must be 'float32', 'float64' or 'int32', got ${describe(opts.dtype)}`);
  }
  if (opts.requiresGrad !== undefined && typeof opts.requiresGrad !== 'boolean') {
    throw new TypeError(`${op}: requiresGrad must be a boolean, got ${describe(opts.requiresGrad)}`);
  }
  return opts;
}

function finish(t: Tensor, opts: CreateOptions, op: string): Tensor {
  if (opts.requiresGrad) {
    if (t.dtype === 'int32') throw new TypeError(`${op}: only float32 and float64 tensors can require gradients (got int32)`);
    t.requiresGrad_(true);
  }
  return t;
}

function fromTyped(data: TypedArray, shape: number[]): Tensor {
  return new Tensor(new Storage(data), shape, contiguousStrides(shape), 0, dtypeOfArray(data));
}

function castArray(op: string, src: TypedArray, dtype: DType): TypedArray {
  if (dtypeOfArray(src) === dtype) return src.slice();
  const out = allocate(dtype, src.length);
  const shape = [src.length];
  const a = fromTyped(out, shape);
  try {
    native.copy(out, src, elementwiseMeta(shape, [a, fromTyped(src, shape)]));
  } catch (e) {
    // The kernel refuses NaN, infinite and out-of-range values for int32: say who was called.
    if (e instanceof RangeError) throw new RangeError(`${op}: ${e.message.replace(/^copy: /, '')}`);
    throw e;
  }
  return out;
}

/** Splits `(...sizes, opts?)` / `([sizes], opts?)` argument lists. */
function shapeAndOptions(op: string, args: unknown[]): [number[], RandomOptions] {
  let opts: unknown;
  const last = args[args.length - 1];
  if ((args.length && typeof last === 'object' && last !== null && !Array.isArray(last)) || (args.length > 1 && last === null)) {
    opts = last;
    args = args.slice(0, -1);
  }
  const shape = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  return [checkShape(op, shape), options(op, opts)];
}

/** Shape of nested arrays, taken from the first element at each depth, then checked everywhere. */
function nestedShape(data: unknown[]): number[] {
  const shape: number[] = [];
  let cur: unknown = data;
  // Stops one past the dim limit, so a self-containing array ends too.
  while (Array.isArray(cur) && shape.length <= MAX_DIMS) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function flattenNested(data: unknown, shape: number[], flat: number[], depth: number, path: string): void {
  if (depth < shape.length) {
    if (!Array.isArray(data) || data.length !== shape[depth]) {
      const got = Array.isArray(data) ? `an array of length ${data.length}` : 'a number';
      throw new RangeError(`tensor: nested arrays are ragged at ${path}: expected an array of length ${shape[depth]}, got ${got}`);
    }
    for (let i = 0; i < data.length; i++) {
      if (!(i in data)) throw new TypeError(`tensor: nested arrays have a hole at ${path}[${i}]`);
      flattenNested(data[i], shape, flat, depth + 1, `${path}[${i}]`);
    }
    return;
  }
  if (Array.isArray(data)) throw new RangeError(`tensor: nested arrays are ragged at ${path}: expected a number, got an array`);
  if (typeof data === 'boolean') flat.push(data ? 1 : 0);
  else if (typeof data === 'number') flat.push(data);
  else throw new TypeError(`tensor: element ${path} must be a number, got ${describe(data)}`);
}

export function tensor(data: unknown, opts?: CreateOptions & { shape?: number[] }): Tensor {
  const o = options('tensor', opts) as CreateOptions & { shape?: number[] };
  let src: TypedArray;
  let shape: number[];
  if (data instanceof Tensor) {
    src = data._flat();
    shape = data._shape.slice();
  } else if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array) {
    src = data;
    shape = [data.length];
  } else if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    src = Float64Array.from(data as unknown as ArrayLike<number>);
    shape = [src.length];
  } else if (typeof data === 'number' || typeof data === 'boolean') {
    src = Float64Array.of(Number(data));
    shape = [];
  } else if (Array.isArray(data)) {
    shape = checkShape('tensor', nestedShape(data), 'shape of the data');
    const flat: number[] = [];
    flattenNested(data, shape, flat, 0, 'data');
    src = Float64Array.from(flat);
  } else {
    throw new TypeError(`tensor: data must be a number, a nested array, a typed array or a Tensor, got ${describe(data)}`);
  }
  if (o.shape !== undefined) {
    const want = checkShape('tensor', o.shape);
    if (numel(want) !== src.length) {
      throw new RangeError(`tensor: shape ${shapeStr(want)} needs ${numel(want)} elements, but the data has ${src.length}`);
    }
    shape = want;
  }
  checkShape('tensor', shape);
  const srcIsTyped = data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Tensor;
  const dtype = o.dtype ?? (srcIsTyped ? dtypeOfArray(src) : 'float32');
  return finish(fromTyped(castArray('tensor', src, dtype), shape), o, 'tensor');
}

function filled(op: string, shape: readonly number[], value: number, opts: unknown): Tensor {
  const s = checkShape(op, shape);
  if (typeof value !== 'number') throw new TypeError(`${op}: value must be a number, got ${describe(value)}`);
  const o = options(op, opts);
  if (o.dtype === 'int32' && !(Number.isInteger(value) && Math.abs(value) < 2 ** 31)) {
    throw new RangeError(`${op}: an int32 tensor needs an integer value in the int32 range, got ${value}`);
  }
  const dtype = o.dtype ?? 'float32';
  const zero = Object.is(value, 0);
  const t = zero ? Tensor._zeros(s, dtype) : Tensor._empty(s, dtype);
  // A new contiguous buffer: a few elements are cheaper to fill here than through a native call.
  if (zero) return finish(t, o, op);
  if (t.size <= 16) t._st.data.fill(value);
  else t._fill(value);
  return finish(t, o, op);
}

export function full(shape: readonly number[] | number, value: number, opts?: CreateOptions): Tensor {
  return filled('full', typeof shape === 'number' ? [shape] : shape, value, opts);
}

export function zeros(...args: (number | readonly number[] | CreateOptions)[]): Tensor {
  const [shape, o] = shapeAndOptions('zeros', args);
  return filled('zeros', shape, 0, o);
}

export function ones(...args: (number | readonly number[] | CreateOptions)[]): Tensor {
  const [shape, o] = shapeAndOptions('ones', args);
  return filled('ones', shape, 1, o);
}

function likeOptions(op: string, x: Tensor, opts?: CreateOptions): CreateOptions {
  checkTensor(op, x);
  const o = options(op, opts);
  return { dtype: o.dtype ?? x.dtype, requiresGrad: o.requiresGrad };
}

export function zerosLike(x: Tensor, opts?: CreateOptions): Tensor {
  const o = likeOptions('zerosLike', x, opts);
  return filled('zerosLike', x._shape, 0, o);
}

export function onesLike(x: Tensor, opts?: CreateOptions): Tensor {
  const o = likeOptions('onesLike', x, opts);
  return filled('onesLike', x._shape, 1, o);
}

export function arange(start: number, end?: number | CreateOptions, step?: number | CreateOptions, opts?: CreateOptions): Tensor {
  let o: unknown = opts;
  const rest = [end, step].filter((v) => v !== undefined);
  if (rest.length && typeof rest[rest.length - 1] === 'object') o = rest.pop();
  let s = checkFinite('arange', start, 'start');
  let e: number;
  let st = 1;
  if (rest.length === 0) {
    e = s;
    s = 0;
  } else {
    e = checkFinite('arange', rest[0], 'end');
    if (rest.length > 1) st = checkFinite('arange', rest[1], 'step');
  }
  if (st === 0) throw new RangeError('arange: step must be non-zero');
  if ((e - s) / st < 0) throw new RangeError(`arange: the range from ${s} to ${e} is empty or inconsistent with step ${st}`);
  const count = Math.ceil((e - s) / st);
  if (count > MAX_ELEMENTS) {
    throw new RangeError(`arange: the range from ${s} to ${e} with step ${st} has ${count} elements, over the limit of ${MAX_ELEMENTS} a buffer can hold`);
  }
  const n = count;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = s + i * st;
  const oo = options('arange', o);
  return finish(fromTyped(castArray('arange', values, oo.dtype ?? 'float32'), [n]), oo, 'arange');
}

export function linspace(start: number, end: number, steps: number, opts?: CreateOptions): Tensor {
  const s = checkFinite('linspace', start, 'start');
  const e = checkFinite('linspace', end, 'end');
  const n = checkSize('linspace', steps, 'steps');
  const values = new Float64Array(n);
  const step = n > 1 ? (e - s) / (n - 1) : 0;
  // Symmetric evaluation from both ends, as PyTorch does, so the last element is exactly `end`.
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) values[i] = i < half ? s + step * i : e - step * (n - 1 - i);
  if (n === 1) values[0] = s;
  const o = options('linspace', opts);
  return finish(fromTyped(castArray('linspace', values, o.dtype ?? 'float32'), [n]), o, 'linspace');
}

export function eye(n: number, m?: number | CreateOptions, opts?: CreateOptions): Tensor {
  let cols = n;
  let o: unknown = opts;
  if (typeof m === 'object') o = m;
  else if (m !== undefined && m !== null) cols = m;
  const r = checkSize('eye', n, 'n');
  const c = checkSize('eye', cols, 'm');
  checkElements('eye', [r, c]);
  const oo = options('eye', o);
  const t = Tensor._zeros([r, c], oo.dtype ?? 'float32');
  for (let i = 0; i < Math.min(r, c); i++) t._st.data[i * c + i] = 1;
  return finish(t, oo, 'eye');
}

export function rand(...args: (number | readonly number[] | RandomOptions)[]): Tensor {
  const [shape, o] = shapeAndOptions('rand', args);
  const dt = o.dtype ?? 'float32';
  if (dt === 'int32') throw new TypeError('rand: dtype must be float32 or float64');
  const t = Tensor._empty(shape, dt);
  resolveGenerator('rand', o.generator)._uniform(t._st.data, 0, 1);
  return finish(t, o, 'rand');
}

export function randn(...args: (number | readonly number[] | RandomOptions)[]): Tensor {
  const [shape, o] = shapeAndOptions('randn', args);
  const dt = o.dtype ?? 'float32';
  if (dt === 'int32') throw new TypeError('randn: dtype must be float32 or float64');
  const t = Tensor._empty(shape, dt);
  resolveGenerator('randn', o.generator)._normal(t._st.data, 0, 1);
  return finish(t, o, 'randn');
}

export function randint(low: number, high: number, shape: number[], opts?: RandomOptions): Tensor {
  const lo = checkFinite('randint', low, 'low');
  const hi = checkFinite('randint', high, 'high');
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new TypeError(`randint: low and high must be integers, got ${lo} and ${hi}`);
  if (hi <= lo) throw new RangeError(`randint: high (${hi}) must be greater than low (${lo})`);
  const s = checkShape('randint', shape);
  const o = options('randint', opts);
  const t = Tensor._empty(s, o.dtype ?? 'int32');
  resolveGenerator('randint', o.generator)._int(t._st.data, lo, hi);
  return finish(t, o, 'randint');
}

export function randperm(n: number, opts?: RandomOptions): Tensor {
  const len = checkSize('randperm', n, 'n');
  const o = options('randperm', opts);
  const t = Tensor._empty([len], 'int32');
  resolveGenerator('randperm', o.generator)._perm(t._st.data as Int32Array);
  const dt = o.dtype ?? 'int32';
  return finish(dt === 'int32' ? t : t.to(dt), o, 'randperm');
}
