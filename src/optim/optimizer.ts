// Optimizer base: parameter groups with per-group options, lazily created per-parameter state, the
// step loop (skips parameters without a gradient, checks the gradient against its parameter) and
// state dicts. Subclasses supply an option table and one `_update` per parameter, which calls
// `fusedStep`: a single native call that updates the parameter and its state in place.
import { native, OptimKind } from '../native';
import { isFloat } from '../dtype';
import { Tensor } from '../tensor';
import { enableGrad, noGrad } from '../autograd/grad-mode';
import { copyInto } from '../ops/shape';
import { sameShape, shapeStr } from '../shape';
import { clearGrads } from '../nn/module';

/** A parameter group as given to a constructor: its tensors plus options overriding the defaults. */
export interface ParamGroupInput {
  params: Iterable<Tensor> | Tensor;
  [option: string]: unknown;
}
export type ParamsInput = Iterable<Tensor> | Iterable<ParamGroupInput>;

/** A parameter group as the optimizer keeps it: every option filled in (mutable, e.g. `lr`). */
export type ParamGroup<O> = O & { params: Tensor[]; initialLr?: number };

export type StateValue = number | Tensor;
export type ParamState = Record<string, StateValue>;
/** The kinds of per-parameter state entry a state dict may hold (see Optimizer._stateSpec). */
export type StateKind = 'count' | 'unit' | 'tensor' | 'nonNegative';
export interface StateSpec {
  required: Record<string, StateKind>;
  optional?: Record<string, StateKind>;
}

/** `{state: {[paramIndex]: {...}}, paramGroups: [{...options, params: [paramIndex, ...]}]}` */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: Array<Record<string, unknown> & { params: number[] }>;
}

/** Checks one option value; throws with a message naming the optimizer and the option. */
export type OptionCheck = (owner: string, key: string, v: unknown) => void;

import { describe } from '../validate';

function num(owner: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${owner}: ${key} must be a finite number, got ${describe(v)}`);
  }
  return v;
}

export const check = {
  number: ((owner, key, v) => void num(owner, key, v)) as OptionCheck,
  nonNegative: ((owner, key, v) => {
    if (num(owner, key, v) < 0) throw new RangeError(`${owner}: ${key} must be >= 0, got ${v}`);
  }) as OptionCheck,
  positive: ((owner, key, v) => {
    if (num(owner, key, v) <= 0) throw new RangeError(`${owner}: ${key} must be > 0, got ${v}`);
  }) as OptionCheck,
  unit: ((owner, key, v) => {
    const x = num(owner, key, v);
    if (x < 0 || x > 1) throw new RangeError(`${owner}: ${key} must be in [0, 1], got ${v}`);
  }) as OptionCheck,
  boolean: ((owner, key, v) => {
    if (typeof v !== 'boolean') throw new TypeError(`${owner}: ${key} must be a boolean, got ${describe(v)}`);
  }) as OptionCheck,
  betas: ((owner, key, v) => {
    if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${owner}: ${key} must be an array of two numbers, got ${describe(v)}`);
    v.forEach((b, i) => {
      const x = num(owner, `${key}[${i}]`, b);
      if (x < 0 || x >= 1) throw new RangeError(`${owner}: ${key}[${i}] must be in [0, 1), got ${x}`);
    });
  }) as OptionCheck,
};

const learningRate: OptionCheck = (owner, key, v) => {
  if (num(owner, key, v) < 0) throw new RangeError(`${owner}: learning rate ${key} must be >= 0, got ${v}`);
};

export abstract class Optimizer<O extends { lr: number } = { lr: number } & Record<string, unknown>> {
  /** The constructor's options with defaults filled in; groups inherit what they do not override. */
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (step counts, moment buffers), created at a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();
  /** @internal */ readonly _name: string;
  /** @internal */ readonly _spec: Record<string, OptionCheck>;

