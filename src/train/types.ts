// Structural types for what tg.train drives: any optimizer, scheduler and loader of this shape works.
import type { Tensor } from '../tensor';
import type { Module } from '../nn/module';

/** What fit needs from an optimizer (tg.optim.* satisfy it). */
export interface OptimizerLike {
  step(): void;
  zeroGrad(opts?: { setToNone?: boolean }): void;
  paramGroups: { lr: number }[];
}

/**
 * What fit needs from a learning-rate scheduler (tg.optim.lrScheduler.* satisfy it). fit calls `step()`
 * once per epoch, or `step(monitoredValue)` for a metric-driven scheduler (see `isMetricScheduler`).
 */
export interface SchedulerLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- `step()` and `step(metric)` schedulers both fit
  step(metric?: any): void;
}

/** Batches of tensors `[...inputs, target]` with a known number of batches (a DataLoader or an array). */
export type Loader = Iterable<readonly Tensor[]> & { readonly length: number };

/** A loss: a function `(output, target) => scalar tensor` or a loss module (mean reduction assumed). */
export type LossLike = ((output: Tensor, target: Tensor) => Tensor) | Module;

/** Values of one epoch (or one evaluation) by name: `loss`, `valLoss`, metrics, `valAccuracy`, `lr`. */
export type Logs = Record<string, number>;

/**
 * The record of a fit: one entry per epoch in each array. `epoch` counts from 1. `valLoss` and the
 * `val<Metric>` arrays are present when a validation loader was given; each metric has its own array.
 */
export interface History {
  epoch: number[];
  loss: number[];
  lr: number[];
  valLoss?: number[];
  [key: string]: number[] | undefined;
}
