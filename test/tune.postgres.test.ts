// postgresStorage against a real server: TAPEGRAD_TEST_POSTGRES_URL (.ci/run starts one on loopback).
// Without it the tests are skipped with a warning, except under CI, where that is a failure.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { sharedStudyScenario } from './tune.shared.helpers';

const { tune } = tg;
const url = process.env.TAPEGRAD_TEST_POSTGRES_URL;
if (!url) console.warn('tune.postgres.test.ts: SKIPPED: set TAPEGRAD_TEST_POSTGRES_URL=postgresql://... to run the PostgreSQL storage tests');

describe('postgresStorage', () => {
  it.runIf(!url && process.env.CI)('has a server under CI', () => {
    expect.fail('CI must start PostgreSQL and set TAPEGRAD_TEST_POSTGRES_URL (.ci/run does)');
  });

  it('rejects a bad url', () => {
    expect(() => tune.postgresStorage('mysql://x')).toThrow(/postgresStorage: url must be postgresql:\/\//);
  });

  it.skipIf(!url)('keeps a study: params, values, NaN intermediate values, states; names are unique', async () => {
    const storage = tune.postgresStorage(url!);
    const name = `pg-${process.pid}-${Date.now()}`;
    const s = tune.createStudy({ storage, studyName: name, sampler: new tune.RandomSampler({ seed: 2 }) });
    await s.optimize((t) => {
      const x = t.suggestInt('x', 0, 100, { step: 5 });
      t.report(NaN, 0);
      if (t.number === 0) throw new tune.TrialPruned();
      return x;
    }, { nTrials: 3 });
    const other = tune.postgresStorage(url!);
    const again = await tune.loadStudy({ storage: other, studyName: name });
    const strip = (ts: tg.tune.FrozenTrial[]) => ts.map(({ datetimeStart: _a, datetimeComplete: _b, ...t }) => t);
    expect(strip(again.trials)).toEqual(strip(s.trials));
    expect(again.trials.map((t) => t.state)).toEqual(['pruned', 'complete', 'complete']);
    await expect(tune.createStudy({ storage: other, studyName: name }).refresh()).rejects.toThrow(/already exists/);
    await storage.close();
    await other.close();
  });

  // Skipped under emulation for the reason given in tune.journal.test.ts.
  it.skipIf(!url || !!process.env.TAPEGRAD_TEST_EMULATED)('three processes run 60 trials on one database; a worker killed mid-trial leaves a failed trial', async () => {
    const storage = tune.postgresStorage(url!, { heartbeatInterval: 0.25, gracePeriod: 3 });
    try {
      await sharedStudyScenario('postgres', url!, storage);
    } finally {
      await storage.close();
    }
  });
});
