// tg.io.save / load / loadWithMetadata: the safetensors format (https://github.com/huggingface/safetensors).
// Files are laid out byte for byte as the reference writer lays them out, written atomically
// (temporary file, fsync, rename), and read with every check the reference reader makes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { endianness } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { TypedArray } from '../native';
import type { DType } from '../dtype';
import { allocate } from '../alloc';
import { Storage, Tensor, isTensor } from '../tensor';
import { contiguousStrides, shapeStr } from '../shape';
import { describe, MAX_DIMS } from '../validate';
import { noGrad } from '../autograd/grad-mode';
import { fsCall } from './fs-errors';

export interface SaveOptions {
  /** Free-form string → string map stored under the header's `__metadata__` key. */
  metadata?: Record<string, string>;
}

export interface LoadResult {
  tensors: Record<string, Tensor>;
  /** The file's `__metadata__` map, or null when the file has none. */
  metadata: Record<string, string> | null;
}

/** A file that is not a well-formed safetensors file; `path` is the file, the message says what is wrong. */
export class SafetensorsFormatError extends Error {
  readonly path: string;
  constructor(file: string, problem: string) {
    super(`io.load: ${file}: ${problem}`);
    this.name = 'SafetensorsFormatError';
    this.path = file;
  }
}

/** The reference reader's limit on the header length. */
const MAX_HEADER_BYTES = 100_000_000;
const HOST_LE = endianness() === 'LE';
/** Largest single read or write: fs limits one call to below 2 GiB. */
const CHUNK = 1 << 30;

/** Bytes per element of every dtype the format defines that tapegrad can read. */
const ITEM_SIZE: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
/** Dtypes of the format that have no exact float32/float64/int32 equivalent. */
const UNSUPPORTED = new Set(['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);
const LOADED_AS: Record<string, DType> = {
  BOOL: 'int32', U8: 'int32', I8: 'int32', I16: 'int32', U16: 'int32', I32: 'int32', U32: 'int32', I64: 'int32',
  U64: 'int32', F16: 'float32', BF16: 'float32', F32: 'float32', F64: 'float64',
};
const SAVED_AS: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
/** Position in the reference's Dtype enum: the writer orders tensors by it, descending. */
const DTYPE_RANK: Record<DType, number> = { int32: 9, float32: 11, float64: 12 };

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Map) && !isTensor(x);
}


/** A short rendering of a JSON value for messages (headers can hold huge or deeply nested values). */
function brief(x: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? String(x);
  } catch {
    return describe(x);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function checkPath(op: string, file: unknown): string {
  if (typeof file !== 'string' || file === '') throw new TypeError(`${op}: path must be a non-empty string, got ${typeof file === 'string' ? 'an empty string' : describe(file)}`);
  return file;
}

function checkText(op: string, s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) throw new TypeError(`${op}: ${what} ${JSON.stringify(s)} contains a lone UTF-16 surrogate, which UTF-8 cannot encode`);
}

// ---------------------------------------------------------------------------------------------
// save

interface OutEntry {
  name: string;
  tensor: Tensor;
  nameBytes: Buffer;
}

function stateEntries(stateDict: unknown): OutEntry[] {
  let entries: [unknown, unknown][];
  if (stateDict instanceof Map) entries = [...stateDict.entries()];
  else if (isPlainObject(stateDict)) entries = Object.entries(stateDict);
  else throw new TypeError(`io.save: expected an object (or Map) of tensors by name, got ${describe(stateDict)}`);
  return entries.map(([name, t]) => {
    if (typeof name !== 'string') throw new TypeError(`io.save: tensor names must be strings, got ${typeof name}`);
    if (name === '__metadata__') throw new TypeError('io.save: "__metadata__" is reserved by the safetensors format and cannot name a tensor');
    checkText('io.save', name, 'tensor name');
    if (!isTensor(t)) throw new TypeError(`io.save: "${name}" must be a Tensor, got ${describe(t)}`);
    return { name, tensor: t, nameBytes: Buffer.from(name, 'utf8') };
  });
}

function checkMetadata(metadata: unknown): [string, string][] | null {
  if (metadata === undefined || metadata === null) return null;
  if (!isPlainObject(metadata)) throw new TypeError(`io.save: metadata must be an object of strings, got ${describe(metadata)}`);
  const out = Object.entries(metadata).map(([k, v]): [string, string] => {
    if (typeof v !== 'string') throw new TypeError(`io.save: metadata["${k}"] must be a string, got ${describe(v)}`);
    checkText('io.save', k, 'metadata key');
    checkText('io.save', v, `metadata["${k}"]`);
    return [k, v];
  });
  // The reference keeps metadata in a hash map (no fixed order); sorting makes the bytes reproducible.
  return out.sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

/** The tensor's elements in row-major order as little-endian bytes. */
function tensorBytes(t: Tensor): Uint8Array {
  const flat = noGrad(() => t._flat());
  const bytes = new Uint8Array(flat.buffer, flat.byteOffset, flat.byteLength);
  return HOST_LE ? bytes : swapBytes(bytes.slice(), flat.BYTES_PER_ELEMENT);
}

function swapBytes(b: Uint8Array, size: number): Uint8Array {
  if (size > 1) for (let i = 0; i < b.length; i += size) b.subarray(i, i + size).reverse();
  return b;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, Math.min(CHUNK, bytes.length - done));
}

