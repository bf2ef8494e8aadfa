// tg.io.save / load in the safetensors format: byte layout, round trips, the Python-written fixtures,
// every malformed-file error, atomic replacement, and a Module state dict round trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import * as tg from 'tapegrad';
import { expectError, sample } from './helpers';

const fixtures = resolve(__dirname, 'fixtures');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'tg-safetensors-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let counter = 0;
const tmp = (name = 'f') => join(dir, `${name}-${counter++}.safetensors`);

const f32 = (data: number[], shape: number[]) => tg.tensor(data, { shape, dtype: 'float32' });
const f64 = (data: number[], shape: number[]) => tg.tensor(data, { shape, dtype: 'float64' });
const i32 = (data: number[], shape: number[]) => tg.tensor(data, { shape, dtype: 'int32' });

/** Little-endian bytes of values in a typed-array type. */
function le(kind: 'f32' | 'f64' | 'i32' | 'u32' | 'i64' | 'u64' | 'u16', values: (number | bigint)[]): Uint8Array {
  const size = { f32: 4, f64: 8, i32: 4, u32: 4, i64: 8, u64: 8, u16: 2 }[kind];
  const b = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (kind === 'f32') b.writeFloatLE(Number(v), 4 * i);
    else if (kind === 'f64') b.writeDoubleLE(Number(v), 8 * i);
    else if (kind === 'i32') b.writeInt32LE(Number(v), 4 * i);
    else if (kind === 'u32') b.writeUInt32LE(Number(v), 4 * i);
    else if (kind === 'u16') b.writeUInt16LE(Number(v), 2 * i);
    else if (kind === 'i64') b.writeBigInt64LE(BigInt(v), 8 * i);
    else b.writeBigUInt64LE(BigInt(v), 8 * i);
  });
  return new Uint8Array(b);
}

/** Writes length field + header text (padded to 8 unless `pad` is false) + data, or raw bytes. */
function writeFile(header: string | object, data: Uint8Array = new Uint8Array(0), opts: { length?: bigint; pad?: boolean } = {}): string {
  let h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  if (opts.pad !== false) h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(opts.length ?? BigInt(h.length));
  const p = tmp('bad');
  fs.writeFileSync(p, Buffer.concat([len, h, data]));
  return p;
}

function bitsEqual(a: tg.Tensor, b: tg.Tensor, what: string): void {
  expect(a.dtype, what).toBe(b.dtype);
  expect(a.shape, what).toEqual(b.shape);
  const x = a.data();
  const y = b.data();
  expect(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), what).toBe(true);
}

/** Expected values from the fixture JSON ("nan", "inf", "-inf" for the non-JSON floats). */
const decode = (v: number | string): number => (typeof v === 'string' ? Number(v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity) : v);

interface Expected {
  metadata: Record<string, string> | null;
  tensors: Record<string, { dtype: string; shape: number[]; data: (number | string)[] }>;
}
const readExpected = (stem: string): Expected => JSON.parse(fs.readFileSync(join(fixtures, `${stem}.json`), 'utf8'));

