// tg.io.readIdx: every IDX data type, plain and gzip, and the errors for malformed files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tg from 'tapegrad';
import { expectError } from './helpers';
import { idxBytes } from './idx-writer';

let dir = '';
function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tapegrad-idx-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readIdx', () => {
  const cases: [Kind, number[], string][] = [
    ['u8', [0, 1, 127, 128, 200, 255], 'int32'],
    ['i8', [-128, -1, 0, 1, 100, 127], 'int32'],
    ['i16', [-32768, -300, -1, 0, 258, 32767], 'int32'],
    ['i32', [-(2 ** 31), -65536, -1, 0, 16909060, 2 ** 31 - 1], 'int32'],
    ['f32', [-1.5, 0.25, Math.PI, 1e-30, 3e38, 0].map(Math.fround), 'float32'],
    ['f64', [-1.5, 0.1, Math.PI, 1e-300, 1e300, -0], 'float64'],
  ];
  for (const [kind, values, dtype] of cases) {
    it(`${kind} → ${dtype}, plain and gzip`, () => {
      const bytes = idxBytes(kind, [2, 3], values);
      for (const [name, content] of [[`${kind}.idx`, bytes], [`${kind}.idx.gz`, gzipSync(bytes)]] as const) {
        const t = tg.io.readIdx(file(name, content));
        expect(t.dtype).toBe(dtype);
        expect(t.shape).toEqual([2, 3]);
        expect(Array.from(t.data())).toEqual(values);
      }
    });
  }

  it('reads 1-D, 3-D and 0-d files, and empty dimensions', () => {
    const imgs = Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);
    const t = tg.io.readIdx(file('imgs', idxBytes('u8', [2, 3, 4], imgs)));
    expect(t.shape).toEqual([2, 3, 4]);
    expect(t.toArray()).toEqual([0, 1].map((a) => [0, 1, 2].map((b) => [0, 1, 2, 3].map((c) => imgs[a * 12 + b * 4 + c]))));
    expect(Array.from(tg.io.readIdx(file('lab', idxBytes('u8', [4], [9, 0, 3, 7]))).data())).toEqual([9, 0, 3, 7]);
    const s = tg.io.readIdx(file('scalar', idxBytes('f64', [], [2.5])));
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(2.5);
    expect(tg.io.readIdx(file('empty.gz', gzipSync(idxBytes('f32', [0, 5], [])))).shape).toEqual([0, 5]);
  });

  it('rejects a wrong magic number or data type', () => {
    const good = idxBytes('u8', [3], [1, 2, 3]);
    const bad = Buffer.from(good);
    bad[0] = 1;
    expectError(() => tg.io.readIdx(file('magic', bad)), RangeError, /readIdx/, /not an IDX file/, /01 00 08 01/);
    expectError(() => tg.io.readIdx(file('magic.gz', gzipSync(bad))), RangeError, /not an IDX file/);
    const badType = Buffer.from(good);
    badType[2] = 0x0a;
    expectError(() => tg.io.readIdx(file('type', badType)), RangeError, /unknown IDX data type 0x0a/);
    expectError(() => tg.io.readIdx(file('short', Buffer.from([0, 0]))), RangeError, /truncated/);
  });

  it('rejects truncated and trailing data, plain and gzip, naming the sizes', () => {
    const good = idxBytes('i16', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const cut = good.subarray(0, good.length - 3);
    expectError(() => tg.io.readIdx(file('cut', cut)), RangeError, /truncated data/, /\[2, 4\]/, /needs 16 bytes, the file has 13/);
    expectError(() => tg.io.readIdx(file('cut.gz', gzipSync(cut))), RangeError, /truncated data/);
    expectError(() => tg.io.readIdx(file('head', good.subarray(0, 9))), RangeError, /truncated header/);
    const long = Buffer.concat([good, Buffer.from([1, 2])]);
    expectError(() => tg.io.readIdx(file('long', long)), RangeError, /trailing data: 2 bytes/);
    expectError(() => tg.io.readIdx(file('long.gz', gzipSync(long))), RangeError, /trailing data/);
    const gz = gzipSync(good);
    expectError(() => tg.io.readIdx(file('gzcut.gz', gz.subarray(0, gz.length - 6))), RangeError, /readIdx/, /gzip/);
  });

  it('gzip bomb guard: inflation stops at the size the header declares', () => {
    // 64 MiB of zeros behind a header that declares 10 bytes: compresses to ~64 KiB.
    const bomb = Buffer.alloc(4 + 4 + 64 * 2 ** 20);
    bomb[2] = 0x08;
    bomb[3] = 1;
    bomb.writeUInt32BE(10, 4);
    const gz = gzipSync(bomb, { level: 9 });
    expect(gz.length).toBeLessThan(200_000);
    expectError(() => tg.io.readIdx(file('bomb.gz', gz)), RangeError, /trailing data/, /inflates to more than the 18 bytes/);
  });

  it('refuses a header that declares more than the compressed file can hold, before inflating', () => {
    const lie = idxBytes('f64', [1000, 1000, 100], []); // 800 MB declared
    expectError(() => tg.io.readIdx(file('lie.gz', gzipSync(lie))), RangeError, /truncated/, /compressed bytes/);
    expectError(() => tg.io.readIdx(file('lie', lie)), RangeError, /truncated data/, /needs 800000000 bytes/);
  });

  it('rejects bad paths', () => {
    expectError(() => tg.io.readIdx(42 as unknown as string), TypeError, /path/);
    expect(() => tg.io.readIdx(join(dir, 'missing'))).toThrow(/ENOENT/);
  });
});