/**
 * Writes through `write(fd)` into a temporary file next to `target`, fsyncs it and renames it over
 * `target`, so `target` is either the old file or the complete new one. The temporary is removed on error.
 */
export function writeAtomically(op: string, target: string, write: (fd: number) => void): void {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd = fsCall(op, target, () => fs.openSync(tmp, 'wx'));
  try {
    fsCall(op, target, () => {
      write(fd);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = -1;
      fs.renameSync(tmp, target);
    });
  } catch (e) {
    if (fd >= 0) {
      try { fs.closeSync(fd); } catch { /* already failing */ }
    }
    try { fs.unlinkSync(tmp); } catch { /* already failing */ }
    throw e;
  }
  // Make the rename itself durable; directories cannot be opened for fsync on every platform.
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch { /* best effort */ }
}

/**
 * Saves tensors by name (a state dict: plain object or Map of name → Tensor) to `file` in the
 * safetensors format, as PyTorch's `safetensors.torch.save_file` would: float32 → F32, float64 → F64,
 * int32 → I32, tensors ordered by dtype then name, header padded with spaces to 8 bytes. Views and
 * non-contiguous tensors are written in row-major order. `metadata` (string → string) is stored
 * under `__metadata__`, keys sorted. The write is atomic: a temporary file in the same directory is
 * fsynced and renamed over `file`, so a failure or crash never leaves a partial file under that name.
 */
