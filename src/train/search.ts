// Model selection: grid and random search over hyperparameters (tg.tune studies with a GridSampler or a
// RandomSampler), and k-fold cross-validation (which can report its folds to a tg.tune trial).
import { Generator, resolveGenerator } from '../random';
import { Dataset, Subset } from '../data/dataset';
import { kFold } from '../data/kfold';
import { createStudy } from '../tune/study';
import type { Trial as TuneTrial } from '../tune/trial';
import type { Sampler } from '../tune/samplers/sampler';
import { GridSampler } from '../tune/samplers/grid';
import { RandomSampler } from '../tune/samplers/random';
import { NopPruner } from '../tune/pruners';
import { TrialPruned } from '../tune/pruned';
import { describe, optionsOf } from '../validate';

/** A distribution to sample a hyperparameter from in randomSearch (`u` is uniform in [0, 1)). */
export class Distribution<T = unknown> {
  constructor(
    readonly describe: string,
    private readonly fromUniform: (u: number) => T,
    /** @internal how a study trial suggests this hyperparameter */
    readonly _suggest: (trial: TuneTrial, name: string) => T,
  ) {}
  /** @internal */
  _sample(u: number): T {
    return this.fromUniform(u);
  }
}

const finite = (op: string, lo: number, hi: number): void => {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo <= hi)) throw new RangeError(`${op}: expected finite lo <= hi, got ${lo}, ${hi}`);
};

/** One of `values`, each equally likely. */
export function choice<T>(values: readonly T[]): Distribution<T> {
  if (!Array.isArray(values) || values.length === 0) throw new RangeError('choice: expected a non-empty array of values');
  const v = values.slice();
  return new Distribution(`choice(${v.length})`, (u) => v[Math.min(v.length - 1, Math.floor(u * v.length))], (t, k) => t.suggestCategorical(k, v));
}

/** Uniform in [lo, hi). */
export function uniform(lo: number, hi: number): Distribution<number> {
  finite('uniform', lo, hi);
  return new Distribution(`uniform(${lo}, ${hi})`, (u) => lo + (hi - lo) * u, (t, k) => t.suggestFloat(k, lo, hi));
}

/** exp(uniform(log lo, log hi)), for scales such as learning rates; lo > 0. */
export function logUniform(lo: number, hi: number): Distribution<number> {
  finite('logUniform', lo, hi);
  if (!(lo > 0)) throw new RangeError(`logUniform: lo must be > 0, got ${lo}`);
  return new Distribution(`logUniform(${lo}, ${hi})`, (u) => Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * u), (t, k) => t.suggestFloat(k, lo, hi, { log: true }));
}

/** An integer in [lo, hi], both inclusive, each equally likely. */
export function intUniform(lo: number, hi: number): Distribution<number> {
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi) throw new RangeError(`intUniform: expected integers lo <= hi, got ${lo}, ${hi}`);
  return new Distribution(`intUniform(${lo}, ${hi})`, (u) => Math.min(hi, lo + Math.floor(u * (hi - lo + 1))), (t, k) => t.suggestInt(k, lo, hi));
}

export type Params = Record<string, unknown>;
export type Objective<P> = (params: P) => number | Promise<number>;
export interface Trial<P = Params> {
  params: P;
  score: number;
  /** Position in evaluation order. */
  index: number;
}
export type Mode = 'min' | 'max';

/** Best first; NaN scores last; ties keep evaluation order. */
function rank<P>(trials: Trial<P>[], mode: Mode): Trial<P>[] {
  const s = mode === 'max' ? -1 : 1;
  const key = (t: Trial<P>) => (Number.isNaN(t.score) ? Infinity : s * t.score);
  return trials.slice().sort((a, b) => key(a) - key(b) || (Number.isNaN(a.score) ? 1 : 0) - (Number.isNaN(b.score) ? 1 : 0) || a.index - b.index);
}

function checkCommon(op: string, objective: unknown, mode: unknown): Mode {
  if (typeof objective !== 'function') throw new TypeError(`${op}: objective must be a function`);
  if (mode !== 'min' && mode !== 'max') throw new RangeError(`${op}: mode must be 'min' or 'max', got ${describe(mode)}`);
  return mode;
}

/**
 * Runs `objective` on the parameter sets a study's sampler suggests (`suggest` maps a trial to them)
 * and returns every trial's score, best first. NaN scores fail their study trial but are returned (last).
 */
async function runStudy(op: string, sampler: Sampler, mode: Mode, nTrials: number | undefined, suggest: (t: TuneTrial) => Params, objective: Objective<Params>): Promise<Trial[]> {
  const study = createStudy({ direction: mode === 'max' ? 'maximize' : 'minimize', sampler, pruner: new NopPruner() });
  const trials: Trial[] = [];
  await study.optimize(async (t) => {
    const params = suggest(t);
    const s = await objective(params);
    if (typeof s !== 'number') throw new TypeError(`${op}: objective must return a number, got ${typeof s} for ${describe(params)}`);
    trials.push({ params, score: s, index: t.number });
    return Number.isNaN(s) ? (mode === 'max' ? -Infinity : Infinity) : s; // the study ranks a NaN score last too
  }, { nTrials });
  return rank(trials, mode);
}

