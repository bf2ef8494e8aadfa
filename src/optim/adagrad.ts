// Adagrad: per-element learning rates from the running sum of squared gradients.
import { OptimKind } from '../native';
import { Tensor } from '../tensor';
import { check, fusedStep, nextStep, Optimizer, ParamGroup, ParamsInput, ParamState, stateBuffer, stateTensor, StateSpec } from './optimizer';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}
export type AdagradConfig = Required<AdagradOptions>;

export class Adagrad extends Optimizer<AdagradConfig> {
  constructor(params: ParamsInput, options: AdagradOptions = {}) {
    super('Adagrad', params, options, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, {
      lrDecay: check.nonNegative,
      weightDecay: check.nonNegative,
      initialAccumulatorValue: check.nonNegative,
      eps: check.positive,
      maximize: check.boolean,
    });
  }

  // As in PyTorch, the accumulators exist (filled with initialAccumulatorValue) from construction.
  protected override _groupAdded(group: ParamGroup<AdagradConfig>): void {
    for (const p of group.params) this.state.set(p, this._initState(p, group));
  }

  protected override readonly _statePerParameter = true;
  protected override _stateSpec(): StateSpec {
    return { required: { step: 'count', sum: 'nonNegative' } };
  }

  protected _initState(p: Tensor, g: ParamGroup<AdagradConfig>): ParamState {
    return { step: 0, sum: stateBuffer(p, g.initialAccumulatorValue) };
  }

  protected _update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<AdagradConfig>): void {
    const sum = stateTensor('Adagrad', state, 'sum');
    const step = nextStep('Adagrad', state);
    const clr = g.lr / (1 + (step - 1) * g.lrDecay);
    fusedStep(this._name, OptimKind.Adagrad, p, grad, [sum, null, null], [clr, g.weightDecay, g.eps, +g.maximize]);
  }
}
