// Classic Bayesian optimisation: after nStartupTrials random trials, fit a Gaussian process (Matérn
// 5/2, ARD, marginal likelihood) to the complete trials in the unit cube and take the point of
// largest expected improvement, found by random candidates and a local search around the best.
// Floats and integers (log or not, stepped or not) are modelled; categorical parameters are sampled
// at random.
import { Distribution, isSingle, sameDistribution } from '../../distributions';
import type { FrozenTrial } from '../../frozen-trial';
import { SamplerRng } from '../../rng';
import { RandomSampler } from '../random';
import { Sampler, StudyView, intersectionSearchSpace } from '../sampler';
import { ndtr } from '../tpe/truncnorm';
import { GaussianProcess, GPHyper, fitHyper } from './gp';
import { intAtLeast } from '../../validate';

type Numeric = Exclude<Distribution, { kind: 'categorical' }>;

/** Bounds of the modelled interval: log bounds for log distributions, half a step wider for grids (as TPE's). */
function bounds(d: Numeric): [number, number] {
  const step: number | null = d.step;
  if (d.log) return d.kind === 'int' ? [Math.log(d.low - 0.5), Math.log(d.high + 0.5)] : [Math.log(d.low), Math.log(d.high)];
  return step === null ? [d.low, d.high] : [d.low - step / 2, d.high + step / 2];
}

export function toUnit(d: Numeric, v: number): number {
  const [lo, hi] = bounds(d);
  return ((d.log ? Math.log(v) : v) - lo) / (hi - lo);
}

export function fromUnit(d: Numeric, u: number): number {
  const [lo, hi] = bounds(d);
  let v = lo + Math.min(1, Math.max(0, u)) * (hi - lo);
  if (d.log) v = Math.exp(v);
  const step: number | null = d.step;
  if (step !== null) v = d.low + Math.round((v - d.low) / step) * step;
  return Math.min(d.high, Math.max(d.low, v));
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Expected improvement below `best` of N(mean, variance). */
export function expectedImprovement(mean: number, variance: number, best: number): number {
  const s = Math.sqrt(variance);
  const z = (best - mean) / s;
  return s * (z * ndtr(z) + Math.exp(-0.5 * z * z - LOG_SQRT_2PI));
}

export interface GPSamplerOptions {
  seed?: number;
  nStartupTrials?: number;
}

export class GPSampler extends Sampler {
  private readonly rng: SamplerRng;
  private readonly random: RandomSampler;
  private readonly nStartupTrials: number;
  private hyper: GPHyper | null = null;

  constructor(opts: GPSamplerOptions = {}) {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError('GPSampler: options must be an object {seed, nStartupTrials}');
    this.rng = new SamplerRng('GPSampler', opts.seed);
    this.random = new RandomSampler({ seed: opts.seed === undefined ? undefined : opts.seed + 1 });
    this.nStartupTrials = intAtLeast('GPSampler', 'nStartupTrials', opts.nStartupTrials ?? 10, 1);
  }

  override inferRelativeSearchSpace(study: StudyView): Record<string, Distribution> {
    const space = intersectionSearchSpace(study, sameDistribution);
    for (const k of Object.keys(space)) if (space[k].kind === 'categorical' || isSingle(space[k])) delete space[k];
    return space;
  }

  override sampleRelative(study: StudyView, _trial: FrozenTrial, space: Record<string, Distribution>): Record<string, number> {
    const names = Object.keys(space);
    const dists = names.map((k) => space[k] as Numeric);
    const obs = study.trialsIn(['complete']).filter((t) => t.value !== null && Number.isFinite(t.value) && names.every((k) => k in t.internalParams));
    if (names.length === 0 || obs.length < this.nStartupTrials) return {};
    const n = obs.length;
    const d = names.length;
    const x = new Float64Array(n * d);
    obs.forEach((t, i) => dists.forEach((dist, j) => (x[i * d + j] = toUnit(dist, t.internalParams[names[j]]))));
    const sign = study.direction === 'maximize' ? -1 : 1;
    const raw = obs.map((t) => sign * t.value!);
    const mu = raw.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(raw.reduce((a, b) => a + (b - mu) ** 2, 0) / n) || 1;
    const y = Float64Array.from(raw, (v) => (v - mu) / sd);

    const init = this.hyper && this.hyper.logLength.length === d ? this.hyper : { logLength: new Array(d).fill(Math.log(0.5)), logAmp: 0, logNoise: Math.log(1e-3) };
    this.hyper = fitHyper(x, n, d, y, init, this.hyper ? 40 : 120);
    const gp = new GaussianProcess(x, n, d, y, this.hyper);
    const best = Math.min(...y);
    const ei = (q: Float64Array) => {
      const p = gp.predict(q);
      return expectedImprovement(p.mean, p.variance, best);
    };

    // Candidates: uniform points and Gaussian perturbations of the best observations.
    const order = Array.from(y.keys()).sort((a, b) => y[a] - y[b]).slice(0, 5);
    const nUniform = 512;
    const nLocal = 256;
    const u = this.rng.uniforms(nUniform * d);
    const z = this.rng.normals(nLocal * d);
    let bestQ: Float64Array = new Float64Array(d);
    let bestEi = -Infinity;
    const consider = (q: Float64Array) => {
      const v = ei(q);
      if (v > bestEi) {
        bestEi = v;
        bestQ = q;
      }
    };
    for (let c = 0; c < nUniform; c++) consider(u.slice(c * d, (c + 1) * d));
    for (let c = 0; c < nLocal; c++) {
      const base = order[c % order.length];
      consider(Float64Array.from({ length: d }, (_, j) => Math.min(1, Math.max(0, x[base * d + j] + 0.05 * z[c * d + j]))));
    }
    // Local search around the best candidate with a shrinking step.
    for (let it = 0, step = 0.05; it < 60; it++) {
      const g = this.rng.normals(d);
      const q = Float64Array.from(bestQ, (v, j) => Math.min(1, Math.max(0, v + step * g[j])));
      const before = bestEi;
      consider(q);
      if (bestEi === before) step = Math.max(1e-3, step * 0.85);
    }
    return Object.fromEntries(names.map((k, j) => [k, fromUnit(dists[j], bestQ[j])]));
  }

  override sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, dist: Distribution): number {
    return this.random.sampleIndependent(study, trial, name, dist);
  }
}
