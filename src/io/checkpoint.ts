// Checkpoints: a model's state dict, an optimizer's and a scheduler's state, the epoch and the random
// generators' states in one safetensors file (tensors as tensors, the rest as JSON in the metadata),
// so that training stopped after epoch k and resumed gives bitwise the same numbers.
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { Generator, defaultGenerator } from '../random';
import { save, loadWithMetadata, SafetensorsFormatError } from './safetensors';

/** Anything with PyTorch-style state dicts: optimizers and learning-rate schedulers. */
export interface Stateful {
  stateDict(): unknown;
  loadStateDict(sd: never): void;
}

export interface CheckpointTargets {
  model: Module;
  optimizer?: Stateful;
  scheduler?: Stateful;
  /** Generators to keep besides the default one (e.g. the DataLoader's), restored in the same order. */
  generators?: Generator[];
}

export interface CheckpointContents extends CheckpointTargets {
  /** Epochs completed. */
  epoch: number;
  /** Any other JSON values to keep (returned by loadCheckpoint). */
  extra?: Record<string, unknown>;
}

const FORMAT = 'tapegrad-checkpoint/1';

// JSON with tensors moved out into the tensor map ({$tensor: key}) and non-finite numbers kept.
function encode(v: unknown, prefix: string, tensors: Map<string, Tensor>): unknown {
  if (v instanceof Tensor) {
    const key = `${prefix}${tensors.size}`;
    tensors.set(key, v);
    return { $tensor: key };
  }
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
  if (Array.isArray(v)) return v.map((x) => encode(x, prefix, tensors));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x, prefix, tensors)]));
  }
  if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') {
    throw new TypeError(`saveCheckpoint: cannot store a ${typeof v} in a checkpoint`);
  }
  return v;
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function decode(v: unknown, tensors: Record<string, Tensor>, depth = 0): unknown {
  if (depth > 64) throw new RangeError('the checkpoint metadata nests deeper than 64 levels');
  if (Array.isArray(v)) return v.map((x) => decode(x, tensors, depth + 1));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$tensor') {
      const key = o.$tensor;
      if (typeof key !== 'string' || !Object.hasOwn(tensors, key)) throw new RangeError(`the metadata refers to a tensor the file does not contain (${typeof key === 'string' ? `'${key.slice(0, 80)}'` : `a ${key === null ? 'null' : typeof key}`})`);
      return tensors[key];
    }
    if (keys.length === 1 && keys[0] === '$number') {
      const n = typeof o.$number === 'string' && Object.hasOwn(NON_FINITE, o.$number) ? NON_FINITE[o.$number] : undefined;
      if (n === undefined) throw new TypeError("the metadata holds a {$number} that is not 'NaN', 'Infinity' or '-Infinity'");
      return n;
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) Object.defineProperty(out, k, { value: decode(o[k], tensors, depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

function checkTargets(op: string, c: CheckpointTargets): void {
  if (!c || typeof c !== 'object' || !(c.model instanceof Module)) throw new TypeError(`${op}: expected {model: tg.nn.Module, optimizer?, scheduler?, generators?}`);
  for (const [k, s] of [['optimizer', c.optimizer], ['scheduler', c.scheduler]] as const) {
    if (s !== undefined && (typeof s?.stateDict !== 'function' || typeof s?.loadStateDict !== 'function')) {
      throw new TypeError(`${op}: ${k} must have stateDict() and loadStateDict()`);
    }
  }
  if (c.generators !== undefined && (!Array.isArray(c.generators) || !c.generators.every((g) => g instanceof Generator))) {
    throw new TypeError(`${op}: generators must be an array of tg.Generator`);
  }
}

/** Writes a checkpoint (atomically, like tg.io.save). */
export function saveCheckpoint(path: string, c: CheckpointContents): void {
  const op = 'saveCheckpoint';
  checkTargets(op, c);
  if (typeof c.epoch !== 'number' || !Number.isSafeInteger(c.epoch) || c.epoch < 0) {
    throw new TypeError(`${op}: epoch must be a non-negative integer, got ${typeof c.epoch === 'number' ? c.epoch : `a ${typeof c.epoch}`}`);
  }
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of Object.entries(c.model.stateDict())) tensors.set(`model.${k}`, t);
  const meta = {
    epoch: c.epoch,
    optimizer: c.optimizer ? encode(c.optimizer.stateDict(), 'optimizer.', tensors) : null,
    scheduler: c.scheduler ? encode(c.scheduler.stateDict(), 'scheduler.', tensors) : null,
    rng: { default: defaultGenerator.getState(), generators: (c.generators ?? []).map((g) => g.getState()) },
    extra: encode(c.extra ?? {}, 'extra.', tensors),
  };
  save(tensors, path, { metadata: { format: FORMAT, state: JSON.stringify(meta) } });
}

/** Something to restore: checked first (may throw, changes nothing), then committed (cannot throw). */
interface PendingLoad {
  commit(): void;
}

interface Preparable {
  _prepareLoad(sd: unknown): () => void;
}

/** The object on o's prototype chain that defines `key`. */
function definer(o: object, key: string): object | null {
  let p: object | null = o;
  while (p !== null && !Object.hasOwn(p, key)) p = Object.getPrototypeOf(p) as object | null;
  return p;
}

/** Built-in targets check before writing; a subclass that overrides loadStateDict is loaded through it. */
const canPrepare = (s: object): s is Preparable =>
  typeof (s as Partial<Preparable>)._prepareLoad === 'function' && definer(s, '_prepareLoad') === definer(s, 'loadStateDict');

/** A target loaded through its own loadStateDict, with what restores it if a later one fails. */
interface Unchecked {
  target: Stateful;
  sd: unknown;
  snapshot: () => unknown;
}

/** Rethrows an error from a check as the same kind of error, prefixed with loadCheckpoint and the file. */
function named(path: string, e: unknown): Error {
  const op = 'loadCheckpoint';
  if (!(e instanceof Error)) return new TypeError(`${op}: '${path}': ${typeof e === 'string' ? e : `a ${typeof e} was thrown`}`);
  if (e.message.startsWith(`${op}:`)) return e;
  const msg = `${op}: '${path}': ${e.message}`;
  let out: Error;
  if (e instanceof TypeError) out = new TypeError(msg, { cause: e });
  else if (e instanceof SafetensorsFormatError || e instanceof RangeError) out = new RangeError(msg, { cause: e });
  else out = new Error(msg, { cause: e });
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== undefined) (out as NodeJS.ErrnoException).code = code;
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Restores a checkpoint into the given model (strictly: same parameter names and shapes), optimizer,
 * scheduler and generators (and the default generator); returns the epoch and the extra values.
 * Everything in the file is checked before anything is written: when it throws, the model, optimizer,
 * scheduler and generators are exactly as they were.
 */
export function loadCheckpoint(path: string, c: CheckpointTargets): { epoch: number; extra: Record<string, unknown> } {
  const op = 'loadCheckpoint';
  checkTargets(op, c);
  if (typeof path !== 'string' || path === '') throw new TypeError(`${op}: path must be a non-empty string`);
  let prepared: Prepared;
  try {
    prepared = prepareCheckpoint(path, c);
  } catch (e) {
    throw named(path, e);
  }
  const { pending, unchecked, result } = prepared;
  // Objects without a separate check (user-written loadStateDict) load first, undone if one throws.
  const undo: (() => void)[] = [];
  try {
    for (const { target, sd, snapshot } of unchecked) {
      const before = snapshot();
      undo.push(() => target.loadStateDict(before as never));
      target.loadStateDict(sd as never);
    }
  } catch (e) {
    for (const u of undo.reverse()) {
      try {
        u();
      } catch {
        // best effort: the object refused its own earlier state; the original error is the one to report
      }
    }
    throw named(path, e);
  }
  for (const p of pending) p.commit();
  return result;
}

interface Prepared {
  pending: PendingLoad[];
  unchecked: Unchecked[];
  result: { epoch: number; extra: Record<string, unknown> };
}

function prepareCheckpoint(path: string, c: CheckpointTargets): Prepared {
  const { tensors, metadata } = loadWithMetadata(path);
  if (!metadata || metadata.format !== FORMAT || typeof metadata.state !== 'string') {
    throw new TypeError(`the file is not a tapegrad checkpoint (no '${FORMAT}' metadata); load plain state dicts with tg.io.load`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(metadata.state);
  } catch (e) {
    throw new TypeError(`unreadable checkpoint metadata: ${(e as Error).message}`);
  }
  if (!isRecord(meta)) throw new TypeError('the checkpoint metadata is not an object');
  const epoch = meta.epoch;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    const got = typeof epoch === 'number' ? String(epoch) : epoch === null || epoch === undefined ? String(epoch) : typeof epoch === 'object' ? 'an object' : `a ${typeof epoch}`;
    throw new TypeError(`epoch must be a non-negative integer, got ${got}`);
  }
  const rng = meta.rng;
  const gens = c.generators ?? [];
  if (!isRecord(rng) || !Array.isArray(rng.generators)) throw new TypeError('the checkpoint has no generator states {default, generators: [...]}');
  if (rng.generators.length !== gens.length) {
    throw new RangeError(`the file holds ${rng.generators.length} generator states, ${gens.length} generators were given`);
  }
  const defaultState = Generator._parseState('generator state default', rng.default);
  const genStates = rng.generators.map((s, i) => Generator._parseState(`generator state ${i}`, s));

  const model: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (k.startsWith('model.')) {
      Object.defineProperty(model, k.slice(6), { value: t, enumerable: true, writable: true, configurable: true });
    }
  }
  const pending: PendingLoad[] = [];
  const unchecked: Unchecked[] = [];
  if (canPrepare(c.model)) {
    pending.push(c.model._prepareLoad(model));
  } else {
    // Module.stateDict() gives views of the live tensors: the snapshot must copy them.
    const m = c.model;
    const snapshot = () => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.clone()]));
    unchecked.push({ target: m as unknown as Stateful, sd: model, snapshot });
  }
  for (const name of ['optimizer', 'scheduler'] as const) {
    const target = c[name];
    if (!target) continue;
    if (meta[name] === null || meta[name] === undefined) throw new RangeError(`the file has no ${name} state`);
    const sd = decode(meta[name], tensors);
    if (canPrepare(target)) pending.push({ commit: target._prepareLoad(sd) });
    else unchecked.push({ target, sd, snapshot: () => target.stateDict() });
  }
  const extra = meta.extra === undefined ? {} : decode(meta.extra, tensors);
  if (!isRecord(extra)) throw new TypeError('extra must be an object');
  pending.push({
    commit: () => {
      defaultGenerator._commitState(defaultState);
      gens.forEach((g, i) => g._commitState(genStates[i]));
    },
  });
  return { pending, unchecked, result: { epoch, extra: extra as Record<string, unknown> } };
}
