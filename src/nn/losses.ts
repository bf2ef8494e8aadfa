// Losses and penalties (tg.nn.functional.*Loss and the tg.nn loss modules), with PyTorch's semantics.
// crossEntropy and binaryCrossEntropyWithLogits run fused native kernels (one pass forward, one pass
// backward, native/kernels/loss.cc); the other losses, and those two when a target or weight needs a
// gradient, are composed from differentiable ops (logSoftmax, gather, where, ...). All forms are stable
// for logits of ±1e4.
import { Tensor } from '../tensor';
import { DType, isFloat } from '../dtype';
import { shapeStr } from '../shape';
import { native, TypedArray } from '../native';
import { isGradEnabled } from '../autograd/grad-mode';
import { tensor } from '../ops/creation';
import { where } from '../ops/elementwise';
import { op, scalarTensor } from '../ops/util';
import { logSoftmax, softmax } from './functional';
import { Module, Parameter } from './module';
import { checkFloatTensor, checkTensor, describe, optionsOf } from '../validate';

export type Reduction = 'mean' | 'sum' | 'none';

export interface ReductionOptions {
  reduction?: Reduction;
}
export interface HuberLossOptions extends ReductionOptions {
  delta?: number;
}
export interface SmoothL1LossOptions extends ReductionOptions {
  beta?: number;
}
export interface BCELossOptions extends ReductionOptions {
  weight?: Tensor | null;
}
export interface BCEWithLogitsLossOptions extends BCELossOptions {
  posWeight?: Tensor | null;
}
export interface NLLLossOptions extends ReductionOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
}
export interface CrossEntropyLossOptions extends NLLLossOptions {
  labelSmoothing?: number;
}

// ---- validation helpers --------------------------------------------------------------------



function reductionOf(fn: string, opts: ReductionOptions | undefined): Reduction {
  const r = optionsOf<ReductionOptions>(fn, opts).reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new RangeError(`${fn}: reduction must be 'mean', 'sum' or 'none', got ${describe(r)}`);
  }
  return r;
}

function reduce(l: Tensor, r: Reduction): Tensor {
  return r === 'mean' ? l.mean() : r === 'sum' ? l.sum() : l;
}

function sameShape(fn: string, input: Tensor, target: Tensor): void {
  const a = input.shape;
  const b = target.shape;
  if (a.length !== b.length || a.some((s, i) => s !== b[i])) {
    throw new RangeError(`${fn}: target shape ${shapeStr(b)} must equal input shape ${shapeStr(a)}`);
  }
}

/** Checks that `w` broadcasts to `shape` (trailing alignment, as PyTorch). */
function broadcastable(fn: string, w: Tensor, shape: readonly number[], name: string): void {
  const ws = w.shape;
  const ok = ws.length <= shape.length && ws.every((s, i) => s === 1 || s === shape[shape.length - ws.length + i]);
  if (!ok) throw new RangeError(`${fn}: ${name} shape ${shapeStr(ws)} does not broadcast to input shape ${shapeStr(shape)}`);
}

function optionalWeight(fn: string, w: unknown, name = 'weight'): Tensor | null {
  if (w === undefined || w === null) return null;
  return checkFloatTensor(fn, w, name);
}

/** A module keeps a weight as a buffer: a Parameter passed as one is kept as its data (shared storage). */
function asBuffer(w: Tensor | null): Tensor | null {
  return w instanceof Parameter ? w.detach() : w;
}

function finiteNumber(fn: string, v: unknown, name: string, min = -Infinity): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min) {
    throw new RangeError(`${fn}: ${name} must be a number${min > -Infinity ? ` >= ${min}` : ''}, got ${describe(v)}`);
  }
  return v;
}

// ---- regression losses ---------------------------------------------------------------------

/** Mean squared error: (input - target)² reduced. Shapes must match. */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  opts = optionsOf<ReductionOptions>('mseLoss', opts) as ReductionOptions;
  const fn = 'mseLoss';
  checkFloatTensor(fn, input, 'input');
  checkFloatTensor(fn, target, 'target');
  const r = reductionOf(fn, opts);
  sameShape(fn, input, target);
  return reduce(input.sub(target).square(), r);
}

