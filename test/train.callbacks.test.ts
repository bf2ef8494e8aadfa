// tg.train callbacks: EarlyStopping (patience, minDelta, mode, exact best-weight restore), ModelCheckpoint, LambdaCallback.
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { formatPath } from '../src/train/format-path';
import { Scale, ScriptedOptimizer, TestSGD, batches, mseLoss } from './train.helpers';

const { fit, EarlyStopping, ModelCheckpoint, LambdaCallback } = tg.train;

/** valLoss of epoch e is w_e^2, where the scripted optimizer sets w_e during epoch e. */
async function scripted(ws: number[], epochs: number, es: InstanceType<typeof EarlyStopping>) {
  const model = new Scale(10);
  const train = batches([1, 1], [0, 0], 2);
  const val = batches([1], [0], 1);
  const h = await fit(model, { optimizer: new ScriptedOptimizer(model.w, ws), loss: mseLoss, train, val, epochs, callbacks: [es], progress: false });
  return { model, h };
}

/** Feeds one monitored value per epoch straight into the callback; returns the epoch it stopped at (0 if never). */
function feed(es: InstanceType<typeof EarlyStopping>, key: string, values: number[]): number {
  const state = { stopTraining: false } as tg.train.TrainState;
  es.onTrainBegin(state);
  for (const [i, v] of values.entries()) {
    es.onEpochEnd(i + 1, { [key]: v }, state);
    if (state.stopTraining) return i + 1;
  }
  return 0;
}

describe('EarlyStopping', () => {
  const ws = [3, 1, 2, 2.5, 4, 5, 6, 7]; // valLoss 9, 1, 4, 6.25, 16, ...: best epoch 2

  it('stops after `patience` epochs without improvement and restores exactly the best epoch weights', async () => {
    const es = new EarlyStopping({ patience: 2, restoreBestWeights: true });
    const { model, h } = await scripted(ws, 8, es);
    expect(h.valLoss).toEqual([9, 1, 4, 6.25]);
    expect([es.bestEpoch, es.stoppedEpoch, es.best]).toEqual([2, 4, 1]);
    expect(model.w.item()).toBe(1); // the optimizer changed w in place after the snapshot: it was a deep copy
  });

  it('keeps the last weights without restoreBestWeights', async () => {
    const { model } = await scripted(ws, 8, new EarlyStopping({ patience: 2 }));
    expect(model.w.item()).toBe(2.5);
  });

  it('restores the best weights also when the epochs run out first', async () => {
    const es = new EarlyStopping({ patience: 5, restoreBestWeights: true });
    const { model, h } = await scripted(ws, 3, es);
    expect(h.epoch).toEqual([1, 2, 3]);
    expect([es.bestEpoch, es.stoppedEpoch]).toEqual([2, 0]);
    expect(model.w.item()).toBe(1);
  });

  it('counts patience as Keras does (0 and 1 both stop at the first epoch without improvement)', () => {
    const seq = [5, 4, 4.5, 4.2, 3, 3.5, 3.6, 3.7];
    expect(feed(new EarlyStopping({ monitor: 'loss', patience: 0 }), 'loss', seq)).toBe(3);
    expect(feed(new EarlyStopping({ monitor: 'loss', patience: 1 }), 'loss', seq)).toBe(3);
    expect(feed(new EarlyStopping({ monitor: 'loss', patience: 2 }), 'loss', seq)).toBe(4);
    expect(feed(new EarlyStopping({ monitor: 'loss', patience: 3 }), 'loss', seq)).toBe(8);
    expect(feed(new EarlyStopping({ monitor: 'loss', patience: 9 }), 'loss', seq)).toBe(0);
  });

  it('requires an improvement larger than minDelta', () => {
    const seq = [1.0, 0.95, 0.85, 0.8, 0.79, 0.5];
    const es = new EarlyStopping({ monitor: 'loss', patience: 2, minDelta: 0.1 });
    expect(feed(es, 'loss', seq)).toBe(5);
    expect([es.bestEpoch, es.best]).toEqual([3, 0.85]);
    expect(feed(new EarlyStopping({ monitor: 'loss', patience: 2 }), 'loss', seq)).toBe(0);
  });

  it("maximises accuracies in 'auto' mode, and follows an explicit mode", () => {
    const acc = [0.5, 0.6, 0.55, 0.58, 0.7];
    const auto = new EarlyStopping({ monitor: 'valAccuracy', patience: 2 });
    expect(feed(auto, 'valAccuracy', acc)).toBe(4);
    expect(auto.bestEpoch).toBe(2);
    expect(feed(new EarlyStopping({ monitor: 'valAccuracy', patience: 2, mode: 'min' }), 'valAccuracy', acc)).toBe(3);
    expect(feed(new EarlyStopping({ monitor: 'score', patience: 1, mode: 'max' }), 'score', [1, 2, 1])).toBe(3);
    expect(feed(new EarlyStopping({ monitor: 'score', patience: 1 }), 'score', [1, 2, 1])).toBe(2); // 'auto' is 'min' here
  });

  it('treats NaN as no improvement', () => {
    expect(feed(new EarlyStopping({ monitor: 'loss', patience: 1 }), 'loss', [NaN, 1, NaN])).toBe(1);
    const es = new EarlyStopping({ monitor: 'loss', patience: 2 });
    expect(feed(es, 'loss', [2, NaN, 1, NaN, NaN])).toBe(5);
    expect(es.bestEpoch).toBe(3);
  });

  it('names the available values when the monitor is never produced', async () => {
    const model = new Scale(1);
    const run = fit(model, { optimizer: new TestSGD(model.parameters(), 0.1), loss: mseLoss, train: batches([1, 2], [1, 2], 2), epochs: 3, metrics: ['mae'], callbacks: [new EarlyStopping()], progress: false });
    await expect(run).rejects.toThrow("EarlyStopping: monitor 'valLoss' is not among the values fit produces: loss, mae, lr");
  });

  it('rejects bad options', () => {
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(RangeError);
    expect(() => new EarlyStopping({ patience: 1.5 })).toThrow(/patience must be an integer/);
    expect(() => new EarlyStopping({ minDelta: -0.1 })).toThrow(/minDelta/);
    expect(() => new EarlyStopping({ mode: 'up' as 'min' })).toThrow(/mode must be/);
    expect(() => new EarlyStopping({ monitor: '' })).toThrow(TypeError);
  });
});

