// DataLoader: batches of a dataset, reshuffled every epoch from a seeded generator.
import { Storage, Tensor } from '../tensor';
import { randperm, tensor } from '../ops/creation';
import { stack } from '../ops/shape';
import { indexSelect } from '../ops/indexing';
import { Generator, resolveGenerator } from '../random';
import { Dataset, Subset, TensorDataset, datasetLength } from './dataset';
import { describe, optionsOf } from '../validate';

export interface DataLoaderOptions {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  generator?: Generator;
}

const OPTION_NAMES = new Set(['batchSize', 'shuffle', 'dropLast', 'generator']);

function int32Vector(idx: Int32Array): Tensor {
  return new Tensor(new Storage(idx), [idx.length], [1], 0, 'int32');
}

/** The tensors behind a TensorDataset, or a (nested) Subset of one, with `idx` mapped onto their rows. */
function tensorRows(ds: unknown, idx: Int32Array): { tensors: readonly Tensor[]; idx: Int32Array } | null {
  let cur = ds;
  let rows = idx;
  while (cur instanceof Subset) {
    const map = cur.indices;
    rows = rows.map((i) => map[i]);
    cur = cur.dataset;
  }
  return cur instanceof TensorDataset ? { tensors: cur.tensors, idx: rows } : null;
}

function collateColumn(items: unknown[], col: number | null): Tensor {
  const first = items[0];
  if (first instanceof Tensor) {
    items.forEach((it, k) => {
      if (!(it instanceof Tensor)) throw new TypeError(`DataLoader: item ${k} of the batch mixes a Tensor and a ${typeof it}${col === null ? '' : ` at position ${col}`}`);
    });
    return stack(items as Tensor[]);
  }
  if (typeof first === 'number') {
    items.forEach((it, k) => {
      if (typeof it !== 'number') throw new TypeError(`DataLoader: item ${k} of the batch mixes a number and a ${typeof it}${col === null ? '' : ` at position ${col}`}`);
    });
    const nums = items as number[];
    return tensor(nums, { dtype: nums.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31) ? 'int32' : 'float64' });
  }
  throw new TypeError(`DataLoader: dataset items must be Tensors, numbers or arrays of them, got ${describe(first)}`);
}

/** get(i) for each index, then one stacked tensor per position of the items (default_collate). */
function collate(ds: Dataset, idx: Int32Array): Tensor[] {
  const items = Array.from(idx, (i) => ds.get(i));
  const first = items[0];
  if (!Array.isArray(first)) return [collateColumn(items, null)];
  const width = first.length;
  items.forEach((it, k) => {
    if (!Array.isArray(it) || it.length !== width) {
      throw new TypeError(`DataLoader: every item must be an array of ${width} entries like the first, item ${k} is not`);
    }
  });
  return Array.from({ length: width }, (_, c) => collateColumn(items.map((it) => (it as unknown[])[c]), c));
}

/**
 * Iterates over a dataset in batches, as torch.utils.data.DataLoader: each batch is an array with one
 * stacked tensor per dataset tensor. With `shuffle`, every pass (`for..of`) draws a new permutation
 * from the generator, so epochs differ, and a loader re-created with the same seed repeats them.
 */
export class DataLoader implements Iterable<Tensor[]> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;

  constructor(dataset: Dataset, options: DataLoaderOptions = {}) {
    datasetLength('DataLoader', dataset);
    const opts = optionsOf<DataLoaderOptions>('DataLoader', options);
    for (const k of Object.keys(opts)) {
      if (!OPTION_NAMES.has(k)) throw new TypeError(`DataLoader: unknown option '${k}' (expected ${[...OPTION_NAMES].join(', ')})`);
    }
    const { batchSize = 1, shuffle = false, dropLast = false } = opts;
    if (typeof batchSize !== 'number' || !Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${describe(batchSize)}`);
    }
    if (typeof shuffle !== 'boolean') throw new TypeError('DataLoader: shuffle must be a boolean');
    if (typeof dropLast !== 'boolean') throw new TypeError('DataLoader: dropLast must be a boolean');
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = resolveGenerator('DataLoader', opts.generator);
  }

  /** The number of batches per epoch. */
  get length(): number {
    const n = datasetLength('DataLoader', this.dataset);
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<Tensor[]> {
    const n = datasetLength('DataLoader', this.dataset);
    const order = this.shuffle && n > 0
      ? (randperm(n, { generator: this.generator })._flat() as Int32Array)
      : Int32Array.from({ length: n }, (_, i) => i);
    const batches = this.length;
    for (let b = 0; b < batches; b++) {
      const idx = order.slice(b * this.batchSize, Math.min(n, (b + 1) * this.batchSize));
      const rows = tensorRows(this.dataset, idx);
      if (rows) {
        const index = int32Vector(rows.idx);
        yield rows.tensors.map((t) => indexSelect(t, 0, index));
      } else {
        yield collate(this.dataset, idx);
      }
    }
  }
}