/** Mean absolute error: |input - target| reduced. Shapes must match. */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  opts = optionsOf<ReductionOptions>('l1Loss', opts) as ReductionOptions;
  const fn = 'l1Loss';
  checkFloatTensor(fn, input, 'input');
  checkFloatTensor(fn, target, 'target');
  const r = reductionOf(fn, opts);
  sameShape(fn, input, target);
  return reduce(input.sub(target).abs(), r);
}

/** Huber loss: 0.5·d² where |d| < delta, else delta·(|d| - 0.5·delta), d = input - target. */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  opts = optionsOf<HuberLossOptions>('huberLoss', opts) as HuberLossOptions;
  const fn = 'huberLoss';
  checkFloatTensor(fn, input, 'input');
  checkFloatTensor(fn, target, 'target');
  const r = reductionOf(fn, opts);
  const delta = finiteNumber(fn, opts.delta ?? 1, 'delta', 0);
  if (!(delta > 0)) throw new RangeError(`${fn}: delta must be positive, got ${delta}`);
  sameShape(fn, input, target);
  const d = input.sub(target);
  const a = d.abs();
  return reduce(where(a.lt(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta)), r);
}

/** Smooth L1: 0.5·d²/beta where |d| < beta, else |d| - 0.5·beta; beta = 0 is the L1 loss (as PyTorch). */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  opts = optionsOf<SmoothL1LossOptions>('smoothL1Loss', opts) as SmoothL1LossOptions;
  const fn = 'smoothL1Loss';
  checkFloatTensor(fn, input, 'input');
  checkFloatTensor(fn, target, 'target');
  const r = reductionOf(fn, opts);
  const beta = finiteNumber(fn, opts.beta ?? 1, 'beta', 0);
  sameShape(fn, input, target);
  const d = input.sub(target);
  const a = d.abs();
  if (beta === 0) return reduce(a, r);
  return reduce(where(a.lt(beta), d.square().mul(0.5 / beta), a.sub(0.5 * beta)), r);
}

// ---- binary classification -----------------------------------------------------------------

/**
 * Binary cross-entropy on probabilities: -w·(y·log x + (1-y)·log(1-x)), each log clamped to ≥ -100 as
 * PyTorch does (so x = 0 or 1 gives a finite loss). Input values must lie in [0, 1].
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BCELossOptions = {}): Tensor {
  opts = optionsOf<BCELossOptions>('binaryCrossEntropy', opts) as BCELossOptions;
  const fn = 'binaryCrossEntropy';
  checkFloatTensor(fn, input, 'input');
  checkFloatTensor(fn, target, 'target');
  const r = reductionOf(fn, opts);
  const w = optionalWeight(fn, opts.weight);
  sameShape(fn, input, target);
  if (w) broadcastable(fn, w, input.shape, 'weight');
  for (const v of input.data()) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: all elements of input should be between 0 and 1, found ${v}`);
  }
  const logX = input.log().clamp(-100, null);
  const log1mX = input.neg().add(1).log().clamp(-100, null);
  let l = target.mul(logX).add(target.neg().add(1).mul(log1mX)).neg();
  if (w) l = l.mul(w);
  return reduce(l, r);
}

/** softplus(-x) = log(1 + e^-x), exact and finite for any x, with the exact gradient (also at 0). */
function softplusNeg(x: Tensor): Tensor {
  const neg = x.lt(0);
  const minusAbs = where(neg, x, x.neg()); // -|x| with gradient -sign(x), and -1 at 0
  return where(neg, x.neg(), 0).add(minusAbs.exp().log1p());
}