  protected constructor(name: string, params: ParamsInput, options: unknown, defaults: O, spec: Record<string, OptionCheck>) {
    this._name = name;
    this._spec = { ...spec, lr: learningRate };
    if (options === undefined) options = {};
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`${name}: options must be an object, got ${describe(options)}`);
    }
    const opts = { ...defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(options)) {
      if (!(k in this._spec)) throw new TypeError(`${name}: unknown option '${k}'`);
      if (v !== undefined) opts[k] = k === 'betas' && Array.isArray(v) ? [...v] : v;
    }
    this._checkOptions(opts);
    this.defaults = Object.freeze(opts as O);
    const groups = toGroups(name, params);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group `{params, ...overrides}`; its tensors must not already be in another group. */
  addParamGroup(group: ParamGroupInput): void {
    const name = this._name;
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      throw new TypeError(`${name}: a parameter group must be an object with a 'params' field`);
    }
    const params = group.params instanceof Tensor ? [group.params] : iterableToArray(name, group.params);
    if (params.length === 0) throw new RangeError(`${name}: a parameter group has no parameters`);
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${name}: parameter ${i} of a group is not a Tensor (got ${describe(p)})`);
      if (!isFloat(p.dtype)) throw new TypeError(`${name}: can only optimize float32 and float64 tensors, parameter ${i} is ${p.dtype}`);
      if (!p.isLeaf) throw new TypeError(`${name}: can't optimize a non-leaf tensor (parameter ${i} was made by '${p.gradFn}'); use a leaf, e.g. x.detach().requiresGrad_()`);
      if (seen.has(p)) {
        throw new RangeError(`${name}: parameter ${i} (shape ${shapeStr(p._shape)}) appears more than once in the parameter groups; list each tensor once`);
      }
      seen.add(p);
    });
    const full = { ...this.defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(group)) {
      if (k === 'params') continue;
      if (!(k in this._spec) && k !== 'initialLr') throw new TypeError(`${name}: unknown option '${k}' in a parameter group`);
      if (v !== undefined) full[k] = k === 'betas' && Array.isArray(v) ? [...v] : v;
    }
    this._checkOptions(full);
    full.params = params;
    const g = full as ParamGroup<O>;
    this.paramGroups.push(g);
    this._groupAdded(g);
  }

  /**
   * Updates every parameter that has a gradient, in place. With a closure, it is called first (with
   * grad mode on) to recompute the loss, which is returned.
   */
  step(closure?: () => unknown): unknown {
    let loss: unknown;
    if (closure !== undefined) {
      if (typeof closure !== 'function') throw new TypeError(`${this._name}.step: closure must be a function`);
      loss = enableGrad(closure);
    }
    for (const group of this.paramGroups) {
      this._checkOptions(group as unknown as Record<string, unknown>);
      const params = group.params;
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        const grad = p.grad;
        if (grad === null || grad === undefined) continue;
        if (!(grad instanceof Tensor)) throw new TypeError(`${this._name}.step: the grad of parameter ${i} is not a Tensor`);
        if (grad.dtype !== p.dtype || !sameShape(grad._shape, p._shape)) {
          throw new TypeError(
            `${this._name}.step: parameter ${i} is ${p.dtype} ${shapeStr(p._shape)} but its grad is ${grad.dtype} ${shapeStr(grad._shape)}`,
          );
        }
        let state = this.state.get(p);
        if (state === undefined) {
          state = this._initState(p, group);
          this.state.set(p, state);
        }
        this._update(p, grad, state, group);
      }
    }
    return loss;
  }

  /** Clears gradients: sets them to null (the default) or to zero. */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    const setToNone = opts.setToNone ?? true;
    if (typeof setToNone !== 'boolean') throw new TypeError(`${this._name}.zeroGrad: setToNone must be a boolean`);
    for (const group of this.paramGroups) clearGrads(group.params, setToNone);
  }

  /** Options of each group and per-parameter state (copies), parameters named by their index. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, unknown> & { params: number[] } = { params: [] };
      for (const [k, v] of Object.entries(g)) {
        if (k !== 'params') out[k] = Array.isArray(v) ? [...v] : v;
      }
      for (const p of g.params) {
        if (!index.has(p)) index.set(p, index.size);
        out.params.push(index.get(p) as number);
      }
      return out;
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? cloneData(v) : v;
      state[i] = copy;
    }
    return { state, paramGroups };
  }

  /** Restores options and state saved by `stateDict()` (from an optimizer over tensors of the same shapes). */
  loadStateDict(sd: OptimizerStateDict): void {
    this._prepareLoad(sd)();
  }

  /**
   * @internal Checks a state dict completely (groups, options, every state entry's type, shape,
   * dtype and range) without changing anything, and returns the commit, which cannot fail.
   */
  _prepareLoad(sd: OptimizerStateDict): () => void {
    const name = `${this._name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || sd.state === null || typeof sd.state !== 'object') {
      throw new TypeError(`${name}: expected {state, paramGroups} as returned by stateDict()`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${name}: the state dict has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    const byIndex = new Map<number, Tensor>();
    const groups = sd.paramGroups.map((saved, gi) => {
      const mine = this.paramGroups[gi];
      if (saved === null || typeof saved !== 'object' || !Array.isArray(saved.params)) {
        throw new TypeError(`${name}: parameter group ${gi} must be an object with a params array`);
      }
      if (saved.params.length !== mine.params.length) {
        throw new RangeError(`${name}: parameter group ${gi} has ${saved.params.length} parameters in the state dict, ${mine.params.length} here`);
      }
      saved.params.forEach((idx, j) => {
        if (!Number.isSafeInteger(idx) || idx < 0 || byIndex.has(idx)) {
          throw new RangeError(`${name}: bad or repeated parameter index ${typeof idx === 'number' ? idx : `(a ${typeof idx})`} in group ${gi}`);
        }
        byIndex.set(idx, mine.params[j]);
      });
      const full: Record<string, unknown> = { ...mine };
      for (const [k, v] of Object.entries(saved)) {
        if (k === 'params') continue;
        if (!(k in this._spec) && k !== 'initialLr') throw new TypeError(`${name}: unknown option '${k}' in parameter group ${gi}`);
        full[k] = Array.isArray(v) ? [...v] : v;
      }
      this._checkOptions(full, name);
      if (full.initialLr !== undefined) learningRate(name, 'initialLr', full.initialLr);
      full.params = mine.params;
      return full as ParamGroup<O>;
    });
    const state = new Map<Tensor, ParamState>();
    for (const [key, saved] of Object.entries(sd.state)) {
      const p = /^(0|[1-9][0-9]{0,15})$/.test(key) ? byIndex.get(Number(key)) : undefined;
      if (p === undefined) throw new RangeError(`${name}: state for parameter index '${key.length > 20 ? `${key.slice(0, 20)}...` : key}', which no group lists`);
      if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) throw new TypeError(`${name}: state of parameter ${key} must be an object`);
      const group = groups.find((g) => g.params.includes(p))!;
      state.set(p, this._loadParamState(name, key, saved, p, group));
    }
    if (this._statePerParameter) {
      byIndex.forEach((p, i) => {
        if (!state.has(p)) throw new RangeError(`${name}: the state dict has no state for parameter ${i}, which ${this._name} keeps for every parameter`);
      });
    }
    return () => {
      groups.forEach((g, i) => {
        this.paramGroups[i] = g;
      });
      this.state.clear();
      for (const [p, s] of state) this.state.set(p, s);
    };
  }

  /** Checks one parameter's saved state against `_stateSpec` and copies its tensors (as the parameter's dtype). */
  private _loadParamState(name: string, key: string, saved: Record<string, unknown>, p: Tensor, group: ParamGroup<O>): ParamState {
    const { required, optional = {} } = this._stateSpec(group);
    const spec: Record<string, StateKind | undefined> = { ...optional, ...required };
    const s: ParamState = {};
    const where = (k: string) => `state '${k}' of parameter ${key}`;
    for (const [k, v] of Object.entries(saved)) {
      const kind = Object.hasOwn(spec, k) ? spec[k] : undefined;
      if (kind === undefined) {
        const known = Object.keys(spec);
        throw new TypeError(`${name}: unknown ${where(k)} (${this._name} keeps ${known.length ? known.map((x) => `'${x}'`).join(', ') : 'no state'})`);
      }
      if (kind === 'count') {
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
          throw new TypeError(`${name}: ${where(k)} must be a non-negative integer, got ${typeof v === 'number' ? v : `a ${v === null ? 'null' : typeof v}`}`);
        }
        s[k] = v;
      } else if (kind === 'unit') {
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
          throw new TypeError(`${name}: ${where(k)} must be a number in [0, 1], got ${typeof v === 'number' ? v : `a ${v === null ? 'null' : typeof v}`}`);
        }
        s[k] = v;
      } else {
        if (!(v instanceof Tensor)) throw new TypeError(`${name}: ${where(k)} must be a Tensor, got ${v === null ? 'null' : `a ${typeof v}`}`);
        if (!sameShape(v._shape, p._shape)) {
          throw new RangeError(`${name}: ${where(k)} has shape ${shapeStr(v._shape)}, the parameter ${shapeStr(p._shape)}`);
        }
        if (!isFloat(v.dtype)) throw new TypeError(`${name}: ${where(k)} is ${v.dtype}, expected a float tensor`);
        const t = Tensor._empty(p._shape, p.dtype);
        noGrad(() => copyInto(t, v));
        if (kind === 'nonNegative') {
          const d = t._st.data;
          for (let i = 0; i < t.size; i++) {
            if (!(d[i] >= 0)) throw new RangeError(`${name}: ${where(k)} must be >= 0 everywhere (it is a running average of squares), element ${i} is ${d[i]}`);
          }
        }
        s[k] = t;
      }
    }
    for (const k of Object.keys(required)) {
      if (!(k in s)) {
        throw new RangeError(`${name}: ${where(k)} is missing (the state dict's parameter ${key} has ${Object.keys(s).map((x) => `'${x}'`).join(', ') || 'no entries'})`);
      }
    }
    return s;
  }

  /**
   * The per-parameter state entries a loaded state may hold: 'count' (a step count), 'unit' (a
   * number in [0, 1], e.g. NAdam's product of momentum factors, which underflows to 0), 'tensor'
   * (shaped like the parameter) or 'nonNegative' (such a tensor, >= 0);
   * required ones are those `_update` reads, optional ones those it creates when missing.
   */
  protected _stateSpec(_group: ParamGroup<O>): StateSpec {
    return { required: { step: 'count' } };
  }
  /** Adagrad creates every parameter's state up front, so a loaded state must have each one. */
  protected readonly _statePerParameter: boolean = false;

  /** @internal */
  _checkOptions(opts: Record<string, unknown>, owner = this._name): void {
    for (const [k, c] of Object.entries(this._spec)) c(owner, k, opts[k]);
    this._checkCombination(opts as unknown as O, owner);
  }

  /** Cross-option rules (e.g. nesterov needs momentum). */
  protected _checkCombination(_opts: O, _owner: string): void {}
  /** Called when a group is added (Adagrad creates its state there, as PyTorch does). */
  protected _groupAdded(_group: ParamGroup<O>): void {}
  protected abstract _initState(p: Tensor, group: ParamGroup<O>): ParamState;
  protected abstract _update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;
}