describe('io.save: byte layout', () => {
  const head = (n: number) => [n, 0, 0, 0, 0, 0, 0, 0];
  const ascii = (s: string) => [...Buffer.from(s, 'utf8')];

  it('writes the header exactly as the reference writer (no padding needed)', () => {
    const p = tmp();
    tg.io.save({ 'attn.0': f32([0, 1, 2, 3, 4, 5], [1, 2, 3]) }, p);
    const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(64);
    const floats = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];
    expect([...fs.readFileSync(p)]).toEqual([...head(64), ...ascii(json), ...floats]);
  });

  it('pads the header with spaces to a multiple of 8 bytes', () => {
    const p = tmp();
    tg.io.save({ attn0: f32([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]) }, p);
    const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(65);
    const bytes = [...fs.readFileSync(p)];
    expect(bytes.slice(0, 8 + 72)).toEqual([...head(72), ...ascii(json), 32, 32, 32, 32, 32, 32, 32]);
    expect(bytes.length).toBe(8 + 72 + 24);
  });

  it('empty state dict, with and without metadata', () => {
    const p = tmp();
    tg.io.save({}, p);
    expect([...fs.readFileSync(p)]).toEqual([...head(8), ...ascii('{}'), 32, 32, 32, 32, 32, 32]);
    tg.io.save(new Map(), p, { metadata: { framework: 'pt' } });
    expect([...fs.readFileSync(p)]).toEqual([...head(40), ...ascii('{"__metadata__":{"framework":"pt"}}'), 32, 32, 32, 32, 32]);
  });

  it('orders tensors by dtype (F64, F32, I32) then by UTF-8 name, contiguous, metadata keys sorted', () => {
    const p = tmp();
    tg.io.save({ b: i32([7], [1]), a: f32([1.5, 2.5], [2]), Z: f32([], [0]), 'é': f64([0.25], []), c: f64([1, 2], [1, 2]) },
      p, { metadata: { z: '1', a: '"q"\n' } });
    const buf = fs.readFileSync(p);
    const n = Number(buf.readBigUInt64LE(0));
    const json = '{"__metadata__":{"a":"\\"q\\"\\n","z":"1"},'
      + '"c":{"dtype":"F64","shape":[1,2],"data_offsets":[0,16]},'
      + '"é":{"dtype":"F64","shape":[],"data_offsets":[16,24]},'
      + '"Z":{"dtype":"F32","shape":[0],"data_offsets":[24,24]},'
      + '"a":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},'
      + '"b":{"dtype":"I32","shape":[1],"data_offsets":[32,36]}}';
    const jb = Buffer.from(json, 'utf8');
    expect(n).toBe(Math.ceil(jb.length / 8) * 8);
    expect(buf.subarray(8, 8 + jb.length).toString('utf8')).toBe(json);
    expect(buf.subarray(8 + jb.length, 8 + n).toString('latin1')).toBe(' '.repeat(n - jb.length));
    expect([...buf.subarray(8 + n)]).toEqual([...le('f64', [1, 2, 0.25]), ...le('f32', [1.5, 2.5]), ...le('i32', [7])]);
  });

  it('compares names by UTF-8 bytes, like Rust, not by UTF-16 code units', () => {
    // U+FF21 is EF BC A1 in UTF-8 and U+1F600 is F0 9F 98 80, but in UTF-16 the emoji (D83D DE00) sorts first.
    const p = tmp();
    tg.io.save({ '\u{1F600}': f32([2], [1]), '\uFF21': f32([1], [1]) }, p);
    const buf = fs.readFileSync(p);
    const header = buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8');
    expect(header.indexOf('\uFF21')).toBeLessThan(header.indexOf('\u{1F600}'));
    expect([...buf.subarray(buf.length - 8)]).toEqual([...le('f32', [1, 2])]);
  });
});

