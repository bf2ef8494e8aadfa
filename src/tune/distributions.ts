// Parameter distributions (Optuna's Float/Int/Categorical) and their internal representation:
// floats and ints are themselves, a categorical value is the index of its choice.

export interface FloatDistribution {
  kind: 'float';
  low: number;
  high: number;
  log: boolean;
  step: number | null;
}
export interface IntDistribution {
  kind: 'int';
  low: number;
  high: number;
  log: boolean;
  step: number;
}
export interface CategoricalDistribution {
  kind: 'categorical';
  choices: readonly unknown[];
}
export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

export interface SuggestOptions {
  log?: boolean;
  step?: number;
}

function checkOpts(op: string, opts: unknown): SuggestOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object {log, step}`);
  const o = opts as SuggestOptions;
  if (o.log !== undefined && typeof o.log !== 'boolean') throw new TypeError(`${op}: log must be a boolean`);
  if (o.step !== undefined && !(typeof o.step === 'number' && Number.isFinite(o.step) && o.step > 0)) {
    throw new RangeError(`${op}: step must be a finite number > 0, got ${String(o.step)}`);
  }
  return o;
}

/** high is lowered to the last point of the step grid, as Optuna does. */
function gridHigh(low: number, high: number, step: number): number {
  const n = Math.floor((high - low) / step + 1e-9);
  return low + n * step;
}

export function floatDistribution(op: string, low: number, high: number, opts?: SuggestOptions): FloatDistribution {
  const { log = false, step } = checkOpts(op, opts);
  if (typeof low !== 'number' || typeof high !== 'number' || !Number.isFinite(low) || !Number.isFinite(high) || !(low <= high)) {
    throw new RangeError(`${op}: expected finite low <= high, got ${String(low)}, ${String(high)}`);
  }
  if (log && step !== undefined) throw new RangeError(`${op}: log and step cannot be used together`);
  if (log && !(low > 0)) throw new RangeError(`${op}: low must be > 0 with log, got ${low}`);
  return { kind: 'float', low, high: step === undefined ? high : gridHigh(low, high, step), log, step: step ?? null };
}

export function intDistribution(op: string, low: number, high: number, opts?: SuggestOptions): IntDistribution {
  const { log = false, step = 1 } = checkOpts(op, opts);
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || low > high) {
    throw new RangeError(`${op}: expected integers low <= high, got ${String(low)}, ${String(high)}`);
  }
  if (!Number.isSafeInteger(step)) throw new RangeError(`${op}: step must be a positive integer, got ${step}`);
  if (log && step !== 1) throw new RangeError(`${op}: log requires step 1, got ${step}`);
  if (log && low < 1) throw new RangeError(`${op}: low must be >= 1 with log, got ${low}`);
  return { kind: 'int', low, high: gridHigh(low, high, step), log, step };
}

export function categoricalDistribution(op: string, choices: readonly unknown[]): CategoricalDistribution {
  if (!Array.isArray(choices) || choices.length === 0) throw new TypeError(`${op}: choices must be a non-empty array`);
  return { kind: 'categorical', choices: choices.slice() };
}

const sameValue = (a: unknown, b: unknown): boolean => Object.is(a, b) || (typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b));

export function sameDistribution(a: Distribution, b: Distribution): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'categorical') {
    const c = (b as CategoricalDistribution).choices;
    return a.choices.length === c.length && a.choices.every((x, i) => sameValue(x, c[i]));
  }
  const o = b as FloatDistribution | IntDistribution;
  return a.low === o.low && a.high === o.high && a.log === o.log && a.step === o.step;
}

/** Only one value is possible. */
export function isSingle(d: Distribution): boolean {
  if (d.kind === 'categorical') return d.choices.length === 1;
  if (d.kind === 'float' && d.step === null) return d.low === d.high;
  return d.low === d.high;
}

export function toInternal(d: Distribution, value: unknown): number {
  if (d.kind === 'categorical') return d.choices.findIndex((c) => sameValue(c, value));
  return value as number;
}

export function toExternal(d: Distribution, internal: number): unknown {
  if (d.kind === 'categorical') return d.choices[internal];
  return internal;
}

/** Whether an internal value lies in the distribution (on its step grid when it has one). */
export function contains(d: Distribution, internal: number): boolean {
  if (typeof internal !== 'number' || Number.isNaN(internal)) return false;
  if (d.kind === 'categorical') return Number.isInteger(internal) && internal >= 0 && internal < d.choices.length;
  if (internal < d.low || internal > d.high) return false;
  if (d.kind === 'int') return Number.isInteger(internal) && (internal - d.low) % d.step === 0;
  if (d.step === null) return true;
  const k = (internal - d.low) / d.step;
  return Math.abs(k - Math.round(k)) < 1e-8;
}

export function describe(d: Distribution): string {
  if (d.kind === 'categorical') return `categorical(${d.choices.map((c) => JSON.stringify(c)).join(', ')})`;
  return `${d.kind}(${d.low}, ${d.high}${d.log ? ', log' : ''}${d.step !== null && !(d.kind === 'int' && d.step === 1) ? `, step ${d.step}` : ''})`;
}
