// tg.viz.optimizerPaths follows PyTorch 1.13's optimizers on Rosenbrock (fixture from
// test/fixtures/make_optimizer_paths_fixture.py); plotOptimizerPaths renders the picture.
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectPicture } from './viz.render';

interface Case { label: string; optimizer: string; options: Record<string, unknown>; path: string; losses: string }
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures/optimizer_paths.json'), 'utf8')) as {
  start: [number, number]; steps: number; cases: Case[];
};
const f64 = (b64: string) => Array.from(new Float64Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer));
const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'tg-paths-')), name);
const optim = tg.optim as unknown as Record<string, new (p: tg.Tensor[], o: Record<string, unknown>) => tg.optim.Optimizer>;

/** max over i of |a - b| / max(|b|, 1e-300) */
const maxRel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.max(Math.abs(b[i]), 1e-300)));

describe('optimizerPaths', () => {
  const optimizers = Object.fromEntries(fixture.cases.map((c) => [c.label, (p: tg.Tensor[]) => new optim[c.optimizer](p, c.options)]));
  const result = tg.viz.optimizerPaths({ fn: 'rosenbrock', start: fixture.start, steps: fixture.steps, optimizers });

  it('covers SGD, momentum, Nesterov, Adagrad, RMSprop, Adadelta, Adam, AMSGrad, AdamW, Adamax and NAdam', () => {
    const names = new Set(fixture.cases.map((c) => c.optimizer + (c.options.amsgrad ? '+amsgrad' : '') + (c.options.nesterov ? '+nesterov' : '') + (c.options.momentum ? '+momentum' : '')));
    for (const n of ['SGD', 'SGD+momentum', 'SGD+nesterov+momentum', 'Adagrad', 'RMSprop', 'Adadelta', 'Adam', 'Adam+amsgrad', 'AdamW', 'Adamax', 'NAdam']) expect(names).toContain(n);
    expect(Object.keys(result)).toEqual(fixture.cases.map((c) => c.label));
  });

  for (const c of fixture.cases) {
    it(`${c.label}: the path and losses of torch.optim.${c.optimizer} ${JSON.stringify(c.options)} to 1e-9 over 200 steps`, () => {
      const r = result[c.label];
      expect(r.path.length).toBe(fixture.steps + 1);
      expect(r.losses.length).toBe(fixture.steps + 1);
      const want = f64(c.path);
      expect(want.length).toBe(2 * (fixture.steps + 1));
      expect(r.path[0]).toEqual(fixture.start);
      expect(maxRel(r.path.flat(), want)).toBeLessThan(1e-9);
      expect(maxRel(r.losses, f64(c.losses))).toBeLessThan(1e-9);
      // it moved: the end is not the start, and the loss went down
      expect(Math.hypot(r.path[200][0] - r.path[0][0], r.path[200][1] - r.path[0][1])).toBeGreaterThan(0.05);
      expect(r.losses[200]).toBeLessThan(r.losses[0]);
    });
  }

  it('the named surfaces have their minima where the literature puts them, and a custom fn works', () => {
    const at = (name: 'rosenbrock' | 'beale' | 'himmelblau' | 'ravine', x: number, y: number) =>
      tg.viz.SURFACES[name].fn(tg.tensor([x, y], { dtype: 'float64' })).item();
    expect(at('rosenbrock', 1, 1)).toBe(0);
    expect(at('rosenbrock', -1.5, 2)).toBeCloseTo(2.5 ** 2 + 100 * 0.25 ** 2, 12);
    expect(at('beale', 3, 0.5)).toBe(0);
    expect(at('beale', 0, 0)).toBeCloseTo(1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2, 12);
    for (const [x, y] of [[3, 2], [-2.805118, 3.131312], [-3.77931, -3.283186], [3.584428, -1.848126]]) expect(at('himmelblau', x, y)).toBeLessThan(1e-9);
    expect(at('ravine', 2, 1)).toBeCloseTo(0.05 * 4 + 2, 14);
    // plain gradient descent on 0.5 * |xy|^2 with lr 0.1 shrinks by 0.9 per step
    const r = tg.viz.optimizerPaths({
      fn: (xy) => xy.square().sum().mul(0.5), start: [1, -2], steps: 3,
      optimizers: { gd: (p) => new tg.optim.SGD(p, { lr: 0.1 }) },
    });
    expect(r.gd.path[3][0]).toBeCloseTo(0.729, 14);
    expect(r.gd.path[3][1]).toBeCloseTo(-1.458, 14);
    expect(r.gd.losses[0]).toBe(2.5);
  });

  it('float32 runs in float32', () => {
    const r = tg.viz.optimizerPaths({ fn: 'ravine', start: [-8, 1.5], steps: 5, dtype: 'float32', optimizers: { sgd: (p) => {
      expect(p[0].dtype).toBe('float32');
      return new tg.optim.SGD(p, { lr: 0.1 });
    } } });
    expect(Math.fround(r.sgd.path[5][0])).toBe(r.sgd.path[5][0]);
  });

  it('rejects bad options with messages naming the function', () => {
    const o = { fn: 'rosenbrock' as const, start: [0, 0] as [number, number], steps: 2, optimizers: { a: (p: tg.Tensor[]) => new tg.optim.SGD(p, { lr: 0.1 }) } };
    expect(() => tg.viz.optimizerPaths({ ...o, fn: 'sphere' as never })).toThrow(/^optimizerPaths: fn must be .*'sphere'/);
    expect(() => tg.viz.optimizerPaths({ ...o, start: [0] as never })).toThrow(TypeError);
    expect(() => tg.viz.optimizerPaths({ ...o, steps: 0 })).toThrow(RangeError);
    expect(() => tg.viz.optimizerPaths({ ...o, optimizers: {} })).toThrow(/optimizers must be a non-empty object/);
    expect(() => tg.viz.optimizerPaths({ ...o, optimizers: { a: () => 3 as never } })).toThrow(/optimizers\['a'\] must return an optimizer/);
    expect(() => tg.viz.optimizerPaths({ ...o, fn: (xy) => xy.mul(2) })).toThrow(/^optimizerPaths: fn must return a scalar, got shape \[2\]/);
    expect(() => tg.viz.optimizerPaths({ ...o, dtype: 'int32' })).toThrow(/dtype must be/);
    expect(() => tg.viz.plotOptimizerPaths({ a: { path: [[0, 0]], losses: [0] } }, tmp('x.svg'))).toThrow(/pass \{fn\}/);
  });
});

