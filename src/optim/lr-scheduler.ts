// Learning-rate schedules. Like PyTorch 1.13, most compute each epoch's rate from the group's
// current rate (the chainable form), so the floats match PyTorch's epoch by epoch; the constructor
// takes the first step (epoch 0) itself.
import { Tensor } from '../tensor';
import { Optimizer } from './optimizer';

type Group = { lr: number; initialLr?: number };

import { describe } from '../validate';

function checkNumber(owner: string, key: string, v: unknown, lo = -Infinity, loOpen = false, hi = Infinity, hiOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${owner}: ${key} must be a finite number, got ${describe(v)}`);
  if (v < lo || (loOpen && v === lo) || v > hi || (hiOpen && v === hi)) {
    const range = `${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
    throw new RangeError(`${owner}: ${key} must be in ${range}, got ${v}`);
  }
  return v;
}

function checkInt(owner: string, key: string, v: unknown, lo: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${owner}: ${key} must be an integer, got ${describe(v)}`);
  if (v < lo) throw new RangeError(`${owner}: ${key} must be >= ${lo}, got ${v}`);
  return v;
}

function checkOptions(owner: string, opts: unknown, known: string[]): Record<string, unknown> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new TypeError(`${owner}: options must be an object, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) if (!known.includes(k)) throw new TypeError(`${owner}: unknown option '${k}'`);
  return opts as Record<string, unknown>;
}

function checkOptimizer(owner: string, o: unknown): Optimizer {
  if (!(o instanceof Optimizer)) throw new TypeError(`${owner}: expected a tg.optim optimizer, got ${describe(o)}`);
  return o;
}

// The range of every field a scheduler's state dict holds, checked before a load writes anything.
type FieldCheck = (owner: string, key: string, v: unknown, groups: number) => void;
const int = (lo: number): FieldCheck => (owner, key, v) => {
  if (checkInt(owner, key, v, lo) > Number.MAX_SAFE_INTEGER) throw new RangeError(`${owner}: ${key} must be at most 2^53 - 1, got ${v}`);
};
const nonNegative: FieldCheck = (owner, key, v) => void checkNumber(owner, key, v, 0);
const oneOf = (...values: string[]): FieldCheck => (owner, key, v) => {
  if (!values.includes(v as string)) throw new TypeError(`${owner}: ${key} must be ${values.map((x) => `'${x}'`).join(' or ')}, got ${describe(v)}`);
};
const perGroup = (lo: number): FieldCheck => (owner, key, v, groups) => {
  const a = v as unknown[];
  if (a.length !== groups) throw new RangeError(`${owner}: ${key} must have one value per parameter group (${groups}), got ${a.length}`);
  a.forEach((x, i) => checkNumber(owner, `${key}[${i}]`, x, lo));
};
const FIELDS: Record<string, FieldCheck> = {
  lastEpoch: int(-1),
  _stepCount: int(0),
  baseLrs: perGroup(0),
  _lastLr: perGroup(0),
  stepSize: int(1),
  gamma: nonNegative,
  milestones: (owner, key, v, groups) => (v as unknown[]).forEach((m, i) => int(0)(owner, `${key}[${i}]`, m, groups)),
  decayRate: nonNegative,
  tMax: int(1),
  etaMin: nonNegative,
  startFactor: (owner, key, v) => void checkNumber(owner, key, v, 0, true, 1),
  endFactor: (owner, key, v) => void checkNumber(owner, key, v, 0, false, 1),
  totalIters: int(1),
  mode: oneOf('min', 'max'),
  factor: (owner, key, v) => void checkNumber(owner, key, v, 0, false, 1, true),
  patience: int(0),
  threshold: nonNegative,
  thresholdMode: oneOf('rel', 'abs'),
  cooldown: int(0),
  minLrs: perGroup(0),
  eps: nonNegative,
  best: (owner, key, v) => {
    if (Number.isNaN(v)) throw new TypeError(`${owner}: ${key} must be a number (or +-Infinity), got NaN`);
  },
  numBadEpochs: int(0),
  cooldownCounter: int(0),
};

