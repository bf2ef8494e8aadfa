// A sampler's random source: tapegrad's counter-based Generator, seeded or (without a seed) seeded
// from the OS so that unseeded workers sharing a study draw different trials.
import { randomInt } from 'node:crypto';
import { Generator } from '../random';

export class SamplerRng {
  private readonly gen: Generator;
  private readonly one = new Float64Array(1);

  /** `seed` an integer, or a tg.Generator to draw from (shared, so tg.manualSeed applies to the default one). */
  constructor(op: string, seed: unknown) {
    if (seed instanceof Generator) {
      this.gen = seed;
      return;
    }
    if (seed !== undefined && seed !== null && !Number.isSafeInteger(seed)) throw new TypeError(`${op}: seed must be an integer, got ${String(seed)}`);
    this.gen = new Generator((seed as number | undefined) ?? randomInt(2 ** 47));
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    this.gen._uniform(this.one, 0, 1);
    return this.one[0];
  }

  uniforms(n: number): Float64Array {
    const out = new Float64Array(n);
    if (n > 0) this.gen._uniform(out, 0, 1);
    return out;
  }

  normals(n: number): Float64Array {
    const out = new Float64Array(n);
    if (n > 0) this.gen._normal(out, 0, 1);
    return out;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
}
