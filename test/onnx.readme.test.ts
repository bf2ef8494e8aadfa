// The README's ONNX serving example runs as written against a model exported by tapegrad.
import { expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from 'tapegrad';

test('the serving example prints the predicted digit', async () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((c) => c.includes('InferenceSession'))!;
  expect(block.split('\n').filter((l) => l.trim() && !l.startsWith('//')).length).toBeLessThanOrEqual(10);
  tg.manualSeed(3);
  const model = new tg.nn.Sequential(new tg.nn.Linear(64, 32), new tg.nn.ReLU(), new tg.nn.Linear(32, 10));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-onnx-readme-'));
  const file = path.join(dir, 'tapegrad-digits.onnx');
  tg.onnx.exportModel(model, tg.rand([4, 64]), file, { inputNames: ['pixels'], outputNames: ['logits'] });
  const want = (model.forward(tg.full([1, 64], 0.5)) as tg.Tensor).argmax(1).item();
  const ort = await import('onnxruntime-node');
  const code = block.replace(/^import .*$/m, '').replace("'tapegrad-digits.onnx'", JSON.stringify(file));
  const printed: unknown[][] = [];
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  await new AsyncFunction('ort', 'console', code)(ort, { log: (...a: unknown[]) => printed.push(a) });
  expect(printed).toEqual([['digit', want]]);
});
