// tg.datasets.digits(): the 8x8 handwritten digits shipped inside the package (see digits-data.ts).
import { inflateSync } from 'node:zlib';
import { Storage, Tensor } from '../tensor';
import { DIGITS_COUNT, DIGITS_DEFLATED } from './digits-data';

export interface LabelledData {
  x: Tensor;
  y: Tensor;
}

/**
 * The 1797 8x8 handwritten digits of scikit-learn's load_digits (UCI, Alpaydin and Kaynak, CC BY 4.0):
 * `x` float32 [1797, 64] of pixel counts 0..16, `y` int32 [1797] of labels 0..9. New tensors on each call.
 */
export function digits(): LabelledData {
  const n = DIGITS_COUNT;
  const bytes = inflateSync(Buffer.from(DIGITS_DEFLATED, 'base64'));
  if (bytes.length !== n * 65) throw new Error(`digits: corrupt packaged data (${bytes.length} bytes, expected ${n * 65})`);
  const x = new Float32Array(n * 64);
  x.set(bytes.subarray(0, n * 64));
  const y = new Int32Array(n);
  y.set(bytes.subarray(n * 64));
  return {
    x: new Tensor(new Storage(x), [n, 64], [64, 1], 0, 'float32'),
    y: new Tensor(new Storage(y), [n], [1], 0, 'int32'),
  };
}
