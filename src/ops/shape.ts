// Views (reshape, transpose, permute, expand, narrow, slice, squeeze ...) share storage with their
// input; cat and stack copy. Backward of a view is the matching reverse view or scatter.
import { native } from '../native';
import { promote } from '../dtype';
import { Tensor } from '../tensor';
import { contiguousStrides, numel, sameShape, shapeStr } from '../shape';
import { MAX_DIMS, checkElements, checkInt, checkShape, checkTensor, normDim } from '../validate';
import { elementwiseMeta, method, op } from './util';
import { sumTo } from './reduce';

/** Parses `(...sizes)` or `([sizes])`. */
export function sizesArg(name: string, args: unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (list.length > MAX_DIMS) throw new RangeError(`${name}: at most ${MAX_DIMS} dims are supported, got ${list.length}`);
  const out = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) {
    if (!(i in list)) throw new TypeError(`${name}: the sizes have a hole at index ${i}`);
    out[i] = checkInt(name, list[i], 'size');
  }
  return out;
}

/** Strides that view `shape` in place of (oldShape, oldStrides), or null if a copy is needed. */
function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], shape: number[]): number[] | null {
  if (numel(oldShape) === 0 || oldShape.length === 0) return contiguousStrides(shape);
  const out = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= shape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}

function inferShape(name: string, x: Tensor, sizes: number[]): number[] {
  const neg = sizes.filter((s) => s === -1).length;
  if (neg > 1) throw new RangeError(`${name}: only one dim can be -1, got ${shapeStr(sizes)}`);
  if (sizes.some((s) => s < -1)) throw new RangeError(`${name}: invalid size in ${shapeStr(sizes)}`);
  const known = sizes.reduce((p, s) => (s === -1 ? p : p * s), 1);
  const shape = sizes.slice();
  if (neg) {
    const i = sizes.indexOf(-1);
    if (known === 0 || x.size % known !== 0) {
      throw new RangeError(`${name}: shape ${shapeStr(sizes)} is invalid for input of size ${x.size}`);
    }
    shape[i] = x.size / known;
  }
  if (numel(shape) !== x.size) throw new RangeError(`${name}: shape ${shapeStr(sizes)} is invalid for input of size ${x.size} (shape ${shapeStr(x._shape)})`);
  return checkShape(name, shape);
}

const viewOp = op('view', {
  forward(ctx, x: Tensor, shape: number[], strides: number[]) {
    ctx.inShape = x._shape;
    return x._view(shape, strides, x._off);
  },
  backward(ctx, g) {
    return [g.reshape(ctx.inShape as number[])];
  },
});

export function reshape(x: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  checkTensor('reshape', x);
  const shape = inferShape('reshape', x, sizesArg('reshape', sizes));
  if (sameShape(shape, x._shape)) return viewOp(x, shape, x._strides.slice());
  const st = viewStrides(x._shape, x._strides, shape);
  if (st) return viewOp(x, shape, st);
  const c = x.contiguous();
  return viewOp(c, shape, contiguousStrides(shape));
}