describe('plotOptimizerPaths', () => {
  it('draws contours, one path per optimizer with start and end markers, and a legend, and renders', () => {
    const r = tg.viz.optimizerPaths({
      fn: 'rosenbrock', start: [-1.5, 2], steps: 150,
      optimizers: { Adam: (p) => new tg.optim.Adam(p, { lr: 0.1 }), momentum: (p) => new tg.optim.SGD(p, { lr: 3e-4, momentum: 0.9 }) },
    });
    const file = tmp('paths.svg');
    const svg = tg.viz.plotOptimizerPaths(r, file);
    expect(readFileSync(file, 'utf8')).toBe(svg);
    expect((svg.match(/<path class="series" data-series="(Adam|momentum)"/g) ?? []).length).toBe(2);
    expect((svg.match(/<path class="level"/g) ?? []).length).toBeGreaterThan(8);
    expect((svg.match(/class="end"/g) ?? []).length).toBe(2);
    expect(svg).toContain('class="start"');
    expect(svg).toMatch(/<g class="legend">[\s\S]*>Adam<[\s\S]*>momentum</);
    const pic = expectPicture(svg, 720, 560, 0.5); // the contours fill the plot area
    expect(pic.colors).toBeGreaterThan(12);
    // a custom surface with an explicit window
    const c = tg.viz.optimizerPaths({ fn: (xy) => xy.square().sum(), start: [1, 1], steps: 10, optimizers: { gd: (p) => new tg.optim.SGD(p, { lr: 0.1 }) } });
    expectPicture(tg.viz.plotOptimizerPaths(c, tmp('c.svg'), { xRange: [-2, 2], yRange: [-2, 2], logLevels: false }), 720, 560, 0.5);
  });
});
