// conv2d, maxPool2d and avgPool2d (NCHW) with PyTorch's semantics and output-size rules.
// Each backward is itself a recorded op with a native kernel (conv2dBackwardInput/Weight/Bias,
// maxPool2dBackward, avgPool2dBackward) whose own backward is expressed through these ops, so with
// createGraph the gradients are differentiable to any order; without it nothing is recorded.
import { native } from '../native';
import { Tensor, metaBuffer } from '../tensor';
import { isFloat } from '../dtype';
import { shapeStr } from '../shape';
import { op } from '../ops/util';
import { gather } from '../ops/indexing';
import { checkElements, checkFloatTensor, checkPair, describe, optionsOf } from '../validate';

export type IntOrPair = number | readonly [number, number] | readonly number[];

export interface Conv2dOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
}

export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}





/** Adds a batch dim to an unbatched [C, H, W] input; runs fn; removes it again. */
function batched(opName: string, x: Tensor, fn: (x4: Tensor) => Tensor): Tensor {
  if (x.ndim === 4) return fn(x);
  if (x.ndim === 3) return fn(x.unsqueeze(0)).squeeze(0);
  throw new RangeError(`${opName}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape ${shapeStr(x._shape)}`);
}

// ---- convolution ---------------------------------------------------------------------------

interface ConvParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

function convMeta(x: readonly number[], w: readonly number[], p: ConvParams): Float64Array {
  const m = metaBuffer(14);
  m.set([x[0], x[1], x[2], x[3], w[0], w[2], w[3], ...p.stride, ...p.padding, ...p.dilation, p.groups]);
  return m;
}

function convOutSize(x: readonly number[], w: readonly number[], p: ConvParams): [number, number] {
  const o = (d: 0 | 1) => Math.floor((x[2 + d] + 2 * p.padding[d] - p.dilation[d] * (w[2 + d] - 1) - 1) / p.stride[d]) + 1;
  return [o(0), o(1)];
}

const conv2dOp: (x: Tensor, w: Tensor, b: Tensor | null, p: ConvParams) => Tensor = op('conv2d', {
  forward(ctx, x: Tensor, w: Tensor, b: Tensor | null, p: ConvParams) {
    const [oh, ow] = convOutSize(x._shape, w._shape, p);
    const out = Tensor._empty([x._shape[0], w._shape[0], oh, ow], x.dtype);
    const bias = b === null ? new (x._st.data.constructor as Float32ArrayConstructor)(0) : b._flat();
    native.conv2d(out._st.data, x._flat(), w._flat(), bias, convMeta(x._shape, w._shape, p));
    ctx.save(x, w);
    ctx.p = p;
    return out;
  },
  backward(ctx, g) {
    const [x, w] = ctx.saved;
    const p = ctx.p as ConvParams;
    const need = ctx.needsInputGrad;
    return [
      need[0] ? conv2dBackwardInputOp(g, w, p, x._shape) : null,
      need[1] ? conv2dBackwardWeightOp(x, g, p, w._shape) : null,
      need[2] ? conv2dBackwardBiasOp(g) : null,
    ];
  },
});

/** gx = the adjoint of conv2d in x, applied to g; linear in g and in w. */
const conv2dBackwardInputOp: (g: Tensor, w: Tensor, p: ConvParams, xShape: readonly number[]) => Tensor = op('conv2dBackwardInput', {
  forward(ctx, g: Tensor, w: Tensor, p: ConvParams, xShape: readonly number[]) {
    const gx = Tensor._empty(xShape, w.dtype);
    native.conv2dBackwardInput(gx._st.data, g.to(w.dtype)._flat(), w._flat(), convMeta(xShape, w._shape, p));
    ctx.save(g, w);
    Object.assign(ctx, { p });
    return gx;
  },
  backward(ctx, gg) {
    const [g, w] = ctx.saved;
    const p = ctx.p as ConvParams;
    const need = ctx.needsInputGrad;
    return [
      need[0] ? conv2dOp(gg, w, null, p) : null,
      need[1] ? conv2dBackwardWeightOp(gg, g, p, w._shape) : null,
    ];
  },
});

