// The examples in examples/ run on reduced sizes and reach real outcomes. They import 'tapegrad',
// which vitest aliases to src/, so this exercises the same code as the rest of the suite.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { run as linearRegression, TRUE_COEFFICIENTS, NOISE_STD } from '../examples/linear-regression';
import { run as logisticRegression } from '../examples/logistic-regression';
import { run as digitsSoftmaxMlp } from '../examples/digits-softmax-mlp';
import { run as fashionMnistCnn } from '../examples/fashion-mnist-cnn';
import { run as hyperparameterSearch } from '../examples/hyperparameter-search';
import { run as gradientCheck } from '../examples/gradient-check-custom-module';

/** Collects what an example prints, so the tests can also check that it reports its results. */
function capture(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

describe('examples/linear-regression', () => {
  it('mini-batch and stochastic GD recover the true coefficients; 20 batch-GD steps do not', async () => {
    const out = capture();
    const res = await linearRegression({ samples: 500, epochs: 20, log: out.log });
    expect(res.map((r) => `${r.name}/${r.momentum}`)).toEqual([
      'batch GD/0', 'batch GD/0.9', 'stochastic GD/0', 'stochastic GD/0.9', 'mini-batch GD/0', 'mini-batch GD/0.9',
    ]);
    const noise = NOISE_STD ** 2;
    const get = (name: string, momentum: number) => res.find((r) => r.name === name && r.momentum === momentum)!;
    const t = TRUE_COEFFICIENTS;
    for (const r of res.filter((v) => v.name !== 'batch GD')) {
      // At the noise floor; batch size 1 ends on a noisy iterate, so its coefficients get wider bounds.
      const tol = r.batchSize === 1 ? 3 : 1;
      expect(r.valMse).toBeLessThan(1.5 * noise);
      expect(r.trainMse).toBeLessThan(1.5 * noise);
      expect(Math.abs(r.intercept - t.intercept)).toBeLessThan(0.75 * tol);
      expect(Math.abs(r.mileage - t.mileage)).toBeLessThan(0.005 * tol);
      expect(Math.abs(r.age - t.age)).toBeLessThan(0.075 * tol);
    }
    // 20 full-batch steps at lr 0.01 are far from converged; momentum gets several times closer.
    const gd = get('batch GD', 0);
    const gdm = get('batch GD', 0.9);
    expect(gd.steps).toBe(20);
    expect(get('mini-batch GD', 0).steps).toBe(20 * 13);
    expect(gd.valMse).toBeGreaterThan(20 * get('mini-batch GD', 0).valMse);
    expect(gdm.valMse).toBeLessThan(gd.valMse / 2);
    expect(out.lines.join('\n')).toMatch(/true coefficients\s+32\.000\s+-0\.0600\s+-1\.100/);
  });
});

describe('examples/logistic-regression', () => {
  it('classifies digits 0-4 vs 5-9 well above chance; the L2 penalty shrinks the weights', async () => {
    const res = await logisticRegression({ epochs: 8, lambdas: [0, 1e-2], log: () => {} });
    expect(res).toHaveLength(2);
    for (const r of res) {
      expect(r.testAccuracy).toBeGreaterThan(0.8);
      expect(r.trainAccuracy).toBeGreaterThan(0.8);
    }
    expect(res[1].weightNorm).toBeLessThan(0.6 * res[0].weightNorm);
  });
});

describe('examples/digits-softmax-mlp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapegrad-examples-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains softmax regression and an MLP with early stopping and writes the loss curves', async () => {
    const out = capture();
    const res = await digitsSoftmaxMlp({ maxEpochs: 15, patience: 3, outDir: dir, log: out.log });
    expect(res.map((r) => r.model)).toEqual(['softmax regression', 'MLP 64-64-10']);
    for (const r of res) {
      expect(r.testAccuracy).toBeGreaterThan(0.88);
      expect(r.epochsRun).toBe(r.history.epoch.length);
      expect(r.bestEpoch).toBeGreaterThanOrEqual(1);
      expect(r.bestEpoch).toBeLessThanOrEqual(r.epochsRun);
      expect(r.history.loss[r.epochsRun - 1]).toBeLessThan(r.history.loss[0] / 2);
      // restoreBestWeights: the best validation loss is the minimum of the history.
      expect(Math.min(...r.history.valLoss!)).toBe(r.history.valLoss![r.bestEpoch - 1]);
      const svg = readFileSync(r.plot, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('<path class="series"');
    }
    expect(out.lines.filter((l) => /test accuracy \d+\.\d+%/.test(l))).toHaveLength(2);
  });
});

