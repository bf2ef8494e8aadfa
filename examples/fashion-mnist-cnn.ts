// A small CNN and an MLP on Fashion-MNIST (tg.datasets.fashionMnist(): 60000 training and 10000 test
// 28×28 grey images of clothing in 10 classes; Debian's dataset-fashion-mnist package, or pass `root`).
//   CNN: Conv2d(1, 16, 3, pad 1), ReLU, MaxPool2d(2), Conv2d(16, 32, 3, pad 1), ReLU, MaxPool2d(2),
//        Flatten, Linear(32·7·7, 10)
//   MLP: Flatten, Linear(784, 256), ReLU, Linear(256, 128), ReLU, Linear(128, 10)
// Both are trained with Adam (lr 1e-3), batch 64, for 10 epochs, then evaluated on the test set; it
// prints the test accuracy and the wall time of each. examples/fashion_mnist_cnn_torch.py is the same
// run in PyTorch, for comparison.
//
// Run: npx tsx examples/fashion-mnist-cnn.ts          (TAPEGRAD_NUM_THREADS=2 to pin the thread count)
import { pathToFileURL } from 'node:url';
import * as tg from 'tapegrad';

const nn = tg.nn;

export interface FashionOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  /** Use only the first `trainSize` training and `testSize` test images (all by default). */
  trainSize?: number;
  testSize?: number;
  models?: ('cnn' | 'mlp')[];
  root?: string;
  seed?: number;
  log?: (line: string) => void;
}

export interface FashionResult {
  model: 'cnn' | 'mlp';
  parameters: number;
  trainLoss: number[];
  testAccuracy: number;
  testLoss: number;
  trainSeconds: number;
  totalSeconds: number;
}

export function makeCnn(): tg.nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(32 * 7 * 7, 10),
  );
}

export function makeMlp(): tg.nn.Module {
  return new nn.Sequential(
    new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10),
  );
}

const head = (d: { x: tg.Tensor; y: tg.Tensor }, n: number | undefined) =>
  n === undefined ? d : { x: d.x.narrow(0, 0, Math.min(n, d.x.shape[0])), y: d.y.narrow(0, 0, Math.min(n, d.y.shape[0])) };

export async function run(opts: FashionOptions = {}): Promise<FashionResult[]> {
  const { epochs = 10, batchSize = 64, lr = 1e-3, models = ['cnn', 'mlp'], root, seed = 0, log = console.log } = opts;
  const trainData = head(tg.datasets.fashionMnist({ root, train: true }), opts.trainSize);
  const testData = head(tg.datasets.fashionMnist({ root, train: false }), opts.testSize);
  const trainSet = new tg.data.TensorDataset(trainData.x, trainData.y);
  const test = new tg.data.DataLoader(new tg.data.TensorDataset(testData.x, testData.y), { batchSize: 500 });
  const info = tg.backendInfo();
  log(
    `Fashion-MNIST: ${trainSet.length} train / ${testData.x.shape[0]} test images; Adam lr ${lr}, batch ${batchSize}, ${epochs} epochs; ` +
      `${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`,
  );

  const results: FashionResult[] = [];
  for (const name of models) {
    tg.manualSeed(seed);
    const model = name === 'cnn' ? makeCnn() : makeMlp();
    const optimizer = new tg.optim.Adam(model.parameters(), { lr });
    const train = new tg.data.DataLoader(trainSet, { batchSize, shuffle: true, generator: new tg.Generator(seed + 1) });
    const t0 = performance.now();
    const history = await tg.train.fit(model, { optimizer, loss: nn.functional.crossEntropy, train, epochs });
    const t1 = performance.now();
    const t = await tg.train.evaluate(model, test, { loss: nn.functional.crossEntropy, metrics: ['accuracy'] });
    const t2 = performance.now();
    const r: FashionResult = {
      model: name, parameters: model.numParameters(), trainLoss: history.loss, testAccuracy: t.accuracy, testLoss: t.loss,
      trainSeconds: (t1 - t0) / 1000, totalSeconds: (t2 - t0) / 1000,
    };
    results.push(r);
    log(
      `${name.toUpperCase()} (${r.parameters} params): train loss ${history.loss.map((v) => v.toFixed(3)).join(' → ')}; ` +
        `test accuracy ${(100 * r.testAccuracy).toFixed(2)}%, test loss ${r.testLoss.toFixed(4)}; ` +
        `${r.trainSeconds.toFixed(1)} s training + ${(r.totalSeconds - r.trainSeconds).toFixed(1)} s test`,
    );
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
