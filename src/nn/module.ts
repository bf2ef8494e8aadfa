// Module and Parameter: parameters, buffers and submodules are discovered from a module's fields in
// declaration order (arrays of modules or parameters too) and named with PyTorch's dotted paths.
import { DType, isFloat } from '../dtype';
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad-mode';
import { shapeStr } from '../shape';
import { describe } from '../validate';

/** A tensor that a Module reports as a parameter. It shares the storage of the tensor it is made from. */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    if (!(data instanceof Tensor)) {
      throw new TypeError(`Parameter: data must be a Tensor, got ${describe(data)}`);
    }
    if (typeof requiresGrad !== 'boolean') throw new TypeError('Parameter: requiresGrad must be a boolean');
    super(data._st, data._shape, data._strides, data._off, data.dtype);
    if (requiresGrad) this.requiresGrad_(true);
  }
}

export interface StateDictOptions {
  /** Prepended to every key. */
  prefix?: string;
  /** Return the parameters themselves instead of detached views of them. */
  keepVars?: boolean;
}

export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default true); shape and dtype mismatches always are. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export type StateDict = Record<string, Tensor>;

interface OwnEntries {
  params: [string, Parameter][];
  buffers: [string, Tensor | null][];
  children: [string, Module][];
}

const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

const moduleName = (m: Module): string => m.constructor.name || 'Module';

/**
 * Base class of every layer and model. Subclass it, assign `Parameter`s, submodules (or arrays of either)
 * to fields, register buffers with `registerBuffer`, and write `forward`.
 */
export class Module {
  /** True in training mode (the default), false after `eval()`. */
  training = true;
  /** @internal Names of the fields that hold buffers. */
  declare _bufferNames: Set<string>;
  /** @internal Buffers left out of the state dict. */
  declare _nonPersistent: Set<string>;

  constructor() {
    // Non-enumerable, so that printing a module shows its layers rather than bookkeeping.
    Object.defineProperty(this, '_bufferNames', { value: new Set<string>(), enumerable: false, writable: true });
    Object.defineProperty(this, '_nonPersistent', { value: new Set<string>(), enumerable: false, writable: true });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  forward(..._args: any[]): any {
    throw new Error(`${moduleName(this)}: subclasses of Module must define forward()`);
  }

  /** Same as `forward(...)` (JavaScript objects cannot be called like PyTorch modules). */
  call(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    return this.forward(...args);
  }

  /**
   * Registers a buffer: a tensor that is part of the module's state (it moves with `to()` and, unless
   * `persistent: false`, appears in the state dict) but is not a parameter. It is stored as the field `name`.
   */
  registerBuffer(name: string, tensor: Tensor | null, opts: { persistent?: boolean } = {}): void {
    checkName('registerBuffer', this, name);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new TypeError(`registerBuffer: buffer '${name}' must be a Tensor or null`);
    }
    if (tensor instanceof Parameter) {
      throw new TypeError(`registerBuffer: '${name}' is a Parameter; assign parameters to fields instead`);
    }
    const cur = (this as Record<string, unknown>)[name];
    if (name in this && !this._bufferNames.has(name) && cur !== undefined && cur !== null) {
      throw new Error(`registerBuffer: ${moduleName(this)} already has a field '${name}'`);
    }
    (this as Record<string, unknown>)[name] = tensor;
    this._bufferNames.add(name);
    if (opts.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
  }

  /** Assigns a parameter (or null) to the field `name`, as `register_parameter` does. */
  registerParameter(name: string, param: Parameter | null): void {
    checkName('registerParameter', this, name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`registerParameter: '${name}' must be a tg.nn.Parameter or null (wrap tensors with new tg.nn.Parameter(t))`);
    }
    if (this._bufferNames.has(name)) throw new Error(`registerParameter: '${name}' is already a buffer`);
    (this as Record<string, unknown>)[name] = param;
  }

