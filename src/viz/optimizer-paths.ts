// optimizerPaths: every given tg.optim optimizer run from the same start on a 2-D surface, with
// gradients from the tape; plotOptimizerPaths draws the surface's contours and the paths over them.
import { Tensor } from '../tensor';
import type { DType } from '../dtype';
import { tensor } from '../ops/creation';
import { noGrad } from '../autograd/grad-mode';
import { Chart, contourLevels, extent, PALETTE } from './chart';
import { SURFACES, SurfaceFn, SurfaceName } from './test-functions';
import { describe, linspace } from './args';

/** Anything with an optimizer's `step` and `zeroGrad` (every tg.optim optimizer). */
export interface StepOptimizer {
  step(): unknown;
  zeroGrad(opts?: { setToNone?: boolean }): void;
}

export interface OptimizerPathsOptions {
  fn: SurfaceName | SurfaceFn;
  start: [number, number];
  steps: number;
  /** label -> a function making an optimizer over the given parameter list (one 2-element tensor). */
  optimizers: Record<string, (params: Tensor[]) => StepOptimizer>;
  dtype?: DType;
}

/** A run: the points visited (the start and the point after each step) and the loss at each. */
export interface OptimizerPath {
  path: [number, number][];
  losses: number[];
}
export type OptimizerPathsResult = Record<string, OptimizerPath>;

/** The surface each result was computed on, so that plotOptimizerPaths can draw it. */
const surfaceOf = new WeakMap<object, { fn: SurfaceFn; name?: SurfaceName }>();

function resolveFn(owner: string, fn: unknown): { fn: SurfaceFn; name?: SurfaceName } {
  if (typeof fn === 'function') return { fn: fn as SurfaceFn };
  if (typeof fn === 'string' && fn in SURFACES) return { fn: SURFACES[fn as SurfaceName].fn, name: fn as SurfaceName };
  throw new TypeError(`${owner}: fn must be 'rosenbrock', 'beale', 'himmelblau', 'ravine' or a function (xy: Tensor) => Tensor, got ${typeof fn === 'string' ? `'${fn}'` : describe(fn)}`);
}

/** Evaluates a surface at `xy` (a 2-element tensor) and checks that it gave a scalar. */
function evaluate(owner: string, fn: SurfaceFn, xy: Tensor): Tensor {
  const v = fn(xy);
  if (!(v instanceof Tensor)) throw new TypeError(`${owner}: fn must return a Tensor, got ${describe(v)}`);
  if (v.size !== 1) throw new RangeError(`${owner}: fn must return a scalar, got shape [${v.shape.join(', ')}]`);
  return v;
}

