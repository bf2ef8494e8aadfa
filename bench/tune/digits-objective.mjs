// Objective module for bench/tune/workers.mjs: a small MLP on the digits, 10 epochs (EPOCHS), validation accuracy.
import { createRequire } from 'node:module';

const tg = createRequire(import.meta.url)('../../dist/index.js');
const { x, y } = tg.datasets.digits();
const data = new tg.data.TensorDataset(x.div(16), y);
const [train, val] = tg.data.randomSplit(data, [0.8, 0.2], { generator: new tg.Generator(0) });

export async function objective(trial) {
  const lr = trial.suggestFloat('lr', 1e-4, 1e-1, { log: true });
  const width = trial.suggestInt('width', 16, 128, { log: true });
  tg.manualSeed(trial.number);
  const model = new tg.nn.Sequential(new tg.nn.Linear(64, width), new tg.nn.ReLU(), new tg.nn.Linear(width, 10));
  const optimizer = new tg.optim.Adam(model.parameters(), { lr });
  await tg.train.fit(model, { optimizer, loss: tg.nn.functional.crossEntropy, train: new tg.data.DataLoader(train, { batchSize: 32, shuffle: true }), epochs: Number(process.env.EPOCHS ?? 10), progress: false });
  return (await tg.train.evaluate(model, new tg.data.DataLoader(val, { batchSize: 512 }), { metrics: ['accuracy'] })).accuracy;
}
