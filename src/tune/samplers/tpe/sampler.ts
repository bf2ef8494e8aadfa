// The tree-structured Parzen estimator sampler (Bergstra et al. 2011) with Optuna 3.1's defaults:
// after nStartupTrials random trials, split the finished trials into the best gamma(n) and the rest,
// fit a Parzen estimator l(x) to the good ones and g(x) to the others, draw nEiCandidates from l and
// keep the one with the largest l(x)/g(x) (which maximises expected improvement).
import { Distribution, isSingle, sameDistribution } from '../../distributions';
import type { FrozenTrial } from '../../frozen-trial';
import { SamplerRng } from '../../rng';
import { RandomSampler } from '../random';
import { Sampler, StudyView, intersectionSearchSpace } from '../sampler';
import { ParzenEstimator, ParzenParameters } from './parzen-estimator';
import { boolOption, intAtLeast } from '../../validate';

/** Optuna's default: the best 10% of the trials, at most 25, form the "good" group. */
export const defaultGamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

/** Optuna's default: equal weights for the 25 newest observations, a linear ramp down for older ones. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

export interface TPESamplerOptions {
  seed?: number;
  nStartupTrials?: number;
  nEiCandidates?: number;
  /** Model the parameters jointly (multivariate TPE, Falkner et al. 2018) instead of one by one. */
  multivariate?: boolean;
  considerPrior?: boolean;
  priorWeight?: number;
  considerMagicClip?: boolean;
  considerEndpoints?: boolean;
  gamma?: (n: number) => number;
  weights?: (n: number) => number[];
}

type Score = [number, number];

export class TPESampler extends Sampler {
  private readonly rng: SamplerRng;
  private readonly random: RandomSampler;
  private readonly nStartupTrials: number;
  private readonly nEiCandidates: number;
  private readonly multivariate: boolean;
  private readonly gamma: (n: number) => number;
  private readonly parzen: ParzenParameters;

  constructor(opts: TPESamplerOptions = {}) {
    super();
    const op = 'TPESampler';
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object`);
    this.rng = new SamplerRng(op, opts.seed);
    this.random = new RandomSampler({ seed: opts.seed === undefined ? undefined : opts.seed + 1 });
    this.nStartupTrials = intAtLeast(op, 'nStartupTrials', opts.nStartupTrials ?? 10, 0);
    this.nEiCandidates = intAtLeast(op, 'nEiCandidates', opts.nEiCandidates ?? 24, 1);
    const bool = (name: string, v: unknown, dflt: boolean) => boolOption(op, name, v, dflt);
    this.multivariate = bool('multivariate', opts.multivariate, false);
    const priorWeight = opts.priorWeight ?? 1;
    if (!(typeof priorWeight === 'number' && priorWeight > 0)) throw new RangeError(`${op}: priorWeight must be > 0, got ${String(priorWeight)}`);
    if (opts.gamma !== undefined && typeof opts.gamma !== 'function') throw new TypeError(`${op}: gamma must be a function n => number`);
    if (opts.weights !== undefined && typeof opts.weights !== 'function') throw new TypeError(`${op}: weights must be a function n => number[]`);
    this.gamma = opts.gamma ?? defaultGamma;
    this.parzen = {
      considerPrior: bool('considerPrior', opts.considerPrior, true),
      priorWeight,
      considerMagicClip: bool('considerMagicClip', opts.considerMagicClip, true),
      considerEndpoints: bool('considerEndpoints', opts.considerEndpoints, false),
      weights: opts.weights ?? defaultWeights,
      multivariate: this.multivariate,
    };
  }

  override inferRelativeSearchSpace(study: StudyView): Record<string, Distribution> {
    if (!this.multivariate) return {};
    const space = intersectionSearchSpace(study, sameDistribution);
    for (const k of Object.keys(space)) if (isSingle(space[k])) delete space[k];
    return space;
  }

  override sampleRelative(study: StudyView, _trial: FrozenTrial, space: Record<string, Distribution>): Record<string, number> {
    const names = Object.keys(space);
    if (names.length === 0) return {};
    const { values, scores } = observations(study, names);
    if (scores.length < this.nStartupTrials) return {};
    return this.sampleTPE(space, values, scores);
  }

  override sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, dist: Distribution): number {
    const { values, scores } = observations(study, [name]);
    if (scores.length < this.nStartupTrials) return this.random.sampleIndependent(study, trial, name, dist);
    return this.sampleTPE({ [name]: dist }, values, scores)[name];
  }

  private sampleTPE(space: Record<string, Distribution>, values: Record<string, (number | null)[]>, scores: Score[]): Record<string, number> {
    const names = Object.keys(space);
    const [below, above] = splitObservations(scores, this.gamma(scores.length));
    // Trials without these parameters (first parameter decides, as in Optuna) are left out.
    const has = (i: number) => values[names[0]][i] !== null;
    const pick = (idx: number[]) => Object.fromEntries(names.map((k) => [k, idx.filter(has).map((i) => values[k][i] as number)]));
    const l = new ParzenEstimator(pick(below), space, this.parzen);
    const g = new ParzenEstimator(pick(above), space, this.parzen);
    const cand = l.sample(this.rng, this.nEiCandidates);
    const ll = l.logPdf(cand);
    const lg = g.logPdf(cand);
    let best = 0;
    for (let k = 1; k < ll.length; k++) if (ll[k] - lg[k] > ll[best] - lg[best]) best = k;
    return Object.fromEntries(names.map((k) => [k, cand[k][best]]));
  }
}

/**
 * Parameter values and scores of the complete and pruned trials. A score sorts lexicographically:
 * complete trials first ([-inf, loss]), then pruned ones by how far they got ([-last step, loss]).
 */
export function observations(study: StudyView, names: string[]): { values: Record<string, (number | null)[]>; scores: Score[] } {
  const sign = study.direction === 'maximize' ? -1 : 1;
  const values: Record<string, (number | null)[]> = Object.fromEntries(names.map((k) => [k, []]));
  const scores: Score[] = [];
  for (const t of study.trials) {
    let s: Score;
    if (t.state === 'complete') {
      if (t.value === null) continue;
      s = [-Infinity, sign * t.value];
    } else if (t.state === 'pruned') {
      let step = -1;
      for (const k of t.intermediateValues.keys()) step = Math.max(step, k);
      if (step < 0) s = [1, 0];
      else {
        const v = t.intermediateValues.get(step)!;
        s = [-step, Number.isNaN(v) ? Infinity : sign * v];
      }
    } else continue;
    scores.push(s);
    for (const k of names) values[k].push(k in t.internalParams ? t.internalParams[k] : null);
  }
  return { values, scores };
}

/** Indices (ascending) of the nBelow best scores and of the rest; ties keep trial order. */
export function splitObservations(scores: Score[], nBelow: number): [number[], number[]] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a][0] - scores[b][0] || cmp(scores[a][1], scores[b][1]) || a - b);
  const below = order.slice(0, nBelow).sort((a, b) => a - b);
  const above = order.slice(nBelow).sort((a, b) => a - b);
  return [below, above];
}

/** numpy's sort order for floats: NaN last. */
function cmp(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
