// The landscape pictures: line (trained point marked), labelled contours (linear and log levels) and the
// 3-D surface, each rendered to PNG; the numbers behind them come from lossLandscape.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectPicture, pixel } from './viz.render';

const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'tg-vizplot-')), name);
const { nn } = tg;

function setup() {
  tg.manualSeed(7);
  const model = new nn.Sequential(new nn.Linear(5, 8), new nn.ReLU(), new nn.Linear(8, 3));
  const g = new tg.Generator(3);
  const x = tg.randn([40, 5], { generator: g }), y = tg.randint(0, 3, [40], { generator: g });
  return { model, x, y, loss: nn.functional.crossEntropy };
}

describe('plotLossLandscape', () => {
  const { model, x, y, loss } = setup();
  const line = tg.viz.lossLandscape(model, loss, [x, y], { steps: 21, generator: new tg.Generator(1) });
  const grid = tg.viz.lossLandscape(model, loss, [x, y], { dims: 2, steps: 15, range: [-2, 2], generator: new tg.Generator(1) });

  it('line: one series through every grid point, the trained point marked at (0, center)', () => {
    const file = tmp('line.svg');
    const svg = tg.viz.plotLossLandscape(line, file, { kind: 'line' });
    expect(readFileSync(file, 'utf8')).toBe(svg);
    const d = /<path class="series" data-series="loss" d="([^"]+)"/.exec(svg)![1];
    expect(d.split(/[ML]/).filter(Boolean).length).toBe(21);
    expect(svg).toMatch(/<circle class="trained"/);
    expect(svg).toContain('trained weights');
    const pic = expectPicture(svg, 640, 400);
    const m = /<circle class="trained" cx="([\d.]+)" cy="([\d.]+)"/.exec(svg)!;
    const [r, g, b] = pixel(pic, Number(m[1]), Number(m[2]));
    expect(r).toBeGreaterThan(180); // the red dot
    expect(g + b).toBeLessThan(200);
    // log y axis
    expectPicture(tg.viz.plotLossLandscape(line, tmp('log.svg'), { logY: true }), 640, 400);
  });

  it('contour: filled levels, each labelled once inside the grid; log-spaced levels are geometric', () => {
    const svg = tg.viz.plotLossLandscape(grid, tmp('c.svg'));
    const levels = [...svg.matchAll(/<path class="level" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(levels.length).toBeGreaterThan(5);
    const flat = (grid.losses as number[][]).flat();
    for (const v of levels) {
      expect(v).toBeGreaterThanOrEqual(Math.min(...flat));
      expect(v).toBeLessThanOrEqual(Math.max(...flat));
    }
    expect((svg.match(/class="level-label"/g) ?? []).length).toBeGreaterThan(3);
    expectPicture(svg, 600, 560, 0.5);
    const logSvg = tg.viz.plotLossLandscape(grid, tmp('cl.svg'), { logLevels: true, levels: 10 });
    const lv = [...logSvg.matchAll(/<path class="level" data-value="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(lv.length).toBeGreaterThan(5);
    const ratios = lv.slice(1).map((v, i) => v / lv[i]);
    for (const q of ratios) expect(q).toBeCloseTo(ratios[0], 9);
    expectPicture(logSvg, 600, 560, 0.5);
  });

  it('surface: one quad per grid cell, coloured by height', () => {
    const svg = tg.viz.plotLossLandscape(grid, tmp('s.svg'), { kind: 'surface' });
    const quads = svg.slice(svg.indexOf('<g class="surface">')).match(/<path d=/g) ?? [];
    expect(quads.length).toBe(14 * 14);
    const pic = expectPicture(svg, 640, 520, 0.2);
    expect(pic.colors).toBeGreaterThan(10);
  });

  it('surface: nearer parts hide farther ones (painter order)', () => {
    // A square tower (height 1) on a floor (0). Drawn far to near, nothing covers the tower's top: it shows
    // as many yellow pixels as when only the top is drawn (NaN cells are skipped; one finite 0 keeps the
    // colour scale). Drawn in any other order the far wall, which hangs over the top on screen, covers part.
    const n = 12;
    const xs = Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
    const tower = (i: number, j: number) => i >= 4 && i <= 7 && j >= 4 && j <= 7;
    const full = xs.map((_, i) => xs.map((_, j) => (tower(i, j) ? 1 : 0)));
    const alone = xs.map((_, i) => xs.map((_, j) => (tower(i, j) ? 1 : i === 0 && j === 0 ? 0 : NaN)));
    const yellow = (svg: string) => {
      const p = expectPicture(svg, 640, 520, 0.01);
      let c = 0;
      for (let k = 0; k < p.pixels.length; k += 4) if (p.pixels[k] > 200 && p.pixels[k + 1] > 200 && p.pixels[k + 2] < 90) c++;
      return c;
    };
    const mk = (losses: number[][]) => tg.viz.plotLossLandscape({ alphas: xs, betas: xs, losses, directions: [], center: 0 }, tmp('p.svg'), { kind: 'surface' });
    const only = yellow(mk(alone));
    expect(only).toBeGreaterThan(1500);
    expect(yellow(mk(full))).toBeGreaterThanOrEqual(only * 0.97);
  });

  it('rejects a kind that does not fit the result', () => {
    expect(() => tg.viz.plotLossLandscape(line, tmp('a.svg'), { kind: 'contour' })).toThrow(/^plotLossLandscape: kind 'contour' needs a 2-D landscape/);
    expect(() => tg.viz.plotLossLandscape(grid, tmp('a.svg'), { kind: 'line' })).toThrow(/needs a 1-D landscape/);
    expect(() => tg.viz.plotLossLandscape(grid, tmp('a.svg'), { kind: 'pie' as never })).toThrow(TypeError);
    expect(() => tg.viz.plotLossLandscape({} as never, tmp('a.svg'))).toThrow(TypeError);
    expect(() => tg.viz.plotLossLandscape(line, '')).toThrow(/path must be a non-empty string/);
  });
});