/**
 * Checks a scheduler state dict against the scheduler's own fields (same type, and each field's
 * range) and returns the function that writes it; entries it lacks keep their values, as in PyTorch.
 */
function prepareLoad(
  owner: string, target: object, sd: unknown, exclude: string[], groups: number, overrides: Record<string, FieldCheck> = {},
): () => void {
  if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) throw new TypeError(`${owner}: expected an object from stateDict(), got ${describe(sd)}`);
  const mine = target as Record<string, unknown>;
  const updates: [string, unknown][] = [];
  for (const [k, v] of Object.entries(sd)) {
    if (!Object.hasOwn(mine, k) || exclude.includes(k)) throw new TypeError(`${owner}: unknown entry '${k.length > 40 ? `${k.slice(0, 40)}...` : k}'`);
    const cur = mine[k];
    if (typeof cur !== typeof v || Array.isArray(cur) !== Array.isArray(v) || v === null) {
      throw new TypeError(`${owner}: entry '${k}' should be ${Array.isArray(cur) ? 'an array' : typeof cur}, got ${describe(v)}`);
    }
    const check = overrides[k] ?? FIELDS[k];
    if (check) check(owner, k, v, groups);
    updates.push([k, Array.isArray(v) ? v.slice() : v]);
  }
  return () => {
    for (const [k, v] of updates) mine[k] = v;
  };
}

/** Base of the epoch-indexed schedulers: `step()` advances `lastEpoch` and sets every group's `lr`. */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** The groups' `initialLr`, the rates the schedule starts from. */
  baseLrs: number[];
  lastEpoch: number;
  /** @internal */ _stepCount = 0;
  /** @internal */ _lastLr: number[] = [];
  /** @internal */ readonly _name: string;

  protected constructor(name: string, optimizer: unknown, lastEpoch: unknown = -1) {
    this._name = name;
    this.optimizer = checkOptimizer(name, optimizer);
    this.lastEpoch = checkInt(name, 'lastEpoch', lastEpoch, -1);
    const groups = this._groups();
    if (this.lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) throw new RangeError(`${name}: paramGroups[${i}] has no initialLr, which resuming (lastEpoch ${this.lastEpoch}) needs`);
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
  }

  /** Subclass constructors call this once their options are set: PyTorch's first step to epoch 0. */
  protected _initialStep(): void {
    this._stepCount = 0;
    this.step();
  }

  /** @internal */
  _groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** Rates for `lastEpoch` (already advanced), one per group. */
  protected abstract _getLr(): number[];

  step(): void {
    this._stepCount++;
    this.lastEpoch++;
    const values = this._getLr();
    const groups = this._groups();
    groups.forEach((g, i) => {
      g.lr = values[i];
    });
    this._lastLr = groups.map((g) => g.lr);
  }

  /** The rates the last `step()` set, one per parameter group. */
  getLastLr(): number[] {
    return this._lastLr.slice();
  }

  /** Plain data: the epoch counters, base and last rates, and the scheduler's options. */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer' || k === '_name' || typeof v === 'function' || k === 'lrLambdas') continue;
      out[k] = Array.isArray(v) ? v.slice() : v;
    }
    return out;
  }

  loadStateDict(sd: Record<string, unknown>): void {
    this._prepareLoad(sd)();
  }

  /** @internal Checks every entry (type and range) without changing anything; returns the commit. */
  _prepareLoad(sd: Record<string, unknown>): () => void {
    return prepareLoad(`${this._name}.loadStateDict`, this, sd, ['optimizer', '_name', 'lrLambdas'], this._groups().length);
  }
}

