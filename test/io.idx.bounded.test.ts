// tg.io.readIdx checks the path is a regular file before reading, and reads no more than the IDX
// header declares: directories and devices fail at once, short and long files are clear errors.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import * as tg from 'tapegrad';
import { expectError } from './helpers';
import { idxBytes, idxTempFiles } from './idx-writer';

const tmp = idxTempFiles('tapegrad-idx-bounded-');
const file = tmp.file;

describe('readIdx on paths that are not regular files', () => {
  it('a directory fails at once, naming the file', () => {
    const sub = join(tmp.dir(), 'a-dir');
    mkdirSync(sub);
    expectError(() => tg.io.readIdx(sub), TypeError, /^readIdx: /, sub, /not a regular file \(a directory\)/);
    expectError(() => tg.io.readIdx('.'), TypeError, /^readIdx: \.: not a regular file/);
  });

  it('/dev/zero and /dev/null fail at once instead of reading forever', () => {
    expectError(() => tg.io.readIdx('/dev/zero'), TypeError, /^readIdx: \/dev\/zero: not a regular file \(a character device\)/);
    expectError(() => tg.io.readIdx('/dev/null'), TypeError, /^readIdx: \/dev\/null: not a regular file/);
  });

  // Windows has no FIFOs in the file system (under Wine, node.exe's stat does not report a Unix one).
  it.skipIf(process.platform === 'win32')('a FIFO fails without opening it (opening would block)', () => {
    const fifo = join(tmp.dir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(existsSync(fifo)).toBe(true);
    expectError(() => tg.io.readIdx(fifo), TypeError, /^readIdx: /, /not a regular file \(a FIFO\)/);
  });

  it('a missing file is an error from readIdx that keeps the fs code', () => {
    const missing = join(tmp.dir(), 'missing.idx');
    let err: NodeJS.ErrnoException | undefined;
    try {
      tg.io.readIdx(missing);
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.message).toMatch(/^readIdx: .*missing\.idx: ENOENT/);
    expect(err?.code).toBe('ENOENT');
  });
});

describe('readIdx reads what the header declares, exactly', () => {
  const values = [1.5, -2, 0.25, 8, 1e-3, 7];
  const good = idxBytes('f64', [3, 2], values); // 4 + 8 header bytes, 48 data bytes

  it('reads a file of exactly the declared size (plain and gzip)', () => {
    for (const [name, bytes] of [['ok.idx', good], ['ok.idx.gz', gzipSync(good)]] as const) {
      const t = tg.io.readIdx(file(name, bytes));
      expect(t.shape).toEqual([3, 2]);
      expect(Array.from(t.data())).toEqual(values);
    }
  });

  it('a plain file cut anywhere is a clear error', () => {
    for (const n of [0, 1, 3, 4, 7, 11, 12, 13, 59]) {
      const p = file(`cut${n}.idx`, good.subarray(0, n));
      expectError(() => tg.io.readIdx(p), RangeError, /^readIdx: /, p, /truncated/);
    }
    expectError(() => tg.io.readIdx(file('cut59.idx', good.subarray(0, 59))), RangeError, /\[3, 2\] of float64 needs 48 bytes, the file has 47/);
  });

  it('a gzip file whose content is cut, or whose stream is cut, is a clear error', () => {
    for (const n of [2, 11, 30, 59]) {
      const p = file(`cut${n}.idx.gz`, gzipSync(good.subarray(0, n)));
      expectError(() => tg.io.readIdx(p), RangeError, /^readIdx: /, p, /truncated/);
    }
    const gz = gzipSync(good);
    const p = file('stream-cut.idx.gz', gz.subarray(0, gz.length - 10));
    expectError(() => tg.io.readIdx(p), RangeError, /^readIdx: /, p, /gzip/);
  });

  it('a longer file than declared is a clear error (plain and gzip)', () => {
    const long = Buffer.concat([good, Buffer.alloc(5)]);
    expectError(() => tg.io.readIdx(file('long.idx', long)), RangeError, /^readIdx: /, /trailing data: 5 bytes after the 48/);
    expectError(() => tg.io.readIdx(file('long1.idx.gz', gzipSync(Buffer.concat([good, Buffer.alloc(1)])))), RangeError, /trailing data: 1 bytes/);
    // Far more than declared: inflation stops one byte past the declared size.
    const big = Buffer.concat([good, Buffer.alloc(32 * 2 ** 20)]);
    expectError(() => tg.io.readIdx(file('long.idx.gz', gzipSync(big))), RangeError, /^readIdx: /, /inflates to more than the 60 bytes/);
  });

  it('a header that declares far more than a plain file holds fails before its data is read', () => {
    const lie = idxBytes('u8', [30000, 30000], []); // 900 MB declared, 12 bytes on disk
    expectError(() => tg.io.readIdx(file('lie.idx', lie)), RangeError, /truncated data/, /needs 900000000 bytes, the file has 0/);
  });
});
