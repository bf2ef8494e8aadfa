// float32 transcendentals (SIMD polynomial kernels) within 4 ulp of a double reference over the
// whole input range: every binade from the smallest denormal to the largest finite, both signs,
// and the special values.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { jsRandom } from './helpers';

const bits = new Uint32Array(1);
const flt = new Float32Array(bits.buffer);

function inputs(): Float32Array {
  const r = jsRandom(20261123);
  const out: number[] = [0, -0, Infinity, -Infinity, NaN, 1.17549435e-38, -1.17549435e-38, 3.4028235e38, -3.4028235e38,
    88.72283, 88.7228394, -103.972, -87.3365, 0.625, -0.625, 0.921875, -0.921875, 3.92, -3.92, 1, -1, 0.5];
  for (let e = 0; e < 255; e++) {
    for (let k = 0; k < 300; k++) {
      const mant = Math.floor(r() * 0x800000);
      for (const s of [0, 1]) {
        bits[0] = ((s << 31) | (e << 23) | mant) >>> 0;
        out.push(flt[0]);
      }
    }
  }
  return Float32Array.from(out);
}

/** Size of one float32 ulp at the float32 rounding of `ref`. */
function ulp(ref: number): number {
  const a = Math.abs(Math.fround(ref));
  if (a < 1.17549435e-38) return 2 ** -149;
  flt[0] = a;
  bits[0] += 1;
  return flt[0] - a;
}

function ulpError(y: number, ref: number): number {
  if (Number.isNaN(ref)) return Number.isNaN(y) ? 0 : Infinity;
  if (y === ref) return 0;
  const rf = Math.fround(ref);
  if (!Number.isFinite(rf)) return y === rf || (Math.abs(y) === 3.4028234663852886e38 && Math.sign(y) === Math.sign(ref)) ? 0 : Infinity;
  return Math.abs(y - ref) / ulp(ref);
}

const x = inputs();
const x64 = Float64Array.from(x);
const erfRef = tg.erf(tg.tensor(x64, { dtype: 'float64' })).data() as Float64Array;
const cases: [string, (t: tg.Tensor) => tg.Tensor, (v: number, i: number) => number][] = [
  ['exp', tg.exp, Math.exp],
  ['log', tg.log, Math.log],
  ['tanh', tg.tanh, Math.tanh],
  ['sigmoid', tg.sigmoid, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)))],
  ['erf', tg.erf, (_v, i) => erfRef[i]],
];

describe('float32 transcendentals', () => {
  for (const [name, f, ref] of cases) {
    it(`${name} is within 4 ulp of the double reference, specials included`, () => {
      const y = f(tg.tensor(x, { dtype: 'float32' })).data() as Float32Array;
      let worst = 0;
      let at = 0;
      for (let i = 0; i < x.length; i++) {
        const e = ulpError(y[i], ref(x[i], i));
        if (!(e <= worst)) {
          worst = e;
          at = i;
        }
      }
      expect(worst, `${name}(${x[at]}) = ${y[at]}, reference ${ref(x[at], at)}`).toBeLessThanOrEqual(4);
    });
  }

  it('keeps the values libm gives at the edges', () => {
    const v = (f: (t: tg.Tensor) => tg.Tensor, a: number[]) => Array.from(f(tg.tensor(a, { dtype: 'float32' })).data() as Float32Array);
    expect(v(tg.exp, [-Infinity, Infinity, 89, -104, -103, 0])).toEqual([0, Infinity, Infinity, 0, Math.fround(Math.exp(-103)), 1]);
    expect(v(tg.log, [0, -0, -1, Infinity, 1, 1e-45])).toEqual([-Infinity, -Infinity, NaN, Infinity, 0, Math.fround(Math.log(1.401298464324817e-45))]);
    expect(v(tg.tanh, [-0, Infinity, -Infinity, 20])).toEqual([-0, 1, -1, 1]);
    expect(v(tg.sigmoid, [-Infinity, Infinity, -0, -100])).toEqual([0, 1, 0.5, Math.fround(Math.exp(-100) / (1 + Math.exp(-100)))]);
    expect(v(tg.erf, [-0, Infinity, -Infinity, 5])).toEqual([-0, 1, -1, 1]);
  });
});
