// Pruners decide from a trial's intermediate values whether to stop it (Optuna's rules).
import type { FrozenTrial } from './frozen-trial';
import { lastStep } from './frozen-trial';
import type { StudyView } from './samplers/sampler';
import { intAtLeast as checkInt } from './validate';

export type SetSystemAttr = (key: string, value: unknown) => void;

export abstract class Pruner {
  abstract prune(study: StudyView, trial: FrozenTrial, setSystemAttr: SetSystemAttr): boolean;
}

/** Never prunes. */
export class NopPruner extends Pruner {
  override prune(): boolean {
    return false;
  }
}


/** Linear-interpolation percentile of the non-NaN values (numpy's nanpercentile); NaN when there are none. */
function nanPercentile(values: number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = ((v.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(v.length - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

export interface PercentileOptions {
  nStartupTrials?: number;
  nWarmupSteps?: number;
  intervalSteps?: number;
  nMinTrials?: number;
}

/**
 * Prunes when the trial's best intermediate value so far is worse than the given percentile of the
 * completed trials' values at the same step. Checks only at the first report of each interval after
 * warm-up, and only once nStartupTrials trials have completed.
 */
export class PercentilePruner extends Pruner {
  private readonly nStartupTrials: number;
  private readonly nWarmupSteps: number;
  private readonly intervalSteps: number;
  private readonly nMinTrials: number;

  constructor(readonly percentile: number, opts: PercentileOptions = {}, op = 'PercentilePruner') {
    super();
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object`);
    if (!(typeof percentile === 'number' && percentile >= 0 && percentile <= 100)) throw new RangeError(`${op}: percentile must be in [0, 100], got ${String(percentile)}`);
    this.nStartupTrials = checkInt(op, 'nStartupTrials', opts.nStartupTrials ?? 5, 0);
    this.nWarmupSteps = checkInt(op, 'nWarmupSteps', opts.nWarmupSteps ?? 0, 0);
    this.intervalSteps = checkInt(op, 'intervalSteps', opts.intervalSteps ?? 1, 1);
    this.nMinTrials = checkInt(op, 'nMinTrials', opts.nMinTrials ?? 1, 1);
  }

  override prune(study: StudyView, trial: FrozenTrial): boolean {
    const completed = study.trialsIn(['complete']);
    if (completed.length === 0 || completed.length < this.nStartupTrials) return false;
    const step = lastStep(trial);
    if (step === null || step < this.nWarmupSteps) return false;
    // Only the first report at or after each pruning step (warm-up + k * interval) is checked.
    const nearest = Math.floor((step - this.nWarmupSteps) / this.intervalSteps) * this.intervalSteps + this.nWarmupSteps;
    let secondLast = -1;
    for (const s of trial.intermediateValues.keys()) if (s > secondLast && s !== step) secondLast = s;
    if (!(secondLast < nearest)) return false;
    const max = study.direction === 'maximize';
    const vals = [...trial.intermediateValues.values()].filter((x) => !Number.isNaN(x));
    if (vals.length === 0) return true;
    const best = max ? Math.max(...vals) : Math.min(...vals);
    const atStep = completed.filter((t) => t.intermediateValues.has(step)).map((t) => t.intermediateValues.get(step)!);
    if (atStep.length < this.nMinTrials) return false;
    const p = nanPercentile(atStep, max ? 100 - this.percentile : this.percentile);
    if (Number.isNaN(p)) return false;
    return max ? best < p : best > p;
  }
}

/** Prunes a trial whose best intermediate value is worse than the median of completed trials at the same step. */
export class MedianPruner extends PercentilePruner {
  constructor(opts: PercentileOptions = {}) {
    super(50, opts, 'MedianPruner');
  }
}

export interface SuccessiveHalvingOptions {
  /** Steps before the first rung; 'auto' is max(1, floor(last step of the longest completed trial / 100)). */
  minResource?: number | 'auto';
  reductionFactor?: number;
  minEarlyStoppingRate?: number;
  bootstrapCount?: number;
}

const rungKey = (r: number): string => `completed_rung_${r}`;

/**
 * Asynchronous successive halving (Li et al. 2018, as Optuna's): when a trial reaches rung r's step
 * (minResource * reductionFactor^(minEarlyStoppingRate + r)) it records its value there and goes on
 * only if that value is within the best 1/reductionFactor of all values recorded at that rung.
 */
export class SuccessiveHalvingPruner extends Pruner {
  private minResource: number | null;
  private readonly reductionFactor: number;
  private readonly minEarlyStoppingRate: number;
  private readonly bootstrapCount: number;

  constructor(opts: SuccessiveHalvingOptions = {}) {
    super();
    const op = 'SuccessiveHalvingPruner';
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object`);
    const mr = opts.minResource ?? 'auto';
    this.minResource = mr === 'auto' ? null : checkInt(op, "minResource ('auto' or an integer)", mr, 1);
    this.reductionFactor = checkInt(op, 'reductionFactor', opts.reductionFactor ?? 4, 2);
    this.minEarlyStoppingRate = checkInt(op, 'minEarlyStoppingRate', opts.minEarlyStoppingRate ?? 0, 0);
    this.bootstrapCount = checkInt(op, 'bootstrapCount', opts.bootstrapCount ?? 0, 0);
    if (this.bootstrapCount > 0 && this.minResource === null) throw new RangeError(`${op}: bootstrapCount > 0 needs an integer minResource, not 'auto'`);
  }

  override prune(study: StudyView, trial: FrozenTrial, setSystemAttr: SetSystemAttr): boolean {
    const step = lastStep(trial);
    if (step === null) return false;
    let rung = 0;
    while (rungKey(rung) in trial.systemAttrs) rung++;
    const value = trial.intermediateValues.get(step)!;
    for (;;) {
      if (this.minResource === null) {
        const steps = study.trialsIn(['complete']).map(lastStep).filter((s): s is number => s !== null);
        if (steps.length === 0) return false;
        this.minResource = Math.max(Math.floor(Math.max(...steps) / 100), 1);
      }
      if (step < this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung)) return false;
      if (Number.isNaN(value)) return true;
      const key = rungKey(rung);
      setSystemAttr(key, value);
      const competing = study.trials.filter((t) => key in t.systemAttrs).map((t) => t.systemAttrs[key] as number);
      competing.push(value);
      if (competing.length <= this.bootstrapCount) return true;
      const idx = Math.max(0, Math.floor(competing.length / this.reductionFactor) - 1);
      competing.sort((a, b) => a - b);
      const ok = study.direction === 'maximize' ? value >= competing[competing.length - 1 - idx] : value <= competing[idx];
      if (!ok) return true;
      rung++;
    }
  }
}
