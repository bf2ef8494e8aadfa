// Independent uniform sampling (in log space for log distributions, on the step grid for stepped ones).
import type { Distribution } from '../distributions';
import type { FrozenTrial } from '../frozen-trial';
import { Generator } from '../../random';
import { SamplerRng } from '../rng';
import { Sampler, StudyView } from './sampler';

/** Maps u in [0, 1) to an internal value of `dist`, uniformly (Optuna's RandomSampler rules). */
export function uniformToInternal(dist: Distribution, u: number): number {
  if (dist.kind === 'categorical') return Math.min(dist.choices.length - 1, Math.floor(u * dist.choices.length));
  if (dist.kind === 'float' && dist.step === null) {
    if (!dist.log) return Math.min(dist.high, dist.low + (dist.high - dist.low) * u);
    const l = Math.log(dist.low);
    return Math.min(dist.high, Math.exp(l + (Math.log(dist.high) - l) * u));
  }
  if (dist.log) {
    // int with log: uniform in [log(low - 0.5), log(high + 0.5)), rounded.
    const l = Math.log(dist.low - 0.5);
    const v = Math.round(Math.exp(l + (Math.log(dist.high + 0.5) - l) * u));
    return Math.min(dist.high, Math.max(dist.low, v));
  }
  const step = dist.step as number;
  const n = Math.round((dist.high - dist.low) / step) + 1;
  const k = Math.min(n - 1, Math.floor(u * n));
  return dist.kind === 'int' ? dist.low + k * step : Math.min(dist.high, dist.low + k * step);
}

export interface RandomSamplerOptions {
  seed?: number;
  /** Draw from this tg.Generator instead of a generator of its own seeded with `seed`. */
  generator?: Generator;
}

export class RandomSampler extends Sampler {
  private readonly rng: SamplerRng;
  constructor(opts: RandomSamplerOptions = {}) {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError('RandomSampler: options must be an object {seed}');
    if (opts.generator !== undefined && !(opts.generator instanceof Generator)) throw new TypeError('RandomSampler: generator must be a tg.Generator');
    this.rng = new SamplerRng('RandomSampler', opts.generator ?? opts.seed);
  }
  override sampleIndependent(_s: StudyView, _t: FrozenTrial, _name: string, dist: Distribution): number {
    return uniformToInternal(dist, this.rng.uniform());
  }
}
