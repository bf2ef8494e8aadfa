// Adadelta: step sizes from running averages of squared gradients and squared updates.
import { OptimKind } from '../native';
import { Tensor } from '../tensor';
import { check, fusedStep, nextStep, Optimizer, ParamGroup, ParamsInput, ParamState, stateBuffer, stateTensor, StateSpec } from './optimizer';

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}
export type AdadeltaConfig = Required<AdadeltaOptions>;

export class Adadelta extends Optimizer<AdadeltaConfig> {
  constructor(params: ParamsInput, options: AdadeltaOptions = {}) {
    super('Adadelta', params, options, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, {
      rho: check.unit,
      eps: check.positive,
      weightDecay: check.nonNegative,
      maximize: check.boolean,
    });
  }

  protected override _stateSpec(): StateSpec {
    return { required: { step: 'count', squareAvg: 'nonNegative', accDelta: 'nonNegative' } };
  }

  protected _initState(p: Tensor): ParamState {
    return { step: 0, squareAvg: stateBuffer(p), accDelta: stateBuffer(p) };
  }

  protected _update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<AdadeltaConfig>): void {
    nextStep('Adadelta', state);
    const sq = stateTensor('Adadelta', state, 'squareAvg');
    const acc = stateTensor('Adadelta', state, 'accDelta');
    fusedStep(this._name, OptimKind.Adadelta, p, grad, [sq, acc, null], [g.lr, g.rho, g.eps, g.weightDecay, +g.maximize]);
  }
}
