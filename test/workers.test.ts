// tapegrad in node:worker_threads: several workers at once train to the same bits as the main
// thread, a worker terminated inside a native call takes nothing else down, and each worker's
// thread count and RNG state are its own.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tg from 'tapegrad';

const require = createRequire(import.meta.url);
const script = resolve(__dirname, 'workers.worker.cjs');
const { trainDigits } = require(script) as { trainDigits: (t: typeof tg) => Trained };
// Workers load the CommonJS build of the same package the `tapegrad` alias points at.
const entry = resolve(process.env.TAPEGRAD_TEST_PACKAGE ?? resolve(__dirname, '..'), 'dist/index.js');

interface Trained {
  params: Uint8Array[];
  losses: number[];
}

function start(task: string, args: unknown = {}): Worker {
  const env = { ...process.env };
  if (env.TAPEGRAD_ADDON) env.TAPEGRAD_ADDON = resolve(env.TAPEGRAD_ADDON);
  return new Worker(script, { env, workerData: { tapegradWorkerTask: task, entry, args } });
}

function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((res, rej) => {
    const fail = (e: unknown) => rej(e instanceof Error ? e : new Error(`worker exited with code ${String(e)}`));
    w.once('error', fail);
    w.once('exit', fail);
    w.once('message', (m: T) => {
      w.off('error', fail);
      w.off('exit', fail);
      res(m);
    });
  });
}

const threads = Number(process.env.TAPEGRAD_NUM_THREADS ?? tg.getNumThreads());

describe('worker threads', () => {
  it('train to bitwise identical parameters in two workers at once and on the main thread, while a third is terminated inside a gemm call', async () => {
    const trainers = [start('train'), start('train')];
    const results = trainers.map((w) => nextMessage<Trained>(w));
    const spinner = start('spin');
    expect(await nextMessage<string>(spinner)).toBe('spinning');
    // terminate() resolves with the exit code once the worker has stopped.
    expect(await spinner.terminate()).toBe(1);
    const [a, b] = await Promise.all(results);
    await Promise.all(trainers.map((w) => w.terminate()));

    const main = trainDigits(tg);
    expect(main.params).toHaveLength(4);
    expect(main.losses[4]).toBeLessThan(main.losses[0]); // it trained
    for (const r of [a, b]) {
      expect(r.losses).toEqual(main.losses);
      expect(r.params).toHaveLength(main.params.length);
      r.params.forEach((p, i) => expect(Buffer.from(p).equals(Buffer.from(main.params[i]))).toBe(true));
    }
    // The process and its addon are still fine after the terminated worker.
    expect(tg.tensor([[1, 2], [3, 4]]).matmul(tg.tensor([[1], [1]])).toArray()).toEqual([[3], [7]]);
  });

  it("keep each worker's thread count and default generator their own", async () => {
    const mainGen = tg.manualSeed(99);
    tg.rand([3]);
    const mainState = mainGen.getState();
    const specs = [{ threads: 3, seed: 111 }, { threads: 1, seed: 222 }];
    const workers = specs.map((s) => start('own', s));
    try {
      await Promise.all(workers.map((w) => nextMessage(w)));
      // Both have set theirs before either reports.
      const seen = await Promise.all(workers.map((w) => {
        const m = nextMessage<{ threads: number; state: { seed: string; offset: number }; draw: number[] }>(w);
        w.postMessage('report');
        return m;
      }));
      specs.forEach((s, i) => {
        expect(seen[i].threads).toBe(s.threads);
        expect(seen[i].state).toEqual({ seed: String(s.seed), offset: 0 });
        expect(seen[i].draw).toEqual(Array.from(tg.rand([4], { generator: new tg.Generator(s.seed) }).data()));
      });
      expect(tg.getNumThreads()).toBe(threads);
      expect(mainGen.getState()).toEqual(mainState);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
