// Conv2d, MaxPool2d and AvgPool2d modules (the functional forms are in conv.ts).
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { Generator, resolveGenerator } from '../random';
import { shapeStr } from '../shape';
import { zeros } from '../ops/creation';
import {
  avgPool2d, AvgPool2dOptions, avgPoolParams, conv2d, IntOrPair, maxPool2d, MaxPool2dOptions, poolParams,
} from './conv';
import * as init from './init';
import { Module, Parameter } from './module';
import { checkElements, checkPair, checkTensor, describe, optionsOf } from '../validate';

export interface Conv2dLayerOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
  bias?: boolean;
  dtype?: DType;
  generator?: Generator;
}

function positive(layer: string, v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${layer}: ${what} must be a positive integer, got ${describe(v)}`);
  return v;
}

const pairStr = (p: readonly number[]) => `(${p.join(', ')})`;

/** 2-D convolution over [N, C, H, W] (or [C, H, W]); weight [outC, inC / groups, kH, kW]; initialised as PyTorch's nn.Conv2d. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: IntOrPair, opts: Conv2dLayerOptions = {}) {
    super();
    opts = optionsOf<Conv2dLayerOptions>('Conv2d', opts) as Conv2dLayerOptions;
    resolveGenerator('Conv2d', opts.generator); // checked before anything is allocated
    const name = 'Conv2d';
    this.inChannels = positive(name, inChannels, 'inChannels');
    this.outChannels = positive(name, outChannels, 'outChannels');
    this.kernelSize = checkPair(name, kernelSize, 'kernelSize', 1);
    this.stride = checkPair(name, opts.stride ?? 1, 'stride', 1);
    this.padding = checkPair(name, opts.padding ?? 0, 'padding', 0);
    this.dilation = checkPair(name, opts.dilation ?? 1, 'dilation', 1);
    this.groups = positive(name, opts.groups ?? 1, 'groups');
    if (inChannels % this.groups !== 0) throw new RangeError(`Conv2d: inChannels (${inChannels}) must be divisible by groups (${this.groups})`);
    if (outChannels % this.groups !== 0) throw new RangeError(`Conv2d: outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`Conv2d: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
    const wShape = [outChannels, inChannels / this.groups, ...this.kernelSize];
    checkElements('Conv2d', wShape, 'weight shape');
    this.weight = new Parameter(zeros(wShape, { dtype }));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outChannels], { dtype }));
    this.resetParameters(opts.generator);
  }

  /** PyTorch's initialisation: kaimingUniform_(W, a=√5) and bias uniform in ±1/√fanIn, fanIn = inC/groups·kH·kW. */
  resetParameters(generator?: Generator): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias !== null) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound, { generator });
    }
  }

  override forward(x: Tensor): Tensor {
    const me = `Conv2d(${this.inChannels}, ${this.outChannels}, kernelSize=${pairStr(this.kernelSize)})`;
    checkTensor(me, x);
    if (x.ndim !== 3 && x.ndim !== 4) throw new RangeError(`${me}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape ${shapeStr(x.shape)}`);
    const c = x.shape[x.ndim - 3];
    if (c !== this.inChannels) throw new RangeError(`${me}: input shape ${shapeStr(x.shape)} has ${c} channels, expected ${this.inChannels}`);
    if (x.dtype !== this.weight.dtype) {
      throw new TypeError(`${me}: input is ${x.dtype} but the weight is ${this.weight.dtype} (convert the input, or the model with to('${x.dtype}'))`);
    }
    try {
      return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`${me}: ${e.message}`);
      throw e;
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${pairStr(this.kernelSize)}, stride=${pairStr(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${pairStr(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pairStr(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=false';
    return s;
  }
}

function poolForward(layer: string, x: unknown, fn: (x: Tensor) => Tensor): Tensor {
  const t = checkTensor(layer, x);
  try {
    return fn(t);
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${layer}: ${e.message}`);
    throw e;
  }
}

/** Max pooling over [N, C, H, W] (or [C, H, W]); stride defaults to the kernel size. */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  constructor(kernelSize: IntOrPair, opts: MaxPool2dOptions = {}) {
    super();
    opts = optionsOf<MaxPool2dOptions>('MaxPool2d', opts) as MaxPool2dOptions;
    const q = poolParams('MaxPool2d', kernelSize, opts);
    this.kernelSize = q.kernel;
    this.stride = q.stride;
    this.padding = q.padding;
    this.dilation = q.dilation;
    this.ceilMode = q.ceilMode;
  }

  override forward(x: Tensor): Tensor {
    return poolForward(`MaxPool2d(kernelSize=${pairStr(this.kernelSize)})`, x, (t) =>
      maxPool2d(t, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode }),
    );
  }

  override extraRepr(): string {
    return `kernelSize=${pairStr(this.kernelSize)}, stride=${pairStr(this.stride)}, padding=${pairStr(this.padding)}, dilation=${pairStr(this.dilation)}, ceilMode=${this.ceilMode}`;
  }
}

/** Average pooling over [N, C, H, W] (or [C, H, W]); stride defaults to the kernel size. */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: IntOrPair, opts: AvgPool2dOptions = {}) {
    super();
    opts = optionsOf<AvgPool2dOptions>('AvgPool2d', opts) as AvgPool2dOptions;
    const q = avgPoolParams('AvgPool2d', kernelSize, opts);
    this.kernelSize = q.kernel;
    this.stride = q.stride;
    this.padding = q.padding;
    this.ceilMode = q.ceilMode;
    this.countIncludePad = q.countIncludePad;
    this.divisorOverride = q.divisor === 0 ? null : q.divisor;
  }

  override forward(x: Tensor): Tensor {
    return poolForward(`AvgPool2d(kernelSize=${pairStr(this.kernelSize)})`, x, (t) =>
      avgPool2d(t, this.kernelSize, {
        stride: this.stride, padding: this.padding, ceilMode: this.ceilMode,
        countIncludePad: this.countIncludePad, divisorOverride: this.divisorOverride,
      }),
    );
  }

  override extraRepr(): string {
    return `kernelSize=${pairStr(this.kernelSize)}, stride=${pairStr(this.stride)}, padding=${pairStr(this.padding)}, ceilMode=${this.ceilMode}, countIncludePad=${this.countIncludePad}`;
  }
}