describe('io.save / io.load round trip', () => {
  it('every dtype and shape (0-d, empty, non-contiguous views) comes back bit for bit', () => {
    const base = f64(Array.from(sample([4, 6], 3)), [4, 6]);
    const sd: Record<string, tg.Tensor> = {
      scalar32: f32([-1.25], []),
      scalar64: f64([Math.PI], []),
      scalarInt: i32([-7], []),
      specials: f32([NaN, Infinity, -Infinity, -0, 1e-45, 3.4028234663852886e38], [2, 3]),
      specials64: f64([NaN, -0, 5e-324, Number.MAX_VALUE], [4]),
      ints: i32([-2147483648, 2147483647, 0, 1], [2, 2]),
      empty: f32([], [0]),
      empty3: f64([], [2, 0, 3]),
      emptyInt: i32([], [0, 5]),
      transposed: base.transpose(0, 1),
      sliced: base.narrow(1, 2, 3).slice(0, 1, null, 2),
      expanded: f32([1, 2, 3], [3, 1]).expand(3, 4),
      permuted: base.to('float32').reshape(2, 3, 4).permute(2, 0, 1),
      param: new tg.nn.Parameter(f32([1, 2, 3], [3])),
    };
    const p = tmp();
    tg.io.save(sd, p);
    const back = tg.io.load(p);
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const [k, t] of Object.entries(sd)) {
      bitsEqual(back[k], t, k);
      expect(back[k].isContiguous(), k).toBe(true);
      expect(back[k].requiresGrad, k).toBe(false);
      // Own storage of exactly the tensor's size (tensors of at most 64 bytes share small slabs, as
      // every tensor does): no view into a buffer holding the whole file.
      const st = (back[k] as unknown as { _st: { data: ArrayLike<number> & { buffer: ArrayBuffer; byteLength: number } } })._st.data;
      expect(st.length, k).toBe(t.size);
      if (st.byteLength > 64) expect(st.buffer.byteLength, k).toBe(st.byteLength);
    }
    expect(back.transposed.toArray()).toEqual(base.transpose(0, 1).toArray());
  });

  it('a Map works, and metadata round-trips through loadWithMetadata', () => {
    const p = tmp();
    const md = { framework: 'tapegrad', 'ключ': 'значение 🚀', empty: '' };
    tg.io.save(new Map([['w', f32([1, 2], [2])]]), p, { metadata: md });
    const { tensors, metadata } = tg.io.loadWithMetadata(p);
    expect(metadata).toEqual(md);
    expect(tensors.w.toArray()).toEqual([1, 2]);
    tg.io.save({ w: f32([3], [1]) }, p);
    expect(tg.io.loadWithMetadata(p).metadata).toBeNull();
  });

  it('a tensor named __proto__ is an ordinary key', () => {
    const p = tmp();
    const sd: Record<string, tg.Tensor> = {};
    Object.defineProperty(sd, '__proto__', { value: f32([4], [1]), enumerable: true });
    tg.io.save(sd, p);
    const back = tg.io.load(p);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect((Object.getOwnPropertyDescriptor(back, '__proto__')!.value as tg.Tensor).toArray()).toEqual([4]);
  });

  it('a Module state dict: save → load → loadStateDict gives identical outputs', () => {
    tg.manualSeed(5);
    const a = new tg.nn.Sequential(new tg.nn.Linear(4, 8), new tg.nn.ReLU(), new tg.nn.Linear(8, 3, { bias: false }));
    tg.manualSeed(6);
    const b = new tg.nn.Sequential(new tg.nn.Linear(4, 8), new tg.nn.ReLU(), new tg.nn.Linear(8, 3, { bias: false }));
    const x = f32(Array.from(sample([5, 4], 9)), [5, 4]);
    expect(b.forward(x).toArray()).not.toEqual(a.forward(x).toArray());
    const p = tmp();
    tg.io.save(a.stateDict(), p);
    expect(b.loadStateDict(tg.io.load(p))).toEqual({ missingKeys: [], unexpectedKeys: [] });
    bitsEqual(b.forward(x), a.forward(x), 'output');
    const lin = new tg.nn.Linear(3, 2).to('float64');
    const lin2 = new tg.nn.Linear(3, 2).to('float64');
    tg.io.save(lin.stateDict(), p);
    lin2.loadStateDict(tg.io.load(p));
    const x64 = f64([1, -2, 3], [1, 3]);
    bitsEqual(lin2.forward(x64), lin.forward(x64), 'float64 output');
  });
});

