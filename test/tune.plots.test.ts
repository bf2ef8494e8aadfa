// Study charts (tg.viz, on the chart module): the optimisation history (values and best so far) and
// slices (value against each parameter, one panel each), checked in the SVG and rendered to PNG.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { parseXml } from './svg.helpers';
import { expectPicture, pixel } from './viz.render';

const { tune, viz } = tg;
const dir = mkdtempSync(join(tmpdir(), 'tg-tune-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function study(direction: 'minimize' | 'maximize') {
  const s = tune.createStudy({ direction, sampler: new tune.RandomSampler({ seed: 5 }) });
  await s.enqueueTrial({ lr: 1e-3, act: 'tanh', n: 4 });
  await s.optimize((t) => {
    const lr = t.suggestFloat('lr', 1e-5, 1, { log: true });
    const act = t.suggestCategorical('act', ['relu', 'tanh', 'gelu']);
    const n = t.suggestInt('n', 1, 8);
    if (t.number === 3) throw new tune.TrialPruned();
    return (Math.log10(lr) + 3) ** 2 + n + (act === 'tanh' ? 0 : 2);
  }, { nTrials: 12 });
  return s;
}

type El = ReturnType<typeof parseXml>[number];
/** The (x, y) vertices of a d3-shape path made of M and L commands. */
const vertices = (d: string): [number, number][] => [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
const dotsOf = (els: El[]) => els.filter((e) => e.name === 'circle' && e.attrs['data-trial'] !== undefined);
/** Red (and not blue) enough: the best-so-far line's #d62728. */
const isRed = ([r, g, b]: number[]) => r > 150 && g < 120 && b < 120;

describe('plotOptimizationHistory', () => {
  for (const direction of ['minimize', 'maximize'] as const) {
    it(`draws every complete trial and the best value so far (${direction})`, async () => {
      const s = await study(direction);
      const path = join(dir, `h-${direction}.svg`);
      const svg = viz.plotOptimizationHistory(s, path);
      expect(readFileSync(path, 'utf8')).toBe(svg);
      const els = parseXml(svg);
      const dots = dotsOf(els);
      const done = s.trials.filter((t) => t.state === 'complete');
      expect(done.length).toBe(11); // trial 3 was pruned
      expect(dots.map((d) => Number(d.attrs['data-trial']))).toEqual(done.map((t) => t.number));
      expect(dots.map((d) => Number(d.attrs['data-value']))).toEqual(done.map((t) => t.value));
      const cx = dots.map((d) => Number(d.attrs.cx));
      // x is linear in the trial number: equal pixel steps per trial.
      const perTrial = (cx[cx.length - 1] - cx[0]) / (done[done.length - 1].number - done[0].number);
      expect(perTrial).toBeGreaterThan(0);
      done.forEach((t, i) => expect(cx[i]).toBeCloseTo(cx[0] + perTrial * (t.number - done[0].number), 1));
      // Lower values are drawn lower (larger SVG y) on the value axis.
      const byValue = dots.slice().sort((a, b) => Number(a.attrs['data-value']) - Number(b.attrs['data-value']));
      expect(byValue.map((d) => Number(d.attrs.cy))).toEqual(byValue.map((d) => Number(d.attrs.cy)).sort((a, b) => b - a));
      // The best line: at each trial's x it passes the height of the best value up to that trial.
      const best = els.find((e) => e.attrs.class === 'best')!;
      const pts = vertices(best.attrs.d);
      let bestSoFar = done[0].value!;
      done.forEach((t, i) => {
        bestSoFar = direction === 'minimize' ? Math.min(bestSoFar, t.value!) : Math.max(bestSoFar, t.value!);
        const bestDot = dots.find((d) => Number(d.attrs['data-value']) === bestSoFar)!;
        expect(pts.some(([x, y]) => Math.abs(x - cx[i]) < 0.02 && Math.abs(y - Number(bestDot.attrs.cy)) < 0.02)).toBe(true);
      });
      expect(bestSoFar).toBe(s.bestValue);
      const ys = pts.map((p) => p[1]);
      for (let i = 1; i < ys.length; i++) expect(direction === 'minimize' ? ys[i] >= ys[i - 1] : ys[i] <= ys[i - 1]).toBe(true);
      // The trial axis has integer ticks only.
      const xTicks = svg.slice(svg.indexOf('class="x-ticks"'), svg.indexOf('</g>', svg.indexOf('class="x-ticks"')));
      const labels = [...xTicks.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1]);
      expect(labels.length).toBeGreaterThan(2);
      for (const l of labels) expect(Number.isInteger(Number(l))).toBe(true);

      const pic = expectPicture(svg, 640, 400);
      const [r, g, b] = pixel(pic, cx[5], Number(dots[5].attrs.cy));
      expect([r < 90, g > 80 && g < 160, b > 140]).toEqual([true, true, true]); // a #1f77b4 dot
      // Midway along the line's last (level) segment the pixel is the line's red.
      const [p, q] = pts.slice(-2);
      expect(q[1]).toBe(p[1]);
      expect(isRed(pixel(pic, (p[0] + q[0]) / 2, Math.floor(p[1])))).toBe(true); // the pixel row inside the 2 px stroke
    });
  }

  it('rejects a study with nothing to plot and a bad path', () => {
    expect(() => viz.plotOptimizationHistory(tune.createStudy(), join(dir, 'x.svg'))).toThrow(/plotOptimizationHistory: study .* has no complete trial/);
    expect(() => viz.plotSlice({} as tg.tune.Study, join(dir, 'x.svg'))).toThrow(/plotSlice: study must be a tg.tune study/);
    expect(() => viz.plotOptimizationHistory(tune.createStudy(), '')).toThrow(TypeError);
    expect(() => viz.plotOptimizationHistory(tune.createStudy(), '')).toThrow(/plotOptimizationHistory: path must be a non-empty string/);
  });
});

describe('plotSlice', () => {
  it('has one panel per parameter, log axes for log parameters and choices by name', async () => {
    const s = await study('minimize');
    const path = join(dir, 's.svg');
    const svg = viz.plotSlice(s, path);
    expect(readFileSync(path, 'utf8')).toBe(svg);
    const els = parseXml(svg);
    expect([els[0].attrs.width, els[0].attrs.height]).toEqual([String(3 * 360), '400']);
    // Elements come in document order: each belongs to the panel opened last before it.
    const panels: { param: string; shift: number; els: El[] }[] = [];
    for (const e of els) {
      if (e.attrs.class === 'panel') panels.push({ param: e.attrs['data-param'], shift: Number(/translate\(([\d.]+) 0\)/.exec(e.attrs.transform)![1]), els: [] });
      else panels[panels.length - 1]?.els.push(e);
    }
    expect(panels.map((p) => [p.param, p.shift])).toEqual([['act', 0], ['lr', 360], ['n', 720]]);
    // Each panel clips to its own plot area.
    const clips = els.filter((e) => e.name === 'clipPath').map((e) => e.attrs.id);
    expect(new Set(clips).size).toBe(3);
    const done = s.trials.filter((t) => t.state === 'complete');
    const byParam = Object.fromEntries(panels.map((p) => [p.param, dotsOf(p.els)]));
    for (const p of panels) expect(byParam[p.param].map((d) => Number(d.attrs['data-trial']))).toEqual(done.map((t) => t.number));
    // Every panel shares the value axis: a trial's dot is at the same height in each.
    for (let i = 0; i < done.length; i++) {
      expect(new Set(panels.map((p) => byParam[p.param][i].attrs.cy)).size).toBe(1);
      expect(Number(byParam.lr[i].attrs['data-x'])).toBe(done[i].params.lr);
    }
    // lr panel: x position is linear in log10(lr).
    const fit = byParam.lr.map((d) => [Math.log10(Number(d.attrs['data-x'])), Number(d.attrs.cx)]);
    const slope = (fit[1][1] - fit[0][1]) / (fit[1][0] - fit[0][0]);
    expect(slope).toBeGreaterThan(0);
    for (const [lx, cx] of fit) expect(cx).toBeCloseTo(fit[0][1] + slope * (lx - fit[0][0]), 1);
    // act panel: each choice at its own x, in the order of the choices, and labelled by name on the x axis.
    const xOfChoice = new Map<string, Set<number>>();
    for (const d of byParam.act) xOfChoice.set(d.attrs['data-x'], (xOfChoice.get(d.attrs['data-x']) ?? new Set()).add(Number(d.attrs.cx)));
    for (const xs of xOfChoice.values()) expect(xs.size).toBe(1);
    const seen = ['relu', 'tanh', 'gelu'].filter((c) => xOfChoice.has(c)).map((c) => [...xOfChoice.get(c)!][0]);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual(seen.slice().sort((a, b) => a - b));
    const tickText = (p: (typeof panels)[number]) => {
      const i = p.els.findIndex((e) => e.attrs.class === 'x-ticks');
      const out: string[] = [];
      // The tick labels (x and y only) until the axis title (which has more attributes).
      for (let k = i + 1; k < p.els.length && p.els[k].name === 'text' && Object.keys(p.els[k].attrs).length === 2; k++) out.push(p.els[k].text);
      return out;
    };
    expect(tickText(panels[0])).toEqual(['relu', 'tanh', 'gelu']);
    for (const l of tickText(panels[2])) expect(Number.isInteger(Number(l))).toBe(true);
    expect(panels.map((p) => p.els.filter((e) => e.name === 'text').map((e) => e.text))).toEqual([
      expect.arrayContaining(['act', 'objective value', 'Slice plot']),
      expect.arrayContaining(['lr']),
      expect.arrayContaining(['n']),
    ]);
    // Colours run from viridis' dark first stop (the first trial) to its bright last one (the last trial).
    expect(byParam.n[0].attrs.fill).toBe('rgb(68, 1, 84)');
    expect(byParam.n[done.length - 1].attrs.fill).toBe('rgb(253, 231, 37)');

    const pic = expectPicture(svg, 1080, 400);
    // The last trial's dot in the n panel is drawn where the panel's shift puts it, in bright yellow.
    const last = byParam.n[done.length - 1];
    const [r, g, b] = pixel(pic, 720 + Number(last.attrs.cx), Number(last.attrs.cy));
    expect([r > 200, g > 190, b < 110]).toEqual([true, true, true]);
  });

  it('rejects a study whose trials have no parameters', async () => {
    const s = tune.createStudy();
    await s.optimize(() => 1, { nTrials: 2 });
    expect(() => viz.plotSlice(s, join(dir, 'none.svg'))).toThrow(/plotSlice: the trials of study .* have no parameters/);
  });
});
