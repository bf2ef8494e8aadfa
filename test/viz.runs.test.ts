// tg.viz.plotRuns (several histories in one chart) and plotSchedules (learning rate per epoch of several
// schedulers), with the numbers behind them checked against the schedules' closed forms.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectPicture } from './viz.render';

const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'tg-runs-')), name);
const S = tg.optim.lrScheduler;
const vertices = (svg: string, label: string) => {
  const d = new RegExp(`<path class="series" data-series="${label}" d="([^"]+)"`).exec(svg)![1];
  return d.split(/[ML]/).filter(Boolean).map((p) => p.split(',').map(Number));
};

describe('plotRuns', () => {
  const h = (loss: number[]): tg.train.History => ({ epoch: loss.map((_, i) => i + 1), loss, lr: loss.map(() => 0.1), valLoss: loss.map((v) => v * 1.1) });
  const runs = { SGD: h([2, 1.5, 1.2, 1.0]), momentum: h([2, 1.0, 0.6, 0.4]), Adam: h([2, 0.5, 0.2, 0.1, 0.05]) };

  it('one line per run with its own colour and a legend; lower loss is drawn lower', () => {
    const file = tmp('runs.svg');
    const svg = tg.viz.plotRuns(runs, file);
    expect(readFileSync(file, 'utf8')).toBe(svg);
    const [sgd, mom, adam] = ['SGD', 'momentum', 'Adam'].map((k) => vertices(svg, k));
    expect([sgd.length, mom.length, adam.length]).toEqual([4, 4, 5]);
    expect(sgd[0]).toEqual(adam[0]); // same start point
    expect(mom[3][1]).toBeGreaterThan(sgd[3][1]); // SVG y grows downwards
    expect(new Set([...svg.matchAll(/data-series="[^"]+" d="[^"]+" fill="none" stroke="(#[0-9a-f]+)"/g)].map((m) => m[1])).size).toBe(3);
    expect(svg).toMatch(/<g class="legend">[\s\S]*>SGD<[\s\S]*>momentum<[\s\S]*>Adam</);
    expectPicture(svg, 640, 400);
  });

  it('another metric and a log y axis', () => {
    const svg = tg.viz.plotRuns(runs, tmp('v.svg'), { metric: 'valLoss', logY: true });
    const adam = vertices(svg, 'Adam');
    // on a log axis equal ratios are equal distances: 0.5 -> 0.2 -> 0.1 -> 0.05
    const dy = adam.slice(1).map((p, i) => p[1] - adam[i][1]);
    expect(dy[2] / dy[3]).toBeCloseTo(Math.log(0.2 / 0.1) / Math.log(0.1 / 0.05), 2);
    expect(svg).toContain('>valLoss<');
    expectPicture(svg, 640, 400);
  });

  it('rejects runs without the metric', () => {
    expect(() => tg.viz.plotRuns({}, tmp('x.svg'))).toThrow(/^plotRuns: runs must be a non-empty object/);
    expect(() => tg.viz.plotRuns(runs, tmp('x.svg'), { metric: 'accuracy' })).toThrow(/^plotRuns: runs\['SGD'\] has no 'accuracy' array/);
    expect(() => tg.viz.plotRuns({ a: h([0, 0]) }, tmp('x.svg'), { logY: true })).toThrow(/no finite positive/);
  });
});

describe('plotSchedules', () => {
  const schedulers = {
    step: (o: tg.optim.Optimizer) => new S.StepLR(o, { stepSize: 3, gamma: 0.5 }),
    exponential: (o: tg.optim.Optimizer) => new S.ExponentialLR(o, { gamma: 0.9 }),
    'time-based': (o: tg.optim.Optimizer) => new S.InverseTimeLR(o, { decayRate: 0.5 }),
    plateau: (o: tg.optim.Optimizer) => new S.ReduceLROnPlateau(o, { factor: 0.5, patience: 2 }),
  };

  it('each factory gets a fresh optimizer with the given lr; the rates follow the schedules', () => {
    const lrs = tg.viz.scheduleLrs(schedulers, 10, { lr: 0.2 });
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 14));
    close(lrs.step, [...Array(10).keys()].map((e) => 0.2 * 0.5 ** Math.floor(e / 3)));
    close(lrs.exponential, [...Array(10).keys()].map((e) => 0.2 * 0.9 ** e));
    close(lrs['time-based'], [...Array(10).keys()].map((e) => 0.2 / (1 + 0.5 * e)));
    // a constant metric never improves after the first epoch: the rate halves after every patience + 1 bad epochs
    expect(lrs.plateau).toEqual([0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05]);
    const seen: number[] = [];
    tg.viz.scheduleLrs({ a: (o) => (seen.push(o.paramGroups[0].lr), new S.StepLR(o, { stepSize: 1 })) }, 2);
    expect(seen).toEqual([0.1]); // the default lr
  });

  it('draws one line per scheduler and renders', () => {
    const file = tmp('s.svg');
    const svg = tg.viz.plotSchedules(schedulers, 20, file, { lr: 0.1 });
    expect(readFileSync(file, 'utf8')).toBe(svg);
    for (const k of Object.keys(schedulers)) expect(vertices(svg, k).length).toBe(20);
    const step = vertices(svg, 'step');
    expect(step[1][1]).toBe(step[2][1]);
    expect(step[3][1]).toBeGreaterThan(step[2][1]); // the rate dropped: drawn lower
    expectPicture(svg, 640, 400);
    expectPicture(tg.viz.plotSchedules(schedulers, 20, tmp('l.svg'), { logY: true }), 640, 400);
  });

  it('rejects bad input', () => {
    expect(() => tg.viz.plotSchedules(schedulers, 0, tmp('x.svg'))).toThrow(/^plotSchedules: epochs must be a positive integer/);
    expect(() => tg.viz.plotSchedules({ a: 1 as never }, 5, tmp('x.svg'))).toThrow(/^plotSchedules: schedulers\['a'\] must be a function/);
    expect(() => tg.viz.plotSchedules({ a: () => ({}) as never }, 5, tmp('x.svg'))).toThrow(/must return a scheduler/);
    expect(() => tg.viz.plotSchedules(schedulers, 5, tmp('x.svg'), { lr: -1 })).toThrow(RangeError);
  });
});
