// Writes IDX files for the tests, independently of tg.io.readIdx (DataView's big-endian setters).
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CODES = { u8: 0x08, i8: 0x09, i16: 0x0b, i32: 0x0c, f32: 0x0d, f64: 0x0e } as const;
type Kind = keyof typeof CODES;
const SIZE: Record<Kind, number> = { u8: 1, i8: 1, i16: 2, i32: 4, f32: 4, f64: 8 };

export function idxBytes(kind: Kind, shape: number[], values: number[]): Buffer {
  const head = 4 + 4 * shape.length;
  const buf = Buffer.alloc(head + values.length * SIZE[kind]);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
  buf[2] = CODES[kind];
  buf[3] = shape.length;
  shape.forEach((s, d) => v.setUint32(4 + 4 * d, s, false));
  values.forEach((x, i) => {
    const o = head + i * SIZE[kind];
    if (kind === 'u8') v.setUint8(o, x);
    else if (kind === 'i8') v.setInt8(o, x);
    else if (kind === 'i16') v.setInt16(o, x, false);
    else if (kind === 'i32') v.setInt32(o, x, false);
    else if (kind === 'f32') v.setFloat32(o, x, false);
    else v.setFloat64(o, x, false);
  });
  return buf;
}


/** A temporary directory for one test file's IDX files (made before, removed after its tests). */
export function idxTempFiles(prefix: string): { dir: () => string; file: (name: string, bytes: Uint8Array) => string } {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir: () => dir,
    file: (name, bytes) => {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    },
  };
}
