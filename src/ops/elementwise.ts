// Elementwise ops: unary math and activations, binary arithmetic with broadcasting,
// comparisons, where and clamp. Forward and backward run in native kernels; with createGraph
// the backward rules run as recorded ops instead, so higher derivatives work.
import { native, UnaryOp, BinaryOp } from '../native';
import { Tensor } from '../tensor';
import { isGradEnabled } from '../autograd/grad-mode';
import { activeTracer } from '../autograd/trace';
import { broadcastShapes, isDense, sameShape } from '../shape';
import { elementwiseMeta, flatMeta, method, op, promoteOperands, scalarTensor } from './util';
import { checkFloatTensor, checkNumber, checkTensor, describe, optionsOf } from '../validate';
import { sumTo } from './reduce';

// ---- unary ---------------------------------------------------------------------------------

interface UnaryDef {
  op: UnaryOp;
  /** The derivative as recorded ops (used with createGraph): returns g * f'(x). */
  grad: (g: Tensor, x: Tensor, y: Tensor, a: number, b: number) => Tensor;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
const SQRT_2_OVER_PI = 0.7978845608028654;

const unaryDefs: Record<string, UnaryDef> = {
  neg: { op: UnaryOp.Neg, grad: (g) => g.neg() },
  abs: { op: UnaryOp.Abs, grad: (g, x) => g.mul(x.sign()) },
  sign: { op: UnaryOp.Sign, grad: (g) => g.mul(0) },
  exp: { op: UnaryOp.Exp, grad: (g, _x, y) => g.mul(y) },
  log: { op: UnaryOp.Log, grad: (g, x) => g.div(x) },
  log1p: { op: UnaryOp.Log1p, grad: (g, x) => g.div(x.add(1)) },
  sqrt: { op: UnaryOp.Sqrt, grad: (g, _x, y) => g.div(y.mul(2)) },
  rsqrt: { op: UnaryOp.Rsqrt, grad: (g, _x, y) => g.mul(y.pow(3)).mul(-0.5) },
  square: { op: UnaryOp.Square, grad: (g, x) => g.mul(x).mul(2) },
  reciprocal: { op: UnaryOp.Reciprocal, grad: (g, _x, y) => g.mul(y.square()).neg() },
  sin: { op: UnaryOp.Sin, grad: (g, x) => g.mul(x.cos()) },
  cos: { op: UnaryOp.Cos, grad: (g, x) => g.mul(x.sin()).neg() },
  tanh: { op: UnaryOp.Tanh, grad: (g, _x, y) => g.mul(sub(1, y.square())) },
  sigmoid: { op: UnaryOp.Sigmoid, grad: (g, _x, y) => g.mul(y.mul(sub(1, y))) },
  erf: { op: UnaryOp.Erf, grad: (g, x) => g.mul(x.square().neg().exp()).mul(2 / Math.sqrt(Math.PI)) },
  relu: { op: UnaryOp.Relu, grad: (g, _x, y) => g.mul(y.gt(0)) },
  leakyRelu: { op: UnaryOp.LeakyRelu, grad: (g, x, _y, a) => g.mul(x.gt(0).mul(1 - a).add(a)) },
  elu: { op: UnaryOp.Elu, grad: (g, x, y, a) => where(x.gt(0), g, g.mul(y.add(a))) },
  gelu: {
    op: UnaryOp.Gelu,
    grad: (g, x) => {
      const cdf = x.mul(SQRT1_2).erf().add(1).mul(0.5);
      const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
      return g.mul(cdf.add(x.mul(pdf)));
    },
  },
  geluTanh: {
    op: UnaryOp.GeluTanh,
    grad: (g, x) => {
      const x2 = x.square();
      const th = x.add(x2.mul(x).mul(0.044715)).mul(SQRT_2_OVER_PI).tanh();
      const dinner = x2.mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI);
      return g.mul(th.add(1).mul(0.5).add(x.mul(0.5).mul(sub(1, th.square())).mul(dinner)));
    },
  },
  silu: {
    op: UnaryOp.Silu,
    grad: (g, x) => {
      const s = x.sigmoid();
      return g.mul(s).mul(x.mul(sub(1, s)).add(1));
    },
  },
  softplus: {
    op: UnaryOp.Softplus,
    grad: (g, x, _y, beta, threshold) => where(x.mul(beta).gt(threshold), g, g.mul(x.mul(beta).sigmoid())),
  },
  clamp: { op: UnaryOp.Clamp, grad: (g, x, _y, lo, hi) => g.mul(x.ge(lo).mul(x.le(hi))) },
  powScalar: {
    op: UnaryOp.PowScalar,
    grad: (g, x, _y, a) => (a === 0 ? g.mul(0) : g.mul(x.pow(a - 1)).mul(a)),
  },
};

