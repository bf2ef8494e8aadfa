// tg.train.fit / evaluate: learning, per-sample averaging, validation mode, schedulers, callbacks, progress.
import { describe, expect, it, vi } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, jsRandom } from './helpers';
import { Scale, ScriptedOptimizer, TestSGD, batches, f64, mseLoss } from './train.helpers';

const { fit, evaluate, LambdaCallback } = tg.train;

describe('fit', () => {
  it('learns a linear regression with plain SGD and records one entry per epoch', async () => {
    const r = jsRandom(3);
    const x = Array.from({ length: 40 }, () => 2 * r() - 1);
    const y = x.map((v) => 2 * v + 1);
    const model = new tg.nn.Linear(1, 1, { dtype: 'float64' });
    const col = (b: tg.Tensor[]) => [b[0].reshape(-1, 1), b[1].reshape(-1, 1)];
    const train = batches(x.slice(0, 32), y.slice(0, 32), 8).map(col);
    const val = batches(x.slice(32), y.slice(32), 8).map(col);
    const h = await fit(model, { optimizer: new TestSGD(model.parameters(), 0.2), loss: mseLoss, train, val, epochs: 30, metrics: ['mae'], progress: false });
    expect(Object.keys(h)).toEqual(['epoch', 'loss', 'mae', 'valLoss', 'valMae', 'lr']);
    for (const k of Object.keys(h)) expect(h[k]!.length).toBe(30);
    expect(h.epoch).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(h.lr.every((v) => v === 0.2)).toBe(true);
    expect(h.loss[29]).toBeLessThan(h.loss[0] / 100);
    expect(h.valLoss![29]).toBeLessThan(1e-3);
    expectClose([model.weight.item(), model.bias!.item()], [2, 1], 0, 0.05, 'weights');
    expect(model.training).toBe(true);
  });

  it('averages the loss and metrics per sample with an uneven last batch', async () => {
    // lr = 0: the weights stay at w = 2, so the epoch loss is the mean over all 10 samples.
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const y = [1, 5, 5, 9, 9, 12, 15, 15, 19, 21];
    const model = new Scale(2);
    const train = batches(x, y, 4); // sizes 4, 4, 2
    const h = await fit(model, { optimizer: new TestSGD(model.parameters(), 0), loss: mseLoss, train, epochs: 2, metrics: ['mae'], progress: false });
    const sq = x.map((v, i) => (2 * v - y[i]) ** 2);
    const perSample = sq.reduce((a, b) => a + b) / 10; // (1+1+1+1+1+0+1+1+1+1)/10 = 0.9
    expect(perSample).toBeCloseTo(0.9, 15);
    const perBatch = (sq.slice(0, 4).reduce((a, b) => a + b) / 4 + sq.slice(4, 8).reduce((a, b) => a + b) / 4 + sq.slice(8).reduce((a, b) => a + b) / 2) / 3;
    expect(Math.abs(perBatch - perSample)).toBeGreaterThan(0.01); // the unweighted mean would be wrong
    expectClose(h.loss, [0.9, 0.9], 1e-14, 0, 'loss');
    expectClose(h.mae!, [0.9, 0.9], 1e-14, 0, 'mae'); // every |error| is 1 except one 0
    expect(h.valLoss).toBeUndefined();
    const ev = await evaluate(model, train, { loss: mseLoss, metrics: ['mae', 'mse'] });
    expectClose([ev.loss, ev.mae, ev.mse], [0.9, 0.9, 0.9], 1e-14, 0, 'evaluate');
  });

  it('validates under noGrad in eval mode and returns to train mode', async () => {
    const model = new Scale(1);
    const train = batches([1, 2], [2, 4], 2);
    const val = batches([1, 2, 3], [1, 2, 3], 2);
    model.eval();
    const h = await fit(model, { optimizer: new TestSGD(model.parameters(), 0), loss: mseLoss, train, val, epochs: 1, progress: false });
    expect(model.calls).toEqual([
      { training: true, grad: true },
      { training: false, grad: false },
      { training: false, grad: false },
    ]);
    expect(model.training).toBe(true);
    expectClose([h.loss[0], h.valLoss![0]], [2.5, 0], 1e-15, 0);
    model.eval();
    await evaluate(model, val, { loss: mseLoss });
    expect(model.training).toBe(false); // evaluate restores the mode it found
  });

  it('steps a scheduler once per epoch after the batches, and records the lr used in each epoch', async () => {
    const model = new Scale(0);
    const opt = new TestSGD(model.parameters(), 1);
    const log: string[] = [];
    const scheduler = { step: (...args: unknown[]) => { log.push(`sched(${args.length})`); opt.paramGroups[0].lr /= 2; } };
    const cb = new LambdaCallback({ onBatchEnd: (b: number) => { log.push(`batch${b}`); }, onEpochEnd: (e: number) => { log.push(`end${e}`); } });
    const h = await fit(model, { optimizer: opt, loss: mseLoss, train: batches([1, 2, 3], [0, 0, 0], 2), epochs: 3, scheduler, callbacks: [cb], progress: false });
    expect(h.lr).toEqual([1, 0.5, 0.25]);
    expect(log.slice(0, 8)).toEqual(['batch0', 'batch1', 'sched(0)', 'end1', 'batch0', 'batch1', 'sched(0)', 'end2']);
  });

  it('gives a ReduceLROnPlateau-like scheduler the monitored value: valLoss, else loss', async () => {
    class ReduceLROnPlateau { seen: number[] = []; step(metric: number) { this.seen.push(metric); } }
    class MyPlateau extends ReduceLROnPlateau {}
    const flagged = { requiresMetric: true, seen: [] as number[], step(m: number) { this.seen.push(m); } };
    const run = async (scheduler: { seen: number[]; step(m: number): void }, withVal: boolean) => {
      const model = new Scale(1);
      const train = batches([1, 2], [0, 1], 2);
      const val = batches([1], [3], 1);
      const h = await fit(model, { optimizer: new TestSGD(model.parameters(), 0.1), loss: mseLoss, train, val: withVal ? val : undefined, epochs: 3, scheduler, progress: false });
      expect(scheduler.seen).toEqual(withVal ? h.valLoss : h.loss);
      expect(new Set(scheduler.seen).size).toBe(3); // values change, so the order is checked too
    };
    await run(new MyPlateau(), true);
    await run(new ReduceLROnPlateau(), false);
    await run(flagged, true);
    expect(tg.train.isMetricScheduler({ step() {} })).toBe(false);
  });

  it('stops when a callback sets stopTraining, and calls the hooks in order', async () => {
    const model = new Scale(1);
    const log: string[] = [];
    const cb = new LambdaCallback({
      onTrainBegin: () => { log.push('begin'); },
      onEpochBegin: (e: number) => { log.push(`e${e}`); },
      onEpochEnd: async (e: number, logs: tg.train.Logs, state: tg.train.TrainState) => {
        await new Promise((r) => setTimeout(r, 1));
        log.push(`end${e}:${Object.keys(logs).join(',')}`);
        if (e === 2) state.stopTraining = true;
      },
      onTrainEnd: () => { log.push('done'); },
    });
    const h = await fit(model, { optimizer: new TestSGD(model.parameters(), 0.1), loss: mseLoss, train: batches([1], [0], 1), epochs: 10, callbacks: [cb], metrics: ['mse'], progress: false });
    expect(h.epoch).toEqual([1, 2]);
    expect(log).toEqual(['begin', 'e1', 'end1:loss,mse,lr', 'e2', 'end2:loss,mse,lr', 'done']);
  });

  it('rejects bad options with clear errors', async () => {
    const model = new Scale(1);
    const optimizer = new TestSGD(model.parameters(), 0.1);
    const train = batches([1, 2], [0, 1], 2);
    const base = { optimizer, loss: mseLoss, train, epochs: 1, progress: false as const };
    await expect(fit(model, { ...base, epochs: 0 })).rejects.toThrow(/epochs must be a positive integer/);
    await expect(fit(model, { ...base, train: [[f64([1])]] })).rejects.toThrow(/each batch must be an array \[\.\.\.inputs, target\]/);
    await expect(fit(model, { ...base, metrics: ['f1'] })).rejects.toThrow(/unknown metric 'f1'/);
    await expect(fit(model, { ...base, loss: (o: tg.Tensor, t: tg.Tensor) => o.sub(t) })).rejects.toThrow(/scalar tensor/);
    await expect(fit(model, { ...base, train: [] })).rejects.toThrow(/no samples/);
    await expect(fit({} as tg.nn.Module, base)).rejects.toThrow(TypeError);
    await expect(evaluate(model, train)).rejects.toThrow(/loss, metrics or both/);
  });

  it('accepts a loss module', async () => {
    const model = new Scale(2);
    const h = await fit(model, { optimizer: new TestSGD(model.parameters(), 0), loss: new tg.nn.L1Loss(), train: batches([1, 2], [1, 1], 2), epochs: 1, progress: false });
    expectClose(h.loss, [2], 1e-15, 0); // |2 - 1| and |4 - 1|, mean 2
  });
});

