// The record of one trial as storages keep it and samplers, pruners and users read it.
import type { Distribution } from './distributions';

/** 'waiting' is an enqueued trial no worker has claimed yet. */
export type TrialState = 'running' | 'complete' | 'pruned' | 'fail' | 'waiting';
export type Direction = 'minimize' | 'maximize';

export interface FrozenTrial {
  /** Position of the trial in its study, from 0. */
  number: number;
  /** Storage-wide identifier. */
  trialId: number;
  state: TrialState;
  /** The objective value (complete) or the last intermediate value (pruned), else null. */
  value: number | null;
  params: Record<string, unknown>;
  distributions: Record<string, Distribution>;
  /** Internal values of params: the number itself, or the index of a categorical choice. */
  internalParams: Record<string, number>;
  intermediateValues: Map<number, number>;
  datetimeStart: Date | null;
  datetimeComplete: Date | null;
  /** Bookkeeping of samplers and pruners (grid ids, rungs, enqueued fixed params). */
  systemAttrs: Record<string, unknown>;
}

export const isFinished = (s: TrialState): boolean => s === 'complete' || s === 'pruned' || s === 'fail';

/** Largest step reported so far, or null. */
export function lastStep(t: FrozenTrial): number | null {
  let s: number | null = null;
  for (const k of t.intermediateValues.keys()) if (s === null || k > s) s = k;
  return s;
}