export interface GridSearchOptions {
  space: Record<string, readonly unknown[]>;
  objective: Objective<Params>;
  mode?: Mode;
}

/** Scores every combination (the last key varies fastest), returned best first. */
export async function gridSearch(opts: GridSearchOptions): Promise<Trial[]> {
  opts = optionsOf<GridSearchOptions>('gridSearch', opts) as GridSearchOptions;
  const op = 'gridSearch';
  const mode = checkCommon(op, opts?.objective, opts?.mode ?? 'min');
  const space = opts.space;
  if (space === null || typeof space !== 'object') throw new TypeError(`${op}: space must be an object of value arrays`);
  const keys = Object.keys(space);
  for (const k of keys) {
    if (!Array.isArray(space[k]) || space[k].length === 0) throw new TypeError(`${op}: space.${k} must be a non-empty array of values`);
  }
  const sampler = new GridSampler(space);
  return runStudy(op, sampler, mode, sampler.size, (t) => Object.fromEntries(keys.map((k) => [k, t.suggestCategorical(k, space[k])])), opts.objective);
}

export interface RandomSearchOptions {
  /** A Distribution, an array (a choice among its values) or a constant per hyperparameter. */
  space: Record<string, unknown>;
  trials: number;
  objective: Objective<Params>;
  generator?: Generator;
  mode?: Mode;
}

/** Scores `trials` parameter sets drawn from the space with the (seeded) generator, best first. */
export async function randomSearch(opts: RandomSearchOptions): Promise<Trial[]> {
  opts = optionsOf<RandomSearchOptions>('randomSearch', opts) as RandomSearchOptions;
  const op = 'randomSearch';
  const mode = checkCommon(op, opts?.objective, opts?.mode ?? 'min');
  if (!Number.isInteger(opts.trials) || opts.trials < 1) throw new RangeError(`${op}: trials must be a positive integer, got ${describe(opts.trials)}`);
  if (opts.space === null || typeof opts.space !== 'object') throw new TypeError(`${op}: space must be an object`);
  const gen = resolveGenerator(op, opts.generator);
  const dists = Object.entries(opts.space).map(([k, v]): [string, Distribution | null, unknown] =>
    v instanceof Distribution ? [k, v, null] : Array.isArray(v) ? [k, choice(v), null] : [k, null, v]);
  const suggest = (t: TuneTrial): Params => Object.fromEntries(dists.map(([k, d, c]) => [k, d ? d._suggest(t, k) : c]));
  return runStudy(op, new RandomSampler({ generator: gen }), mode, opts.trials, suggest, opts.objective);
}

export interface CrossValidateOptions<T> {
  k: number;
  dataset: Dataset<T>;
  objective: (split: { train: Subset<T>; val: Subset<T>; fold: number }) => number | Promise<number>;
  shuffle?: boolean;
  generator?: Generator;
  /**
   * A tg.tune trial to report the running mean score to after each fold (step = fold); when its pruner
   * says so, crossValidate throws tg.tune.TrialPruned. Set `mode` to how the study ranks scores.
   */
  trial?: TuneTrial;
}

/** Scores each of k folds (train on the rest, validate on the fold): the scores, their mean and population std. */
export async function crossValidate<T>(opts: CrossValidateOptions<T>): Promise<{ scores: number[]; mean: number; std: number }> {
  opts = optionsOf<CrossValidateOptions<T>>('crossValidate', opts) as CrossValidateOptions<T>;
  const op = 'crossValidate';
  if (typeof opts?.objective !== 'function') throw new TypeError(`${op}: objective must be a function`);
  if (opts.trial !== undefined && (opts.trial === null || typeof opts.trial.report !== 'function' || typeof opts.trial.shouldPrune !== 'function')) {
    throw new TypeError(`${op}: trial must be a tg.tune trial`);
  }
  const ds = opts.dataset;
  if (ds === null || typeof ds !== 'object' || !Number.isInteger(ds.length) || typeof ds.get !== 'function') {
    throw new TypeError(`${op}: dataset must have a length and get(i)`);
  }
  const scores: number[] = [];
  const folds = kFold(ds.length, opts.k, { shuffle: opts.shuffle ?? false, generator: opts.generator });
  for (const [fold, f] of folds.entries()) {
    const s = await opts.objective({ train: new Subset(ds, f.train), val: new Subset(ds, f.val), fold });
    if (typeof s !== 'number') throw new TypeError(`${op}: objective must return a number, got ${typeof s} for fold ${fold}`);
    scores.push(s);
    if (opts.trial) {
      opts.trial.report(scores.reduce((a, b) => a + b, 0) / scores.length, fold);
      if (opts.trial.shouldPrune()) throw new TrialPruned(`crossValidate: pruned after fold ${fold}`);
    }
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
  return { scores, mean, std };
}
