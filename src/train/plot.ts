// plotHistory: an SVG line chart of loss and validation loss per epoch, with the best epoch marked.
import { writeFileSync } from 'node:fs';
import type { History } from './types';

const W = 640, H = 400, L = 64, R = 20, T = 40, B = 50;
const COLORS: Record<string, string> = { loss: '#1f77b4', valLoss: '#ff7f0e' };

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (lo === hi) {
    const pad = integer ? 1 : Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

export const label = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(v));

export interface PlotOptions {
  title?: string;
}

/** Writes an SVG chart of `history.loss` (and `history.valLoss`) per epoch to `path`; returns the SVG text. */
export function plotHistory(history: History, path: string, opts: PlotOptions = {}): string {
  if (history === null || typeof history !== 'object' || !Array.isArray(history.loss)) {
    throw new TypeError('plotHistory: history must be a fit History with a loss array');
  }
  if (typeof path !== 'string' || path === '') throw new TypeError('plotHistory: path must be a non-empty string');
  const n = history.loss.length;
  const epochs = Array.isArray(history.epoch) && history.epoch.length === n ? history.epoch : history.loss.map((_, i) => i + 1);
  const names = ['loss', ...(Array.isArray(history.valLoss) ? ['valLoss'] : [])];
  const series = names.map((name) => ({
    name,
    pts: (history[name] as number[]).map((y, i) => [epochs[i], y] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  }));
  const all = series.flatMap((s) => s.pts);
  if (all.length === 0) throw new RangeError('plotHistory: the history has no finite loss values to plot');
  const ys = all.map((p) => p[1]), xs = all.map((p) => p[0]);
  const xt = niceTicks(Math.min(...xs), Math.max(...xs), Math.min(10, Math.max(2, n - 1)), true);
  const [ylo, yhi] = [Math.min(...ys), Math.max(...ys)];
  const pad = 0.05 * (yhi - ylo); // keeps the curves and the best marker off the frame
  const yt = niceTicks(ylo >= 0 ? Math.max(0, ylo - pad) : ylo - pad, yhi + pad);
  const [x0, x1, y0, y1] = [xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1]];
  const px = (x: number): number => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number): number => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const f = (v: number): string => v.toFixed(2);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="${T / 2 + 4}" text-anchor="middle" font-size="15">${esc(opts.title ?? 'Training history')}</text>`,
    `<g stroke="#ddd">`,
    ...yt.map((v) => `<line x1="${L}" x2="${W - R}" y1="${f(py(v))}" y2="${f(py(v))}"/>`),
    `</g>`,
    `<g class="y-ticks" text-anchor="end">`,
    ...yt.map((v) => `<text x="${L - 6}" y="${f(py(v) + 4)}">${esc(label(v))}</text>`),
    `</g>`,
    `<g class="x-ticks" text-anchor="middle">`,
    ...xt.map((v) => `<text x="${f(px(v))}" y="${H - B + 16}">${v}</text>`),
    `</g>`,
    `<path d="M${L} ${T}V${H - B}H${W - R}" fill="none" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">epoch</text>`,
    `<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">loss</text>`,
  ];
  for (const s of series) {
    const c = COLORS[s.name];
    out.push(`<polyline data-series="${s.name}" fill="none" stroke="${c}" stroke-width="2" points="${s.pts.map(([x, y]) => `${f(px(x))},${f(py(y))}`).join(' ')}"/>`);
    if (s.pts.length === 1) out.push(`<circle cx="${f(px(s.pts[0][0]))}" cy="${f(py(s.pts[0][1]))}" r="3" fill="${c}"/>`);
  }
  const ref = series[series.length - 1].pts.length ? series[series.length - 1] : series[0];
  const best = ref.pts.reduce((a, p) => (p[1] < a[1] ? p : a), ref.pts[0]);
  if (best) {
    out.push(
      `<circle class="best" data-epoch="${best[0]}" cx="${f(px(best[0]))}" cy="${f(py(best[1]))}" r="6" fill="none" stroke="#d62728" stroke-width="2"/>`,
      `<text x="${f(px(best[0]))}" y="${f(py(best[1]) - 10)}" text-anchor="middle" fill="#d62728">best ${esc(ref.name)}: epoch ${best[0]}</text>`,
    );
  }
  out.push(`<g class="legend">`);
  series.forEach((s, i) => {
    const y = T + 10 + 18 * i;
    out.push(`<line x1="${W - R - 110}" x2="${W - R - 86}" y1="${y}" y2="${y}" stroke="${COLORS[s.name]}" stroke-width="2"/>`, `<text x="${W - R - 80}" y="${y + 4}">${s.name}</text>`);
  });
  out.push(`</g>`, `</svg>`, '');
  const svg = out.join('\n');
  writeFileSync(path, svg);
  return svg;
}
