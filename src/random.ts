// Seeded, counter-based randomness: a generator is a 64-bit key and a counter; each draw of n
// numbers uses counters [offset, offset + n), so results never depend on the thread count.
import { native, TypedArray } from './native';
import { describe } from './validate';

const DEFAULT_SEED = 67280421310721n;

export class Generator {
  /** @internal */ _k0 = 0;
  /** @internal */ _k1 = 0;
  /** @internal */ _offset = 0;
  private _seed = 0n;

  constructor(seed: number | bigint = DEFAULT_SEED) {
    this._seedWith('Generator', seed);
  }

  manualSeed(seed: number | bigint): this {
    return this._seedWith('manualSeed', seed);
  }

  private _seedWith(op: string, seed: number | bigint): this {
    let s: bigint;
    if (typeof seed === 'bigint') s = seed;
    else if (typeof seed === 'number' && Number.isSafeInteger(seed)) s = BigInt(seed);
    else throw new TypeError(`${op}: seed must be an integer (number or bigint), got ${describe(seed)}`);
    s = BigInt.asUintN(64, s);
    this._seed = s;
    this._k0 = Number(s & 0xffffffffn);
    this._k1 = Number(s >> 32n);
    this._offset = 0;
    return this;
  }

  initialSeed(): bigint {
    return this._seed;
  }

  /** The state to restore later with setState (seed and counter). */
  getState(): { seed: string; offset: number } {
    return { seed: this._seed.toString(), offset: this._offset };
  }

  setState(state: { seed: string; offset: number }): this {
    const parsed = Generator._parseState('setState', state);
    this._commitState(parsed);
    return this;
  }

  /** @internal Checks a state from getState() without touching any generator (for atomic loads). */
  static _parseState(op: string, state: unknown): { seed: bigint; offset: number } {
    const bad = (why: string) => new TypeError(`${op}: expected a generator state {seed: a decimal string of an unsigned 64-bit integer, offset: an integer in [0, 2^53]}; ${why}`);
    if (state === null || typeof state !== 'object' || Array.isArray(state)) throw bad(`got ${state === null ? 'null' : Array.isArray(state) ? 'an array' : `a ${typeof state}`}`);
    const { seed, offset } = state as { seed?: unknown; offset?: unknown };
    if (typeof seed !== 'string') throw bad(`seed is ${seed === null ? 'null' : `a ${typeof seed}`}`);
    if (!/^[0-9]{1,20}$/.test(seed)) throw bad(`seed is a string of ${seed.length} characters that is not a decimal integer`);
    const s = BigInt(seed);
    if (s >= 2n ** 64n) throw new RangeError(`${op}: generator seed must be below 2^64, got a ${seed.length}-digit number`);
    if (typeof offset !== 'number') throw bad(`offset is ${offset === null ? 'null' : `a ${typeof offset}`}`);
    if (!Number.isInteger(offset) || offset < 0 || offset > 2 ** 53) {
      throw new RangeError(`${op}: generator offset must be an integer in [0, 2^53], got ${Number.isFinite(offset) ? offset : String(offset)}`);
    }
    return { seed: s, offset };
  }

  /** @internal Applies a state checked by _parseState (cannot throw). */
  _commitState(state: { seed: bigint; offset: number }): void {
    this._seedWith('setState', state.seed);
    this._offset = state.offset;
  }

  /** @internal Reserves n counters and returns the first. */
  _take(n: number): number {
    const o = this._offset;
    this._offset += n;
    if (this._offset > 2 ** 53) throw new RangeError('Generator: counter exhausted; reseed the generator');
    return o;
  }

  /** @internal */
  _uniform(out: TypedArray, low: number, high: number): void {
    native.randomUniform(out, this._k0, this._k1, this._take(out.length), low, high);
  }
  /** @internal */
  _normal(out: TypedArray, mean: number, std: number): void {
    native.randomNormal(out, this._k0, this._k1, this._take(out.length), mean, std);
  }
  /** @internal */
  _int(out: TypedArray, low: number, high: number): void {
    native.randomInt(out, this._k0, this._k1, this._take(out.length), low, high);
  }
  /** @internal */
  _perm(out: Int32Array): void {
    native.randperm(out, this._k0, this._k1, this._take(out.length));
  }
}

export const defaultGenerator = new Generator();

/** Seeds the default generator: every random function, initialisation and shuffle becomes reproducible. */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

export function resolveGenerator(op: string, g: unknown): Generator {
  if (g === undefined || g === null) return defaultGenerator;
  if (!(g instanceof Generator)) throw new TypeError(`${op}: generator must be a tg.Generator`);
  return g;
}