function unaryForward(code: UnaryOp, x: Tensor, a: number, b: number): Tensor {
  const y = Tensor._empty(x._shape, x.dtype);
  // One contiguous run: the 1-D layout the native side would coalesce it to anyway.
  const meta = isDense(x._shape, x._strides) ? flatMeta(y._st.data.length, x._off, 1) : elementwiseMeta(x._shape, [y, x]);
  native.unary(code, y._st.data, x._st.data, meta, a, b);
  return y;
}

const unaryOps = new Map<string, { code: UnaryOp; f: (x: Tensor, a: number, b: number) => Tensor }>();
for (const [name, def] of Object.entries(unaryDefs)) {
  unaryOps.set(name, {
    code: def.op,
    f: op(name, {
      forward(ctx, x: Tensor, a: number, b: number) {
        const y = unaryForward(def.op, x, a, b);
        ctx.save(x, y);
        ctx.a = a;
        ctx.b = b;
        return y;
      },
      backward(ctx, g) {
        const [x, y] = ctx.saved;
        const a = ctx.a as number;
        const b = ctx.b as number;
        if (isGradEnabled()) return [def.grad(g, x, y, a, b)];
        const gx = Tensor._empty(x._shape, x.dtype);
        native.unaryBackward(def.op, gx._st.data, g.to(x.dtype)._flat(), x._flat(), y._flat(), a, b);
        return [gx];
      },
    }),
  });
}

/** `caller` is the public name in errors when it differs from the kernel's (gelu for geluTanh). */
function unary(name: string, x: unknown, a = 0, b = 0, caller = name): Tensor {
  const t = checkFloatTensor(caller, x);
  const u = unaryOps.get(name)!;
  // Nothing will be recorded: run the forward without the tape bookkeeping of applyOp.
  if (!(t._rg && isGradEnabled()) && activeTracer === null) return unaryForward(u.code, t, a, b);
  return u.f(t, a, b);
}


