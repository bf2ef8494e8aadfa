// Linear regression of used-car prices on mileage and age, trained by gradient descent.
// The data set is synthetic, generated here with a seeded tg.Generator from the stated formula
//   price [k$] = 32 - 0.06 * mileage [1000 km] - 1.1 * age [years] + noise,  noise ~ N(0, 1.5²)
// with mileage uniform in [0, 200] and age uniform in [0, 15]. The features are standardized with
// the training split's mean and std. It compares, for the same number of epochs and learning rate:
// batch GD (one step per epoch), stochastic GD (batch size 1) and mini-batch GD (32), each with plain
// SGD and with momentum 0.9, and prints the final train/validation MSE and the fitted coefficients
// turned back into the original units, next to the true ones.
//
// Run: npx tsx examples/linear-regression.ts
import { pathToFileURL } from 'node:url';
import * as tg from 'tapegrad';

export const TRUE_COEFFICIENTS = { intercept: 32, mileage: -0.06, age: -1.1 };
export const NOISE_STD = 1.5;

export interface LinearRegressionOptions {
  samples?: number;
  epochs?: number;
  lr?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface VariantResult {
  name: string;
  batchSize: number;
  momentum: number;
  steps: number;
  trainMse: number;
  valMse: number;
  intercept: number;
  mileage: number;
  age: number;
}

/** n cars: features [mileage (1000 km), age (years)] and price (k$) from the formula above. */
export function makeCars(n: number, generator: tg.Generator): { x: tg.Tensor; y: tg.Tensor } {
  const mileage = tg.rand([n, 1], { generator }).mul(200);
  const age = tg.rand([n, 1], { generator }).mul(15);
  const noise = tg.randn([n, 1], { generator }).mul(NOISE_STD);
  const { intercept, mileage: bm, age: ba } = TRUE_COEFFICIENTS;
  const y = mileage.mul(bm).add(age.mul(ba)).add(intercept).add(noise);
  return { x: tg.cat([mileage, age], 1), y };
}

export async function run(opts: LinearRegressionOptions = {}): Promise<VariantResult[]> {
  const { samples = 1000, epochs = 20, lr = 0.01, seed = 0, log = console.log } = opts;
  const gen = new tg.Generator(seed);
  const { x, y } = makeCars(samples, gen);

  // 80 / 20 split, then standardize with the training split's statistics only.
  const perm = tg.randperm(samples, { generator: gen });
  const nTrain = Math.round(samples * 0.8);
  const [trainIdx, valIdx] = [perm.narrow(0, 0, nTrain), perm.narrow(0, nTrain, samples - nTrain)];
  const [xTrainRaw, yTrain, xValRaw, yVal] = [x.indexSelect(0, trainIdx), y.indexSelect(0, trainIdx), x.indexSelect(0, valIdx), y.indexSelect(0, valIdx)];
  const mean = xTrainRaw.mean(0);
  const std = xTrainRaw.std(0);
  const xTrain = xTrainRaw.sub(mean).div(std);
  const xVal = xValRaw.sub(mean).div(std);
  const trainSet = new tg.data.TensorDataset(xTrain, yTrain);
  const evalTrain = new tg.data.DataLoader(trainSet, { batchSize: nTrain });
  const evalVal = new tg.data.DataLoader(new tg.data.TensorDataset(xVal, yVal), { batchSize: samples });

  const variants: [string, number][] = [['batch GD', nTrain], ['stochastic GD', 1], ['mini-batch GD', 32]];
  const results: VariantResult[] = [];
  for (const [name, batchSize] of variants) {
    for (const momentum of [0, 0.9]) {
      tg.manualSeed(seed); // the same initial weights for every variant
      const model = new tg.nn.Linear(2, 1);
      const optimizer = new tg.optim.SGD(model.parameters(), { lr, momentum });
      const train = new tg.data.DataLoader(trainSet, { batchSize, shuffle: true, generator: new tg.Generator(seed + 1) });
      await tg.train.fit(model, { optimizer, loss: tg.nn.functional.mseLoss, train, epochs, progress: false });
      const lossOpts = { loss: tg.nn.functional.mseLoss };
      const trainMse = (await tg.train.evaluate(model, evalTrain, lossOpts)).loss;
      const valMse = (await tg.train.evaluate(model, evalVal, lossOpts)).loss;
      // prediction = b + Σ w_j (x_j - μ_j) / σ_j  =  (b - Σ w_j μ_j / σ_j) + Σ (w_j / σ_j) x_j
      const w = model.weight.data();
      const b = model.bias!.item();
      const [mu, sd] = [mean.data(), std.data()];
      const coef = [w[0] / sd[0], w[1] / sd[1]];
      results.push({
        name, batchSize, momentum, steps: epochs * train.length, trainMse, valMse,
        intercept: b - coef[0] * mu[0] - coef[1] * mu[1], mileage: coef[0], age: coef[1],
      });
    }
  }

  const f = (v: number, d = 3) => v.toFixed(d).padStart(9);
  log(`${samples} synthetic cars (${nTrain} train / ${samples - nTrain} validation), ${epochs} epochs, lr ${lr}; noise variance ${NOISE_STD ** 2}`);
  log(`${'variant'.padEnd(36)} ${'steps'.padStart(6)} ${'train MSE'.padStart(9)} ${'val MSE'.padStart(9)} ${'intercept'.padStart(9)} ${'mileage'.padStart(9)} ${'age'.padStart(9)}`);
  for (const r of results) {
    const label = `${r.name} (batch ${r.batchSize})${r.momentum ? ' + momentum' : ''}`;
    log(`${label.padEnd(36)} ${String(r.steps).padStart(6)} ${f(r.trainMse)} ${f(r.valMse)} ${f(r.intercept)} ${f(r.mileage, 4)} ${f(r.age)}`);
  }
  const t = TRUE_COEFFICIENTS;
  log(`${'true coefficients'.padEnd(36)} ${''.padStart(6)} ${''.padStart(9)} ${''.padStart(9)} ${f(t.intercept)} ${f(t.mileage, 4)} ${f(t.age)}`);
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
