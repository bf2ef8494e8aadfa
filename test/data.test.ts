// tg.data: TensorDataset, Subset, randomSplit, kFold and DataLoader, checked against manual indexing.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectError, sample } from './helpers';

const N = 23;
/** x: [N, 3, 2] float64 with known values; ids: int32 [N] holding each row's own index. */
function fixture() {
  const xs = sample([N, 3, 2], 7);
  const x = tg.tensor(xs, { shape: [N, 3, 2], dtype: 'float64' });
  const ids = tg.arange(0, N, 1, { dtype: 'int32' });
  return { xs, x, ids, ds: new tg.data.TensorDataset(x, ids) };
}

function rowsOf(xs: Float64Array, ids: number[], rowLen: number): number[] {
  return ids.flatMap((i) => Array.from(xs.subarray(i * rowLen, (i + 1) * rowLen)));
}

/** Batches of one epoch as the list of row ids per batch, checking x against manual indexing. */
function epoch(loader: tg.data.DataLoader, xs: Float64Array): number[][] {
  const out: number[][] = [];
  for (const batch of loader) {
    expect(batch).toHaveLength(2);
    const [bx, bid] = batch;
    const ids = Array.from(bid.data());
    expect(bid.dtype).toBe('int32');
    expect(bx.shape).toEqual([ids.length, 3, 2]);
    expect(Array.from(bx.data())).toEqual(rowsOf(xs, ids, 6));
    out.push(ids);
  }
  return out;
}

describe('TensorDataset and Subset', () => {
  it('get(i) returns the i-th rows of every tensor', () => {
    const { xs, ds } = fixture();
    expect(ds.length).toBe(N);
    const [x5, id5] = ds.get(5);
    expect(x5.shape).toEqual([3, 2]);
    expect(Array.from(x5.data())).toEqual(rowsOf(xs, [5], 6));
    expect(id5.shape).toEqual([]);
    expect(id5.item()).toBe(5);
    expectError(() => ds.get(N), RangeError, /TensorDataset.get/, /23/);
    expectError(() => ds.get(-1), RangeError, /out of range/);
    expectError(() => ds.get(1.5), TypeError, /integer/);
  });

  it('rejects tensors with different first dims, naming the shapes', () => {
    expectError(() => new tg.data.TensorDataset(tg.zeros([4, 2]), tg.zeros([5])), RangeError, /TensorDataset/, /\[4, 2\]/, /\[5\]/);
    expectError(() => new tg.data.TensorDataset(), TypeError, /at least one/);
    expectError(() => new tg.data.TensorDataset(tg.tensor(1)), RangeError, /0-d/);
    expectError(() => new tg.data.TensorDataset([1, 2] as unknown as tg.Tensor), TypeError, /must be a Tensor/);
  });

  it('Subset maps indices onto its dataset', () => {
    const { ds } = fixture();
    const sub = new tg.data.Subset(ds, [7, 2, 19]);
    expect(sub.length).toBe(3);
    expect(sub.get(1)[1].item()).toBe(2);
    expect(sub.get(2)[1].item()).toBe(19);
    expectError(() => new tg.data.Subset(ds, [0, 23]), RangeError, /index 23/);
    expectError(() => sub.get(3), RangeError, /Subset.get/);
  });
});

