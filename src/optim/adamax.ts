// Adamax: Adam with the infinity norm in place of the second moment.
import { OptimKind } from '../native';
import { Tensor } from '../tensor';
import { check, fusedStep, nextStep, Optimizer, ParamGroup, ParamsInput, ParamState, stateBuffer, stateTensor, StateSpec } from './optimizer';

export interface AdamaxOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}
export type AdamaxConfig = Required<AdamaxOptions>;

export class Adamax extends Optimizer<AdamaxConfig> {
  constructor(params: ParamsInput, options: AdamaxOptions = {}) {
    super('Adamax', params, options, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false }, {
      betas: check.betas,
      eps: check.positive,
      weightDecay: check.nonNegative,
      maximize: check.boolean,
    });
  }

  protected override _stateSpec(): StateSpec {
    return { required: { step: 'count', expAvg: 'tensor', expInf: 'nonNegative' } };
  }

  protected _initState(p: Tensor): ParamState {
    return { step: 0, expAvg: stateBuffer(p), expInf: stateBuffer(p) };
  }

  protected _update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<AdamaxConfig>): void {
    const step = nextStep('Adamax', state);
    const [beta1, beta2] = g.betas;
    const clr = g.lr / (1 - beta1 ** step);
    fusedStep(this._name, OptimKind.Adamax, p, grad, [stateTensor('Adamax', state, 'expAvg'), stateTensor('Adamax', state, 'expInf'), null], [
      beta1, beta2, g.eps, g.weightDecay, +g.maximize, clr,
    ]);
  }
}
