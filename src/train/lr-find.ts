// lrFind: the learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural
// Networks"; fastai's lr_find). The rate grows geometrically from startLr to endLr, one training batch
// per rate, and the smoothed loss is recorded until it diverges. The model's state dict, gradients and
// training flag and the optimizer's state dict are put back exactly as they were afterwards.
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { Optimizer } from '../optim/optimizer';
import { clone } from '../ops/convert';
import { checkLoader, resolveLoss, scalarLoss, unpack } from './fit';
import type { Loader, LossLike } from './types';
import { describe, optionsOf } from '../validate';

export interface LrFindOptions {
  optimizer: Optimizer;
  loss: LossLike;
  /** Training batches; cycled through again if there are fewer than `steps`. */
  train: Loader;
  startLr?: number;
  endLr?: number;
  steps?: number;
  /** Weight of the newest loss in the exponential moving average (debiased), default 0.05. */
  smoothing?: number;
  /** Stop when the smoothed loss exceeds this multiple of the best so far (default 4, as fastai). */
  divergeThreshold?: number;
}

export interface LrFindResult {
  /** The learning rate of each step taken. */
  lrs: number[];
  /** The smoothed loss after each step. */
  losses: number[];
  /** The raw batch loss of each step. */
  rawLosses: number[];
  /** Where the smoothed loss falls fastest (steepest negative slope against log lr); NaN if too few steps. */
  suggestion: number;
  /** True if the run stopped early because the loss diverged. */
  diverged: boolean;
}

function positive(owner: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${owner}: ${key} must be a positive finite number, got ${describe(v)}`);
  return v;
}

/** The learning-rate range test; see LrFindOptions. */
export function lrFind(model: Module, opts: LrFindOptions): LrFindResult {
  opts = optionsOf<LrFindOptions>('lrFind', opts) as LrFindOptions;
  const owner = 'lrFind';
  if (model === null || typeof model !== 'object' || typeof (model as Module).stateDict !== 'function') throw new TypeError(`${owner}: model must be a tg.nn.Module`);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${owner}: expected options {optimizer, loss, train, ...}`);
  const { optimizer } = opts;
  if (!(optimizer instanceof Optimizer)) throw new TypeError(`${owner}: optimizer must be a tg.optim optimizer`);
  const lossFn = resolveLoss(owner, opts.loss);
  const train = checkLoader(owner, 'train', opts.train);
  const startLr = positive(owner, 'startLr', opts.startLr ?? 1e-7);
  const endLr = positive(owner, 'endLr', opts.endLr ?? 10);
  if (!(endLr > startLr)) throw new RangeError(`${owner}: endLr (${endLr}) must be greater than startLr (${startLr})`);
  const steps = opts.steps ?? 100;
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`${owner}: steps must be an integer >= 2, got ${describe(steps)}`);
  const beta = opts.smoothing ?? 0.05;
  if (typeof beta !== 'number' || !(beta > 0 && beta <= 1)) throw new RangeError(`${owner}: smoothing must be in (0, 1], got ${describe(beta)}`);
  const diverge = positive(owner, 'divergeThreshold', opts.divergeThreshold ?? 4);
  if (train.length === 0) throw new RangeError(`${owner}: train has no batches`);

  const savedModel = Object.entries(model.stateDict()).map(([k, t]) => [k, clone(t.detach())] as [string, Tensor]);
  const params = [...model.parameters()];
  const savedGrads = params.map((p) => (p.grad === null ? null : clone(p.grad)));
  const savedOpt = optimizer.stateDict();
  const wasTraining = model.training;

  const lrs: number[] = [], losses: number[] = [], rawLosses: number[] = [];
  let avg = 0, best = Infinity, diverged = false;
  const ratio = Math.log(endLr / startLr) / (steps - 1);
  try {
    model.train(true);
    let it = train[Symbol.iterator]();
    for (let k = 0; k < steps; k++) {
      let next = it.next();
      if (next.done) {
        it = train[Symbol.iterator]();
        next = it.next();
      }
      const lr = k === steps - 1 ? endLr : Math.min(endLr, startLr * Math.exp(ratio * k));
      for (const g of optimizer.paramGroups) g.lr = lr;
      const [inputs, target] = unpack(owner, next.value);
      optimizer.zeroGrad();
      const l = scalarLoss(owner, lossFn(model.forward(...inputs) as Tensor, target));
      const raw = l.item();
      l.backward();
      optimizer.step();
      avg = (1 - beta) * avg + beta * raw;
      const smooth = avg / (1 - (1 - beta) ** (k + 1));
      lrs.push(lr);
      rawLosses.push(raw);
      losses.push(smooth);
      if (!Number.isFinite(smooth) || smooth > diverge * best) {
        diverged = true;
        break;
      }
      if (smooth < best) best = smooth;
    }
  } finally {
    model.loadStateDict(Object.fromEntries(savedModel));
    params.forEach((p, i) => (p.grad = savedGrads[i]));
    optimizer.loadStateDict(savedOpt);
    model.train(wasTraining);
  }
  return { lrs, losses, rawLosses, suggestion: steepest(lrs, losses), diverged };
}

/**
 * The rate at the steepest descent of the smoothed loss against log10(lr), by central differences,
 * ignoring the first and last tenth of the points (warm-up of the average; divergence).
 */
export function steepest(lrs: number[], losses: number[]): number {
  const n = lrs.length;
  const lo = Math.max(1, Math.floor(n / 10)), hi = Math.min(n - 2, n - 1 - Math.floor(n / 10));
  let bestK = -1, bestSlope = Infinity;
  for (let k = lo; k <= hi; k++) {
    const slope = (losses[k + 1] - losses[k - 1]) / (Math.log10(lrs[k + 1]) - Math.log10(lrs[k - 1]));
    if (slope < bestSlope) [bestK, bestSlope] = [k, slope];
  }
  return bestK < 0 || !(bestSlope < 0) ? NaN : lrs[bestK];
}
