// IDX files (the MNIST format): magic 0 0 <dtype> <ndim>, big-endian uint32 dims, big-endian data;
// plain or gzip-compressed.
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { endianness } from 'node:os';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { Storage, Tensor } from '../tensor';
import { contiguousStrides, numel, shapeStr } from '../shape';
import type { DType } from '../dtype';
import { fsCall } from './fs-errors';

interface IdxType {
  name: string;
  bytes: number;
  dtype: DType;
}

const TYPES: Record<number, IdxType> = {
  0x08: { name: 'uint8', bytes: 1, dtype: 'int32' },
  0x09: { name: 'int8', bytes: 1, dtype: 'int32' },
  0x0b: { name: 'int16', bytes: 2, dtype: 'int32' },
  0x0c: { name: 'int32', bytes: 4, dtype: 'int32' },
  0x0d: { name: 'float32', bytes: 4, dtype: 'float32' },
  0x0e: { name: 'float64', bytes: 8, dtype: 'float64' },
};

// Deflate cannot expand a byte of input into more than 1032 bytes of output (RFC 1951 limits).
const MAX_DEFLATE_RATIO = 1032;
const MAX_HEADER = 4 + 4 * 255;

interface Header {
  type: IdxType;
  shape: number[];
  headerBytes: number;
  dataBytes: number;
}

