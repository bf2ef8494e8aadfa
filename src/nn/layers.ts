// Containers, Linear and the activation modules.
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { Generator, resolveGenerator } from '../random';
import { shapeStr } from '../shape';
import { zeros } from '../ops/creation';
import * as F from './functional';
import * as init from './init';
import { Module, Parameter } from './module';
import { checkElements, checkSize, checkTensor, describe, optionsOf } from '../validate';



/** Modules applied one after another; children are named '0', '1', ... as in PyTorch. */
export class Sequential extends Module {
  [index: number]: Module;

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: argument ${i} is not a Module`);
      this[i] = m;
    });
  }

  get length(): number {
    let n = 0;
    while (this[n] instanceof Module) n++;
    return n;
  }

  /** Appends a module (named by its position). */
  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError('Sequential.append: expected a Module');
    this[this.length] = m;
    return this;
  }

  *[Symbol.iterator](): IterableIterator<Module> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }

  /** Typed for the usual tensor-to-tensor chain; values pass through unchecked, as in PyTorch. */
  override forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this) y = m.forward(y);
    return y;
  }
}

/** Returns its input unchanged. */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim (default: everything but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) throw new TypeError('Flatten: startDim and endDim must be integers');
  }
  override forward(x: Tensor): Tensor {
    return checkTensor('Flatten', x).flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
  generator?: Generator;
}

/** y = x Wᵀ + b, with W shaped [outFeatures, inFeatures]; initialised as PyTorch's nn.Linear. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    opts = optionsOf<LinearOptions>('Linear', opts) as LinearOptions;
    resolveGenerator('Linear', opts.generator); // checked before anything is allocated
    this.inFeatures = checkSize('Linear', inFeatures, 'inFeatures');
    this.outFeatures = checkSize('Linear', outFeatures, 'outFeatures');
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`Linear: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
    checkElements('Linear', [outFeatures, inFeatures], 'weight shape');
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outFeatures], { dtype }));
    this.resetParameters(opts.generator);
  }

  /** PyTorch's initialisation: kaimingUniform_(W, a=√5) and bias uniform in ±1/√inFeatures. */
  resetParameters(generator?: Generator): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias !== null) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      init.uniform_(this.bias, -bound, bound, { generator });
    }
  }

  override forward(x: Tensor): Tensor {
    checkTensor('Linear', x);
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new RangeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input shape ${shapeStr(x.shape)} must end in ${this.inFeatures} features`);
    }
    if (x.dtype !== this.weight.dtype) {
      throw new TypeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input is ${x.dtype} but the weight is ${this.weight.dtype} (convert the input, or the model with to('${x.dtype}'))`);
    }
    return F.linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

// ---- activations ---------------------------------------------------------------------------

export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return checkTensor('ReLU', x).relu();
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) throw new TypeError('LeakyReLU: negativeSlope must be a finite number');
  }
  override forward(x: Tensor): Tensor {
    return checkTensor('LeakyReLU', x).leakyRelu(this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new TypeError('ELU: alpha must be a finite number');
  }
  override forward(x: Tensor): Tensor {
    return checkTensor('ELU', x).elu(this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    opts = optionsOf<{ approximate?: 'none' | 'tanh' }>('GELU', opts) as { approximate?: 'none' | 'tanh' };
    this.approximate = opts.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') throw new RangeError(`GELU: approximate must be 'none' or 'tanh', got ${describe(this.approximate)}`);
  }
  override forward(x: Tensor): Tensor {
    return checkTensor('GELU', x).gelu({ approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return checkTensor('SiLU', x).silu();
  }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return checkTensor('Sigmoid', x).sigmoid();
  }
}

export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return checkTensor('Tanh', x).tanh();
  }
}

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(opts: { beta?: number; threshold?: number } = {}) {
    super();
    opts = optionsOf<{ beta?: number; threshold?: number }>('Softplus', opts) as { beta?: number; threshold?: number };
    this.beta = opts.beta ?? 1;
    this.threshold = opts.threshold ?? 20;
  }
  override forward(x: Tensor): Tensor {
    return checkTensor('Softplus', x).softplus({ beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError('Softmax: dim must be an integer (PyTorch\'s implicit dim is not supported)');
  }
  override forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new TypeError('LogSoftmax: dim must be an integer (PyTorch\'s implicit dim is not supported)');
  }
  override forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
