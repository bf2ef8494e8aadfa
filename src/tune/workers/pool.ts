// study.optimize with worker threads: each thread runs trials of the objective module; the study,
// its sampler, pruner and storage stay here and answer the threads' calls (protocol.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FrozenTrial } from '../frozen-trial';
import { lastStep } from '../frozen-trial';
import type { Distribution } from '../distributions';
import type { StudyView } from '../samplers/sampler';
import { decodeJson } from '../storage/log-storage';
import { isCaught, isPruned } from '../pruned';
import type { Study } from '../study';
import type { Trial } from '../trial';
import { Channel, answer, newChannel, toError } from './protocol';

interface PoolOptions {
  workers: number;
  numThreads: number;
  more: (started: number) => boolean;
  catches: (new (...a: never[]) => Error)[];
  callbacks: ((study: Study, trial: FrozenTrial) => void | Promise<void>)[];
}

/** The compiled thread script, or the TypeScript source through tsx's require hook (tests, tsx users). */
function startWorker(workerData: unknown): Worker {
  const js = join(__dirname, 'thread.js');
  if (existsSync(js)) return new Worker(js, { workerData });
  const tsx = createRequire(join(__dirname, 'pool.ts')).resolve('tsx/cjs');
  const src = `require(${JSON.stringify(tsx)}); require(${JSON.stringify(join(__dirname, 'thread.ts'))});`;
  return new Worker(src, { eval: true, workerData });
}

export async function runWorkers(study: Study, module: string, opts: PoolOptions): Promise<void> {
  let started = 0;
  let failure: Error | null = null;

  const one = (): Promise<void> => new Promise((resolve) => {
    const ch: Channel = newChannel();
    const worker = startWorker({ channel: ch, module, numThreads: opts.numThreads });
    let current: { trial: Trial; view: StudyView; timer: NodeJS.Timeout | null } | null = null;
    let queue = Promise.resolve();
    const reply = (fn: () => unknown | Promise<unknown>) => {
      queue = queue.then(async () => {
        try {
          answer(ch, { ok: (await fn()) ?? null });
        } catch (e) {
          const err = e as Error;
          answer(ch, { error: { name: err?.name ?? 'Error', message: err?.message ?? String(e) } });
        }
      });
    };
    const finish = async (state: 'complete' | 'pruned' | 'fail', value: number | null): Promise<void> => {
      const c = current!;
      current = null;
      if (c.timer) clearInterval(c.timer);
      const frozen = await study._tell(c.trial, c.view, state, value);
      for (const cb of opts.callbacks) await cb(study, frozen);
    };
    worker.on('message', (m: { method: string; args: string }) => {
      const args = decodeJson<Record<string, unknown> | null>(m.args);
      if (m.method === 'ask') {
        reply(async () => {
          if (failure || !opts.more(started)) return null;
          started++;
          const { trial, view } = await study._ask();
          const hb = study.storage.heartbeat;
          const timer = hb && study.storage.recordHeartbeat ? setInterval(() => void Promise.resolve(study.storage.recordHeartbeat!(trial._frozen.trialId)).catch(() => {}), hb.intervalMs) : null;
          timer?.unref();
          current = { trial, view, timer };
          return { number: trial.number };
        });
      } else if (m.method === 'suggest') {
        const a = args as { op: string; name: string; dist: Distribution };
        reply(() => current!.trial._suggest(a.op, a.name, a.dist));
      } else if (m.method === 'report') {
        reply(() => current!.trial.report(args!.value as number, args!.step as number));
      } else if (m.method === 'shouldPrune') {
        reply(() => current!.trial.shouldPrune());
      } else if (m.method === 'tell') {
        reply(async () => {
          if (args!.fatal) {
            failure ??= toError(args!.fatal as { name: string; message: string });
            if (current) await finish('fail', null);
            return null;
          }
          if (args!.error) {
            const err = toError(args!.error as { name: string; message: string });
            if (isPruned(err)) {
              const s = lastStep(current!.trial._frozen);
              await finish('pruned', s === null ? null : current!.trial._frozen.intermediateValues.get(s)!);
            } else {
              current!.trial._setSystemAttr('failReason', `${err.name}: ${err.message}`);
              await finish('fail', null);
              if (!isCaught(err, opts.catches)) failure ??= err;
            }
            return null;
          }
          const v = args!.value;
          if (typeof v !== 'number' || Number.isNaN(v)) {
            current!.trial._setSystemAttr('failReason', `objective returned ${typeof v === 'number' ? 'NaN' : `a ${typeof v}`}, not a number`);
            await finish('fail', null);
          } else await finish('complete', v);
          return null;
        });
      }
    });
    worker.on('error', (e) => (failure ??= e));
    worker.on('exit', () => {
      queue.then(async () => {
        if (current) await finish('fail', null);
        resolve();
      });
    });
  });

  await Promise.all(Array.from({ length: opts.workers }, one));
  if (failure) throw failure;
}