describe('randomSplit', () => {
  const ds = (n: number) => new tg.data.TensorDataset(tg.arange(0, n, 1, { dtype: 'int32' }));
  const ids = (s: tg.data.Subset<tg.Tensor[]>) => Array.from({ length: s.length }, (_, i) => s.get(i)[0].item());

  it('lengths: disjoint subsets covering the dataset, reproducible with a seeded generator', () => {
    const parts = tg.data.randomSplit(ds(10), [3, 7], { generator: new tg.Generator(5) });
    expect(parts.map((p) => p.length)).toEqual([3, 7]);
    const all = parts.flatMap(ids);
    expect([...all].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const again = tg.data.randomSplit(ds(10), [3, 7], { generator: new tg.Generator(5) }).flatMap(ids);
    expect(again).toEqual(all);
    const other = tg.data.randomSplit(ds(10), [3, 7], { generator: new tg.Generator(6) }).flatMap(ids);
    expect(other).not.toEqual(all);
  });

  it('fractions: floor, then the remainder one by one from the first split (PyTorch)', () => {
    const lens = (n: number, f: number[]) => tg.data.randomSplit(ds(n), f).map((p) => p.length);
    expect(lens(11, [0.3, 0.3, 0.4])).toEqual([4, 3, 4]);
    expect(lens(7, [0.25, 0.25, 0.25, 0.25])).toEqual([2, 2, 2, 1]);
    expect(lens(10, [0.5, 0.5])).toEqual([5, 5]);
    expect(lens(10, [0.1 + 0.2, 0.7])).toEqual([3, 7]);
    expect(lens(5, [1, 0])).toEqual([5, 0]);
  });

  it('rejects fractions not summing to 1 and lengths not summing to the dataset length', () => {
    expectError(() => tg.data.randomSplit(ds(10), [0.3, 0.3]), RangeError, /randomSplit/, /sum to 0.6/);
    expectError(() => tg.data.randomSplit(ds(10), [3, 3]), RangeError, /sum to 6/, /10 items/);
    expectError(() => tg.data.randomSplit(ds(10), [-1, 11]), RangeError, /non-negative/);
    expectError(() => tg.data.randomSplit(ds(10), []), TypeError, /non-empty/);
  });
});

describe('kFold', () => {
  it('fold sizes as sklearn KFold: the first n % k folds get one more', () => {
    const folds = tg.data.kFold(10, 3);
    expect(folds.map((f) => f.val)).toEqual([[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(folds[1].train).toEqual([0, 1, 2, 3, 7, 8, 9]);
    expect(tg.data.kFold(17, 5).map((f) => f.val.length)).toEqual([4, 4, 3, 3, 3]);
    expect(tg.data.kFold(5, 5).map((f) => f.val)).toEqual([[0], [1], [2], [3], [4]]);
  });

  it('shuffled folds are disjoint, cover every index once, and repeat with the same seed', () => {
    const n = 29;
    const folds = tg.data.kFold(n, 4, { shuffle: true, generator: new tg.Generator(11) });
    expect(folds.map((f) => f.val.length)).toEqual([8, 7, 7, 7]);
    const vals = folds.flatMap((f) => f.val).sort((a, b) => a - b);
    expect(vals).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const f of folds) {
      expect(f.train.length + f.val.length).toBe(n);
      expect(f.train.filter((i) => f.val.includes(i))).toEqual([]);
      expect([...f.val].sort((a, b) => a - b)).toEqual(f.val);
    }
    expect(folds.map((f) => f.val)).not.toEqual(tg.data.kFold(n, 4).map((f) => f.val));
    expect(tg.data.kFold(n, 4, { shuffle: true, generator: new tg.Generator(11) })).toEqual(folds);
  });

  it('rejects k < 2 and k > n', () => {
    expectError(() => tg.data.kFold(10, 1), RangeError, /kFold/, /at least 2/);
    expectError(() => tg.data.kFold(3, 4), RangeError, /k = 4/, /n = 3/);
    expectError(() => tg.data.kFold(10, 2.5), TypeError, /integer/);
  });
});

describe('DataLoader', () => {
  it('without shuffle: batches in order, last batch short, length = number of batches', () => {
    const { xs, ds } = fixture();
    const loader = new tg.data.DataLoader(ds, { batchSize: 5 });
    expect(loader.length).toBe(5);
    const ids = epoch(loader, xs);
    expect(ids.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
    expect(ids.flat()).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('dropLast drops the short batch; exact multiples keep every batch either way', () => {
    const { xs, ds } = fixture();
    const dl = new tg.data.DataLoader(ds, { batchSize: 5, dropLast: true, shuffle: true, generator: new tg.Generator(1) });
    expect(dl.length).toBe(4);
    const b = epoch(dl, xs);
    expect(b.map((x) => x.length)).toEqual([5, 5, 5, 5]);
    expect(new Set(b.flat()).size).toBe(20);
    const sub = new tg.data.Subset(ds, Array.from({ length: 20 }, (_, i) => i));
    expect(new tg.data.DataLoader(sub, { batchSize: 5, dropLast: true }).length).toBe(4);
    expect(new tg.data.DataLoader(sub, { batchSize: 5, dropLast: false }).length).toBe(4);
    expect(new tg.data.DataLoader(ds, { batchSize: 30, dropLast: true }).length).toBe(0);
    expect(epoch(new tg.data.DataLoader(ds, { batchSize: 30, dropLast: true }), xs)).toEqual([]);
  });

  it('shuffle: each sample once per epoch, a new order each epoch, the same sequence for the same seed', () => {
    const { xs, ds } = fixture();
    const run = () => {
      const loader = new tg.data.DataLoader(ds, { batchSize: 4, shuffle: true, generator: new tg.Generator(42) });
      return [epoch(loader, xs), epoch(loader, xs), epoch(loader, xs)];
    };
    const epochs = run();
    for (const e of epochs) {
      expect(e.map((b) => b.length)).toEqual([4, 4, 4, 4, 4, 3]);
      expect([...e.flat()].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    }
    expect(epochs[0].flat()).not.toEqual(Array.from({ length: N }, (_, i) => i));
    expect(epochs[1].flat()).not.toEqual(epochs[0].flat());
    expect(epochs[2].flat()).not.toEqual(epochs[1].flat());
    expect(run()).toEqual(epochs);
  });

  it('without a generator, shuffling follows tg.manualSeed', () => {
    const { xs, ds } = fixture();
    const orders = () => {
      tg.manualSeed(123);
      const loader = new tg.data.DataLoader(ds, { batchSize: 7, shuffle: true });
      return [epoch(loader, xs).flat(), epoch(loader, xs).flat()];
    };
    const a = orders();
    expect(a[0]).not.toEqual(a[1]);
    expect(orders()).toEqual(a);
  });

  it('batch GD (batchSize = length) and SGD (batchSize 1) go through the same path', () => {
    const { xs, ds } = fixture();
    const full = epoch(new tg.data.DataLoader(ds, { batchSize: N, shuffle: true, generator: new tg.Generator(3) }), xs);
    expect(full).toHaveLength(1);
    expect(full[0]).toHaveLength(N);
    const sgd = new tg.data.DataLoader(ds, { shuffle: true, generator: new tg.Generator(3) });
    expect(sgd.length).toBe(N);
    const one = epoch(sgd, xs);
    expect(one.every((b) => b.length === 1)).toBe(true);
    // Same seed, same permutation, whatever the batch size.
    expect(one.flat()).toEqual(full[0]);
  });

  it('a TensorDataset (or Subset of one) is gathered with one indexSelect per tensor, keeping the graph', () => {
    const x = tg.randn([6, 2], { dtype: 'float64', requiresGrad: true });
    const y = tg.arange(0, 6, 1, { dtype: 'int32' });
    const sub = new tg.data.Subset(new tg.data.Subset(new tg.data.TensorDataset(x, y), [5, 4, 3, 2, 1, 0]), [0, 2, 4]);
    const [[bx, by]] = [...new tg.data.DataLoader(sub, { batchSize: 3 })];
    expect(bx.gradFn).toBe('indexSelect');
    expect(Array.from(by.data())).toEqual([5, 3, 1]);
    bx.sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it('a generic Dataset is collated from get(i) with stack, matching the TensorDataset path', () => {
    const { xs, x, ds } = fixture();
    class Squares extends tg.data.Dataset<[tg.Tensor, number, number]> {
      readonly length = N;
      get(i: number): [tg.Tensor, number, number] {
        return [x.narrow(0, i, 1).reshape(3, 2), i, i / 2];
      }
    }
    const gen = new Squares();
    const a = [...new tg.data.DataLoader(gen, { batchSize: 6, shuffle: true, generator: new tg.Generator(9) })];
    const b = [...new tg.data.DataLoader(ds, { batchSize: 6, shuffle: true, generator: new tg.Generator(9) })];
    expect(a).toHaveLength(4);
    for (let k = 0; k < a.length; k++) {
      const ids = Array.from(b[k][1].data());
      expect(Array.from(a[k][0].data())).toEqual(rowsOf(xs, ids, 6));
      expect(a[k][1].dtype).toBe('int32');
      expect(Array.from(a[k][1].data())).toEqual(ids);
      expect(a[k][2].dtype).toBe('float64');
      expect(Array.from(a[k][2].data())).toEqual(ids.map((i) => i / 2));
    }
  });

  it('rejects bad options and non-datasets', () => {
    const { ds } = fixture();
    expectError(() => new tg.data.DataLoader(ds, { batchSize: 0 }), RangeError, /DataLoader/, /batchSize must be a positive integer, got 0/);
    expectError(() => new tg.data.DataLoader(ds, { batchSize: 2.5 }), RangeError, /batchSize/);
    expectError(() => new tg.data.DataLoader(ds, { batchSize: '4' as unknown as number }), RangeError, /batchSize/);
    expectError(() => new tg.data.DataLoader(ds, { shuffle: 1 as unknown as boolean }), TypeError, /shuffle must be a boolean/);
    expectError(() => new tg.data.DataLoader(ds, { batch_size: 4 } as never), TypeError, /unknown option 'batch_size'/);
    expectError(() => new tg.data.DataLoader(ds, { generator: 42 as never }), TypeError, /generator must be a tg.Generator/);
    expectError(() => new tg.data.DataLoader(tg.zeros([3]) as never), TypeError, /DataLoader/, /Dataset/);
  });
});
