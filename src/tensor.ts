// Tensor: a strided view of V8-owned storage, plus the autograd fields the tape needs.
import { inspect } from 'node:util';
import type { DType } from './dtype';
import { allocate, allocateUninit } from './alloc';
import { native, TypedArray } from './native';
import type { Node } from './autograd/node';
import { checkElements } from './limits';
import { contiguousStrides, isDense, numel, shapeStr } from './shape';
import { formatTensor } from './format';

let storageCount = 0;

export class Storage {
  version = 0;
  /** Creation order: lets backward tell the buffers an op made from older ones. */
  readonly id = storageCount++;
  /** @internal The backward pass that owns this storage, if any (autograd/engine.ts). */
  _owner = 0;
  constructor(readonly data: TypedArray) {}
  /** @internal The id the next storage will get. */
  static nextId(): number {
    return storageCount;
  }
}

export type GradHook = (grad: Tensor) => Tensor | void;

// The last guard (the public functions check sizes first, naming themselves): no computed shape
// reaches the allocator as V8's "Invalid typed array length".
function boundedNumel(shape: readonly number[]): number {
  checkElements('Tensor', shape);
  return numel(shape);
}

export class Tensor {
  /** @internal */ _st: Storage;
  /** @internal */ _off: number;
  /** @internal */ _shape: readonly number[];
  /** @internal */ _strides: readonly number[];
  readonly dtype: DType;
  grad: Tensor | null = null;
  /** @internal */ _rg = false;
  /** @internal */ _node: Node | null = null;
  /** @internal */ _hooks: GradHook[] | null = null;

  /** @internal */
  constructor(st: Storage, shape: readonly number[], strides: readonly number[], off: number, dtype: DType) {
    if (!(st instanceof Storage)) throw new TypeError('Tensor: create tensors with tg.tensor(), tg.zeros() and the other creation functions');
    this._st = st;
    this._shape = shape; // never mutated: ops build new shape arrays
    this._strides = strides;
    this._off = off;
    this.dtype = dtype;
  }

  /** @internal A new contiguous tensor with unspecified contents: the caller writes every element. */
  static _empty(shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(new Storage(allocateUninit(dtype, boundedNumel(shape))), shape, contiguousStrides(shape), 0, dtype);
  }

  /** @internal A new contiguous tensor of zeros. */
  static _zeros(shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(new Storage(allocate(dtype, boundedNumel(shape))), shape, contiguousStrides(shape), 0, dtype);
  }

  /** @internal A view sharing this tensor's storage. */
  _view(shape: readonly number[], strides: readonly number[], off: number): Tensor {
    return new Tensor(this._st, shape, strides, off, this.dtype);
  }

  /** A copy: changing it never changes the tensor. */
  get shape(): number[] {
    return this._shape.slice();
  }
  get ndim(): number {
    return this._shape.length;
  }
  get size(): number {
    return numel(this._shape);
  }
  get requiresGrad(): boolean {
    return this._rg;
  }
  set requiresGrad(flag: boolean) {
    this.requiresGrad_(flag);
  }
  get isLeaf(): boolean {
    return this._node === null;
  }
  get gradFn(): string | null {
    return this._node ? this._node.name : null;
  }
  /** @internal Version counter shared by every view of the storage. */
  get _version(): number {
    return this._st.version;
  }

  requiresGrad_(flag = true): this {
    if (typeof flag !== 'boolean') throw new TypeError('requiresGrad_: flag must be a boolean');
    if (flag && this.dtype === 'int32') {
      throw new TypeError('requiresGrad_: only float32 and float64 tensors can require gradients (got int32)');
    }
    if (!flag && this._node) {
      throw new Error(`requiresGrad_: cannot turn off gradients of a non-leaf tensor (made by '${this._node.name}'); use detach()`);
    }
    this._rg = flag;
    return this;
  }

  isContiguous(): boolean {
    return isDense(this._shape, this._strides);
  }

  /** @internal The elements as a typed array of exactly `size` entries in row-major order. */
  _flat(): TypedArray {
    const t = this.isContiguous() ? this : this.contiguous();
    const n = t.size;
    const d = t._st.data;
    return t._off === 0 && d.length === n ? d : d.subarray(t._off, t._off + n);
  }

  item(): number {
    if (this.size !== 1) throw new RangeError(`item: only one-element tensors can be converted to a number, got shape [${this._shape.join(', ')}]`);
    return this._st.data[this._off];
  }

  data(): TypedArray {
    return this._flat().slice();
  }

  toArray(): unknown {
    const flat = this._flat();
    if (this._shape.length === 0) return flat[0];
    const build = (d: number, off: number): unknown[] => {
      const n = this._shape[d];
      const out = new Array<unknown>(n);
      if (d === this._shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = flat[off + i];
      } else {
        const step = numel(this._shape.slice(d + 1));
        for (let i = 0; i < n; i++) out[i] = build(d + 1, off + i * step);
      }
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    return formatTensor(this);
  }

  [inspect.custom](): string {
    return formatTensor(this);
  }

  /** @internal Marks an in-place write for the version check of saved tensors. */
  _bump(): void {
    this._st.version++;
  }

  /** @internal Per-call layout metadata: [ndim, shape..., offset, strides...] for this tensor. */
  _fillMeta(): Float64Array {
    const n = this._shape.length;
    const m = metaBuffer(2 + 2 * n);
    m[0] = n;
    for (let d = 0; d < n; d++) m[1 + d] = this._shape[d];
    m[1 + n] = this._off;
    for (let d = 0; d < n; d++) m[2 + n + d] = this._strides[d];
    return m;
  }

  /** @internal Sets every element (any layout) to `value`. */
  _fill(value: number): void {
    native.fill(this._st.data, value, this._fillMeta());
    this._bump();
  }
}

const metaCache: Float64Array[] = [];
/** Reused metadata arrays, one per length: native calls are synchronous, so reuse is safe. */
export function metaBuffer(n: number): Float64Array {
  let m = metaCache[n];
  if (!m) m = metaCache[n] = new Float64Array(n);
  return m;
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
