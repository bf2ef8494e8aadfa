// A study: trials of one objective in one storage, asked for by a sampler and stopped early by a pruner.
import type { Direction, FrozenTrial, TrialState } from './frozen-trial';
import { lastStep } from './frozen-trial';
import { Pruner, MedianPruner } from './pruners';
import { isCaught, isPruned } from './pruned';
import type { Sampler, StudyView } from './samplers/sampler';
import { Sampler as SamplerBase } from './samplers/sampler';
import { GridSampler } from './samplers/grid';
import { TPESampler } from './samplers/tpe/sampler';
import { InMemoryStorage } from './storage/memory';
import type { Storage } from './storage/storage';
import { Trial } from './trial';
import { runWorkers } from './workers/pool';
import { intAtLeast } from './validate';

export type Objective = (trial: Trial) => number | Promise<number>;

export interface CreateStudyOptions {
  direction?: Direction;
  sampler?: Sampler;
  pruner?: Pruner;
  storage?: Storage;
  studyName?: string;
  /** Load the study of that name from the storage when it exists, instead of failing. */
  loadIfExists?: boolean;
}

export interface OptimizeOptions {
  /** Trials this call runs (in this process); without it, trials run until timeout or the sampler stops the study. */
  nTrials?: number;
  /** Seconds after which no new trial starts. */
  timeout?: number;
  /** Error classes that fail the trial and let the study go on; any other error fails the trial and is rethrown. */
  catch?: (new (...a: never[]) => Error)[];
  /** Called after each trial with the study and the finished trial. */
  callbacks?: ((study: Study, trial: FrozenTrial) => void | Promise<void>)[];
  /**
   * Worker threads running trials at once (default 1). With more than one, the objective must be the
   * path of a module exporting objective(trial): threads cannot share a closure.
   */
  workers?: number;
  /** Native threads of each worker thread's tapegrad (default 1). */
  numThreads?: number;
}

