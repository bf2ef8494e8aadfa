// Pruning from tg.train.fit: report the monitored value each epoch, throw TrialPruned when told to.
import { Callback, TrainState } from '../train/callbacks';
import type { Logs } from '../train/types';
import { TrialPruned } from './pruned';
import type { Trial } from './trial';

class PruningCallback extends Callback {
  constructor(private readonly trial: Trial, private readonly monitor: string) {
    super();
  }
  override onEpochEnd(epoch: number, logs: Logs, state: TrainState): void {
    if (!(this.monitor in logs)) {
      throw new RangeError(`pruningCallback: monitor '${this.monitor}' is not among the values fit produces: ${Object.keys(logs).join(', ')}`);
    }
    this.trial.report(logs[this.monitor], epoch);
    if (this.trial.shouldPrune()) {
      state.stopTraining = true;
      throw new TrialPruned(`pruned at epoch ${epoch} (${this.monitor} = ${logs[this.monitor]})`);
    }
  }
}

/**
 * A tg.train.fit callback that reports `logs[monitor]` to the trial after each epoch (step = epoch)
 * and ends fit with tg.tune.TrialPruned when the study's pruner prunes the trial, so the objective
 * that awaits fit ends as a pruned trial.
 */
export function pruningCallback(trial: Trial, opts: { monitor?: string } = {}): Callback {
  if (trial === null || typeof trial !== 'object' || typeof trial.report !== 'function' || typeof trial.shouldPrune !== 'function') {
    throw new TypeError('pruningCallback: trial must be a tg.tune trial');
  }
  if (opts === null || typeof opts !== 'object') throw new TypeError('pruningCallback: options must be an object {monitor}');
  const monitor = opts.monitor ?? 'valLoss';
  if (typeof monitor !== 'string' || monitor === '') throw new TypeError('pruningCallback: monitor must be a non-empty string');
  return new PruningCallback(trial, monitor);
}