function parseHeader(path: string, b: Uint8Array): Header {
  if (b.length < 4) throw new RangeError(`readIdx: ${path}: truncated: ${b.length} bytes, shorter than the 4-byte magic number`);
  if (b[0] !== 0 || b[1] !== 0) {
    throw new RangeError(`readIdx: ${path}: not an IDX file (magic bytes ${hex(b.subarray(0, 4))}, expected 00 00 <type> <ndim>)`);
  }
  const type = TYPES[b[2]];
  if (!type) {
    throw new RangeError(`readIdx: ${path}: unknown IDX data type 0x${b[2].toString(16).padStart(2, '0')} (expected 08, 09, 0B, 0C, 0D or 0E)`);
  }
  const ndim = b[3];
  const headerBytes = 4 + 4 * ndim;
  if (b.length < headerBytes) throw new RangeError(`readIdx: ${path}: truncated header: ${ndim} dims need ${headerBytes} bytes, the file has ${b.length}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d, false));
  const count = numel(shape);
  if (count > 2 ** 31 - 1 || count * type.bytes > bufferConstants.MAX_LENGTH) {
    throw new RangeError(`readIdx: ${path}: shape ${shapeStr(shape)} of ${type.name} is too large to load`);
  }
  return { type, shape, headerBytes, dataBytes: count * type.bytes };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (v) => v.toString(16).padStart(2, '0')).join(' ');
}

/** Inflates a gzip file, refusing before inflating (or stopping during it) anything the header does not account for. */
function gunzipChecked(path: string, gz: Buffer): Buffer {
  // The header first, from a prefix of the compressed bytes: bounded output whatever the content.
  let head: Buffer;
  try {
    head = gunzipSync(gz.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (e) {
    throw new RangeError(`readIdx: ${path}: corrupt gzip data (${(e as Error).message})`);
  }
  const h = parseHeader(path, head.subarray(0, Math.min(head.length, MAX_HEADER)));
  const expected = h.headerBytes + h.dataBytes;
  if (expected > gz.length * MAX_DEFLATE_RATIO) {
    throw new RangeError(`readIdx: ${path}: truncated: the header declares ${expected} bytes, more than ${gz.length} compressed bytes can hold`);
  }
  try {
    // One byte more than expected, so trailing data is detected without inflating all of it.
    return gunzipSync(gz, { maxOutputLength: Math.min(expected + 1, bufferConstants.MAX_LENGTH) });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new RangeError(`readIdx: ${path}: trailing data: the file inflates to more than the ${expected} bytes its header declares (shape ${shapeStr(h.shape)})`);
    }
    throw new RangeError(`readIdx: ${path}: corrupt or truncated gzip data (${(e as Error).message})`);
  }
}

/** Decodes the big-endian data into a new typed array of the tensor's dtype. */
function decode(type: IdxType, raw: Uint8Array, count: number): Float32Array | Float64Array | Int32Array {
  if (type.bytes === 1) {
    const out = new Int32Array(count);
    out.set(type.name === 'int8' ? new Int8Array(raw.buffer, raw.byteOffset, count) : raw);
    return out;
  }
  const ab = new Uint8Array(raw).buffer; // an aligned, writable copy to byte-swap in place
  if (endianness() === 'LE') {
    const bytes = Buffer.from(ab);
    if (type.bytes === 2) bytes.swap16();
    else if (type.bytes === 4) bytes.swap32();
    else bytes.swap64();
  }
  switch (type.name) {
    case 'int16': {
      const out = new Int32Array(count);
      out.set(new Int16Array(ab));
      return out;
    }
    case 'int32':
      return new Int32Array(ab);
    case 'float32':
      return new Float32Array(ab);
    default:
      return new Float64Array(ab);
  }
}

/**
 * Reads an IDX file (plain, or gzip detected from its magic bytes 1f 8b) into a tensor: uint8, int8,
 * int16 and int32 data become int32, float32 stays float32 and float64 float64.
 */
export function readIdx(path: string): Tensor {
  if (typeof path !== 'string' || path === '') throw new TypeError('readIdx: path must be a non-empty string');
  // stat before open: opening a FIFO would block; fstat after open: the path may have changed since.
  const regular = (st: Stats) => {
    if (!st.isFile()) throw new TypeError(`readIdx: ${path}: not a regular file (${kindOf(st)})`);
  };
  regular(fsCall('readIdx', path, () => statSync(path)));
  const fd = fsCall('readIdx', path, () => openSync(path, 'r'));
  try {
    const size = fsCall('readIdx', path, () => {
      const st = fstatSync(fd);
      regular(st);
      return st.size;
    });
    if (size > bufferConstants.MAX_LENGTH) throw new RangeError(`readIdx: ${path}: ${size} bytes is too large to load`);
    const head = readAt(path, fd, 0, Math.min(size, MAX_HEADER));
    let file: Buffer;
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      // gunzipChecked caps the inflated bytes by what the IDX header declares.
      file = gunzipChecked(path, readAt(path, fd, 0, size));
    } else {
      const h = parseHeader(path, head);
      // The size check comes before reading the data, so a lying header costs nothing.
      checkDataBytes(path, h, size - h.headerBytes);
      file = readAt(path, fd, 0, size);
    }
    return decodeFile(path, file);
  } finally {
    closeSync(fd);
  }
}

function checkDataBytes(path: string, h: Header, have: number): void {
  if (have < h.dataBytes) {
    throw new RangeError(`readIdx: ${path}: truncated data: shape ${shapeStr(h.shape)} of ${h.type.name} needs ${h.dataBytes} bytes, the file has ${have}`);
  }
  if (have > h.dataBytes) {
    throw new RangeError(`readIdx: ${path}: trailing data: ${have - h.dataBytes} bytes after the ${h.dataBytes} that shape ${shapeStr(h.shape)} of ${h.type.name} needs`);
  }
}

function decodeFile(path: string, file: Buffer): Tensor {
  const h = parseHeader(path, file);
  checkDataBytes(path, h, file.length - h.headerBytes);
  const data = decode(h.type, file.subarray(h.headerBytes), numel(h.shape));
  return new Tensor(new Storage(data), h.shape, contiguousStrides(h.shape), 0, h.type.dtype);
}

/** Reads exactly `length` bytes at `position`: a file that shrank while being read is an error. */
function readAt(path: string, fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fsCall('readIdx', path, () => readSync(fd, buf, got, length - got, position + got));
    if (n === 0) throw new RangeError(`readIdx: ${path}: the file shrank while it was read (${got} of ${length} bytes)`);
    got += n;
  }
  return buf;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'a symbolic link or other special file';
}
