// How each traced tapegrad op becomes ONNX nodes. A handler reads the op's arguments exactly as the op
// received them (tensors and attributes), adds nodes and names the output; ops without a handler
// make the export fail with the op's name and module.
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { GraphBuilder, onnxType, Val } from './graph-builder';
import { DataType } from './proto';

export type Handler = (b: GraphBuilder, args: readonly unknown[], out: Tensor, batchSize: number) => void;

const T = (v: unknown) => v as Tensor;

/** The batch axis of a broadcast result: the first input that has one, aligned to the output's rank. */
function broadcastBatch(inputs: Tensor[], vals: Val[], outRank: number): number {
  for (let i = 0; i < inputs.length; i++) {
    if (vals[i].batch >= 0) return vals[i].batch + outRank - inputs[i].ndim;
  }
  return -1;
}

function elementwise(opType: string, attrs: (args: readonly unknown[]) => Record<string, number | { f: number }> = () => ({})): Handler {
  return (b, args, out) => {
    const ins = args.filter((a): a is Tensor => a instanceof Tensor);
    const vals = ins.map((t) => b.val(t));
    b.set(out, b.one(opType, vals.map((v) => v.name), attrs(args)), broadcastBatch(ins, vals, out.ndim));
  };
}

/** A unary op written as a small ONNX expression of its input. */
function composite(build: (b: GraphBuilder, x: string, dtype: DType, args: readonly unknown[]) => string): Handler {
  return (b, args, out) => {
    const x = T(args[0]);
    const v = b.val(x);
    b.set(out, build(b, v.name, x.dtype, args), v.batch);
  };
}

const geluErf = (b: GraphBuilder, x: string, dt: DType): string => {
  const inner = b.one('Erf', [b.one('Mul', [x, b.scalar(Math.SQRT1_2, dt)])]);
  return b.one('Mul', [b.one('Mul', [x, b.scalar(0.5, dt)]), b.one('Add', [inner, b.scalar(1, dt)])]);
};

const geluTanh = (b: GraphBuilder, x: string, dt: DType): string => {
  const cube = b.one('Mul', [b.one('Mul', [x, x]), x]);
  const u = b.one('Mul', [b.one('Add', [x, b.one('Mul', [cube, b.scalar(0.044715, dt)])]), b.scalar(Math.sqrt(2 / Math.PI), dt)]);
  return b.one('Mul', [b.one('Mul', [x, b.scalar(0.5, dt)]), b.one('Add', [b.one('Tanh', [u]), b.scalar(1, dt)])]);
};

function comparison(opType: string, negate = false): Handler {
  return (b, args, out) => {
    const ins = [T(args[0]), T(args[1])];
    const vals = ins.map((t) => b.val(t));
    let r = b.one(opType, vals.map((v) => v.name));
    if (negate) r = b.one('Not', [r]);
    b.set(out, b.one('Cast', [r], { to: onnxType[out.dtype] }), broadcastBatch(ins, vals, out.ndim));
  };
}

interface Plan {
  dims: number[];
  outShape: number[];
  count: number;
}

/** Output batch axis after reducing `dims` (with or without keepDim). */
function reducedBatch(batch: number, dims: number[], keep: boolean): number {
  if (batch < 0 || dims.includes(batch)) return -1;
  return keep ? batch : batch - dims.filter((d) => d < batch).length;
}

function reduce(b: GraphBuilder, opType: string, x: string, dims: number[], keep: boolean): string {
  // Opset 18 moved `axes` from an attribute to an input for every Reduce op; ReduceSum moved in 13.
  if (opType === 'ReduceSum' || b.opset >= 18) return b.one(opType, [x, b.int64s(dims)], { keepdims: keep ? 1 : 0 });
  return b.one(opType, [x], { axes: dims, keepdims: keep ? 1 : 0 });
}

function reduction(opType: string | ((param: number, op: string) => string)): Handler {
  return (b, args, out) => {
    const x = T(args[0]);
    const p = args[1] as Plan;
    const v = b.val(x);
    const keep = p.outShape.length === x.ndim;
    const batch = reducedBatch(v.batch, p.dims, keep);
    if (p.dims.length === 0) return b.set(out, b.one('Identity', [v.name]), batch);
    const type = typeof opType === 'string' ? opType : opType(args[2] as number, b.where());
    b.set(out, reduce(b, type, v.name, p.dims, keep), batch);
  };
}

