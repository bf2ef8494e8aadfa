// NAdam: Adam with Nesterov momentum and a momentum schedule (Dozat 2016), as PyTorch 1.13 does it.
import { OptimKind } from '../native';
import { Tensor } from '../tensor';
import { check, fusedStep, nextStep, Optimizer, ParamGroup, ParamsInput, ParamState, stateBuffer, stateNumber, stateTensor, StateSpec } from './optimizer';

export interface NAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  momentumDecay?: number;
  /** Not in PyTorch 1.13's NAdam: ascends the objective (the gradient is negated). */
  maximize?: boolean;
}
export type NAdamConfig = Required<NAdamOptions>;

export class NAdam extends Optimizer<NAdamConfig> {
  constructor(params: ParamsInput, options: NAdamOptions = {}) {
    super('NAdam', params, options, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false }, {
      betas: check.betas,
      eps: check.positive,
      weightDecay: check.nonNegative,
      momentumDecay: check.nonNegative,
      maximize: check.boolean,
    });
  }

  protected override _stateSpec(): StateSpec {
    return { required: { step: 'count', muProduct: 'unit', expAvg: 'tensor', expAvgSq: 'nonNegative' } };
  }

  protected _initState(p: Tensor): ParamState {
    return { step: 0, muProduct: 1, expAvg: stateBuffer(p), expAvgSq: stateBuffer(p) };
  }

  protected _update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<NAdamConfig>): void {
    const step = nextStep('NAdam', state);
    const [beta1, beta2] = g.betas;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * g.momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * g.momentumDecay));
    // PyTorch keeps mu_product in a float32 tensor whatever the parameter dtype; so do we.
    const f = Math.fround;
    const muProduct = f(stateNumber('NAdam', state, 'muProduct') * f(mu));
    const muProductNext = f(f(muProduct * f(mu)) * f(muNext));
    state.muProduct = muProduct;
    const bc2 = 1 - beta2 ** step;
    fusedStep(this._name, OptimKind.Nadam, p, grad, [stateTensor('NAdam', state, 'expAvg'), stateTensor('NAdam', state, 'expAvgSq'), null], [
      beta1, beta2, g.eps, g.weightDecay, +g.maximize, bc2, (-g.lr * (1 - mu)) / (1 - muProduct), (-g.lr * muNext) / (1 - muProductNext),
    ]);
  }
}