export const neg = (x: Tensor): Tensor => {
  checkTensor('neg', x);
  return x.dtype === 'int32' ? mul(x, -1) : unary('neg', x);
};
export const abs = (x: Tensor): Tensor => {
  checkTensor('abs', x);
  return x.dtype === 'int32' ? where(lt(x, 0), neg(x), x) : unary('abs', x);
};
export const sign = (x: Tensor): Tensor => {
  checkTensor('sign', x);
  return x.dtype === 'int32' ? sub(gt(x, 0), lt(x, 0)) : unary('sign', x);
};
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
export const sin = (x: Tensor): Tensor => unary('sin', x);
export const cos = (x: Tensor): Tensor => unary('cos', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const erf = (x: Tensor): Tensor => unary('erf', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const silu = (x: Tensor): Tensor => unary('silu', x);

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return unary('leakyRelu', x, checkNumber('leakyRelu', negativeSlope, 'negativeSlope'));
}

export function elu(x: Tensor, alpha = 1): Tensor {
  return unary('elu', x, checkNumber('elu', alpha, 'alpha'));
}

export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  opts = optionsOf<{ approximate?: 'none' | 'tanh' }>('gelu', opts) as { approximate?: 'none' | 'tanh' };
  const approx = opts.approximate ?? 'none';
  if (approx !== 'none' && approx !== 'tanh') throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got ${describe(approx)}`);
  return unary(approx === 'tanh' ? 'geluTanh' : 'gelu', x, 0, 0, 'gelu');
}

export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  opts = optionsOf<{ beta?: number; threshold?: number }>('softplus', opts) as { beta?: number; threshold?: number };
  const beta = checkNumber('softplus', opts.beta ?? 1, 'beta');
  const threshold = checkNumber('softplus', opts.threshold ?? 20, 'threshold');
  if (beta === 0) throw new RangeError('softplus: beta must be non-zero');
  return unary('softplus', x, beta, threshold);
}

export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkTensor('clamp', x);
  if (min == null && max == null) throw new TypeError('clamp: at least one of min and max must be given');
  const lo = min == null ? -Infinity : checkNumber('clamp', min, 'min');
  const hi = max == null ? Infinity : checkNumber('clamp', max, 'max');
  if (x.dtype === 'int32') {
    let r = x;
    if (min != null) r = maximum(r, lo);
    if (max != null) r = minimum(r, hi);
    return r;
  }
  return unary('clamp', x, lo, hi);
}

// ---- binary --------------------------------------------------------------------------------

function binaryForward(code: BinaryOp, name: string, a: Tensor, b: Tensor): Tensor {
  const as = a._shape;
  if (sameShape(as, b._shape) && isDense(as, a._strides) && isDense(as, b._strides)) {
    // The common case, one contiguous run each: no layout metadata to build or parse.
    const out = Tensor._empty(as, a.dtype); // shapes are never mutated, so out may share a's
    native.binaryDense(code, out._st.data, a._st.data, a._off, b._st.data, b._off);
    return out;
  }
  const bs = b._shape;
  const aScalar = as.length === 0;
  if ((aScalar || bs.length === 0) && isDense(aScalar ? bs : as, aScalar ? b._strides : a._strides)) {
    // A contiguous tensor and a 0-d one (as a number operand becomes): 1-D, the scalar at stride 0.
    const out = Tensor._empty(aScalar ? bs : as, a.dtype);
    const m = flatMeta(out._st.data.length, a._off, aScalar ? 0 : 1, b._off, aScalar ? 1 : 0);
    native.binary(code, out._st.data, a._st.data, b._st.data, m);
    return out;
  }
  const shape = broadcastShapes(name, a._shape, b._shape);
  const out = Tensor._empty(shape, a.dtype);
  native.binary(code, out._st.data, a._st.data, b._st.data, elementwiseMeta(shape, [out, a, b]));
  return out;
}

type BinaryGrad = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];

function binaryOp(name: string, code: BinaryOp, saveOut: boolean, rule: BinaryGrad) {
  const f = op(name, {
    forward(ctx, a: Tensor, b: Tensor) {
      const y = binaryForward(code, name, a, b);
      if (ctx.needsInputGrad[0] || ctx.needsInputGrad[1]) {
        if (saveOut) ctx.save(a, b, y);
        else ctx.save(a, b);
      }
      return y;
    },
    backward(ctx, g) {
      const [a, b, y] = ctx.saved;
      const [ga, gb] = rule(g, a, b, y);
      return [
        ctx.needsInputGrad[0] && ga ? sumTo(ga, a._shape) : null,
        ctx.needsInputGrad[1] && gb ? sumTo(gb, b._shape) : null,
      ];
    },
  });
  return (x: unknown, y: unknown): Tensor => {
    let a: Tensor, b: Tensor;
    if (x instanceof Tensor && y instanceof Tensor && x.dtype === y.dtype) {
      a = x;
      b = y;
    } else {
      [a, b] = promoteOperands(name, x, y);
    }
    // Nothing will be recorded: run the forward without the tape bookkeeping of applyOp.
    if (!((a._rg || b._rg) && isGradEnabled()) && activeTracer === null) return binaryForward(code, name, a, b);
    return f(a, b);
  };
}

export const add = binaryOp('add', BinaryOp.Add, false, (g) => [g, g]);
export const sub = binaryOp('sub', BinaryOp.Sub, false, (g) => [g, g.neg()]);
export const mul = binaryOp('mul', BinaryOp.Mul, false, (g, a, b) => [g.mul(b), g.mul(a)]);

const divOp = binaryOp('div', BinaryOp.Div, true, (g, _a, b, y) => [g.div(b), g.mul(y).div(b).neg()]);
export function div(x: unknown, y: unknown): Tensor {
  const [a, b] = promoteOperands('div', x, y);
  // True division, as in PyTorch: integer operands give float32.
  return a.dtype === 'int32' ? divOp(a.to('float32'), b.to('float32')) : divOp(a, b);
}

const powTensor = binaryOp('pow', BinaryOp.Pow, true, (g, a, b, y) => [
  g.mul(b).mul(a.pow(b.sub(1))),
  // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention).
  g.mul(where(a.eq(0).mul(b.ge(0)), 0, y.mul(a.log()))),
]);

export function pow(x: unknown, exponent: unknown): Tensor {
  if (x instanceof Tensor && typeof exponent === 'number') {
    checkFloatTensor('pow', x);
    return unary('powScalar', x, exponent);
  }
  const [a, b] = promoteOperands('pow', x, exponent);
  checkFloatTensor('pow', a);
  return powTensor(a, b);
}

// Ties split the gradient evenly between the two inputs, as in PyTorch.
const maxMinGrad = (pick: (a: Tensor, b: Tensor) => Tensor): BinaryGrad => (g, a, b) => {
  const wa = pick(a, b).add(a.eq(b).mul(0.5));
  return [g.mul(wa), g.mul(sub(1, wa))];
};
export const maximum = binaryOp('maximum', BinaryOp.Maximum, false, maxMinGrad((a, b) => a.gt(b)));
export const minimum = binaryOp('minimum', BinaryOp.Minimum, false, maxMinGrad((a, b) => a.lt(b)));

function comparison(name: string, code: BinaryOp) {
  return (x: unknown, y: unknown): Tensor => {
    const [a, b] = promoteOperands(name, x, y);
    const out = binaryForward(code, name, a, b);
    if (activeTracer !== null) activeTracer(name, [a, b], out);
    return out;
  };
}
export const eq = comparison('eq', BinaryOp.Eq);
export const ne = comparison('ne', BinaryOp.Ne);
export const lt = comparison('lt', BinaryOp.Lt);
export const le = comparison('le', BinaryOp.Le);
export const gt = comparison('gt', BinaryOp.Gt);
export const ge = comparison('ge', BinaryOp.Ge);

// ---- where ---------------------------------------------------------------------------------

const whereOp = op('where', {
  forward(ctx, cond: Tensor, a: Tensor, b: Tensor) {
    const shape = broadcastShapes('where', cond._shape, a._shape, b._shape);
    const out = Tensor._empty(shape, a.dtype);
    native.where(out._st.data, cond._st.data, a._st.data, b._st.data, elementwiseMeta(shape, [out, cond, a, b]));
    ctx.save(cond);
    ctx.shapes = [a._shape, b._shape];
    return out;
  },
  backward(ctx, g) {
    const [cond] = ctx.saved;
    const [sa, sb] = ctx.shapes as [number[], number[]];
    const zero = scalarTensor(0, g.dtype);
    return [
      null,
      ctx.needsInputGrad[1] ? sumTo(where(cond, g, zero), sa) : null,
      ctx.needsInputGrad[2] ? sumTo(where(cond, zero, g), sb) : null,
    ];
  },
});

/** Elements of `a` where `cond` is non-zero, else of `b`; a and b may be numbers. */
export function where(cond: Tensor, a: unknown, b: unknown): Tensor {
  checkTensor('where', cond, 'cond');
  const [x, y] = promoteOperands('where', a, b);
  return whereOp(cond, x, y);
}

// ---- methods -------------------------------------------------------------------------------

declare module '../tensor' {
  interface Tensor {
    neg(): Tensor; abs(): Tensor; sign(): Tensor; exp(): Tensor; log(): Tensor; log1p(): Tensor;
    sqrt(): Tensor; rsqrt(): Tensor; square(): Tensor; reciprocal(): Tensor; sin(): Tensor;
    cos(): Tensor; tanh(): Tensor; sigmoid(): Tensor; erf(): Tensor; relu(): Tensor; silu(): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    elu(alpha?: number): Tensor;
    gelu(opts?: { approximate?: 'none' | 'tanh' }): Tensor;
    softplus(opts?: { beta?: number; threshold?: number }): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    add(other: Tensor | number): Tensor; sub(other: Tensor | number): Tensor;
    mul(other: Tensor | number): Tensor; div(other: Tensor | number): Tensor;
    pow(exponent: Tensor | number): Tensor;
    maximum(other: Tensor | number): Tensor; minimum(other: Tensor | number): Tensor;
    eq(other: Tensor | number): Tensor; ne(other: Tensor | number): Tensor;
    lt(other: Tensor | number): Tensor; le(other: Tensor | number): Tensor;
    gt(other: Tensor | number): Tensor; ge(other: Tensor | number): Tensor;
  }
}

const methods: Record<string, (self: Tensor, ...a: never[]) => Tensor> = {
  neg, abs, sign, exp, log, log1p, sqrt, rsqrt, square, reciprocal, sin, cos, tanh, sigmoid, erf,
  relu, silu, leakyRelu, elu, gelu, softplus, clamp, add, sub, mul, div, pow, maximum, minimum,
  eq, ne, lt, le, gt, ge,
};
for (const [name, fn] of Object.entries(methods)) method(name, fn as (self: Tensor, ...a: unknown[]) => Tensor);

