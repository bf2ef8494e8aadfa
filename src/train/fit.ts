// fit and evaluate: the epoch loop over a loader of [...inputs, target] batches, per-sample averaged
// loss and metrics, validation under noGrad in eval mode, schedulers, callbacks and progress output.
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd/grad-mode';
import { shapeStr } from '../shape';
import { Callback, TrainState } from './callbacks';
import type { MetricFn } from './metrics';
import { NamedMetric, metricValue, resolveMetrics } from './metric-resolve';
import { EpochProgress, ProgressOption } from './progress';
import type { History, Loader, Logs, LossLike, OptimizerLike, SchedulerLike } from './types';
import { describe, optionsOf } from '../validate';

export interface FitOptions {
  optimizer: OptimizerLike;
  loss: LossLike;
  train: Loader;
  val?: Loader;
  epochs: number;
  /** Epochs already done (resuming from a checkpoint): training runs epochs initialEpoch + 1 .. epochs. */
  initialEpoch?: number;
  callbacks?: Callback[];
  metrics?: (string | MetricFn)[];
  scheduler?: SchedulerLike;
  progress?: ProgressOption;
}

export interface EvaluateOptions {
  loss?: LossLike;
  metrics?: (string | MetricFn)[];
}

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

const valKey = (name: string): string => `val${name[0].toUpperCase()}${name.slice(1)}`;

export function resolveLoss(op: string, loss: unknown): LossFn {
  if (loss instanceof Module) return (o, t) => loss.forward(o, t) as Tensor;
  if (typeof loss === 'function') return loss as LossFn;
  throw new TypeError(`${op}: loss must be a function (output, target) => Tensor or a loss module`);
}

export function checkLoader(op: string, name: string, loader: unknown): Loader {
  const l = loader as Loader;
  if (l === null || typeof l !== 'object' || typeof l[Symbol.iterator] !== 'function' || !Number.isInteger(l.length)) {
    throw new TypeError(`${op}: ${name} must be an iterable of batches with a length (a DataLoader or an array of [...inputs, target])`);
  }
  return l;
}

/** Splits a batch into inputs and target and returns its number of samples (first dim of the first input). */
export function unpack(op: string, batch: unknown): [Tensor[], Tensor, number] {
  if (!Array.isArray(batch) || batch.length < 2 || !batch.every((t) => t instanceof Tensor)) {
    throw new TypeError(`${op}: each batch must be an array [...inputs, target] of at least two tensors`);
  }
  const inputs = batch.slice(0, -1) as Tensor[];
  if (inputs[0].ndim === 0) throw new RangeError(`${op}: batch inputs need a batch dimension, got shape ${shapeStr(inputs[0].shape)}`);
  return [inputs, batch[batch.length - 1] as Tensor, inputs[0].shape[0]];
}

export function scalarLoss(op: string, l: unknown): Tensor {
  if (!(l instanceof Tensor) || l.size !== 1) {
    throw new TypeError(`${op}: the loss must return a scalar tensor (use reduction 'mean'), got ${l instanceof Tensor ? `shape ${shapeStr(l.shape)}` : typeof l}`);
  }
  return l;
}

/** Sums of per-sample weighted values, turned into means at the end. */
class Averager {
  private sums = new Map<string, number>();
  count = 0;
  add(n: number, values: [string, number][]): void {
    this.count += n;
    for (const [k, v] of values) this.sums.set(k, (this.sums.get(k) ?? 0) + v * n);
  }
  mean(key: string): number {
    return (this.sums.get(key) ?? NaN) / this.count;
  }
}