function argReduction(opType: string): Handler {
  return (b, args, out) => {
    const x = T(args[0]);
    const p = args[1] as Plan;
    const v = b.val(x);
    const keep = p.outShape.length === x.ndim;
    const r = b.one(opType, [v.name], { axis: p.dims[0], keepdims: keep ? 1 : 0 });
    b.set(out, b.one('Cast', [r], { to: onnxType.int32 }), reducedBatch(v.batch, p.dims, keep));
  };
}

const varianceHandler: Handler = (b, args, out) => {
  const x = T(args[0]);
  const p = args[1] as Plan;
  const correction = args[2] as number;
  const v = b.val(x);
  const keep = p.outShape.length === x.ndim;
  if (p.count === 0 || p.dims.length === 0) throw new RangeError('onnx.exportModel: var/std over no elements cannot be exported');
  const d = b.one('Sub', [v.name, reduce(b, 'ReduceMean', v.name, p.dims, true)]);
  const s = reduce(b, 'ReduceSum', b.one('Mul', [d, d]), p.dims, keep);
  b.set(out, b.one('Div', [s, b.scalar(Math.max(p.count - correction, 0), x.dtype)]), reducedBatch(v.batch, p.dims, keep));
};

function prod(xs: readonly number[]): number {
  return xs.reduce((a, c) => a * c, 1);
}

/** Reshape with the batch dim written as -1 where the batch lands, so any batch size works. */
const viewHandler: Handler = (b, args, out, batchSize) => {
  const x = T(args[0]);
  const v = b.val(x);
  const shape = (args[1] as number[]).slice();
  let batch = -1;
  if (v.batch >= 0) {
    const before = prod(x.shape.slice(0, v.batch));
    for (let j = 0, p = 1; j < shape.length; p *= shape[j], j++) {
      if (p === before && shape[j] >= batchSize && shape[j] % batchSize === 0) {
        batch = j;
        break;
      }
    }
    if (batch < 0) {
      throw new RangeError(
        `onnx.exportModel: reshape of [${x.shape.join(', ')}] to [${shape.join(', ')}] in ${b.where()} splits the dynamic batch dim ${v.batch}; export with dynamicAxes: {} for a fixed batch`,
      );
    }
    // The batch axis is the one whose size scales with the batch (batch * k after a merge).
    shape[batch] = -1;
  }
  b.set(out, b.one('Reshape', [v.name, b.int64s(shape)]), batch);
};