const anonymousName = (): string => `no-name-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

export class Study {
  readonly studyName: string;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
  readonly storage: Storage;
  private _direction: Direction;
  private studyId = -1;
  private ready: Promise<void>;
  private cache: FrozenTrial[] = [];
  private stopped = false;

  /** @internal use createStudy */
  constructor(opts: Required<Pick<CreateStudyOptions, 'direction' | 'sampler' | 'pruner' | 'storage' | 'studyName' | 'loadIfExists'>>) {
    this.studyName = opts.studyName;
    this.sampler = opts.sampler;
    this.pruner = opts.pruner;
    this.storage = opts.storage;
    this._direction = opts.direction;
    const init = (found: { studyId: number; direction: Direction } | null): void | Promise<void> => {
      if (found && !opts.loadIfExists) throw new RangeError(`createStudy: a study named '${opts.studyName}' already exists (pass loadIfExists: true to load it)`);
      if (found) {
        this.studyId = found.studyId;
        this._direction = found.direction;
        return;
      }
      const id = this.storage.createStudy(opts.studyName, opts.direction);
      if (!(id instanceof Promise)) {
        this.studyId = id;
        return;
      }
      // Another process may create the study between the look-up and the create (two workers
      // started at once): with loadIfExists, load the one that won.
      return id.then(
        (i) => void (this.studyId = i),
        async (e: unknown) => {
          const winner = opts.loadIfExists ? await this.storage.findStudy(opts.studyName) : null;
          if (!winner) throw e;
          this.studyId = winner.studyId;
          this._direction = winner.direction;
        },
      );
    };
    const found = this.storage.findStudy(opts.studyName);
    if (found instanceof Promise) this.ready = found.then(init);
    else {
      const r = init(found);
      this.ready = r instanceof Promise ? r : Promise.resolve();
    }
    this.ready.catch(() => {}); // surfaced by the first call that awaits it
  }

  get direction(): Direction {
    return this._direction;
  }

  /** The study's trials: current for a synchronous storage, else as of the last trial or refresh(). */
  get trials(): FrozenTrial[] {
    if (this.studyId >= 0) {
      const r = this.storage.getAllTrials(this.studyId);
      if (!(r instanceof Promise)) this.cache = r;
    }
    return this.cache.slice();
  }

  /** Reads the trials from the storage (for storages shared with other processes). */
  async refresh(): Promise<FrozenTrial[]> {
    await this.ready;
    this.cache = await this.storage.getAllTrials(this.studyId);
    return this.cache.slice();
  }

  get bestTrial(): FrozenTrial {
    let best: FrozenTrial | null = null;
    const sign = this._direction === 'maximize' ? -1 : 1;
    for (const t of this.trials) {
      if (t.state !== 'complete' || t.value === null || Number.isNaN(t.value)) continue;
      if (best === null || sign * t.value < sign * best.value!) best = t;
    }
    if (best === null) throw new RangeError(`bestTrial: study '${this.studyName}' has no complete trial yet`);
    return best;
  }
  get bestValue(): number {
    return this.bestTrial.value!;
  }
  get bestParams(): Record<string, unknown> {
    return this.bestTrial.params;
  }

  /** Ends optimize after the running trial. */
  stop(): void {
    this.stopped = true;
  }

  /** Queues a trial with these parameter values; the next trial takes them (parameters not given are sampled). */
  async enqueueTrial(params: Record<string, unknown>): Promise<void> {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new TypeError('enqueueTrial: params must be an object of parameter values');
    const p = { ...params };
    const prev = this.ready;
    this.ready = prev.then(async () => void (await this.storage.createTrial(this.studyId, { waiting: true, systemAttrs: { fixedParams: p } })));
    await this.ready;
  }

  async optimize(objective: Objective | string, opts: OptimizeOptions = {}): Promise<void> {
    const op = 'optimize';
    const workers = intAtLeast(op, 'workers', opts?.workers ?? 1, 1);
    if (typeof objective !== 'function' && typeof objective !== 'string') throw new TypeError(`${op}: objective must be a function (trial) => number, or the path of a module exporting one`);
    if (workers > 1 && typeof objective !== 'string') throw new TypeError(`${op}: with workers > 1 the objective must be the path of a module exporting objective(trial)`);
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object {nTrials, timeout, catch}`);
    const { nTrials, timeout } = opts;
    if (nTrials !== undefined) intAtLeast(op, 'nTrials', nTrials, 0);
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0)) throw new RangeError(`${op}: timeout must be a number of seconds > 0, got ${String(timeout)}`);
    if (nTrials === undefined && timeout === undefined && !(this.sampler instanceof GridSampler)) {
      throw new RangeError(`${op}: give nTrials or timeout (only a GridSampler study ends by itself)`);
    }
    const catches = opts.catch ?? [];
    if (!Array.isArray(catches) || !catches.every((c) => typeof c === 'function')) throw new TypeError(`${op}: catch must be an array of error classes`);
    const callbacks = opts.callbacks ?? [];
    if (!Array.isArray(callbacks) || !callbacks.every((c) => typeof c === 'function')) throw new TypeError(`${op}: callbacks must be an array of functions`);
    await this.ready;
    this.stopped = false;
    const t0 = Date.now();
    const more = (started: number) => !this.stopped && (nTrials === undefined || started < nTrials) && (timeout === undefined || (Date.now() - t0) / 1000 < timeout);
    if (typeof objective === 'string') {
      const numThreads = intAtLeast(op, 'numThreads', opts.numThreads ?? 1, 1);
      return runWorkers(this, objective, { workers, numThreads, more, catches, callbacks });
    }
    for (let i = 0; nTrials === undefined || i < nTrials; i++) {
      if (this.stopped || (timeout !== undefined && (Date.now() - t0) / 1000 >= timeout)) break;
      const frozen = await this.runTrial(objective as Objective, catches);
      this.cache = await this.storage.getAllTrials(this.studyId);
      for (const cb of callbacks) await cb(this, frozen);
    }
  }

  /** @internal Starts a trial: claims an enqueued one or creates one, and runs the sampler's relative sampling. */
  async _ask(): Promise<{ trial: Trial; view: StudyView }> {
    await this.ready;
    if (this.storage.failStaleTrials) await this.storage.failStaleTrials(this.studyId);
    const trialId = (await this.storage.claimWaitingTrial(this.studyId)) ?? (await this.storage.createTrial(this.studyId));
    const frozen = await this.storage.getTrial(trialId);
    const all = await this.storage.getAllTrials(this.studyId);
    this.cache = all;
    const others = all.filter((t) => t.trialId !== trialId);
    const view: StudyView = {
      direction: this._direction,
      trials: others,
      trialsIn: (states: readonly TrialState[]) => others.filter((t) => states.includes(t.state)),
      stop: () => this.stop(),
    };
    const before = { ...frozen.systemAttrs };
    this.sampler.beforeTrial(view, frozen);
    for (const [k, v] of Object.entries(frozen.systemAttrs)) if (!Object.is(before[k], v)) await this.storage.setSystemAttr(trialId, k, v);
    const space = this.sampler.inferRelativeSearchSpace(view, frozen);
    const relative = Object.keys(space).length ? this.sampler.sampleRelative(view, frozen, space) : {};
    return { trial: new Trial(this, frozen, view, space, relative), view };
  }

  /** @internal Ends a trial; returns the trial as stored. */
  async _tell(trial: Trial, view: StudyView, state: 'complete' | 'pruned' | 'fail', value: number | null): Promise<FrozenTrial> {
    try {
      await Promise.all(trial._pending);
    } finally {
      await this.storage.finishTrial(trial._frozen.trialId, state, value);
    }
    const frozen = await this.storage.getTrial(trial._frozen.trialId);
    this.sampler.afterTrial(view, frozen, frozen.state, frozen.value);
    return frozen;
  }

  private async runTrial(objective: Objective, catches: (new (...a: never[]) => Error)[]): Promise<FrozenTrial> {
    const { trial, view } = await this._ask();
    const hb = this.storage.heartbeat;
    const timer = hb && this.storage.recordHeartbeat
      ? setInterval(() => void Promise.resolve(this.storage.recordHeartbeat!(trial._frozen.trialId)).catch(() => {}), hb.intervalMs)
      : null;
    timer?.unref();
    let state: 'complete' | 'pruned' | 'fail' = 'complete';
    let value: number | null = null;
    let error: unknown = null;
    try {
      const v = await objective(trial);
      if (typeof v !== 'number' || Number.isNaN(v)) {
        // As Optuna: the trial fails with a warning and the study goes on.
        state = 'fail';
        const why = `objective returned ${typeof v === 'number' ? 'NaN' : `a ${typeof v}`}, not a number`;
        trial._setSystemAttr('failReason', why);
        process.emitWarning(`optimize: trial ${trial.number} failed: ${why}`);
      } else value = v;
    } catch (e) {
      if (isPruned(e)) {
        state = 'pruned';
        const s = lastStep(trial._frozen);
        value = s === null ? null : trial._frozen.intermediateValues.get(s)!;
      } else {
        state = 'fail';
        error = e;
        trial._setSystemAttr('failReason', e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      }
    } finally {
      if (timer) clearInterval(timer);
    }
    const frozen = await this._tell(trial, view, state, value);
    if (error !== null && !isCaught(error, catches)) throw error;
    return frozen;
  }
}

