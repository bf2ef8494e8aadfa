// Reductions over one, several or all dims, with keepDim; argmax/argmin give int32 indices.
import { native, ReduceOp } from '../native';
import { Tensor, metaBuffer } from '../tensor';
import { sameShape, shapeStr } from '../shape';
import { checkFloatTensor, checkTensor, describe, normDim } from '../validate';
import { method, op } from './util';
import { where } from './elementwise';
import { activeTracer } from '../autograd/trace';

export type Dims = number | number[] | null | undefined;

interface Plan {
  dims: number[];
  outShape: number[];
  /** The output shape with reduced dims kept as 1 (what backward expands from). */
  keptShape: number[];
  count: number;
}

function plan(name: string, x: Tensor, dim: Dims, keepDim: boolean): Plan {
  if (typeof keepDim !== 'boolean') throw new TypeError(`${name}: keepDim must be a boolean`);
  const nd = x.ndim;
  if (dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0)) {
    // Every dim (the common loss.sum() / mean()): what the general path below gives, built directly.
    const all = new Array<number>(nd);
    const ones = new Array<number>(nd);
    let n = 1;
    for (let d = 0; d < nd; d++) {
      all[d] = d;
      ones[d] = 1;
      n *= x._shape[d];
    }
    return { dims: all, outShape: keepDim ? ones : [], keptShape: ones, count: n };
  }
  const list = Array.isArray(dim) ? dim : [dim];
  // Sorted and unique, without a Set: reductions run on every training step.
  const dims: number[] = [];
  for (const raw of list) {
    const d = normDim(name, raw, nd, x._shape);
    let j = dims.length;
    while (j > 0 && dims[j - 1] > d) j--;
    if (j > 0 && dims[j - 1] === d) throw new RangeError(`${name}: dim ${describe(dim)} repeats a dim`);
    dims.splice(j, 0, d);
  }
  if (nd === 0) dims.length = 0;
  const keptShape: number[] = [];
  const outShape: number[] = [];
  let count = 1;
  for (let d = 0, j = 0; d < nd; d++) {
    const s = x._shape[d];
    if (j < dims.length && dims[j] === d) {
      j++;
      count *= s;
      keptShape.push(1);
      if (keepDim) outShape.push(1);
    } else {
      keptShape.push(s);
      outShape.push(s);
    }
  }
  return { dims, outShape, keptShape, count };
}

function reduceForward(code: ReduceOp, x: Tensor, p: Plan, param = 0): Tensor {
  // p.dims is sorted and unique: kept is every other dim, in order.
  const kept: number[] = [];
  for (let d = 0, j = 0; d < x.ndim; d++) {
    if (j < p.dims.length && p.dims[j] === d) j++;
    else kept.push(d);
  }
  const nk = kept.length;
  const nr = p.dims.length;
  const m = metaBuffer(3 + 2 * (nk + nr));
  let i = 0;
  m[i++] = nk;
  for (const d of kept) m[i++] = x._shape[d];
  m[i++] = nr;
  for (const d of p.dims) m[i++] = x._shape[d];
  m[i++] = x._off;
  for (const d of kept) m[i++] = x._strides[d];
  for (const d of p.dims) m[i++] = x._strides[d];
  const arg = code === ReduceOp.ArgMax || code === ReduceOp.ArgMin;
  const out = Tensor._empty(p.outShape, arg ? 'int32' : x.dtype);
  native.reduce(code, out._st.data, x._st.data, m, param);
  return out;
}

/** Expands a reduced gradient back over the input's shape (a view, no copy). */
function expandBack(g: Tensor, p: Plan, shape: readonly number[]): Tensor {
  return g.reshape(p.keptShape).expand(shape.slice());
}

