// The one chart module: an SVG frame with d3 scales (nice ticks, log axes), d3-shape lines,
// d3-contour filled contours, markers and a legend. Every tg chart (plotHistory, tg.viz.*) is built
// from it; the output is plain SVG text, so no browser or canvas is needed.
import { writeFileSync } from 'node:fs';
import { contours, line, scaleLinear, scaleLog } from './d3';
import { fsCall } from '../io/fs-errors';

/** Tableau 10, the categorical palette of matplotlib and d3 (`schemeCategory10`). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Stops of a perceptually ordered ramp (viridis, sampled at 0, 1/4, ..., 1) for values low to high. */
const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** ` data-k="v"` for each entry (escaped). */
const dataAttrs = (data: Record<string, string | number> = {}): string =>
  Object.entries(data).map(([k, v]) => ` data-${k}="${esc(String(v))}"`).join('');

/** Pixel coordinates rounded to 1/100 (the same rounding as the lines' path data). */
export const px = (v: number): string => String(Math.round(v * 100) / 100);

export interface Scale {
  (v: number): number;
  ticks(count?: number): number[];
  tickFormat(count?: number, spec?: string): (v: number) => string;
  domain(): number[];
}

export interface AxisOptions {
  domain: [number, number];
  label?: string;
  log?: boolean;
  /** Only integer ticks (epochs, steps). */
  integer?: boolean;
  /** Extend the domain to round tick values (default true). */
  nice?: boolean;
  ticks?: number;
  /** A categorical axis: category i at value i, ticks labelled by name (the domain is [-0.5, n - 0.5]). */
  categories?: readonly string[];
}

export interface ChartOptions {
  title?: string;
  width?: number;
  height?: number;
  x: AxisOptions;
  y: AxisOptions;
  /** Horizontal grid lines (default true). */
  grid?: boolean;
  /** Extra right margin, e.g. for a colour bar. */
  rightMargin?: number;
}

export interface LegendEntry {
  name: string;
  color: string;
  dash?: string;
  /** Shown as a dot (for markers) instead of a line. */
  dot?: boolean;
}

/** A finite (and, on a log axis, positive) domain with some width. */
function usableDomain(owner: string, axis: string, a: AxisOptions): [number, number] {
  let [lo, hi] = a.domain;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`${owner}: no finite values for the ${axis} axis`);
  if (a.log && (lo <= 0 || hi <= 0)) throw new RangeError(`${owner}: a log ${axis} axis needs positive values, got [${lo}, ${hi}]`);
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    if (a.log) [lo, hi] = [lo / 2, hi * 2];
    else {
      const pad = a.integer ? 1 : Math.abs(lo) * 0.1 || 1;
      [lo, hi] = [lo - pad, hi + pad];
    }
  }
  return [lo, hi];
}

function makeScale(owner: string, axis: string, a: AxisOptions, range: [number, number]): Scale {
  if (a.categories) return scaleLinear().domain([-0.5, a.categories.length - 0.5]).range(range) as unknown as Scale;
  const domain = usableDomain(owner, axis, a);
  const s = (a.log ? scaleLog() : scaleLinear()).domain(domain).range(range);
  if (a.nice !== false) s.nice(a.ticks ?? 6);
  return s as unknown as Scale;
}

/** `path` must be a non-empty string; the SVG is written there and returned. */
export function checkPath(owner: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') throw new TypeError(`${owner}: path must be a non-empty string`);
  return path;
}

/** Writes `svg` to `path` and returns it. */
export function writeSvg(owner: string, path: string, svg: string): string {
  fsCall(owner, path, () => writeFileSync(checkPath(owner, path), svg));
  return svg;
}

