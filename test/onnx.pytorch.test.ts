// ONNX files exported by PyTorch 1.13 (test/fixtures/onnx/make_onnx_fixtures.py: an MLP, a CNN, and an
// embedding + batch-norm model with int64 indices) load, give PyTorch's
// outputs, and one SGD step on the loaded model gives PyTorch's parameters after the same step.
import { describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tg from 'tapegrad';
import { expectClose, runOrt } from './onnx-ort';

const dir = path.join(__dirname, 'fixtures', 'onnx');
interface Arr { shape: number[]; data: number[]; dtype?: 'int64' | 'float32' }
interface Fixture { input: Arr; output: Arr; target: number[]; loss: number; after_step: Record<string, Arr> }
const arr = (a: Arr) =>
  a.dtype === 'int64' ? tg.tensor(Int32Array.from(a.data), { shape: a.shape, dtype: 'int32' }) : tg.tensor(Float32Array.from(a.data), { shape: a.shape });

describe.each(['mlp', 'cnn', 'embbn'])('PyTorch %s', (name) => {
  const file = path.join(dir, `${name}.onnx`);
  const fx = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Fixture;

  test('loads and gives PyTorch outputs (and ONNX Runtime agrees)', async () => {
    const m = tg.onnx.load(file);
    const x = arr(fx.input);
    const y = tg.noGrad(() => m.forward(x)) as tg.Tensor;
    expect(y.shape).toEqual(fx.output.shape);
    expectClose(y.data(), arr(fx.output), 1e-5, 1e-6);
    const ort = await runOrt(fs.readFileSync(file), { input: x }, fx.input.dtype === 'int64' ? ['input'] : []);
    expectClose(ort.output.data as Float32Array, arr(fx.output), 1e-5, 1e-6);
  });

  test('one SGD step (lr 0.1, momentum 0.9) gives PyTorch parameters', () => {
    const m = tg.onnx.load(file);
    const names = [...m.namedParameters()].map(([n]) => n).sort();
    expect(names).toEqual(Object.keys(fx.after_step).sort());
    const opt = new tg.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
    opt.zeroGrad();
    const loss = tg.nn.functional.crossEntropy(m.forward(arr(fx.input)) as tg.Tensor, tg.tensor(fx.target, { dtype: 'int32' }));
    expect(loss.item()).toBeCloseTo(fx.loss, 5);
    loss.backward();
    opt.step();
    const sd = m.stateDict();
    for (const [k, want] of Object.entries(fx.after_step)) expectClose(sd[k].data(), arr(want), 1e-5, 1e-6);
  });
});
