// The one element limit every size is checked against (validate.ts re-exports it for the ops).
import { constants } from 'buffer';
import { shapeStr } from './shape';

/**
 * The most elements any tensor may have: what one buffer can really hold for the widest dtype
 * (float64, 8 bytes) under Node's per-buffer limit, and within the native kernels' int32 range.
 */
export const MAX_ELEMENTS = Math.min(2 ** 31 - 1, Math.floor(constants.MAX_LENGTH / 8));

/** Throws unless a tensor of `shape` fits in one buffer; the shape's sizes are already checked. */
export function checkElements(op: string, shape: readonly number[], what = 'shape', context = ''): void {
  let n = 1;
  for (const s of shape) n *= s;
  if (!(n <= MAX_ELEMENTS)) {
    throw new RangeError(`${op}: ${what} ${shapeStr(shape)}${context} has ${n} elements, over the limit of ${MAX_ELEMENTS} a buffer can hold`);
  }
}