describe('ModelCheckpoint', () => {
  it('formats {name} and {name:spec} placeholders from the epoch logs', () => {
    const v = { epoch: 7, valLoss: 0.123456, lr: 0.00015 };
    expect(formatPath('t', 'ck-{epoch}.st', v)).toBe('ck-7.st');
    expect(formatPath('t', 'ck-{epoch:03d}-{valLoss:.4f}.st', v)).toBe('ck-007-0.1235.st');
    expect(formatPath('t', '{lr:.2e}', v)).toBe('1.50e-4');
    expect(() => formatPath('t', '{acc:.2f}', v)).toThrow('t: placeholder {acc} in \'{acc:.2f}\' is not one of: epoch, valLoss, lr');
    expect(() => formatPath('t', '{epoch:x}', v)).toThrow(/unsupported format 'x'/);
  });

  it('rejects a missing path', () => {
    expect(() => new ModelCheckpoint({} as { path: string })).toThrow(/path must be a non-empty string/);
  });

  const io = tg.io;

  it('writes the state dict with tg.io.save every epoch, or only on improvement', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-ckpt-'));
    const ws = [3, 1, 2, 0.5];
    const model = new Scale(10);
    const all = new ModelCheckpoint({ path: join(dir, 'all-{epoch:02d}.safetensors') });
    const best = new ModelCheckpoint({ path: join(dir, 'best-{epoch}-{valLoss:.2f}.safetensors'), saveBestOnly: true });
    await fit(model, { optimizer: new ScriptedOptimizer(model.w, ws), loss: mseLoss, train: batches([1, 1], [0, 0], 2), val: batches([1], [0], 1), epochs: 4, callbacks: [all, best], progress: false });
    expect(all.saved.map((p) => p.slice(dir.length + 1))).toEqual(['all-01.safetensors', 'all-02.safetensors', 'all-03.safetensors', 'all-04.safetensors']);
    expect(best.saved.map((p) => p.slice(dir.length + 1))).toEqual(['best-1-9.00.safetensors', 'best-2-1.00.safetensors', 'best-4-0.25.safetensors']);
    for (const [i, p] of all.saved.entries()) {
      expect(existsSync(p)).toBe(true);
      const sd = (await io!.load(p)) as Record<string, tg.Tensor> | Map<string, tg.Tensor>;
      const w = sd instanceof Map ? sd.get('w')! : sd.w;
      expect(w.item()).toBe(ws[i]);
    }
  });
});

describe('LambdaCallback', () => {
  it('rejects unknown hooks and non-functions', () => {
    expect(() => new LambdaCallback({ onEpochEnd: 3 } as unknown as object)).toThrow(/onEpochEnd must be a function/);
    expect(() => new LambdaCallback({ onEpoch: () => {} } as unknown as object)).toThrow(/unknown hook 'onEpoch'/);
  });

  it('receives batch losses and sizes', async () => {
    const model = new Scale(2);
    const seen: [number, number, number][] = [];
    const cb = new LambdaCallback({ onBatchEnd: (b: number, logs: tg.train.BatchLogs) => { seen.push([b, logs.loss, logs.size]); } });
    await fit(model, { optimizer: new TestSGD(model.parameters(), 0), loss: mseLoss, train: batches([1, 2, 3], [1, 1, 1], 2), epochs: 1, callbacks: [cb], progress: false });
    expect(seen).toEqual([[0, 5, 2], [1, 25, 1]]); // ((2-1)^2 + (4-1)^2) / 2 and (6-1)^2
  });
});
