// Study charts: the optimisation history (values and best so far) and slices (value against each parameter).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { parseXml } from './svg.helpers';

const { tune } = tg;
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

describe('plotOptimizationHistory', () => {
  for (const direction of ['minimize', 'maximize'] as const) {
    it(`draws every complete trial and the best value so far (${direction})`, async () => {
      const s = await study(direction);
      const path = join(dir, `h-${direction}.svg`);
      const svg = tune.plotOptimizationHistory(s, path);
      expect(readFileSync(path, 'utf8')).toBe(svg);
      const els = parseXml(svg);
      const dots = els.filter((e) => e.name === 'circle' && e.attrs['data-trial']);
      const done = s.trials.filter((t) => t.state === 'complete');
      expect(dots.map((d) => Number(d.attrs['data-trial']))).toEqual(done.map((t) => t.number));
      const cx = dots.map((d) => Number(d.attrs.cx));
      expect(cx).toEqual(cx.slice().sort((a, b) => a - b));
      // Lower values are drawn lower (larger SVG y) on the value axis.
      const byValue = dots.slice().sort((a, b) => Number(a.attrs['data-value']) - Number(b.attrs['data-value']));
      expect(byValue.map((d) => Number(d.attrs.cy))).toEqual(byValue.map((d) => Number(d.attrs.cy)).sort((a, b) => b - a));
      // The best line ends at the best value's height and never gets worse.
      const best = els.find((e) => e.attrs.class === 'best')!;
      const ys = best.attrs.points.split(' ').map((p) => Number(p.split(',')[1]));
      const bestDot = dots.find((d) => Number(d.attrs['data-value']) === s.bestValue)!;
      expect(ys[ys.length - 1]).toBe(Number(bestDot.attrs.cy));
      for (let i = 1; i < ys.length; i++) expect(direction === 'minimize' ? ys[i] >= ys[i - 1] : ys[i] <= ys[i - 1]).toBe(true);
    });
  }

  it('rejects a study with nothing to plot', () => {
    expect(() => tune.plotOptimizationHistory(tune.createStudy(), join(dir, 'x.svg'))).toThrow(/plotOptimizationHistory: study .* has no complete trial/);
    expect(() => tune.plotSlice({} as tg.tune.Study, join(dir, 'x.svg'))).toThrow(/plotSlice: study must be a tg.tune study/);
  });
});

describe('plotSlice', () => {
  it('has one panel per parameter, log axes for log parameters and choices by name', async () => {
    const s = await study('minimize');
    const svg = tune.plotSlice(s, join(dir, 's.svg'));
    const els = parseXml(svg);
    const panels = els.filter((e) => e.attrs.class === 'panel').map((e) => e.attrs['data-param']);
    expect(panels).toEqual(['act', 'lr', 'n']);
    expect(els[0].attrs.width).toBe(String(3 * 360));
    const done = s.trials.filter((t) => t.state === 'complete');
    const dots = els.filter((e) => e.name === 'circle' && e.attrs['data-x'] !== undefined);
    expect(dots.length).toBe(3 * done.length);
    // lr panel: x position is linear in log10(lr).
    const lr = dots.filter((d) => Number(d.attrs.cx) >= 360 && Number(d.attrs.cx) < 720);
    const fit = lr.map((d) => [Math.log10(Number(d.attrs['data-x'])), Number(d.attrs.cx)]);
    const slope = (fit[1][1] - fit[0][1]) / (fit[1][0] - fit[0][0]);
    for (const [lx, cx] of fit) expect(cx).toBeCloseTo(fit[0][1] + slope * (lx - fit[0][0]), 1);
    // act panel: each choice at its own x, labelled.
    const act = dots.filter((d) => Number(d.attrs.cx) < 360);
    const xsByChoice = new Map<string, Set<string>>();
    for (const d of act) xsByChoice.set(d.attrs['data-x'], (xsByChoice.get(d.attrs['data-x']) ?? new Set()).add(d.attrs.cx));
    for (const xs of xsByChoice.values()) expect(xs.size).toBe(1);
    expect(els.filter((e) => e.name === 'text').map((e) => e.text)).toEqual(expect.arrayContaining(['relu', 'tanh', 'gelu', 'lr', 'n']));
  });
});