describe('io.load: files written by the Python writer (test/fixtures/make_safetensors_fixture.py)', () => {
  const LOADED: Record<string, string> = {
    F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int32', F16: 'float32', BF16: 'float32', I16: 'int32', I8: 'int32', U8: 'int32', BOOL: 'int32',
  };

  for (const stem of ['safetensors_all', 'safetensors_native']) {
    it(`${stem}: every tensor with its exact values, and the metadata`, () => {
      const exp = readExpected(stem);
      const { tensors, metadata } = tg.io.loadWithMetadata(join(fixtures, `${stem}.safetensors`));
      expect(metadata).toEqual(exp.metadata);
      expect(Object.keys(tensors).sort()).toEqual(Object.keys(exp.tensors).sort());
      for (const [k, e] of Object.entries(exp.tensors)) {
        const t = tensors[k];
        expect(t.dtype, k).toBe(LOADED[e.dtype]);
        expect(t.shape, k).toEqual(e.shape);
        const want = e.data.map((v) => (e.dtype === 'BOOL' ? Number(v) : decode(v)));
        // toEqual distinguishes -0 from 0 and matches NaN with NaN.
        expect(Array.from(t.data()), k).toEqual(want);
      }
    });
  }

  it('the I64 fixture tensors include PyTorch-style num_batches_tracked (0-d)', () => {
    const t = tg.io.load(join(fixtures, 'safetensors_all.safetensors'));
    expect(t['bn.num_batches_tracked'].shape).toEqual([]);
    expect(t['bn.num_batches_tracked'].item()).toBe(3);
  });

  it('load then save reproduces the Python-written file byte for byte', () => {
    const src = join(fixtures, 'safetensors_native.safetensors');
    const { tensors, metadata } = tg.io.loadWithMetadata(src);
    const p = tmp();
    tg.io.save(tensors, p, { metadata: metadata! });
    expect(fs.readFileSync(p).equals(fs.readFileSync(src))).toBe(true);
  });

  it('the PyTorch interop model (make_interop_fixture.py) loads with its keys, shapes and batch counters', () => {
    const info = JSON.parse(fs.readFileSync(join(fixtures, 'interop.json'), 'utf8')) as { keys: string[] };
    const t = tg.io.load(join(fixtures, 'interop_model.safetensors'));
    expect(Object.keys(t).sort()).toEqual(info.keys.slice().sort());
    expect(t['0.weight'].shape).toEqual([4, 1, 3, 3]);
    expect(t['4.weight'].shape).toEqual([3, 100]);
    for (const k of ['1.num_batches_tracked', '5.num_batches_tracked']) {
      expect(t[k].dtype).toBe('int32');
      expect(t[k].shape).toEqual([]);
      expect(t[k].item()).toBe(2);
    }
    expect(t['1.running_var'].dtype).toBe('float32');
  });

  it.runIf(process.env.TAPEGRAD_SAFETENSORS_EXPORT)('exports re-saved fixtures for the Python reader (see make_safetensors_fixture.py)', () => {
    const out = process.env.TAPEGRAD_SAFETENSORS_EXPORT!;
    fs.mkdirSync(out, { recursive: true });
    for (const [stem, name] of [['safetensors_native', 'native'], ['safetensors_all', 'all']]) {
      const { tensors, metadata } = tg.io.loadWithMetadata(join(fixtures, `${stem}.safetensors`));
      tg.io.save(tensors, join(out, `${name}.safetensors`), { metadata: metadata! });
    }
  });
});

