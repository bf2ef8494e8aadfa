// Seeded mutation fuzzing of optimizer and scheduler state dicts: each state dict from a few real
// steps gets one leaf replaced by a hostile value (or deleted). loadStateDict either throws a
// TypeError/RangeError starting with '<Class>.loadStateDict: ' and leaves the object bitwise as it
// was, or loads, and then the next step() runs (no V8 TypeError from a state it accepted).
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { jsRandom } from './helpers';

type Json = unknown;
const DELETE = Symbol('delete');
/** TAPEGRAD_MUTATIONS=k runs k times the mutations, for longer fuzzing outside npm test. */
const SCALE = Math.max(1, Number(process.env.TAPEGRAD_MUTATIONS ?? 1));

const hex = (t: tg.Tensor): string => {
  const d = t.data();
  return `${t.dtype}[${t.shape.join(',')}]${Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex')}`;
};

function fingerprint(v: unknown): string {
  const deep = (x: unknown): unknown => {
    if (x instanceof tg.Tensor) return hex(x);
    if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
    if (Array.isArray(x)) return x.map(deep);
    if (x !== null && typeof x === 'object') return Object.entries(x).map(([k, y]) => [k, deep(y)]);
    return x;
  };
  return JSON.stringify(deep(v));
}

/** Paths to every leaf (numbers, strings, booleans, tensors) and every array/object entry. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (at.length) out.push(at);
  if (v instanceof tg.Tensor || v === null || typeof v !== 'object') return out;
  for (const [k, x] of Object.entries(v)) paths(x, [...at, Array.isArray(v) ? Number(k) : k], out);
  return out;
}

/** A copy of v with the value at `path` replaced (tensors are shared: nothing mutates them). */
function replaced(v: Json, path: (string | number)[], value: unknown): Json {
  if (path.length === 0) return value;
  const [k, ...rest] = path;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  const next = replaced(copy[k], rest, value);
  if (next === DELETE) delete copy[k];
  else copy[k] = next;
  return copy;
}

function hostile(r: () => number, old: unknown): unknown {
  const shape = old instanceof tg.Tensor ? old.shape : [2];
  const choices: (() => unknown)[] = [
    () => DELETE, () => -1, () => 0, () => 1.5, () => 1e308, () => Number.NaN, () => Infinity, () => -Infinity,
    () => 2 ** 53 + 2, () => '1', () => null, () => undefined, () => true, () => [], () => ({}), () => [0.9],
    () => tg.full([...shape], -1), () => tg.full([...shape], Number.NaN), () => tg.zeros([...shape], { dtype: 'int32' }),
    () => tg.zeros([7]), () => tg.zeros([...shape, 1]), () => tg.zeros([...shape], { dtype: 'float64' }),
  ];
  return choices[Math.floor(r() * choices.length)]();
}

function expectNamedOrLoads(name: string, load: () => void, state: () => string, step: () => void, what: string): 'loaded' | 'refused' {
  const before = state();
  try {
    load();
  } catch (e) {
    expect(e instanceof TypeError || e instanceof RangeError, `${what}: ${(e as Error).name}: ${(e as Error).message}`).toBe(true);
    expect((e as Error).message, what).toMatch(new RegExp(`^${name}\\.loadStateDict: `));
    expect(state(), `${what}: changed by a failed load`).toBe(before);
    return 'refused';
  }
  try {
    step();
  } catch (e) {
    // Allowed: an accepted but huge lr (1e308) overflowing in the update, refused by name.
    expect((e as Error).message, `${what}: step() after the load`).toMatch(new RegExp(`^${name}\\.step: the options give a non-finite update coefficient`));
  }
  return 'loaded';
}

