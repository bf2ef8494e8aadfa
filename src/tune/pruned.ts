/** Throw from an objective to end the trial as pruned (after `trial.shouldPrune()` said so). */
export class TrialPruned extends Error {
  constructor(message = 'trial pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}
