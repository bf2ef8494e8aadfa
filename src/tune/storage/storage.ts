// What a study needs from a storage. Every method may be asynchronous (a database), so studies await
// them; the in-memory and journal storages answer at once.
import type { Distribution } from '../distributions';
import type { Direction, FrozenTrial } from '../frozen-trial';

export type MaybePromise<T> = T | Promise<T>;

export interface Storage {
  /** Creates a study; throws a RangeError naming it when one of that name exists. */
  createStudy(name: string, direction: Direction): MaybePromise<number>;
  /** The study's id and direction, or null when there is none of that name. */
  findStudy(name: string): MaybePromise<{ studyId: number; direction: Direction } | null>;
  /** A new running trial (or a waiting one, for enqueueTrial); returns its trialId. */
  createTrial(studyId: number, opts?: { waiting?: boolean; systemAttrs?: Record<string, unknown> }): MaybePromise<number>;
  /** Atomically turns the oldest waiting trial into a running one owned by this worker; its id or null. */
  claimWaitingTrial(studyId: number): MaybePromise<number | null>;
  setParam(trialId: number, name: string, dist: Distribution, internal: number): MaybePromise<void>;
  setIntermediateValue(trialId: number, step: number, value: number): MaybePromise<void>;
  setSystemAttr(trialId: number, key: string, value: unknown): MaybePromise<void>;
  /** Ends a running trial; false when it was no longer running (failed meanwhile as stale). */
  finishTrial(trialId: number, state: 'complete' | 'pruned' | 'fail', value: number | null): MaybePromise<boolean>;
  getTrial(trialId: number): MaybePromise<FrozenTrial>;
  getAllTrials(studyId: number): MaybePromise<FrozenTrial[]>;
  /** Heartbeats, for storages shared by processes that may die: interval and grace period in ms. */
  readonly heartbeat?: { intervalMs: number; graceMs: number };
  recordHeartbeat?(trialId: number): MaybePromise<void>;
  /** Marks running trials without a heartbeat for graceMs as failed; returns their ids. */
  failStaleTrials?(studyId: number): MaybePromise<number[]>;
  close?(): MaybePromise<void>;
}