/** A state buffer: a new zero-filled contiguous tensor shaped like the parameter. */
export function stateBuffer(p: Tensor, fill = 0): Tensor {
  const t = fill === 0 ? Tensor._zeros(p._shape, p.dtype) : Tensor._empty(p._shape, p.dtype);
  if (fill !== 0) t._fill(fill);
  return t;
}

/** Reads a state entry that must be a tensor (loaded states are checked here, at first use). */
export function stateTensor(owner: string, s: ParamState, key: string): Tensor {
  const v = s[key];
  if (!(v instanceof Tensor)) throw new TypeError(`${owner}.step: the state has no '${key}' tensor (was a state dict from other options loaded?)`);
  return v;
}

export function stateNumber(owner: string, s: ParamState, key: string): number {
  const v = s[key];
  if (typeof v !== 'number') throw new TypeError(`${owner}.step: the state has no '${key}' number`);
  return v;
}

/** Counts one more step in the state (its 'step' entry) and returns the new count. */
export function nextStep(owner: string, s: ParamState): number {
  const step = stateNumber(owner, s, 'step') + 1;
  s.step = step;
  return step;
}

const hpCache: Float64Array[] = [];

/**
 * One native call: reads `grad`, updates `p` and the state tensors in place, bumps p's version.
 * Handles a non-contiguous gradient (copied) or parameter (updated through a contiguous copy).
 */