/** A new study (or, with loadIfExists, the existing one of that name in the storage). */
export function createStudy(opts: CreateStudyOptions = {}): Study {
  const op = 'createStudy';
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object`);
  const direction = opts.direction ?? 'minimize';
  if (direction !== 'minimize' && direction !== 'maximize') throw new RangeError(`${op}: direction must be 'minimize' or 'maximize', got ${String(direction)}`);
  const sampler = opts.sampler ?? new TPESampler();
  if (!(sampler instanceof SamplerBase)) throw new TypeError(`${op}: sampler must be a tg.tune sampler (RandomSampler, GridSampler, TPESampler, GPSampler)`);
  const pruner = opts.pruner ?? new MedianPruner();
  if (!(pruner instanceof Pruner)) throw new TypeError(`${op}: pruner must be a tg.tune pruner (MedianPruner, SuccessiveHalvingPruner, NopPruner)`);
  const storage = opts.storage ?? new InMemoryStorage();
  if (storage === null || typeof storage !== 'object' || typeof storage.createTrial !== 'function') throw new TypeError(`${op}: storage must be a tg.tune storage`);
  const studyName = opts.studyName ?? anonymousName();
  if (typeof studyName !== 'string' || studyName === '') throw new TypeError(`${op}: studyName must be a non-empty string`);
  return new Study({ direction, sampler, pruner, storage, studyName, loadIfExists: opts.loadIfExists ?? false });
}

/** The existing study of that name in the storage. */
export async function loadStudy(opts: { studyName: string; storage: Storage; sampler?: Sampler; pruner?: Pruner }): Promise<Study> {
  if (opts === null || typeof opts !== 'object' || typeof opts.studyName !== 'string') throw new TypeError('loadStudy: expected {studyName, storage}');
  const found = await opts.storage.findStudy(opts.studyName);
  if (!found) throw new RangeError(`loadStudy: no study named '${opts.studyName}' in the storage`);
  const s = createStudy({ ...opts, loadIfExists: true });
  await s.refresh();
  return s;
}
