// plotLossLandscape: the 1-D line (trained point marked), the 2-D filled and labelled contours, or the
// 2-D grid as a 3-D surface.
import { writeFileSync } from 'node:fs';
import { Chart, checkPath, contourLevels, extent, padded, PALETTE } from './chart';
import type { LossLandscape } from './landscape';
import { surfaceSvg } from './surface';
import { describe } from '../validate';
import { fsCall } from '../io/fs-errors';

export interface PlotLossLandscapeOptions {
  /** 'line' for a 1-D result; 'contour' (default) or 'surface' for a 2-D one. */
  kind?: 'line' | 'contour' | 'surface';
  title?: string;
  /** Contour levels (default 12), log-spaced if `logLevels`. */
  levels?: number;
  logLevels?: boolean;
  /** A log loss axis for the line. */
  logY?: boolean;
}

/** Writes the landscape as SVG to `path` and returns the SVG text. */
export function plotLossLandscape(result: LossLandscape, path: string, opts: PlotLossLandscapeOptions = {}): string {
  const owner = 'plotLossLandscape';
  if (result === null || typeof result !== 'object' || !Array.isArray(result.alphas) || !Array.isArray(result.losses)) {
    throw new TypeError(`${owner}: result must be what lossLandscape returned ({alphas, betas?, losses})`);
  }
  checkPath(owner, path);
  const twoD = Array.isArray(result.betas);
  const kind = opts.kind ?? (twoD ? 'contour' : 'line');
  if (!['line', 'contour', 'surface'].includes(kind)) throw new TypeError(`${owner}: kind must be 'line', 'contour' or 'surface', got ${describe(kind)}`);
  if (twoD !== (kind !== 'line')) {
    throw new RangeError(`${owner}: kind '${kind}' needs a ${kind === 'line' ? '1-D' : '2-D'} landscape (lossLandscape with dims: ${kind === 'line' ? 1 : 2}), got a ${twoD ? '2-D' : '1-D'} one`);
  }
  const { alphas } = result;
  if (kind === 'line') {
    const losses = result.losses as number[];
    if (losses.length !== alphas.length) throw new RangeError(`${owner}: ${losses.length} losses for ${alphas.length} alphas`);
    const pts = alphas.map((a, i) => [a, losses[i]] as [number, number]);
    const [lo, hi] = extent(losses.filter((v) => !opts.logY || v > 0));
    const chart = new Chart(owner, {
      title: opts.title ?? 'Loss along a direction',
      x: { domain: [alphas[0], alphas[alphas.length - 1]], label: 'α (step along the direction)' },
      y: { domain: padded(lo, hi, opts.logY), label: 'loss', log: opts.logY },
    });
    chart.line('loss', pts, PALETTE[0]);
    if (Number.isFinite(result.center)) chart.marker([0, result.center], { color: '#d62728', shape: 'dot', r: 5, cls: 'trained', label: 'trained weights' });
    return chart.write(path);
  }
  const betas = result.betas as number[];
  const grid = result.losses as number[][];
  if (grid.length !== alphas.length || grid.some((row) => !Array.isArray(row) || row.length !== betas.length)) {
    throw new RangeError(`${owner}: losses must be ${alphas.length} rows of ${betas.length} values (losses[i][j] at alphas[i], betas[j])`);
  }
  if (kind === 'surface') {
    const svg = surfaceSvg(alphas, betas, grid, { title: opts.title ?? 'Loss surface', xLabel: 'α', yLabel: 'β', zLabel: 'loss' });
    fsCall(owner, path, () => writeFileSync(path, svg));
    return svg;
  }
  const chart = new Chart(owner, {
    title: opts.title ?? 'Loss contours',
    width: 600,
    height: 560,
    grid: false,
    x: { domain: [alphas[0], alphas[alphas.length - 1]], label: 'α', nice: false },
    y: { domain: [betas[0], betas[betas.length - 1]], label: 'β', nice: false },
  });
  chart.contours(alphas, betas, grid, contourLevels(grid.flat(), opts.levels ?? 12, opts.logLevels ?? false));
  chart.marker([0, 0], { color: '#d62728', shape: 'dot', r: 5, cls: 'trained' });
  return chart.write(path);
}
