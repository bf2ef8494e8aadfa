// tg.datasets: the packaged digits against values from scikit-learn, Fashion-MNIST from IDX files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import * as tg from 'tapegrad';
import { expectError, jsRandom } from './helpers';
import { idxBytes } from './idx-writer';

const expected = JSON.parse(readFileSync(resolve(__dirname, 'fixtures/digits.json'), 'utf8'));

describe('digits', () => {
  it('matches scikit-learn load_digits: shape, class counts, rows and checksums', () => {
    const { x, y } = tg.datasets.digits();
    expect(x.dtype).toBe('float32');
    expect(y.dtype).toBe('int32');
    expect(x.shape).toEqual(expected.shape);
    expect(y.shape).toEqual([1797]);
    const xs = x.data();
    const ys = Array.from(y.data());
    const counts = new Array(10).fill(0);
    for (const v of ys) counts[v]++;
    expect(counts).toEqual(expected.classCounts);
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(Array.from(xs.subarray(0, 64))).toEqual(expected.firstRow);
    expect(Array.from(xs.subarray(1796 * 64))).toEqual(expected.lastRow);
    expect(ys.slice(0, 20)).toEqual(expected.firstLabels);
    let sum = 0;
    let weighted = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < xs.length; i++) {
      sum += xs[i];
      weighted += xs[i] * ((i % 9973) + 1);
      lo = Math.min(lo, xs[i]);
      hi = Math.max(hi, xs[i]);
    }
    expect([lo, hi]).toEqual([0, 16]);
    expect(sum).toBe(expected.pixelSum);
    expect(weighted).toBe(expected.weightedPixelSum);
    expect(ys.reduce((p, v, i) => p + v * (i + 1), 0)).toBe(expected.weightedLabelSum);
    expect(Array.from(x.sum(1).data())).toEqual(expected.rowSums);
  });

  it('returns new tensors on each call', () => {
    const a = tg.datasets.digits();
    a.x.fill_(0);
    expect(tg.datasets.digits().x.sum().item()).toBe(expected.pixelSum);
  });
});

describe('fashionMnist', () => {
  let dir = '';
  const N_TRAIN = 5;
  const N_TEST = 3;
  const rnd = jsRandom(17);
  const pixels = (n: number) => Array.from({ length: n * 784 }, () => Math.floor(rnd() * 256));
  const trainImgs = pixels(N_TRAIN);
  const testImgs = pixels(N_TEST);
  testImgs[0] = 255;
  testImgs[1] = 0;
  const trainLabels = [9, 0, 0, 3, 7];
  const testLabels = [1, 2, 8];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tapegrad-fmnist-'));
    // The training files gzip-compressed (as distributed), the test files plain.
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxBytes('u8', [N_TRAIN, 28, 28], trainImgs)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxBytes('u8', [N_TRAIN], trainLabels)));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes('u8', [N_TEST, 28, 28], testImgs));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes('u8', [N_TEST], testLabels));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the training split (gzip) as float32 [N, 1, 28, 28] / 255 and int32 labels', () => {
    const { x, y } = tg.datasets.fashionMnist({ root: dir });
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([N_TRAIN, 1, 28, 28]);
    expect(Array.from(x.data())).toEqual(trainImgs.map((v) => Math.fround(v / 255)));
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.data())).toEqual(trainLabels);
  });

  it('reads the test split (plain files) with train: false', () => {
    const { x, y } = tg.datasets.fashionMnist({ root: dir, train: false });
    expect(x.shape).toEqual([N_TEST, 1, 28, 28]);
    const xs = x.data();
    expect([xs[0], xs[1]]).toEqual([1, 0]);
    expect(Array.from(xs)).toEqual(testImgs.map((v) => Math.fround(v / 255)));
    expect(Array.from(y.data())).toEqual(testLabels);
  });

  it('names the folder and the files it looked for when they are missing', () => {
    const empty = join(dir, 'nothing-here');
    mkdirSync(empty);
    expectError(
      () => tg.datasets.fashionMnist({ root: empty }),
      Error,
      /fashionMnist/,
      new RegExp(empty.replace(/[/\\.]/g, '\\$&')),
      /train-images-idx3-ubyte, train-images-idx3-ubyte\.gz/,
      /dataset-fashion-mnist/,
    );
    expectError(() => tg.datasets.fashionMnist({ root: 5 as unknown as string }), TypeError, /root/);
    expectError(() => tg.datasets.fashionMnist({ train: 'yes' as unknown as boolean }), TypeError, /train must be a boolean/);
  });

  it('rejects images and labels that do not match', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'train-images-idx3-ubyte'), idxBytes('u8', [2, 28, 28], pixels(2)));
    writeFileSync(join(bad, 'train-labels-idx1-ubyte'), idxBytes('u8', [3], [1, 2, 3]));
    writeFileSync(join(bad, 't10k-images-idx3-ubyte'), idxBytes('u8', [2, 14, 56], pixels(2)));
    writeFileSync(join(bad, 't10k-labels-idx1-ubyte'), idxBytes('u8', [2], [1, 2]));
    expectError(() => tg.datasets.fashionMnist({ root: bad }), RangeError, /labels/, /\[3\]/, /expected \[2\]/);
    expectError(() => tg.datasets.fashionMnist({ root: bad, train: false }), RangeError, /\[2, 14, 56\]/, /\[N, 28, 28\]/);
  });

  const debian = '/usr/share/datasets/fashion-mnist';
  it.runIf(existsSync(join(debian, 'train-images-idx3-ubyte.gz')))('the installed Debian dataset: 60000 / 10000 images', () => {
    const train = tg.datasets.fashionMnist();
    expect(train.x.shape).toEqual([60000, 1, 28, 28]);
    expect(train.y.shape).toEqual([60000]);
    expect([train.x.min().item(), train.x.max().item()]).toEqual([0, 1]);
    const counts = new Array(10).fill(0);
    for (const v of train.y.data()) counts[v]++;
    expect(counts).toEqual(new Array(10).fill(6000));
    const test = tg.datasets.fashionMnist({ train: false });
    expect(test.x.shape).toEqual([10000, 1, 28, 28]);
    expect(test.y.shape).toEqual([10000]);
  });
});

describe('README data example', () => {
  it('runs and prints what its comment says', () => {
    const readme = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Data and datasets'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const printed: unknown[][] = [];
    new Function('tg', 'console', js)(tg, { log: (...a: unknown[]) => printed.push(a) });
    expect(printed).toEqual([[1438, 359, 23]]);
  });
});