export function view(x: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  checkTensor('view', x);
  const shape = inferShape('view', x, sizesArg('view', sizes));
  const st = viewStrides(x._shape, x._strides, shape);
  if (!st) {
    throw new RangeError(`view: shape ${shapeStr(shape)} is not compatible with the input's shape ${shapeStr(x._shape)} and strides ${shapeStr(x._strides)}; use reshape()`);
  }
  return viewOp(x, shape, st);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', startDim, x.ndim, x._shape);
  const e = normDim('flatten', endDim, x.ndim, x._shape);
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${shapeStr(x._shape)}`);
  const shape = [...x._shape.slice(0, s), numel(x._shape.slice(s, e + 1)), ...x._shape.slice(e + 1)];
  return reshape(x, shape);
}

export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  checkTensor('squeeze', x);
  let drop: Set<number>;
  if (dim === undefined || dim === null) drop = new Set(x._shape.map((s, d) => (s === 1 ? d : -1)).filter((d) => d >= 0));
  else {
    const dims = (Array.isArray(dim) ? dim : [dim]).map((d) => normDim('squeeze', d, x.ndim, x._shape));
    drop = new Set(dims.filter((d) => x.ndim > 0 && x._shape[d] === 1));
  }
  const shape = x._shape.filter((_, d) => !drop.has(d));
  const strides = x._strides.filter((_, d) => !drop.has(d));
  return viewOp(x, shape, strides);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', x);
  const d0 = checkInt('unsqueeze', dim, 'dim');
  if (d0 < -x.ndim - 1 || d0 > x.ndim) {
    throw new RangeError(`unsqueeze: dim ${d0} is out of range for a tensor of shape ${shapeStr(x._shape)} (expected ${-x.ndim - 1}..${x.ndim})`);
  }
  const d = d0 < 0 ? d0 + x.ndim + 1 : d0;
  const shape = [...x._shape.slice(0, d), 1, ...x._shape.slice(d)];
  const inner = d < x.ndim ? x._strides[d] * x._shape[d] : 1;
  const strides = [...x._strides.slice(0, d), inner, ...x._strides.slice(d)];
  return viewOp(x, shape, strides);
}

const permuteOp = op('permute', {
  forward(ctx, x: Tensor, dims: number[]) {
    ctx.dims = dims;
    return x._view(
      dims.map((d) => x._shape[d]),
      dims.map((d) => x._strides[d]),
      x._off,
    );
  },
  backward(ctx, g) {
    const dims = ctx.dims as number[];
    const inv = new Array<number>(dims.length);
    dims.forEach((d, i) => (inv[d] = i));
    return [permute(g, ...inv)];
  },
});

export function permute(x: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  checkTensor('permute', x);
  const list = sizesArg('permute', dims).map((d) => normDim('permute', d, x.ndim, x._shape));
  if (list.length !== x.ndim || new Set(list).size !== list.length) {
    throw new RangeError(`permute: dims ${shapeStr(list)} are not a permutation of the ${x.ndim} dims of shape ${shapeStr(x._shape)}`);
  }
  return permuteOp(x, list);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', x);
  if (x.ndim === 0) return x;
  const a = normDim('transpose', dim0, x.ndim, x._shape);
  const b = normDim('transpose', dim1, x.ndim, x._shape);
  const dims = [...Array(x.ndim).keys()];
  dims[a] = b;
  dims[b] = a;
  return permuteOp(x, dims);
}

const expandOp = op('expand', {
  forward(ctx, x: Tensor, shape: number[]) {
    ctx.inShape = x._shape;
    const lead = shape.length - x.ndim;
    const strides = shape.map((s, d) => (d < lead ? 0 : x._shape[d - lead] === 1 && s !== 1 ? 0 : x._strides[d - lead]));
    return x._view(shape, strides, x._off);
  },
  backward(ctx, g) {
    return [sumTo(g, ctx.inShape as number[])];
  },
});

export function expand(x: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  checkTensor('expand', x);
  const want = sizesArg('expand', sizes);
  if (want.length < x.ndim) throw new RangeError(`expand: shape ${shapeStr(want)} has fewer dims than the input ${shapeStr(x._shape)}`);
  const lead = want.length - x.ndim;
  const shape = want.map((s, d) => {
    const cur = d < lead ? null : x._shape[d - lead];
    if (s === -1) {
      if (cur === null) throw new RangeError(`expand: -1 is not allowed for a new leading dim in ${shapeStr(want)}`);
      return cur;
    }
    if (s < 0 || (cur !== null && cur !== 1 && cur !== s)) {
      throw new RangeError(`expand: cannot expand shape ${shapeStr(x._shape)} to ${shapeStr(want)}`);
    }
    return s;
  });
  checkShape('expand', shape);
  if (sameShape(shape, x._shape)) return x;
  return expandOp(x, shape);
}

// ---- narrow / slice ------------------------------------------------------------------------

/** Writes `src` (broadcast) into the view `dst`; `op` names the caller in conversion errors. */
export function copyInto(dst: Tensor, src: Tensor, op = 'copy'): void {
  try {
    native.copy(dst._st.data, src._st.data, elementwiseMeta(dst._shape, [dst, src]));
  } catch (e) {
    if (e instanceof RangeError && dst.dtype === 'int32') {
      throw new RangeError(`${op}: float values converted to int32 must be finite and within the int32 range`);
    }
    throw e;
  }
}

const sliceBackwardOp = op('sliceBackward', {
  forward(ctx, g: Tensor, shape: number[], dim: number, start: number, step: number) {
    Object.assign(ctx, { dim, start, step, len: g._shape[dim] });
    const out = Tensor._zeros(shape, g.dtype);
    copyInto(stridedSlice(out, dim, start, g._shape[dim], step), g);
    return out;
  },
  backward(ctx, gg) {
    return [stridedSlice(gg, ctx.dim as number, ctx.start as number, ctx.len as number, ctx.step as number).contiguous()];
  },
});

function stridedSlice(x: Tensor, dim: number, start: number, len: number, step: number): Tensor {
  const shape = x._shape.slice();
  shape[dim] = len;
  const strides = x._strides.slice();
  strides[dim] = x._strides[dim] * step;
  return x._view(shape, strides, x._off + (len > 0 ? start * x._strides[dim] : 0));
}

const sliceOp = op('slice', {
  forward(ctx, x: Tensor, dim: number, start: number, len: number, step: number) {
    Object.assign(ctx, { inShape: x._shape, dim, start, step });
    return stridedSlice(x, dim, start, len, step);
  },
  backward(ctx, g) {
    return [sliceBackwardOp(g, ctx.inShape as number[], ctx.dim as number, ctx.start as number, ctx.step as number)];
  },
});

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', x);
  if (x.ndim === 0) throw new RangeError('narrow: cannot narrow a 0-d tensor');
  const d = normDim('narrow', dim, x.ndim, x._shape);
  const n = x._shape[d];
  let s = checkInt('narrow', start, 'start');
  const len = checkInt('narrow', length, 'length');
  if (s < 0) s += n;
  if (s < 0 || s > n || len < 0 || s + len > n) {
    throw new RangeError(`narrow: start ${start} and length ${length} exceed dim ${d} of size ${n} (shape ${shapeStr(x._shape)})`);
  }
  return sliceOp(x, d, s, len, 1);
}

/** Python-style slicing `x[start:end:step]` along dim (negative and out-of-range bounds clamp). */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  checkTensor('slice', x);
  if (x.ndim === 0) throw new RangeError('slice: cannot slice a 0-d tensor');
  const d = normDim('slice', dim, x.ndim, x._shape);
  const n = x._shape[d];
  const st = checkInt('slice', step, 'step');
  if (st <= 0) throw new RangeError(`slice: step must be positive, got ${step}`);
  const clampIdx = (v: number | null | undefined, dflt: number): number => {
    if (v === null || v === undefined) return dflt;
    let i = checkInt('slice', v, 'index');
    if (i < 0) i += n;
    return Math.min(Math.max(i, 0), n);
  };
  const s = clampIdx(start, 0);
  const e = clampIdx(end, n);
  const len = e > s ? Math.ceil((e - s) / st) : 0;
  return sliceOp(x, d, s, len, st);
}

// ---- cat / stack / split -------------------------------------------------------------------

const catOp = op('cat', {
  forward(ctx, dim: number, ...xs: Tensor[]) {
    const shape = xs[0]._shape.slice();
    shape[dim] = xs.reduce((p, t) => p + t._shape[dim], 0);
    const out = Tensor._empty(shape, xs[0].dtype);
    let off = 0;
    const sizes: number[] = [];
    for (const t of xs) {
      copyInto(stridedSlice(out, dim, off, t._shape[dim], 1), t);
      off += t._shape[dim];
      sizes.push(t._shape[dim]);
    }
    Object.assign(ctx, { dim, sizes });
    return out;
  },
  backward(ctx, g) {
    const dim = ctx.dim as number;
    let off = 0;
    return [null, ...(ctx.sizes as number[]).map((s) => {
      const part = narrow(g, dim, off, s);
      off += s;
      return part;
    })];
  },
});

export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new TypeError('cat: expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('cat', t, `tensors[${i}]`));
  const first = tensors[0];
  if (first.ndim === 0) throw new RangeError('cat: zero-dimensional tensors cannot be concatenated; use stack');
  const d = normDim('cat', dim, first.ndim, first._shape);
  for (const t of tensors) {
    if (t.ndim !== first.ndim || t._shape.some((s, i) => i !== d && s !== first._shape[i])) {
      throw new RangeError(`cat: shapes ${tensors.map((x) => shapeStr(x._shape)).join(', ')} differ outside dim ${d}`);
    }
  }
  const total = first._shape.slice();
  total[d] = tensors.reduce((n, t) => n + t._shape[d], 0);
  checkElements('cat', total);
  const dt = tensors.map((t) => t.dtype).reduce(promote);
  return catOp(d, ...tensors.map((t) => (t.dtype === dt ? t : t.to(dt))));
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new TypeError('stack: expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('stack', t, `tensors[${i}]`));
  const first = tensors[0];
  for (const t of tensors) {
    if (!sameShape(t._shape, first._shape)) {
      throw new RangeError(`stack: all tensors must have the same shape, got ${tensors.map((x) => shapeStr(x._shape)).join(', ')}`);
    }
  }
  const d = checkInt('stack', dim, 'dim');
  if (d < -first.ndim - 1 || d > first.ndim) {
    throw new RangeError(`stack: dim ${d} is out of range for tensors of shape ${shapeStr(first._shape)} (expected ${-first.ndim - 1}..${first.ndim})`);
  }
  checkElements('stack', [tensors.length, ...first._shape]);
  return cat(tensors.map((t) => unsqueeze(t, d)), d);
}

export function split(x: Tensor, sizeOrSizes: number | number[], dim = 0): Tensor[] {
  checkTensor('split', x);
  if (x.ndim === 0) throw new RangeError('split: expects a tensor with at least 1 dim, got a 0-d tensor');
  const d = normDim('split', dim, x.ndim, x._shape);
  const n = x._shape[d];
  let sizes: number[];
  if (Array.isArray(sizeOrSizes)) {
    sizes = sizeOrSizes.map((s) => checkInt('split', s, 'size'));
    if (sizes.some((s) => s < 0) || sizes.reduce((p, s) => p + s, 0) !== n) {
      throw new RangeError(`split: sizes ${shapeStr(sizes)} do not sum to dim ${d} of size ${n}`);
    }
  } else {
    const s = checkInt('split', sizeOrSizes, 'size');
    if (s <= 0 && n > 0) throw new RangeError(`split: size must be positive, got ${s}`);
    sizes = [];
    for (let i = 0; i < n; i += s) sizes.push(Math.min(s, n - i));
    if (n === 0) sizes.push(0);
  }
  let off = 0;
  return sizes.map((s) => {
    const part = narrow(x, d, off, s);
    off += s;
    return part;
  });
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', x);
  const c = checkInt('chunk', chunks, 'chunks');
  if (c <= 0) throw new RangeError(`chunk: chunks must be positive, got ${chunks}`);
  if (x.ndim === 0) throw new RangeError('chunk: expects a tensor with at least 1 dim, got a 0-d tensor');
  const d = normDim('chunk', dim, x.ndim, x._shape);
  // As in PyTorch, an empty dim gives `chunks` empty pieces.
  if (x._shape[d] === 0) return Array.from({ length: c }, () => narrow(x, d, 0, 0));
  return split(x, Math.ceil(x._shape[d] / c), d);
}

declare module '../tensor' {
  interface Tensor {
    reshape(...shape: (number | readonly number[])[]): Tensor;
    view(...shape: (number | readonly number[])[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number | number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    permute(...dims: (number | readonly number[])[]): Tensor;
    expand(...shape: (number | readonly number[])[]): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    split(sizeOrSizes: number | number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    readonly T: Tensor;
  }
}

method('reshape', reshape);
method('view', view);
method('flatten', flatten);
method('squeeze', squeeze);
method('unsqueeze', unsqueeze);
method('transpose', transpose);
method('permute', permute);
method('expand', expand);
method('narrow', narrow);
method('slice', slice);
method('split', split);
method('chunk', chunk);
Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor) {
    if (this.ndim !== 2) throw new RangeError(`T: expects a 2-D tensor, got shape ${shapeStr(this._shape)}; use transpose() or permute()`);
    return transpose(this, 0, 1);
  },
  configurable: true,
});
