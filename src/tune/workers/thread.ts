// A worker thread of study.optimize({workers}): loads the objective module, then asks the main thread
// for trials and runs them; suggestions, reports and pruning questions go to the main thread's study.
import { parentPort, workerData } from 'node:worker_threads';
import { setNumThreads } from '../../runtime';
import { loadObjectiveModule } from '../cli';
import { SuggestOptions, categoricalDistribution, floatDistribution, intDistribution, Distribution } from '../distributions';
import { Channel, call } from './protocol';

const { channel, module: modulePath, numThreads } = workerData as { channel: Channel; module: string; numThreads: number };
const rpc = (method: string, args: unknown = null) => call(channel, (m) => parentPort!.postMessage(m), method, args);

/** The trial an objective sees in a worker thread: the same methods as tg.tune.Trial. */
class RemoteTrial {
  readonly params: Record<string, unknown> = {};
  constructor(readonly number: number) {}
  private suggest(op: string, name: string, dist: Distribution): unknown {
    const v = rpc('suggest', { op, name, dist });
    this.params[name] = v;
    return v;
  }
  suggestFloat(name: string, low: number, high: number, opts?: SuggestOptions): number {
    return this.suggest('suggestFloat', name, floatDistribution('suggestFloat', low, high, opts)) as number;
  }
  suggestInt(name: string, low: number, high: number, opts?: SuggestOptions): number {
    return this.suggest('suggestInt', name, intDistribution('suggestInt', low, high, opts)) as number;
  }
  suggestCategorical<T>(name: string, choices: readonly T[]): T {
    return this.suggest('suggestCategorical', name, categoricalDistribution('suggestCategorical', choices)) as T;
  }
  report(value: number, step: number): void {
    rpc('report', { value, step });
  }
  shouldPrune(): boolean {
    return rpc('shouldPrune') as boolean;
  }
}

async function main(): Promise<void> {
  setNumThreads(numThreads);
  const { objective } = await loadObjectiveModule(modulePath);
  for (;;) {
    const asked = rpc('ask') as { number: number } | null;
    if (asked === null) break;
    const trial = new RemoteTrial(asked.number);
    try {
      const value = await objective(trial as never);
      rpc('tell', { value: typeof value === 'number' ? value : String(value) });
    } catch (e) {
      const err = e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
      rpc('tell', { error: err });
    }
  }
}

main().catch((e) => {
  rpc('tell', { fatal: { name: e?.name ?? 'Error', message: e?.message ?? String(e) } });
});
