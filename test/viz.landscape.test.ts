// tg.viz.lossLandscape: every grid point equals the loss recomputed by hand on a fresh copy of the model
// at θ + a·δ₁ (+ b·δ₂); the weights are bitwise unchanged; random directions are filter-normalised.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectPicture } from './viz.render';

const { nn } = tg;
const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'tg-land-')), name);
const bytes = (m: tg.nn.Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, Buffer.from(t.data().buffer).toString('hex')]);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

function mlp(seed: number): tg.nn.Module {
  tg.manualSeed(seed);
  return new nn.Sequential(new nn.Linear(4, 6), new nn.Tanh(), new nn.Linear(6, 3)).double();
}
const g = new tg.Generator(11);
const x = tg.randn([20, 4], { dtype: 'float64', generator: g });
const y = tg.randint(0, 3, [20], { generator: g });
const ce = (o: tg.Tensor, t: tg.Tensor) => nn.functional.crossEntropy(o, t);

/** The loss of a fresh model holding θ + Σ c_k δ_k, computed without lossLandscape. */
function byHand(theta: Record<string, tg.Tensor>, dirs: Record<string, tg.Tensor>[], coefs: number[]): number {
  const m = mlp(99);
  const sd: Record<string, tg.Tensor> = {};
  for (const [k, w] of Object.entries(theta)) {
    let v = w;
    dirs.forEach((d, i) => (v = v.add(d[k].mul(coefs[i]))));
    sd[k] = v;
  }
  m.loadStateDict(sd);
  return tg.noGrad(() => ce(m.forward(x) as tg.Tensor, y).item());
}

const randomDir = (m: tg.nn.Module, seed: number) => {
  const gg = new tg.Generator(seed);
  return Object.fromEntries([...m.namedParameters()].map(([k, p]) => [k, tg.randn(p.shape, { dtype: 'float64', generator: gg })]));
};