const fashionRoot = tg.datasets.FASHION_MNIST_ROOT;
describe.skipIf(!existsSync(fashionRoot))('examples/fashion-mnist-cnn (needs Fashion-MNIST in ' + fashionRoot + ')', () => {
  it('a CNN and an MLP learn from 2000 images in one epoch', async () => {
    const res = await fashionMnistCnn({ trainSize: 2000, testSize: 1000, epochs: 1, log: () => {} });
    expect(res.map((r) => r.model)).toEqual(['cnn', 'mlp']);
    expect(res[0].parameters).toBe(16 * 9 + 16 + 32 * 16 * 9 + 32 + 32 * 49 * 10 + 10);
    for (const r of res) {
      expect(r.testAccuracy).toBeGreaterThan(0.5); // chance is 0.1
      expect(r.trainLoss).toHaveLength(1);
      expect(r.trainLoss[0]).toBeLessThan(Math.log(10));
    }
  });
});

describe('examples/hyperparameter-search', () => {
  it('ranks random-search trials by 5-fold CV accuracy and retrains the best', async () => {
    const out = capture();
    const res = await hyperparameterSearch({ trials: 3, k: 5, epochs: 4, log: out.log });
    expect(res.ranked).toHaveLength(3);
    for (let i = 1; i < res.ranked.length; i++) expect(res.ranked[i].mean).toBeLessThanOrEqual(res.ranked[i - 1].mean);
    for (const r of res.ranked) {
      expect(r.scores).toHaveLength(5);
      const mean = r.scores.reduce((s, v) => s + v, 0) / 5;
      expect(r.mean).toBeCloseTo(mean, 12);
      expect(r.std).toBeCloseTo(Math.sqrt(r.scores.reduce((s, v) => s + (v - mean) ** 2, 0) / 5), 12);
      expect([16, 32, 64, 128]).toContain(r.params.hidden);
      expect(r.params.lr).toBeGreaterThanOrEqual(3e-3);
      expect(r.params.lr).toBeLessThan(0.3);
    }
    expect(res.best).toBe(res.ranked[0]);
    expect(res.best.mean).toBeGreaterThan(0.8);
    expect(res.testAccuracy).toBeGreaterThan(0.8);
    expect(out.lines.some((l) => l.startsWith('best:') && l.includes('±'))).toBe(true);
  });
});

describe('examples/gradient-check-custom-module', () => {
  it('passes the correct backward and catches the wrong one, naming the gate parameters', async () => {
    const res = await gradientCheck({ log: () => {} });
    expect(res.opCorrect).toBe(true);
    expect(res.opBuggy.ok).toBe(false);
    expect(res.opBuggy.inputs[0].ok).toBe(true);
    expect(res.opBuggy.inputs[1].ok).toBe(false);
    expect(res.modelCorrect.ok).toBe(true);
    expect(res.modelCorrect.maxRelError).toBeLessThan(1e-5);
    expect(res.modelBuggy.ok).toBe(false);
    const bad = res.modelBuggy.parameters.filter((p) => p.maxRelError > 1e-3).map((p) => p.name);
    expect(bad).toEqual(['0.gateLayer.weight', '0.gateLayer.bias']);
  });
});