/**
 * Binary cross-entropy on logits in the stable form: (1-y)·x + lw·softplus(-x), lw = 1 + (posWeight-1)·y
 * (equal to max(x,0) - x·y + log1p(e^-|x|) without posWeight), times weight. posWeight broadcasts
 * against the target (one entry per class along the last dim), as in PyTorch. Runs the fused native
 * kernel unless the target, weight or posWeight needs a gradient.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BCEWithLogitsLossOptions = {}): Tensor {
  opts = optionsOf<BCEWithLogitsLossOptions>('binaryCrossEntropyWithLogits', opts) as BCEWithLogitsLossOptions;
  const fn = 'binaryCrossEntropyWithLogits';
  checkFloatTensor(fn, input, 'input');
  checkFloatTensor(fn, target, 'target');
  const r = reductionOf(fn, opts);
  const w = optionalWeight(fn, opts.weight);
  const pw = optionalWeight(fn, opts.posWeight, 'posWeight');
  sameShape(fn, input, target);
  if (w) broadcastable(fn, w, input.shape, 'weight');
  if (pw) broadcastable(fn, pw, input.shape, 'posWeight');
  if (useFused([w, pw, target], input.dtype)) return bceWithLogitsOp(input, { target, weight: w, posWeight: pw, reduction: r });
  return bceWithLogitsComposed(input, target, w, pw, r);
}

function bceWithLogitsComposed(input: Tensor, target: Tensor, w: Tensor | null, pw: Tensor | null, r: Reduction): Tensor {
  const sp = softplusNeg(input);
  const oneMinusY = target.neg().add(1);
  let l: Tensor;
  if (pw) {
    const lw = pw.sub(1).mul(target).add(1);
    l = oneMinusY.mul(input).add(lw.mul(sp));
  } else {
    l = oneMinusY.mul(input).add(sp);
  }
  if (w) l = l.mul(w);
  return reduce(l, r);
}

// ---- class-index losses --------------------------------------------------------------------

interface ClassTargets {
  classDim: number;
  numClasses: number;
  /** int32 tensor shaped like the input with the class dim of size 1, ignored entries replaced by 0. */
  index: Tensor;
  /** 1 where the target is kept, 0 where it equals ignoreIndex, shaped like the target, input dtype. */
  mask: Tensor;
  safe: Int32Array;
  kept: number;
  targetShape: number[];
}

/** Checks an int32 class-target tensor against the input [N, C, d1, ...] or [C]. */
function checkClassTargetShape(fn: string, input: Tensor, target: Tensor): void {
  if (target.dtype !== 'int32') throw new TypeError(`${fn}: class targets must be an int32 tensor, got ${target.dtype}`);
  if (input.ndim === 0) throw new RangeError(`${fn}: input must have a class dimension, got shape ${shapeStr(input.shape)}`);
  const expected = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  const ts = target.shape;
  if (ts.length !== expected.length || ts.some((s, i) => s !== expected[i])) {
    throw new RangeError(
      `${fn}: target shape ${shapeStr(ts)} does not match input shape ${shapeStr(input.shape)} ` +
        `(expected target shape ${shapeStr(expected)} for input [N, C, d1, ...] or [C])`,
    );
  }
}

function classTargets(fn: string, input: Tensor, target: Tensor, ignoreIndex: number): ClassTargets {
  checkClassTargetShape(fn, input, target);
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim];
  const ts = target.shape;
  const raw = target.data() as Int32Array;
  const safe = new Int32Array(raw.length);
  const m = new (input.dtype === 'float64' ? Float64Array : Float32Array)(raw.length);
  let kept = 0;
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i];
    if (t === ignoreIndex) continue;
    if (t < 0 || t >= C) {
      throw new RangeError(`${fn}: target ${t} is out of range for ${C} classes (input shape ${shapeStr(input.shape)}, ignoreIndex ${ignoreIndex})`);
    }
    safe[i] = t;
    m[i] = 1;
    kept++;
  }
  const idxShape = input.shape.slice();
  idxShape[classDim] = 1;
  return {
    classDim,
    numClasses: C,
    index: tensor(safe, { dtype: 'int32', shape: idxShape }),
    mask: tensor(m, { dtype: input.dtype, shape: ts.slice() }),
    safe,
    kept,
    targetShape: ts.slice(),
  };
}

