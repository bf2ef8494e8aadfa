// Checkpoints: a model's state dict, an optimizer's and a scheduler's state, the epoch and the random
// generators' states in one safetensors file (tensors as tensors, the rest as JSON in the metadata),
// so that training stopped after epoch k and resumed gives bitwise the same numbers.
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { Generator, defaultGenerator } from '../random';
import { save, loadWithMetadata } from './safetensors';

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

function decode(v: unknown, tensors: Record<string, Tensor>, file: string): unknown {
  if (Array.isArray(v)) return v.map((x) => decode(x, tensors, file));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$tensor === 'string') {
      const t = tensors[o.$tensor];
      if (!t) throw new RangeError(`loadCheckpoint: '${file}' refers to a tensor '${o.$tensor}' it does not contain`);
      return t;
    }
    if (typeof o.$number === 'string') return Number(o.$number);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x, tensors, file)]));
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
  if (!Number.isInteger(c.epoch) || c.epoch < 0) throw new TypeError(`${op}: epoch must be a non-negative integer, got ${String(c.epoch)}`);
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

/**
 * Restores a checkpoint into the given model (strictly: same parameter names and shapes), optimizer,
 * scheduler and generators (and the default generator); returns the epoch and the extra values.
 */
export function loadCheckpoint(path: string, c: CheckpointTargets): { epoch: number; extra: Record<string, unknown> } {
  const op = 'loadCheckpoint';
  checkTargets(op, c);
  const { tensors, metadata } = loadWithMetadata(path);
  if (!metadata || metadata.format !== FORMAT || typeof metadata.state !== 'string') {
    throw new TypeError(`${op}: '${path}' is not a tapegrad checkpoint (no '${FORMAT}' metadata); load plain state dicts with tg.io.load`);
  }
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(metadata.state) as Record<string, unknown>;
  } catch (e) {
    throw new TypeError(`${op}: '${path}' has unreadable checkpoint metadata: ${(e as Error).message}`);
  }
  const rng = meta.rng as { default: { seed: string; offset: number }; generators: { seed: string; offset: number }[] } | undefined;
  const gens = c.generators ?? [];
  if (!rng || !Array.isArray(rng.generators) || rng.generators.length !== gens.length) {
    throw new RangeError(`${op}: '${path}' holds ${rng?.generators?.length ?? 0} generator states, ${gens.length} generators were given`);
  }
  for (const [name, s] of [['optimizer', c.optimizer], ['scheduler', c.scheduler]] as const) {
    if (s && (meta[name] === null || meta[name] === undefined)) throw new RangeError(`${op}: '${path}' has no ${name} state`);
  }
  const model: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model.')) model[k.slice(6)] = t;
  c.model.loadStateDict(model);
  if (c.optimizer) c.optimizer.loadStateDict(decode(meta.optimizer, tensors, path) as never);
  if (c.scheduler) c.scheduler.loadStateDict(decode(meta.scheduler, tensors, path) as never);
  defaultGenerator.setState(rng.default);
  gens.forEach((g, i) => g.setState(rng.generators[i]));
  return { epoch: meta.epoch as number, extra: decode(meta.extra, tensors, path) as Record<string, unknown> };
}
