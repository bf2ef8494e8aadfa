// Functional batch norm, layer norm, dropout and embedding (PyTorch semantics). Batch and layer norm
// run native forward and fused backward kernels; with createGraph their backward is written with
// recorded tensor ops (recomputing the statistics from x), so second derivatives work.
import { native } from '../native';
import { Tensor, metaBuffer } from '../tensor';
import { isFloat } from '../dtype';
import { isGradEnabled, noGrad } from '../autograd/grad-mode';
import { Generator, resolveGenerator } from '../random';
import { numel, shapeStr } from '../shape';
import { op } from '../ops/util';
import { indexSelect } from '../ops/indexing';
import { checkFloatTensor, checkShape, describe, optionsOf } from '../validate';


/** An optional per-feature tensor (weight, bias, running stats): null, or `shape` in the input's dtype. */
function optional(fn: string, t: unknown, what: string, shape: readonly number[], x: Tensor): Tensor | null {
  if (t === null || t === undefined) return null;
  const v = checkFloatTensor(fn, t, what);
  if (shapeStr(v._shape) !== shapeStr(shape)) {
    throw new RangeError(`${fn}: ${what} must have shape ${shapeStr(shape)} for input shape ${shapeStr(x._shape)}, got ${shapeStr(v._shape)}`);
  }
  if (v.dtype !== x.dtype) throw new TypeError(`${fn}: ${what} is ${v.dtype} but the input is ${x.dtype}`);
  return v;
}

function epsArg(fn: string, eps: unknown): number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new RangeError(`${fn}: eps must be a finite number >= 0, got ${describe(eps)}`);
  return eps;
}

const flatOf = (t: Tensor | null) => (t === null ? null : t._flat());

// ---- batch norm ----------------------------------------------------------------------------

export interface BatchNormOptions {
  /** Normalise with the batch statistics and update the running stats (default false, as PyTorch). */
  training?: boolean;
  /** Weight of the new batch statistic in the running stats (default 0.1). */
  momentum?: number;
  eps?: number;
}

interface BnCtx {
  nclShape: number[];
  training: boolean;
  eps: number;
  mean: Tensor;
  invstd: Tensor;
}

function bnMeta(ncl: number[], training: boolean): Float64Array {
  const m = metaBuffer(4);
  m[0] = ncl[0];
  m[1] = ncl[1];
  m[2] = ncl[2];
  m[3] = training ? 1 : 0;
  return m;
}

/** Batch norm backward as recorded ops (createGraph): differentiable in g, x and weight. */
function bnBackwardOps(c: BnCtx, g: Tensor, x: Tensor, w: Tensor | null): [Tensor, Tensor, Tensor] {
  const [n, ch, l] = c.nclShape;
  const x3 = x.reshape([n, ch, l]);
  const g3 = g.reshape([n, ch, l]);
  let xhat: Tensor;
  let invstd: Tensor;
  if (c.training) {
    const xc = x3.sub(x3.mean([0, 2], true));
    invstd = xc.square().mean([0, 2], true).add(c.eps).rsqrt();
    xhat = xc.mul(invstd);
  } else {
    invstd = c.invstd.reshape([1, ch, 1]);
    xhat = x3.sub(c.mean.reshape([1, ch, 1])).mul(invstd);
  }
  const gb = g3.sum([0, 2]);
  const gw = g3.mul(xhat).sum([0, 2]);
  const dxhat = w === null ? g3 : g3.mul(w.reshape([1, ch, 1]));
  let gx: Tensor;
  if (c.training) {
    gx = dxhat.sub(dxhat.mean([0, 2], true)).sub(xhat.mul(dxhat.mul(xhat).mean([0, 2], true))).mul(invstd);
  } else {
    gx = dxhat.mul(invstd);
  }
  return [gx.reshape(x._shape), gw, gb];
}

