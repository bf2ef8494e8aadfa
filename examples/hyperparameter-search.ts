// Hyperparameter search for an MLP on the 8×8 digits (tg.datasets.digits()): tg.train.randomSearch
// draws learning rate (log-uniform), hidden size and weight decay from a seeded generator, and scores
// each draw with 5-fold cross-validation (tg.train.crossValidate) on the training 80% of the data: the
// mean validation accuracy over the folds. It prints the trials ranked, the best configuration's
// CV mean ± std, and that configuration retrained on all the training data and scored on the
// held-out 20% test set, which the search never saw.
//
// Run: npx tsx examples/hyperparameter-search.ts
import { pathToFileURL } from 'node:url';
import * as tg from 'tapegrad';

const nn = tg.nn;

export interface SearchOptions {
  trials?: number;
  k?: number;
  epochs?: number;
  batchSize?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface SearchConfig {
  lr: number;
  hidden: number;
  weightDecay: number;
}

export interface RankedTrial {
  params: SearchConfig;
  mean: number;
  std: number;
  scores: number[];
}

export interface SearchResult {
  ranked: RankedTrial[];
  best: RankedTrial;
  testAccuracy: number;
}

type Data = tg.data.Dataset<tg.Tensor[]>;

async function trainMlp(cfg: SearchConfig, train: Data, epochs: number, batchSize: number, seed: number): Promise<tg.nn.Module> {
  tg.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(64, cfg.hidden), new nn.ReLU(), new nn.Linear(cfg.hidden, 10));
  const optimizer = new tg.optim.SGD(model.parameters(), { lr: cfg.lr, momentum: 0.9, weightDecay: cfg.weightDecay });
  const loader = new tg.data.DataLoader(train, { batchSize, shuffle: true, generator: new tg.Generator(seed + 1) });
  await tg.train.fit(model, { optimizer, loss: nn.functional.crossEntropy, train: loader, epochs, progress: false });
  return model;
}

async function accuracy(model: tg.nn.Module, data: Data): Promise<number> {
  return (await tg.train.evaluate(model, new tg.data.DataLoader(data, { batchSize: 512 }), { metrics: ['accuracy'] })).accuracy;
}

export async function run(opts: SearchOptions = {}): Promise<SearchResult> {
  const { trials = 20, k = 5, epochs = 15, batchSize = 32, seed = 0, log = console.log } = opts;
  const { x, y } = tg.datasets.digits();
  const data = new tg.data.TensorDataset(x.div(16), y);
  const [trainSet, testSet] = tg.data.randomSplit(data, [0.8, 0.2], { generator: new tg.Generator(seed) });

  const cv = new Map<string, { mean: number; std: number; scores: number[] }>();
  const space = {
    lr: tg.train.logUniform(3e-3, 0.3),
    hidden: tg.train.choice([16, 32, 64, 128]),
    weightDecay: tg.train.choice([0, 1e-4, 1e-3, 1e-2]),
  };
  log(`random search: ${trials} trials, each scored by ${k}-fold cross-validation on ${trainSet.length} digits (${epochs} epochs per fold)`);
  const trialsRanked = await tg.train.randomSearch({
    space, trials, mode: 'max', generator: new tg.Generator(seed + 2),
    objective: async (p) => {
      const cfg = p as unknown as SearchConfig;
      const r = await tg.train.crossValidate({
        k, dataset: trainSet, shuffle: true, generator: new tg.Generator(seed + 3),
        objective: async ({ train, val }) => accuracy(await trainMlp(cfg, train, epochs, batchSize, seed), val),
      });
      cv.set(JSON.stringify(cfg), r);
      return r.mean;
    },
  });

  const ranked: RankedTrial[] = trialsRanked.map((t) => ({ params: t.params as unknown as SearchConfig, ...cv.get(JSON.stringify(t.params))! }));
  const pct = (v: number) => (100 * v).toFixed(2);
  log(`${'rank'.padStart(4)} ${'lr'.padStart(8)} ${'hidden'.padStart(6)} ${'weightDecay'.padStart(11)}   CV accuracy (mean ± std)`);
  ranked.forEach((r, i) => {
    const { lr, hidden, weightDecay } = r.params;
    log(`${String(i + 1).padStart(4)} ${lr.toPrecision(3).padStart(8)} ${String(hidden).padStart(6)} ${String(weightDecay).padStart(11)}   ${pct(r.mean)}% ± ${pct(r.std)}%`);
  });
  const best = ranked[0];
  const model = await trainMlp(best.params, trainSet, epochs, batchSize, seed);
  const testAccuracy = await accuracy(model, testSet);
  log(`best: lr ${best.params.lr.toPrecision(3)}, hidden ${best.params.hidden}, weightDecay ${best.params.weightDecay}: ` +
    `CV accuracy ${pct(best.mean)}% ± ${pct(best.std)}% (folds: ${best.scores.map(pct).join(', ')})`);
  log(`retrained on all ${trainSet.length} training digits: test accuracy ${pct(testAccuracy)}% on ${testSet.length} held-out digits`);
  return { ranked, best, testAccuracy };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