/** gw[o, c, i, j] = Σ_{n, oh, ow} g[n, o, oh, ow] · x[n, c, oh·s + i·d - pad, ...]; linear in x and in g. */
const conv2dBackwardWeightOp: (x: Tensor, g: Tensor, p: ConvParams, wShape: readonly number[]) => Tensor = op('conv2dBackwardWeight', {
  forward(ctx, x: Tensor, g: Tensor, p: ConvParams, wShape: readonly number[]) {
    const gw = Tensor._empty(wShape, x.dtype);
    native.conv2dBackwardWeight(gw._st.data, x._flat(), g.to(x.dtype)._flat(), convMeta(x._shape, wShape, p));
    ctx.save(x, g);
    Object.assign(ctx, { p });
    return gw;
  },
  backward(ctx, gg) {
    const [x, g] = ctx.saved;
    const p = ctx.p as ConvParams;
    const need = ctx.needsInputGrad;
    return [
      need[0] ? conv2dBackwardInputOp(g, gg, p, x._shape) : null,
      need[1] ? conv2dOp(x, gg, null, p) : null,
    ];
  },
});

/** gb[c] = Σ_{n, h, w} g[n, c, h, w]. */
const conv2dBackwardBiasOp = op('conv2dBackwardBias', {
  forward(ctx, g: Tensor) {
    const s = g._shape;
    const gb = Tensor._empty([s[1]], g.dtype);
    const m = metaBuffer(3);
    m.set([s[0], s[1], s[2] * s[3]]);
    native.conv2dBackwardBias(gb._st.data, g._flat(), m);
    ctx.shape = s;
    return gb;
  },
  backward(ctx, gg) {
    const s = ctx.shape as number[];
    return [gg.reshape([1, s[1], 1, 1]).expand(s)];
  },
});

/**
 * 2-D convolution (cross-correlation, as torch.nn.functional.conv2d): input [N, C, H, W] or
 * unbatched [C, H, W], weight [outC, C / groups, kH, kW], optional bias [outC].
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  checkFloatTensor('conv2d', x);
  checkFloatTensor('conv2d', weight, 'weight');
  const opts = optionsOf<Conv2dOptions>('conv2d', options);
  const p: ConvParams = {
    stride: checkPair('conv2d', opts.stride ?? 1, 'stride', 1),
    padding: checkPair('conv2d', opts.padding ?? 0, 'padding', 0),
    dilation: checkPair('conv2d', opts.dilation ?? 1, 'dilation', 1),
    groups: opts.groups ?? 1,
  };
  if (!Number.isInteger(p.groups) || p.groups < 1) throw new RangeError(`conv2d: groups must be a positive integer, got ${describe(opts.groups)}`);
  if (weight.ndim !== 4) {
    throw new RangeError(`conv2d: weight must be 4-D [outChannels, inChannels / groups, kH, kW], got shape ${shapeStr(weight._shape)}`);
  }
  if (x.dtype !== weight.dtype) throw new TypeError(`conv2d: input is ${x.dtype} but weight is ${weight.dtype}`);
  const ws = weight._shape;
  if (ws.some((s) => s === 0)) throw new RangeError(`conv2d: weight shape ${shapeStr(ws)} has an empty dim`);
  if (ws[0] % p.groups !== 0) {
    throw new RangeError(`conv2d: out channels ${ws[0]} (weight shape ${shapeStr(ws)}) must be divisible by groups = ${p.groups}`);
  }
  if (bias !== null && bias !== undefined) {
    checkFloatTensor('conv2d', bias, 'bias');
    if (bias.dtype !== x.dtype) throw new TypeError(`conv2d: bias is ${bias.dtype} but input is ${x.dtype}`);
    if (bias.ndim !== 1 || bias._shape[0] !== ws[0]) {
      throw new RangeError(`conv2d: bias must have shape [${ws[0]}] for weight shape ${shapeStr(ws)}, got ${shapeStr(bias._shape)}`);
    }
  }
  return batched('conv2d', x, (x4) => {
    const s = x4._shape;
    if (s[1] !== ws[1] * p.groups) {
      throw new RangeError(
        `conv2d: input shape ${shapeStr(x._shape)} has ${s[1]} channels, but weight shape ${shapeStr(ws)} with groups = ${p.groups} expects ${ws[1] * p.groups}`,
      );
    }
    if (s[2] === 0 || s[3] === 0) throw new RangeError(`conv2d: input shape ${shapeStr(x._shape)} has an empty spatial dim`);
    const [oh, ow] = convOutSize(s, ws, p);
    if (oh < 1 || ow < 1) {
      const ph = s[2] + 2 * p.padding[0];
      const pw = s[3] + 2 * p.padding[1];
      const kh = p.dilation[0] * (ws[2] - 1) + 1;
      const kw = p.dilation[1] * (ws[3] - 1) + 1;
      throw new RangeError(
        `conv2d: the padded input size [${ph}, ${pw}] is smaller than the (dilated) kernel size [${kh}, ${kw}] (input shape ${shapeStr(x._shape)}, weight shape ${shapeStr(ws)})`,
      );
    }
    checkElements('conv2d', [s[0], ws[0], oh, ow], 'output shape', ` (input shape ${shapeStr(x._shape)}, weight shape ${shapeStr(ws)})`);
    return conv2dOp(x4, weight, bias ?? null, p);
  });
}

// ---- pooling -------------------------------------------------------------------------------

interface PoolParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
  out: [number, number];
}

/** PyTorch's pooling_output_shape (with ceil mode's "last window starts inside" rule). */
export function poolOutSize(size: number, k: number, pad: number, stride: number, dil: number, ceil: boolean): number {
  let o = Math.floor((size + 2 * pad - dil * (k - 1) - 1 + (ceil ? stride - 1 : 0)) / stride) + 1;
  if (ceil && (o - 1) * stride >= size + pad) o--;
  return o;
}

