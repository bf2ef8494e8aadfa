// Tuning the digits MLP (tg.datasets.digits()) with tg.tune: learning rate, width, dropout and
// weight decay, each trial scored by 5-fold cross-validation accuracy on the training 80% of the data.
// TPE with median pruning (crossValidate reports the running mean accuracy after each fold, and a
// trial whose folds fall below the median of earlier trials stops early) against random search with
// the same number of trials. Prints both studies' best CV accuracy and the held-out test accuracy of
// the TPE winner retrained on all the training data.
//
// Run: npx tsx examples/tune-digits.ts
import { pathToFileURL } from 'node:url';
import * as tg from 'tapegrad';

const { nn, tune } = tg;

export interface TuneDigitsOptions {
  trials?: number;
  k?: number;
  epochs?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface Config {
  lr: number;
  width: number;
  dropout: number;
  weightDecay: number;
}

export interface TuneDigitsResult {
  tpe: { best: number; params: Config; pruned: number; complete: number };
  random: { best: number; params: Config; complete: number };
  testAccuracy: number;
}

type Data = tg.data.Dataset<tg.Tensor[]>;

async function trainMlp(cfg: Config, train: Data, epochs: number, seed: number): Promise<tg.nn.Module> {
  tg.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(64, cfg.width), new nn.ReLU(), new nn.Dropout(cfg.dropout), new nn.Linear(cfg.width, 10));
  const optimizer = new tg.optim.AdamW(model.parameters(), { lr: cfg.lr, weightDecay: cfg.weightDecay });
  const loader = new tg.data.DataLoader(train, { batchSize: 64, shuffle: true, generator: new tg.Generator(seed + 1) });
  await tg.train.fit(model, { optimizer, loss: nn.functional.crossEntropy, train: loader, epochs, progress: false });
  return model;
}

async function accuracy(model: tg.nn.Module, data: Data): Promise<number> {
  return (await tg.train.evaluate(model, new tg.data.DataLoader(data, { batchSize: 512 }), { metrics: ['accuracy'] })).accuracy;
}

const suggest = (t: tg.tune.Trial): Config => ({
  lr: t.suggestFloat('lr', 1e-4, 1e-1, { log: true }),
  width: t.suggestInt('width', 8, 256, { log: true }),
  dropout: t.suggestFloat('dropout', 0, 0.6),
  weightDecay: t.suggestFloat('weightDecay', 1e-6, 1e-1, { log: true }),
});

export async function run(opts: TuneDigitsOptions = {}): Promise<TuneDigitsResult> {
  const { trials = 30, k = 5, epochs = 10, seed = 0, log = console.log } = opts;
  const { x, y } = tg.datasets.digits();
  const data = new tg.data.TensorDataset(x.div(16), y);
  const [trainSet, testSet] = tg.data.randomSplit(data, [0.8, 0.2], { generator: new tg.Generator(seed) });
  const objective = (trial: tg.tune.Trial) => {
    const cfg = suggest(trial);
    return tg.train.crossValidate({
      k, dataset: trainSet, shuffle: true, generator: new tg.Generator(seed + 3), trial,
      objective: async ({ train, val }) => accuracy(await trainMlp(cfg, train, epochs, seed), val),
    }).then((r) => r.mean);
  };
  log(`${trials} trials per study, each ${k}-fold cross-validation on ${trainSet.length} digits, ${epochs} epochs per fold`);
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const show = (p: Record<string, unknown>) => `lr ${(p.lr as number).toPrecision(3)}, width ${p.width}, dropout ${(p.dropout as number).toFixed(2)}, weightDecay ${(p.weightDecay as number).toPrecision(2)}`;

  const tpe = tune.createStudy({ direction: 'maximize', sampler: new tune.TPESampler({ seed }), pruner: new tune.MedianPruner({ nStartupTrials: 5 }) });
  await tpe.optimize(objective, { nTrials: trials });
  const pruned = tpe.trials.filter((t) => t.state === 'pruned').length;
  log(`TPE + median pruning: best CV accuracy ${pct(tpe.bestValue)} (${show(tpe.bestParams)}); ${pruned} of ${trials} trials pruned`);

  const random = tune.createStudy({ direction: 'maximize', sampler: new tune.RandomSampler({ seed }), pruner: new tune.NopPruner() });
  await random.optimize(objective, { nTrials: trials });
  log(`random search:        best CV accuracy ${pct(random.bestValue)} (${show(random.bestParams)})`);

  const best = tpe.bestParams as unknown as Config;
  const testAccuracy = await accuracy(await trainMlp(best, trainSet, epochs, seed), testSet);
  log(`TPE's best retrained on all ${trainSet.length} training digits: test accuracy ${pct(testAccuracy)} on ${testSet.length} held-out digits`);
  const complete = (s: tg.tune.Study) => s.trials.filter((t) => t.state === 'complete').length;
  return {
    tpe: { best: tpe.bestValue, params: best, pruned, complete: complete(tpe) },
    random: { best: random.bestValue, params: random.bestParams as unknown as Config, complete: complete(random) },
    testAccuracy,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
