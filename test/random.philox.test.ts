// tg.rand / tg.randn against an independent Philox4x32-10 written here (Salmon et al. 2011, with the
// round constants and key schedule of Random123), so every ISA level and thread count is checked to
// produce the generator's exact numbers, not only numbers that agree with each other.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

const M0 = 0xd2511f53n, M1 = 0xcd9e8d57n, W0 = 0x9e3779b9, W1 = 0xbb67ae85;

function philox(counter: bigint, key0: number, key1: number): number[] {
  let c0 = Number(counter & 0xffffffffn), c1 = Number((counter >> 32n) & 0xffffffffn), c2 = 0, c3 = 0;
  let k0 = key0, k1 = key1;
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * BigInt(c0), p1 = M1 * BigInt(c2);
    const n0 = (Number(p1 >> 32n) ^ c1 ^ k0) >>> 0, n2 = (Number(p0 >> 32n) ^ c3 ^ k1) >>> 0;
    c1 = Number(p1 & 0xffffffffn);
    c3 = Number(p0 & 0xffffffffn);
    c0 = n0;
    c2 = n2;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

describe('Philox known answers', () => {
  it('matches the Random123 test vector for counter 0, key 0', () => {
    // Random123's kat_vectors: philox4x32 10 rounds, ctr = key = 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8
    expect(philox(0n, 0, 0).map((w) => w.toString(16).padStart(8, '0'))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
  });

  it('rand (float32) gives the 24-bit uniforms of counters offset + i / 4, across calls', () => {
    const seed = 0x123456789abcdefn;
    tg.manualSeed(seed);
    const k0 = Number(seed & 0xffffffffn), k1 = Number(seed >> 32n);
    const first = tg.rand([70001]).data() as Float32Array; // several parallel blocks, a ragged end
    const second = tg.rand([5]).data() as Float32Array; // the next call starts at counter 70001
    const expected = (n: number, offset: number) =>
      Float32Array.from({ length: n }, (_, i) => {
        const w = philox(BigInt(offset + Math.floor(i / 4)), k0, k1)[i % 4];
        return Math.fround((w >>> 8) * 2 ** -24);
      });
    // Element i of a call reads word i % 4 of counter offset + floor(i / 4).
    const want = expected(70001, 0);
    let bad = -1;
    for (let i = 0; i < want.length; i++) if (first[i] !== want[i]) { bad = i; break; }
    expect(bad).toBe(-1);
    expect(Array.from(second)).toEqual(Array.from(expected(5, 70001)));
  });

  it('randn (float64) is Box-Muller on the 53-bit uniforms of counter offset + i', () => {
    tg.manualSeed(7);
    const got = tg.randn([9], { dtype: 'float64' }).data() as Float64Array;
    const u53 = (hi: number, lo: number) => Number(((BigInt(hi) << 32n) | BigInt(lo)) >> 11n) * 2 ** -53;
    for (let i = 0; i < 9; i++) {
      const [a, b, c, d] = philox(BigInt(i), 7, 0);
      const want = Math.sqrt(-2 * Math.log(1 - u53(a, b))) * Math.cos(6.283185307179586 * u53(c, d));
      expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(want)));
    }
  });
});