/** Sums a broadcast gradient back to `shape` (the reverse of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g._shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let d = 0; d < g.ndim; d++) {
    if (d < lead || (shape[d - lead] === 1 && g._shape[d] !== 1)) dims.push(d);
  }
  if (dims.length === lead) return sum(g, dims, false); // only leading dims: already `shape`
  const s = dims.length ? sum(g, dims, true) : g;
  return s.reshape(shape);
}

type ReduceRule = (g: Tensor, x: Tensor, y: Tensor, p: Plan, param: number) => Tensor;

/** A null rule (sum, mean) needs only the input's shape, so nothing is saved. */
function reduction(name: string, code: ReduceOp, rule: ReduceRule | null) {
  const shapeOnly = rule === null;
  const f = op(name, {
    forward(ctx, x: Tensor, p: Plan, param: number) {
      const y = reduceForward(code, x, p, param);
      if (shapeOnly) ctx.inShape = x._shape;
      else ctx.save(x, y);
      ctx.plan = p;
      ctx.param = param;
      return y;
    },
    backward(ctx, g) {
      if (shapeOnly) return [expandBack(g, ctx.plan as Plan, ctx.inShape as number[]).mul(code === ReduceOp.Mean ? 1 / (ctx.plan as Plan).count : 1)];
      const [x, y] = ctx.saved;
      return [rule!(g, x, y, ctx.plan as Plan, ctx.param as number)];
    },
  });
  const run = (x: Tensor, dim: Dims, keepDim: boolean, param = 0, caller = name) => {
    checkFloatTensor(caller, x);
    return f(x, plan(caller, x, dim, keepDim), param);
  };
  return run;
}

const sumOp = reduction('sum', ReduceOp.Sum, null);
const meanOp = reduction('mean', ReduceOp.Mean, null);
const logsumexpOp = reduction('logsumexp', ReduceOp.LogSumExp, (g, x, y, p) =>
  expandBack(g, p, x._shape).mul(x.sub(expandBack(y, p, x._shape)).exp()),
);

// max/min (amax/amin semantics): ties share the gradient evenly, as in PyTorch.
const extremumRule = (g: Tensor, x: Tensor, y: Tensor, p: Plan): Tensor => {
  const mask = x.eq(expandBack(y, p, x._shape));
  const count = sum(mask, p.dims, true);
  return expandBack(g, p, x._shape).mul(mask).div(count);
};
const maxOp = reduction('max', ReduceOp.Max, extremumRule);
const minOp = reduction('min', ReduceOp.Min, extremumRule);

// Product: the gradient of x_i is the product of the others, exact when zeros are present.
const prodOp = reduction('prod', ReduceOp.Prod, (g, x, y, p) => {
  const zero = x.eq(0);
  const safeX = where(zero, 1, x);
  const nonzeroProd = prod(safeX, p.dims, true);
  const zeros = sum(zero, p.dims, true);
  const others = where(zero, where(zeros.eq(1), nonzeroProd, 0), expandBack(y, p, x._shape).div(safeX));
  return expandBack(g, p, x._shape).mul(others);
});

const varReduction = reduction('var', ReduceOp.Var, (g, x, _y, p, correction) => {
  const centered = x.sub(mean(x, p.dims, true));
  return expandBack(g, p, x._shape).mul(centered).mul(2 / Math.max(p.count - correction, 0));
});

const varOp = (caller: string, x: Tensor, dim: Dims, keepDim: boolean, correction: number): Tensor =>
  varReduction(x, dim, keepDim, correction, caller);

const normOp = reduction('norm', ReduceOp.Norm, (g, x, y, p, ord) => {
  const ge = expandBack(g, p, x._shape);
  const ye = expandBack(y, p, x._shape);
  if (ord === 0) return x.mul(0);
  if (ord === 1) return ge.mul(x.sign());
  if (ord === Infinity || ord === -Infinity) {
    const mask = x.abs().eq(ye);
    return ge.mul(x.sign()).mul(mask).div(sum(mask, p.dims, true));
  }
  if (ord === 2) return ge.mul(x).div(where(ye.eq(0), Infinity, ye));
  // x |x|^(p-2) / y^(p-1), with 0 where y == 0
  const scale = x.abs().pow(ord - 2).mul(x);
  return ge.mul(scale).div(where(ye.eq(0), Infinity, ye.pow(ord - 1)));
});

export function sum(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  checkTensor('sum', x);
  return viaFloat64(x, (t) => sumOp(t, dim, keepDim));
}
export function mean(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  return meanOp(x, dim, keepDim);
}
export function prod(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  checkTensor('prod', x);
  return viaFloat64(x, (t) => prodOp(t, dim, keepDim));
}
export function logsumexp(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  return logsumexpOp(x, dim, keepDim);
}

function nonEmpty(name: string, x: Tensor, dim: Dims): void {
  checkTensor(name, x);
  if (plan(name, x, dim, false).count === 0) {
    throw new RangeError(`${name}: cannot reduce over an empty dim (input shape ${shapeStr(x._shape)}, dim ${JSON.stringify(dim ?? null)})`);
  }
}

