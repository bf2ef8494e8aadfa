// A storage shared by processes through an append-only log of operations (Optuna's journal design):
// every write takes the backend's exclusive lock, first replays what others appended, then appends its
// own operation, so every process replays the same log in the same order and agrees on trial numbers,
// claims and final states. Heartbeats let a process fail the running trials of a worker that died.
import type { Distribution } from '../distributions';
import type { Direction, FrozenTrial } from '../frozen-trial';
import { Op, StudyModel } from './model';
import type { Storage } from './storage';

export interface LogBackend {
  /** The operations appended since the previous call (all of them on the first). */
  readNew(): Promise<Op[]>;
  /** Runs fn holding the exclusive lock; `append` may only be called inside. */
  locked<T>(fn: () => Promise<T>): Promise<T>;
  /** Appends an operation (which the caller applies itself: readNew does not return it again). */
  append(op: Op): Promise<void>;
  close?(): Promise<void>;
}

export interface HeartbeatOptions {
  /** Seconds between heartbeats of a running trial (default 10). */
  heartbeatInterval?: number;
  /** Seconds without a heartbeat after which a running trial is failed (default 2 x heartbeatInterval). */
  gracePeriod?: number;
}

let workerSeq = 0;

export class LogStorage implements Storage {
  private readonly model = new StudyModel();
  readonly heartbeat: { intervalMs: number; graceMs: number };
  private readonly worker = `${process.pid}-${Date.now().toString(36)}-${workerSeq++}`;

  constructor(op: string, private readonly backend: LogBackend, opts: HeartbeatOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object {heartbeatInterval, gracePeriod}`);
    const interval = opts.heartbeatInterval ?? 10;
    if (!(typeof interval === 'number' && interval > 0)) throw new RangeError(`${op}: heartbeatInterval must be a number of seconds > 0, got ${String(interval)}`);
    const grace = opts.gracePeriod ?? 2 * interval;
    if (!(typeof grace === 'number' && grace > interval)) throw new RangeError(`${op}: gracePeriod must be a number of seconds > heartbeatInterval, got ${String(grace)}`);
    this.heartbeat = { intervalMs: interval * 1000, graceMs: grace * 1000 };
  }

  /** One backend call at a time in this process, so a read never races this process's own append. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(() => {}, () => {});
    return run;
  }
  private queue: Promise<void> = Promise.resolve();

  private async catchUp(): Promise<void> {
    for (const o of await this.backend.readNew()) this.model.apply(o);
  }

  private sync(): Promise<void> {
    return this.exclusive(() => this.catchUp());
  }

  /** Appends `make()`'s operation under the lock after catching up; returns whether it took effect, or null if make() gave none. */
  private write(make: () => Op | null): Promise<boolean | null> {
    return this.exclusive(() => this.backend.locked(async () => {
      await this.catchUp();
      const o = make();
      if (o === null) return null;
      await this.backend.append(o);
      return this.model.apply(o);
    }));
  }

  async createStudy(name: string, direction: Direction): Promise<number> {
    let exists = false;
    await this.write(() => ((exists = this.model.studyId(name) !== null) ? null : { op: 'createStudy', name, direction }));
    if (exists) throw new RangeError(`createStudy: a study named '${name}' already exists (pass loadIfExists: true to load it)`);
    return this.model.studyId(name)!;
  }
  async findStudy(name: string): Promise<{ studyId: number; direction: Direction } | null> {
    await this.sync();
    const id = this.model.studyId(name);
    return id === null ? null : { studyId: id, direction: this.model.studies[id].direction };
  }
  async createTrial(studyId: number, opts: { waiting?: boolean; systemAttrs?: Record<string, unknown> } = {}): Promise<number> {
    let id = -1;
    await this.write(() => {
      id = this.model.trials.length;
      return { op: 'createTrial', studyId, state: opts.waiting ? 'waiting' : 'running', time: Date.now(), worker: this.worker, systemAttrs: opts.systemAttrs };
    });
    return id;
  }
  async claimWaitingTrial(studyId: number): Promise<number | null> {
    let id: number | null = null;
    await this.write(() => ((id = this.model.firstWaiting(studyId)) === null ? null : { op: 'claim', trialId: id, time: Date.now(), worker: this.worker }));
    return id;
  }
  async setParam(trialId: number, name: string, dist: Distribution, internal: number): Promise<void> {
    if (dist.kind === 'categorical' && JSON.stringify(JSON.parse(JSON.stringify(dist.choices))) !== JSON.stringify(dist.choices)) {
      throw new TypeError(`suggestCategorical: choices of '${name}' must be JSON values to be kept in a shared storage`);
    }
    await this.write(() => ({ op: 'setParam', trialId, name, dist, internal }));
  }
  async setIntermediateValue(trialId: number, step: number, value: number): Promise<void> {
    await this.write(() => ({ op: 'intermediate', trialId, step, value }));
  }
  async setSystemAttr(trialId: number, key: string, value: unknown): Promise<void> {
    await this.write(() => ({ op: 'systemAttr', trialId, key, value }));
  }
  async finishTrial(trialId: number, state: 'complete' | 'pruned' | 'fail', value: number | null): Promise<boolean> {
    return (await this.write(() => ({ op: 'finish', trialId, state, value, time: Date.now() }))) === true;
  }
  async getTrial(trialId: number): Promise<FrozenTrial> {
    await this.sync();
    return this.model.freeze(trialId);
  }
  async getAllTrials(studyId: number): Promise<FrozenTrial[]> {
    await this.sync();
    return this.model.trialsOf(studyId);
  }
  async recordHeartbeat(trialId: number): Promise<void> {
    await this.write(() => ({ op: 'heartbeat', trialId, time: Date.now() }));
  }
  async failStaleTrials(studyId: number): Promise<number[]> {
    await this.sync();
    const stale = this.model.stale(studyId, Date.now() - this.heartbeat.graceMs);
    const failed: number[] = [];
    for (const id of stale) {
      const reason = `no heartbeat for ${this.heartbeat.graceMs / 1000} s (its worker died)`;
      const isStale = () => this.model.stale(studyId, Date.now() - this.heartbeat.graceMs).includes(id);
      if (!(await this.write(() => (isStale() ? { op: 'systemAttr', trialId: id, key: 'failReason', value: reason } : null)))) continue;
      if (await this.write(() => ({ op: 'finish', trialId: id, state: 'fail', value: null, time: Date.now() }))) failed.push(id);
    }
    return failed;
  }
  async close(): Promise<void> {
    await this.backend.close?.();
  }
}

/** JSON with NaN and +-Infinity kept (a trial's value or an intermediate value may be either). */
export function encodeJson(o: unknown): string {
  return JSON.stringify(o, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v));
}
export function decodeJson<T>(s: string): T {
  return JSON.parse(s, (_k, v) => (v !== null && typeof v === 'object' && typeof v.$num === 'string' && Object.keys(v).length === 1 ? Number(v.$num) : v));
}
export const encodeOp = (o: Op): string => encodeJson(o);
export const decodeOp = (s: string): Op => decodeJson<Op>(s);