const handlers: Record<string, Handler> = {
  neg: elementwise('Neg'),
  abs: elementwise('Abs'),
  sign: elementwise('Sign'),
  exp: elementwise('Exp'),
  log: elementwise('Log'),
  sqrt: elementwise('Sqrt'),
  reciprocal: elementwise('Reciprocal'),
  sin: elementwise('Sin'),
  cos: elementwise('Cos'),
  tanh: elementwise('Tanh'),
  sigmoid: elementwise('Sigmoid'),
  erf: elementwise('Erf'),
  relu: elementwise('Relu'),
  leakyRelu: elementwise('LeakyRelu', (a) => ({ alpha: { f: a[1] as number } })),
  elu: elementwise('Elu', (a) => ({ alpha: { f: a[1] as number } })),
  log1p: composite((b, x, dt) => b.one('Log', [b.one('Add', [x, b.scalar(1, dt)])])),
  rsqrt: composite((b, x) => b.one('Reciprocal', [b.one('Sqrt', [x])])),
  square: composite((b, x) => b.one('Mul', [x, x])),
  silu: composite((b, x) => b.one('Mul', [x, b.one('Sigmoid', [x])])),
  gelu: composite((b, x, dt) => (b.opset >= 20 ? b.one('Gelu', [x]) : geluErf(b, x, dt))),
  geluTanh: composite((b, x, dt) => (b.opset >= 20 ? b.one('Gelu', [x], { approximate: { s: 'tanh' } }) : geluTanh(b, x, dt))),
  softplus: composite((b, x, dt, a) => {
    const beta = a[1] as number;
    const threshold = a[2] as number;
    const bx = beta === 1 ? x : b.one('Mul', [x, b.scalar(beta, dt)]);
    const soft = beta === 1 ? b.one('Softplus', [bx]) : b.one('Div', [b.one('Softplus', [bx]), b.scalar(beta, dt)]);
    return b.one('Where', [b.one('Greater', [bx, b.scalar(threshold, dt)]), x, soft]);
  }),
  clamp: composite((b, x, dt, a) => {
    const [lo, hi] = [a[1] as number, a[2] as number];
    return b.one('Clip', [x, lo === -Infinity ? '' : b.scalar(lo, dt), hi === Infinity ? '' : b.scalar(hi, dt)]);
  }),
  powScalar: composite((b, x, dt, a) => b.one('Pow', [x, b.scalar(a[1] as number, dt)])),
  add: elementwise('Add'),
  sub: elementwise('Sub'),
  mul: elementwise('Mul'),
  div: elementwise('Div'),
  pow: elementwise('Pow'),
  maximum: elementwise('Max'),
  minimum: elementwise('Min'),
  eq: comparison('Equal'),
  ne: comparison('Equal', true),
  lt: comparison('Less'),
  le: comparison('LessOrEqual'),
  gt: comparison('Greater'),
  ge: comparison('GreaterOrEqual'),
  where: (b, args, out) => {
    const ins = [T(args[0]), T(args[1]), T(args[2])];
    const vals = ins.map((t) => b.val(t));
    const cond = b.one('Cast', [vals[0].name], { to: DataType.BOOL });
    b.set(out, b.one('Where', [cond, vals[1].name, vals[2].name]), broadcastBatch(ins, vals, out.ndim));
  },
  clone: elementwise('Identity'),
  embeddingPaddingMask: (b, args, out) => {
    const v = b.val(T(args[0]));
    b.set(out, v.name, v.batch);
  },
  to: (b, args, out) => {
    const v = b.val(T(args[0]));
    b.set(out, b.one('Cast', [v.name], { to: onnxType[args[1] as DType] }), v.batch);
  },
  matmul: (b, args, out) => {
    const [x, y] = [T(args[0]), T(args[1])];
    const [vx, vy] = [b.val(x), b.val(y)];
    let batch = -1;
    if (vx.batch >= 0 && vx.batch < x.ndim - 1) batch = vx.batch + out.ndim - x.ndim;
    else if (vx.batch === x.ndim - 1) batch = -1;
    else if (vy.batch >= 0 && vy.batch !== y.ndim - 2) batch = vy.batch + out.ndim - y.ndim;
    b.set(out, b.one('MatMul', [vx.name, vy.name]), batch);
  },
  sum: reduction('ReduceSum'),
  mean: reduction('ReduceMean'),
  max: reduction('ReduceMax'),
  min: reduction('ReduceMin'),
  prod: reduction('ReduceProd'),
  logsumexp: reduction('ReduceLogSumExp'),
  norm: reduction((p, where) => {
    if (p === 2) return 'ReduceL2';
    if (p === 1) return 'ReduceL1';
    throw new RangeError(`onnx.exportModel: norm with p = ${p} has no ONNX form (p = 1 and 2 do), in ${where}`);
  }),
  var: varianceHandler,
  argmax: argReduction('ArgMax'),
  argmin: argReduction('ArgMin'),
  view: viewHandler,
  permute: (b, args, out) => {
    const v = b.val(T(args[0]));
    const dims = args[1] as number[];
    b.set(out, b.one('Transpose', [v.name], { perm: dims }), v.batch < 0 ? -1 : dims.indexOf(v.batch));
  },
  expand: (b, args, out) => {
    const x = T(args[0]);
    const v = b.val(x);
    const shape = (args[1] as number[]).slice();
    const batch = v.batch < 0 ? -1 : v.batch + shape.length - x.ndim;
    if (batch >= 0) shape[batch] = 1; // broadcasting keeps the input's batch size there
    b.set(out, b.one('Expand', [v.name, b.int64s(shape)]), batch);
  },
  slice: (b, args, out) => {
    const x = T(args[0]);
    const v = b.val(x);
    const [dim, start, len, step] = args.slice(1) as number[];
    if (dim === v.batch) {
      if (start !== 0 || step !== 1 || len !== x.shape[dim]) {
        throw new RangeError(`onnx.exportModel: slicing the dynamic batch dim ${dim} in ${b.where()} cannot be exported; use dynamicAxes: {} for a fixed batch`);
      }
      return b.set(out, b.one('Identity', [v.name]), v.batch);
    }
    const end = len === 0 ? start : start + (len - 1) * step + 1;
    b.set(out, b.one('Slice', [v.name, b.int64s([start]), b.int64s([end]), b.int64s([dim]), b.int64s([step])]), v.batch);
  },
  cat: (b, args, out) => {
    const dim = args[0] as number;
    const ins = args.slice(1).map(T);
    const vals = ins.map((t) => b.val(t));
    b.set(out, b.one('Concat', vals.map((v) => v.name), { axis: dim }), vals.find((v) => v.batch >= 0)?.batch ?? -1);
  },
  indexSelect: (b, args, out) => {
    const [x, dim, index] = [T(args[0]), args[1] as number, T(args[2])];
    const [vx, vi] = [b.val(x), b.val(index)];
    b.set(out, b.one('Gather', [vx.name, vi.name], { axis: dim }), vi.batch >= 0 ? dim : vx.batch);
  },
  gather: (b, args, out) => {
    const [x, dim, index] = [T(args[0]), args[1] as number, T(args[2])];
    const [vx, vi] = [b.val(x), b.val(index)];
    b.set(out, b.one('GatherElements', [vx.name, vi.name], { axis: dim }), vi.batch >= 0 ? vi.batch : vx.batch);
  },
  conv2d: (b, args, out) => {
    const [x, w, bias] = [T(args[0]), T(args[1]), args[2] as Tensor | null];
    const p = args[3] as { stride: number[]; padding: number[]; dilation: number[]; groups: number };
    const v = b.val(x);
    const ins = [v.name, b.val(w).name, ...(bias ? [b.val(bias).name] : [])];
    const attrs = {
      kernel_shape: w.shape.slice(2),
      strides: p.stride,
      pads: [...p.padding, ...p.padding],
      dilations: p.dilation,
      group: p.groups,
    };
    b.set(out, b.one('Conv', ins, attrs), v.batch === 0 ? 0 : -1);
  },
  maxPool2d: (b, args, out) => {
    const v = b.val(T(args[0]));
    const p = args[1] as { kernel: number[]; stride: number[]; padding: number[]; dilation: number[]; ceilMode: boolean };
    const attrs = { kernel_shape: p.kernel, strides: p.stride, pads: [...p.padding, ...p.padding], dilations: p.dilation, ceil_mode: p.ceilMode ? 1 : 0 };
    b.set(out, b.one('MaxPool', [v.name], attrs), v.batch === 0 ? 0 : -1);
  },
  avgPool2d: (b, args, out) => {
    const v = b.val(T(args[0]));
    const p = args[1] as { kernel: number[]; stride: number[]; padding: number[]; ceilMode: boolean; countIncludePad: boolean; divisor: number };
    if (p.divisor !== 0) throw new RangeError(`onnx.exportModel: avgPool2d with divisorOverride has no ONNX form, in ${b.where()}`);
    const attrs = { kernel_shape: p.kernel, strides: p.stride, pads: [...p.padding, ...p.padding], ceil_mode: p.ceilMode ? 1 : 0, count_include_pad: p.countIncludePad ? 1 : 0 };
    b.set(out, b.one('AveragePool', [v.name], attrs), v.batch === 0 ? 0 : -1);
  },
  batchNorm: (b, args, out) => {
    const x = T(args[0]);
    const [w, bias, rm, rv] = args.slice(1, 5) as (Tensor | null)[];
    const o = args[5] as { training: boolean; eps: number };
    if (o.training || rm === null || rv === null) {
      throw new RangeError(`onnx.exportModel: batchNorm with batch statistics (training mode or trackRunningStats: false) cannot be exported, in ${b.where()}`);
    }
    const c = x.shape[1];
    const ones = (v: number) => b.constant(Tensor._zeros([c], x.dtype).fill_(v));
    const v = b.val(x);
    const ins = [v.name, w ? b.val(w).name : ones(1), bias ? b.val(bias).name : ones(0), b.val(rm).name, b.val(rv).name];
    b.set(out, b.one('BatchNormalization', ins, { epsilon: { f: o.eps } }), v.batch);
  },
  layerNorm: (b, args, out) => {
    const x = T(args[0]);
    const [w, bias] = args.slice(1, 3) as (Tensor | null)[];
    const [cols, eps] = args.slice(3) as number[];
    let k = 1;
    if (w) k = w.ndim;
    else if (bias) k = bias.ndim;
    else while (k < x.ndim && prod(x.shape.slice(x.ndim - k)) !== cols) k++;
    const nshape = x.shape.slice(x.ndim - k);
    const v = b.val(x);
    const ins = [v.name, w ? b.val(w).name : b.constant(Tensor._zeros(nshape, x.dtype).fill_(1)), ...(bias ? [b.val(bias).name] : [])];
    b.set(out, b.one('LayerNormalization', ins, { axis: -k, epsilon: { f: eps } }), v.batch);
  },
  dropout: (b) => {
    throw new RangeError(`onnx.exportModel: dropout ran in training mode in ${b.where()}; the export runs modules in eval mode, so a functional dropout needs {training: this.training}`);
  },
};

export function exportHandler(name: string): Handler | undefined {
  return Object.prototype.hasOwnProperty.call(handlers, name) ? handlers[name] : undefined;
}
