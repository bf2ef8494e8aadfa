// Helpers shared by the op files: scalars as tensors, dtype promotion, layouts for native calls.
import { DType, promote } from '../dtype';
import { checkTensor } from '../validate';
import { Tensor, metaBuffer } from '../tensor';
import { applyOp, OpDefinition } from '../autograd/node';

export type TensorLike = Tensor | number;

/** Registers `fn` as a Tensor method (`this` as the first argument). */
export function method<A extends unknown[], R>(name: string, fn: (self: Tensor, ...args: A) => R): void {
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor, ...args: A) {
      return fn(this, ...args);
    },
    writable: true,
    configurable: true,
  });
}

export function scalarTensor(v: number, dtype: DType): Tensor {
  const t = Tensor._empty([], dtype);
  t._st.data[0] = v;
  return t;
}

function checkOperand(op: string, x: unknown, what: string): TensorLike {
  if (typeof x === 'number') return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  return checkTensor(op, x, what);
}

/** Turns two operands (tensors or numbers) into tensors of one promoted dtype, recording casts. */
export function promoteOperands(op: string, a: unknown, b: unknown): [Tensor, Tensor] {
  const x = checkOperand(op, a, 'first operand');
  const y = checkOperand(op, b, 'second operand');
  if (typeof x === 'number' && typeof y === 'number') {
    throw new TypeError(`${op}: at least one operand must be a Tensor`);
  }
  const scalarDtype = (t: Tensor, v: number): DType => (t.dtype === 'int32' && !Number.isInteger(v) ? 'float32' : t.dtype);
  let dt: DType;
  if (typeof x === 'number') dt = scalarDtype(y as Tensor, x);
  else if (typeof y === 'number') dt = scalarDtype(x, y);
  else dt = promote(x.dtype, y.dtype);
  const cast = (v: TensorLike): Tensor => (typeof v === 'number' ? scalarTensor(v, dt) : v.dtype === dt ? v : v.to(dt));
  return [cast(x), cast(y)];
}

/** [ndim, shape..., then per operand: offset, strides (0 where broadcast)]. */
export function elementwiseMeta(shape: readonly number[], operands: Tensor[]): Float64Array {
  const n = shape.length;
  const m = metaBuffer(1 + n + operands.length * (1 + n));
  m[0] = n;
  for (let d = 0; d < n; d++) m[1 + d] = shape[d];
  let p = 1 + n;
  for (const t of operands) {
    m[p++] = t._off;
    const lead = n - t._shape.length;
    for (let d = 0; d < n; d++) {
      const td = d - lead;
      m[p++] = td < 0 || (t._shape[td] === 1 && shape[d] !== 1) ? 0 : t._strides[td];
    }
  }
  return m;
}

/**
 * The layout of a 1-D elementwise op over n elements: the output contiguous from 0, then each input
 * as (offset, stride) pairs (stride 0 for a broadcast scalar). What elementwiseMeta gives a
 * contiguous case, without walking shapes.
 */
export function flatMeta(n: number, ...inputs: number[]): Float64Array {
  const m = metaBuffer(4 + inputs.length);
  m[0] = 1;
  m[1] = n;
  m[2] = 0;
  m[3] = 1;
  for (let i = 0; i < inputs.length; i++) m[4 + i] = inputs[i];
  return m;
}

export function op<A extends unknown[]>(name: string, def: OpDefinition<A>): (...args: A) => Tensor {
  return (...args: A) => applyOp(name, def, args);
}