const svgOpen = (w: number, h: number): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`;

/** An axis-framed SVG chart; add lines, markers, contours and a legend, then `write(path)`. */
export class Chart {
  readonly width: number;
  readonly height: number;
  readonly left = 70;
  readonly top = 40;
  readonly bottom = 50;
  readonly right: number;
  readonly x: Scale;
  readonly y: Scale;
  /** The plot area's contents (clipped to it). */
  private readonly body: string[] = [];
  /** Drawn over the plot area, unclipped (markers' labels, legend). */
  private readonly over: string[] = [];
  private readonly frame: string[] = [];
  private readonly opts: ChartOptions;
  private readonly owner: string;

  constructor(owner: string, opts: ChartOptions) {
    this.owner = owner;
    this.opts = opts;
    this.width = opts.width ?? 640;
    this.height = opts.height ?? 400;
    this.right = 20 + (opts.rightMargin ?? 0);
    this.x = makeScale(owner, 'x', opts.x, [this.left, this.width - this.right]);
    this.y = makeScale(owner, 'y', opts.y, [this.height - this.bottom, this.top]);
    this.drawFrame();
  }

  private tickValues(s: Scale, a: AxisOptions): { v: number; label: string }[] {
    if (a.categories) return a.categories.map((label, v) => ({ v, label }));
    const n = a.ticks ?? 6;
    let ticks = s.ticks(n);
    if (a.integer) ticks = ticks.filter((v) => Number.isInteger(v));
    const fmt = a.log ? s.tickFormat(n, '~g') : s.tickFormat(n);
    return ticks.map((v) => ({ v, label: a.integer ? String(v) : fmt(v) }));
  }

  private drawFrame(): void {
    const { width: W, height: H, left: L, right: R, top: T, bottom: B, opts } = this;
    const yt = this.tickValues(this.y, opts.y).filter((t) => t.label !== '');
    const xt = this.tickValues(this.x, opts.x).filter((t) => t.label !== '');
    this.frame.push(`<rect width="${W}" height="${H}" fill="white"/>`);
    if (opts.title !== undefined) this.frame.push(`<text x="${W / 2}" y="${T / 2 + 4}" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`);
    if (opts.grid !== false) {
      this.frame.push(`<g class="grid" stroke="#ddd">`, ...yt.map((t) => `<line x1="${L}" x2="${W - R}" y1="${px(this.y(t.v))}" y2="${px(this.y(t.v))}"/>`), `</g>`);
    }
    this.frame.push(
      `<g class="y-ticks" text-anchor="end">`,
      ...yt.map((t) => `<text x="${L - 6}" y="${px(this.y(t.v) + 4)}">${esc(t.label)}</text>`),
      `</g>`,
      `<g class="x-ticks" text-anchor="middle">`,
      ...xt.map((t) => `<text x="${px(this.x(t.v))}" y="${H - B + 16}">${esc(t.label)}</text>`),
      `</g>`,
    );
    if (opts.x.label !== undefined) this.frame.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.x.label)}</text>`);
    if (opts.y.label !== undefined) {
      this.frame.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.y.label)}</text>`);
    }
  }

  /** Data coordinates that the axes can show (finite; positive on a log axis). */
  visible(p: readonly [number, number]): boolean {
    const ok = (v: number, a: AxisOptions) => Number.isFinite(v) && (!a.log || v > 0);
    return ok(p[0], this.opts.x) && ok(p[1], this.opts.y);
  }

  /** A polyline through the points (gaps where a point is not visible), as a d3-shape path. */
  line(name: string, points: readonly (readonly [number, number])[], color: string, o: { width?: number; dash?: string; cls?: string } = {}): void {
    const gen = line<readonly [number, number]>()
      .defined((p) => this.visible(p))
      .x((p) => this.x(p[0]))
      .y((p) => this.y(p[1]))
      .digits(2);
    const d = gen(points);
    const dash = o.dash ? ` stroke-dasharray="${o.dash}"` : '';
    if (d) {
      this.body.push(
        `<path class="${o.cls ?? 'series'}" data-series="${esc(name)}" d="${d}" fill="none" stroke="${color}" stroke-width="${o.width ?? 2}"${dash} stroke-linejoin="round"/>`,
      );
    }
    const shown = points.filter((p) => this.visible(p));
    if (shown.length === 1) this.body.push(`<circle cx="${px(this.x(shown[0][0]))}" cy="${px(this.y(shown[0][1]))}" r="3" fill="${color}"/>`);
  }

  /** A marker at a data point: circle (outline), dot (filled) or square; optional label above it. */
  marker(
    p: readonly [number, number],
    o: { color: string; shape?: 'circle' | 'dot' | 'square'; r?: number; cls?: string; label?: string; data?: Record<string, string | number> },
  ): void {
    if (!this.visible(p)) return;
    const [cx, cy] = [this.x(p[0]), this.y(p[1])];
    const r = o.r ?? 6;
    const attrs = `${o.cls ? ` class="${o.cls}"` : ''}${dataAttrs(o.data)}`;
    const shape = o.shape ?? 'circle';
    if (shape === 'square') {
      this.over.push(`<rect${attrs} x="${px(cx - r)}" y="${px(cy - r)}" width="${2 * r}" height="${2 * r}" fill="${o.color}" stroke="black"/>`);
    } else {
      const paint = shape === 'dot' ? `fill="${o.color}" stroke="black"` : `fill="none" stroke="${o.color}" stroke-width="2"`;
      this.over.push(`<circle${attrs} cx="${px(cx)}" cy="${px(cy)}" r="${r}" ${paint}/>`);
    }
    if (o.label !== undefined) this.over.push(`<text x="${px(cx)}" y="${px(cy - r - 4)}" text-anchor="middle" fill="${o.color}">${esc(o.label)}</text>`);
  }

  /** Filled contours of a grid of values (`values[i][j]` at `xs[i]`, `ys[j]`, evenly spaced), with isolines and labels. */
  contours(xs: readonly number[], ys: readonly number[], values: readonly (readonly number[])[], thresholds: readonly number[], o: { labels?: boolean } = {}): void {
    const n = xs.length, m = ys.length;
    const flat = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) flat[i + j * n] = values[i][j];
    // Colours follow the levels' order, so log-spaced levels use the whole ramp too.
    const ramp = colorScale(0, Math.max(1, thresholds.length - 1));
    const color = (v: number) => ramp(Math.max(0, thresholds.indexOf(v)));
    // d3-contour puts sample i at grid coordinate i + 0.5; its rings run half a cell outside the samples.
    const gx = (g: number) => this.x(xs[0] + (Math.min(Math.max(g, 0.5), n - 0.5) - 0.5) * ((xs[n - 1] - xs[0]) / (n - 1)));
    const gy = (g: number) => this.y(ys[0] + (Math.min(Math.max(g, 0.5), m - 0.5) - 0.5) * ((ys[m - 1] - ys[0]) / (m - 1)));
    const ring = line<number[]>().x((p) => gx(p[0])).y((p) => gy(p[1])).digits(2);
    const polys = contours().size([n, m]).thresholds(thresholds as number[])(Array.from(flat));
    this.body.push(`<g class="contours">`, `<rect x="${this.left}" y="${this.top}" width="${this.width - this.left - this.right}" height="${this.height - this.top - this.bottom}" fill="${color(thresholds[0])}"/>`);
    const labels: string[] = [];
    for (const g of polys) {
      if (g.coordinates.length === 0) continue;
      const d = g.coordinates.flatMap((poly) => poly.map((r) => `${ring(r)}Z`)).join('');
      this.body.push(`<path class="level" data-value="${g.value}" d="${d}" fill="${color(g.value)}" stroke="#222" stroke-opacity="0.45" stroke-width="0.7"/>`);
      if (o.labels !== false) {
        // Label each level once, in the middle of the ring with the most points inside the grid (not on its border).
        const inside = g.coordinates
          .flat()
          .map((r) => r.filter((p) => p[0] > 0.6 && p[0] < n - 0.6 && p[1] > 0.6 && p[1] < m - 0.6))
          .reduce((a, b) => (b.length > a.length ? b : a));
        if (inside.length > 2) {
          const p = inside[Math.floor(inside.length / 2)];
          labels.push(
            `<text class="level-label" x="${px(gx(p[0]))}" y="${px(gy(p[1]) + 3)}" text-anchor="middle" font-size="9" fill="black" stroke="white" stroke-width="2.5" paint-order="stroke">${esc(formatLevel(g.value))}</text>`,
          );
        }
      }
    }
    this.body.push(...labels, `</g>`);
  }

  /** A legend box in the top-right (or bottom-right) corner of the plot area. */
  legend(entries: readonly LegendEntry[], corner: 'top-right' | 'bottom-right' = 'top-right'): void {
    if (entries.length === 0) return;
    const w = 24 + 8 + 8 * Math.max(...entries.map((e) => e.name.length)) + 12;
    const h = entries.length * 18 + 8;
    const x0 = this.width - this.right - w - 6, y0 = corner === 'top-right' ? this.top + 6 : this.height - this.bottom - h - 6;
    this.over.push(`<g class="legend">`, `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="white" fill-opacity="0.85" stroke="#bbb"/>`);
    entries.forEach((e, i) => {
      const y = y0 + 13 + 18 * i;
      const dash = e.dash ? ` stroke-dasharray="${e.dash}"` : '';
      this.over.push(
        e.dot
          ? `<circle cx="${x0 + 18}" cy="${y}" r="3.5" fill="${e.color}" stroke="black"/>`
          : `<line x1="${x0 + 6}" x2="${x0 + 30}" y1="${y}" y2="${y}" stroke="${e.color}" stroke-width="2"${dash}/>`,
        `<text x="${x0 + 36}" y="${y + 4}">${esc(e.name)}</text>`,
      );
    });
    this.over.push(`</g>`);
  }

  /** The chart's elements without the <svg> wrapper; `clipId` must be unique in the document. */
  elements(clipId = 'plot-area'): string[] {
    const { width: W, height: H, left: L, right: R, top: T, bottom: B } = this;
    return [
      this.frame[0],
      `<clipPath id="${clipId}"><rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}"/></clipPath>`,
      ...this.frame.slice(1),
      `<g clip-path="url(#${clipId})">`,
      ...this.body,
      `</g>`,
      `<path d="M${L} ${T}V${H - B}H${W - R}" fill="none" stroke="black"/>`,
      ...this.over,
    ];
  }

  toString(): string {
    return [svgOpen(this.width, this.height), ...this.elements(), `</svg>`, ''].join('\n');
  }

  /** Writes the SVG to `path` and returns its text. */
  write(path: string): string {
    return writeSvg(this.owner, path, this.toString());
  }
}

