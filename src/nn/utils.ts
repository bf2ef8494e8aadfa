// tg.nn.utils: gradient clipping (as torch.nn.utils.clip_grad_norm_ / clip_grad_value_) and a
// whole-model gradient check against central differences.
import { Tensor } from '../tensor';
import { DType, isFloat } from '../dtype';
import { shapeStr, unravel } from '../shape';
import { enableGrad, noGrad } from '../autograd/grad-mode';
import { grad } from '../autograd/engine';
import { tensor } from '../ops/creation';
import { Module } from './module';
import { checkTensor, describe, optionsOf } from '../validate';


function tensorList(fn: string, params: unknown): Tensor[] {
  const list =
    params instanceof Tensor
      ? [params]
      : params !== null && typeof params === 'object' && typeof (params as Iterable<unknown>)[Symbol.iterator] === 'function'
        ? [...(params as Iterable<unknown>)]
        : null;
  if (!list) throw new TypeError(`${fn}: parameters must be a Tensor or an iterable of Tensors, got ${describe(params)}`);
  list.forEach((p, i) => {
    checkTensor(fn, p, `parameters[${i}]`);
  });
  return list as Tensor[];
}

// ---- clipping ------------------------------------------------------------------------------

export interface ClipGradNormOptions {
  /** Order of the norm: any p > 0, or Infinity (the largest |g|). Default 2. */
  normType?: number;
  /** Throw when the total norm is NaN or infinite, instead of scaling by it. Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales all gradients in place so that their joint norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`: the total norm is the norm of the per-tensor norms (the norm of all
 * gradient entries taken together), every gradient is multiplied by min(1, maxNorm / (total + 1e-6)),
 * and parameters whose grad is null are skipped. Returns the total norm before clipping, as a 0-d
 * tensor in the first gradient's dtype (0 when no parameter has a gradient).
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, opts: ClipGradNormOptions = {}): Tensor {
  opts = optionsOf<ClipGradNormOptions>('clipGradNorm_', opts) as ClipGradNormOptions;
  const fn = 'clipGradNorm_';
  const params = tensorList(fn, parameters);
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new TypeError(`${fn}: maxNorm must be a number, got ${describe(maxNorm)}`);
  const p = opts.normType ?? 2;
  if (typeof p !== 'number' || !(p > 0)) throw new RangeError(`${fn}: normType must be a number > 0 or Infinity, got ${describe(p)}`);
  const errorIfNonfinite = opts.errorIfNonfinite ?? false;
  if (typeof errorIfNonfinite !== 'boolean') throw new TypeError(`${fn}: errorIfNonfinite must be a boolean`);
  const grads = params.map((t) => t.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return tensor(0);
  return noGrad(() => {
    const norms = grads.map((g) => g.norm(p).item());
    let total: number;
    if (p === Infinity) total = norms.reduce((m, v) => (Number.isNaN(m) || Number.isNaN(v) ? NaN : Math.max(m, v)), 0);
    else if (p === 2) total = Math.sqrt(norms.reduce((s, v) => s + v * v, 0));
    else total = norms.reduce((s, v) => s + v ** p, 0) ** (1 / p);
    if (errorIfNonfinite && !Number.isFinite(total)) {
      throw new Error(
        `${fn}: the total norm of order ${p} for gradients from \`parameters\` is non-finite (${total}), so it cannot be clipped. ` +
          'To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false',
      );
    }
    const coef = Math.min(maxNorm / (total + 1e-6), 1);
    for (const g of grads) g.mul_(coef);
    return tensor(total, { dtype: grads[0].dtype });
  });
}

/** Clamps every gradient entry to [-clipValue, clipValue] in place (null grads skipped), as `clip_grad_value_`. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const fn = 'clipGradValue_';
  const params = tensorList(fn, parameters);
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue)) throw new TypeError(`${fn}: clipValue must be a number, got ${describe(clipValue)}`);
  noGrad(() => {
    for (const t of params) if (t.grad !== null) t.grad.copy_(t.grad.clamp(-clipValue, clipValue));
  });
}

// ---- whole-model gradient check --------------------------------------------------------------

export interface CheckGradientsOptions {
  /** Entries checked per parameter: all of a parameter with at most this many, else a seeded sample. Default 32. */
  samples?: number;
  /** Step of the central differences. Default 1e-6. */
  eps?: number;
  /** Seed of the entry sample. Default 0. */
  seed?: number;
  /** Floor of the relative error's denominator, so that two near-zero values compare as equal. Default 1e-10. */
  tiny?: number;
  /** `ok` is true when the worst relative error is at most this. Default 1e-5. */
  tolerance?: number;
}

