// K-fold cross-validation indices with scikit-learn's KFold fold sizes.
import { randperm } from '../ops/creation';
import { Generator, resolveGenerator } from '../random';
import { checkBool, checkInt, checkSize, MAX_ELEMENTS, optionsOf } from '../validate';

export interface Fold {
  train: number[];
  val: number[];
}

/**
 * k folds over indices 0..n-1: the first n % k folds hold floor(n / k) + 1 validation indices, the rest
 * floor(n / k); each index is in exactly one validation set. With `shuffle`, the indices are permuted with
 * the (seeded) generator before being cut into folds. Both lists of a fold are sorted, as sklearn's KFold.
 */
export function kFold(n: number, k: number, options: { shuffle?: boolean; generator?: Generator } = {}): Fold[] {
  checkSize('kFold', n, 'n');
  checkInt('kFold', k, 'k');
  if (k < 2) throw new RangeError(`kFold: k must be at least 2, got ${k}`);
  if (k > n) throw new RangeError(`kFold: k = ${k} folds cannot be made from n = ${n} samples (need k <= n)`);
  // Every fold lists all n indices (train and val): k * n numbers in all.
  if (k * n > MAX_ELEMENTS) throw new RangeError(`kFold: k = ${k} folds of n = ${n} indices are ${k * n} indices, over the limit of ${MAX_ELEMENTS}`);
  const opts = optionsOf<{ shuffle?: boolean; generator?: Generator }>('kFold', options);
  const shuffle = opts.shuffle ?? false;
  checkBool('kFold', shuffle, 'shuffle');
  const gen = resolveGenerator('kFold', opts.generator);
  const order = shuffle ? Array.from(randperm(n, { generator: gen })._flat()) : Array.from({ length: n }, (_, i) => i);
  const folds: Fold[] = [];
  const base = Math.floor(n / k);
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = base + (f < n % k ? 1 : 0);
    const inVal = new Uint8Array(n);
    for (const i of order.slice(start, start + size)) inVal[i] = 1;
    const train: number[] = [];
    const val: number[] = [];
    for (let i = 0; i < n; i++) (inVal[i] ? val : train).push(i);
    folds.push({ train, val });
    start += size;
  }
  return folds;
}