function classWeight(fn: string, w: unknown, C: number): Tensor | null {
  const t = optionalWeight(fn, w);
  if (t && (t.ndim !== 1 || t.shape[0] !== C)) {
    throw new RangeError(`${fn}: weight must have shape [${C}] (one entry per class), got ${shapeStr(t.shape)}`);
  }
  return t;
}

function ignoreIndexOf(fn: string, v: unknown): number {
  const i = v ?? -100;
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`${fn}: ignoreIndex must be an integer, got ${describe(i)}`);
  return i;
}

/** Per-target weights w[target]·mask (or the mask alone), shaped like the target. */
function targetWeights(ct: ClassTargets, w: Tensor | null): Tensor {
  if (!w) return ct.mask;
  return w.indexSelect(0, tensor(ct.safe, { dtype: 'int32', shape: [ct.safe.length] })).reshape(ct.targetShape).mul(ct.mask);
}

function nllCore(logp: Tensor, ct: ClassTargets, w: Tensor | null, r: Reduction): Tensor {
  const picked = logp.gather(ct.classDim, ct.index).reshape(ct.targetShape);
  const wt = targetWeights(ct, w);
  const l = picked.mul(wt).neg();
  if (r === 'none') return l;
  if (r === 'sum') return l.sum();
  return l.sum().div(wt.sum()); // 0/0 = NaN when every target is ignored, as PyTorch
}

/**
 * Negative log-likelihood on log-probabilities [N, C] (or [C], or [N, C, d1, ...]) with int32 class targets
 * [N] (or [], or [N, d1, ...]): -w[t]·logProbs[t]; entries equal to ignoreIndex contribute 0, and 'mean'
 * divides by the summed weights of the kept targets (their count without weights).
 */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: NLLLossOptions = {}): Tensor {
  opts = optionsOf<NLLLossOptions>('nllLoss', opts) as NLLLossOptions;
  const fn = 'nllLoss';
  checkFloatTensor(fn, logProbs, 'input');
  checkTensor(fn, target, 'target');
  const r = reductionOf(fn, opts);
  const ignore = ignoreIndexOf(fn, opts.ignoreIndex);
  const ct = classTargets(fn, logProbs, target, ignore);
  const w = classWeight(fn, opts.weight, ct.numClasses);
  return nllCore(logProbs, ct, w, r);
}

