// tg.optim.lrScheduler against PyTorch 1.13's learning rates epoch by epoch (50 epochs,
// test/fixtures/optim.json), InverseTimeLR against hand-derived values, state dicts, bad options.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError } from './helpers';

interface Schedule {
  scheduler: string;
  options: Record<string, unknown>;
  metrics?: number[];
  lrs: number[][];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'optim.json'), 'utf8')) as { schedules: Schedule[] };

const S = tg.optim.lrScheduler;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const SA = S as any;
const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  inv: (e) => 1.0 / (e + 1),
  steps: (e) => 0.5 ** Math.floor(e / 10),
};

type AnyScheduler = { step(metric?: number): void; getLastLr(): number[]; stateDict(): Record<string, unknown>; loadStateDict(sd: Record<string, unknown>): void };

function makeOpt(): tg.optim.SGD {
  const ps = [tg.zeros([1], { requiresGrad: true }), tg.zeros([1], { requiresGrad: true })];
  return new tg.optim.SGD([{ params: [ps[0]], lr: 0.1 }, { params: [ps[1]], lr: 0.05 }], { lr: 0.1 });
}

function makeScheduler(s: Schedule, opt: tg.optim.Optimizer): AnyScheduler {
  const opts = { ...s.options };
  if (s.scheduler === 'LambdaLR') {
    const l = opts.lrLambda as string | string[];
    opts.lrLambda = Array.isArray(l) ? l.map((k) => LAMBDAS[k]) : LAMBDAS[l];
  }
  return new SA[s.scheduler](opt, opts);
}

const label = (s: Schedule): string => `${s.scheduler} ${JSON.stringify(s.options)}`;

describe('PyTorch 1.13 learning rates, 50 epochs', () => {
  it('cover every PyTorch scheduler', () => {
    expect(new Set(fixture.schedules.map((s) => s.scheduler))).toEqual(
      new Set(['StepLR', 'MultiStepLR', 'ExponentialLR', 'CosineAnnealingLR', 'LinearLR', 'LambdaLR', 'ReduceLROnPlateau']),
    );
  });
  for (const s of fixture.schedules) {
    it(label(s), () => {
      const opt = makeOpt();
      const sch = makeScheduler(s, opt);
      expectClose(opt.paramGroups.map((g) => g.lr), s.lrs[0], 1e-12, 0, 'epoch 0');
      for (let e = 1; e < s.lrs.length; e++) {
        opt.step();
        sch.step(s.metrics?.[e - 1]);
        expectClose(sch.getLastLr(), s.lrs[e], 1e-12, 0, `epoch ${e}`);
        expect(opt.paramGroups.map((g) => g.lr)).toEqual(sch.getLastLr());
      }
    });
  }
});

describe('state dicts: resuming after 20 epochs gives the same rates', () => {
  for (const s of fixture.schedules) {
    it(label(s), () => {
      const opt = makeOpt();
      const sch = makeScheduler(s, opt);
      for (let e = 1; e <= 20; e++) sch.step(s.metrics?.[e - 1]);
      const optSd = opt.stateDict();
      const schSd = JSON.parse(JSON.stringify(sch.stateDict(), (_k, v) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v)), (_k, v) =>
        v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v,
      );
      const opt2 = makeOpt();
      const sch2 = makeScheduler(s, opt2);
      opt2.loadStateDict(optSd);
      sch2.loadStateDict(schSd);
      expect(sch2.getLastLr()).toEqual(sch.getLastLr());
      for (let e = 21; e < s.lrs.length; e++) {
        sch.step(s.metrics?.[e - 1]);
        sch2.step(s.metrics?.[e - 1]);
        expect(sch2.getLastLr()).toEqual(sch.getLastLr());
        expectClose(sch2.getLastLr(), s.lrs[e], 1e-12, 0, `epoch ${e}`);
      }
    });
  }
});

describe('InverseTimeLR', () => {
  it('is lr0 / (1 + decayRate * epoch) per group (hand-derived values)', () => {
    const opt = makeOpt();
    const sch = new S.InverseTimeLR(opt, { decayRate: 0.5 });
    const seen = [sch.getLastLr()];
    for (let e = 1; e <= 50; e++) {
      sch.step();
      seen.push(sch.getLastLr());
    }
    // epochs 0, 1, 2, 3, 4, 6, 18, 50: denominators 1, 1.5, 2, 2.5, 3, 4, 10, 26
    const want: [number, number, number][] = [
      [0, 0.1, 0.05], [1, 0.1 / 1.5, 0.05 / 1.5], [2, 0.05, 0.025], [3, 0.04, 0.02], [4, 0.1 / 3, 0.05 / 3],
      [6, 0.025, 0.0125], [18, 0.01, 0.005], [50, 0.1 / 26, 0.05 / 26],
    ];
    for (const [e, a, b] of want) expectClose(seen[e], [a, b], 1e-15, 0, `epoch ${e}`);
    expect(seen).toHaveLength(51);
  });

  it('resumes from a state dict', () => {
    const opt = makeOpt();
    const sch = new S.InverseTimeLR(opt, { decayRate: 0.25 });
    for (let e = 0; e < 7; e++) sch.step();
    const opt2 = makeOpt();
    const sch2 = new S.InverseTimeLR(opt2, { decayRate: 3 });
    opt2.loadStateDict(opt.stateDict());
    sch2.loadStateDict(sch.stateDict());
    sch.step();
    sch2.step();
    expect(sch2.getLastLr()).toEqual(sch.getLastLr());
    expectClose(sch2.getLastLr(), [0.1 / 3, 0.05 / 3], 1e-15, 0);
  });
});

