// ONNX operators implemented with tapegrad ops, so that a loaded graph is differentiable.
import { Tensor } from '../tensor';
import * as E from '../ops/elementwise';
import { matmul } from '../ops/linalg';
import * as R from '../ops/reduce';
import { cat, expand, permute, reshape, slice, squeeze, unsqueeze } from '../ops/shape';
import { gather, indexSelect } from '../ops/indexing';
import { conv2d, maxPool2d, avgPool2d } from '../nn/conv';
import { batchNorm, layerNorm } from '../nn/norm';
import { softmax, logSoftmax } from '../nn/functional';
import { full } from '../ops/creation';
import { Attrs, checkDims, fromTensorMsg, Ints, intTensor, isInts, Value } from './values';
import { DataType } from './proto';

export interface NodeCtx {
  where: string;
  attrs: Attrs;
  opset: number;
  /** Number of outputs the node declares. */
  outputs: number;
}
type Impl = (inputs: (Value | null)[], c: NodeCtx) => Value | Value[];

function t(c: NodeCtx, v: Value | null | undefined, what = 'input'): Tensor {
  if (v === null || v === undefined) throw new TypeError(`${c.where}: missing ${what}`);
  return isInts(v) ? intTensor(c.where, v) : v;
}
function ints(c: NodeCtx, v: Value | null | undefined, what: string): number[] {
  if (v === null || v === undefined) throw new TypeError(`${c.where}: missing ${what}`);
  if (!isInts(v)) {
    if (v.dtype !== 'int32') throw new TypeError(`${c.where}: ${what} must be an integer tensor, got ${v.dtype}`);
    return Array.from(v.data());
  }
  return v.ints;
}
const normAxis = (c: NodeCtx, a: number, rank: number): number => {
  if (!Number.isInteger(a) || a < -rank || a >= Math.max(rank, 1)) throw new RangeError(`${c.where}: axis ${a} is out of range for rank ${rank}`);
  return a < 0 ? a + rank : a;
};
/** Binary ops on a float tensor and integer data convert the integers to the tensor's dtype. */
function pair(c: NodeCtx, a: Value | null, b: Value | null): [Tensor, Tensor] {
  let x = t(c, a);
  let y = t(c, b);
  if (x.dtype !== y.dtype) {
    if (x.dtype === 'int32') x = x.to(y.dtype);
    else y = y.to(x.dtype);
  }
  return [x, y];
}

const unary = (f: (x: Tensor, c: NodeCtx) => Tensor): Impl => (ins, c) => f(t(c, ins[0]), c);
const binary = (f: (a: Tensor, b: Tensor) => Tensor): Impl => (ins, c) => f(...pair(c, ins[0], ins[1]));
const variadic = (f: (a: Tensor, b: Tensor) => Tensor): Impl => (ins, c) => {
  let acc = t(c, ins[0]);
  for (const v of ins.slice(1)) acc = f(...pair(c, acc, v));
  return acc;
};

function axesOf(c: NodeCtx, ins: (Value | null)[], attrFromOpset: number): number[] | undefined {
  if (c.opset >= attrFromOpset) return ins[1] ? ints(c, ins[1], 'axes') : undefined;
  return c.attrs.ints('axes');
}

function reduceImpl(f: (x: Tensor, dims: number[], keep: boolean) => Tensor, axesInputFrom: number): Impl {
  return (ins, c) => {
    const x = t(c, ins[0]);
    const keep = c.attrs.int('keepdims', 1) === 1;
    let axes = axesOf(c, ins, axesInputFrom);
    if (axes === undefined || axes.length === 0) {
      if (c.attrs.int('noop_with_empty_axes', 0) === 1) return x;
      axes = [...Array(x.ndim).keys()];
    }
    return f(x, axes.map((a) => normAxis(c, a, x.ndim)), keep);
  };
}

