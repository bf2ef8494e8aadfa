// Tensor buffers. Every one is a typed array over V8-owned memory; how it is carved out depends on size.
//
// - A fresh ArrayBuffer costs about 0.5 µs before its first byte (backing store, malloc, external
//   memory accounting, and sweeping after GC): more than a whole small op. Buffers up to
//   MEDIUM_BYTES are therefore views into shared slabs, as Node's Buffer pool does. A live view
//   keeps its whole slab alive, so slabs stay small.
// - V8 zero-fills every ArrayBuffer; for outputs a kernel overwrites entirely that memset is wasted
//   work (for 0.1–4 MiB buffers it costs more than the op). `allocateUninit` takes memory from
//   Buffer.allocUnsafeSlow, which is malloc'd without zeroing. TAPEGRAD_POISON=1 fills those buffers
//   with NaN (int32: INT32_MIN) instead, so a test run shows any kernel that leaves an element unwritten.
import { native, type TypedArray } from './native';
import type { DType } from './dtype';

// Large fresh buffers come from mmap and fault in 4 KiB pages on first write, which costs more
// than the write itself (and two threads faulting at once contend in the kernel); transparent huge
// pages (2 MiB) cut that cost by about 3x. Zeroed buffers advise their 2 MiB-aligned interior;
// uninitialised ones of HUGE_ALIGN_MIN_BYTES and more are allocated 2 MiB larger and start on a
// 2 MiB boundary, so that all of them can be huge pages.
const HUGE_PAGE_MIN_BYTES = 4 << 20;
const HUGE_ALIGN_MIN_BYTES = 2 << 20;
const HUGE_PAGE = 2 << 20;
// Up to 64 bytes V8 keeps a typed array inside its heap and moves it to a freshly malloc'd
// ArrayBuffer the first time native code asks for its data pointer: these come from a zeroed slab.
const SMALL_BYTES = 64;
const SMALL_SLAB_BYTES = 2048;
// A kept tensor holds its whole slab: at most 16 KiB, as with Node's 8 KiB Buffer pool (W3 ran as
// fast with these as with 8 KiB in 64 KiB slabs).
const MEDIUM_BYTES = 4096;
const MEDIUM_SLAB_BYTES = 16384;
const POISON = process.env.TAPEGRAD_POISON === '1';
// (Freed buffers up to 32 MiB stay in malloc's heap for the next ones: see tune_malloc in
// native/kernels/runtime.cc.)

function view(dtype: DType, buf: ArrayBuffer, off: number, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buf, off, n);
    case 'float64': return new Float64Array(buf, off, n);
    case 'int32': return new Int32Array(buf, off, n);
  }
}

const byteSize = (dtype: DType, n: number) => (dtype === 'float64' ? 8 * n : 4 * n);

function fresh(dtype: DType, n: number): TypedArray {
  const a = dtype === 'float32' ? new Float32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Int32Array(n);
  if (a.byteLength >= HUGE_PAGE_MIN_BYTES) native.adviseHugePages(a);
  return a;
}

let smallSlab = new ArrayBuffer(SMALL_SLAB_BYTES);
let smallPos = 0;
let mediumSlab: ArrayBuffer | null = null;
let mediumPos = MEDIUM_SLAB_BYTES;

function small(dtype: DType, n: number, bytes: number): TypedArray {
  if (smallPos + bytes > SMALL_SLAB_BYTES) {
    smallSlab = new ArrayBuffer(SMALL_SLAB_BYTES);
    smallPos = 0;
  }
  const off = smallPos;
  smallPos += (bytes + 7) & ~7; // float64 views need 8-byte aligned offsets
  return view(dtype, smallSlab, off, n);
}

function unsafeBuffer(bytes: number): ArrayBuffer {
  const b = Buffer.allocUnsafeSlow(bytes); // its own ArrayBuffer, byteOffset 0
  return b.buffer as ArrayBuffer;
}

/** A zero-filled buffer of `n` elements. */
export function allocate(dtype: DType, n: number): TypedArray {
  const bytes = byteSize(dtype, n);
  if (bytes <= SMALL_BYTES && n >= 0 && (n | 0) === n) return small(dtype, n, bytes);
  return fresh(dtype, n);
}

/** A buffer of `n` elements with unspecified contents: for outputs that are written in full. */
export function allocateUninit(dtype: DType, n: number): TypedArray {
  const bytes = byteSize(dtype, n);
  let a: TypedArray;
  if (!(n >= 0 && (n | 0) === n && bytes > SMALL_BYTES)) {
    return POISON ? poison(allocate(dtype, n)) : allocate(dtype, n);
  } else if (bytes <= MEDIUM_BYTES) {
    if (mediumPos + bytes > MEDIUM_SLAB_BYTES) {
      mediumSlab = unsafeBuffer(MEDIUM_SLAB_BYTES);
      mediumPos = 0;
    }
    a = view(dtype, mediumSlab as ArrayBuffer, mediumPos, n);
    mediumPos += (bytes + 63) & ~63; // cache-line aligned, like malloc'd SIMD buffers
  } else if (bytes < HUGE_ALIGN_MIN_BYTES) {
    a = view(dtype, unsafeBuffer(bytes), 0, n);
  } else {
    const buf = unsafeBuffer(bytes + HUGE_PAGE);
    const off = native.hugePageOffset(new Int32Array(buf), bytes);
    a = view(dtype, buf, off >= 0 ? off : 0, n);
  }
  return POISON ? poison(a) : a;
}

function poison(a: TypedArray): TypedArray {
  return a.fill(a instanceof Int32Array ? -2147483648 : NaN);
}
