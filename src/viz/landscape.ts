// lossLandscape: the loss at θ + a·δ₁ (+ b·δ₂) on a grid, as in Li et al. 2018, "Visualizing the Loss
// Landscape of Neural Nets". The weights are moved in place (no model rebuild, one scratch buffer per
// parameter) and copied back from a saved copy, so they end bitwise as they were.
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd/grad-mode';
import { randn, zerosLike } from '../ops/creation';
import { add_, clone, copy_, mul_ } from '../ops/convert';
import { norm } from '../ops/reduce';
import { reshape } from '../ops/shape';
import { Generator, resolveGenerator } from '../random';
import { shapeStr } from '../shape';
import { checkLoader, resolveLoss, scalarLoss, unpack, LossFn } from '../train/fit';
import type { Loader, LossLike } from '../train/types';
import { describe, linspace } from './args';
import { checkTensor } from '../validate';

export type Direction = Record<string, Tensor>;
export type Normalization = 'filter' | 'layer' | 'none';

export interface LossLandscapeOptions {
  dims?: 1 | 2;
  /** Grid points per axis (default 41). */
  steps?: number;
  range?: [number, number];
  /** How random directions are scaled (explicit `directions` are used as given). */
  normalize?: Normalization;
  /** Give 1-D parameters (biases, norm layers' weights) a direction too (default: zero). */
  includeBiases?: boolean;
  /** One direction per dim, shaped like the model's parameters (by dotted name); missing names move by zero. */
  directions?: Direction[];
  generator?: Generator;
}

export interface LossLandscape {
  alphas: number[];
  betas?: number[];
  /** `losses[i]` at alphas[i] (1-D), or `losses[i][j]` at alphas[i], betas[j] (2-D). */
  losses: number[] | number[][];
  directions: Direction[];
  /** The loss at the weights themselves (a = b = 0). */
  center: number;
}

/**
 * A random direction: standard normal entries, then per parameter `w` of 2 or more dims, each filter
 * (slice along dim 0: a Linear output row, a Conv2d output channel) scaled to the norm of the same filter
 * of `w` ('filter'), or the whole tensor to the norm of `w` ('layer'). 1-D parameters get zeros unless
 * `includeBiases`, in which case they are scaled as one filter.
 */
export function randomDirection(params: [string, Tensor][], normalize: Normalization, includeBiases: boolean, generator: Generator): Direction {
  const dir: Direction = {};
  for (const [name, w] of params) {
    if (w.ndim <= 1 && !includeBiases) {
      dir[name] = zerosLike(w);
      continue;
    }
    const d = randn(w.shape, { dtype: w.dtype as 'float32' | 'float64', generator });
    if (normalize === 'none') dir[name] = d;
    else {
      const rows = normalize === 'filter' && w.ndim >= 2 ? w.shape[0] : 1;
      const wn = norm(reshape(w, [rows, -1]), 2, 1, true);
      const dn = norm(reshape(d, [rows, -1]), 2, 1, true);
      dir[name] = reshape(reshape(d, [rows, -1]).mul(wn.div(dn.add(1e-10))), w.shape);
    }
  }
  return dir;
}

function checkDirection(owner: string, k: number, dir: unknown, params: [string, Tensor][]): Direction {
  if (dir === null || typeof dir !== 'object' || Array.isArray(dir)) throw new TypeError(`${owner}: directions[${k}] must be a Record<string, Tensor> keyed by parameter name, got ${describe(dir)}`);
  const byName = new Map(params);
  const out: Direction = {};
  for (const [name, v] of Object.entries(dir as Record<string, unknown>)) {
    const w = byName.get(name);
    if (w === undefined) throw new RangeError(`${owner}: directions[${k}] has '${name}', which is not a parameter of the model (parameters: ${params.map((p) => p[0]).join(', ')})`);
    const t = checkTensor(owner, v, `directions[${k}]['${name}']`);
    if (shapeStr(t.shape) !== shapeStr(w.shape)) throw new RangeError(`${owner}: directions[${k}]['${name}'] has shape ${shapeStr(t.shape)}, the parameter has ${shapeStr(w.shape)}`);
    if (t.dtype !== w.dtype) throw new TypeError(`${owner}: directions[${k}]['${name}'] is ${t.dtype}, the parameter is ${w.dtype}`);
    out[name] = t;
  }
  for (const [name, w] of params) if (!(name in out)) out[name] = zerosLike(w);
  return out;
}

