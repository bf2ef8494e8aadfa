// Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay), with AMSGrad.
import { OptimKind } from '../native';
import { Tensor } from '../tensor';
import { check, fusedStep, nextStep, Optimizer, ParamGroup, ParamsInput, ParamState, stateBuffer, stateTensor, StateSpec } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}
export type AdamConfig = Required<AdamOptions>;

const spec = {
  betas: check.betas,
  eps: check.positive,
  weightDecay: check.nonNegative,
  amsgrad: check.boolean,
  maximize: check.boolean,
};

abstract class AdamBase extends Optimizer<AdamConfig> {
  protected abstract readonly _decoupled: boolean;

  protected override _stateSpec(): StateSpec {
    return { required: { step: 'count', expAvg: 'tensor', expAvgSq: 'nonNegative' }, optional: { maxExpAvgSq: 'nonNegative' } };
  }

  protected _initState(p: Tensor, g: ParamGroup<AdamConfig>): ParamState {
    const s: ParamState = { step: 0, expAvg: stateBuffer(p), expAvgSq: stateBuffer(p) };
    if (g.amsgrad) s.maxExpAvgSq = stateBuffer(p);
    return s;
  }

  protected _update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<AdamConfig>): void {
    const name = this._name;
    const step = nextStep(name, state);
    const m = stateTensor(name, state, 'expAvg');
    const v = stateTensor(name, state, 'expAvgSq');
    const vmax = g.amsgrad ? ((state.maxExpAvgSq as Tensor | undefined) ?? (state.maxExpAvgSq = stateBuffer(p))) : null;
    const [beta1, beta2] = g.betas;
    const stepSize = g.lr / (1 - beta1 ** step);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    fusedStep(this._name, OptimKind.Adam, p, grad, [m, v, vmax], [
      g.lr, beta1, beta2, g.eps, g.weightDecay, +g.amsgrad, +g.maximize, +this._decoupled, stepSize, bc2Sqrt,
    ]);
  }
}

export class Adam extends AdamBase {
  protected readonly _decoupled = false;
  constructor(params: ParamsInput, options: AdamOptions = {}) {
    super('Adam', params, options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, spec);
  }
}

/** Adam with decoupled weight decay: the parameter shrinks by lr * weightDecay before the Adam step. */
export class AdamW extends AdamBase {
  protected readonly _decoupled = true;
  constructor(params: ParamsInput, options: AdamOptions = {}) {
    super('AdamW', params, options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, spec);
  }
}
