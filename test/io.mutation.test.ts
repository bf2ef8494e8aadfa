// Mutation fuzzing of the file readers: tg.io.load (safetensors) and tg.io.readIdx, on files cut at
// every byte, with seeded byte flips and with hostile header edits (overflowing shapes, bombs). Each
// mutated file gives either an error that names the reader, or exactly the data an independent
// decoder (written here from the format specs) reads from the same bytes.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tg from 'tapegrad';
import { jsRandom } from './helpers';
import { idxBytes } from './idx-writer';

const dir = mkdtempSync(join(tmpdir(), 'tg-mutate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** TAPEGRAD_MUTATIONS=k runs k times the seeded flips, for longer fuzzing outside npm test. */
const SCALE = Math.max(1, Number(process.env.TAPEGRAD_MUTATIONS ?? 1));
let fileNo = 0;
function write(bytes: Uint8Array): string {
  const p = join(dir, `f${fileNo++ % 8}`);
  writeFileSync(p, bytes);
  return p;
}

function flips(original: Buffer, count: number, seed: number): [number, Buffer][] {
  const r = jsRandom(seed);
  return Array.from({ length: count }, () => {
    const b = Buffer.from(original);
    const pos = Math.floor(r() * b.length);
    b[pos] ^= 1 + Math.floor(r() * 255);
    return [pos, b];
  });
}

function errorOf(fn: () => unknown): Error | null {
  try {
    fn();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e as Error;
  }
}

const values = (t: tg.Tensor) => Array.from(t.data() as ArrayLike<number>);

// ---- safetensors ----------------------------------------------------------------------------

/** Decodes a safetensors file as the format's README specifies (little-endian), or null if this reader cannot. */
function referenceSafetensors(b: Buffer): Record<string, { shape: number[]; values: number[] | null }> | null {
  if (b.length < 8) return null;
  const n = Number(b.readBigUInt64LE(0));
  if (8 + n > b.length) return null;
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return null;
  }
  const data = b.subarray(8 + n);
  const out: Record<string, { shape: number[]; values: number[] | null }> = {};
  const readers: Record<string, [number, (o: number) => number]> = {
    F32: [4, (o) => data.readFloatLE(o)], F64: [8, (o) => data.readDoubleLE(o)], I32: [4, (o) => data.readInt32LE(o)],
    U8: [1, (o) => data.readUInt8(o)], I8: [1, (o) => data.readInt8(o)], BOOL: [1, (o) => data.readUInt8(o)],
    I16: [2, (o) => data.readInt16LE(o)], U16: [2, (o) => data.readUInt16LE(o)], U32: [4, (o) => data.readUInt32LE(o)],
    I64: [8, (o) => Number(data.readBigInt64LE(o))], U64: [8, (o) => Number(data.readBigUInt64LE(o))],
  };
  for (const [k, e] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const reader = readers[e.dtype];
    const count = e.shape.reduce((p, s) => p * s, 1);
    if (!reader) {
      out[k] = { shape: e.shape, values: null }; // F16/BF16: only the shape is compared
      continue;
    }
    const [size, read] = reader;
    out[k] = { shape: e.shape, values: Array.from({ length: count }, (_, i) => read(e.data_offsets[0] + i * size)) };
  }
  return out;
}

function checkSafetensors(bytes: Buffer, what: string): 'loaded' | 'refused' {
  const path = write(bytes);
  let loaded: Record<string, tg.Tensor>;
  try {
    loaded = tg.io.load(path);
  } catch (e) {
    expect(e, what).toBeInstanceOf(Error);
    const err = e as Error;
    expect(err instanceof TypeError || err instanceof RangeError || err instanceof tg.io.SafetensorsFormatError, `${what}: ${err.name}`).toBe(true);
    expect(err.message, what).toMatch(/^(io\.load|safetensors): /);
    expect(err.message, what).toContain(path);
    expect(err.message.length, what).toBeLessThan(1000);
    return 'refused';
  }
  const ref = referenceSafetensors(bytes);
  expect(ref, `${what}: loaded a file the reference cannot read`).not.toBeNull();
  expect(Object.keys(loaded).sort(), what).toEqual(Object.keys(ref!).sort());
  for (const [k, t] of Object.entries(loaded)) {
    expect(t.shape, `${what}: ${k}`).toEqual(ref![k].shape);
    if (ref![k].values) expect(values(t), `${what}: ${k}`).toEqual(ref![k].values);
  }
  return 'loaded';
}

function safetensorsFile(): Buffer {
  const path = join(dir, 'base.safetensors');
  tg.io.save({
    w: tg.tensor([[1.5, -2, 3.25], [0, 1e-3, -7]]),
    d: tg.tensor([Math.PI, -1e300, 5e-324, 0], { dtype: 'float64' }),
    i: tg.tensor([7, -8, 2 ** 31 - 1], { dtype: 'int32' }),
    s: tg.tensor(4.5),
    e: tg.zeros([0, 2]),
  }, path, { metadata: { note: 'mutation base' } });
  return readFileSync(path);
}

describe('tg.io.load: mutated safetensors files', () => {
  const base = safetensorsFile();

  it('the unmutated file loads exactly', () => {
    expect(checkSafetensors(base, 'base')).toBe('loaded');
  });

  it('cut at every byte: always a named error', () => {
    for (let cut = 0; cut < base.length; cut++) expect(checkSafetensors(base.subarray(0, cut), `cut at ${cut}`)).toBe('refused');
  });

  it('600 seeded byte flips: a named error or exactly the data', () => {
    const outcomes = { loaded: 0, refused: 0 };
    for (const [pos, b] of flips(base, 600 * SCALE, 1)) outcomes[checkSafetensors(b, `flip at ${pos}`)]++;
    expect(outcomes.loaded).toBeGreaterThan(30);
    expect(outcomes.refused).toBeGreaterThan(30);
  });

  it('hostile headers: overflowing shapes, bombs and absurd lengths are refused before allocating', () => {
    const header = (h: object, data = Buffer.alloc(0), declared?: bigint) => {
      const text = Buffer.from(JSON.stringify(h));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(declared ?? BigInt(text.length));
      return Buffer.concat([len, text, data]);
    };
    const cases: [string, Buffer][] = [
      ['shape 2^31 x 2^31', header({ a: { dtype: 'F32', shape: [2 ** 31, 2 ** 31], data_offsets: [0, 16] } }, Buffer.alloc(16))],
      ['shape 1e20', header({ a: { dtype: 'F32', shape: [1e20], data_offsets: [0, 4] } }, Buffer.alloc(4))],
      ['shape -1', header({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, Buffer.alloc(4))],
      ['shape 1.5', header({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, Buffer.alloc(4))],
      ['bomb: 2^40 bytes declared, 8 present', header({ a: { dtype: 'F64', shape: [2 ** 37], data_offsets: [0, 2 ** 40] } }, Buffer.alloc(8))],
      ['offsets past 2^53', header({ a: { dtype: 'U8', shape: [1], data_offsets: [2 ** 60, 2 ** 60 + 1] } }, Buffer.alloc(1))],
      ['header length 2^63', header({}, Buffer.alloc(0), 2n ** 63n)],
      ['header length one past the file', header({}, Buffer.alloc(0), 3n)],
      ['64-dim shape of ones', header({ a: { dtype: 'F32', shape: Array(64).fill(1), data_offsets: [0, 4] } }, Buffer.alloc(4))],
      ['nested 10^5 deep', Buffer.concat([Buffer.from(new BigUint64Array([200001n]).buffer), Buffer.from(`${'['.repeat(100000)}${']'.repeat(100000)} `)])],
    ];
    for (const [what, bytes] of cases) expect(checkSafetensors(bytes, what), what).toBe('refused');
  });
});

// ---- IDX ------------------------------------------------------------------------------------

const IDX_TYPES: Record<number, [number, (d: DataView, o: number) => number]> = {
  0x08: [1, (d, o) => d.getUint8(o)], 0x09: [1, (d, o) => d.getInt8(o)], 0x0b: [2, (d, o) => d.getInt16(o, false)],
  0x0c: [4, (d, o) => d.getInt32(o, false)], 0x0d: [4, (d, o) => d.getFloat32(o, false)], 0x0e: [8, (d, o) => d.getFloat64(o, false)],
};

/** Decodes plain IDX bytes (LeCun's format description), or null when they are not a complete IDX file. */
function referenceIdx(b: Buffer): { shape: number[]; values: number[] } | null {
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0 || !IDX_TYPES[b[2]]) return null;
  const ndim = b[3];
  if (b.length < 4 + 4 * ndim) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const [size, read] = IDX_TYPES[b[2]];
  const count = shape.reduce((p, s) => p * s, 1);
  if (b.length !== 4 + 4 * ndim + count * size) return null;
  return { shape, values: Array.from({ length: count }, (_, i) => read(dv, 4 + 4 * ndim + i * size)) };
}

function checkIdx(bytes: Buffer, gz: boolean, what: string): 'loaded' | 'refused' {
  const path = write(bytes);
  let t: tg.Tensor;
  try {
    t = tg.io.readIdx(path);
  } catch (e) {
    const err = errorOf(() => {
      throw e;
    })!;
    expect(err.message, what).toMatch(/^readIdx: /);
    expect(err.message, what).toContain(path);
    expect(err.message.length, what).toBeLessThan(1000);
    return 'refused';
  }
  let plain: Buffer | null = bytes;
  if (gz) {
    try {
      plain = gunzipSync(bytes);
    } catch {
      plain = null;
    }
  }
  const ref = plain && referenceIdx(plain);
  expect(ref, `${what}: loaded a file the reference cannot read`).toBeTruthy();
  expect(t.shape, what).toEqual(ref!.shape);
  expect(values(t), what).toEqual(ref!.values);
  return 'loaded';
}

describe('tg.io.readIdx: mutated IDX files', () => {
  const files: [string, Buffer, boolean][] = [];
  const f32 = idxBytes('f32', [3, 4], Array.from({ length: 12 }, (_, i) => i * 0.75 - 4));
  const u8 = idxBytes('u8', [2, 5], [0, 1, 2, 3, 250, 251, 252, 253, 254, 255]);
  const i16 = idxBytes('i16', [6], [-32768, -1, 0, 1, 300, 32767]);
  files.push(['float32', f32, false], ['uint8', u8, false], ['int16', i16, false], ['gzip float32', gzipSync(f32), true], ['gzip uint8', gzipSync(u8), true]);

  it.each(files)('%s: cut at every byte is a named error; flips give a named error or exactly the data', (what, bytes, gz) => {
    expect(checkIdx(bytes, gz, what)).toBe('loaded');
    for (let cut = 0; cut < bytes.length; cut++) expect(checkIdx(bytes.subarray(0, cut), gz, `${what} cut at ${cut}`)).toBe('refused');
    const outcomes = { loaded: 0, refused: 0 };
    for (const [pos, b] of flips(bytes, 300 * SCALE, 2)) outcomes[checkIdx(b, gz, `${what} flip at ${pos}`)]++;
    expect(outcomes.refused).toBeGreaterThan(10);
    if (!gz) expect(outcomes.loaded).toBeGreaterThan(10); // data flips load as the flipped values
  });

  it('a header that declares far more than the file holds fails without reading it (plain and gzip bombs)', () => {
    const huge = Buffer.from(f32);
    huge.writeUInt32BE(0xffffffff, 4);
    expect(checkIdx(huge, false, 'dim 2^32 - 1')).toBe('refused');
    const bomb = gzipSync(Buffer.concat([idxBytes('u8', [1 << 30], []), Buffer.alloc(1 << 16)]));
    expect(checkIdx(bomb, true, 'gzip declaring 1 GiB')).toBe('refused');
    const ndim = Buffer.from(u8);
    ndim[3] = 255;
    expect(checkIdx(ndim, false, '255 dims')).toBe('refused');
  });
});