/**
 * Cross-entropy on logits [N, C] (or [C], or [N, C, d1, ...]) against int32 class targets or float class
 * probabilities shaped like the logits, as torch.nn.functional.cross_entropy:
 * - class targets: (1-ε)·nllLoss(logSoftmax(x)) + ε/C·Σ_c w_c·(-logp_c) (ignored entries 0; 'mean'
 *   divides both terms by the summed weights of the kept targets);
 * - probabilities: -Σ_c w_c·y'_c·logp_c with y' = (1-ε)·y + ε/C; 'mean' divides by N·d1·... .
 * Runs the fused native kernel (per-row logsumexp saved for a one-pass softmax - target backward) unless
 * the target or weight needs a gradient; labels outside [0, C) other than ignoreIndex throw a RangeError.
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyLossOptions = {}): Tensor {
  opts = optionsOf<CrossEntropyLossOptions>('crossEntropy', opts) as CrossEntropyLossOptions;
  const fn = 'crossEntropy';
  checkFloatTensor(fn, logits, 'input');
  checkTensor(fn, target, 'target');
  const r = reductionOf(fn, opts);
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new RangeError(`${fn}: labelSmoothing must be in [0, 1], got ${describe(eps)}`);
  }
  if (logits.ndim === 0) throw new RangeError(`${fn}: input must have a class dimension, got shape ${shapeStr(logits.shape)}`);
  const classDim = logits.ndim === 1 ? 0 : 1;
  const C = logits.shape[classDim];
  const w = classWeight(fn, opts.weight, C);
  if (isFloat(target.dtype)) {
    if (target.shape.length !== logits.shape.length || target.shape.some((s, i) => s !== logits.shape[i])) {
      throw new RangeError(`${fn}: probability target shape ${shapeStr(target.shape)} must equal input shape ${shapeStr(logits.shape)}`);
    }
    if (C > 0 && useFused([w, target], logits.dtype)) return crossEntropyOp(logits, { target, weight: w, reduction: r, eps, ignore: 0 });
    return crossEntropyComposed(logits, target, w, r, eps, 0);
  }
  const ignore = ignoreIndexOf(fn, opts.ignoreIndex);
  checkClassTargetShape(fn, logits, target);
  if (C > 0 && useFused([w], logits.dtype) && ignore === (ignore | 0)) return crossEntropyOp(logits, { target, weight: w, reduction: r, eps, ignore });
  return crossEntropyComposed(logits, target, w, r, eps, ignore);
}

function crossEntropyComposed(logits: Tensor, target: Tensor, w: Tensor | null, r: Reduction, eps: number, ignore: number): Tensor {
  const fn = 'crossEntropy';
  const classDim = logits.ndim === 1 ? 0 : 1;
  const C = logits.shape[classDim];
  const wShape = logits.shape.map((_, i) => (i === classDim ? C : 1));
  const logp = logSoftmax(logits, classDim);

  if (isFloat(target.dtype)) {
    const y = eps > 0 ? target.mul(1 - eps).add(eps / C) : target;
    let prod = logp.mul(y);
    if (w) prod = prod.mul(w.reshape(wShape));
    if (r === 'sum') return prod.sum().neg();
    const perSample = prod.sum(classDim).neg();
    if (r === 'none') return perSample;
    return perSample.sum().div(logits.size / C);
  }

  const ct = classTargets(fn, logits, target, ignore);
  const nll = nllCore(logp, ct, w, r);
  if (eps === 0) return nll;
  let smooth = (w ? logp.mul(w.reshape(wShape)) : logp).sum(classDim).neg().mul(ct.mask);
  if (r === 'sum') smooth = smooth.sum();
  else if (r === 'mean') smooth = smooth.sum().div(targetWeights(ct, w).sum());
  return nll.mul(1 - eps).add(smooth.mul(eps / C));
}

// ---- fused kernels -------------------------------------------------------------------------

let composedOnly = false;

/**
 * @internal Runs `fn` with crossEntropy and binaryCrossEntropyWithLogits on their composed-op path
 * (for tests and benchmarks that compare it with the fused kernels).
 */
export function _withComposedLosses<T>(fn: () => T): T {
  const prev = composedOnly;
  composedOnly = true;
  try {
    return fn();
  } finally {
    composedOnly = prev;
  }
}

/**
 * The fused kernels differentiate the logits only: they run when no target or weight needs a gradient
 * and every float operand has the logits' dtype; otherwise the composed ops give the full derivatives
 * (and PyTorch's dtype promotion).
 */
function useFused(others: (Tensor | null)[], dtype: DType): boolean {
  if (composedOnly) return false;
  const grad = isGradEnabled();
  return others.every((t) => t === null || ((!grad || !t.requiresGrad) && (t.dtype === dtype || t.dtype === 'int32')));
}

const none32 = new Float32Array(0);
const none64 = new Float64Array(0);
const emptyOf = (dtype: DType): TypedArray => (dtype === 'float64' ? none64 : none32);

interface CEArgs {
  target: Tensor;
  weight: Tensor | null;
  reduction: Reduction;
  eps: number;
  ignore: number;
}

/** [N, C, S, probs, ignoreIndex, labelSmoothing, ndim, shape...] for the native kernels. */
function ceMeta(x: Tensor, a: CEArgs): Float64Array {
  const sh = x._shape;
  const batched = sh.length > 1;
  const m = new Float64Array(7 + sh.length); // not metaBuffer: _flat() calls in between may reuse it
  m[0] = batched ? sh[0] : 1;
  m[1] = batched ? sh[1] : sh[0];
  m[2] = batched ? sh.slice(2).reduce((p, v) => p * v, 1) : 1;
  m[3] = a.target.dtype === 'int32' ? 0 : 1;
  m[4] = a.ignore;
  m[5] = a.eps;
  m[6] = sh.length;
  for (let d = 0; d < sh.length; d++) m[7 + d] = sh[d];
  return m;
}