const optimizers: [string, (p: tg.Tensor[]) => tg.optim.Optimizer][] = [
  ['SGD', (p) => new tg.optim.SGD([{ params: p.slice(0, 1) }, { params: p.slice(1), lr: 0.05 }], { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['Adam', (p) => new tg.optim.Adam(p, { amsgrad: true, weightDecay: 0.1 })],
  ['AdamW', (p) => new tg.optim.AdamW(p)],
  ['Adagrad', (p) => new tg.optim.Adagrad(p, { lrDecay: 0.01, initialAccumulatorValue: 0.1 })],
  ['RMSprop', (p) => new tg.optim.RMSprop(p, { centered: true, momentum: 0.5 })],
  ['Adadelta', (p) => new tg.optim.Adadelta(p)],
  ['Adamax', (p) => new tg.optim.Adamax(p)],
  ['NAdam', (p) => new tg.optim.NAdam(p)],
];

function setup(make: (p: tg.Tensor[]) => tg.optim.Optimizer) {
  const params = [tg.tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true }), tg.tensor([1, -2], { requiresGrad: true })];
  const opt = make(params);
  const step = () => {
    opt.zeroGrad();
    tg.add(params[0].mul(params[0]).sum(), params[1].mul(3).sum()).backward();
    opt.step();
  };
  step();
  step();
  return { params, opt, step };
}

describe('optimizer.loadStateDict: mutated state dicts', () => {
  it.each(optimizers)('%s: a named error with nothing changed, or a state the next step() accepts', (name, make) => {
    const { params, opt, step } = setup(make);
    const good = opt.stateDict();
    const state = () => fingerprint([opt.stateDict(), params, opt.paramGroups.map((g) => g.params.map((p) => params.indexOf(p)))]);
    const r = jsRandom(name.length * 7919);
    const all = paths(good);
    const outcomes = { loaded: 0, refused: 0 };
    for (let i = 0; i < 150 * SCALE; i++) {
      const path = all[Math.floor(r() * all.length)];
      const old = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], good);
      const bad = replaced(good, path, hostile(r, old));
      outcomes[expectNamedOrLoads(name, () => opt.loadStateDict(bad as never), state, step, `${path.join('.')}`)]++;
      opt.loadStateDict(good);
    }
    expect(outcomes.refused).toBeGreaterThan(30);
    expect(outcomes.loaded).toBeGreaterThan(5);
  });
});

const schedulers: [string, (o: tg.optim.Optimizer) => { step(m: number): void; stateDict(): Record<string, unknown>; loadStateDict(sd: Record<string, unknown>): void }][] = [
  ['StepLR', (o) => new tg.optim.lrScheduler.StepLR(o, { stepSize: 2 })],
  ['MultiStepLR', (o) => new tg.optim.lrScheduler.MultiStepLR(o, { milestones: [1, 3] })],
  ['ExponentialLR', (o) => new tg.optim.lrScheduler.ExponentialLR(o, { gamma: 0.9 })],
  ['InverseTimeLR', (o) => new tg.optim.lrScheduler.InverseTimeLR(o, { decayRate: 0.5 })],
  ['CosineAnnealingLR', (o) => new tg.optim.lrScheduler.CosineAnnealingLR(o, { tMax: 4, etaMin: 0.001 })],
  ['LinearLR', (o) => new tg.optim.lrScheduler.LinearLR(o)],
  ['LambdaLR', (o) => new tg.optim.lrScheduler.LambdaLR(o, { lrLambda: (e) => 0.9 ** e })],
  ['ReduceLROnPlateau', (o) => new tg.optim.lrScheduler.ReduceLROnPlateau(o, { patience: 0 })],
];

describe('scheduler.loadStateDict: mutated state dicts', () => {
  it.each(schedulers)('%s: a named error with nothing changed, or a state the next step() accepts', (name, make) => {
    const { opt } = setup(optimizers[0][1]);
    const sch = make(opt);
    sch.step(1);
    sch.step(2);
    const good = sch.stateDict();
    const state = () => fingerprint([sch.stateDict(), opt.paramGroups.map((g) => g.lr)]);
    const r = jsRandom(name.length * 104729);
    const all = paths(good);
    const outcomes = { loaded: 0, refused: 0 };
    for (let i = 0; i < 100 * SCALE; i++) {
      const path = all[Math.floor(r() * all.length)];
      const old = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], good);
      const bad = replaced(good, path, hostile(r, old)) as Record<string, unknown>;
      const lrs = opt.paramGroups.map((g) => g.lr);
      outcomes[expectNamedOrLoads(name, () => sch.loadStateDict(bad), state, () => sch.step(0.5), `${path.join('.')}`)]++;
      sch.loadStateDict(good);
      opt.paramGroups.forEach((g, j) => {
        g.lr = lrs[j];
      });
    }
    expect(outcomes.refused).toBeGreaterThan(20);
  });
});

describe('valid states at the edges of their ranges still load', () => {
  it("NAdam after its float32 momentum product underflowed to 0, and Adam's step count at 2^53 - 1", () => {
    const p = tg.tensor([1, -1], { requiresGrad: true });
    const nadam = new tg.optim.NAdam([p]);
    for (let i = 0; i < 150 * SCALE; i++) {
      nadam.zeroGrad();
      p.mul(p).sum().backward();
      nadam.step();
    }
    const sd = nadam.stateDict();
    expect(sd.state[0].muProduct).toBe(0);
    const fresh = new tg.optim.NAdam([tg.tensor([0, 0], { requiresGrad: true })]);
    fresh.loadStateDict(sd);
    expect(fingerprint(fresh.stateDict())).toBe(fingerprint(sd));
    const adam = new tg.optim.Adam([p]);
    adam.loadStateDict({ state: { 0: { step: 2 ** 53 - 1, expAvg: tg.zeros([2]), expAvgSq: tg.zeros([2]) } }, paramGroups: adam.stateDict().paramGroups });
    expect(adam.stateDict().state[0].step).toBe(2 ** 53 - 1);
  });
});