const batchNormOp = op('batchNorm', {
  forward(ctx, x: Tensor, weight: Tensor | null, bias: Tensor | null, rm: Tensor | null, rv: Tensor | null, o: { training: boolean; momentum: number; eps: number }) {
    const ncl = [x._shape[0], x._shape[1], numel(x._shape.slice(2))];
    const y = Tensor._empty(x._shape, x.dtype);
    const stats = y.size > 0 ? Tensor._empty : Tensor._zeros; // an empty batch never reaches the kernel
    const mean = stats([ncl[1]], x.dtype);
    const invstd = stats([ncl[1]], x.dtype);
    if (y.size > 0) {
      // The kernel updates contiguous running stats in place; others go through a copy.
      const stat = (t: Tensor | null) => (t === null || t.isContiguous() ? t : t.contiguous());
      const [rmc, rvc] = o.training ? [stat(rm), stat(rv)] : [rm, rv];
      native.batchNormForward(
        y._st.data, mean._st.data, invstd._st.data, x._flat(), flatOf(weight), flatOf(bias), flatOf(rmc), flatOf(rvc),
        bnMeta(ncl, o.training), o.eps, o.momentum,
      );
      if (o.training) {
        for (const [t, c] of [[rm, rmc], [rv, rvc]] as const) {
          if (t === null || c === null) continue;
          if (c !== t) noGrad(() => t.copy_(c));
          else t._bump();
        }
      }
    }
    ctx.save(x, ...(weight ? [weight] : []));
    Object.assign(ctx, { bn: { nclShape: ncl, training: o.training, eps: o.eps, mean, invstd } satisfies BnCtx, hasWeight: weight !== null });
    return y;
  },
  backward(ctx, g) {
    const [x, w = null] = ctx.saved as [Tensor, Tensor?];
    const c = ctx.bn as BnCtx;
    const need = ctx.needsInputGrad;
    const gd = g.dtype === x.dtype ? g : g.to(x.dtype);
    if (isGradEnabled()) {
      const [gx, gw, gb] = bnBackwardOps(c, gd, x, w);
      return [need[0] ? gx : null, need[1] ? gw : null, need[2] ? gb : null];
    }
    const gx = need[0] ? Tensor._empty(x._shape, x.dtype) : null;
    const gw = need[1] ? Tensor._empty([c.nclShape[1]], x.dtype) : null;
    const gb = need[2] ? Tensor._empty([c.nclShape[1]], x.dtype) : null;
    native.batchNormBackward(
      gx?._st.data ?? null, gw?._st.data ?? null, gb?._st.data ?? null, gd._flat(), x._flat(), flatOf(w),
      c.mean._st.data, c.invstd._st.data, bnMeta(c.nclShape, c.training),
    );
    return [gx, gw, gb];
  },
});

