// plotLrFind: the smoothed loss of the learning-rate range test against the rate (log axis), with the
// suggested rate marked.
import type { LrFindResult } from '../train/lr-find';
import { Chart, checkPath, extent, padded, PALETTE } from './chart';

export interface PlotLrFindOptions {
  title?: string;
  /** Also draw the raw batch losses (default true when the result has them). */
  raw?: boolean;
}

export function plotLrFind(result: LrFindResult, path: string, opts: PlotLrFindOptions = {}): string {
  const owner = 'plotLrFind';
  if (result === null || typeof result !== 'object' || !Array.isArray(result.lrs) || !Array.isArray(result.losses) || result.lrs.length !== result.losses.length) {
    throw new TypeError(`${owner}: result must be what tg.train.lrFind returned ({lrs, losses} of equal length)`);
  }
  checkPath(owner, path);
  const { lrs, losses } = result;
  const raw = opts.raw !== false && Array.isArray(result.rawLosses) && result.rawLosses.length === lrs.length ? result.rawLosses : null;
  // The y range is the smoothed curve's before the divergent last step (which leaves the chart upwards,
  // clipped) so that the descent is not squashed; raw losses outside it are clipped too.
  const [lo, hi] = extent(result.diverged && losses.length > 2 ? losses.slice(0, -1) : losses);
  if (!Number.isFinite(lo)) throw new RangeError(`${owner}: no finite losses to plot`);
  const chart = new Chart(owner, {
    title: opts.title ?? 'Learning-rate range test',
    x: { domain: [lrs[0], lrs[lrs.length - 1]], label: 'learning rate', log: true },
    y: { domain: padded(lo, hi), label: 'loss' },
  });
  const legend = [];
  if (raw) {
    chart.line('raw', lrs.map((r, i) => [r, raw[i]]), '#bbbbbb', { width: 1 });
    legend.push({ name: 'batch loss', color: '#bbbbbb' });
  }
  chart.line('smoothed', lrs.map((r, i) => [r, losses[i]]), PALETTE[0]);
  legend.push({ name: 'smoothed loss', color: PALETTE[0] });
  if (Number.isFinite(result.suggestion)) {
    const k = lrs.indexOf(result.suggestion);
    if (k >= 0) chart.marker([lrs[k], losses[k]], { color: '#d62728', shape: 'dot', r: 5, cls: 'suggestion', label: `suggested lr ${Number(result.suggestion.toPrecision(2))}` });
  }
  chart.legend(legend);
  return chart.write(path);
}
