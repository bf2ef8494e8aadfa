// SGD with momentum, dampening, Nesterov momentum and L2 weight decay (PyTorch's rule).
import { OptimKind } from '../native';
import { Tensor } from '../tensor';
import { check, fusedStep, Optimizer, ParamGroup, ParamsInput, ParamState, stateBuffer, StateSpec } from './optimizer';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}
export type SGDConfig = Required<SGDOptions>;

export class SGD extends Optimizer<SGDConfig> {
  constructor(params: ParamsInput, options: SGDOptions) {
    if (options === null || typeof options !== 'object' || options.lr === undefined) {
      throw new TypeError('SGD: lr is required, e.g. new tg.optim.SGD(params, {lr: 0.1})');
    }
    super('SGD', params, options, { lr: options.lr, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }, {
      momentum: check.nonNegative,
      dampening: check.number,
      weightDecay: check.nonNegative,
      nesterov: check.boolean,
      maximize: check.boolean,
    });
  }

  protected override _checkCombination(o: SGDConfig, owner: string): void {
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`${owner}: Nesterov momentum needs momentum > 0 and dampening = 0 (got momentum ${o.momentum}, dampening ${o.dampening})`);
    }
  }

  protected override _stateSpec(): StateSpec {
    return { required: {}, optional: { momentumBuffer: 'tensor' } };
  }

  protected _initState(): ParamState {
    return {};
  }

  protected _update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<SGDConfig>): void {
    let buf: Tensor | null = null;
    let fresh = false;
    if (g.momentum !== 0) {
      const b = state.momentumBuffer;
      fresh = !(b instanceof Tensor);
      buf = b instanceof Tensor ? b : (state.momentumBuffer = stateBuffer(p));
    }
    fusedStep(this._name, OptimKind.Sgd, p, grad, [buf, null, null], [
      g.lr, g.weightDecay, g.momentum, g.dampening, +g.nesterov, +g.maximize, +fresh,
    ]);
  }
}
