// The sampler protocol (Optuna's): a relative search space sampled jointly at the start of a trial,
// and independent sampling for any parameter outside it.
import type { Distribution } from '../distributions';
import type { Direction, FrozenTrial, TrialState } from '../frozen-trial';

/** What a sampler sees of the study: the trials as they were when the current trial started. */
export interface StudyView {
  readonly direction: Direction;
  /** Every trial of the study except the current one. */
  readonly trials: readonly FrozenTrial[];
  trialsIn(states: readonly TrialState[]): FrozenTrial[];
  /** Ends the study after the running trials (a GridSampler that has tried every point). */
  stop(): void;
}

export abstract class Sampler {
  /** Called when a trial starts, before any suggestion. */
  beforeTrial(_study: StudyView, _trial: FrozenTrial): void {}
  inferRelativeSearchSpace(_study: StudyView, _trial: FrozenTrial): Record<string, Distribution> {
    return {};
  }
  /** Internal values for (some of) the relative search space. */
  sampleRelative(_study: StudyView, _trial: FrozenTrial, _space: Record<string, Distribution>): Record<string, number> {
    return {};
  }
  /** An internal value of `dist` for the parameter `name`. */
  abstract sampleIndependent(study: StudyView, trial: FrozenTrial, name: string, dist: Distribution): number;
  afterTrial(_study: StudyView, _trial: FrozenTrial, _state: TrialState, _value: number | null): void {}
}

/** The parameters every complete or pruned trial has, with the same distribution (Optuna's IntersectionSearchSpace with pruned trials). */
export function intersectionSearchSpace(study: StudyView, sameDistribution: (a: Distribution, b: Distribution) => boolean): Record<string, Distribution> {
  let space: Record<string, Distribution> | null = null;
  for (const t of study.trialsIn(['complete', 'pruned'])) {
    if (space === null) {
      space = { ...t.distributions };
      continue;
    }
    for (const k of Object.keys(space)) {
      if (!(k in t.distributions) || !sameDistribution(space[k], t.distributions[k])) delete space[k];
    }
  }
  const out: Record<string, Distribution> = {};
  for (const k of Object.keys(space ?? {}).sort()) out[k] = space![k];
  return out;
}
