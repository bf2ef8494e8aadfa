// A worker process for the shared-storage tests: joins study NAME in the storage and runs trials.
// node --import tsx test/tune.worker.ts <journal|postgres> <location> <study> <mode: run|hang> <nTrials>
const [kind, location, studyName, mode, n] = process.argv.slice(2);
const pkg = process.env.TAPEGRAD_TEST_PACKAGE;
async function main(): Promise<void> {
const tg = await import(pkg ? `${pkg}/dist/index.mjs` : '../src/index.ts');
const { tune } = tg;
const storage = kind === 'journal'
  ? tune.journalStorage(location, { heartbeatInterval: 0.25, gracePeriod: 3 })
  : tune.postgresStorage(location, { heartbeatInterval: 0.25, gracePeriod: 3 });
const study = tune.createStudy({ storage, studyName, loadIfExists: true, sampler: new tune.RandomSampler() });
const ran: number[] = [];
await study.optimize(async (t: { number: number; suggestFloat: (n: string, a: number, b: number) => number }) => {
  const x = t.suggestFloat('x', 0, 1000);
  if (mode === 'hang') {
    // Die only once the suggestion is in the storage (the trial writes it in the background).
    while ((await study.refresh())[t.number].params.x === undefined) await new Promise((r) => setTimeout(r, 10));
    process.stdout.write(`running ${t.number}\n`);
    setInterval(() => {}, 1000); // keeps the process up (the study's heartbeat timer is unref'd)
    await new Promise(() => {}); // until killed; the heartbeat timer keeps the trial alive meanwhile
  }
  await new Promise((r) => setTimeout(r, 10));
  ran.push(t.number);
  return x;
}, { nTrials: Number(n) });
await storage.close();
process.stdout.write(`${JSON.stringify(ran)}\n`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