/**
 * Charts side by side in one SVG, left to right: each is a `<g class="panel">` (with the given data-*
 * attributes) moved right by the widths of the charts before it.
 */
export function sideBySide(panels: readonly { chart: Chart; data?: Record<string, string | number> }[]): string {
  const out: string[] = [];
  let x = 0;
  panels.forEach(({ chart, data }, k) => {
    out.push(`<g class="panel"${dataAttrs(data)} transform="translate(${x} 0)">`, ...chart.elements(`plot-area-${k}`), `</g>`);
    x += chart.width;
  });
  return [svgOpen(x, Math.max(...panels.map((p) => p.chart.height))), ...out, `</svg>`, ''].join('\n');
}

/** Low values dark, high values bright (viridis stops), linear in the value. */
export function colorScale(lo: number, hi: number): (v: number) => string {
  const k = RAMP.length - 1;
  const span = hi > lo ? hi - lo : 1;
  return scaleLinear<string>().domain(RAMP.map((_, i) => lo + (span * i) / k)).range(RAMP).clamp(true);
}

/**
 * `count` contour levels for a grid of values: evenly spaced round values over their range, or (log)
 * geometrically spaced from the 2nd percentile of the positive values to the largest, so that a
 * narrow valley (Rosenbrock's) does not take most of the levels.
 */
export function contourLevels(values: readonly number[], count: number, log: boolean): number[] {
  const finite = values.filter((v) => Number.isFinite(v));
  const [lo, hi] = extent(finite);
  if (!(hi > lo)) return [lo];
  if (log) {
    const pos = finite.filter((v) => v > 0).sort((a, b) => a - b);
    if (pos.length > 1) {
      const l0 = Math.log10(pos[Math.floor(0.02 * (pos.length - 1))]), l1 = Math.log10(hi);
      if (l1 > l0) return Array.from({ length: count }, (_, i) => 10 ** (l0 + ((l1 - l0) * i) / count));
    }
  }
  return scaleLinear().domain([lo, hi]).nice(count).ticks(count).filter((t) => t >= lo && t < hi);
}

const formatLevel = (v: number): string => (v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-2) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

/**
 * A y domain around [lo, hi] with 5% room at each end, so lines and markers stay off the frame; it does
 * not cross below 0 when the values are non-negative, and on a log axis no room is added (nice() rounds).
 */
export function padded(lo: number, hi: number, log = false): [number, number] {
  if (log) return [lo, hi];
  const pad = 0.05 * (hi - lo);
  return [lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad];
}

/** Lower and upper bound of the finite values. */
export function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
