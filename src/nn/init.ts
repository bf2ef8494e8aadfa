// tg.nn.init: in-place initialisers with PyTorch's fan computation and gains (torch.nn.init).
import { Tensor } from '../tensor';
import { isFloat } from '../dtype';
import { noGrad } from '../autograd/grad-mode';
import { Generator, resolveGenerator } from '../random';
import { shapeStr } from '../shape';
import { checkFinite, checkFloatTensor, checkNumber, checkTensor, describe, optionsOf } from '../validate';
import { checkInPlace } from '../ops/convert';

export interface InitOptions {
  generator?: Generator;
}

export type Nonlinearity =
  | 'linear' | 'identity' | 'conv1d' | 'conv2d' | 'conv3d' | 'convTranspose1d' | 'convTranspose2d' | 'convTranspose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu'
  | 'leaky_relu' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d';

export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';



/** The recommended gain for a nonlinearity (PyTorch's `calculate_gain`). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  return gainFor('calculateGain', nonlinearity, param);
}

// `op` is the public function the user called (calculateGain, or the initializer that needs a gain).
function gainFor(op: string, nonlinearity: unknown, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'identity':
    case 'conv1d': case 'conv2d': case 'conv3d':
    case 'convTranspose1d': case 'convTranspose2d': case 'convTranspose3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': case 'leaky_relu': {
      const slope = param === undefined ? 0.01 : checkFinite(op, param, 'negative slope');
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RangeError(`${op}: unsupported nonlinearity ${describe(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight shaped [out, in, ...kernel] (PyTorch's `_calculate_fan_in_and_fan_out`). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  return fans('calculateFanInAndFanOut', checkTensor('calculateFanInAndFanOut', t, 'tensor'));
}

function fans(op: string, t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) {
    throw new RangeError(`${op}: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape ${shapeStr(s)})`);
  }
  let receptive = 1;
  for (let d = 2; d < s.length; d++) receptive *= s[d];
  return [s[1] * receptive, s[0] * receptive];
}

function fill(op: string, t: Tensor, draw: (buf: Tensor, g: Generator) => void, opts: InitOptions): Tensor {
  opts = optionsOf<InitOptions>(op, opts) as InitOptions;
  const g = resolveGenerator(op, opts.generator);
  noGrad(() => checkInPlace(op, t));
  if (t.size === 0) return t;
  const buf = Tensor._empty(t._shape, t.dtype);
  draw(buf, g);
  return noGrad(() => t.copy_(buf));
}

const uniformFill = (op: string, t: Tensor, lo: number, hi: number, opts: InitOptions) =>
  fill(op, t, (buf, g) => g._uniform(buf._st.data, lo, hi), opts);
const normalFill = (op: string, t: Tensor, mean: number, std: number, opts: InitOptions) =>
  fill(op, t, (buf, g) => g._normal(buf._st.data, mean, std), opts);

/** Fills `t` in place with values uniform in [a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  checkFloatTensor('uniform_', t, 'tensor');
  const lo = checkFinite('uniform_', a, 'a');
  const hi = checkFinite('uniform_', b, 'b');
  if (hi < lo) throw new RangeError(`uniform_: a (${lo}) must not exceed b (${hi})`);
  return uniformFill('uniform_', t, lo, hi, opts);
}

/** Fills `t` in place with normal values of the given mean and standard deviation. */
export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  checkFloatTensor('normal_', t, 'tensor');
  const m = checkFinite('normal_', mean, 'mean');
  const s = checkFinite('normal_', std, 'std');
  if (s < 0) throw new RangeError(`normal_: std must be non-negative, got ${s}`);
  return normalFill('normal_', t, m, s, opts);
}

function constantFill(op: string, t: Tensor, val: number): Tensor {
  checkFloatTensor(op, t, 'tensor');
  checkNumber(op, val, 'val');
  return noGrad(() => {
    checkInPlace(op, t);
    return t.fill_(val);
  });
}

export function constant_(t: Tensor, val: number): Tensor {
  return constantFill('constant_', t, val);
}

export function zeros_(t: Tensor): Tensor {
  return constantFill('zeros_', t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constantFill('ones_', t, 1);
}

function xavierStd(op: string, t: Tensor, opts: InitOptions & { gain?: number }): number {
  checkFloatTensor(op, t, 'tensor');
  const [fanIn, fanOut] = fans(op, t);
  return checkFinite(op, opts.gain ?? 1, 'gain') * Math.sqrt(2 / (fanIn + fanOut));
}

export function xavierUniform_(t: Tensor, opts: InitOptions & { gain?: number } = {}): Tensor {
  opts = optionsOf<InitOptions & { gain?: number }>('xavierUniform_', opts) as InitOptions & { gain?: number };
  const a = Math.sqrt(3) * xavierStd('xavierUniform_', t, opts);
  return uniformFill('xavierUniform_', t, -a, a, opts);
}

export function xavierNormal_(t: Tensor, opts: InitOptions & { gain?: number } = {}): Tensor {
  opts = optionsOf<InitOptions & { gain?: number }>('xavierNormal_', opts) as InitOptions & { gain?: number };
  return normalFill('xavierNormal_', t, 0, xavierStd('xavierNormal_', t, opts), opts);
}

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer (leaky ReLU only); default 0. */
  a?: number;
  /** 'fanIn' (default) preserves the forward variance, 'fanOut' the backward one. */
  mode?: FanMode;
  /** Default 'leakyRelu', as in PyTorch. */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(op: string, t: Tensor, opts: KaimingOptions): number {
  opts = optionsOf<KaimingOptions>(op, opts) as KaimingOptions;
  const mode = opts.mode ?? 'fanIn';
  if (!['fanIn', 'fanOut', 'fan_in', 'fan_out'].includes(mode)) {
    throw new RangeError(`${op}: mode must be 'fanIn' or 'fanOut', got ${describe(mode)}`);
  }
  const [fanIn, fanOut] = fans(op, t);
  const fan = mode === 'fanIn' || mode === 'fan_in' ? fanIn : fanOut;
  const gain = gainFor(op, opts.nonlinearity ?? 'leakyRelu', checkFinite(op, opts.a ?? 0, 'a'));
  return gain / Math.sqrt(fan);
}

/** Uniform in [-bound, bound) with bound = gain · √(3 / fan) (He et al.). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  opts = optionsOf<KaimingOptions>('kaimingUniform_', opts) as KaimingOptions;
  checkFloatTensor('kaimingUniform_', t, 'tensor');
  if (t.size === 0) return t;
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, opts);
  return uniformFill('kaimingUniform_', t, -bound, bound, opts);
}

/** Normal with std = gain / √fan (He et al.). */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  opts = optionsOf<KaimingOptions>('kaimingNormal_', opts) as KaimingOptions;
  checkFloatTensor('kaimingNormal_', t, 'tensor');
  if (t.size === 0) return t;
  return normalFill('kaimingNormal_', t, 0, kaimingStd('kaimingNormal_', t, opts), opts);
}