const crossEntropyOp = op('crossEntropy', {
  forward(ctx, x: Tensor, a: CEArgs) {
    const rowShape = x._shape.filter((_, d) => d !== (x._shape.length > 1 ? 1 : 0));
    const meta = ceMeta(x, a);
    const rows = meta[0] * meta[2];
    const out = a.reduction === 'none' ? Tensor._empty(rowShape, x.dtype) : null;
    const lse = new Float64Array(rows);
    const totals = new Float64Array(2);
    const w = a.weight ? a.weight._flat() : emptyOf(x.dtype);
    native.crossEntropyForward(x._flat(), a.target._flat(), w, out ? out._st.data : emptyOf(x.dtype), lse, totals, meta);
    const probs = a.target.dtype !== 'int32';
    // 'mean' divides by the summed weights of the kept targets (labels) or by the number of rows (probabilities).
    const denom = probs ? rows : totals[1];
    ctx.save(x, a.target, ...(a.weight ? [a.weight] : []));
    ctx.args = a;
    ctx.lse = lse;
    ctx.denom = denom;
    if (out) return out;
    return scalarTensor(a.reduction === 'sum' ? totals[0] : totals[0] / denom, x.dtype);
  },
  backward(ctx, g) {
    const x = ctx.saved[0];
    const a = ctx.args as CEArgs;
    const denom = ctx.denom as number;
    if (isGradEnabled()) return [crossEntropyGradOps(x, a, g, denom)];
    const gx = Tensor._empty(x._shape, x.dtype);
    const none = a.reduction === 'none';
    const scale = none ? 1 : a.reduction === 'mean' ? g.item() / denom : g.item();
    const w = a.weight ? a.weight._flat() : emptyOf(x.dtype);
    native.crossEntropyBackward(gx._st.data, x._flat(), a.target._flat(), w, ctx.lse as Float64Array,
      none ? g.to(x.dtype)._flat() : emptyOf(x.dtype), scale, ceMeta(x, a));
    return [gx];
  },
});

/**
 * The cross-entropy gradient g·(softmax(x)·A - B) as recorded ops (createGraph): per row A = Σ_c w_c·y'_c
 * and B_c = w_c·y'_c, with y' the smoothed target distribution (one-hot for labels) and ignored rows 0.
 */
function crossEntropyGradOps(x: Tensor, a: CEArgs, g: Tensor, denom: number): Tensor {
  const classDim = x.ndim > 1 ? 1 : 0;
  const C = x._shape[classDim];
  const keep = 1 - a.eps;
  const spread = a.eps / C;
  let A: Tensor;
  let B: Tensor;
  if (a.target.dtype === 'int32') {
    const sh = x._shape;
    const S = sh.length > 1 ? sh.slice(2).reduce((p, v) => p * v, 1) : 1;
    const N = sh.length > 1 ? sh[0] : 1;
    const t = a.target._flat();
    const w = a.weight ? a.weight._flat() : null;
    const W = w ? Array.from(w).reduce((p, v) => p + v, 0) : C;
    const Ad = new Float64Array(N * S);
    const Bd = new Float64Array(N * C * S);
    for (let r = 0; r < N * S; r++) {
      const label = t[r];
      if (label === a.ignore) continue;
      const wt = w ? w[label] : 1;
      Ad[r] = keep * wt + spread * W;
      const base = Math.floor(r / S) * C * S + (r % S);
      for (let c = 0; c < C; c++) Bd[base + c * S] = spread * (w ? w[c] : 1);
      Bd[base + label * S] += keep * wt;
    }
    const aShape = sh.map((v, d) => (d === classDim ? 1 : v));
    A = tensor(Ad, { dtype: 'float64', shape: aShape }).to(x.dtype);
    B = tensor(Bd, { dtype: 'float64', shape: sh.slice() }).to(x.dtype);
  } else {
    let y = a.target.mul(keep).add(spread);
    if (a.weight) y = y.mul(a.weight.reshape(x._shape.map((v, d) => (d === classDim ? C : 1))));
    B = y;
    A = y.sum(classDim, true);
  }
  const gs = a.reduction === 'none' ? (x.ndim > 1 ? g.unsqueeze(1) : g) : a.reduction === 'mean' ? g.div(denom) : g;
  return softmax(x, classDim).mul(A).sub(B).mul(gs);
}