/** int32 inputs reduce exactly in float64 and come back as int32 (no gradients for int32). */
function viaFloat64(x: Tensor, f: (t: Tensor) => Tensor): Tensor {
  return x.dtype === 'int32' ? f(x.to('float64')).to('int32') : f(x);
}

export function max(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  nonEmpty('max', x, dim);
  return viaFloat64(x, (t) => maxOp(t, dim, keepDim));
}
export function min(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  nonEmpty('min', x, dim);
  return viaFloat64(x, (t) => minOp(t, dim, keepDim));
}

export interface VarOptions {
  correction?: number;
  keepDim?: boolean;
}

function varArgs(name: string, keepDimOrOpts: boolean | VarOptions): [boolean, number] {
  const opts = typeof keepDimOrOpts === 'boolean' ? { keepDim: keepDimOrOpts } : keepDimOrOpts ?? {};
  const c = opts.correction ?? 1;
  if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) throw new RangeError(`${name}: correction must be a non-negative number`);
  return [opts.keepDim ?? false, c];
}

/** Variance with Bessel's correction by default: `var(dim?, keepDim | {correction = 1, keepDim})`. */
export function variance(x: Tensor, dim?: Dims, keepDimOrOpts: boolean | VarOptions = false): Tensor {
  return varOp('var', x, dim, ...varArgs('var', keepDimOrOpts));
}
export function std(x: Tensor, dim?: Dims, keepDimOrOpts: boolean | VarOptions = false): Tensor {
  return varOp('std', x, dim, ...varArgs('std', keepDimOrOpts)).sqrt();
}

export function norm(x: Tensor, p: number = 2, dim?: Dims, keepDim = false): Tensor {
  if (typeof p !== 'number' || Number.isNaN(p)) throw new TypeError('norm: p must be a number');
  return normOp(x, dim, keepDim, p);
}

function argReduce(name: string, code: ReduceOp) {
  return (x: Tensor, dim?: number | null, keepDim = false): Tensor => {
    checkTensor(name, x);
    if (dim !== undefined && dim !== null && typeof dim !== 'number') throw new TypeError(`${name}: dim must be a number`);
    const t = x.dtype === 'int32' ? x.to('float64') : x;
    // No tape node (int32 result): exporters see the reduction through the tracer.
    const run = (u: Tensor, p: Plan): Tensor => {
      const out = reduceForward(code, u, p);
      if (activeTracer !== null) activeTracer(name, [u, p], out);
      return out;
    };
    if (dim === undefined || dim === null) {
      if (t.size === 0) throw new RangeError(`${name}: cannot take ${name} of an empty tensor`);
      const flat = t.reshape(-1);
      return run(flat, plan(name, flat, 0, false)).reshape(keepDim ? t._shape.map(() => 1) : []);
    }
    const p = plan(name, t, dim, keepDim);
    if (p.count === 0) throw new RangeError(`${name}: cannot reduce over an empty dim (input shape ${shapeStr(x._shape)})`);
    return run(t, p);
  };
}
export const argmax = argReduce('argmax', ReduceOp.ArgMax);
export const argmin = argReduce('argmin', ReduceOp.ArgMin);

declare module '../tensor' {
  interface Tensor {
    sum(dim?: Dims, keepDim?: boolean): Tensor;
    mean(dim?: Dims, keepDim?: boolean): Tensor;
    prod(dim?: Dims, keepDim?: boolean): Tensor;
    logsumexp(dim?: Dims, keepDim?: boolean): Tensor;
    max(dim?: Dims, keepDim?: boolean): Tensor;
    min(dim?: Dims, keepDim?: boolean): Tensor;
    var(dim?: Dims, keepDimOrOpts?: boolean | VarOptions): Tensor;
    std(dim?: Dims, keepDimOrOpts?: boolean | VarOptions): Tensor;
    norm(p?: number, dim?: Dims, keepDim?: boolean): Tensor;
    argmax(dim?: number | null, keepDim?: boolean): Tensor;
    argmin(dim?: number | null, keepDim?: boolean): Tensor;
  }
}

method('sum', sum);
method('mean', mean);
method('prod', prod);
method('logsumexp', logsumexp);
method('max', max);
method('min', min);
method('var', variance);
method('std', std);
method('norm', norm);
method('argmax', argmax);
method('argmin', argmin);