export interface GradientEntryCheck {
  /** Multi-index of the entry in the parameter. */
  index: number[];
  analytical: number;
  numerical: number;
  relError: number;
}

export interface ParameterGradientCheck {
  name: string;
  shape: number[];
  entriesChecked: number;
  maxAbsError: number;
  maxRelError: number;
  worst: GradientEntryCheck | null;
}

export interface GradientCheckReport {
  ok: boolean;
  /** The worst relative error over all parameters. */
  maxRelError: number;
  /** The parameter and entry with the worst relative error. */
  worst: (GradientEntryCheck & { name: string }) | null;
  parameters: ParameterGradientCheck[];
}

export type LossFn = (model: Module, ...batch: unknown[]) => Tensor;

interface Saved {
  t: Tensor;
  st: Tensor['_st'];
  shape: Tensor['_shape'];
  strides: Tensor['_strides'];
  off: number;
  dtype: DType;
}

/** Gives every floating-point parameter and buffer a private float64 copy; returns what restores them. */
function swapToFloat64(model: Module): Saved[] {
  const saved: Saved[] = [];
  const seen = new Set<Tensor>();
  for (const t of [...model.parameters(), ...model.buffers()]) {
    if (seen.has(t) || !isFloat(t.dtype)) continue;
    seen.add(t);
    saved.push({ t, st: t._st, shape: t._shape, strides: t._strides, off: t._off, dtype: t.dtype });
    const c = noGrad(() => t.detach().to('float64').clone().contiguous());
    t._st = c._st;
    t._shape = c._shape;
    t._strides = c._strides;
    t._off = c._off;
    (t as { dtype: DType }).dtype = 'float64';
  }
  return saved;
}

function restore(saved: Saved[]): void {
  for (const s of saved) {
    s.t._st = s.st;
    s.t._shape = s.shape;
    s.t._strides = s.strides;
    s.t._off = s.off;
    (s.t as { dtype: DType }).dtype = s.dtype;
  }
}

/** `k` distinct flat indices of [0, n), ascending: all when k >= n, else drawn with a seeded PRNG (mulberry32). */
function sampleIndices(n: number, k: number, seed: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(Math.floor(next() * n));
  return [...chosen].sort((x, y) => x - y);
}

function isOptions(x: unknown): x is CheckGradientsOptions {
  return x !== null && typeof x === 'object' && !(x instanceof Tensor) && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
}

/**
 * Checks a whole model's backward gradients against central differences, in float64.
 *
 * `lossFn(model, ...batch)` must return a scalar loss tensor (e.g. `(m, x, y) => F.crossEntropy(m.forward(x), y)`);
 * the trailing argument may be the options. During the check every floating-point parameter and buffer
 * of `model` is swapped for a private float64 copy, and floating-point batch tensors are converted to
 * float64; afterwards the model's own tensors are put back untouched (same objects, values, dtypes and
 * `.grad`: the analytical gradients come from `tg.grad`, not `backward`). Buffers updated by the forward
 * pass (BatchNorm running statistics) change only the copies.
 *
 * The model's mode is left as it is (a model in training mode is checked in training mode), but the
 * loss must be deterministic: it is evaluated twice up front and the check throws if the two values
 * differ, as with Dropout in training mode. Call `model.eval()` first, or reseed inside `lossFn`
 * (`tg.manualSeed(0)`) so every evaluation draws the same mask.
 *
 * For each parameter that requires grad, at most `samples` entries (a seeded sample for larger
 * parameters) are perturbed by ±eps; the relative error of an entry is
 * |a - n| / max(|a| + |n|, tiny), for the analytical a and numerical n.
 */
