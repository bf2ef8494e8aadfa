// Every combination of the given values, the last parameter varying fastest. Each trial takes the
// first grid point no other trial has taken (finished or running), so workers sharing a study split
// the grid between them; the study stops once every point is taken.
import type { Distribution } from '../distributions';
import type { FrozenTrial } from '../frozen-trial';
import { Sampler, StudyView } from './sampler';

const GRID_ID = 'grid:id';

export class GridSampler extends Sampler {
  private readonly names: string[];
  private readonly values: unknown[][];
  readonly size: number;
  private current = new Map<number, number>();

  constructor(space: Record<string, readonly unknown[]>) {
    super();
    if (space === null || typeof space !== 'object' || Array.isArray(space)) throw new TypeError('GridSampler: space must be an object of value arrays');
    this.names = Object.keys(space);
    for (const k of this.names) {
      if (!Array.isArray(space[k]) || space[k].length === 0) throw new TypeError(`GridSampler: space.${k} must be a non-empty array of values`);
    }
    this.values = this.names.map((k) => space[k].slice());
    this.size = this.values.reduce((p, v) => p * v.length, 1);
  }

  /** The values of grid point `id` (last parameter fastest). */
  point(id: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = this.names.length - 1; i >= 0; i--) {
      const n = this.values[i].length;
      out[this.names[i]] = this.values[i][id % n];
      id = Math.floor(id / n);
    }
    return out;
  }

  override beforeTrial(study: StudyView, trial: FrozenTrial): void {
    const taken = new Set<number>();
    for (const t of study.trials) if (typeof t.systemAttrs[GRID_ID] === 'number') taken.add(t.systemAttrs[GRID_ID] as number);
    let id = 0;
    while (id < this.size && taken.has(id)) id++;
    if (id >= this.size) id = 0; // every point taken: this trial repeats the first one, and the study stops
    if (taken.size + 1 >= this.size) study.stop();
    trial.systemAttrs[GRID_ID] = id;
    this.current.set(trial.trialId, id);
  }

  /** The grid id this sampler gave to the trial (a system attribute, so the storage keeps it). */
  static gridIdKey = GRID_ID;

  override sampleIndependent(_s: StudyView, trial: FrozenTrial, name: string, dist: Distribution): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new RangeError(`GridSampler: parameter '${name}' is not in the grid (${this.names.join(', ')})`);
    const id = this.current.get(trial.trialId) ?? (trial.systemAttrs[GRID_ID] as number);
    const v = this.point(id)[name];
    if (dist.kind === 'categorical') {
      const k = dist.choices.findIndex((c) => Object.is(c, v));
      if (k < 0) throw new RangeError(`GridSampler: grid value ${JSON.stringify(v)} of '${name}' is not among the suggested choices`);
      return k;
    }
    if (typeof v !== 'number' || v < dist.low || v > dist.high) throw new RangeError(`GridSampler: grid value ${JSON.stringify(v)} of '${name}' is outside [${dist.low}, ${dist.high}]`);
    return v;
  }

  override afterTrial(_s: StudyView, trial: FrozenTrial): void {
    this.current.delete(trial.trialId);
  }
}
