// Softmax regression vs a small MLP on the 8×8 handwritten digits (tg.datasets.digits(), 10 classes),
// trained with tg.train.fit: a 70/15/15 train/validation/test split, SGD with momentum, a StepLR
// schedule (the learning rate halves every 25 epochs), and EarlyStopping on the validation loss that
// restores the weights of the best validation epoch. Prints each model's best epoch and test
// accuracy, and writes its loss curves (train and validation) as an SVG with tg.train.plotHistory.
//
// Run: npx tsx examples/digits-softmax-mlp.ts
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tg from 'tapegrad';

const nn = tg.nn;

export interface DigitsOptions {
  maxEpochs?: number;
  patience?: number;
  hidden?: number;
  lr?: number;
  batchSize?: number;
  seed?: number;
  /** Where the SVG loss curves go. */
  outDir?: string;
  log?: (line: string) => void;
}

export interface DigitsResult {
  model: string;
  parameters: number;
  epochsRun: number;
  bestEpoch: number;
  testAccuracy: number;
  testLoss: number;
  history: tg.train.History;
  plot: string;
}

export async function run(opts: DigitsOptions = {}): Promise<DigitsResult[]> {
  const {
    maxEpochs = 100, patience = 10, hidden = 64, lr = 0.02, batchSize = 32, seed = 0,
    outDir = join(tmpdir(), 'tapegrad-examples'), log = console.log,
  } = opts;
  const { x, y } = tg.datasets.digits();
  const data = new tg.data.TensorDataset(x.div(16), y);
  const [trainSet, valSet, testSet] = tg.data.randomSplit(data, [0.7, 0.15, 0.15], { generator: new tg.Generator(seed) });
  const val = new tg.data.DataLoader(valSet, { batchSize: 256 });
  const test = new tg.data.DataLoader(testSet, { batchSize: 256 });
  mkdirSync(outDir, { recursive: true });

  const models: [string, () => tg.nn.Module][] = [
    ['softmax regression', () => new nn.Linear(64, 10)],
    [`MLP 64-${hidden}-10`, () => new nn.Sequential(new nn.Linear(64, hidden), new nn.ReLU(), new nn.Linear(hidden, 10))],
  ];
  log(`digits: ${trainSet.length} train / ${valSet.length} validation / ${testSet.length} test; SGD lr ${lr} momentum 0.9, batch ${batchSize}`);
  const results: DigitsResult[] = [];
  for (const [name, make] of models) {
    tg.manualSeed(seed);
    const model = make();
    const optimizer = new tg.optim.SGD(model.parameters(), { lr, momentum: 0.9 });
    const scheduler = new tg.optim.lrScheduler.StepLR(optimizer, { stepSize: 25, gamma: 0.5 });
    const stop = new tg.train.EarlyStopping({ monitor: 'valLoss', patience, restoreBestWeights: true });
    const train = new tg.data.DataLoader(trainSet, { batchSize, shuffle: true, generator: new tg.Generator(seed + 1) });
    const history = await tg.train.fit(model, {
      optimizer, loss: nn.functional.crossEntropy, train, val, epochs: maxEpochs,
      metrics: ['accuracy'], scheduler, callbacks: [stop], progress: false,
    });
    const t = await tg.train.evaluate(model, test, { loss: nn.functional.crossEntropy, metrics: ['accuracy'] });
    const plot = join(outDir, `digits-${name.split(' ')[0].toLowerCase()}.svg`);
    tg.train.plotHistory(history, plot, { title: `${name} on digits` });
    const r: DigitsResult = {
      model: name, parameters: model.numParameters(), epochsRun: history.epoch.length, bestEpoch: stop.bestEpoch,
      testAccuracy: t.accuracy, testLoss: t.loss, history, plot,
    };
    results.push(r);
    const lastLr = history.lr[history.lr.length - 1];
    log(
      `${name.padEnd(20)} ${String(r.parameters).padStart(5)} params: ${stop.stoppedEpoch ? `stopped early after ${r.epochsRun}` : `ran all ${r.epochsRun}`} epochs (best ${r.bestEpoch}, ` +
        `val loss ${stop.best.toFixed(4)}, final lr ${lastLr.toPrecision(3)}), test accuracy ${(100 * r.testAccuracy).toFixed(2)}%`,
    );
    log(`${''.padEnd(20)} loss curves: ${plot}`);
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
