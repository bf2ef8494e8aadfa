// Study charts as SVG (the project's chart helpers of tg.train.plotHistory): the optimisation history
// (each complete trial's value and the best so far) and slices (the value against each parameter).
import { writeFileSync } from 'node:fs';
import { esc } from '../viz/chart';
import type { Distribution } from './distributions';
import type { FrozenTrial } from './frozen-trial';
import type { Study } from './study';

const W = 640, H = 400, L = 70, R = 20, T = 40, B = 50;

/** Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
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

const label = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(v));
const f = (v: number): string => v.toFixed(2);

interface Axis {
  ticks: number[];
  lo: number;
  hi: number;
  /** Data value to the axis' linear coordinate (log10 for log axes). */
  map: (v: number) => number;
  text: (t: number) => string;
}

function linearAxis(values: number[], integer = false): Axis {
  const lo = Math.min(...values), hi = Math.max(...values);
  const pad = 0.05 * (hi - lo);
  const ticks = niceTicks(lo - pad, hi + pad, 5, integer);
  return { ticks, lo: ticks[0], hi: ticks[ticks.length - 1], map: (v) => v, text: label };
}

function logAxis(values: number[]): Axis {
  const a = linearAxis(values.map(Math.log10), true);
  return { ...a, map: Math.log10, text: (t) => label(Number((10 ** t).toPrecision(6))) };
}

function frame(title: string, xa: Axis, ya: Axis, xName: string, yName: string, x: [number, number] = [L, W - R]): { out: string[]; px: (v: number) => number; py: (v: number) => number } {
  const px = (v: number) => x[0] + ((xa.map(v) - xa.lo) / (xa.hi - xa.lo)) * (x[1] - x[0]);
  const py = (v: number) => H - B - ((ya.map(v) - ya.lo) / (ya.hi - ya.lo)) * (H - T - B);
  const pxt = (t: number) => x[0] + ((t - xa.lo) / (xa.hi - xa.lo)) * (x[1] - x[0]);
  const pyt = (t: number) => H - B - ((t - ya.lo) / (ya.hi - ya.lo)) * (H - T - B);
  const out = [
    `<g class="panel" data-param="${esc(xName)}">`,
    title ? `<text x="${(x[0] + x[1]) / 2}" y="${T / 2 + 4}" text-anchor="middle" font-size="15">${esc(title)}</text>` : '',
    `<g stroke="#ddd">`, ...ya.ticks.map((t) => `<line x1="${x[0]}" x2="${x[1]}" y1="${f(pyt(t))}" y2="${f(pyt(t))}"/>`), `</g>`,
    `<g class="y-ticks" text-anchor="end">`, ...ya.ticks.map((t) => `<text x="${x[0] - 6}" y="${f(pyt(t) + 4)}">${esc(ya.text(t))}</text>`), `</g>`,
    `<g class="x-ticks" text-anchor="middle">`, ...xa.ticks.map((t) => `<text x="${f(pxt(t))}" y="${H - B + 16}">${esc(xa.text(t))}</text>`), `</g>`,
    `<path d="M${x[0]} ${T}V${H - B}H${x[1]}" fill="none" stroke="black"/>`,
    `<text x="${(x[0] + x[1]) / 2}" y="${H - 12}" text-anchor="middle">${esc(xName)}</text>`,
    `<text transform="translate(${x[0] - 52} ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yName)}</text>`,
  ];
  return { out, px, py };
}

const svgDoc = (w: number, body: string[]): string => [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${H}" viewBox="0 0 ${w} ${H}" font-family="sans-serif" font-size="12">`,
  `<rect width="${w}" height="${H}" fill="white"/>`, ...body.filter((s) => s !== ''), `</svg>`, '',
].join('\n');

function completeTrials(op: string, study: Study, path: string): FrozenTrial[] {
  if (study === null || typeof study !== 'object' || !Array.isArray(study.trials)) throw new TypeError(`${op}: study must be a tg.tune study`);
  if (typeof path !== 'string' || path === '') throw new TypeError(`${op}: path must be a non-empty string`);
  const done = study.trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  if (done.length === 0) throw new RangeError(`${op}: study '${study.studyName}' has no complete trial with a finite value to plot`);
  return done;
}

