// BatchNorm1d/2d, LayerNorm, Dropout and Embedding modules, initialised and named as in PyTorch
// (so a PyTorch state dict loads: weight, bias, running_mean, running_var, num_batches_tracked).
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { Generator, resolveGenerator } from '../random';
import { noGrad } from '../autograd/grad-mode';
import { shapeStr } from '../shape';
import { ones, zeros } from '../ops/creation';
import { Module, Parameter } from './module';
import * as init from './init';
import { batchNorm, dropout, dropoutProb, embedding, layerNorm, normalizedShapeArg, paddingIndexArg } from './norm';
import { checkElements, checkSize, checkTensor, describe, optionsOf } from '../validate';


function boolArg(layer: string, v: unknown, what: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${layer}: ${what} must be a boolean, got ${describe(v)}`);
  return v;
}

function dtypeArg(layer: string, v: unknown): DType {
  const d = v ?? 'float32';
  if (d !== 'float32' && d !== 'float64') throw new TypeError(`${layer}: dtype must be 'float32' or 'float64', got ${describe(d)}`);
  return d;
}

function tensorInput(layer: string, x: unknown, dtype: DType | null): Tensor {
  const t = checkTensor(layer, x);
  if (dtype !== null && t.dtype !== dtype) {
    throw new TypeError(`${layer}: input is ${t.dtype} but the parameters are ${dtype} (convert the input, or the model with to('${t.dtype}'))`);
  }
  return t;
}

export interface BatchNormModuleOptions {
  eps?: number;
  /** Weight of each batch in the running stats (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: DType;
}

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;

  constructor(numFeatures: number, opts: BatchNormModuleOptions) {
    super();
    const layer = new.target.name;
    opts = optionsOf<BatchNormModuleOptions>(layer, opts) as BatchNormModuleOptions;
    this.numFeatures = checkSize(layer, numFeatures, 'numFeatures');
    const eps = opts.eps ?? 1e-5;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new RangeError(`${layer}: eps must be a finite number >= 0, got ${describe(eps)}`);
    this.eps = eps;
    const momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (momentum !== null && (typeof momentum !== 'number' || !Number.isFinite(momentum))) {
      throw new TypeError(`${layer}: momentum must be a finite number or null, got ${describe(momentum)}`);
    }
    this.momentum = momentum;
    this.affine = boolArg(layer, opts.affine, 'affine', true);
    this.trackRunningStats = boolArg(layer, opts.trackRunningStats, 'trackRunningStats', true);
    const dtype = dtypeArg(layer, opts.dtype);
    this.weight = this.affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32' }) : null);
  }

  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  get numBatchesTracked(): Tensor | null {
    return this.num_batches_tracked;
  }

  /** Zeros the running mean and the batch count, sets the running variance to ones. */
  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight !== null) init.ones_(this.weight);
    if (this.bias !== null) init.zeros_(this.bias);
  }

  /** @internal The input ranks the layer accepts, described for error messages. */
  protected abstract checkRank(x: Tensor): void;

  override forward(x: Tensor): Tensor {
    const layer = `${this.constructor.name}(${this.numFeatures})`;
    tensorInput(layer, x, this.weight?.dtype ?? this.running_mean?.dtype ?? null);
    this.checkRank(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${layer}: input shape ${shapeStr(x.shape)} has ${x.shape[1]} channels (dim 1), expected ${this.numFeatures}`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked !== null) {
      const nbt = this.num_batches_tracked;
      noGrad(() => nbt.add_(1));
      factor = this.momentum ?? 1 / nbt.item();
    }
    const useBatchStats = this.training || (this.running_mean === null && this.running_var === null);
    const keepStats = !this.training || this.trackRunningStats;
    return batchNorm(
      x, keepStats ? this.running_mean : null, keepStats ? this.running_var : null, this.weight, this.bias,
      { training: useBatchStats, momentum: factor, eps: this.eps },
    );
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch norm over [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    super(numFeatures, opts);
    opts = optionsOf<BatchNormModuleOptions>('BatchNorm1d', opts) as BatchNormModuleOptions;
  }
  protected checkRank(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) {
      throw new RangeError(`BatchNorm1d(${this.numFeatures}): expected a 2-D [N, C] or 3-D [N, C, L] input, got shape ${shapeStr(x.shape)}`);
    }
  }
}

