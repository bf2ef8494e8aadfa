// `tapegrad tune <objective module> --study NAME --storage URL --trials N`: one worker of a shared study.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Direction } from './frozen-trial';
import { samplerByName, samplerNames } from './sampler-names';
import { Pruner } from './pruners';
import { Sampler } from './samplers/sampler';
import { journalStorage } from './storage/journal-file';
import { InMemoryStorage } from './storage/memory';
import { postgresStorage } from './storage/postgres';
import type { Storage } from './storage/storage';
import { createStudy, Objective } from './study';

export const TUNE_USAGE = `usage: tapegrad tune <objective module> --study NAME --storage URL --trials N
         [--timeout SECONDS] [--direction minimize|maximize] [--sampler ${samplerNames().join('|')}]
  The module exports objective(trial) (named or default) and may export direction, sampler() and pruner().
  URL: postgresql://user@host:port/db, or journal:PATH (a journal file shared by the processes of one machine).
  Start the same command on every machine (or several times on one): the workers share the study.`;

/**
 * Native dynamic import: tsc turns import() into require(), which cannot load ES modules. Where a
 * runner gives Function no import callback (vitest's vm), the transpiled import() does the job.
 */
const nativeImport = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;
async function importModule(u: string): Promise<Record<string, unknown>> {
  try {
    return await nativeImport(u);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw e;
    return (await import(u)) as Record<string, unknown>;
  }
}

export function storageFromUrl(url: string): Storage {
  if (/^postgres(ql)?:\/\//.test(url)) return postgresStorage(url);
  if (url.startsWith('journal:')) return journalStorage(url.slice('journal:'.length));
  if (url === 'memory') return new InMemoryStorage();
  throw new RangeError(`tapegrad tune: --storage must be postgresql://... or journal:PATH, got ${url}`);
}

export async function loadObjectiveModule(path: string): Promise<{ objective: Objective; mod: Record<string, unknown> }> {
  const abs = isAbsolute(path) ? path : resolve(process.cwd(), path);
  const mod = await importModule(pathToFileURL(abs).href);
  const objective = (typeof mod.objective === 'function' ? mod.objective : (mod.default as Record<string, unknown> | undefined)?.objective ?? mod.default) as Objective;
  if (typeof objective !== 'function') throw new TypeError(`tapegrad tune: ${path} must export a function objective(trial) (named or default)`);
  return { objective, mod };
}

function parse(argv: string[]): { module: string; opts: Record<string, string> } {
  const opts: Record<string, string> = {};
  let module: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new RangeError(`tapegrad tune: ${a} needs a value`);
      opts[a.slice(2)] = v;
      i++;
    } else if (module === undefined) module = a;
    else throw new RangeError(`tapegrad tune: unexpected argument ${a}`);
  }
  if (module === undefined) throw new RangeError('tapegrad tune: give the objective module');
  for (const k of Object.keys(opts)) if (!['study', 'storage', 'trials', 'timeout', 'direction', 'sampler'].includes(k)) throw new RangeError(`tapegrad tune: unknown option --${k}`);
  return { module, opts };
}

export async function tuneCli(argv: string[], log: (s: string) => void = console.log): Promise<void> {
  const { module, opts } = parse(argv);
  if (!opts.study) throw new RangeError('tapegrad tune: --study NAME is required');
  if (!opts.storage) throw new RangeError('tapegrad tune: --storage URL is required');
  const nTrials = opts.trials === undefined ? undefined : Number(opts.trials);
  const timeout = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (nTrials !== undefined && !(Number.isSafeInteger(nTrials) && nTrials > 0)) throw new RangeError(`tapegrad tune: --trials must be a positive integer, got ${opts.trials}`);
  if (nTrials === undefined && timeout === undefined) throw new RangeError('tapegrad tune: give --trials N or --timeout SECONDS');
  const storage = storageFromUrl(opts.storage);
  const { objective, mod } = await loadObjectiveModule(module).catch(async (e) => {
    await storage.close?.();
    throw e;
  });
  const direction = (opts.direction ?? mod.direction ?? 'minimize') as Direction;
  const sampler = opts.sampler ? samplerByName(opts.sampler) : typeof mod.sampler === 'function' ? (mod.sampler as () => Sampler)() : undefined;
  const pruner = typeof mod.pruner === 'function' ? (mod.pruner as () => Pruner)() : undefined;
  try {
    const study = createStudy({ studyName: opts.study, storage, direction, sampler, pruner, loadIfExists: true });
    const before = (await study.refresh()).length;
    await study.optimize(objective, { nTrials, timeout });
    const trials = await study.refresh();
    log(`study ${opts.study}: ${trials.length} trials (${trials.length - before} new since this worker started)`);
    if (trials.some((t) => t.state === 'complete')) log(`best value ${study.bestValue} (trial ${study.bestTrial.number}) with ${JSON.stringify(study.bestParams)}`);
  } finally {
    await storage.close?.();
  }
}
