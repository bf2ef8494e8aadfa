// Datasets: the abstract Dataset, TensorDataset (rows of tensors sharing a first dim), Subset and randomSplit.
import { Tensor } from '../tensor';
import { shapeStr } from '../shape';
import { narrow } from '../ops/shape';
import { randperm } from '../ops/creation';
import { Generator, resolveGenerator } from '../random';
import { MAX_ELEMENTS, checkTensor, describe, optionsOf } from '../validate';

/** A map-style dataset, as torch.utils.data.Dataset: `length` items, read with `get(i)`. */
export abstract class Dataset<T = unknown> {
  abstract readonly length: number;
  abstract get(i: number): T;
}

/** The number of items of a dataset-like object (anything with an integer `length` and a `get` method). */
export function datasetLength(op: string, ds: unknown, what = 'dataset'): number {
  const d = ds as { length?: unknown; get?: unknown } | null;
  if (d === null || typeof d !== 'object' || typeof d.get !== 'function') {
    throw new TypeError(`${op}: ${what} must be a Dataset (an object with length and get(i)), got ${describe(d)}`);
  }
  const n = d.length;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new TypeError(`${op}: ${what}.length must be a non-negative integer, got ${describe(n)}`);
  }
  if (n > MAX_ELEMENTS) throw new RangeError(`${op}: ${what}.length ${n} is over the limit of ${MAX_ELEMENTS} items`);
  return n;
}

export function checkIndex(op: string, i: unknown, n: number): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`${op}: index must be an integer, got ${describe(i)}`);
  if (i < 0 || i >= n) throw new RangeError(`${op}: index ${i} is out of range for a dataset of length ${n}`);
  return i;
}

/** Rows of tensors that share their first dimension, as torch.utils.data.TensorDataset. */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new TypeError('TensorDataset: expected at least one tensor');
    tensors.forEach((t, k) => {
      checkTensor('TensorDataset', t, `argument ${k}`);
      if (t.ndim === 0) throw new RangeError(`TensorDataset: argument ${k} is a 0-d tensor; every tensor needs a first (sample) dimension`);
    });
    const n = tensors[0]._shape[0];
    if (tensors.some((t) => t._shape[0] !== n)) {
      throw new RangeError(
        `TensorDataset: all tensors must have the same size in dim 0, got shapes ${tensors.map((t) => shapeStr(t._shape)).join(', ')}`,
      );
    }
    this.tensors = tensors.slice();
  }

  get length(): number {
    return this.tensors[0]._shape[0];
  }

  /** The i-th row of every tensor (views, as `t[i]` in PyTorch). */
  get(i: number): Tensor[] {
    checkIndex('TensorDataset.get', i, this.length);
    return this.tensors.map((t) => narrow(t, 0, i, 1).reshape(t._shape.slice(1)));
  }
}

/** The items of `dataset` at `indices`, in that order, as torch.utils.data.Subset. */
export class Subset<T = unknown> extends Dataset<T> {
  readonly dataset: Dataset<T>;
  readonly indices: readonly number[];

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    super();
    const n = datasetLength('Subset', dataset);
    if (indices === null || typeof indices !== 'object' || typeof (indices as ArrayLike<number>).length !== 'number') {
      throw new TypeError('Subset: indices must be an array of integers');
    }
    const idx = Array.from(indices);
    for (const i of idx) {
      if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`Subset: indices must be integers, got ${describe(i)}`);
      if (i < 0 || i >= n) throw new RangeError(`Subset: index ${i} is out of range for a dataset of length ${n}`);
    }
    this.dataset = dataset;
    this.indices = idx;
  }

  get length(): number {
    return this.indices.length;
  }

  get(i: number): T {
    return this.dataset.get(this.indices[checkIndex('Subset.get', i, this.indices.length)]);
  }
}

/** Split sizes from lengths or fractions, as torch.utils.data.random_split. */
export function splitLengths(op: string, n: number, lengthsOrFractions: unknown): number[] {
  if (!Array.isArray(lengthsOrFractions) || lengthsOrFractions.length === 0) {
    throw new TypeError(`${op}: lengths must be a non-empty array of lengths or fractions`);
  }
  const vals = lengthsOrFractions as unknown[];
  for (const v of vals) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${op}: lengths and fractions must be non-negative finite numbers, got ${describe(v)}`);
    }
  }
  const nums = vals as number[];
  const total = nums.reduce((p, v) => p + v, 0);
  // PyTorch's rule: a list summing to 1 (math.isclose) is fractions; otherwise lengths.
  if (Math.abs(total - 1) <= 1e-9) {
    if (nums.some((f) => f > 1)) throw new RangeError(`${op}: fractions must lie in [0, 1], got [${nums.join(', ')}]`);
    const lengths = nums.map((f) => Math.floor(n * f));
    const remainder = n - lengths.reduce((p, v) => p + v, 0);
    for (let i = 0; i < remainder; i++) lengths[i % lengths.length] += 1;
    return lengths;
  }
  if (nums.every((v) => Number.isInteger(v))) {
    if (total !== n) {
      throw new RangeError(`${op}: lengths [${nums.join(', ')}] sum to ${total}, but the dataset has ${n} items`);
    }
    return nums.slice();
  }
  throw new RangeError(`${op}: fractions [${nums.join(', ')}] sum to ${total}, not 1`);
}

/**
 * Random non-overlapping subsets of the given lengths (or fractions of the dataset's length, the
 * remainder after flooring given out one by one from the first split), as torch.utils.data.random_split.
 */
export function randomSplit<T>(
  dataset: Dataset<T>,
  lengthsOrFractions: number[],
  options: { generator?: Generator } = {},
): Subset<T>[] {
  const n = datasetLength('randomSplit', dataset);
  const opts = optionsOf<{ generator?: Generator }>('randomSplit', options);
  const gen = resolveGenerator('randomSplit', opts.generator);
  const lengths = splitLengths('randomSplit', n, lengthsOrFractions);
  const perm = Array.from(randperm(n, { generator: gen })._flat());
  const out: Subset<T>[] = [];
  let off = 0;
  for (const len of lengths) {
    out.push(new Subset(dataset, perm.slice(off, off + len)));
    off += len;
  }
  return out;
}
