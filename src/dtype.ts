import type { TypedArray } from './native';

export type DType = 'float32' | 'float64' | 'int32';
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

export function isDType(d: unknown): d is DType {
  return d === 'float32' || d === 'float64' || d === 'int32';
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

export function isFloat(d: DType): boolean {
  return d !== 'int32';
}

// Type promotion between two tensors, as in PyTorch for these three dtypes.
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}
