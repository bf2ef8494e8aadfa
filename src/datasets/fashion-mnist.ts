// tg.datasets.fashionMnist(): Zalando's Fashion-MNIST from its four IDX files (plain or gzip).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx } from '../io/idx';
import { shapeStr } from '../shape';
import type { LabelledData } from './digits';

/** Where Debian's dataset-fashion-mnist package installs the files. */
export const FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist';

export interface FashionMnistOptions {
  root?: string;
  train?: boolean;
}

function findFile(root: string, base: string, tried: string[]): string | null {
  for (const name of [base, `${base}.gz`]) {
    const p = join(root, name);
    tried.push(name);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Fashion-MNIST images and labels: `x` float32 [N, 1, 28, 28] scaled to [0, 1], `y` int32 [N] (0..9);
 * N = 60000 with `train` (the default), 10000 otherwise.
 */
export function fashionMnist(opts: FashionMnistOptions = {}): LabelledData {
  if (opts === null || typeof opts !== 'object') throw new TypeError('fashionMnist: options must be an object');
  const { root = FASHION_MNIST_ROOT, train = true } = opts;
  if (typeof root !== 'string' || root === '') throw new TypeError('fashionMnist: root must be a non-empty string');
  if (typeof train !== 'boolean') throw new TypeError('fashionMnist: train must be a boolean');
  const prefix = train ? 'train' : 't10k';
  const tried: string[] = [];
  const imgPath = findFile(root, `${prefix}-images-idx3-ubyte`, tried);
  const labPath = findFile(root, `${prefix}-labels-idx1-ubyte`, tried);
  if (!imgPath || !labPath) {
    throw new Error(
      `fashionMnist: ${train ? 'training' : 'test'} files not found in ${root} (looked for ${tried.join(', ')}). ` +
        `Download them from https://github.com/zalandoresearch/fashion-mnist into that folder, ` +
        `pass {root} pointing at them, or on Debian/Ubuntu install the dataset-fashion-mnist package.`,
    );
  }
  const images = readIdx(imgPath);
  const labels = readIdx(labPath);
  const s = images.shape;
  if (s.length !== 3 || s[1] !== 28 || s[2] !== 28) {
    throw new RangeError(`fashionMnist: ${imgPath} holds shape ${shapeStr(s)}, expected [N, 28, 28]`);
  }
  if (labels.ndim !== 1 || labels.shape[0] !== s[0]) {
    throw new RangeError(`fashionMnist: ${labPath} holds shape ${shapeStr(labels.shape)}, expected [${s[0]}] to match the images`);
  }
  return { x: images.to('float32').div(255).reshape(s[0], 1, 28, 28), y: labels };
}