/** Loss and metrics over a loader under noGrad and eval mode; the module's mode is restored after. */
function runEval(op: string, model: Module, loader: Loader, lossFn: LossFn | null, metrics: NamedMetric[]): Logs {
  const wasTraining = model.training;
  model.eval();
  const avg = new Averager();
  try {
    noGrad(() => {
      for (const batch of loader) {
        const [inputs, target, n] = unpack(op, batch);
        const out = model.forward(...inputs) as Tensor;
        const vals: [string, number][] = metrics.map((m) => [m.name, metricValue(m, out, target)]);
        if (lossFn) vals.unshift(['loss', scalarLoss(op, lossFn(out, target)).item()]);
        avg.add(n, vals);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  if (avg.count === 0) throw new RangeError(`${op}: the loader yielded no samples`);
  const logs: Logs = {};
  if (lossFn) logs.loss = avg.mean('loss');
  for (const m of metrics) logs[m.name] = avg.mean(m.name);
  return logs;
}

/** Loss (per-sample mean, assuming mean-reduced batch losses) and metrics of `model` over `loader`. */
export async function evaluate(model: Module, loader: Loader, opts: EvaluateOptions = {}): Promise<Logs> {
  opts = optionsOf<EvaluateOptions>('evaluate', opts) as EvaluateOptions;
  if (!(model instanceof Module)) throw new TypeError('evaluate: model must be a tg.nn.Module');
  checkLoader('evaluate', 'loader', loader);
  const lossFn = opts.loss === undefined ? null : resolveLoss('evaluate', opts.loss);
  const metrics = resolveMetrics('evaluate', opts.metrics);
  if (!lossFn && metrics.length === 0) throw new TypeError('evaluate: give a loss, metrics or both');
  return runEval('evaluate', model, loader, lossFn, metrics);
}

/**
 * A scheduler is stepped with the monitored value (valLoss if there is a validation loader, else loss)
 * when it is metric-driven: a ReduceLROnPlateau (by class name, subclasses included) or any object
 * with `requiresMetric === true`. Every other scheduler gets `step()`.
 */
export function isMetricScheduler(s: SchedulerLike): boolean {
  if ((s as { requiresMetric?: unknown }).requiresMetric === true) return true;
  for (let p = Object.getPrototypeOf(s); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (p.constructor?.name === 'ReduceLROnPlateau') return true;
  }
  return false;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const isThenable = (r: unknown): r is Promise<void> => r !== null && typeof r === 'object' && typeof (r as Promise<void>).then === 'function';

/**
 * Trains `model` for `epochs` epochs. Per epoch: callbacks' onEpochBegin, then per batch zeroGrad,
 * forward, loss, backward, optimizer step and onBatchEnd; then validation, the history entry, the
 * scheduler step, onEpochEnd, and a stop if a callback set `state.stopTraining`. The recorded `lr` is
 * that of the first parameter group during the epoch.
 */
export async function fit(model: Module, opts: FitOptions): Promise<History> {
  opts = optionsOf<FitOptions>('fit', opts) as FitOptions;
  const op = 'fit';
  if (!(model instanceof Module)) throw new TypeError('fit: model must be a tg.nn.Module');
  if (!opts || typeof opts !== 'object') throw new TypeError('fit: expected an options object');
  const { optimizer, scheduler, val } = opts;
  if (!optimizer || typeof optimizer.step !== 'function' || typeof optimizer.zeroGrad !== 'function' || !Array.isArray(optimizer.paramGroups) || optimizer.paramGroups.length === 0) {
    throw new TypeError('fit: optimizer must have step(), zeroGrad() and paramGroups');
  }
  const lossFn = resolveLoss(op, opts.loss);
  const train = checkLoader(op, 'train', opts.train);
  if (val !== undefined) checkLoader(op, 'val', val);
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`fit: epochs must be a positive integer, got ${describe(opts.epochs)}`);
  const first = (opts.initialEpoch ?? 0) + 1;
  if (!Number.isInteger(first) || first < 1 || first > opts.epochs) {
    throw new RangeError(`fit: initialEpoch must be an integer in [0, epochs - 1 = ${opts.epochs - 1}], got ${describe(opts.initialEpoch)}`);
  }
  if (scheduler !== undefined && typeof scheduler?.step !== 'function') throw new TypeError('fit: scheduler must have a step() method');
  const callbacks = opts.callbacks ?? [];
  if (!Array.isArray(callbacks) || !callbacks.every((c) => c instanceof Callback)) {
    throw new TypeError('fit: callbacks must be an array of tg.train.Callback instances');
  }
  const metrics = resolveMetrics(op, opts.metrics);
  const progress = EpochProgress.create(opts.progress, opts.epochs);
  const metricScheduler = scheduler !== undefined && isMetricScheduler(scheduler);

  const names = metrics.map((m) => m.name);
  const keys = ['epoch', 'loss', ...names, ...(val ? ['valLoss', ...names.map(valKey)] : []), 'lr'];
  const history = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as History;
  const state: TrainState = { model, optimizer, epochs: opts.epochs, history, stopTraining: false };
  const each = async (call: (c: Callback) => unknown): Promise<void> => {
    for (const c of callbacks) {
      const r = call(c);
      if (isThenable(r)) await r;
    }
  };

  model.train();
  await each((c) => c.onTrainBegin(state));
  try {
    for (let epoch = first; epoch <= opts.epochs && !state.stopTraining; epoch++) {
      await each((c) => c.onEpochBegin(epoch, state));
      const lr = optimizer.paramGroups[0].lr;
      progress?.start(epoch, train.length);
      const avg = new Averager();
      let b = 0;
      for (const batch of train) {
        const [inputs, target, n] = unpack(op, batch);
        optimizer.zeroGrad();
        const out = model.forward(...inputs) as Tensor;
        const l = scalarLoss(op, lossFn(out, target));
        l.backward();
        optimizer.step();
        const lv = l.item();
        avg.add(n, [['loss', lv], ...metrics.map((m): [string, number] => [m.name, metricValue(m, out, target)])]);
        progress?.batch(b + 1, avg.mean('loss'));
        await each((c) => c.onBatchEnd(b, { loss: lv, size: n }, state));
        b++;
      }
      if (avg.count === 0) throw new RangeError('fit: the training loader yielded no samples');
      const logs: Logs = { loss: avg.mean('loss') };
      for (const m of metrics) logs[m.name] = avg.mean(m.name);
      if (val) {
        const v = runEval(op, model, val, lossFn, metrics);
        for (const [k, x] of Object.entries(v)) logs[valKey(k)] = x;
      }
      logs.lr = lr;
      history.epoch.push(epoch);
      for (const [k, x] of Object.entries(logs)) history[k]!.push(x);
      progress?.end(epoch, logs);
      if (scheduler) {
        if (metricScheduler) scheduler.step(val ? logs.valLoss : logs.loss);
        else scheduler.step();
      }
      await each((c) => c.onEpochEnd(epoch, { ...logs }, state));
      await tick();
    }
  } catch (e) {
    progress?.abort();
    throw e;
  }
  await each((c) => c.onTrainEnd(state));
  return history;
}