export function save(stateDict: Record<string, Tensor> | Map<string, Tensor>, file: string, opts: SaveOptions = {}): void {
  const target = checkPath('io.save', file);
  if (!isPlainObject(opts)) throw new TypeError(`io.save: options must be an object, got ${describe(opts)}`);
  const entries = stateEntries(stateDict);
  const metadata = checkMetadata(opts.metadata);
  entries.sort((a, b) => DTYPE_RANK[b.tensor.dtype] - DTYPE_RANK[a.tensor.dtype] || Buffer.compare(a.nameBytes, b.nameBytes));

  const parts: string[] = [];
  if (metadata) parts.push(`"__metadata__":{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  let offset = 0;
  for (const { name, tensor } of entries) {
    const end = offset + tensor.size * ITEM_SIZE[SAVED_AS[tensor.dtype]];
    parts.push(`${JSON.stringify(name)}:{"dtype":"${SAVED_AS[tensor.dtype]}","shape":[${tensor._shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const header = Buffer.alloc(json.length + ((8 - (json.length % 8)) % 8), 0x20);
  json.copy(header);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));

  writeAtomically('io.save', target, (fd) => {
    writeAll(fd, length);
    writeAll(fd, header);
    for (const { tensor } of entries) writeAll(fd, tensorBytes(tensor));
  });
}

// ---------------------------------------------------------------------------------------------
// load

interface InEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Reads exactly `into.length` bytes at `position`. */
function readExact(fd: number, file: string, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = fs.readSync(fd, into, done, Math.min(CHUNK, into.length - done), position + done);
    if (n === 0) throw new SafetensorsFormatError(file, `file ended at byte ${position + done} while reading ${into.length} bytes at ${position} (was it changed while being read?)`);
    done += n;
  }
}

/** The first key repeated within one JSON object of `text` (already known to be valid JSON), or null. */
function duplicateKey(text: string): string | null {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push(null);
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
  return null;
}

function parseHeader(file: string, bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new SafetensorsFormatError(file, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsFormatError(file, `header must start with "{", got ${brief(text.slice(0, 16))}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsFormatError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(parsed)) throw new SafetensorsFormatError(file, `header must be a JSON object, got ${describe(parsed)}`);
  const dup = duplicateKey(text);
  if (dup !== null) throw new SafetensorsFormatError(file, `header has the key ${JSON.stringify(dup)} more than once`);
  return parsed;
}

function parseMetadata(file: string, md: unknown): Record<string, string> | null {
  if (md === null || md === undefined) return null;
  if (!isPlainObject(md)) throw new SafetensorsFormatError(file, `__metadata__ must be an object of strings, got ${describe(md)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md)) {
    if (typeof v !== 'string') throw new SafetensorsFormatError(file, `__metadata__[${JSON.stringify(k)}] must be a string, got ${describe(v)}`);
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(file: string, name: string, info: unknown, dataBytes: number): InEntry {
  const where = `tensor ${JSON.stringify(name)}`;
  const bad = (problem: string) => new SafetensorsFormatError(file, `${where}: ${problem}`);
  if (!isPlainObject(info)) throw bad(`entry must be an object with dtype, shape and data_offsets, got ${describe(info)}`);
  for (const field of ['dtype', 'shape', 'data_offsets']) if (!hasOwn(info, field)) throw bad(`entry has no "${field}"`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string') throw bad(`dtype must be a string, got ${describe(dtype)}`);
  if (UNSUPPORTED.has(dtype)) throw new TypeError(`io.load: ${file}: ${where} has dtype ${dtype}, which tapegrad cannot represent exactly (it reads F32, F64, F16, BF16 and integer/bool dtypes)`);
  if (!hasOwn(ITEM_SIZE, dtype)) throw bad(`unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`shape must be an array of non-negative integers, got ${brief(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw bad(`data_offsets must be [begin, end] with non-negative integers, got ${brief(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (end < begin) throw bad(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes) throw bad(`data_offsets [${begin}, ${end}] lie outside the ${dataBytes}-byte data buffer`);
  let nbytes = ITEM_SIZE[dtype];
  for (const s of shape as number[]) {
    nbytes *= s;
    if (nbytes > Number.MAX_SAFE_INTEGER) throw bad(`shape ${shapeStr(shape as number[])} is too large`);
  }
  if (end - begin !== nbytes) {
    throw bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} ${shapeStr(shape as number[])} needs ${nbytes}`);
  }
  if (shape.length > MAX_DIMS) throw new RangeError(`io.load: ${file}: ${where} has ${shape.length} dims; tapegrad supports at most ${MAX_DIMS}`);
  if (nbytes / ITEM_SIZE[dtype] > 2 ** 31 - 1) throw new RangeError(`io.load: ${file}: ${where} has more elements than tapegrad supports (2^31 - 1)`);
  return { name, dtype, shape: shape as number[], begin, end };
}

/** The reference requires the tensors to tile the data buffer exactly: no gaps, overlaps or trailing bytes. */
function checkTiling(file: string, entries: InEntry[], dataBytes: number): void {
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: InEntry | null = null;
  for (const e of sorted) {
    if (e.begin > pos) throw new SafetensorsFormatError(file, `data bytes ${pos}..${e.begin} belong to no tensor (gap before tensor ${JSON.stringify(e.name)})`);
    if (e.begin < pos) throw new SafetensorsFormatError(file, `tensors ${JSON.stringify(prev!.name)} and ${JSON.stringify(e.name)} overlap in the data buffer`);
    pos = e.end;
    prev = e;
  }
  if (pos !== dataBytes) throw new SafetensorsFormatError(file, `${dataBytes - pos} trailing bytes after the last tensor's data`);
}

/** F16 value = significand × f16Scale[biased exponent]: 2^-24 for subnormals (exponent 0), else 2^(e - 25). */
const f16Scale = Array.from({ length: 31 }, (_, e) => (e === 0 ? 2 ** -24 : 2 ** (e - 25)));

/** Converts little-endian `src` bytes of a non-native dtype into `out`; exact or an error. */
function convert(file: string, e: InEntry, src: Buffer, out: TypedArray): void {
  const n = out.length;
  const tooBig = (i: number, v: bigint | number) =>
    new RangeError(`io.load: ${file}: tensor ${JSON.stringify(e.name)} (${e.dtype}) element ${i} is ${v}, which does not fit in int32`);
  switch (e.dtype) {
    case 'BOOL':
      for (let i = 0; i < n; i++) {
        const v = src[i];
        if (v > 1) throw new SafetensorsFormatError(file, `tensor ${JSON.stringify(e.name)} (BOOL) element ${i} is ${v}, not 0 or 1`);
        out[i] = v;
      }
      return;
    case 'U8': for (let i = 0; i < n; i++) out[i] = src.readUInt8(i); return;
    case 'I8': for (let i = 0; i < n; i++) out[i] = src.readInt8(i); return;
    case 'I16': for (let i = 0; i < n; i++) out[i] = src.readInt16LE(2 * i); return;
    case 'U16': for (let i = 0; i < n; i++) out[i] = src.readUInt16LE(2 * i); return;
    case 'I32': for (let i = 0; i < n; i++) out[i] = src.readInt32LE(4 * i); return;
    case 'U32':
      for (let i = 0; i < n; i++) {
        const v = src.readUInt32LE(4 * i);
        if (v > 0x7fffffff) throw tooBig(i, v);
        out[i] = v;
      }
      return;
    case 'I64': case 'U64':
      for (let i = 0; i < n; i++) {
        const lo = src.readInt32LE(8 * i);
        const hi = src.readInt32LE(8 * i + 4);
        if (hi !== lo >> 31 || (e.dtype === 'U64' && hi !== 0)) throw tooBig(i, e.dtype === 'I64' ? src.readBigInt64LE(8 * i) : src.readBigUInt64LE(8 * i));
        out[i] = lo;
      }
      return;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = src.readUInt16LE(2 * i) << 16;
      return;
    }
    case 'F16':
      for (let i = 0; i < n; i++) {
        const h = src.readUInt16LE(2 * i);
        const exp = (h >> 10) & 0x1f;
        const frac = h & 0x3ff;
        const mag = exp === 0x1f ? (frac ? NaN : Infinity) : exp === 0 ? frac * f16Scale[0] : (1024 + frac) * f16Scale[exp];
        out[i] = h & 0x8000 ? -mag : mag;
      }
      return;
    case 'F32': for (let i = 0; i < n; i++) out[i] = src.readFloatLE(4 * i); return;
    case 'F64': for (let i = 0; i < n; i++) out[i] = src.readDoubleLE(8 * i); return;
  }
}

const NATIVE_LAYOUT = new Set(['F32', 'F64', 'I32']);

function readTensor(fd: number, file: string, e: InEntry, dataStart: number): Tensor {
  const dtype = LOADED_AS[e.dtype];
  const n = e.shape.reduce((p, s) => p * s, 1);
  const out = allocate(dtype, n);
  if (NATIVE_LAYOUT.has(e.dtype) && HOST_LE) {
    readExact(fd, file, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), dataStart + e.begin);
  } else {
    const src = Buffer.alloc(e.end - e.begin);
    readExact(fd, file, src, dataStart + e.begin);
    convert(file, e, src, out);
  }
  return new Tensor(new Storage(out), e.shape, contiguousStrides(e.shape), 0, dtype);
}

/**
 * Reads a safetensors file: `{tensors, metadata}` where `tensors` maps each name (in header order)
 * to a new contiguous tensor with its own storage, and `metadata` is the `__metadata__` map or null.
 * F32 → float32, F64 → float64, I32 → int32; also converted exactly: F16 and BF16 → float32, and
 * I64, U64, U32, I16, U16, I8, U8 and BOOL → int32 (a RangeError names the first value that does
 * not fit). 8-bit floats and other dtypes without an exact equivalent are a TypeError. Every
 * structural problem (short file, bad header length, UTF-8, JSON, fields, dtype, shape, offsets,
 * gaps, overlaps, trailing bytes, duplicate keys) is a SafetensorsFormatError naming the file; the
 * header is checked against the file size before anything is allocated.
 */
export function loadWithMetadata(file: string): LoadResult {
  const source = checkPath('io.load', file);
  // stat before open: opening a FIFO would block until a writer appears.
  if (!fsCall('io.load', source, () => fs.statSync(source)).isFile()) throw new SafetensorsFormatError(source, 'not a regular file');
  const fd = fsCall('io.load', source, () => fs.openSync(source, 'r'));
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new SafetensorsFormatError(source, 'not a regular file');
    const size = stat.size;
    if (size < 8) throw new SafetensorsFormatError(source, `file is ${size} bytes, too short for the 8-byte header length`);
    const lengthField = Buffer.alloc(8);
    readExact(fd, source, lengthField, 0);
    const declared = lengthField.readBigUInt64LE(0);
    if (declared > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsFormatError(source, `header length ${declared} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
    const n = Number(declared);
    if (n > size - 8) throw new SafetensorsFormatError(source, `header length ${n} exceeds the ${size - 8} bytes that follow the length field`);
    const headerBytes = Buffer.alloc(n);
    readExact(fd, source, headerBytes, 8);
    const header = parseHeader(source, headerBytes);

    const dataBytes = size - 8 - n;
    const metadata = parseMetadata(source, header.__metadata__);
    const entries = Object.keys(header).filter((k) => k !== '__metadata__').map((k) => parseEntry(source, k, header[k], dataBytes));
    checkTiling(source, entries, dataBytes);
    const tensors: Record<string, Tensor> = {};
    for (const e of entries) {
      // defineProperty so that a tensor named "__proto__" is an ordinary own property.
      Object.defineProperty(tensors, e.name, { value: readTensor(fd, source, e, 8 + n), enumerable: true, writable: true, configurable: true });
    }
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a safetensors file into a plain object of name → Tensor; see `loadWithMetadata`. */
export function load(file: string): Record<string, Tensor> {
  return loadWithMetadata(file).tensors;
}
