// indexSelect and gather (int32 indices), with their scatter-add backward kernels.
import { native } from '../native';
import { Tensor, metaBuffer } from '../tensor';
import { numel, shapeStr } from '../shape';
import { checkElements, checkTensor, normDim } from '../validate';
import { method, op } from './util';

function checkIndex(name: string, index: unknown): Tensor {
  const t = checkTensor(name, index, 'index');
  if (t.dtype !== 'int32') throw new TypeError(`${name}: index must be an int32 tensor, got ${t.dtype}`);
  return t;
}

function rowsMeta(shape: readonly number[], dim: number): Float64Array {
  const m = metaBuffer(3);
  m[0] = numel(shape.slice(0, dim));
  m[1] = shape[dim];
  m[2] = numel(shape.slice(dim + 1));
  return m;
}

const indexSelectBackward = op('indexSelectBackward', {
  forward(ctx, g: Tensor, index: Tensor, shape: number[], dim: number) {
    Object.assign(ctx, { index, dim });
    const gx = Tensor._zeros(shape, g.dtype);
    native.indexAdd(gx._st.data, g._flat(), index._flat() as Int32Array, rowsMeta(shape, dim));
    return gx;
  },
  backward(ctx, gg) {
    return [indexSelect(gg, ctx.dim as number, ctx.index as Tensor)];
  },
});

const indexSelectOp = op('indexSelect', {
  forward(ctx, x: Tensor, dim: number, index: Tensor) {
    const shape = x._shape.slice();
    shape[dim] = index.size;
    const out = Tensor._empty(shape, x.dtype);
    native.indexSelect(out._st.data, x._flat(), index._flat() as Int32Array, rowsMeta(x._shape, dim));
    Object.assign(ctx, { index, dim, inShape: x._shape });
    return out;
  },
  backward(ctx, g) {
    return [indexSelectBackward(g, ctx.index as Tensor, ctx.inShape as number[], ctx.dim as number)];
  },
});

/** Rows (along dim) picked by a 1-D int32 index, as torch.index_select. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', x);
  const idx = checkIndex('indexSelect', index);
  if (idx.ndim > 1) throw new RangeError(`indexSelect: index must be 0-D or 1-D, got shape ${shapeStr(idx._shape)}`);
  if (x.ndim === 0) {
    if (idx.size !== 1) throw new RangeError('indexSelect: a 0-d input takes a single index');
    return indexSelect(x.reshape(1), 0, idx.reshape(1)).reshape([]);
  }
  const d = normDim('indexSelect', dim, x.ndim, x._shape);
  const outShape = x._shape.slice();
  outShape[d] = idx.size;
  checkElements('indexSelect', outShape, 'output shape', ` (input shape ${shapeStr(x._shape)}, ${idx.size} indices)`);
  return indexSelectOp(x, d, idx.reshape(-1));
}

function gatherMeta(xshape: readonly number[], ishape: readonly number[], dim: number): Float64Array {
  const n = xshape.length;
  const m = metaBuffer(2 + 2 * n);
  m[0] = n;
  m[1] = dim;
  for (let d = 0; d < n; d++) {
    m[2 + d] = xshape[d];
    m[2 + n + d] = ishape[d];
  }
  return m;
}

const gatherBackward = op('gatherBackward', {
  forward(ctx, g: Tensor, index: Tensor, shape: number[], dim: number) {
    Object.assign(ctx, { index, dim });
    const gx = Tensor._zeros(shape, g.dtype);
    native.scatterAdd(gx._st.data, g._flat(), index._flat() as Int32Array, gatherMeta(shape, index._shape, dim));
    return gx;
  },
  backward(ctx, gg) {
    return [gather(gg, ctx.dim as number, ctx.index as Tensor)];
  },
});

const gatherOp = op('gather', {
  forward(ctx, x: Tensor, dim: number, index: Tensor) {
    const out = Tensor._empty(index._shape, x.dtype);
    native.gather(out._st.data, x._flat(), index._flat() as Int32Array, gatherMeta(x._shape, index._shape, dim));
    Object.assign(ctx, { index, dim, inShape: x._shape });
    return out;
  },
  backward(ctx, g) {
    return [gatherBackward(g, ctx.index as Tensor, ctx.inShape as number[], ctx.dim as number)];
  },
});

/** out[i][j] = x[i][index[i][j]] for dim 1 (and so on), as torch.gather. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', x);
  const idx = checkIndex('gather', index);
  if (x.ndim === 0) {
    if (idx.ndim !== 0) throw new RangeError('gather: a 0-d input takes a 0-d index');
    return gather(x.reshape(1), 0, idx.reshape(1)).reshape([]);
  }
  const d = normDim('gather', dim, x.ndim, x._shape);
  if (idx.ndim !== x.ndim) {
    throw new RangeError(`gather: index shape ${shapeStr(idx._shape)} must have as many dims as the input shape ${shapeStr(x._shape)}`);
  }
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && idx._shape[i] > x._shape[i]) {
      throw new RangeError(`gather: index shape ${shapeStr(idx._shape)} exceeds input shape ${shapeStr(x._shape)} at dim ${i}`);
    }
  }
  return gatherOp(x, d, idx);
}

declare module '../tensor' {
  interface Tensor {
    indexSelect(dim: number, index: Tensor): Tensor;
    gather(dim: number, index: Tensor): Tensor;
  }
}
method('indexSelect', indexSelect);
method('gather', gather);