/** Writes an SVG of each complete trial's value by trial number and the best value so far; returns the SVG. */
export function plotOptimizationHistory(study: Study, path: string): string {
  const trials = completeTrials('plotOptimizationHistory', study, path);
  const values = trials.map((t) => t.value!);
  const xa = linearAxis(trials.map((t) => t.number), true);
  const ya = linearAxis(values);
  const { out, px, py } = frame(`Optimization history (${study.direction})`, xa, ya, 'trial', 'objective value');
  const better = study.direction === 'maximize' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  let best = values[0];
  const bestPts: string[] = [];
  trials.forEach((t, i) => {
    if (i > 0 && better(values[i], best)) {
      bestPts.push(`${f(px(t.number))},${f(py(best))}`);
      best = values[i];
    }
    bestPts.push(`${f(px(t.number))},${f(py(best))}`);
  });
  out.push(
    `<g class="trials" fill="#1f77b4">`,
    ...trials.map((t) => `<circle data-trial="${t.number}" data-value="${t.value}" cx="${f(px(t.number))}" cy="${f(py(t.value!))}" r="3"/>`),
    `</g>`,
    `<polyline class="best" fill="none" stroke="#d62728" stroke-width="2" points="${bestPts.join(' ')}"/>`,
    `<g class="legend"><circle cx="${W - R - 120}" cy="${T + 10}" r="3" fill="#1f77b4"/><text x="${W - R - 110}" y="${T + 14}">objective value</text>`,
    `<line x1="${W - R - 128}" x2="${W - R - 112}" y1="${T + 28}" y2="${T + 28}" stroke="#d62728" stroke-width="2"/><text x="${W - R - 110}" y="${T + 32}">best value</text></g>`,
    `</g>`,
  );
  const svg = svgDoc(W, out);
  writeFileSync(path, svg);
  return svg;
}

/** Colour of trial i of n, from light (early) to dark (late) blue. */
const shade = (i: number, n: number): string => {
  const t = n > 1 ? i / (n - 1) : 1;
  const c = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${c(198, 8)},${c(219, 48)},${c(239, 107)})`;
};

/** Writes an SVG with one panel per parameter: the objective value against the parameter's value; returns the SVG. */
export function plotSlice(study: Study, path: string): string {
  const trials = completeTrials('plotSlice', study, path);
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  if (names.length === 0) throw new RangeError(`plotSlice: the trials of study '${study.studyName}' have no parameters`);
  const panelW = 360;
  const ya = linearAxis(trials.map((t) => t.value!));
  const body: string[] = [];
  names.forEach((name, k) => {
    const withParam = trials.filter((t) => name in t.params);
    const dist = withParam[0].distributions[name] as Distribution;
    const x0 = k * panelW + L;
    let xa: Axis;
    let xOf: (t: FrozenTrial) => number;
    if (dist.kind === 'categorical') {
      const labels = dist.choices.map((c) => String(c));
      xa = { ticks: labels.map((_, i) => i), lo: -0.5, hi: labels.length - 0.5, map: (v) => v, text: (i) => labels[i] ?? '' };
      xOf = (t) => t.internalParams[name];
    } else {
      const vals = withParam.map((t) => t.params[name] as number);
      xa = dist.log ? logAxis(vals) : linearAxis(vals, dist.kind === 'int');
      xOf = (t) => t.params[name] as number;
    }
    const { out, px, py } = frame(k === 0 ? 'Slice plot' : '', xa, ya, name, 'objective value', [x0, (k + 1) * panelW - R]);
    out.splice(out.length, 0,
      `<g class="trials">`,
      ...withParam.map((t) => `<circle data-trial="${t.number}" data-x="${t.params[name]}" data-value="${t.value}" cx="${f(px(xOf(t)))}" cy="${f(py(t.value!))}" r="3.5" fill="${shade(trials.indexOf(t), trials.length)}" stroke="#333" stroke-width="0.3"/>`),
      `</g>`, `</g>`);
    body.push(...out);
  });
  const svg = svgDoc(panelW * names.length, body);
  writeFileSync(path, svg);
  return svg;
}
