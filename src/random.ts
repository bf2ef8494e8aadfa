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
    if (!state || typeof state.seed !== 'string' || !Number.isSafeInteger(state.offset) || state.offset < 0) {
      throw new TypeError('setState: expected {seed: string, offset: non-negative integer}');
    }
    this.manualSeed(BigInt(state.seed));
    this._offset = state.offset;
    return this;
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
