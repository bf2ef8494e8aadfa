// Logistic regression: is an 8×8 handwritten digit (tg.datasets.digits()) a 5–9 rather than a 0–4?
// One Linear(64, 1) layer gives a logit, trained with binaryCrossEntropyWithLogits plus an L2 penalty
// λ·Σw² on the weights (nn.functional.l2Penalty; the bias is not penalized, which SGD's weightDecay
// could not express without parameter groups). Trained for each λ, it prints the train and test
// accuracy and the weight norm, which shrinks as λ grows. (A linear model underfits this task, so
// the penalty buys smaller weights rather than better test accuracy here.)
//
// Run: npx tsx examples/logistic-regression.ts
import { pathToFileURL } from 'node:url';
import * as tg from 'tapegrad';

const F = tg.nn.functional;

export interface LogisticRegressionOptions {
  epochs?: number;
  lambdas?: number[];
  lr?: number;
  batchSize?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface LogisticResult {
  lambda: number;
  trainAccuracy: number;
  testAccuracy: number;
  testLoss: number;
  weightNorm: number;
}

export async function run(opts: LogisticRegressionOptions = {}): Promise<LogisticResult[]> {
  const { epochs = 30, lambdas = [0, 1e-4, 1e-3, 1e-2], lr = 0.1, batchSize = 32, seed = 0, log = console.log } = opts;
  const { x, y } = tg.datasets.digits();
  const label = y.ge(5).float().reshape(-1, 1); // 1 for 5–9, 0 for 0–4, float targets [N, 1]
  const data = new tg.data.TensorDataset(x.div(16), label);
  const [trainSet, testSet] = tg.data.randomSplit(data, [0.8, 0.2], { generator: new tg.Generator(seed) });
  const evalTrain = new tg.data.DataLoader(trainSet, { batchSize: 512 });
  const evalTest = new tg.data.DataLoader(testSet, { batchSize: 512 });

  const results: LogisticResult[] = [];
  for (const lambda of lambdas) {
    tg.manualSeed(seed);
    const model = new tg.nn.Linear(64, 1);
    const loss = (logits: tg.Tensor, target: tg.Tensor) => {
      const bce = F.binaryCrossEntropyWithLogits(logits, target);
      return lambda === 0 ? bce : bce.add(F.l2Penalty([model.weight]).mul(lambda));
    };
    const optimizer = new tg.optim.SGD(model.parameters(), { lr, momentum: 0.9 });
    const train = new tg.data.DataLoader(trainSet, { batchSize, shuffle: true, generator: new tg.Generator(seed + 1) });
    await tg.train.fit(model, { optimizer, loss, train, epochs, progress: false });
    const tr = await tg.train.evaluate(model, evalTrain, { metrics: ['accuracy'] });
    const te = await tg.train.evaluate(model, evalTest, { loss: F.binaryCrossEntropyWithLogits, metrics: ['accuracy'] });
    results.push({ lambda, trainAccuracy: tr.accuracy, testAccuracy: te.accuracy, testLoss: te.loss, weightNorm: model.weight.norm().item() });
  }

  log(`digits 0–4 vs 5–9: ${trainSet.length} train / ${testSet.length} test images, ${epochs} epochs of SGD (lr ${lr}, momentum 0.9, batch ${batchSize})`);
  log(`${'L2 λ'.padEnd(8)} ${'train acc'.padStart(9)} ${'test acc'.padStart(9)} ${'test BCE'.padStart(9)} ${'‖w‖'.padStart(7)}`);
  for (const r of results) {
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`.padStart(9);
    log(`${String(r.lambda).padEnd(8)} ${pct(r.trainAccuracy)} ${pct(r.testAccuracy)} ${r.testLoss.toFixed(4).padStart(9)} ${r.weightNorm.toFixed(2).padStart(7)}`);
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