export function poolParams(
  opName: string, kernelSize: unknown, options: { stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown } | null,
): Omit<PoolParams, 'out'> {
  const opts = optionsOf<{ stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown }>(opName, options);
  const kernel = checkPair(opName, kernelSize, 'kernelSize', 1);
  const stride = opts.stride === undefined || opts.stride === null ? kernel : checkPair(opName, opts.stride, 'stride', 1);
  const padding = checkPair(opName, opts.padding ?? 0, 'padding', 0);
  const dilation = checkPair(opName, opts.dilation ?? 1, 'dilation', 1);
  const ceilMode = opts.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean') throw new TypeError(`${opName}: ceilMode must be a boolean`);
  if (padding[0] > Math.floor(kernel[0] / 2) || padding[1] > Math.floor(kernel[1] / 2)) {
    throw new RangeError(
      `${opName}: padding should be at most half of the kernel size, got padding [${padding.join(', ')}] for kernel size [${kernel.join(', ')}]`,
    );
  }
  return { kernel, stride, padding, dilation, ceilMode };
}

function withOut(opName: string, x: Tensor, q: Omit<PoolParams, 'out'>): PoolParams {
  const s = x._shape;
  if (s[2] === 0 || s[3] === 0) throw new RangeError(`${opName}: input shape ${shapeStr(s)} has an empty spatial dim`);
  const out: [number, number] = [0, 1].map((d) =>
    poolOutSize(s[2 + d], q.kernel[d], q.padding[d], q.stride[d], q.dilation[d], q.ceilMode),
  ) as [number, number];
  if (out[0] < 1 || out[1] < 1) {
    throw new RangeError(
      `${opName}: input shape ${shapeStr(s)} with kernel size [${q.kernel.join(', ')}], stride [${q.stride.join(', ')}], padding [${q.padding.join(', ')}] gives output size [${out.join(', ')}], which is too small`,
    );
  }
  checkElements(opName, [s[0], s[1], ...out], 'output shape', ` (input shape ${shapeStr(s)})`);
  return { ...q, out };
}

function poolMeta(shape: readonly number[], p: PoolParams, extra: number[] = []): Float64Array {
  const m = metaBuffer(12 + extra.length);
  m.set([shape[0] * shape[1], shape[2], shape[3], ...p.kernel, ...p.stride, ...p.padding, ...p.dilation, p.ceilMode ? 1 : 0, ...extra]);
  return m;
}

const maxPool2dBackwardOp = op('maxPool2dBackward', {
  forward(ctx, g: Tensor, idx: Tensor, xShape: readonly number[]) {
    const gx = Tensor._empty(xShape, g.dtype);
    const m = metaBuffer(3);
    m.set([xShape[0] * xShape[1], xShape[2] * xShape[3], idx._shape[2] * idx._shape[3]]);
    native.maxPool2dBackward(gx._st.data, g._flat(), idx._flat() as Int32Array, m);
    Object.assign(ctx, { idx, gShape: g._shape });
    return gx;
  },
  backward(ctx, gg) {
    const s = ctx.gShape as number[];
    const idx = ctx.idx as Tensor;
    const planes = s[0] * s[1];
    return [gather(gg.reshape([planes, -1]), 1, idx.reshape([planes, -1])).reshape(s)];
  },
});

