// The main job, `npx tapegrad demo`: an MLP on the shipped 8x8 digits with a validation split, early
// stopping and a progress bar; then the test accuracy, a whole-model gradient check and the loss curve.
import * as tg from './index';

export interface DemoOptions {
  epochs?: number;
  /** Where the loss curve SVG goes. */
  svgPath?: string;
  /** Where the trained model goes as ONNX (default tapegrad-digits.onnx). */
  onnxPath?: string;
  /** Progress bar: shown on a terminal by default. */
  progress?: boolean;
  log?: (line: string) => void;
}

export interface DemoResult {
  testAccuracy: number;
  epochsRun: number;
  bestEpoch: number;
  maxRelError: number;
  svgPath: string;
  onnxPath: string;
  seconds: number;
}

export async function digitsDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const started = process.hrtime.bigint();
  const info = tg.backendInfo();
  log(`tapegrad ${info.version}: ${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'}${info.prebuilt ? ', prebuilt binary' : ''}`);

  tg.manualSeed(0);
  const { x, y } = tg.datasets.digits();
  const ds = new tg.data.TensorDataset(x.div(16), y);
  const [trainSet, valSet, testSet] = tg.data.randomSplit(ds, [0.7, 0.15, 0.15], { generator: new tg.Generator(0) });
  log(`digits: ${ds.length} images of 8x8 pixels, 10 classes; train ${trainSet.length}, validation ${valSet.length}, test ${testSet.length}`);

  const { nn } = tg;
  const model = new nn.Sequential(
    new nn.Linear(64, 256), new nn.ReLU(), new nn.Dropout(0.1),
    new nn.Linear(256, 128), new nn.ReLU(),
    new nn.Linear(128, 10),
  );
  log(`model: MLP 64 -> 256 -> 128 -> 10 (ReLU, dropout 0.1), ${model.numParameters()} parameters; Adam lr 1e-3, batch 32`);
  const optimizer = new tg.optim.Adam(model.parameters(), { lr: 1e-3 });
  const scheduler = new tg.optim.lrScheduler.ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 4 });
  const early = new tg.train.EarlyStopping({ monitor: 'valLoss', patience: 10, restoreBestWeights: true });
  const loss = nn.functional.crossEntropy;

  const history = await tg.train.fit(model, {
    optimizer,
    scheduler,
    loss,
    train: new tg.data.DataLoader(trainSet, { batchSize: 32, shuffle: true, generator: new tg.Generator(1) }),
    val: new tg.data.DataLoader(valSet, { batchSize: 512 }),
    epochs: opts.epochs ?? 100,
    metrics: ['accuracy'],
    callbacks: [early],
    progress: opts.progress,
  });
  const valLoss = history.valLoss!;
  const bestEpoch = valLoss.indexOf(Math.min(...valLoss)) + 1;
  log(`trained ${history.epoch.length} epochs; best validation loss ${valLoss[bestEpoch - 1].toFixed(4)} at epoch ${bestEpoch} (weights restored)`);

  const test = await tg.train.evaluate(model, new tg.data.DataLoader(testSet, { batchSize: 512 }), { loss, metrics: ['accuracy'] });
  log(`test accuracy ${(100 * test.accuracy).toFixed(2)}% (loss ${test.loss.toFixed(4)})`);

  const onnxPath = opts.onnxPath ?? 'tapegrad-digits.onnx';
  tg.onnx.exportModel(model, xTestBatch(testSet), onnxPath, { inputNames: ['pixels'], outputNames: ['logits'] });
  log(`ONNX model written to ${onnxPath} (input 'pixels' [batch, 64], output 'logits' [batch, 10])`);

  // Gradient check of the trained model in float64 on a few test images (eval mode: no dropout masks).
  model.eval();
  const [xb, yb] = new tg.data.DataLoader(testSet, { batchSize: 16 })[Symbol.iterator]().next().value as tg.Tensor[];
  const report = nn.utils.checkGradients(model, (m: tg.nn.Module, xs: unknown, ys: unknown) => loss(m.forward(xs as tg.Tensor), ys as tg.Tensor), xb, yb, { samples: 16, eps: 1e-5 });
  const worst = report.worst ? ` (${report.worst.name})` : '';
  log(`checkGradients (float64 central differences vs backward, ${report.parameters.length} parameters): worst relative error ${report.maxRelError.toExponential(2)}${worst}`);

  const svgPath = opts.svgPath ?? 'tapegrad-digits-loss.svg';
  tg.train.plotHistory(history, svgPath, { title: 'MLP on digits: loss per epoch' });
  log(`loss curve written to ${svgPath}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  log(`done in ${seconds.toFixed(1)} s`);
  return { testAccuracy: test.accuracy, epochsRun: history.epoch.length, bestEpoch, maxRelError: report.maxRelError, svgPath, onnxPath, seconds };
}

function xTestBatch(ds: tg.data.Dataset<tg.Tensor[]>): tg.Tensor {
  return (new tg.data.DataLoader(ds, { batchSize: 2 })[Symbol.iterator]().next().value as tg.Tensor[])[0];
}