/** Multiplies the rate by `gamma` every `stepSize` epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    const o = checkOptions('StepLR', options, ['stepSize', 'gamma', 'lastEpoch']);
    super('StepLR', optimizer, o.lastEpoch ?? -1);
    this.stepSize = checkInt('StepLR', 'stepSize', o.stepSize, 1);
    this.gamma = checkNumber('StepLR', 'gamma', o.gamma ?? 0.1, 0);
    this._initialStep();
  }
  protected _getLr(): number[] {
    const groups = this._groups();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
}

/** Multiplies the rate by `gamma` at each milestone epoch (a milestone listed k times: gamma^k). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  constructor(optimizer: Optimizer, options: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    const o = checkOptions('MultiStepLR', options, ['milestones', 'gamma', 'lastEpoch']);
    super('MultiStepLR', optimizer, o.lastEpoch ?? -1);
    if (!Array.isArray(o.milestones)) throw new TypeError(`MultiStepLR: milestones must be an array of epochs, got ${describe(o.milestones)}`);
    this.milestones = o.milestones.map((m, i) => checkInt('MultiStepLR', `milestones[${i}]`, m, 0));
    this.gamma = checkNumber('MultiStepLR', 'gamma', o.gamma ?? 0.1, 0);
    this._initialStep();
  }
  protected _getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    const groups = this._groups();
    if (count === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma ** count);
  }
}

/** Multiplies the rate by `gamma` every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: Optimizer, options: { gamma: number; lastEpoch?: number }) {
    const o = checkOptions('ExponentialLR', options, ['gamma', 'lastEpoch']);
    super('ExponentialLR', optimizer, o.lastEpoch ?? -1);
    this.gamma = checkNumber('ExponentialLR', 'gamma', o.gamma, 0);
    this._initialStep();
  }
  protected _getLr(): number[] {
    const groups = this._groups();
    if (this.lastEpoch === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
}

/** Inverse-time decay: lr = initialLr / (1 + decayRate * epoch). (Not in PyTorch.) */
export class InverseTimeLR extends LRScheduler {
  decayRate: number;
  constructor(optimizer: Optimizer, options: { decayRate: number; lastEpoch?: number }) {
    const o = checkOptions('InverseTimeLR', options, ['decayRate', 'lastEpoch']);
    super('InverseTimeLR', optimizer, o.lastEpoch ?? -1);
    this.decayRate = checkNumber('InverseTimeLR', 'decayRate', o.decayRate, 0);
    this._initialStep();
  }
  protected _getLr(): number[] {
    return this.baseLrs.map((lr0) => lr0 / (1 + this.decayRate * this.lastEpoch));
  }
}

