// Studies and trials as a log of operations: the in-memory storage applies each operation as it is
// made, the journal storage replays the file's operations in file order, so every process that reads
// the same log holds the same studies. Operations that change a trial's state are conditional
// (a claim succeeds only on a waiting trial, a finish only on a running one): the first in the log wins.
import type { Distribution } from '../distributions';
import { toExternal } from '../distributions';
import type { Direction, FrozenTrial, TrialState } from '../frozen-trial';

export type Op =
  | { op: 'createStudy'; name: string; direction: Direction }
  | { op: 'createTrial'; studyId: number; state: 'running' | 'waiting'; time: number; worker: string; systemAttrs?: Record<string, unknown> }
  | { op: 'claim'; trialId: number; time: number; worker: string }
  | { op: 'setParam'; trialId: number; name: string; dist: Distribution; internal: number }
  | { op: 'intermediate'; trialId: number; step: number; value: number }
  | { op: 'systemAttr'; trialId: number; key: string; value: unknown }
  | { op: 'heartbeat'; trialId: number; time: number }
  | { op: 'finish'; trialId: number; state: 'complete' | 'pruned' | 'fail'; value: number | null; time: number };

interface TrialRecord extends FrozenTrial {
  studyId: number;
  worker: string;
  heartbeat: number;
}

export interface StudyRecord {
  name: string;
  direction: Direction;
  trialIds: number[];
}

export class StudyModel {
  readonly studies: StudyRecord[] = [];
  readonly trials: TrialRecord[] = [];

  /** Applies one operation; returns false when a conditional one did not take effect. */
  apply(o: Op): boolean {
    switch (o.op) {
      case 'createStudy':
        if (this.studies.some((s) => s.name === o.name)) return false;
        this.studies.push({ name: o.name, direction: o.direction, trialIds: [] });
        return true;
      case 'createTrial': {
        const study = this.studies[o.studyId];
        const t: TrialRecord = {
          number: study.trialIds.length, trialId: this.trials.length, studyId: o.studyId, state: o.state, value: null,
          params: {}, distributions: {}, internalParams: {}, intermediateValues: new Map(),
          datetimeStart: o.state === 'running' ? new Date(o.time) : null, datetimeComplete: null,
          systemAttrs: { ...(o.systemAttrs ?? {}) }, worker: o.worker, heartbeat: o.time,
        };
        this.trials.push(t);
        study.trialIds.push(t.trialId);
        return true;
      }
      case 'claim': {
        const t = this.trials[o.trialId];
        if (t.state !== 'waiting') return false;
        t.state = 'running';
        t.worker = o.worker;
        t.datetimeStart = new Date(o.time);
        t.heartbeat = o.time;
        return true;
      }
      case 'finish': {
        const t = this.trials[o.trialId];
        if (t.state !== 'running') return false;
        t.state = o.state;
        t.value = o.value;
        t.datetimeComplete = new Date(o.time);
        return true;
      }
      default: {
        const t = this.trials[o.trialId];
        if (t.state !== 'running' && t.state !== 'waiting') return false;
        if (o.op === 'setParam') {
          t.distributions[o.name] = o.dist;
          t.internalParams[o.name] = o.internal;
          t.params[o.name] = toExternal(o.dist, o.internal);
        } else if (o.op === 'intermediate') t.intermediateValues.set(o.step, o.value);
        else if (o.op === 'systemAttr') t.systemAttrs[o.key] = o.value;
        else t.heartbeat = o.time;
        return true;
      }
    }
  }

  studyId(name: string): number | null {
    const i = this.studies.findIndex((s) => s.name === name);
    return i < 0 ? null : i;
  }

  freeze(trialId: number): FrozenTrial {
    const t = this.trials[trialId];
    return {
      number: t.number, trialId: t.trialId, state: t.state, value: t.value, params: { ...t.params },
      distributions: { ...t.distributions }, internalParams: { ...t.internalParams },
      intermediateValues: new Map(t.intermediateValues), datetimeStart: t.datetimeStart, datetimeComplete: t.datetimeComplete,
      systemAttrs: { ...t.systemAttrs },
    };
  }

  trialsOf(studyId: number): FrozenTrial[] {
    return this.studies[studyId].trialIds.map((id) => this.freeze(id));
  }

  /** Running trials of the study whose last heartbeat is older than `before` (ms since epoch). */
  stale(studyId: number, before: number): number[] {
    return this.studies[studyId].trialIds.filter((id) => this.trials[id].state === 'running' && this.trials[id].heartbeat < before);
  }

  firstWaiting(studyId: number): number | null {
    return this.studies[studyId].trialIds.find((id) => this.trials[id].state === 'waiting') ?? null;
  }

  workerOf(trialId: number): string {
    return this.trials[trialId].worker;
  }

  stateOf(trialId: number): TrialState {
    return this.trials[trialId].state;
  }
}
