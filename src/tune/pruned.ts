/** Throw from an objective to end the trial as pruned (after `trial.shouldPrune()` said so). */
export class TrialPruned extends Error {
  constructor(message = 'trial pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}

/** TrialPruned from this module or from another copy of tapegrad (an objective module, a worker thread). */
export const isPruned = (e: unknown): boolean => e instanceof TrialPruned || (e instanceof Error && e.name === 'TrialPruned');

/** Whether an error is of one of the `catch` classes of optimize (by class, or by name across threads). */
export const isCaught = (e: unknown, catches: (new (...a: never[]) => Error)[]): boolean =>
  catches.some((c) => e instanceof c || (e instanceof Error && e.name === c.name));
