// Shape arithmetic and the argument checks every op shares.

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d];
  }
  return st;
}

/** Row-major contiguous, ignoring the strides of size-1 dims (which never move). */
export function isDense(shape: readonly number[], strides: readonly number[]): boolean {
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d];
    if (n !== 1 && strides[d] !== s) return false;
    s *= n;
  }
  return true;
}

export const MAX_DIMS = 16;

export function checkSize(op: string, v: unknown, what = 'size'): number {
  if (typeof v !== 'number') throw new TypeError(`${op}: ${what} must be a number, got ${typeof v}`);
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`${op}: ${what} must be a non-negative integer, got ${v}`);
  }
  return v;
}

export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of sizes`);
  if (shape.length > MAX_DIMS) throw new RangeError(`${op}: at most ${MAX_DIMS} dims are supported, got ${shape.length}`);
  const out = shape.map((s) => checkSize(op, s));
  if (numel(out) > 2 ** 31 - 1) throw new RangeError(`${op}: shape ${shapeStr(out)} has too many elements`);
  return out;
}

export function checkInt(op: string, v: unknown, what: string): number {
  if (typeof v !== 'number') throw new TypeError(`${op}: ${what} must be a number, got ${typeof v}`);
  if (!Number.isSafeInteger(v)) throw new RangeError(`${op}: ${what} must be an integer, got ${v}`);
  return v;
}

export function normDim(op: string, dim: unknown, ndim: number, shape: readonly number[]): number {
  const d = checkInt(op, dim, 'dim');
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (d < lo || d > hi) {
    throw new RangeError(`${op}: dim ${d} is out of range for a tensor of shape ${shapeStr(shape)} (expected ${lo}..${hi})`);
  }
  return d < 0 ? d + Math.max(ndim, 1) : d;
}

export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  if (shapes.length === 2 && sameShape(shapes[0], shapes[1])) return shapes[0].slice();
  const n = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(n).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const d = n - s.length + i;
      const a = out[d];
      const b = s[i];
      if (a === b || b === 1) continue;
      if (a === 1) out[d] = b;
      else {
        throw new RangeError(`${op}: shapes ${shapes.map(shapeStr).join(' and ')} cannot be broadcast together`);
      }
    }
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The multi-index of flat (row-major) position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