describe('io.load: dtypes without an exact torch fixture', () => {
  it('U16, U32, U64 load as int32; I64/U64/U32 values outside int32 are RangeErrors naming the element', () => {
    const p = writeFile({
      a: { dtype: 'U16', shape: [2], data_offsets: [0, 4] },
      b: { dtype: 'U32', shape: [2], data_offsets: [4, 12] },
      c: { dtype: 'U64', shape: [1], data_offsets: [12, 20] },
    }, new Uint8Array([...le('u16', [0, 65535]), ...le('u32', [0, 2147483647]), ...le('u64', [123])]));
    const t = tg.io.load(p);
    expect([t.a.dtype, t.b.dtype, t.c.dtype]).toEqual(['int32', 'int32', 'int32']);
    expect([...t.a.data(), ...t.b.data(), ...t.c.data()]).toEqual([0, 65535, 0, 2147483647, 123]);

    const i64 = (vals: bigint[]) => writeFile({ n: { dtype: 'I64', shape: [vals.length], data_offsets: [0, 8 * vals.length] } }, le('i64', vals));
    expect(Array.from(tg.io.load(i64([-(2n ** 31n), 2n ** 31n - 1n, -1n])).n.data())).toEqual([-2147483648, 2147483647, -1]);
    const big = i64([1n, 2n ** 31n]);
    expectError(() => tg.io.load(big), RangeError, big, /tensor "n" \(I64\) element 1 is 2147483648, which does not fit in int32/);
    expectError(() => tg.io.load(i64([-(2n ** 31n) - 1n])), RangeError, /element 0 is -2147483649/);
    expectError(() => tg.io.load(i64([2n ** 40n])), RangeError, /1099511627776/);
    expectError(() => tg.io.load(writeFile({ u: { dtype: 'U64', shape: [], data_offsets: [0, 8] } }, le('u64', [2n ** 63n]))), RangeError, /\(U64\) element 0 is 9223372036854775808/);
    expectError(() => tg.io.load(writeFile({ u: { dtype: 'U32', shape: [], data_offsets: [0, 4] } }, le('u32', [2 ** 31]))), RangeError, /\(U32\) element 0 is 2147483648/);
  });

  it('BOOL bytes other than 0 and 1 are rejected; 8-bit floats are a TypeError naming tensor and dtype', () => {
    const p = writeFile({ m: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, new Uint8Array([1, 2]));
    expectError(() => tg.io.load(p), tg.io.SafetensorsFormatError, p, /tensor "m" \(BOOL\) element 1 is 2, not 0 or 1/);
    const q = writeFile({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array([1]));
    expectError(() => tg.io.load(q), TypeError, q, /tensor "w" has dtype F8_E4M3, which tapegrad cannot represent/);
  });

  it('F16 subnormals, normals and extremes convert exactly (independent of the fixture)', () => {
    const bits = [0x0001, 0x03ff, 0x0400, 0x3c00, 0x3c01, 0x7bff, 0x8001, 0xfc00, 0x7e00];
    const want = [2 ** -24, 1023 * 2 ** -24, 2 ** -14, 1, 1 + 2 ** -10, 65504, -(2 ** -24), -Infinity, NaN];
    const p = writeFile({ h: { dtype: 'F16', shape: [bits.length], data_offsets: [0, 2 * bits.length] } }, le('u16', bits));
    expect(Array.from(tg.io.load(p).h.data())).toEqual(want);
  });
});

describe('io.load: malformed files are clear errors naming the file', () => {
  const E = tg.io.SafetensorsFormatError;
  const F32_2 = le('f32', [1, 2]);
  const bad = (header: string | object, data?: Uint8Array, opts?: { length?: bigint; pad?: boolean }) => writeFile(header, data, opts);
  const expectFormat = (p: string, ...patterns: (string | RegExp)[]) => {
    expectError(() => tg.io.load(p), E, p, ...patterns);
    try {
      tg.io.load(p);
    } catch (e) {
      expect((e as InstanceType<typeof E>).path).toBe(p);
      expect((e as Error).name).toBe('SafetensorsFormatError');
    }
  };

  it('shorter than 8 bytes', () => {
    for (const n of [0, 7]) {
      const p = tmp('short');
      fs.writeFileSync(p, Buffer.alloc(n));
      expectFormat(p, `file is ${n} bytes, too short for the 8-byte header length`);
    }
  });

  it('header length beyond the file, absurdly large, or over the 100 MB limit (checked before allocating)', () => {
    expectFormat(bad('{}', undefined, { length: 9n }), /header length 9 exceeds the 8 bytes that follow the length field/);
    expectFormat(bad('{}', undefined, { length: 2n ** 64n - 1n }), /header length 18446744073709551615 exceeds the limit of 100000000 bytes/);
    expectFormat(bad('{}', undefined, { length: 100_000_001n }), /exceeds the limit/);
    expectFormat(bad('{}', undefined, { length: 99_999_999n }), /header length 99999999 exceeds the 8 bytes/);
  });

  it('invalid UTF-8, not starting with "{", invalid JSON, not an object', () => {
    const p = tmp('utf8');
    const h = Buffer.from('{"a\xff":{}}   ', 'latin1');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    fs.writeFileSync(p, Buffer.concat([len, h]));
    expectFormat(p, 'header is not valid UTF-8');
    expectFormat(bad('\ufeff{}'), /header must start with "\{"/);
    expectFormat(bad(' {}'), /must start with/);
    expectFormat(bad('[1,2]'), /must start with "\{", got "\[1,2\]/);
    expectFormat(bad('{"a":'), /header is not valid JSON/);
    expectFormat(bad('{"a":1}}'), /not valid JSON/);
  });

  it('entries missing fields or with wrong types', () => {
    expectFormat(bad({ a: 5 }), /tensor "a": entry must be an object with dtype, shape and data_offsets, got 5/);
    expectFormat(bad({ a: [] }), /tensor "a": entry must be an object/);
    expectFormat(bad({ a: { dtype: 'F32', shape: [2] } }, F32_2), /tensor "a": entry has no "data_offsets"/);
    expectFormat(bad({ a: { shape: [2], data_offsets: [0, 8] } }, F32_2), /entry has no "dtype"/);
    expectFormat(bad({ a: { dtype: 'F32', data_offsets: [0, 8] } }, F32_2), /entry has no "shape"/);
    expectFormat(bad({ a: { dtype: 32, shape: [2], data_offsets: [0, 8] } }, F32_2), /dtype must be a string, got 32/);
  });

  it('unknown dtypes', () => {
    for (const dtype of ['F128', 'f32', 'toString', '']) {
      expectFormat(bad({ a: { dtype, shape: [2], data_offsets: [0, 8] } }, F32_2), `tensor "a": unknown dtype ${JSON.stringify(dtype)}`);
    }
  });

  it('shape entries that are not non-negative integers', () => {
    for (const shape of [[-2], [1.5], ['2'], [null], 2, { 0: 2 }, [2 ** 53]]) {
      expectFormat(bad({ a: { dtype: 'F32', shape, data_offsets: [0, 8] } }, F32_2), /tensor "a": shape must be an array of non-negative integers/);
    }
    expectFormat(bad({ a: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30, 0], data_offsets: [0, 0] } }), /shape \[.*\] is too large/);
  });

  it('huge or deeply nested values give short messages, not stack overflows', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expectFormat(bad(`{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`), /shape must be an array of non-negative integers, got an array of length 1$/);
    expectFormat(bad(`{"a":${'{"b":'.repeat(200_000)}1${'}'.repeat(200_000)}}`), /tensor "a": entry has no "dtype"/);
    const long = `[${new Array(100_000).fill(-1).join(',')}]`;
    let msg = '';
    try {
      tg.io.load(bad(`{"a":{"dtype":"F32","shape":${long},"data_offsets":[0,0]}}`));
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/got \[-1,-1,.*\.\.\.$/);
    expect(msg.length).toBeLessThan(300);
  });

  it('data_offsets malformed, out of range, or not matching shape × itemsize', () => {
    for (const off of [[0], [0, 8, 9], [-1, 7], [0, 8.5], ['0', '8'], null]) {
      expectFormat(bad({ a: { dtype: 'F32', shape: [2], data_offsets: off } }, F32_2), /tensor "a": data_offsets must be \[begin, end\] with non-negative integers/);
    }
    expectFormat(bad({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, F32_2), /data_offsets \[8, 0\] end before they begin/);
    expectFormat(bad({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 16] } }, F32_2), /data_offsets \[0, 16\] lie outside the 8-byte data buffer/);
    expectFormat(bad({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, F32_2), /data_offsets \[0, 8\] hold 8 bytes, but F32 \[3\] needs 12/);
    expectFormat(bad({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, F32_2), /but F64 \[2\] needs 16/);
  });

  it('overlapping tensors, gaps and trailing bytes (the reference requires an exact tiling)', () => {
    const d12 = le('f32', [1, 2, 3]);
    expectFormat(bad({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, d12),
      /tensors "a" and "b" overlap in the data buffer/);
    expectFormat(bad({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, d12),
      /data bytes 4\.\.8 belong to no tensor \(gap before tensor "b"\)/);
    expectFormat(bad({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, F32_2), /data bytes 0\.\.4 belong to no tensor/);
    expectFormat(bad({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, d12), /4 trailing bytes after the last tensor's data/);
    expectFormat(bad({}, F32_2), /8 trailing bytes/);
    // Offsets listed out of order are fine, as in the reference.
    const p = bad({ b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, F32_2);
    expect(tg.io.load(p).b.toArray()).toEqual([2]);
  });

  it('duplicate keys, at the top level and inside an entry', () => {
    expectFormat(bad('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', F32_2),
      /header has the key "a" more than once/);
    expectFormat(bad('{"a":{"dtype":"F32","shape":[2],"dtype":"F32","data_offsets":[0,8]}}', F32_2), /key "dtype" more than once/);
    expectFormat(bad('{"__metadata__":{"k":"1","k":"2"}}'), /key "k" more than once/);
    // Escaped spellings of the same key are the same key; distinct keys containing quotes are not.
    expectFormat(bad('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', F32_2), /key "a" more than once/);
    const ok = bad('{"a\\"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', F32_2);
    expect(Object.keys(tg.io.load(ok)).sort()).toEqual(['a', 'a"']);
  });

  it('__metadata__ must be an object of strings', () => {
    expectFormat(bad({ __metadata__: { n: 1 } }), /__metadata__\["n"\] must be a string, got 1/);
    expectFormat(bad({ __metadata__: ['x'] }), /__metadata__ must be an object of strings, got an array of length 1/);
    expectFormat(bad({ __metadata__: 'x' }), /__metadata__ must be an object of strings, got 'x'/);
    expect(tg.io.loadWithMetadata(bad({ __metadata__: null })).metadata).toBeNull();
  });

  it('tensors tapegrad cannot hold are RangeErrors; missing files and directories are errors too', () => {
    const shape = new Array(17).fill(1);
    const p = bad({ a: { dtype: 'F32', shape, data_offsets: [0, 4] } }, le('f32', [1]));
    expectError(() => tg.io.load(p), RangeError, p, /tensor "a" has 17 dims; tapegrad supports at most 16/);
    expectError(() => tg.io.load(join(dir, 'missing.safetensors')), Error, /ENOENT/, /missing\.safetensors/);
    expectError(() => tg.io.load(dir), Error, /not a regular file|EISDIR/);
  });

  it('bad arguments', () => {
    for (const p of [undefined, null, 3, '', ['a']]) expectError(() => tg.io.load(p as unknown as string), TypeError, /io\.load: path must be a non-empty string/);
  });
});

describe('io.save: arguments and atomic replacement', () => {
  it('rejects bad state dicts, names, metadata and paths with TypeErrors', () => {
    const p = tmp();
    const t = f32([1], [1]);
    expectError(() => tg.io.save(null as never, p), TypeError, /io\.save: expected an object \(or Map\) of tensors by name, got null/);
    expectError(() => tg.io.save([t] as never, p), TypeError, /got an array/);
    expectError(() => tg.io.save(t as never, p), TypeError, /got a float32 Tensor of shape \[/);
    expectError(() => tg.io.save({ w: [1, 2] } as never, p), TypeError, /"w" must be a Tensor, got an array/);
    expectError(() => tg.io.save(new Map([[1, t]]) as never, p), TypeError, /tensor names must be strings, got number/);
    expectError(() => tg.io.save({ __metadata__: t }, p), TypeError, /"__metadata__" is reserved/);
    expectError(() => tg.io.save({ ['a\ud800']: t }, p), TypeError, /lone UTF-16 surrogate/);
    expectError(() => tg.io.save({ w: t }, p, { metadata: { k: 1 } } as never), TypeError, /metadata\["k"\] must be a string, got 1/);
    expectError(() => tg.io.save({ w: t }, p, { metadata: 'x' } as never), TypeError, /metadata must be an object of strings/);
    expectError(() => tg.io.save({ w: t }, p, 5 as never), TypeError, /options must be an object/);
    expectError(() => tg.io.save({ w: t }, 5 as never), TypeError, /io\.save: path must be a non-empty string/);
    expect(fs.existsSync(p)).toBe(false);
  });

  const tempFiles = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith('.tmp'));

  it('a failure midway leaves the existing file intact and removes the temporary', () => {
    const d = fs.mkdtempSync(join(dir, 'atomic-'));
    const p = join(d, 'model.safetensors');
    tg.io.save({ w: f32([1, 2, 3], [3]) }, p);
    const before = fs.readFileSync(p);
    // The second tensor written fails while its bytes are produced, after the header and the
    // first tensor are already in the temporary file.
    const boom = f32([9, 9], [2]);
    Object.defineProperty(boom, '_flat', { value: () => { throw new Error('simulated failure while writing'); } });
    const big = f64(Array.from(sample([1000], 1)), [1000]);
    expectError(() => tg.io.save({ a: big, b: boom }, p), Error, 'simulated failure while writing');
    expect(fs.readFileSync(p).equals(before)).toBe(true);
    expect(tempFiles(d)).toEqual([]);
    expect(fs.readdirSync(d)).toEqual(['model.safetensors']);
    // And a successful save replaces it completely, leaving nothing else behind.
    tg.io.save({ a: big }, p);
    expect(tg.io.load(p).a.toArray()).toEqual(big.toArray());
    expect(fs.readdirSync(d)).toEqual(['model.safetensors']);
  });

  it('a target that cannot be replaced (a directory, or a missing directory) fails cleanly', () => {
    const d = fs.mkdtempSync(join(dir, 'atomic-'));
    fs.mkdirSync(join(d, 'sub'));
    expectError(() => tg.io.save({ w: f32([1], [1]) }, join(d, 'sub')), Error, /EISDIR|EEXIST|ENOTEMPTY|EPERM/);
    expect(fs.readdirSync(d)).toEqual(['sub']);
    expectError(() => tg.io.save({ w: f32([1], [1]) }, join(d, 'nope', 'x.safetensors')), Error, /ENOENT/);
    expect(fs.readdirSync(d)).toEqual(['sub']);
  });
});
