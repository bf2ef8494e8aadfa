// The default storage: one process, nothing kept after it ends.
import type { Distribution } from '../distributions';
import type { Direction, FrozenTrial } from '../frozen-trial';
import { StudyModel } from './model';
import type { Storage } from './storage';

export class InMemoryStorage implements Storage {
  private readonly model = new StudyModel();

  createStudy(name: string, direction: Direction): number {
    if (!this.model.apply({ op: 'createStudy', name, direction })) throw new RangeError(`createStudy: a study named '${name}' already exists (pass loadIfExists: true to load it)`);
    return this.model.studies.length - 1;
  }
  findStudy(name: string): { studyId: number; direction: Direction } | null {
    const id = this.model.studyId(name);
    return id === null ? null : { studyId: id, direction: this.model.studies[id].direction };
  }
  createTrial(studyId: number, opts: { waiting?: boolean; systemAttrs?: Record<string, unknown> } = {}): number {
    this.model.apply({ op: 'createTrial', studyId, state: opts.waiting ? 'waiting' : 'running', time: Date.now(), worker: 'memory', systemAttrs: opts.systemAttrs });
    return this.model.trials.length - 1;
  }
  claimWaitingTrial(studyId: number): number | null {
    const id = this.model.firstWaiting(studyId);
    if (id === null) return null;
    this.model.apply({ op: 'claim', trialId: id, time: Date.now(), worker: 'memory' });
    return id;
  }
  setParam(trialId: number, name: string, dist: Distribution, internal: number): void {
    this.model.apply({ op: 'setParam', trialId, name, dist, internal });
  }
  setIntermediateValue(trialId: number, step: number, value: number): void {
    this.model.apply({ op: 'intermediate', trialId, step, value });
  }
  setSystemAttr(trialId: number, key: string, value: unknown): void {
    this.model.apply({ op: 'systemAttr', trialId, key, value });
  }
  finishTrial(trialId: number, state: 'complete' | 'pruned' | 'fail', value: number | null): boolean {
    return this.model.apply({ op: 'finish', trialId, state, value, time: Date.now() });
  }
  getTrial(trialId: number): FrozenTrial {
    return this.model.freeze(trialId);
  }
  getAllTrials(studyId: number): FrozenTrial[] {
    return this.model.trialsOf(studyId);
  }
}
