// plotRuns: one metric of several fit histories in one chart; plotSchedules: the learning rate per
// epoch of several schedulers, each driving its own throwaway optimizer.
import { zeros } from '../ops/creation';
import { SGD } from '../optim/sgd';
import type { Optimizer } from '../optim/optimizer';
import { isMetricScheduler } from '../train/fit';
import type { History, SchedulerLike } from '../train/types';
import { Chart, checkPath, extent, padded, PALETTE } from './chart';
import { describe } from './args';

function checkRecord(owner: string, what: string, v: unknown): [string, unknown][] {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length === 0) {
    throw new TypeError(`${owner}: ${what} must be a non-empty object {label: ...}, got ${describe(v)}`);
  }
  return Object.entries(v);
}

export interface PlotRunsOptions {
  /** The History key to draw (default 'loss'; e.g. 'valLoss', 'accuracy', 'lr'). */
  metric?: string;
  logY?: boolean;
  title?: string;
}

/** Writes one line per run (label -> History) of `history[metric]` per epoch; returns the SVG. */
export function plotRuns(runs: Record<string, History>, path: string, opts: PlotRunsOptions = {}): string {
  const owner = 'plotRuns';
  const entries = checkRecord(owner, 'runs', runs);
  checkPath(owner, path);
  const metric = opts.metric ?? 'loss';
  const series = entries.map(([label, h], k) => {
    const ys = (h as History | null)?.[metric];
    if (!Array.isArray(ys)) throw new TypeError(`${owner}: runs['${label}'] has no '${metric}' array (keys: ${h && typeof h === 'object' ? Object.keys(h).join(', ') : describe(h)})`);
    const ep = Array.isArray((h as History).epoch) && (h as History).epoch.length === ys.length ? (h as History).epoch : ys.map((_, i) => i + 1);
    return { label, color: PALETTE[k % PALETTE.length], pts: ys.map((y, i) => [ep[i], y] as [number, number]) };
  });
  const shown = series.flatMap((s) => s.pts).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!opts.logY || y > 0));
  if (shown.length === 0) throw new RangeError(`${owner}: no finite${opts.logY ? ' positive' : ''} '${metric}' values to plot`);
  const [ylo, yhi] = extent(shown.map((p) => p[1]));
  const chart = new Chart(owner, {
    title: opts.title ?? `${metric} per epoch`,
    x: { domain: extent(shown.map((p) => p[0])), label: 'epoch', integer: true },
    y: { domain: padded(ylo, yhi, opts.logY), label: metric, log: opts.logY },
  });
  for (const s of series) chart.line(s.label, s.pts, s.color);
  chart.legend(series.map((s) => ({ name: s.label, color: s.color })));
  return chart.write(path);
}

export type SchedulerFactory = (optimizer: Optimizer) => SchedulerLike;

export interface ScheduleOptions {
  /** The throwaway optimizers' learning rate (default 0.1). */
  lr?: number;
  /** What a metric-driven scheduler (ReduceLROnPlateau) is stepped with at each epoch (default: a constant 1, a plateau). */
  metric?: (epoch: number) => number;
}

/** Each scheduler's learning rate at epochs 0 .. epochs-1 (the rate used in that epoch; step() after each). */
export function scheduleLrs(schedulers: Record<string, SchedulerFactory>, epochs: number, opts: ScheduleOptions = {}, owner = 'scheduleLrs'): Record<string, number[]> {
  const entries = checkRecord(owner, 'schedulers', schedulers);
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`${owner}: epochs must be a positive integer, got ${describe(epochs)}`);
  const lr = opts.lr ?? 0.1;
  if (typeof lr !== 'number' || !(lr > 0)) throw new RangeError(`${owner}: lr must be a positive number, got ${describe(lr)}`);
  const metric = opts.metric ?? (() => 1);
  const out: Record<string, number[]> = {};
  for (const [label, make] of entries) {
    if (typeof make !== 'function') throw new TypeError(`${owner}: schedulers['${label}'] must be a function (optimizer) => scheduler, got ${describe(make)}`);
    const optimizer = new SGD([zeros([1], { requiresGrad: true })], { lr });
    const s = (make as SchedulerFactory)(optimizer);
    if (s === null || typeof s !== 'object' || typeof s.step !== 'function') throw new TypeError(`${owner}: schedulers['${label}'] must return a scheduler (with step()), got ${describe(s)}`);
    const byMetric = isMetricScheduler(s);
    const lrs: number[] = [];
    for (let e = 0; e < epochs; e++) {
      lrs.push(optimizer.paramGroups[0].lr);
      if (byMetric) s.step(metric(e));
      else s.step();
    }
    out[label] = lrs;
  }
  return out;
}

export interface PlotSchedulesOptions extends ScheduleOptions {
  logY?: boolean;
  title?: string;
}

/** Writes the learning rate per epoch of every scheduler (label -> factory) in one chart; returns the SVG. */
export function plotSchedules(schedulers: Record<string, SchedulerFactory>, epochs: number, path: string, opts: PlotSchedulesOptions = {}): string {
  const owner = 'plotSchedules';
  checkPath(owner, path);
  const lrs = scheduleLrs(schedulers, epochs, opts, owner);
  const runs = Object.fromEntries(Object.entries(lrs).map(([k, v]) => [k, { epoch: v.map((_, i) => i), loss: [], lr: v }]));
  return plotRuns(runs, path, { metric: 'lr', logY: opts.logY, title: opts.title ?? 'Learning rate per epoch' });
}
