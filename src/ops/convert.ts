// Copies and conversions (contiguous, clone, detach, to) and the in-place ops.
import { native, BinaryOp } from '../native';
import { DType, isDType, isFloat } from '../dtype';
import { Tensor } from '../tensor';
import { isGradEnabled } from '../autograd/grad-mode';
import { broadcastShapes, sameShape, shapeStr } from '../shape';
import { elementwiseMeta, method, op, scalarTensor } from './util';
import { checkNumber, checkTensor, describe } from '../validate';
import { copyInto } from './shape';

const copyOp = op('clone', {
  forward(_ctx, x: Tensor) {
    const out = Tensor._empty(x._shape, x.dtype);
    copyInto(out, x);
    return out;
  },
  backward(_ctx, g) {
    return [g];
  },
});

const castOp = op('to', {
  forward(ctx, x: Tensor, dtype: DType) {
    ctx.inDtype = x.dtype;
    const out = Tensor._empty(x._shape, dtype);
    copyInto(out, x, 'to');
    return out;
  },
  backward(ctx, g) {
    return [g.to(ctx.inDtype as DType)];
  },
});

export function clone(x: Tensor): Tensor {
  checkTensor('clone', x);
  return copyOp(x);
}

export function contiguous(x: Tensor): Tensor {
  checkTensor('contiguous', x);
  return x.isContiguous() ? x : copyOp(x);
}

export function detach(x: Tensor): Tensor {
  checkTensor('detach', x);
  return x._view(x._shape, x._strides, x._off);
}

export function to(x: Tensor, dtype: DType): Tensor {
  checkTensor('to', x);
  if (!isDType(dtype)) throw new TypeError(`to: unknown dtype ${describe(dtype)} (expected 'float32', 'float64' or 'int32')`);
  return x.dtype === dtype ? x : castOp(x, dtype);
}

// ---- in place ------------------------------------------------------------------------------

export function checkInPlace(name: string, self: Tensor, other?: Tensor): void {
  if (isGradEnabled()) {
    if (self.requiresGrad) {
      throw new Error(
        self.isLeaf
          ? `${name}: a leaf tensor that requires grad cannot be changed in place while grad mode is on; wrap the update in tg.noGrad(() => ...)`
          : `${name}: in-place ops on tensors with a gradient history (made by '${self.gradFn}') are not supported; use the out-of-place op`,
      );
    }
    if (other?.requiresGrad) {
      throw new Error(`${name}: the other operand requires grad, and in-place results are not recorded; use the out-of-place op or tg.noGrad`);
    }
  }
  // An empty tensor has nothing to write (its contiguous strides can be 0 where a later dim is 0).
  if (self.size > 0 && self._strides.some((s, d) => s === 0 && self._shape[d] > 1)) {
    throw new RangeError(`${name}: cannot write in place into an expanded tensor (shape ${shapeStr(self._shape)} has stride-0 dims); clone() it first`);
  }
}

/** `other` broadcast to self's shape, in self's dtype, and not aliasing self in another layout. */
function inPlaceOperand(name: string, self: Tensor, other: Tensor | number): Tensor {
  if (typeof other === 'number' && self.dtype === 'int32' && !Number.isInteger(other)) {
    throw new TypeError(`${name}: cannot write a non-integer result (${other}) into an int32 tensor`);
  }
  let o = typeof other === 'number' ? scalarTensor(other, self.dtype) : checkTensor(name, other, 'other');
  if (!sameShape(broadcastShapes(name, self.shape, o.shape), self.shape)) {
    throw new RangeError(`${name}: shape ${shapeStr(o.shape)} cannot be broadcast to the in-place target's shape ${shapeStr(self.shape)}`);
  }
  if (o.dtype !== self.dtype) {
    if (self.dtype === 'int32' && isFloat(o.dtype)) throw new TypeError(`${name}: cannot write a ${o.dtype} result into an int32 tensor`);
    o = o.to(self.dtype);
  }
  const sameLayout = o._st === self._st && o._off === self._off && sameShape(o.shape, self.shape) && o._strides.every((s, d) => s === self._strides[d]);
  if (o._st === self._st && !sameLayout) o = o.clone();
  return o;
}

function binaryInPlace(name: string, code: BinaryOp, self: Tensor, other: Tensor | number): Tensor {
  checkTensor(name, self, 'self');
  const o = inPlaceOperand(name, self, other);
  checkInPlace(name, self, o);
  native.binary(code, self._st.data, self._st.data, o._st.data, elementwiseMeta(self._shape, [self, self, o]));
  self._bump();
  return self;
}

export function add_(self: Tensor, other: Tensor | number, alpha = 1): Tensor {
  checkNumber('add_', alpha, 'alpha');
  if (typeof other !== 'number') checkTensor('add_', other, 'other');
  const o = alpha === 1 || typeof other === 'number' ? (typeof other === 'number' ? other * alpha : other) : other.mul(alpha);
  return binaryInPlace('add_', BinaryOp.Add, self, o);
}

export function mul_(self: Tensor, other: Tensor | number): Tensor {
  return binaryInPlace('mul_', BinaryOp.Mul, self, other);
}

export function fill_(self: Tensor, value: number): Tensor {
  checkTensor('fill_', self, 'self');
  if (typeof value !== 'number') throw new TypeError(`fill_: value must be a number, got ${describe(value)}`);
  checkInPlace('fill_', self);
  self._fill(value);
  return self;
}

export function zero_(self: Tensor): Tensor {
  return fill_(self, 0);
}

export function copy_(self: Tensor, src: Tensor): Tensor {
  checkTensor('copy_', self, 'self');
  checkTensor('copy_', src, 'src');
  if (!sameShape(broadcastShapes('copy_', self._shape, src._shape), self._shape)) {
    throw new RangeError(`copy_: source shape ${shapeStr(src._shape)} cannot be broadcast to ${shapeStr(self._shape)}`);
  }
  checkInPlace('copy_', self, src);
  let s = src;
  if (s._st === self._st) s = s.clone();
  copyInto(self, s, 'copy_');
  self._bump();
  return self;
}

declare module '../tensor' {
  interface Tensor {
    clone(): Tensor;
    contiguous(): Tensor;
    detach(): Tensor;
    to(dtype: DType): Tensor;
    float(): Tensor;
    double(): Tensor;
    add_(other: Tensor | number, alpha?: number): this;
    mul_(other: Tensor | number): this;
    fill_(value: number): this;
    zero_(): this;
    copy_(src: Tensor): this;
  }
}

method('clone', clone);
method('contiguous', contiguous);
method('detach', detach);
method('to', to);
method('float', (x: Tensor) => to(x, 'float32'));
method('double', (x: Tensor) => to(x, 'float64'));
method('add_', add_);
method('mul_', mul_);
method('fill_', fill_);
method('zero_', zero_);
method('copy_', copy_);