/**
 * Batch normalisation over dim 1 of an [N, C, ...] input, as PyTorch's F.batch_norm. In training the
 * batch is normalised with its biased variance and the running stats (if given) are updated in place
 * with the unbiased one: `running = (1 - momentum) * running + momentum * batchStat`.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight: Tensor | null = null, bias: Tensor | null = null,
  opts: BatchNormOptions = {},
): Tensor {
  opts = optionsOf<BatchNormOptions>('batchNorm', opts) as BatchNormOptions;
  const fn = 'batchNorm';
  checkFloatTensor(fn, x);
  if (x.ndim < 2) throw new RangeError(`${fn}: expected an input of at least 2 dims [N, C, ...], got shape ${shapeStr(x._shape)}`);
  const training = opts.training ?? false;
  if (typeof training !== 'boolean') throw new TypeError(`${fn}: training must be a boolean`);
  const momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
  if (typeof momentum !== 'number' || !Number.isFinite(momentum)) {
    throw new TypeError(`${fn}: momentum must be a finite number, got ${describe(momentum)} (the modules take momentum: null for a cumulative average)`);
  }
  const eps = epsArg(fn, opts.eps ?? 1e-5);
  const ch = [x._shape[1]];
  const rm = optional(fn, runningMean, 'runningMean', ch, x);
  const rv = optional(fn, runningVar, 'runningVar', ch, x);
  if ((rm === null) !== (rv === null)) throw new TypeError(`${fn}: runningMean and runningVar must both be tensors or both be null`);
  if (!training && rm === null) throw new TypeError(`${fn}: runningMean and runningVar must be given in evaluation mode (training: false)`);
  const w = optional(fn, weight, 'weight', ch, x);
  const b = optional(fn, bias, 'bias', ch, x);
  if (training && x.size > 0 && x.size / x._shape[1] === 1) {
    throw new RangeError(`${fn}: expected more than 1 value per channel when training, got input shape ${shapeStr(x._shape)}`);
  }
  return batchNormOp(x, w, b, rm, rv, { training, momentum, eps });
}

// ---- layer norm ----------------------------------------------------------------------------

interface LnCtx {
  rows: number;
  cols: number;
  eps: number;
  mean: Tensor;
  invstd: Tensor;
}

function lnMeta(rows: number, cols: number): Float64Array {
  const m = metaBuffer(2);
  m[0] = rows;
  m[1] = cols;
  return m;
}

function lnBackwardOps(c: LnCtx, g: Tensor, x: Tensor, w: Tensor | null): [Tensor, Tensor, Tensor] {
  const x2 = x.reshape([c.rows, c.cols]);
  const g2 = g.reshape([c.rows, c.cols]);
  const xc = x2.sub(x2.mean(1, true));
  const invstd = xc.square().mean(1, true).add(c.eps).rsqrt();
  const xhat = xc.mul(invstd);
  const dxhat = w === null ? g2 : g2.mul(w.reshape([c.cols]));
  const gx = dxhat.sub(dxhat.mean(1, true)).sub(xhat.mul(dxhat.mul(xhat).mean(1, true))).mul(invstd);
  const wshape = w === null ? [c.cols] : w._shape;
  return [gx.reshape(x._shape), g2.mul(xhat).sum(0).reshape(wshape), g2.sum(0).reshape(wshape)];
}

const layerNormOp = op('layerNorm', {
  forward(ctx, x: Tensor, weight: Tensor | null, bias: Tensor | null, cols: number, eps: number) {
    const rows = cols === 0 ? 0 : x.size / cols;
    const y = Tensor._empty(x._shape, x.dtype);
    const mean = Tensor._empty([rows], x.dtype);
    const invstd = Tensor._empty([rows], x.dtype);
    native.layerNormForward(y._st.data, mean._st.data, invstd._st.data, x._flat(), flatOf(weight), flatOf(bias), lnMeta(rows, cols), eps);
    ctx.save(x, ...(weight ? [weight] : []));
    Object.assign(ctx, { ln: { rows, cols, eps, mean, invstd } satisfies LnCtx, wshape: weight?._shape ?? bias?._shape });
    return y;
  },
  backward(ctx, g) {
    const [x, w = null] = ctx.saved as [Tensor, Tensor?];
    const c = ctx.ln as LnCtx;
    const need = ctx.needsInputGrad;
    const gd = g.dtype === x.dtype ? g : g.to(x.dtype);
    if (isGradEnabled()) {
      const [gx, gw, gb] = lnBackwardOps(c, gd, x, w);
      const wshape = ctx.wshape as readonly number[];
      return [need[0] ? gx : null, need[1] ? gw : null, need[2] ? gb.reshape(wshape) : null];
    }
    const wshape = ctx.wshape as readonly number[];
    const gx = need[0] ? Tensor._empty(x._shape, x.dtype) : null;
    const gw = need[1] ? Tensor._empty(wshape, x.dtype) : null;
    const gb = need[2] ? Tensor._empty(wshape, x.dtype) : null;
    native.layerNormBackward(
      gx?._st.data ?? null, gw?._st.data ?? null, gb?._st.data ?? null, gd._flat(), x._flat(), flatOf(w),
      c.mean._st.data, c.invstd._st.data, lnMeta(c.rows, c.cols),
    );
    return [gx, gw, gb];
  },
});

export interface LayerNormOptions {
  eps?: number;
}

/** Normalises over the trailing dims given by `normalizedShape` (biased variance), as F.layer_norm. */
export function layerNorm(
  x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null = null, bias: Tensor | null = null,
  opts: LayerNormOptions = {},
): Tensor {
  opts = optionsOf<LayerNormOptions>('layerNorm', opts) as LayerNormOptions;
  const fn = 'layerNorm';
  checkFloatTensor(fn, x);
  const shape = normalizedShapeArg(fn, normalizedShape);
  const k = shape.length;
  if (x.ndim < k || shapeStr(x._shape.slice(x.ndim - k)) !== shapeStr(shape)) {
    throw new RangeError(`${fn}: input shape ${shapeStr(x._shape)} does not end with normalizedShape ${shapeStr(shape)}`);
  }
  const w = optional(fn, weight, 'weight', shape, x);
  const b = optional(fn, bias, 'bias', shape, x);
  return layerNormOp(x, w, b, numel(shape), epsArg(fn, opts.eps ?? 1e-5));
}

