// The live trial an objective receives: suggestions, reports and the pruning question.
import {
  Distribution, SuggestOptions, categoricalDistribution, contains, describe, floatDistribution, intDistribution,
  isSingle, sameDistribution, toExternal, toInternal,
} from './distributions';
import type { FrozenTrial } from './frozen-trial';
import { intAtLeast } from './validate';
import type { StudyView } from './samplers/sampler';
import type { Study } from './study';

export class Trial {
  /** @internal */ readonly _pending: Promise<unknown>[] = [];
  private readonly relativeParams: Record<string, number>;

  /** @internal */
  constructor(
    private readonly study: Study,
    /** @internal */ readonly _frozen: FrozenTrial,
    private readonly view: StudyView,
    private readonly relativeSpace: Record<string, Distribution>,
    relativeParams: Record<string, number>,
  ) {
    this.relativeParams = relativeParams;
  }

  get number(): number {
    return this._frozen.number;
  }
  /** The parameters suggested so far. */
  get params(): Record<string, unknown> {
    return { ...this._frozen.params };
  }
  get distributions(): Record<string, Distribution> {
    return { ...this._frozen.distributions };
  }

  suggestFloat(name: string, low: number, high: number, opts?: SuggestOptions): number {
    return this._suggest('suggestFloat', name, floatDistribution('suggestFloat', low, high, opts)) as number;
  }
  suggestInt(name: string, low: number, high: number, opts?: SuggestOptions): number {
    return this._suggest('suggestInt', name, intDistribution('suggestInt', low, high, opts)) as number;
  }
  suggestCategorical<T>(name: string, choices: readonly T[]): T {
    return this._suggest('suggestCategorical', name, categoricalDistribution('suggestCategorical', choices)) as T;
  }

  /** @internal */
  _suggest(op: string, name: string, dist: Distribution): unknown {
    if (typeof name !== 'string' || name === '') throw new TypeError(`${op}: name must be a non-empty string`);
    const f = this._frozen;
    if (name in f.distributions) {
      if (!sameDistribution(f.distributions[name], dist)) {
        throw new RangeError(`${op}: parameter '${name}' was suggested before as ${describe(f.distributions[name])}, now as ${describe(dist)}`);
      }
      return f.params[name];
    }
    let internal: number;
    const fixed = f.systemAttrs.fixedParams as Record<string, unknown> | undefined;
    if (fixed && name in fixed) {
      internal = toInternal(dist, fixed[name]);
      if (!contains(dist, internal)) throw new RangeError(`${op}: enqueued value ${JSON.stringify(fixed[name])} of '${name}' is not in ${describe(dist)}`);
    } else if (isSingle(dist)) {
      internal = dist.kind === 'categorical' ? 0 : dist.low;
    } else if (name in this.relativeParams && name in this.relativeSpace && sameDistribution(this.relativeSpace[name], dist)) {
      internal = this.relativeParams[name];
    } else {
      internal = this.study.sampler.sampleIndependent(this.view, f, name, dist);
    }
    f.distributions[name] = dist;
    f.internalParams[name] = internal;
    f.params[name] = toExternal(dist, internal);
    this.track(this.study.storage.setParam(f.trialId, name, dist, internal));
    return f.params[name];
  }

  /** Reports the objective's intermediate value at `step` (an integer >= 0), for pruners and plots. */
  report(value: number, step: number): void {
    if (typeof value !== 'number') throw new TypeError(`report: value must be a number, got ${typeof value}`);
    intAtLeast('report', 'step', step, 0);
    const f = this._frozen;
    if (f.intermediateValues.has(step)) return; // Optuna keeps the first value reported for a step
    f.intermediateValues.set(step, value);
    this.track(this.study.storage.setIntermediateValue(f.trialId, step, value));
    if (this.study.storage.recordHeartbeat) this.track(this.study.storage.recordHeartbeat(f.trialId));
  }

  /** Whether the study's pruner would stop this trial now, from the values reported so far. */
  shouldPrune(): boolean {
    return this.study.pruner.prune(this.view, this._frozen, (k, v) => this._setSystemAttr(k, v));
  }

  /** @internal */
  _setSystemAttr(key: string, value: unknown): void {
    this._frozen.systemAttrs[key] = value;
    this.track(this.study.storage.setSystemAttr(this._frozen.trialId, key, value));
  }

  private track(r: unknown): void {
    if (r instanceof Promise) {
      r.catch(() => {}); // awaited (and thrown) when the trial ends
      this._pending.push(r);
    }
  }
}
