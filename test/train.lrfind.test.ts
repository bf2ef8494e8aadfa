// tg.train.lrFind: geometric learning rates from startLr to endLr, smoothed losses (debiased moving
// average of the batch losses), early stop on divergence, and model + optimizer state bitwise restored.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectPicture } from './viz.render';

const { nn } = tg;
const hex = (t: tg.Tensor) => Buffer.from(t.data().buffer).toString('hex');
const snapshot = (m: tg.nn.Module, o: tg.optim.Optimizer) => ({
  model: Object.entries(m.stateDict()).map(([k, t]) => [k, hex(t)]),
  grads: [...m.parameters()].map((p) => (p.grad ? hex(p.grad) : null)),
  opt: JSON.stringify(o.stateDict(), (_k, v) => (v instanceof tg.Tensor ? hex(v) : v)),
  training: m.training,
});

function setup(seed = 0) {
  tg.manualSeed(seed);
  const g = new tg.Generator(seed + 1);
  const x = tg.randn([96, 6], { generator: g });
  const w = tg.randn([6, 3], { generator: g });
  const y = x.matmul(w).argmax(1);
  const model = new nn.Sequential(new nn.Linear(6, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 3));
  const loader = new tg.data.DataLoader(new tg.data.TensorDataset(x, y), { batchSize: 16, shuffle: true, generator: new tg.Generator(5) });
  return { model, loader, loss: nn.functional.crossEntropy };
}

describe('lrFind', () => {
  it('leaves the model (weights, batch-norm buffers, grads, mode) and the optimizer state bitwise as before', () => {
    const { model, loader, loss } = setup();
    const optimizer = new tg.optim.Adam(model.parameters(), { lr: 1e-3 });
    // give the optimizer some state and the model some grads first
    for (const [xb, yb] of loader) {
      optimizer.zeroGrad();
      loss(model.forward(xb), yb).backward();
      optimizer.step();
    }
    loss(model.forward(tg.randn([4, 6])), tg.tensor([0, 1, 2, 0], { dtype: 'int32' })).backward();
    model.eval();
    const before = snapshot(model, optimizer);
    const r = tg.train.lrFind(model, { optimizer, loss, train: loader, startLr: 1e-5, endLr: 1, steps: 30 });
    expect(r.lrs.length).toBeGreaterThan(10);
    expect(snapshot(model, optimizer)).toEqual(before);
    expect(optimizer.paramGroups[0].lr).toBe(1e-3);
  });

  it('learning rates are geometric from startLr to at most endLr; losses are the debiased moving average', () => {
    const { model, loader, loss } = setup(1);
    const optimizer = new tg.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const r = tg.train.lrFind(model, { optimizer, loss, train: loader, startLr: 1e-4, endLr: 0.1, steps: 40, smoothing: 0.1, divergeThreshold: 1e9 });
    expect(r.lrs.length).toBe(40); // the 6 batches were cycled through
    expect(r.lrs[0]).toBe(1e-4);
    expect(r.lrs[39]).toBe(0.1);
    const q = Math.pow(0.1 / 1e-4, 1 / 39);
    for (let k = 1; k < 40; k++) {
      expect(r.lrs[k] / r.lrs[k - 1]).toBeCloseTo(q, 10);
      expect(r.lrs[k]).toBeLessThanOrEqual(0.1);
    }
    let avg = 0;
    r.rawLosses.forEach((l, k) => {
      avg = 0.9 * avg + 0.1 * l;
      expect(r.losses[k]).toBeCloseTo(avg / (1 - 0.9 ** (k + 1)), 12);
    });
    expect(r.losses[0]).toBeCloseTo(r.rawLosses[0], 14);
    expect(r.diverged).toBe(false);
    // the suggestion is one of the rates tried, where the smoothed loss falls fastest
    expect(r.lrs).toContain(r.suggestion);
    const k = r.lrs.indexOf(r.suggestion);
    expect(r.losses[k + 1]).toBeLessThan(r.losses[k - 1]);
  });

  it('stops when the loss diverges (a rate ramp up to 1e3)', () => {
    const { model, loader, loss } = setup(2);
    const optimizer = new tg.optim.SGD(model.parameters(), { lr: 0.1 });
    const r = tg.train.lrFind(model, { optimizer, loss, train: loader, startLr: 1e-3, endLr: 1e3, steps: 100 });
    expect(r.diverged).toBe(true);
    expect(r.lrs.length).toBeLessThan(100);
    const last = r.losses[r.losses.length - 1];
    expect(!Number.isFinite(last) || last > 4 * Math.min(...r.losses.slice(0, -1))).toBe(true);
  });

  it('rejects bad options', () => {
    const { model, loader, loss } = setup(3);
    const optimizer = new tg.optim.SGD(model.parameters(), { lr: 0.1 });
    expect(() => tg.train.lrFind(model, { optimizer: {} as never, loss, train: loader })).toThrow(/^lrFind: optimizer must be/);
    expect(() => tg.train.lrFind(model, { optimizer, loss, train: loader, startLr: 1, endLr: 0.1 })).toThrow(/^lrFind: endLr \(0.1\) must be greater than startLr \(1\)/);
    expect(() => tg.train.lrFind(model, { optimizer, loss, train: loader, steps: 1 })).toThrow(RangeError);
    expect(() => tg.train.lrFind(model, { optimizer, loss, train: loader, smoothing: 0 })).toThrow(/smoothing must be in \(0, 1\]/);
    expect(() => tg.train.lrFind(model, { optimizer, loss, train: 3 as never })).toThrow(/^lrFind: train must be/);
  });
});

describe('plotLrFind', () => {
  it('the smoothed curve on a log lr axis with the suggestion marked, rendered', () => {
    const { model, loader, loss } = setup(4);
    const optimizer = new tg.optim.SGD(model.parameters(), { lr: 0.1 });
    const r = tg.train.lrFind(model, { optimizer, loss, train: loader, startLr: 1e-4, endLr: 10, steps: 60 });
    const file = join(mkdtempSync(join(tmpdir(), 'tg-lrf-')), 'lr.svg');
    const svg = tg.viz.plotLrFind(r, file);
    expect(readFileSync(file, 'utf8')).toBe(svg);
    const d = /data-series="smoothed" d="([^"]+)"/.exec(svg)![1];
    const xs = d.split(/[ML]/).filter(Boolean).map((p) => Number(p.split(',')[0]));
    expect(xs.length).toBe(r.lrs.length);
    // geometric rates are evenly spaced on the log axis
    const dx = xs.slice(1).map((x, i) => x - xs[i]);
    for (const v of dx.slice(0, -1)) expect(Math.abs(v - dx[0])).toBeLessThan(0.02);
    if (Number.isFinite(r.suggestion)) expect(svg).toMatch(/class="suggestion"/);
    expectPicture(svg, 640, 400);
    expect(() => tg.viz.plotLrFind({ lrs: [1], losses: [] } as never, file)).toThrow(/^plotLrFind: result must be/);
  });
});