type Batch = readonly Tensor[];

/** The mean loss over the batch, or over the loader's batches weighted by their sizes. */
function meanLoss(owner: string, model: Module, lossFn: LossFn, batches: Batch[] | Loader): number {
  let sum = 0, count = 0;
  for (const b of batches) {
    const [inputs, target, n] = unpack(owner, b);
    const l = scalarLoss(owner, lossFn(model.forward(...inputs) as Tensor, target)).item();
    sum += l * n;
    count += n;
  }
  if (count === 0) throw new RangeError(`${owner}: the loader gave no batches`);
  return sum / count;
}

/** Evaluates the loss on a 1-D or 2-D grid of weights θ + a·δ₁ + b·δ₂ in eval mode under noGrad. */
export function lossLandscape(model: Module, lossFn: LossLike, batch: readonly Tensor[] | Loader, opts: LossLandscapeOptions = {}): LossLandscape {
  const owner = 'lossLandscape';
  if (!(model instanceof Module)) throw new TypeError(`${owner}: model must be a tg.nn.Module, got ${describe(model)}`);
  const loss = resolveLoss(owner, lossFn);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${owner}: options must be an object`);
  const batches: Batch[] | Loader = Array.isArray(batch) && batch.every((t) => t instanceof Tensor) ? [batch as Batch] : checkLoader(owner, 'batch', batch);
  const dims = opts.dims ?? 1;
  if (dims !== 1 && dims !== 2) throw new RangeError(`${owner}: dims must be 1 or 2, got ${describe(dims)}`);
  const steps = opts.steps ?? 41;
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`${owner}: steps must be an integer >= 2, got ${describe(steps)}`);
  const range = opts.range ?? [-1, 1];
  if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || !(range[0] < range[1])) {
    throw new RangeError(`${owner}: range must be [lo, hi] with finite lo < hi`);
  }
  const normalize = opts.normalize ?? 'filter';
  if (!['filter', 'layer', 'none'].includes(normalize)) throw new TypeError(`${owner}: normalize must be 'filter', 'layer' or 'none', got ${describe(normalize)}`);
  const params = [...model.namedParameters()] as [string, Tensor][];
  if (params.length === 0) throw new RangeError(`${owner}: the model has no parameters`);
  let directions: Direction[];
  if (opts.directions !== undefined) {
    if (!Array.isArray(opts.directions) || opts.directions.length !== dims) {
      throw new RangeError(`${owner}: directions must be an array of ${dims} direction${dims > 1 ? 's' : ''} (one per dim), got ${Array.isArray(opts.directions) ? opts.directions.length : describe(opts.directions)}`);
    }
    directions = opts.directions.map((d, k) => checkDirection(owner, k, d, params));
  } else {
    const g = resolveGenerator(owner, opts.generator);
    directions = noGrad(() => Array.from({ length: dims }, () => randomDirection(params, normalize, opts.includeBiases ?? false, g)));
  }

  const alphas = linspace(range[0], range[1], steps);
  const betas = dims === 2 ? linspace(range[0], range[1], steps) : undefined;
  const saved = params.map(([, p]) => clone(p.detach()));
  const scratch = dims === 2 ? params.map(([, p]) => zerosLike(p.detach())) : [];
  const [d1, d2] = directions.map((d) => params.map(([name]) => d[name]));
  const wasTraining = model.training;
  const at = (a: number, b: number): number => {
    params.forEach(([, p], k) => {
      mul_(copy_(p, d1[k]), a);
      add_(p, saved[k]);
      if (betas) add_(p, mul_(copy_(scratch[k], d2[k]), b));
    });
    return meanLoss(owner, model, loss, batches);
  };
  model.eval();
  try {
    return noGrad(() => {
      const losses = betas ? alphas.map((a) => betas.map((b) => at(a, b))) : alphas.map((a) => at(a, 0));
      params.forEach(([, p], k) => copy_(p, saved[k]));
      const center = meanLoss(owner, model, loss, batches);
      return { alphas, ...(betas ? { betas } : {}), losses, directions, center };
    });
  } finally {
    noGrad(() => params.forEach(([, p], k) => copy_(p, saved[k])));
    model.train(wasTraining);
  }
}
