// tg.train.metrics: accuracy (class indices, one-hot, binary logits), mse, mae against hand values.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { Scale, TestSGD, batches, mseLoss } from './train.helpers';

const { accuracy, mse, mae } = tg.train.metrics;
const i32 = (d: number[], shape = [d.length]) => tg.tensor(Int32Array.from(d), { dtype: 'int32', shape });

describe('metrics', () => {
  it('accuracy: argmax of class scores against int32 labels', () => {
    const logits = tg.tensor([[2, 1, 0], [0, 3, 1], [1, 0, 5], [4, 4.5, 0]]); // argmax 0, 1, 2, 1
    expect(accuracy(logits, i32([0, 1, 0, 0]))).toBe(0.5);
    expect(accuracy(logits, i32([0, 1, 2, 1]))).toBe(1);
    // [N, C, L] scores against [N, L] labels: argmax over dim 1
    const seq = tg.tensor([[[1, 0], [0, 1]]]); // N=1, C=2, L=2: argmax 0, 1
    expect(accuracy(seq, i32([0, 0], [1, 2]))).toBe(0.5);
  });

  it('accuracy: one-hot or probability targets of the output shape', () => {
    const out = tg.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]);
    expect(accuracy(out, tg.tensor([[0, 1], [0, 1], [0.4, 0.6]]))).toBeCloseTo(2 / 3, 15);
  });

  it('accuracy: one output per sample is a logit, predicted positive above 0', () => {
    const logits = tg.tensor([[2], [-1], [0.5], [-3], [0]]); // predicted 1, 0, 1, 0, 0 (0 is not > 0)
    expect(accuracy(logits, tg.tensor([[1], [0], [0], [0], [1]]))).toBe(0.6);
    expect(accuracy(logits.reshape(-1), i32([1, 0, 1, 0, 0]))).toBe(1);
    expect(accuracy(logits, tg.tensor([1, 0, 1, 1, 0]))).toBe(0.8); // [N, 1] against [N]
  });

  it('accuracy: errors name the shapes', () => {
    expect(() => accuracy(tg.tensor([[1, 2]]), tg.tensor([0]))).toThrow(/class-index targets must be int32/);
    expect(() => accuracy(tg.tensor([[1, 2, 3]]), i32([0, 1]))).toThrow(/cannot match output \[1, 3\] with target \[2\]/);
    expect(() => accuracy(tg.tensor([1, 2]), tg.tensor([1]))).toThrow(/binary output \[2\] and target \[1\] differ/);
  });

  it('mse and mae over all elements', () => {
    const o = tg.tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    const t = tg.tensor([[1, 0], [4, 1]], { dtype: 'float64' });
    expect(mse(o, t)).toBe((0 + 4 + 1 + 9) / 4);
    expect(mae(o, t)).toBe((0 + 2 + 1 + 3) / 4);
    expect(mae(o, t.reshape(4))).toBe(1.5);
    expect(() => mse(o, tg.tensor([1, 2]))).toThrow(/mse: output \[2, 2\] and target \[2\] differ in size/);
  });

  it('fit takes metric functions (named by the function) and weights them per sample', async () => {
    const model = new Scale(1);
    // per-batch maximum absolute error: 2 (batch of 2) and 1 (batch of 1) -> (2*2 + 1*1) / 3
    function maxErr(o: tg.Tensor, t: tg.Tensor) { return o.sub(t).abs().max(); }
    const h = await tg.train.fit(model, { optimizer: new TestSGD(model.parameters(), 0), loss: mseLoss, train: batches([1, 2, 3], [1, 4, 4], 2), epochs: 1, metrics: [maxErr], progress: false });
    expect(h.maxErr).toEqual([5 / 3]);
    await expect(tg.train.fit(model, { optimizer: new TestSGD(model.parameters(), 0), loss: mseLoss, train: batches([1], [1], 1), epochs: 1, metrics: [(o: tg.Tensor) => o.sum()], progress: false }))
      .rejects.toThrow(/anonymous function/);
    await expect(tg.train.fit(model, { optimizer: new TestSGD(model.parameters(), 0), loss: mseLoss, train: batches([1], [1], 1), epochs: 1, metrics: ['mse', 'mse'], progress: false }))
      .rejects.toThrow(/'mse' is repeated or reserved/);
  });
});