  /** Assigns a submodule (or null) to the field `name`. */
  registerModule(name: string, module: Module | null): void {
    checkName('registerModule', this, name);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`registerModule: '${name}' must be a Module or null`);
    (this as Record<string, unknown>)[name] = module;
  }

  /** @internal This module's own parameters, buffers and children, in field order. */
  _own(): OwnEntries {
    const out: OwnEntries = { params: [], buffers: [], children: [] };
    const self = this as Record<string, unknown>;
    const visit = (name: string, v: unknown): void => {
      if (v instanceof Parameter) out.params.push([name, v]);
      else if (v instanceof Module) out.children.push([name, v]);
    };
    for (const key of Object.keys(this)) {
      const v = self[key];
      if (this._bufferNames.has(key)) {
        out.buffers.push([key, v instanceof Tensor ? v : null]);
      } else if (Array.isArray(v)) {
        v.forEach((e, i) => visit(`${key}.${i}`, e));
      } else {
        visit(key, v);
      }
    }
    return out;
  }

  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [n, m] of this._own().children) {
      if (seen.has(m)) continue;
      seen.add(m);
      yield [n, m];
    }
  }

  *children(): Generator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and every submodule, depth first in field order, each once. */
  *namedModules(prefix = '', memo: Set<Module> = new Set()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [n, m] of this._own().children) yield* m.namedModules(join(prefix, n), memo);
  }

  *modules(): Generator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Parameters with their dotted names (`layers.0.weight`); a shared parameter is listed once. */
  *namedParameters(opts: { prefix?: string; recurse?: boolean } = {}): Generator<[string, Parameter]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = opts.recurse === false ? [[opts.prefix ?? '', this]] : this.namedModules(opts.prefix ?? '');
    for (const [mp, m] of mods) {
      for (const [n, p] of m._own().params) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield [join(mp, n), p];
      }
    }
  }

  *parameters(recurse = true): Generator<Parameter> {
    for (const [, p] of this.namedParameters({ recurse })) yield p;
  }

  *namedBuffers(opts: { prefix?: string; recurse?: boolean } = {}): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = opts.recurse === false ? [[opts.prefix ?? '', this]] : this.namedModules(opts.prefix ?? '');
    for (const [mp, m] of mods) {
      for (const [n, b] of m._own().buffers) {
        if (b === null || seen.has(b)) continue;
        seen.add(b);
        yield [join(mp, n), b];
      }
    }
  }

  *buffers(recurse = true): Generator<Tensor> {
    for (const [, b] of this.namedBuffers({ recurse })) yield b;
  }

  /** Sets training mode on this module and every submodule. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`train: mode must be a boolean, got ${typeof mode}`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of every parameter: sets them to null (default) or to zeros. */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    clearGrads(this.parameters(), opts.setToNone ?? true);
  }

  /** The number of scalar parameters (shared parameters counted once). */
  numParameters(opts: { onlyTrainable?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!opts.onlyTrainable || p.requiresGrad) n += p.size;
    return n;
  }

  /** Calls fn on every submodule (children first) and then on this module, as PyTorch's `apply`. */
  apply(fn: (m: Module) => void): this {
    if (typeof fn !== 'function') throw new TypeError('apply: expected a function');
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** @internal Entries of the state dict (parameters, persistent buffers, then children's), not deduplicated. */
  _stateEntries(prefix: string, out: [string, Tensor][]): [string, Tensor][] {
    const own = this._own();
    for (const [n, p] of own.params) out.push([prefix + n, p]);
    for (const [n, b] of own.buffers) if (b !== null && !this._nonPersistent.has(n)) out.push([prefix + n, b]);
    for (const [n, c] of own.children) c._stateEntries(`${prefix}${n}.`, out);
    return out;
  }

  /**
   * Parameters and persistent buffers by dotted name. The tensors share storage with the module's
   * (detached, as in PyTorch): clone them to keep a snapshot.
   */
  stateDict(opts: StateDictOptions = {}): StateDict {
    const prefix = opts.prefix ?? '';
    const sd: StateDict = {};
    for (const [k, t] of this._stateEntries(prefix, [])) sd[k] = opts.keepVars ? t : t.detach();
    return sd;
  }

  /**
   * Copies a state dict into this module's parameters and buffers (in place, so optimizers keep
   * working). Shapes and dtypes must match; with `strict` (default) the keys must match exactly.
   * Nothing is copied when any check fails.
   */
  loadStateDict(stateDict: StateDict | Map<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const load = this._prepareLoad(stateDict, opts);
    load.commit();
    return load.result;
  }

  /**
   * @internal Checks a state dict against this module without changing anything; `commit()` then
   * copies it in and cannot fail (loadCheckpoint checks everything before committing anything).
   */
  _prepareLoad(stateDict: StateDict | Map<string, Tensor>, opts: LoadStateDictOptions | null = {}): { commit: () => void; result: LoadStateDictResult } {
    const strict = opts?.strict ?? true;
    if (typeof strict !== 'boolean') throw new TypeError('loadStateDict: strict must be a boolean');
    let entries: [string, unknown][];
    if (stateDict instanceof Map) entries = [...stateDict.entries()];
    else if (stateDict !== null && typeof stateDict === 'object' && !Array.isArray(stateDict) && !(stateDict instanceof Tensor)) {
      entries = Object.entries(stateDict);
    } else {
      throw new TypeError(`loadStateDict: expected an object (or Map) of tensors by name, got ${describe(stateDict)}`);
    }
    const given = new Map(entries);
    const expected = this._stateEntries('', []);
    const expectedKeys = new Set(expected.map(([k]) => k));
    const missingKeys = expected.map(([k]) => k).filter((k) => !given.has(k));
    const unexpectedKeys = entries.map(([k]) => k).filter((k) => !expectedKeys.has(k));
    const typeErrors: string[] = [];
    const mismatches: string[] = [];
    const copies: [Tensor, Tensor][] = [];
    for (const [k, target] of expected) {
      if (!given.has(k)) continue;
      const src = given.get(k);
      if (!(src instanceof Tensor)) {
        typeErrors.push(`'${k}' is ${src === null ? 'null' : typeof src}, not a Tensor`);
        continue;
      }
      if (shapeStr(src._shape) !== shapeStr(target._shape)) {
        mismatches.push(`size mismatch for '${k}': the state dict has shape ${shapeStr(src._shape)}, the model has ${shapeStr(target._shape)}`);
      } else if (src.dtype !== target.dtype) {
        mismatches.push(`dtype mismatch for '${k}': the state dict has ${src.dtype}, the model has ${target.dtype} (convert the model with to('${src.dtype}') or the tensor with to('${target.dtype}'))`);
      } else if (target._strides.some((st, d) => st === 0 && target._shape[d] > 1)) {
        mismatches.push(`'${k}' of the model is an expanded view (stride 0), which cannot be written in place`);
      } else {
        copies.push([target, src]);
      }
    }
    const problems = [...typeErrors, ...mismatches];
    if (strict) {
      if (missingKeys.length) problems.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
      if (unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    }
    if (problems.length) {
      const Err = typeErrors.length ? TypeError : RangeError;
      throw new Err(`loadStateDict: error(s) loading the state dict into ${moduleName(this)} (nothing was loaded):\n  ${problems.join('\n  ')}`);
    }
    // A source that shares storage with a target (e.g. a swap of two weights) is read before any write.
    const targets = new Set(copies.map(([t]) => t._st));
    const sources = noGrad(() => copies.map(([, src]) => (targets.has(src._st) ? src.clone() : src)));
    const commit = () =>
      noGrad(() => {
        copies.forEach(([target], i) => target.copy_(sources[i]));
      });
    return { commit, result: { missingKeys, unexpectedKeys } };
  }

  /**
   * Converts every floating-point parameter, gradient and buffer to `dtype`, in place: the Parameter
   * objects stay the same (so an optimizer built before `to()` keeps working), as in PyTorch.
   */
  to(dtype: DType): this {
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new TypeError(`Module.to: only floating-point dtypes are accepted ('float32' or 'float64'), got ${describe(dtype)}`);
    }
    const done = new Set<Tensor>();
    const convert = (t: Tensor): void => {
      if (done.has(t) || !isFloat(t.dtype) || t.dtype === dtype) return;
      done.add(t);
      const c = noGrad(() => t.detach().to(dtype));
      t._st = c._st;
      t._shape = c._shape;
      t._strides = c._strides;
      t._off = c._off;
      (t as { dtype: DType }).dtype = dtype;
      if (t.grad !== null) t.grad = noGrad(() => t.grad!.detach().to(dtype));
    };
    for (const m of this.modules()) {
      const own = m._own();
      for (const [, p] of own.params) convert(p);
      for (const [, b] of own.buffers) if (b !== null) convert(b);
    }
    return this;
  }

  float(): this {
    return this.to('float32');
  }

  double(): this {
    return this.to('float64');
  }

  /** Extra text shown inside the parentheses when the module is printed (as PyTorch's `extra_repr`). */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = [...this._own().children];
    const head = `${moduleName(this)}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const lines = kids.map(([n, m]) => `  (${n}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

function checkName(op: string, m: Module, name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new TypeError(`${op}: name must be a non-empty string without '.', got ${describe(name)}`);
  }
  if (name in Module.prototype || name === 'training') {
    throw new Error(`${op}: '${name}' is a Module method or property of ${moduleName(m)}`);
  }
}

/** Sets the gradients of `params` to null, or (setToNone false) to zeros, detached from any graph. */
export function clearGrads(params: Iterable<Tensor>, setToNone: boolean): void {
  for (const p of params) {
    if (p.grad === null) continue;
    if (setToNone) {
      p.grad = null;
    } else {
      const g = p.grad.isLeaf ? p.grad.requiresGrad_(false) : p.grad.detach();
      p.grad = g;
      noGrad(() => g.zero_());
    }
  }
}