describe('progress output', () => {
  const run = async (stream: tg.train.ProgressStream) => {
    const model = new Scale(1);
    const train = batches([1, 2, 3, 4], [0, 1, 2, 3], 2);
    await fit(model, { optimizer: new TestSGD(model.parameters(), 0.01), loss: mseLoss, train, val: train, epochs: 2, metrics: ['mae'], progress: { stream } });
  };

  it('draws a bar with epoch, batches, loss, rate and ETA on a terminal, then a summary per epoch', async () => {
    let out = '';
    await run({ isTTY: true, columns: 200, write: (s: string) => { out += s; return true; } });
    expect(out).toMatch(/Epoch 1\/2 \[.*\] \d\/2 \| loss \d\.\d{4} \| [\d.-]+ batch\/s \| ETA /);
    expect(out).toMatch(/Epoch 2\/2 - [\d.]+s - loss \d\.\d{4} - mae \d\.\d{4} - valLoss \d\.\d{4} - valMae \d\.\d{4} - lr 0\.01000\n/);
  });

  it('writes only the epoch summaries on a non-terminal stream', async () => {
    const lines: string[] = [];
    await run({ write: (s: string) => { lines.push(s); return true; } });
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/^Epoch 1\/2 - .* - valMae \d\.\d{4} - lr 0\.01000\n$/);
  });

  it.skipIf(process.stderr.isTTY === true)('is silent by default when stderr is not a terminal', async () => {
    const spy = vi.spyOn(process.stderr, 'write');
    try {
      const model = new Scale(1);
      await fit(model, { optimizer: new TestSGD(model.parameters(), 0.01), loss: mseLoss, train: batches([1, 2], [0, 1], 2), epochs: 2 });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});