function poolArgs(c: NodeCtx, rank: number) {
  if (rank !== 4) throw new RangeError(`${c.where}: only 2-D pooling and convolution ([N, C, H, W] inputs) are supported, got rank ${rank}`);
  const autoPad = c.attrs.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new TypeError(`${c.where}: auto_pad ${autoPad} is not supported (give explicit pads)`);
  const pads = c.attrs.ints('pads', [0, 0, 0, 0])!;
  if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3]) throw new RangeError(`${c.where}: only symmetric 2-D pads are supported, got [${pads.join(', ')}]`);
  const kernel = c.attrs.ints('kernel_shape');
  return {
    kernel,
    stride: c.attrs.ints('strides', [1, 1])! as [number, number],
    padding: [pads[0], pads[1]] as [number, number],
    dilation: c.attrs.ints('dilations', [1, 1])! as [number, number],
    ceilMode: c.attrs.int('ceil_mode', 0) === 1,
  };
}

function argReduce(c: NodeCtx, x: Tensor, f: (x: Tensor, dim: number, keep: boolean) => Tensor): Tensor {
  if (c.attrs.int('select_last_index', 0) !== 0) throw new TypeError(`${c.where}: select_last_index = 1 is not supported`);
  return f(x, normAxis(c, c.attrs.int('axis', 0), x.ndim), c.attrs.int('keepdims', 1) === 1);
}

function castTo(c: NodeCtx, v: Value, to: number): Value {
  if (to === DataType.FLOAT || to === DataType.DOUBLE) return t(c, v).to(to === DataType.FLOAT ? 'float32' : 'float64');
  if (to === DataType.BOOL) return isInts(v) ? { ints: v.ints.map((x) => (x !== 0 ? 1 : 0)), dims: v.dims } : E.ne(v, 0);
  if (to === DataType.INT64 || to === DataType.INT32) return isInts(v) ? v : v.dtype === 'int32' ? v : v.to('int32');
  throw new TypeError(`${c.where}: Cast to data type ${to} is not supported`);
}

/** Reshape's target: 0 copies the input dim (unless allowzero), -1 is inferred. */
function reshapeTarget(c: NodeCtx, shape: number[], inShape: readonly number[]): number[] {
  const allowZero = c.attrs.int('allowzero', 0) === 1;
  return shape.map((s, i) => {
    if (s === 0 && !allowZero) {
      if (i >= inShape.length) throw new RangeError(`${c.where}: shape [${shape.join(', ')}] copies dim ${i} of an input of rank ${inShape.length}`);
      return inShape[i];
    }
    return s;
  });
}

function shapeInts(x: Value): Ints {
  const dims = isInts(x) ? x.dims : x.shape;
  return { ints: dims.slice(), dims: [dims.length] };
}