/** Runs every optimizer for `steps` steps from `start` on `fn` and returns each path with its losses. */
export function optimizerPaths(opts: OptimizerPathsOptions): OptimizerPathsResult {
  const owner = 'optimizerPaths';
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${owner}: expected an options object, got ${describe(opts)}`);
  const surface = resolveFn(owner, opts.fn);
  const { start, steps, optimizers } = opts;
  const dtype = opts.dtype ?? 'float64';
  if (dtype !== 'float64' && dtype !== 'float32') throw new TypeError(`${owner}: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
  if (!Array.isArray(start) || start.length !== 2 || !start.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`${owner}: start must be [x, y], two finite numbers`);
  }
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${owner}: steps must be a positive integer, got ${describe(steps)}`);
  if (optimizers === null || typeof optimizers !== 'object' || Object.keys(optimizers).length === 0) {
    throw new TypeError(`${owner}: optimizers must be a non-empty object {label: (params) => optimizer}`);
  }
  const result: OptimizerPathsResult = {};
  for (const [label, make] of Object.entries(optimizers)) {
    if (typeof make !== 'function') throw new TypeError(`${owner}: optimizers['${label}'] must be a function (params) => optimizer, got ${describe(make)}`);
    const xy = tensor(start, { dtype, requiresGrad: true });
    const opt = make([xy]);
    if (opt === null || typeof opt !== 'object' || typeof opt.step !== 'function' || typeof opt.zeroGrad !== 'function') {
      throw new TypeError(`${owner}: optimizers['${label}'] must return an optimizer (with step and zeroGrad), got ${describe(opt)}`);
    }
    const path: [number, number][] = [];
    const losses: number[] = [];
    for (let k = 0; k <= steps; k++) {
      opt.zeroGrad();
      const loss = evaluate(owner, surface.fn, xy);
      const p = xy.data();
      path.push([p[0], p[1]]);
      losses.push(loss.item());
      if (k === steps) break;
      loss.backward();
      opt.step();
    }
    result[label] = { path, losses };
  }
  surfaceOf.set(result, surface);
  return result;
}

export interface PlotOptimizerPathsOptions {
  /** The surface, when the result did not come from optimizerPaths (or to draw another). */
  fn?: SurfaceName | SurfaceFn;
  /** The window; by default the named surface's, or the paths' extent with a margin. */
  xRange?: [number, number];
  yRange?: [number, number];
  title?: string;
  /** Contour levels (default 14), log-spaced by default (the surfaces span many decades). */
  levels?: number;
  logLevels?: boolean;
  /** Grid points per axis for the contours (default 120). */
  resolution?: number;
}

/** Evaluates `fn` on an n x m grid (values[i][j] at xs[i], ys[j]) in float64 without recording. */
export function surfaceGrid(fn: SurfaceFn, xs: number[], ys: number[]): number[][] {
  return noGrad(() => xs.map((x) => ys.map((y) => evaluate('plotOptimizerPaths', fn, tensor([x, y], { dtype: 'float64' })).item())));
}

/** Writes the surface's contours with every path in its own colour, start and end marked, and a legend. */
export function plotOptimizerPaths(result: OptimizerPathsResult, path: string, opts: PlotOptimizerPathsOptions = {}): string {
  const owner = 'plotOptimizerPaths';
  if (result === null || typeof result !== 'object' || Object.keys(result).length === 0) throw new TypeError(`${owner}: result must be what optimizerPaths returned`);
  for (const [label, r] of Object.entries(result)) {
    if (r === null || typeof r !== 'object' || !Array.isArray(r.path) || r.path.length === 0) {
      throw new TypeError(`${owner}: result['${label}'] must be {path: [x, y][], losses: number[]}`);
    }
  }
  const surface = opts.fn !== undefined ? resolveFn(owner, opts.fn) : surfaceOf.get(result);
  if (surface === undefined) throw new TypeError(`${owner}: pass {fn} to say which surface the paths ran on (the result did not come from optimizerPaths)`);
  const named = surface.name !== undefined ? SURFACES[surface.name] : undefined;
  const pts = Object.values(result).flatMap((r) => r.path);
  const around = (k: 0 | 1): [number, number] => {
    const [lo, hi] = extent(pts.map((p) => p[k]));
    const pad = 0.15 * (hi - lo || 1);
    return [lo - pad, hi + pad];
  };
  const xRange = opts.xRange ?? named?.xRange ?? around(0);
  const yRange = opts.yRange ?? named?.yRange ?? around(1);
  const res = opts.resolution ?? 120;
  const xs = linspace(xRange[0], xRange[1], res), ys = linspace(yRange[0], yRange[1], res);
  const grid = surfaceGrid(surface.fn, xs, ys);
  const log = opts.logLevels ?? true;
  const chart = new Chart(owner, {
    title: opts.title ?? (surface.name ? `Optimizer paths on ${surface.name}` : 'Optimizer paths'),
    width: 720,
    height: 560,
    grid: false,
    x: { domain: xRange, label: 'x', nice: false },
    y: { domain: yRange, label: 'y', nice: false },
  });
  chart.contours(xs, ys, grid, contourLevels(grid.flat(), opts.levels ?? 14, log));
  const entries = Object.entries(result).map(([label, r], i) => {
    const color = PALETTE[i % PALETTE.length];
    chart.line(label, r.path, color, { width: 2 });
    return { label, r, color };
  });
  for (const { label, r, color } of entries) {
    chart.marker(r.path[r.path.length - 1], { color, shape: 'square', r: 4, cls: 'end', data: { series: label } });
  }
  chart.marker(entries[0].r.path[0], { color: 'white', shape: 'dot', r: 6, cls: 'start' });
  if (named?.minimum) chart.marker(named.minimum, { color: '#ffffff', shape: 'circle', r: 5, cls: 'minimum' });
  chart.legend(entries.map((e) => ({ name: e.label, color: e.color })));
  return chart.write(path);
}
