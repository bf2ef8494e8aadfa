// plotHistory: an SVG line chart of loss and validation loss per epoch, with the best epoch marked
// (drawn by the chart module, src/viz/chart.ts).
import { Chart, checkPath, extent, padded, PALETTE } from '../viz/chart';
import type { History } from './types';

export interface PlotOptions {
  title?: string;
}

/** Writes an SVG chart of `history.loss` (and `history.valLoss`) per epoch to `path`; returns the SVG text. */
export function plotHistory(history: History, path: string, opts: PlotOptions = {}): string {
  if (history === null || typeof history !== 'object' || !Array.isArray(history.loss)) {
    throw new TypeError('plotHistory: history must be a fit History with a loss array');
  }
  checkPath('plotHistory', path);
  const n = history.loss.length;
  const epochs = Array.isArray(history.epoch) && history.epoch.length === n ? history.epoch : history.loss.map((_, i) => i + 1);
  const names = ['loss', ...(Array.isArray(history.valLoss) ? ['valLoss'] : [])];
  const series = names.map((name, k) => ({
    name,
    color: PALETTE[k],
    pts: (history[name] as number[]).map((y, i) => [epochs[i], y] as [number, number]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  }));
  const all = series.flatMap((s) => s.pts);
  if (all.length === 0) throw new RangeError('plotHistory: the history has no finite loss values to plot');
  const [ylo, yhi] = extent(all.map((p) => p[1]));
  const chart = new Chart('plotHistory', {
    title: opts.title ?? 'Training history',
    x: { domain: extent(all.map((p) => p[0])), label: 'epoch', integer: true, ticks: Math.min(10, Math.max(2, n - 1)) },
    y: { domain: padded(ylo, yhi), label: 'loss', ticks: 5 },
  });
  for (const s of series) chart.line(s.name, s.pts, s.color);
  const ref = series[series.length - 1].pts.length ? series[series.length - 1] : series[0];
  const best = ref.pts.reduce((a, p) => (p[1] < a[1] ? p : a), ref.pts[0]);
  if (best) chart.marker(best, { color: '#d62728', cls: 'best', data: { epoch: best[0] }, label: `best ${ref.name}: epoch ${best[0]}` });
  chart.legend(series.map((s) => ({ name: s.name, color: s.color })));
  return chart.write(path);
}