/** @internal A non-empty list of non-negative integer sizes. */
export function normalizedShapeArg(fn: string, s: unknown): number[] {
  const arr = typeof s === 'number' ? [s] : s;
  if (Array.isArray(arr) && arr.length === 0) throw new RangeError(`${fn}: normalizedShape must be a non-empty array of sizes`);
  if (!Array.isArray(arr)) throw new TypeError(`${fn}: normalizedShape must be a size or a non-empty array of sizes, got ${describe(s)}`);
  return checkShape(fn, arr, 'normalizedShape');
}

// ---- dropout -------------------------------------------------------------------------------

export interface DropoutOptions {
  /** When false, dropout is the identity (default true, as F.dropout). */
  training?: boolean;
  generator?: Generator;
}

/** @internal Checks a dropout probability. */
export function dropoutProb(fn: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${fn}: dropout probability has to be between 0 and 1, but got ${describe(p)}`);
  }
  return p;
}

const dropoutOp = op('dropout', {
  forward(ctx, x: Tensor, p: number, gen: Generator) {
    const mask = Tensor._empty(x._shape, x.dtype);
    const out = Tensor._empty(x._shape, x.dtype);
    gen._uniform(mask._st.data, 0, 1);
    native.dropoutForward(out._st.data, mask._st.data, x._flat(), p);
    ctx.mask = mask;
    return out;
  },
  backward(ctx, g) {
    return [g.mul(ctx.mask as Tensor)];
  },
});

/**
 * Inverted dropout: each element is kept with probability 1 - p and scaled by 1 / (1 - p), or zeroed
 * (p = 1 gives zeros). The mask comes from the seeded counter-based generator, so one seed gives the
 * same mask on any number of threads. Identity when `training` is false.
 */
export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  opts = optionsOf<DropoutOptions>('dropout', opts) as DropoutOptions;
  const fn = 'dropout';
  checkFloatTensor(fn, x);
  const prob = dropoutProb(fn, p);
  const training = opts.training ?? true;
  if (typeof training !== 'boolean') throw new TypeError(`${fn}: training must be a boolean`);
  const gen = resolveGenerator(fn, opts.generator);
  if (!training) return x;
  return dropoutOp(x, prob, gen);
}

// ---- embedding -----------------------------------------------------------------------------

/** Identity forward; the gradient is multiplied by `keep` (zero rows for the padding index). */
const maskGrad = op('embeddingPaddingMask', {
  forward(ctx, y: Tensor, keep: Tensor) {
    ctx.keep = keep;
    return y;
  },
  backward(ctx, g) {
    return [g.mul(ctx.keep as Tensor), null];
  },
});

export interface EmbeddingOptions {
  /** Rows looked up at this index get no gradient (negative values count from the end). */
  paddingIdx?: number | null;
}

/** @internal Normalises a padding index for `num` embeddings. */
export function paddingIndexArg(fn: string, paddingIdx: unknown, num: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (typeof paddingIdx !== 'number' || !Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num) {
    throw new RangeError(`${fn}: paddingIdx must be an integer within [-${num}, ${num}) for ${num} embeddings, got ${describe(paddingIdx)}`);
  }
  return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
}

/**
 * Looks up rows of `weight` [numEmbeddings, dim] at int32 `indices` (any shape); the result has shape
 * [...indices.shape, dim]. The gradient is scatter-added into the rows (except the padding row's).
 */
export function embedding(indices: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  opts = optionsOf<EmbeddingOptions>('embedding', opts) as EmbeddingOptions;
  const fn = 'embedding';
  if (!(indices instanceof Tensor)) throw new TypeError(`${fn}: indices must be an int32 Tensor, got ${describe(indices)}`);
  if (indices.dtype !== 'int32') throw new TypeError(`${fn}: indices must be an int32 tensor, got ${indices.dtype}`);
  checkFloatTensor(fn, weight, 'weight');
  if (weight.ndim !== 2) throw new RangeError(`${fn}: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${shapeStr(weight._shape)}`);
  const [num, dim] = weight._shape;
  const pad = paddingIndexArg(fn, opts.paddingIdx, num);
  const flat = indices.reshape([indices.size]);
  let rows: Tensor;
  try {
    rows = indexSelect(weight, 0, flat);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new RangeError(`${fn}: ${e.message.replace(/^indexSelect: /, '')} (weight shape ${shapeStr(weight._shape)}, indices shape ${shapeStr(indices._shape)})`);
    }
    throw e;
  }
  if (pad !== null && rows.requiresGrad) rows = maskGrad(rows, flat.ne(pad).to(weight.dtype).reshape([flat.size, 1]));
  return rows.reshape([...indices._shape, dim]);
}
