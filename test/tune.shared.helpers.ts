// Several worker processes on one shared study (journal file or PostgreSQL): 60 trials between three
// workers plus one worker killed with SIGKILL in the middle of a trial.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import * as tg from 'tapegrad';

const worker = fileURLToPath(new URL('./tune.worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, done, out: () => out, err: () => err };
}

export async function sharedStudyScenario(kind: 'journal' | 'postgres', location: string, storage: tg.tune.Storage): Promise<void> {
  const { tune } = tg;
  const studyName = `shared-${process.pid}-${Date.now()}`;
  const study = tune.createStudy({ storage, studyName });
  for (let i = 0; i < 30; i++) await study.enqueueTrial({ x: i });

  // A worker that takes a trial and hangs in it, killed with SIGKILL while the trial runs.
  const hang = start([kind, location, studyName, 'hang', '1']);
  while (!/running (\d+)/.test(hang.out())) {
    const r = await Promise.race([hang.done, sleep(50)]);
    if (r) throw new Error(`hanging worker exited early (${JSON.stringify(r)}): ${hang.err()}`);
  }
  const killedNumber = Number(/running (\d+)/.exec(hang.out())![1]);
  hang.child.kill('SIGKILL');
  expect((await hang.done).signal).toBe('SIGKILL');
  expect((await study.refresh())[killedNumber].state).toBe('running');
  await sleep(3300); // past the 3 s grace period: the next worker to start a trial fails it

  const workers = [0, 1, 2].map(() => start([kind, location, studyName, 'run', '20']));
  const results = await Promise.all(workers.map((w) => w.done));
  workers.forEach((w, i) => expect(results[i], w.err()).toEqual({ code: 0, signal: null }));
  const ran = workers.flatMap((w) => JSON.parse(w.out().trim().split('\n').pop()!) as number[]);

  const trials = await study.refresh();
  expect(trials.length).toBe(61);
  expect(trials.map((t) => t.number)).toEqual([...Array(61).keys()]);
  const killed = trials[killedNumber];
  expect(killed.state).toBe('fail');
  expect(killed.systemAttrs.failReason).toMatch(/no heartbeat/);
  const complete = trials.filter((t) => t.state === 'complete');
  expect(complete.length).toBe(60);
  expect(ran.length).toBe(60);
  expect(new Set(ran)).toEqual(new Set(complete.map((t) => t.number))); // none lost, none run twice
  for (const t of complete) expect(t.value).toBe(t.params.x);
  // Every enqueued parameter set was claimed once: by the killed worker or by exactly one trial.
  const xs = trials.map((t) => t.params.x as number);
  expect(new Set(xs).size).toBe(61);
  for (let i = 0; i < 30; i++) expect(xs.filter((x) => x === i).length).toBe(1);
  expect(killed.params.x).toBe(0);
}
