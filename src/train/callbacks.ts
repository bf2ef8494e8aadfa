// Keras-style callbacks: hooks called by fit, a stop flag on the shared state, EarlyStopping,
// ModelCheckpoint and LambdaCallback.
import type { Module, StateDict } from '../nn/module';
import { noGrad } from '../autograd/grad-mode';
import type { History, Logs, OptimizerLike } from './types';
import { save } from '../io/safetensors';
import { formatPath } from './format-path';
import { describe, optionsOf } from '../validate';

/** What every hook sees: set `stopTraining = true` to end fit after the current epoch. */
export interface TrainState {
  model: Module;
  optimizer: OptimizerLike;
  epochs: number;
  history: History;
  stopTraining: boolean;
}

/** Per-batch values given to `onBatchEnd`: the batch loss and its number of samples. */
export interface BatchLogs {
  loss: number;
  size: number;
}

type Ret = void | Promise<void>;

/** Base class: override the hooks you need. Epochs count from 1, batches from 0. Hooks may be async. */
export class Callback {
  onTrainBegin(_state: TrainState): Ret {}
  onEpochBegin(_epoch: number, _state: TrainState): Ret {}
  onBatchEnd(_batch: number, _logs: BatchLogs, _state: TrainState): Ret {}
  onEpochEnd(_epoch: number, _logs: Logs, _state: TrainState): Ret {}
  onTrainEnd(_state: TrainState): Ret {}
}

export type Mode = 'auto' | 'min' | 'max';

/** Tracks the best value of a monitored log entry (Keras rules: 'auto' is 'max' for accuracies). */
class Monitor {
  readonly sign: 1 | -1;
  best: number;
  constructor(op: string, readonly key: string, mode: Mode, private readonly minDelta: number) {
    if (typeof key !== 'string' || key === '') throw new TypeError(`${op}: monitor must be a non-empty string`);
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new RangeError(`${op}: mode must be 'auto', 'min' or 'max', got ${describe(mode)}`);
    if (!(typeof minDelta === 'number' && minDelta >= 0)) throw new RangeError(`${op}: minDelta must be a number >= 0, got ${describe(minDelta)}`);
    this.sign = mode === 'max' || (mode === 'auto' && /acc/i.test(key)) ? 1 : -1;
    this.best = -this.sign * Infinity;
  }
  reset(): void {
    this.best = -this.sign * Infinity;
  }
  /** The monitored value; throws naming the available keys when fit never produces it. */
  read(op: string, logs: Logs): number {
    if (!(this.key in logs)) {
      throw new RangeError(`${op}: monitor '${this.key}' is not among the values fit produces: ${Object.keys(logs).join(', ')}`);
    }
    return logs[this.key];
  }
  /** True when `value` beats the best by more than minDelta (NaN never does); records it. */
  improve(value: number): boolean {
    if (!(this.sign * (value - this.best) > this.minDelta)) return false;
    this.best = value;
    return true;
  }
}

export interface EarlyStoppingOptions {
  monitor?: string;
  patience?: number;
  minDelta?: number;
  mode?: Mode;
  restoreBestWeights?: boolean;
}

/**
 * Stops fit when the monitored value has not improved by more than `minDelta` for `patience` epochs
 * after its best. With `restoreBestWeights`, the model ends with a copy of the weights of the best
 * epoch (the last one that improved by more than minDelta), also when fit runs out of epochs without
 * stopping early (as Keras >= 2.11).
 */
export class EarlyStopping extends Callback {
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  /** Epoch of the best value (0 before any), and the epoch at which training was stopped (0 if never). */
  bestEpoch = 0;
  stoppedEpoch = 0;
  private wait = 0;
  private bestWeights: StateDict | null = null;
  private readonly mon: Monitor;

  constructor(opts: EarlyStoppingOptions = {}) {
    super();
    opts = optionsOf<EarlyStoppingOptions>('EarlyStopping', opts) as EarlyStoppingOptions;
    const patience = opts.patience ?? 0;
    if (!Number.isInteger(patience) || patience < 0) throw new RangeError(`EarlyStopping: patience must be an integer >= 0, got ${describe(patience)}`);
    this.patience = patience;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.mon = new Monitor('EarlyStopping', opts.monitor ?? 'valLoss', opts.mode ?? 'auto', opts.minDelta ?? 0);
  }

  get best(): number {
    return this.mon.best;
  }

  override onTrainBegin(): void {
    this.mon.reset();
    this.wait = 0;
    this.bestEpoch = 0;
    this.stoppedEpoch = 0;
    this.bestWeights = null;
  }

  override onEpochEnd(epoch: number, logs: Logs, state: TrainState): void {
    const value = this.mon.read('EarlyStopping', logs);
    if (this.mon.improve(value)) {
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = snapshot(state.model);
      return;
    }
    this.wait += 1;
    // As Keras: stop once `patience` epochs in a row brought no improvement (0 and 1 both stop at the first).
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      state.stopTraining = true;
    }
  }

  override onTrainEnd(state: TrainState): void {
    if (this.restoreBestWeights && this.bestWeights) state.model.loadStateDict(this.bestWeights);
  }
}

/** A deep copy of the model's state dict (parameters and persistent buffers). */
function snapshot(model: Module): StateDict {
  const sd = model.stateDict();
  return noGrad(() => Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, t.clone()])));
}

export interface ModelCheckpointOptions {
  /** File to write; may hold `{epoch}`, `{epoch:03d}`, `{valLoss:.4f}`-style placeholders of the epoch's logs. */
  path: string;
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: Mode;
}

/** Saves the model's state dict (safetensors, through tg.io.save) after every epoch, or only on improvement. */
export class ModelCheckpoint extends Callback {
  readonly path: string;
  readonly saveBestOnly: boolean;
  /** Paths written so far, in order. */
  readonly saved: string[] = [];
  private readonly mon: Monitor;

  constructor(opts: ModelCheckpointOptions) {
    super();
    opts = optionsOf<ModelCheckpointOptions>('ModelCheckpoint', opts) as ModelCheckpointOptions;
    if (!opts || typeof opts.path !== 'string' || opts.path === '') throw new TypeError('ModelCheckpoint: path must be a non-empty string');
    this.path = opts.path;
    this.saveBestOnly = opts.saveBestOnly ?? false;
    this.mon = new Monitor('ModelCheckpoint', opts.monitor ?? 'valLoss', opts.mode ?? 'auto', 0);
  }

  override onTrainBegin(): void {
    this.mon.reset();
  }

  override async onEpochEnd(epoch: number, logs: Logs, state: TrainState): Promise<void> {
    if (this.saveBestOnly && !this.mon.improve(this.mon.read('ModelCheckpoint', logs))) return;
    const path = formatPath('ModelCheckpoint', this.path, { epoch, ...logs });
    save(state.model.stateDict(), path);
    this.saved.push(path);
  }
}

type Hooks = {
  [K in keyof Callback]?: Callback[K];
};

/** A callback from plain functions: `new LambdaCallback({onEpochEnd: (epoch, logs, state) => ...})`. */
export class LambdaCallback extends Callback {
  constructor(hooks: Hooks) {
    super();
    if (hooks === null || typeof hooks !== 'object') throw new TypeError('LambdaCallback: expected an object of hook functions');
    const known = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];
    for (const [k, f] of Object.entries(hooks)) {
      if (!known.includes(k)) throw new RangeError(`LambdaCallback: unknown hook '${k}' (known: ${known.join(', ')})`);
      if (typeof f !== 'function') throw new TypeError(`LambdaCallback: ${k} must be a function`);
      Object.defineProperty(this, k, { value: f, enumerable: true });
    }
  }
}