export function checkGradients(model: Module, lossFn: LossFn, ...batchAndOptions: unknown[]): GradientCheckReport {
  const fn = 'checkGradients';
  if (!(model instanceof Module)) throw new TypeError(`${fn}: model must be a tg.nn.Module, got ${describe(model)}`);
  if (typeof lossFn !== 'function') throw new TypeError(`${fn}: lossFn must be a function (model, ...batch) => loss, got ${describe(lossFn)}`);
  const last = batchAndOptions[batchAndOptions.length - 1];
  const opts: CheckGradientsOptions = isOptions(last) ? last : {};
  const batch = isOptions(last) ? batchAndOptions.slice(0, -1) : batchAndOptions;
  const samples = opts.samples ?? 32;
  const eps = opts.eps ?? 1e-6;
  const seed = opts.seed ?? 0;
  const tiny = opts.tiny ?? 1e-10;
  const tolerance = opts.tolerance ?? 1e-5;
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`${fn}: samples must be a positive integer, got ${describe(samples)}`);
  for (const [k, v] of [['eps', eps], ['tiny', tiny], ['tolerance', tolerance]] as const) {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new RangeError(`${fn}: ${k} must be a positive number, got ${describe(v)}`);
  }
  if (!Number.isInteger(seed)) throw new TypeError(`${fn}: seed must be an integer, got ${describe(seed)}`);

  const batch64 = batch.map((b) => (b instanceof Tensor && isFloat(b.dtype) ? noGrad(() => b.detach().to('float64')) : b));
  const named = [...model.namedParameters()].filter(([, p]) => p.requiresGrad);
  const evalLoss = (): Tensor => {
    const l = lossFn(model, ...batch64);
    if (!(l instanceof Tensor)) throw new TypeError(`${fn}: lossFn must return a Tensor, got ${describe(l)}`);
    if (l.size !== 1) throw new RangeError(`${fn}: lossFn must return a scalar loss, got shape ${shapeStr(l.shape)}`);
    if (l.dtype !== 'float64') {
      throw new TypeError(`${fn}: the loss is ${l.dtype} although the model and batch were converted to float64; make lossFn compute in the inputs' dtype`);
    }
    return l;
  };
  const lossValue = (): number => noGrad(() => evalLoss().item());

  const saved = swapToFloat64(model);
  try {
    const l0 = lossValue();
    const l1 = lossValue();
    if (!Object.is(l0, l1)) {
      throw new Error(
        `${fn}: lossFn is not deterministic (two evaluations gave ${l0} and ${l1}); finite differences need the same ` +
          `function every time. Dropout in training mode is the usual cause: call model.eval(), or call tg.manualSeed(...) inside lossFn.`,
      );
    }
    const grads = enableGrad(() => {
      const loss = evalLoss();
      return named.length ? grad(loss, named.map(([, p]) => p), { allowUnused: true }) : [];
    });
    const report: ParameterGradientCheck[] = [];
    let worst: GradientCheckReport['worst'] = null;
    named.forEach(([name, p], pi) => {
      const g = grads[pi];
      const analytical = g === null ? null : (g.to('float64')._flat() as Float64Array);
      const data = p._st.data as Float64Array; // the contiguous float64 copy
      const base = p._off;
      const entries = sampleIndices(p.size, samples, seed + pi);
      const pr: ParameterGradientCheck = { name, shape: p.shape.slice(), entriesChecked: entries.length, maxAbsError: 0, maxRelError: 0, worst: null };
      for (const i of entries) {
        const orig = data[base + i];
        data[base + i] = orig + eps;
        const fp = lossValue();
        data[base + i] = orig - eps;
        const fm = lossValue();
        data[base + i] = orig;
        const n = (fp - fm) / (2 * eps);
        const a = analytical ? analytical[i] : 0;
        const abs = Math.abs(a - n);
        const rel = Number.isNaN(abs) ? Infinity : abs / Math.max(Math.abs(a) + Math.abs(n), tiny);
        pr.maxAbsError = Math.max(pr.maxAbsError, Number.isNaN(abs) ? Infinity : abs);
        if (pr.worst === null || rel > pr.maxRelError) {
          pr.maxRelError = rel;
          pr.worst = { index: unravel(i, p.shape), analytical: a, numerical: n, relError: rel };
        }
      }
      if (pr.worst && (worst === null || pr.maxRelError > worst.relError)) worst = { name, ...pr.worst };
      report.push(pr);
    });
    const maxRelError = worst === null ? 0 : (worst as GradientEntryCheck).relError;
    return { ok: maxRelError <= tolerance, maxRelError, worst, parameters: report };
  } finally {
    restore(saved);
  }
}