const impls: Record<string, Impl> = {
  Identity: (ins, c) => { if (!ins[0]) throw new TypeError(`${c.where}: missing input`); return ins[0]; },
  Neg: unary(E.neg), Abs: unary(E.abs), Sign: unary(E.sign), Exp: unary(E.exp), Log: unary(E.log), Sqrt: unary(E.sqrt),
  Reciprocal: unary(E.reciprocal), Sin: unary(E.sin), Cos: unary(E.cos), Tanh: unary(E.tanh), Sigmoid: unary(E.sigmoid),
  Erf: unary(E.erf), Relu: unary(E.relu),
  LeakyRelu: unary((x, c) => E.leakyRelu(x, c.attrs.float('alpha', 0.01))),
  Elu: unary((x, c) => E.elu(x, c.attrs.float('alpha', 1))),
  Softplus: unary((x) => E.softplus(x)),
  Gelu: unary((x, c) => E.gelu(x, { approximate: c.attrs.string('approximate', 'none') === 'tanh' ? 'tanh' : 'none' })),
  Add: binary(E.add), Sub: binary(E.sub), Mul: binary(E.mul), Div: binary(E.div), Pow: binary(E.pow),
  Max: variadic(E.maximum), Min: variadic(E.minimum), Sum: variadic(E.add),
  Equal: binary(E.eq), Less: binary(E.lt), LessOrEqual: binary(E.le), Greater: binary(E.gt), GreaterOrEqual: binary(E.ge),
  Not: (ins, c) => E.sub(1, t(c, ins[0])),
  Where: (ins, c) => {
    const [a, b] = pair(c, ins[1], ins[2]);
    const cond = t(c, ins[0]);
    return E.where(cond.dtype === a.dtype ? cond : cond.to(a.dtype), a, b);
  },
  Cast: (ins, c) => castTo(c, ins[0] ?? t(c, null), c.attrs.int('to')),
  Dropout: (ins, c) => {
    if (c.outputs > 1) throw new TypeError(`${c.where}: Dropout's mask output is not supported`);
    return t(c, ins[0]);
  },
  Clip: (ins, c) => {
    const x = t(c, ins[0]);
    const bound = (v: Value | null | undefined) => (v ? t(c, v).item() : null);
    const lo = c.opset >= 11 ? bound(ins[1]) : c.attrs.float('min', -Infinity);
    const hi = c.opset >= 11 ? bound(ins[2]) : c.attrs.float('max', Infinity);
    return lo === null && hi === null ? x : E.clamp(x, lo, hi);
  },
  MatMul: binary(matmul),
  Gemm: (ins, c) => {
    let a = t(c, ins[0]);
    let b = t(c, ins[1]);
    if (a.ndim !== 2 || b.ndim !== 2) throw new RangeError(`${c.where}: Gemm needs 2-D A and B, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    if (c.attrs.int('transA', 0)) a = a.transpose(0, 1);
    if (c.attrs.int('transB', 0)) b = b.transpose(0, 1);
    let y = matmul(a, b);
    const alpha = c.attrs.float('alpha', 1);
    if (alpha !== 1) y = y.mul(alpha);
    if (ins[2]) {
      const beta = c.attrs.float('beta', 1);
      const cc = t(c, ins[2]);
      y = y.add(beta === 1 ? cc : cc.mul(beta));
    }
    return y;
  },
  ReduceSum: reduceImpl((x, d, k) => R.sum(x, d, k), 13),
  ReduceMean: reduceImpl((x, d, k) => R.mean(x, d, k), 18),
  ReduceMax: reduceImpl((x, d, k) => R.max(x, d, k), 18),
  ReduceMin: reduceImpl((x, d, k) => R.min(x, d, k), 18),
  ReduceProd: reduceImpl((x, d, k) => R.prod(x, d, k), 18),
  ReduceLogSumExp: reduceImpl((x, d, k) => R.logsumexp(x, d, k), 18),
  ReduceL1: reduceImpl((x, d, k) => R.norm(x, 1, d, k), 18),
  ReduceL2: reduceImpl((x, d, k) => R.norm(x, 2, d, k), 18),
  ArgMax: unary((x, c) => argReduce(c, x, R.argmax)),
  ArgMin: unary((x, c) => argReduce(c, x, R.argmin)),
  Reshape: (ins, c) => {
    const x = ins[0] ?? t(c, null);
    const target = reshapeTarget(c, ints(c, ins[1], 'shape'), isInts(x) ? x.dims : x.shape);
    if (isInts(x)) return { ints: x.ints, dims: reshape(intTensor(c.where, x), target).shape.slice() };
    return reshape(x, target);
  },
  Flatten: unary((x, c) => {
    const axis = normAxis(c, c.attrs.int('axis', 1), x.ndim + 1);
    const outer = x.shape.slice(0, axis).reduce((p, s) => p * s, 1);
    return reshape(x, [outer, -1].map((s, i) => (i === 1 && outer === 0 ? 0 : s)));
  }),
  Transpose: unary((x, c) => permute(x, c.attrs.ints('perm', [...Array(x.ndim).keys()].reverse())!)),
  Squeeze: (ins, c) => {
    const x = t(c, ins[0]);
    const axes = c.opset >= 13 ? (ins[1] ? ints(c, ins[1], 'axes') : undefined) : c.attrs.ints('axes');
    if (axes === undefined) return squeeze(x);
    for (const a of axes) if (x.shape[normAxis(c, a, x.ndim)] !== 1) throw new RangeError(`${c.where}: cannot squeeze axis ${a} of shape [${x.shape.join(', ')}]`);
    return squeeze(x, axes);
  },
  Unsqueeze: (ins, c) => {
    let x = ins[0] ?? t(c, null);
    const axes = (c.opset >= 13 ? ints(c, ins[1], 'axes') : c.attrs.ints('axes', [])!).slice();
    const rank = (isInts(x) ? x.dims.length : x.ndim) + axes.length;
    const sorted = axes.map((a) => normAxis(c, a, rank)).sort((p, q) => p - q);
    if (isInts(x)) {
      const dims = x.dims.slice();
      for (const a of sorted) dims.splice(a, 0, 1);
      return { ints: x.ints, dims };
    }
    for (const a of sorted) x = unsqueeze(x as Tensor, a);
    return x;
  },
  Expand: (ins, c) => {
    const x = t(c, ins[0]);
    const shape = ints(c, ins[1], 'shape');
    // ONNX Expand broadcasts both ways: a 1 in the target keeps the input's size.
    const rank = Math.max(shape.length, x.ndim);
    const full = Array.from({ length: rank }, (_, i) => {
      const s = shape[i - (rank - shape.length)] ?? 1;
      const d = x.shape[i - (rank - x.ndim)] ?? 1;
      return s === 1 ? d : s;
    });
    checkDims(c.where, full);
    return expand(x, full);
  },
  Slice: (ins, c) => {
    let x = t(c, ins[0]);
    const starts = ints(c, ins[1], 'starts');
    const ends = ints(c, ins[2], 'ends');
    const axes = ins[3] ? ints(c, ins[3], 'axes') : starts.map((_, i) => i);
    const steps = ins[4] ? ints(c, ins[4], 'steps') : starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
      throw new RangeError(`${c.where}: starts, ends, axes and steps must have the same length`);
    }
    axes.forEach((a, i) => {
      if (steps[i] <= 0) throw new RangeError(`${c.where}: only positive Slice steps are supported, got ${steps[i]}`);
      const d = normAxis(c, a, x.ndim);
      const n = x.shape[d];
      const clampEnd = (v: number) => (v > n ? n : v < -n ? 0 : v);
      x = slice(x, d, clampEnd(starts[i]), clampEnd(ends[i]), steps[i]);
    });
    return x;
  },
  Concat: (ins, c) => {
    const xs = ins.map((v) => t(c, v));
    return cat(xs, normAxis(c, c.attrs.int('axis'), xs[0].ndim));
  },
  Split: (ins, c) => {
    const x = t(c, ins[0]);
    const axis = normAxis(c, c.attrs.int('axis', 0), x.ndim);
    let sizes = c.opset >= 13 ? (ins[1] ? ints(c, ins[1], 'split') : undefined) : c.attrs.ints('split');
    if (sizes === undefined) {
      const n = c.opset >= 18 && c.attrs.has('num_outputs') ? c.attrs.int('num_outputs') : c.outputs;
      const each = Math.ceil(x.shape[axis] / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, x.shape[axis] - i * each)));
    }
    if (sizes.length !== c.outputs || sizes.reduce((p, s) => p + s, 0) !== x.shape[axis]) {
      throw new RangeError(`${c.where}: split sizes [${sizes.join(', ')}] do not cover dim ${axis} of shape [${x.shape.join(', ')}] in ${c.outputs} outputs`);
    }
    let off = 0;
    return sizes.map((s) => {
      const part = slice(x, axis, off, off + s);
      off += s;
      return part;
    });
  },
  Gather: (ins, c) => {
    const x = t(c, ins[0]);
    const idxV = ins[1] ?? t(c, null);
    const axis = normAxis(c, c.attrs.int('axis', 0), x.ndim);
    const idx = intTensor(c.where, idxV);
    const n = x.shape[axis];
    const flat = idx.reshape([idx.size]);
    const wrapped = E.where(flat.lt(0), flat.add(n), flat);
    const rows = indexSelect(x, axis, wrapped);
    return rows.reshape([...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)]);
  },
  GatherElements: (ins, c) => {
    const x = t(c, ins[0]);
    return gather(x, normAxis(c, c.attrs.int('axis', 0), x.ndim), intTensor(c.where, ins[1] ?? t(c, null)));
  },
  Conv: (ins, c) => {
    const x = t(c, ins[0]);
    const w = t(c, ins[1], 'weight');
    const p = poolArgs(c, x.ndim);
    return conv2d(x, w, ins[2] ? t(c, ins[2]) : null, { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: c.attrs.int('group', 1) });
  },
  MaxPool: (ins, c) => {
    if (c.outputs > 1) throw new TypeError(`${c.where}: MaxPool's Indices output is not supported`);
    const x = t(c, ins[0]);
    const p = poolArgs(c, x.ndim);
    return maxPool2d(x, p.kernel as [number, number], { stride: p.stride, padding: p.padding, dilation: p.dilation, ceilMode: p.ceilMode });
  },
  AveragePool: (ins, c) => {
    const x = t(c, ins[0]);
    const p = poolArgs(c, x.ndim);
    if (p.dilation.some((d) => d !== 1)) throw new RangeError(`${c.where}: dilated AveragePool is not supported`);
    return avgPool2d(x, p.kernel as [number, number], { stride: p.stride, padding: p.padding, ceilMode: p.ceilMode, countIncludePad: c.attrs.int('count_include_pad', 0) === 1 });
  },
  GlobalAveragePool: unary((x) => R.mean(x, [2, 3], true)),
  BatchNormalization: (ins, c) => {
    if (c.attrs.int('training_mode', 0) !== 0 || c.outputs > 1) throw new TypeError(`${c.where}: BatchNormalization in training mode is not supported`);
    const x = t(c, ins[0]);
    return batchNorm(x, t(c, ins[3], 'mean'), t(c, ins[4], 'var'), t(c, ins[1], 'scale'), t(c, ins[2], 'B'), { training: false, eps: c.attrs.float('epsilon', 1e-5) });
  },
  LayerNormalization: (ins, c) => {
    if (c.outputs > 1) throw new TypeError(`${c.where}: LayerNormalization's Mean and InvStdDev outputs are not supported`);
    const x = t(c, ins[0]);
    const axis = normAxis(c, c.attrs.int('axis', -1), x.ndim);
    return layerNorm(x, x.shape.slice(axis), t(c, ins[1], 'scale'), ins[2] ? t(c, ins[2]) : null, { eps: c.attrs.float('epsilon', 1e-5) });
  },
  Softmax: unary((x, c) => softmax(x, c.attrs.int('axis', -1))),
  LogSoftmax: unary((x, c) => logSoftmax(x, c.attrs.int('axis', -1))),
  Constant: (_ins, c) => {
    const v = c.attrs.tensor('value');
    if (v) return fromTensorMsg(c.where, v);
    if (c.attrs.has('value_ints')) { const l = c.attrs.ints('value_ints')!; return { ints: l, dims: [l.length] }; }
    if (c.attrs.has('value_int')) return { ints: [c.attrs.int('value_int')], dims: [] };
    throw new TypeError(`${c.where}: only Constant value, value_int and value_ints are supported`);
  },
  Pad: (ins, c) => {
    let x = t(c, ins[0]);
    if (c.attrs.string('mode', 'constant') !== 'constant') throw new TypeError(`${c.where}: only constant padding is supported`);
    const pads = ints(c, ins[1], 'pads');
    const value = ins[2] ? t(c, ins[2]).item() : 0;
    const axes = (ins[3] ? ints(c, ins[3], 'axes') : [...Array(x.ndim).keys()]).map((a) => normAxis(c, a, x.ndim));
    if (pads.length !== 2 * axes.length) throw new RangeError(`${c.where}: pads has ${pads.length} values for ${axes.length} axes`);
    axes.forEach((d, i) => {
      const [before, after] = [pads[i], pads[i + axes.length]];
      if (before < 0 || after < 0) x = slice(x, d, Math.max(0, -before), x.shape[d] - Math.max(0, -after));
      const side = (n: number) => {
        const shape = x.shape.map((s, k) => (k === d ? n : s));
        checkDims(c.where, shape);
        return full(shape, value, { dtype: x.dtype });
      };
      const parts = [...(before > 0 ? [side(before)] : []), x, ...(after > 0 ? [side(after)] : [])];
      if (parts.length > 1) x = cat(parts, d);
    });
    return x;
  },
  Shape: (ins, c) => {
    const s = shapeInts(ins[0] ?? t(c, null));
    const r = s.ints.length;
    const clampI = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const ints_ = s.ints.slice(clampI(c.attrs.int('start', 0)), clampI(c.attrs.int('end', r)));
    return { ints: ints_, dims: [ints_.length] };
  },
};

export function runImpl(opType: string): Impl | undefined {
  return Object.prototype.hasOwnProperty.call(impls, opType) ? impls[opType] : undefined;
}
