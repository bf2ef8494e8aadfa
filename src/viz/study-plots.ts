// Study charts (Optuna's plot_optimization_history and plot_slice): each complete trial's value by trial
// number with the best value so far, and the value against each parameter, one panel per parameter.
import type { FrozenTrial } from '../tune/frozen-trial';
import type { Study } from '../tune/study';
import { Chart, checkPath, colorScale, extent, padded, PALETTE, sideBySide, writeSvg, type AxisOptions } from './chart';

const BEST = '#d62728';

function completeTrials(owner: string, study: Study, path: string): FrozenTrial[] {
  if (study === null || typeof study !== 'object' || !Array.isArray(study.trials)) throw new TypeError(`${owner}: study must be a tg.tune study`);
  checkPath(owner, path);
  const done = study.trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  if (done.length === 0) throw new RangeError(`${owner}: study '${study.studyName}' has no complete trial with a finite value to plot`);
  return done;
}

/** The value axis shared by both plots: the trials' values with some room at each end. */
const valueAxis = (trials: readonly FrozenTrial[]): AxisOptions => ({ domain: padded(...extent(trials.map((t) => t.value!))), label: 'objective value' });

/** Writes an SVG of each complete trial's value by trial number and the best value so far; returns the SVG. */
export function plotOptimizationHistory(study: Study, path: string): string {
  const owner = 'plotOptimizationHistory';
  const trials = completeTrials(owner, study, path);
  const [first, last] = extent(trials.map((t) => t.number));
  const chart = new Chart(owner, {
    title: `Optimization history (${study.direction})`,
    // Half a trial of room at each end keeps the first and last dots off the frame.
    x: { domain: [first - 0.5, last + 0.5], label: 'trial', integer: true, nice: false },
    y: valueAxis(trials),
  });
  const better = study.direction === 'maximize' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  // A step line: level until a trial improves on the best, then straight down (or up) to its value.
  let best = trials[0].value!;
  const steps: [number, number][] = [];
  for (const t of trials) {
    if (better(t.value!, best)) {
      steps.push([t.number, best]);
      best = t.value!;
    }
    steps.push([t.number, best]);
  }
  chart.line('best value', steps, BEST, { cls: 'best' });
  for (const t of trials) chart.marker([t.number, t.value!], { color: PALETTE[0], shape: 'dot', r: 3, cls: 'trial', data: { trial: t.number, value: t.value! } });
  chart.legend([
    { name: 'objective value', color: PALETTE[0], dot: true },
    { name: 'best value', color: BEST },
  // The best line ends low when minimizing and high when maximizing: the legend goes where it is not.
  ], study.direction === 'maximize' ? 'bottom-right' : 'top-right');
  return chart.write(path);
}

/** The x axis of one slice panel and each trial's position on it. */
function paramAxis(name: string, trials: readonly FrozenTrial[]): { axis: AxisOptions; at: (t: FrozenTrial) => number } {
  const dist = trials[0].distributions[name];
  if (dist.kind === 'categorical') {
    return { axis: { domain: [0, dist.choices.length - 1], label: name, categories: dist.choices.map(String) }, at: (t) => t.internalParams[name] };
  }
  const at = (t: FrozenTrial) => t.params[name] as number;
  const [lo, hi] = extent(trials.map(at));
  if (dist.log) return { axis: { domain: [lo, hi], label: name, log: true }, at };
  const pad = 0.05 * (hi - lo);
  return { axis: { domain: [lo - pad, hi + pad], label: name, integer: dist.kind === 'int' }, at };
}

/**
 * Writes an SVG with one panel per parameter (by name), the objective value against the parameter's
 * value, dots coloured from dark (early trials) to bright (late); returns the SVG.
 */
export function plotSlice(study: Study, path: string): string {
  const owner = 'plotSlice';
  const trials = completeTrials(owner, study, path);
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  if (names.length === 0) throw new RangeError(`${owner}: the trials of study '${study.studyName}' have no parameters`);
  const y = valueAxis(trials);
  const color = colorScale(0, trials.length - 1);
  const panels = names.map((name, k) => {
    const withParam = trials.filter((t) => name in t.params);
    const { axis, at } = paramAxis(name, withParam);
    const chart = new Chart(owner, { title: k === 0 ? 'Slice plot' : undefined, width: 360, x: axis, y });
    for (const t of withParam) {
      chart.marker([at(t), t.value!], { color: color(trials.indexOf(t)), shape: 'dot', r: 3.5, cls: 'trial', data: { trial: t.number, x: String(t.params[name]), value: t.value! } });
    }
    return { chart, data: { param: name } };
  });
  return writeSvg(owner, path, sideBySide(panels));
}
