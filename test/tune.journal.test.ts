// journalStorage: processes sharing one journal file (lock, claims, heartbeats), and its round trip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { sharedStudyScenario } from './tune.shared.helpers';

const { tune } = tg;
const dir = mkdtempSync(join(tmpdir(), 'tapegrad-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('journalStorage', () => {
  it('two workers creating the same study at once (loadIfExists) both end up on one study', async () => {
    const path = join(dir, 'race.jsonl');
    for (let round = 0; round < 5; round++) {
      const name = `race-${round}`;
      // Both look the name up before either creates it; the loser of the create loads the winner's.
      const studies = [0, 1].map(() => tune.createStudy({ storage: tune.journalStorage(path), studyName: name, direction: 'maximize', loadIfExists: true }));
      await Promise.all(studies.map((st) => st.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 2 })));
      const merged = await tune.loadStudy({ storage: tune.journalStorage(path), studyName: name });
      expect(merged.direction).toBe('maximize');
      expect(merged.trials.map((t) => t.number)).toEqual([0, 1, 2, 3]);
    }
    // Without loadIfExists the loser still refuses.
    const pair = [0, 1].map(() => tune.createStudy({ storage: tune.journalStorage(path), studyName: 'strict' }).refresh());
    const settled = await Promise.allSettled(pair);
    expect(settled.filter((r) => r.status === 'rejected').length).toBe(1);
  });

  it('keeps a study across storages on the same file: params, values, intermediate values, NaN and states', async () => {
    const path = join(dir, 'a.jsonl');
    const s = tune.createStudy({ storage: tune.journalStorage(path), studyName: 'a', direction: 'maximize', sampler: new tune.RandomSampler({ seed: 1 }) });
    await s.optimize((t) => {
      const x = t.suggestFloat('x', 0, 1);
      t.suggestCategorical('act', ['relu', 'tanh']);
      t.report(NaN, 0);
      t.report(Infinity, 1);
      if (t.number === 1) throw new tune.TrialPruned();
      return x;
    }, { nTrials: 3 });
    const again = await tune.loadStudy({ storage: tune.journalStorage(path), studyName: 'a' });
    expect(again.direction).toBe('maximize');
    expect(again.trials.map(({ datetimeStart: _a, datetimeComplete: _b, ...t }) => t)).toEqual(s.trials.map(({ datetimeStart: _a, datetimeComplete: _b, ...t }) => t));
    expect(again.trials.map((t) => t.state)).toEqual(['complete', 'pruned', 'complete']);
    expect([...again.trials[1].intermediateValues]).toEqual([[0, NaN], [1, Infinity]]);
    expect(again.bestValue).toBe(Math.max(s.trials[0].value!, s.trials[2].value!));
    expect(readFileSync(path, 'utf8').trim().split('\n').length).toBeGreaterThan(10);
    expect(() => tune.createStudy({ storage: tune.journalStorage(path), studyName: 'a' })).not.toThrow(); // found asynchronously:
    await expect(tune.createStudy({ storage: tune.journalStorage(path), studyName: 'a' }).refresh()).rejects.toThrow(/'a' already exists/);
    expect(() => tune.journalStorage('')).toThrow(/journalStorage: path must be a non-empty string/);
    expect(() => tune.journalStorage(path, { heartbeatInterval: 1, gracePeriod: 1 })).toThrow(/gracePeriod must be a number of seconds > heartbeatInterval/);
  });

  it('breaks a lock left by a dead process and waits for a live holder', async () => {
    const path = join(dir, 'lock.jsonl');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${path}.lock`, `${hostname()} ${dead} x`);
    const s = tune.createStudy({ storage: tune.journalStorage(path), studyName: 'l', sampler: new tune.RandomSampler({ seed: 0 }) });
    await s.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 1 });
    expect((await s.refresh()).map((t) => t.state)).toEqual(['complete']);
    expect(existsSync(`${path}.lock`)).toBe(false);
    writeFileSync(`${path}.lock`, `${hostname()} ${process.pid} held`); // a live holder: this process
    let done = false;
    const run = s.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 1 }).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
    rmSync(`${path}.lock`);
    await run;
    expect((await s.refresh()).length).toBe(2);
  });

  // Under emulation (.ci/arm64.sh: qemu runs each process ~18x slower) worker start-up outlasts the
  // heartbeat grace; the scenario is JavaScript and runs natively in the other CI steps.
  it.skipIf(!!process.env.TAPEGRAD_TEST_EMULATED)('three processes run 60 trials on one file; a worker killed mid-trial leaves a failed trial', async () => {
    const path = join(dir, 'shared.jsonl');
    await sharedStudyScenario('journal', path, tune.journalStorage(path, { heartbeatInterval: 0.25, gracePeriod: 3 }));
  });
});