/** Batch norm over [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    super(numFeatures, opts);
    opts = optionsOf<BatchNormModuleOptions>('BatchNorm2d', opts) as BatchNormModuleOptions;
  }
  protected checkRank(x: Tensor): void {
    if (x.ndim !== 4) {
      throw new RangeError(`BatchNorm2d(${this.numFeatures}): expected a 4-D [N, C, H, W] input, got shape ${shapeStr(x.shape)}`);
    }
  }
}

export interface LayerNormModuleOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  dtype?: DType;
}

/** Layer norm over the trailing `normalizedShape` dims, with weight (ones) and bias (zeros) of that shape. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | number[], opts: LayerNormModuleOptions = {}) {
    super();
    opts = optionsOf<LayerNormModuleOptions>('LayerNorm', opts) as LayerNormModuleOptions;
    this.normalizedShape = normalizedShapeArg('LayerNorm', normalizedShape);
    const eps = opts.eps ?? 1e-5;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) throw new RangeError(`LayerNorm: eps must be a finite number >= 0, got ${describe(eps)}`);
    this.eps = eps;
    this.elementwiseAffine = boolArg('LayerNorm', opts.elementwiseAffine, 'elementwiseAffine', true);
    const dtype = dtypeArg('LayerNorm', opts.dtype);
    checkElements('LayerNorm', this.normalizedShape, 'normalizedShape');
    this.weight = this.elementwiseAffine ? new Parameter(ones(this.normalizedShape, { dtype })) : null;
    this.bias = this.elementwiseAffine ? new Parameter(zeros(this.normalizedShape, { dtype })) : null;
  }

  resetParameters(): void {
    if (this.weight !== null) init.ones_(this.weight);
    if (this.bias !== null) init.zeros_(this.bias);
  }

  override forward(x: Tensor): Tensor {
    const layer = `LayerNorm(${shapeStr(this.normalizedShape)})`;
    tensorInput(layer, x, this.weight?.dtype ?? null);
    const k = this.normalizedShape.length;
    if (x.ndim < k || shapeStr(x.shape.slice(x.ndim - k)) !== shapeStr(this.normalizedShape)) {
      throw new RangeError(`${layer}: input shape ${shapeStr(x.shape)} does not end with ${shapeStr(this.normalizedShape)}`);
    }
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }

  override extraRepr(): string {
    return `${shapeStr(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}

/** Inverted dropout in training mode, the identity after `eval()`. */
export class Dropout extends Module {
  readonly p: number;
  /** @internal */ private readonly generator: Generator | undefined;

  constructor(p = 0.5, opts: { generator?: Generator } = {}) {
    super();
    opts = optionsOf<{ generator?: Generator }>('Dropout', opts) as { generator?: Generator };
    this.p = dropoutProb('Dropout', p);
    this.generator = opts.generator;
  }

  override forward(x: Tensor): Tensor {
    tensorInput(`Dropout(p=${this.p})`, x, null);
    return dropout(x, this.p, { training: this.training, generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

export interface EmbeddingModuleOptions {
  paddingIdx?: number | null;
  dtype?: DType;
  generator?: Generator;
}

/** A lookup table [numEmbeddings, embeddingDim] initialised from N(0, 1), the padding row zeroed. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingModuleOptions = {}) {
    super();
    opts = optionsOf<EmbeddingModuleOptions>('Embedding', opts) as EmbeddingModuleOptions;
    resolveGenerator('Embedding', opts.generator); // checked before anything is allocated
    this.numEmbeddings = checkSize('Embedding', numEmbeddings, 'numEmbeddings');
    this.embeddingDim = checkSize('Embedding', embeddingDim, 'embeddingDim');
    this.paddingIdx = paddingIndexArg('Embedding', opts.paddingIdx, numEmbeddings);
    const dtype = dtypeArg('Embedding', opts.dtype);
    checkElements('Embedding', [numEmbeddings, embeddingDim], 'weight shape');
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype }));
    this.resetParameters(opts.generator);
  }

  resetParameters(generator?: Generator): void {
    init.normal_(this.weight, 0, 1, { generator });
    const pad = this.paddingIdx;
    if (pad !== null) noGrad(() => this.weight.narrow(0, pad, 1).zero_());
  }

  override forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