interface BCEArgs {
  target: Tensor;
  weight: Tensor | null;
  posWeight: Tensor | null;
  reduction: Reduction;
}

/** [ndim, shape..., weight offset, weight strides..., posWeight offset, posWeight strides...] (0 strides broadcast). */
function bceMeta(x: Tensor, a: BCEArgs): Float64Array {
  const sh = x._shape;
  const n = sh.length;
  const m = new Float64Array(1 + n + 2 * (1 + n));
  m[0] = n;
  for (let d = 0; d < n; d++) m[1 + d] = sh[d];
  let p = 1 + n;
  for (const t of [a.weight, a.posWeight]) {
    m[p++] = t ? t._off : 0;
    const lead = n - (t ? t._shape.length : 0);
    for (let d = 0; d < n; d++) m[p++] = !t || d < lead || t._shape[d - lead] === 1 ? 0 : t._strides[d - lead];
  }
  return m;
}

const bceWithLogitsOp = op('binaryCrossEntropyWithLogits', {
  forward(ctx, x: Tensor, a: BCEArgs) {
    const out = a.reduction === 'none' ? Tensor._empty(x._shape, x.dtype) : null;
    const totals = new Float64Array(1);
    const meta = bceMeta(x, a);
    const e = emptyOf(x.dtype);
    native.bceWithLogitsForward(x._flat(), a.target._flat(), a.weight ? a.weight._st.data : e, a.posWeight ? a.posWeight._st.data : e,
      out ? out._st.data : e, totals, meta);
    ctx.save(x, a.target, ...[a.weight, a.posWeight].filter((t): t is Tensor => t !== null));
    ctx.args = a;
    if (out) return out;
    return scalarTensor(a.reduction === 'sum' ? totals[0] : totals[0] / x.size, x.dtype);
  },
  backward(ctx, g) {
    const x = ctx.saved[0];
    const a = ctx.args as BCEArgs;
    if (isGradEnabled()) {
      // g·w·((1 - y) - lw·sigmoid(-x)), lw = 1 + (posWeight - 1)·y, as recorded ops.
      const sn = x.neg().sigmoid();
      let d = a.target.neg().add(1).sub(a.posWeight ? sn.mul(a.posWeight.sub(1).mul(a.target).add(1)) : sn);
      if (a.weight) d = d.mul(a.weight);
      return [d.mul(a.reduction === 'mean' ? g.div(x.size) : g)];
    }
    const gx = Tensor._empty(x._shape, x.dtype);
    const none = a.reduction === 'none';
    const scale = none ? 1 : a.reduction === 'mean' ? g.item() / x.size : g.item();
    const e = emptyOf(x.dtype);
    native.bceWithLogitsBackward(gx._st.data, x._flat(), a.target._flat(), a.weight ? a.weight._st.data : e,
      a.posWeight ? a.posWeight._st.data : e, none ? g.to(x.dtype)._flat() : e, scale, bceMeta(x, a));
    return [gx];
  },
});

// ---- penalties -----------------------------------------------------------------------------

function paramList(fn: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : params && typeof (params as Iterable<Tensor>)[Symbol.iterator] === 'function' ? [...params] : null;
  if (!list) throw new TypeError(`${fn}: params must be a Tensor or an iterable of Tensors, got ${describe(params)}`);
  list.forEach((p, i) => checkFloatTensor(fn, p, `params[${i}]`));
  return list;
}

