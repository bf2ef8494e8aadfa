// RMSprop, optionally centered and with momentum.
import { OptimKind } from '../native';
import { Tensor } from '../tensor';
import { check, fusedStep, nextStep, Optimizer, ParamGroup, ParamsInput, ParamState, stateBuffer, stateTensor, StateSpec } from './optimizer';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}
export type RMSpropConfig = Required<RMSpropOptions>;

export class RMSprop extends Optimizer<RMSpropConfig> {
  constructor(params: ParamsInput, options: RMSpropOptions = {}) {
    super('RMSprop', params, options, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, {
      alpha: check.unit,
      eps: check.positive,
      weightDecay: check.nonNegative,
      momentum: check.nonNegative,
      centered: check.boolean,
      maximize: check.boolean,
    });
  }

  protected override _stateSpec(): StateSpec {
    return { required: { step: 'count', squareAvg: 'nonNegative' }, optional: { gradAvg: 'tensor', momentumBuffer: 'tensor' } };
  }

  protected _initState(p: Tensor): ParamState {
    return { step: 0, squareAvg: stateBuffer(p) };
  }

  protected _update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<RMSpropConfig>): void {
    nextStep('RMSprop', state);
    const sq = stateTensor('RMSprop', state, 'squareAvg');
    // Created when the options first need them (PyTorch creates them with the state).
    const gradAvg = g.centered ? ((state.gradAvg as Tensor | undefined) ?? (state.gradAvg = stateBuffer(p))) : null;
    const buf = g.momentum > 0 ? ((state.momentumBuffer as Tensor | undefined) ?? (state.momentumBuffer = stateBuffer(p))) : null;
    fusedStep(this._name, OptimKind.Rmsprop, p, grad, [sq, gradAvg, buf], [
      g.lr, g.alpha, g.eps, g.weightDecay, g.momentum, +g.centered, +g.maximize,
    ]);
  }
}