/** Cosine annealing from the initial rate down to `etaMin` over `tMax` epochs, and back up (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    const o = checkOptions('CosineAnnealingLR', options, ['tMax', 'etaMin', 'lastEpoch']);
    super('CosineAnnealingLR', optimizer, o.lastEpoch ?? -1);
    this.tMax = checkInt('CosineAnnealingLR', 'tMax', o.tMax, 1);
    this.etaMin = checkNumber('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0, 0);
    this._initialStep();
  }
  protected _getLr(): number[] {
    const groups = this._groups();
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return groups.map((g) => g.lr);
    if (this._stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if ((e - 1 - T) % (2 * T) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return groups.map((g) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin);
  }
}

/** Scales the rate linearly from startFactor to endFactor times the initial rate over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    const o = checkOptions('LinearLR', options, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch']);
    super('LinearLR', optimizer, o.lastEpoch ?? -1);
    this.startFactor = checkNumber('LinearLR', 'startFactor', o.startFactor ?? 1 / 3, 0, true, 1);
    this.endFactor = checkNumber('LinearLR', 'endFactor', o.endFactor ?? 1, 0, false, 1);
    this.totalIters = checkInt('LinearLR', 'totalIters', o.totalIters ?? 5, 1);
    this._initialStep();
  }
  protected _getLr(): number[] {
    const groups = this._groups();
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    if (e === 0) return groups.map((g) => g.lr * s);
    if (e > n) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }
}

/** lr = initialLr * lrLambda(epoch), with one function for all groups or one per group. */
export class LambdaLR extends LRScheduler {
  /** @internal */ lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: Optimizer, options: { lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[]; lastEpoch?: number }) {
    const o = checkOptions('LambdaLR', options, ['lrLambda', 'lastEpoch']);
    super('LambdaLR', optimizer, o.lastEpoch ?? -1);
    const n = this._groups().length;
    const fns = Array.isArray(o.lrLambda) ? o.lrLambda : Array.from({ length: n }, () => o.lrLambda);
    if (fns.length !== n) throw new RangeError(`LambdaLR: expected ${n} lrLambda functions (one per parameter group), got ${fns.length}`);
    fns.forEach((f, i) => {
      if (typeof f !== 'function') throw new TypeError(`LambdaLR: lrLambda${Array.isArray(o.lrLambda) ? `[${i}]` : ''} must be a function, got ${describe(f)}`);
    });
    this.lrLambdas = fns as ((epoch: number) => number)[];
    this._initialStep();
  }
  protected _getLr(): number[] {
    return this.baseLrs.map((b, i) => {
      const factor = this.lrLambdas[i](this.lastEpoch);
      if (typeof factor !== 'number' || Number.isNaN(factor)) {
        throw new TypeError(`LambdaLR: lrLambda returned ${describe(factor)} for epoch ${this.lastEpoch}; expected a number`);
      }
      return b * factor;
    });
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

/**
 * Multiplies the rate by `factor` when the metric passed to `step(metric)` has not improved (by
 * `threshold`, relative or absolute) for more than `patience` epochs; then waits `cooldown` epochs.
 * Rates never go below `minLr`, and changes smaller than `eps` are skipped.
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  /** @internal */ _lastLr: number[];

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const name = 'ReduceLROnPlateau';
    this.optimizer = checkOptimizer(name, optimizer);
    const o = checkOptions(name, options, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new TypeError(`${name}: mode must be 'min' or 'max', got ${describe(mode)}`);
    this.mode = mode;
    const tm = o.thresholdMode ?? 'rel';
    if (tm !== 'rel' && tm !== 'abs') throw new TypeError(`${name}: thresholdMode must be 'rel' or 'abs', got ${describe(tm)}`);
    this.thresholdMode = tm;
    this.factor = checkNumber(name, 'factor', o.factor ?? 0.1, 0, false, 1, true);
    this.patience = checkInt(name, 'patience', o.patience ?? 10, 0);
    this.threshold = checkNumber(name, 'threshold', o.threshold ?? 1e-4, 0);
    this.cooldown = checkInt(name, 'cooldown', o.cooldown ?? 0, 0);
    this.eps = checkNumber(name, 'eps', o.eps ?? 1e-8, 0);
    const n = optimizer.paramGroups.length;
    const minLr = o.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new RangeError(`${name}: expected ${n} minLr values (one per parameter group), got ${minLr.length}`);
      this.minLrs = minLr.map((v, i) => checkNumber(name, `minLr[${i}]`, v, 0));
    } else {
      this.minLrs = Array.from({ length: n }, () => checkNumber(name, 'minLr', minLr, 0));
    }
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this._lastLr = this._groups().map((g) => g.lr);
  }

  /** @internal */
  _groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** Records one epoch's metric (a number or a one-element tensor) and reduces the rates if it has plateaued. */
  step(metric: number | Tensor): void {
    let current: number;
    if (metric instanceof Tensor) current = metric.item();
    else if (typeof metric === 'number') current = metric;
    else throw new TypeError(`ReduceLROnPlateau.step: metric must be a number or a one-element Tensor, got ${describe(metric)}`);
    this.lastEpoch += 1;
    if (this._isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this._reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this._groups().map((g) => g.lr);
  }

  getLastLr(): number[] {
    return this._lastLr.slice();
  }

  /** @internal */
  _reduceLr(): void {
    this._groups().forEach((g, i) => {
      const old = g.lr;
      const next = Math.max(old * this.factor, this.minLrs[i]);
      if (old - next > this.eps) g.lr = next;
    });
  }

  /** @internal */
  _isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (k !== 'optimizer') out[k] = Array.isArray(v) ? v.slice() : v;
    return out;
  }

  loadStateDict(sd: Record<string, unknown>): void {
    this._prepareLoad(sd)();
  }

  /** @internal Checks every entry (type and range) without changing anything; returns the commit. */
  _prepareLoad(sd: Record<string, unknown>): () => void {
    return prepareLoad('ReduceLROnPlateau.loadStateDict', this, sd, ['optimizer'], this._groups().length, { lastEpoch: int(0) });
  }
}
