// Shape arithmetic (the argument checks are in validate.ts).
import { checkElements } from './limits';

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
  checkElements(op, out, 'broadcast shape', ` (of shapes ${shapes.map(shapeStr).join(' and ')})`);
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