describe('lossLandscape', () => {
  it('1-D with an explicit direction: each point is the loss at θ + aδ (1e-12), weights bitwise unchanged', () => {
    const m = mlp(1);
    const before = bytes(m);
    const theta = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.clone()]));
    const d = randomDir(m, 5);
    const r = tg.viz.lossLandscape(m, ce, [x, y], { directions: [d], steps: 21, range: [-2, 1] });
    expect(r.alphas.length).toBe(21);
    expect(r.alphas[0]).toBe(-2);
    expect(r.alphas[20]).toBe(1);
    expect(r.betas).toBeUndefined();
    const losses = r.losses as number[];
    for (let i = 0; i < 21; i++) expect(rel(losses[i], byHand(theta, [d], [r.alphas[i]]))).toBeLessThan(1e-12);
    expect(r.center).toBe(byHand(theta, [d], [0]));
    expect(new Set(losses).size).toBe(21); // the direction really moved the weights
    expect(bytes(m)).toEqual(before);
    expect(r.directions[0]['0.weight']).toBe(d['0.weight']);
    expect(m.training).toBe(true);
  });

  it('2-D: losses[i][j] is the loss at θ + alphas[i]·δ₁ + betas[j]·δ₂; a partial direction moves only its parameters', () => {
    const m = mlp(2);
    const before = bytes(m);
    const theta = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.clone()]));
    const d1 = randomDir(m, 6), d2 = randomDir(m, 7);
    const r = tg.viz.lossLandscape(m, ce, [x, y], { dims: 2, directions: [d1, d2], steps: 5 });
    const L = r.losses as number[][];
    expect(L.length).toBe(5);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(rel(L[i][j], byHand(theta, [d1, d2], [r.alphas[i], r.betas![j]]))).toBeLessThan(1e-12);
    expect(bytes(m)).toEqual(before);
    const only = { '2.bias': d1['2.bias'] };
    const p = tg.viz.lossLandscape(m, ce, [x, y], { directions: [only], steps: 3 });
    expect(p.directions[0]['0.weight'].abs().sum().item()).toBe(0);
    const zero = Object.fromEntries(Object.keys(d1).map((k) => [k, k === '2.bias' ? d1[k] : d1[k].mul(0)]));
    expect((p.losses as number[])[0]).toBe(byHand(theta, [zero], [-1]));
  });

  it('filter normalisation: each output row / channel of a direction has the norm of the same filter of the weights', () => {
    tg.manualSeed(3);
    const cnn = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 4 * 4, 3));
    const xi = tg.randn([6, 1, 6, 6]), yi = tg.randint(0, 3, [6]);
    const before = bytes(cnn);
    const r = tg.viz.lossLandscape(cnn, ce, [xi, yi], { steps: 3, generator: new tg.Generator(1) });
    expect(bytes(cnn)).toEqual(before);
    const filterNorms = (t: tg.Tensor) => t.reshape(t.shape[0], -1).norm(2, 1).toArray() as number[];
    const d = r.directions[0];
    for (const name of ['0.weight', '4.weight']) {
      const w = [...cnn.namedParameters()].find(([k]) => k === name)![1];
      const dn = filterNorms(d[name]), wn = filterNorms(w);
      expect(dn.length).toBe(w.shape[0]);
      dn.forEach((v, i) => expect(rel(v, wn[i])).toBeLessThan(1e-5));
    }
    for (const name of ['0.bias', '1.weight', '1.bias', '4.bias']) expect(d[name].abs().sum().item()).toBe(0);
    // includeBiases: 1-D parameters move too, scaled as one filter
    const b = tg.viz.lossLandscape(cnn, ce, [xi, yi], { steps: 3, includeBiases: true, generator: new tg.Generator(1) }).directions[0];
    for (const name of ['0.bias', '4.bias', '1.weight']) {
      const w = [...cnn.namedParameters()].find(([k]) => k === name)![1];
      expect(rel(b[name].norm().item(), w.norm().item())).toBeLessThan(1e-5);
    }
    // layer: the whole tensor has the weights' norm, but the filters do not each
    const l = tg.viz.lossLandscape(cnn, ce, [xi, yi], { steps: 3, normalize: 'layer', generator: new tg.Generator(1) }).directions[0];
    const w0 = [...cnn.namedParameters()][0][1];
    expect(rel(l['0.weight'].norm().item(), w0.norm().item())).toBeLessThan(1e-5);
    expect(Math.max(...filterNorms(l['0.weight']).map((v, i) => rel(v, filterNorms(w0)[i])))).toBeGreaterThan(1e-2);
    // none: plain standard normal entries (norm about sqrt(n), far from the weights' norm)
    const n = tg.viz.lossLandscape(cnn, ce, [xi, yi], { steps: 3, normalize: 'none', generator: new tg.Generator(1) }).directions[0];
    expect(n['4.weight'].norm().item() / Math.sqrt(4 * 4 * 4 * 3)).toBeGreaterThan(0.8);
    expect(n['4.weight'].norm().item() / Math.sqrt(4 * 4 * 4 * 3)).toBeLessThan(1.2);
    // the same generator seed gives the same directions
    const again = tg.viz.lossLandscape(cnn, ce, [xi, yi], { steps: 3, generator: new tg.Generator(1) });
    expect(again.directions[0]['0.weight'].toArray()).toEqual(d['0.weight'].toArray());
    expect(again.losses).toEqual(r.losses);
  });

  it('a DataLoader gives the mean loss over all samples (uneven batches), in eval mode', () => {
    const m = mlp(4);
    const d = randomDir(m, 8);
    const loader = new tg.data.DataLoader(new tg.data.TensorDataset(x, y), { batchSize: 6 });
    const a = tg.viz.lossLandscape(m, ce, loader, { directions: [d], steps: 7 });
    const b = tg.viz.lossLandscape(m, ce, [x, y], { directions: [d], steps: 7 });
    (a.losses as number[]).forEach((v, i) => expect(rel(v, (b.losses as number[])[i])).toBeLessThan(1e-12));
    // dropout is off while evaluating, and the training flag is restored
    tg.manualSeed(5);
    const drop = new nn.Sequential(new nn.Linear(4, 6), new nn.Dropout(0.5), new nn.Linear(6, 3)).double();
    const r1 = tg.viz.lossLandscape(drop, ce, [x, y], { steps: 3, generator: new tg.Generator(2) });
    const r2 = tg.viz.lossLandscape(drop, ce, [x, y], { steps: 3, generator: new tg.Generator(2) });
    expect(r1.losses).toEqual(r2.losses);
    expect(drop.training).toBe(true);
  });

  it('restores the weights when the loss throws', () => {
    const m = mlp(5);
    const before = bytes(m);
    let calls = 0;
    const bad = (o: tg.Tensor, t: tg.Tensor) => {
      if (++calls === 3) throw new Error('boom');
      return ce(o, t);
    };
    expect(() => tg.viz.lossLandscape(m, bad, [x, y], { steps: 5 })).toThrow('boom');
    expect(bytes(m)).toEqual(before);
  });

  it('rejects bad input with messages naming lossLandscape and the shapes', () => {
    const m = mlp(6);
    expect(() => tg.viz.lossLandscape({} as never, ce, [x, y])).toThrow(/^lossLandscape: model must be a tg.nn.Module/);
    expect(() => tg.viz.lossLandscape(m, ce, [x, y], { dims: 3 as never })).toThrow(RangeError);
    expect(() => tg.viz.lossLandscape(m, ce, [x, y], { steps: 1 })).toThrow(/steps must be an integer >= 2/);
    expect(() => tg.viz.lossLandscape(m, ce, [x, y], { range: [1, -1] })).toThrow(/range must be/);
    expect(() => tg.viz.lossLandscape(m, ce, [x, y], { normalize: 'unit' as never })).toThrow(/normalize must be/);
    expect(() => tg.viz.lossLandscape(m, ce, [x, y], { dims: 2, directions: [randomDir(m, 1)] })).toThrow(/directions must be an array of 2 directions/);
    expect(() => tg.viz.lossLandscape(m, ce, [x, y], { directions: [{ '0.weight': tg.zeros([2, 2], { dtype: 'float64' }) }] })).toThrow(
      /^lossLandscape: directions\[0\]\['0.weight'\] has shape \[2, 2\], the parameter has \[6, 4\]/,
    );
    expect(() => tg.viz.lossLandscape(m, ce, [x, y], { directions: [{ nope: tg.zeros([1]) }] })).toThrow(/'nope', which is not a parameter/);
    expect(() => tg.viz.lossLandscape(m, ce, 5 as never)).toThrow(/^lossLandscape: batch must be an iterable of batches/);
    expect(() => tg.viz.lossLandscape(m, (o) => o, [x, y], { steps: 2 })).toThrow(/must return a scalar tensor/);
  });
});