function penalty(fn: string, params: Tensor | Iterable<Tensor>, term: (p: Tensor) => Tensor): Tensor {
  const list = paramList(fn, params);
  if (list.length === 0) return tensor(0, { dtype: 'float32' });
  let s = term(list[0]).sum();
  for (let i = 1; i < list.length; i++) s = s.add(term(list[i]).sum());
  return s;
}

/** Σ|p| over all entries of all params (add λ·l1Penalty(model.parameters()) to a loss). */
export function l1Penalty(params: Tensor | Iterable<Tensor>): Tensor {
  return penalty('l1Penalty', params, (p) => p.abs());
}

/**
 * Σp² over all entries of all params, without a factor 1/2 (Keras' `l2(λ)` regulariser is λ·Σp²; note
 * that SGD's weightDecay λ corresponds to (λ/2)·l2Penalty).
 */
export function l2Penalty(params: Tensor | Iterable<Tensor>): Tensor {
  return penalty('l2Penalty', params, (p) => p.square());
}

// ---- modules -------------------------------------------------------------------------------

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(name: string, opts: ReductionOptions) {
    super();
    opts = optionsOf<ReductionOptions>(name, opts) as ReductionOptions;
    this.reduction = reductionOf(name, opts);
  }
  override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction=${this.reduction}`;
  }
}

export class MSELoss extends Loss {
  constructor(opts: ReductionOptions = {}) {
    super('MSELoss', opts);
    opts = optionsOf<ReductionOptions>('MSELoss', opts) as ReductionOptions;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(opts: ReductionOptions = {}) {
    super('L1Loss', opts);
    opts = optionsOf<ReductionOptions>('L1Loss', opts) as ReductionOptions;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: HuberLossOptions = {}) {
    super('HuberLoss', opts);
    opts = optionsOf<HuberLossOptions>('HuberLoss', opts) as HuberLossOptions;
    this.delta = opts.delta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: SmoothL1LossOptions = {}) {
    super('SmoothL1Loss', opts);
    opts = optionsOf<SmoothL1LossOptions>('SmoothL1Loss', opts) as SmoothL1LossOptions;
    this.beta = opts.beta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

export class BCELoss extends Loss {
  declare weight: Tensor | null;
  constructor(opts: BCELossOptions = {}) {
    super('BCELoss', opts);
    opts = optionsOf<BCELossOptions>('BCELoss', opts) as BCELossOptions;
    this.registerBuffer('weight', asBuffer(optionalWeight('BCELoss', opts.weight)));
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare posWeight: Tensor | null;
  constructor(opts: BCEWithLogitsLossOptions = {}) {
    super('BCEWithLogitsLoss', opts);
    opts = optionsOf<BCEWithLogitsLossOptions>('BCEWithLogitsLoss', opts) as BCEWithLogitsLossOptions;
    this.registerBuffer('weight', asBuffer(optionalWeight('BCEWithLogitsLoss', opts.weight)));
    this.registerBuffer('posWeight', asBuffer(optionalWeight('BCEWithLogitsLoss', opts.posWeight, 'posWeight')));
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight });
  }
}

export class NLLLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(opts: NLLLossOptions = {}) {
    super('NLLLoss', opts);
    opts = optionsOf<NLLLossOptions>('NLLLoss', opts) as NLLLossOptions;
    this.registerBuffer('weight', asBuffer(optionalWeight('NLLLoss', opts.weight)));
    this.ignoreIndex = ignoreIndexOf('NLLLoss', opts.ignoreIndex);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex });
  }
}

export class CrossEntropyLoss extends Loss {
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: CrossEntropyLossOptions = {}) {
    super('CrossEntropyLoss', opts);
    opts = optionsOf<CrossEntropyLossOptions>('CrossEntropyLoss', opts) as CrossEntropyLossOptions;
    this.registerBuffer('weight', asBuffer(optionalWeight('CrossEntropyLoss', opts.weight)));
    this.ignoreIndex = ignoreIndexOf('CrossEntropyLoss', opts.ignoreIndex);
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction, weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing,
    });
  }
}