export function fusedStep(owner: string, kind: OptimKind, p: Tensor, grad: Tensor, states: (Tensor | null)[], hp: readonly number[]): void {
  for (let i = 0; i < hp.length; i++) {
    // Finite options can still overflow (lr / (1 - beta1^t) with a huge lr): name the optimizer, not the kernel.
    if (!Number.isFinite(hp[i])) {
      throw new RangeError(`${owner}.step: the options give a non-finite update coefficient (${hp[i]}, from lr and the other options of this group); use a smaller lr`);
    }
  }
  let g = grad;
  if (!g.isContiguous() || g._st === p._st) g = noGrad(() => g.clone());
  const target = p.isContiguous() ? p : Tensor._empty(p._shape, p.dtype);
  if (target !== p) copyInto(target, p);
  let buf = hpCache[hp.length];
  if (!buf) buf = hpCache[hp.length] = new Float64Array(hp.length);
  for (let i = 0; i < hp.length; i++) buf[i] = hp[i];
  const data = (t: Tensor | null | undefined) => (t ? t._st.data : null);
  native.optimStep(kind, target._st.data, target._off, g._st.data, g._off, p.size, data(states[0]), data(states[1]), data(states[2]), buf);
  if (target !== p) copyInto(p, target);
  p._bump();
}

function iterableToArray(owner: string, x: unknown): Tensor[] {
  if (x === null || typeof x !== 'object' || typeof (x as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${owner}: params must be an iterable of Tensors or of parameter groups {params, ...options}, got ${describe(x)}`);
  }
  return Array.from(x as Iterable<Tensor>);
}

function toGroups(owner: string, params: unknown): ParamGroupInput[] {
  if (params instanceof Tensor) {
    throw new TypeError(`${owner}: params must be an iterable of Tensors or of parameter groups, got a single Tensor (wrap it in an array)`);
  }
  const items = iterableToArray(owner, params) as unknown[];
  if (items.length === 0) throw new RangeError(`${owner}: got an empty parameter list`);
  if (items.every((x) => x instanceof Tensor)) return [{ params: items as Tensor[] }];
  items.forEach((x, i) => {
    if (x instanceof Tensor || x === null || typeof x !== 'object' || !('params' in x)) {
      throw new TypeError(`${owner}: params mixes Tensors and parameter groups, or item ${i} is neither (got ${describe(x)})`);
    }
  });
  return items as ParamGroupInput[];
}

function cloneData(t: Tensor): Tensor {
  const out = Tensor._empty(t._shape, t.dtype);
  copyInto(out, t);
  return out;
}
