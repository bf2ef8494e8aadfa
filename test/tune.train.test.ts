// tg.tune with tg.train: pruningCallback stops fit in a pruned trial; crossValidate reports its folds to a trial.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { Scale, ScriptedOptimizer, batches, mseLoss } from './train.helpers';

const { tune } = tg;

describe('pruningCallback', () => {
  // y = w x on val x = [1, 2], y = [1, 2]: valLoss = ((w-1)^2 + 4(w-1)^2) / 2 = 2.5 (w-1)^2.
  const run = async (t: tg.tune.Trial, ws: number[]) => {
    const model = new Scale(0);
    const opt = new ScriptedOptimizer(model.w, ws);
    const h = await tg.train.fit(model, {
      optimizer: opt, loss: mseLoss, train: batches([1], [1], 1), val: batches([1, 2], [1, 2], 2), epochs: ws.length,
      callbacks: [tune.pruningCallback(t)], progress: false,
    });
    return h.valLoss![h.valLoss!.length - 1];
  };

  it('reports valLoss per epoch and ends fit when the median pruner prunes', async () => {
    const study = tune.createStudy({ pruner: new tune.MedianPruner({ nStartupTrials: 1 }), sampler: new tune.RandomSampler({ seed: 0 }) });
    const epochsRun: number[] = [];
    await study.optimize(async (t) => {
      const ws = t.number === 0 ? [2, 1.5, 1] : [3, 1, 1];
      try {
        return await run(t, ws);
      } finally {
        epochsRun.push(t._frozen.intermediateValues.size);
      }
    }, { nTrials: 2 });
    const [a, b] = study.trials;
    expect(a.state).toBe('complete');
    expect([...a.intermediateValues]).toEqual([[1, 2.5], [2, 0.625], [3, 0]]);
    expect(b.state).toBe('pruned'); // 10 at epoch 1 > median 2.5
    expect([...b.intermediateValues]).toEqual([[1, 10]]);
    expect(b.value).toBe(10);
    expect(epochsRun).toEqual([3, 1]);
  });

  it('names the missing monitor and checks its arguments', async () => {
    const study = tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await expect(study.optimize(async (t) => {
      const model = new Scale(1);
      await tg.train.fit(model, { optimizer: new ScriptedOptimizer(model.w, [1]), loss: mseLoss, train: batches([1], [1], 1), epochs: 1, callbacks: [tune.pruningCallback(t, { monitor: 'valAcc' })], progress: false });
      return 0;
    }, { nTrials: 1 })).rejects.toThrow(/pruningCallback: monitor 'valAcc' is not among the values fit produces: loss, lr/);
    expect(() => tune.pruningCallback({} as tg.tune.Trial)).toThrow(/pruningCallback: trial must be a tg.tune trial/);
  });
});

describe('crossValidate with a trial', () => {
  it('reports the running mean after each fold and throws TrialPruned when pruned', async () => {
    const data = Array.from({ length: 6 }, (_, i) => i);
    const dataset = { length: data.length, get: (i: number) => data[i] };
    const study = tune.createStudy({ pruner: new tune.MedianPruner({ nStartupTrials: 1 }), sampler: new tune.RandomSampler({ seed: 0 }) });
    await study.optimize(async (t) => {
      const off = t.number === 0 ? 0 : 10;
      const r = await tg.train.crossValidate({ k: 3, dataset, trial: t, objective: ({ fold }) => off + fold });
      return r.mean;
    }, { nTrials: 2 });
    const [a, b] = study.trials;
    expect([...a.intermediateValues]).toEqual([[0, 0], [1, 0.5], [2, 1]]);
    expect(a.value).toBe(1);
    expect(b.state).toBe('pruned');
    expect([...b.intermediateValues]).toEqual([[0, 10]]);
    await expect(tg.train.crossValidate({ k: 2, dataset, trial: {} as tg.tune.Trial, objective: () => 0 })).rejects.toThrow(/crossValidate: trial must be a tg.tune trial/);
  });
});
