// Checkpoints: training stopped after epoch 3 and resumed from the file equals an uninterrupted run bitwise.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tg from 'tapegrad';
import { jsRandom } from './helpers';

const { nn } = tg;

function dataset(): tg.data.TensorDataset {
  const r = jsRandom(7);
  const x = tg.tensor(Array.from({ length: 60 * 4 }, () => r() * 4 - 2), { shape: [60, 4] });
  const y = tg.tensor(Array.from({ length: 60 }, () => Math.floor(r() * 3)), { dtype: 'int32' });
  return new tg.data.TensorDataset(x, y);
}

function setup(seed: number) {
  tg.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(8, 3));
  const optimizer = new tg.optim.Adam(model.parameters(), { lr: 0.05 });
  const scheduler = new tg.optim.lrScheduler.ReduceLROnPlateau(optimizer, { patience: 0, factor: 0.5 });
  const gen = new tg.Generator(seed + 1);
  const ds = dataset();
  const train = new tg.data.DataLoader(ds, { batchSize: 8, shuffle: true, generator: gen });
  const val = new tg.data.DataLoader(ds, { batchSize: 32 });
  return { model, optimizer, scheduler, gen, train, val };
}

const fitOpts = (s: ReturnType<typeof setup>, epochs: number, initialEpoch = 0) => ({
  optimizer: s.optimizer, scheduler: s.scheduler, loss: nn.functional.crossEntropy, train: s.train, val: s.val,
  epochs, initialEpoch, progress: false as const,
});

const weights = (m: tg.nn.Module) => [...m.parameters()].map((p) => Array.from(p.data()));

describe('saveCheckpoint / loadCheckpoint', () => {
  it('resuming after epoch 3 of 6 gives bitwise the weights and losses of an uninterrupted run', async () => {
    const full = setup(0);
    const h = await tg.train.fit(full.model, fitOpts(full, 6));

    const first = setup(0);
    await tg.train.fit(first.model, fitOpts(first, 3));
    const path = join(mkdtempSync(join(tmpdir(), 'tg-ckpt-')), 'ckpt.safetensors');
    tg.io.saveCheckpoint(path, { ...first, epoch: 3, generators: [first.gen], extra: { note: 'after 3', best: Infinity } });

    const resumed = setup(99); // different weights, generators and optimizer state until loaded
    expect(weights(resumed.model)).not.toEqual(weights(first.model));
    const { epoch, extra } = tg.io.loadCheckpoint(path, { ...resumed, generators: [resumed.gen] });
    expect(epoch).toBe(3);
    expect(extra).toEqual({ note: 'after 3', best: Infinity });
    const h2 = await tg.train.fit(resumed.model, fitOpts(resumed, 6, epoch));

    expect(h2.epoch).toEqual([4, 5, 6]);
    expect(h2.loss).toEqual(h.loss.slice(3));
    expect(h2.lr).toEqual(h.lr.slice(3));
    expect(weights(resumed.model)).toEqual(weights(full.model));
    expect(resumed.scheduler.stateDict()).toEqual(full.scheduler.stateDict());
  });

  it('refuses files that are not checkpoints and mismatched targets', () => {
    const s = setup(0);
    const dir = mkdtempSync(join(tmpdir(), 'tg-ckpt-'));
    const plain = join(dir, 'plain.safetensors');
    tg.io.save(s.model.stateDict(), plain);
    expect(() => tg.io.loadCheckpoint(plain, { model: s.model })).toThrow(/is not a tapegrad checkpoint/);
    const path = join(dir, 'c.safetensors');
    tg.io.saveCheckpoint(path, { model: s.model, epoch: 1 });
    expect(() => tg.io.loadCheckpoint(path, { model: s.model, optimizer: s.optimizer })).toThrow(/has no optimizer state/);
    expect(() => tg.io.loadCheckpoint(path, { model: s.model, generators: [s.gen] })).toThrow(/holds 0 generator states, 1 generators were given/);
    const other = new nn.Sequential(new nn.Linear(4, 5));
    expect(() => tg.io.loadCheckpoint(path, { model: other })).toThrow();
    expect(() => tg.io.saveCheckpoint(path, { model: s.model, epoch: -1 })).toThrow(/epoch must be a non-negative integer/);
  });
});