const maxPool2dOp = op('maxPool2d', {
  forward(ctx, x: Tensor, p: PoolParams) {
    const shape = [x._shape[0], x._shape[1], ...p.out];
    const out = Tensor._empty(shape, x.dtype);
    const idx = Tensor._empty(shape, 'int32');
    native.maxPool2d(out._st.data, idx._st.data as Int32Array, x._flat(), poolMeta(x._shape, p));
    Object.assign(ctx, { idx, xShape: x._shape });
    return out;
  },
  backward(ctx, g) {
    return [maxPool2dBackwardOp(g, ctx.idx as Tensor, ctx.xShape as number[])];
  },
});

/**
 * 2-D max pooling over [N, C, H, W] or [C, H, W], as torch.nn.functional.max_pool2d. Padding counts
 * as -∞; in backward the first maximum of each window (row-major) receives the gradient.
 */
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, opts: MaxPool2dOptions = {}): Tensor {
  checkFloatTensor('maxPool2d', x);
  const q = poolParams('maxPool2d', kernelSize, opts);
  return batched('maxPool2d', x, (x4) => maxPool2dOp(x4, withOut('maxPool2d', x4, q)));
}

interface AvgParams extends PoolParams {
  countIncludePad: boolean;
  divisor: number;
}

const avgMeta = (shape: readonly number[], p: AvgParams) => poolMeta(shape, p, [p.countIncludePad ? 1 : 0, p.divisor]);

const avgPool2dOp: (x: Tensor, p: AvgParams) => Tensor = op('avgPool2d', {
  forward(ctx, x: Tensor, p: AvgParams) {
    const out = Tensor._empty([x._shape[0], x._shape[1], ...p.out], x.dtype);
    native.avgPool2d(out._st.data, x._flat(), avgMeta(x._shape, p));
    Object.assign(ctx, { p, xShape: x._shape });
    return out;
  },
  backward(ctx, g) {
    return [avgPool2dBackwardOp(g, ctx.p as AvgParams, ctx.xShape as number[])];
  },
});

const avgPool2dBackwardOp: (g: Tensor, p: AvgParams, xShape: readonly number[]) => Tensor = op('avgPool2dBackward', {
  forward(ctx, g: Tensor, p: AvgParams, xShape: readonly number[]) {
    const gx = Tensor._empty(xShape, g.dtype);
    native.avgPool2dBackward(gx._st.data, g._flat(), avgMeta(xShape, p));
    ctx.p = p;
    return gx;
  },
  backward(ctx, gg) {
    return [avgPool2dOp(gg, ctx.p as AvgParams)];
  },
});

export function avgPoolParams(opName: string, kernelSize: unknown, opts: AvgPool2dOptions): Omit<AvgParams, 'out'> {
  if (opts !== null && typeof opts === 'object' && (opts as { dilation?: unknown }).dilation !== undefined) {
    throw new TypeError(`${opName}: there is no dilation option (as in PyTorch)`);
  }
  const q = poolParams(opName, kernelSize, { ...opts, dilation: 1 });
  const countIncludePad = opts.countIncludePad ?? true;
  if (typeof countIncludePad !== 'boolean') throw new TypeError(`${opName}: countIncludePad must be a boolean`);
  const d = opts.divisorOverride ?? null;
  if (d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d === 0)) {
    throw new RangeError(`${opName}: divisorOverride must be a non-zero integer, got ${describe(d)}`);
  }
  return { ...q, countIncludePad, divisor: d ?? 0 };
}

/** 2-D average pooling over [N, C, H, W] or [C, H, W], as torch.nn.functional.avg_pool2d. */
export function avgPool2d(x: Tensor, kernelSize: IntOrPair, opts: AvgPool2dOptions = {}): Tensor {
  checkFloatTensor('avgPool2d', x);
  const q = avgPoolParams('avgPool2d', kernelSize, opts);
  return batched('avgPool2d', x, (x4) => avgPool2dOp(x4, { ...withOut('avgPool2d', x4, q), countIncludePad: q.countIncludePad, divisor: q.divisor }));
}