describe('schedulers drive the optimizer', () => {
  it('the next step uses the scheduled rate (hand-derived SGD)', () => {
    const p = tg.tensor([1], { dtype: 'float64', requiresGrad: true });
    const opt = new tg.optim.SGD([p], { lr: 1 });
    const sch = new S.StepLR(opt, { stepSize: 1, gamma: 0.5 });
    for (let e = 0; e < 3; e++) {
      p.grad = tg.tensor([1], { dtype: 'float64' });
      opt.step();
      sch.step();
    }
    expect(p.item()).toBe(1 - 1 - 0.5 - 0.25);
    expect(opt.paramGroups[0].initialLr).toBe(1);
  });

  it('ReduceLROnPlateau accepts a one-element tensor as the metric', () => {
    const opt = makeOpt();
    const sch = new S.ReduceLROnPlateau(opt, { patience: 0 });
    sch.step(tg.tensor(1));
    sch.step(tg.tensor([2]));
    expectClose(sch.getLastLr(), [0.01, 0.005], 1e-15, 0);
  });
});

describe('bad options', () => {
  it('give TypeErrors and RangeErrors naming the scheduler', () => {
    const opt = makeOpt();
    expectError(() => new S.StepLR({} as never, { stepSize: 1 }), TypeError, /^StepLR: expected a tg.optim optimizer/);
    expectError(() => new S.StepLR(opt, { stepSize: 0 }), RangeError, /^StepLR: stepSize must be >= 1, got 0/);
    expectError(() => new S.StepLR(opt, { stepSize: 1.5 }), TypeError, /^StepLR: stepSize must be an integer/);
    expectError(() => new S.StepLR(opt, { stepSize: 2, gama: 0.1 } as never), TypeError, /^StepLR: unknown option 'gama'/);
    expectError(() => new S.StepLR(opt, { stepSize: 2, gamma: -1 }), RangeError, /^StepLR: gamma must be in \[0, Infinity\]/);
    expectError(() => new S.MultiStepLR(opt, { milestones: 5 as never }), TypeError, /^MultiStepLR: milestones must be an array/);
    expectError(() => new S.MultiStepLR(opt, { milestones: [2, -1] }), RangeError, /^MultiStepLR: milestones\[1\] must be >= 0/);
    expectError(() => new S.ExponentialLR(opt, {} as never), TypeError, /^ExponentialLR: gamma must be a finite number/);
    expectError(() => new S.InverseTimeLR(opt, { decayRate: -0.1 }), RangeError, /^InverseTimeLR: decayRate/);
    expectError(() => new S.CosineAnnealingLR(opt, { tMax: 0 }), RangeError, /^CosineAnnealingLR: tMax must be >= 1/);
    expectError(() => new S.LinearLR(opt, { startFactor: 0 }), RangeError, /^LinearLR: startFactor must be in \(0, 1\]/);
    expectError(() => new S.LinearLR(opt, { endFactor: 1.5 }), RangeError, /^LinearLR: endFactor must be in \[0, 1\]/);
    expectError(() => new S.LambdaLR(opt, { lrLambda: [(e: number) => e] }), RangeError, /^LambdaLR: expected 2 lrLambda functions/);
    expectError(() => new S.LambdaLR(opt, { lrLambda: 3 as never }), TypeError, /^LambdaLR: lrLambda must be a function/);
    expectError(() => new S.ReduceLROnPlateau(opt, { mode: 'avg' as never }), TypeError, /^ReduceLROnPlateau: mode must be 'min' or 'max'/);
    expectError(() => new S.ReduceLROnPlateau(opt, { thresholdMode: 'pct' as never }), TypeError, /^ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs'/);
    expectError(() => new S.ReduceLROnPlateau(opt, { factor: 1 }), RangeError, /^ReduceLROnPlateau: factor must be in \[0, 1\)/);
    expectError(() => new S.ReduceLROnPlateau(opt, { minLr: [0.1] }), RangeError, /^ReduceLROnPlateau: expected 2 minLr values/);
    expectError(() => new S.ReduceLROnPlateau(opt, { patience: -1 }), RangeError, /^ReduceLROnPlateau: patience must be >= 0/);
    const plateau = new S.ReduceLROnPlateau(opt);
    expectError(() => plateau.step('0.5' as never), TypeError, /^ReduceLROnPlateau.step: metric must be a number or a one-element Tensor/);
    expectError(() => new S.StepLR(makeOpt(), { stepSize: 2, lastEpoch: 5 }), RangeError, /^StepLR: paramGroups\[0\] has no initialLr/);
    const sch = new S.StepLR(opt, { stepSize: 2 });
    expectError(() => sch.loadStateDict({ lastEpoch: 'x' }), TypeError, /^StepLR.loadStateDict: entry 'lastEpoch' should be number/);
    expectError(() => sch.loadStateDict({ foo: 1 }), TypeError, /^StepLR.loadStateDict: unknown entry 'foo'/);
  });
});
