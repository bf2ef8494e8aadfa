// `npx tapegrad demo optimizers` and `npx tapegrad demo landscape`: the lectures' pictures, written as SVG.
import { join } from 'node:path';
import * as tg from '../index';

export interface VizDemoOptions {
  /** Folder the SVGs go to (default: the working directory). */
  outDir?: string;
  log?: (line: string) => void;
}

const makers = (scale: number): Record<string, (p: tg.Tensor[]) => tg.optim.Optimizer> => ({
  SGD: (p) => new tg.optim.SGD(p, { lr: 1e-3 * scale }),
  momentum: (p) => new tg.optim.SGD(p, { lr: 1e-3 * scale, momentum: 0.9 }),
  Nesterov: (p) => new tg.optim.SGD(p, { lr: 1e-3 * scale, momentum: 0.9, nesterov: true }),
  Adagrad: (p) => new tg.optim.Adagrad(p, { lr: 0.5 }),
  RMSprop: (p) => new tg.optim.RMSprop(p, { lr: 0.01 }),
  Adadelta: (p) => new tg.optim.Adadelta(p, { lr: 10 }),
  Adam: (p) => new tg.optim.Adam(p, { lr: 0.05 }),
  Adamax: (p) => new tg.optim.Adamax(p, { lr: 0.05 }),
  NAdam: (p) => new tg.optim.NAdam(p, { lr: 0.05 }),
  AMSGrad: (p) => new tg.optim.Adam(p, { lr: 0.05, amsgrad: true }),
});

/** Ten optimizers from the same start on Rosenbrock's valley and on the ravine. */
export function optimizersDemo(opts: VizDemoOptions = {}): string[] {
  const log = opts.log ?? ((s: string) => console.log(s));
  const out: string[] = [];
  const runs = [
    { fn: 'rosenbrock' as const, start: [-1.5, 2] as [number, number], steps: 500, scale: 0.5 },
    { fn: 'ravine' as const, start: [-8, 1.5] as [number, number], steps: 100, scale: 200 },
  ];
  for (const r of runs) {
    const result = tg.viz.optimizerPaths({ fn: r.fn, start: r.start, steps: r.steps, optimizers: makers(r.scale) });
    const file = join(opts.outDir ?? '.', `tapegrad-paths-${r.fn}.svg`);
    tg.viz.plotOptimizerPaths(result, file, { title: `${r.steps} steps on ${r.fn} from (${r.start.join(', ')})` });
    const ends = Object.entries(result).map(([k, v]) => `${k} ${v.losses[v.losses.length - 1].toExponential(1)}`);
    log(`${r.fn}: final losses ${ends.join(', ')}`);
    log(`wrote ${file}`);
    out.push(file);
  }
  return out;
}

/** Trains an MLP on the digits, then writes its loss along one random direction and over two. */
export async function landscapeDemo(opts: VizDemoOptions = {}): Promise<{ files: string[]; center: number; losses1d: number[] }> {
  const log = opts.log ?? ((s: string) => console.log(s));
  tg.manualSeed(0);
  const { x, y } = tg.datasets.digits();
  const ds = new tg.data.TensorDataset(x.div(16), y);
  const { nn } = tg;
  const model = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 10));
  const loss = nn.functional.crossEntropy;
  await tg.train.fit(model, {
    optimizer: new tg.optim.Adam(model.parameters(), { lr: 3e-3 }),
    loss,
    train: new tg.data.DataLoader(ds, { batchSize: 64, shuffle: true, generator: new tg.Generator(1) }),
    epochs: 15,
    progress: false,
  });
  const batch = [ds.tensors[0], ds.tensors[1]];
  const generator = new tg.Generator(2);
  const line = tg.viz.lossLandscape(model, loss, batch, { steps: 41, generator });
  log(`MLP 64-64-10 trained 15 epochs on the digits: training loss ${line.center.toFixed(4)}; along a filter-normalised random direction it rises to ${Math.max(...(line.losses as number[])).toFixed(3)} at |α| = 1`);
  const grid = tg.viz.lossLandscape(model, loss, batch, { dims: 2, steps: 31, generator });
  const dir = opts.outDir ?? '.';
  const files = [join(dir, 'tapegrad-landscape-1d.svg'), join(dir, 'tapegrad-landscape-2d.svg'), join(dir, 'tapegrad-landscape-3d.svg')];
  tg.viz.plotLossLandscape(line, files[0], { kind: 'line', title: 'Digits MLP: loss along a random direction' });
  tg.viz.plotLossLandscape(grid, files[1], { kind: 'contour', logLevels: true, title: 'Digits MLP: loss over two random directions' });
  tg.viz.plotLossLandscape(grid, files[2], { kind: 'surface', title: 'Digits MLP: 3-D loss slice' });
  for (const f of files) log(`wrote ${f}`);
  return { files, center: line.center, losses1d: line.losses as number[] };
}
