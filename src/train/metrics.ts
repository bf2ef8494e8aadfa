// Metrics for fit/evaluate: each returns the batch mean as a number; fit weights it by batch size.
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad-mode';
import { shapeStr } from '../shape';

export type MetricFn = (output: Tensor, target: Tensor) => number | Tensor;
export interface NamedMetric {
  name: string;
  fn: MetricFn;
}

function check(op: string, output: unknown, target: unknown): [Tensor, Tensor] {
  if (!(output instanceof Tensor)) throw new TypeError(`${op}: output must be a Tensor`);
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: target must be a Tensor`);
  return [output, target];
}

/**
 * Fraction of correct predictions. Class scores `[N, C, ...]` (C > 1) against int32 labels `[N, ...]`:
 * argmax over dim 1 (one-hot or probability targets of the output's shape: argmax of both). A single
 * output per sample (`[N]` or `[N, 1]`) is a binary logit: predicted 1 when it is > 0, i.e. sigmoid > 0.5
 * (as BCEWithLogitsLoss expects); targets are 0/1. For outputs that are already probabilities, pass
 * your own metric, e.g. `(p, y) => p.gt(0.5).eq(y).float().mean()`.
 */
export function accuracy(output: Tensor, target: Tensor): number {
  [output, target] = check('accuracy', output, target);
  return noGrad(() => {
    const s = output.shape;
    const single = output.ndim === 1 || (output.ndim >= 2 && s[1] === 1 && target.size === output.size);
    let hits: Tensor;
    if (single) {
      if (target.size !== output.size) {
        throw new RangeError(`accuracy: binary output ${shapeStr(s)} and target ${shapeStr(target.shape)} differ in size`);
      }
      hits = output.gt(0).eq(target.to(output.dtype).reshape(...s));
    } else if (output.ndim === target.ndim + 1 && shapeStr([s[0], ...s.slice(2)]) === shapeStr(target.shape)) {
      if (target.dtype !== 'int32') throw new TypeError(`accuracy: class-index targets must be int32, got ${target.dtype}`);
      hits = output.argmax(1).eq(target);
    } else if (shapeStr(s) === shapeStr(target.shape) && output.ndim >= 2) {
      hits = output.argmax(1).eq(target.argmax(1));
    } else {
      throw new RangeError(`accuracy: cannot match output ${shapeStr(s)} with target ${shapeStr(target.shape)} (expected [N, C, ...] with int32 [N, ...], or [N]/[N, 1] binary logits)`);
    }
    return hits.size === 0 ? NaN : hits.sum().item() / hits.size;
  });
}

function diff(op: string, output: Tensor, target: Tensor): Tensor {
  [output, target] = check(op, output, target);
  if (output.size !== target.size) {
    throw new RangeError(`${op}: output ${shapeStr(output.shape)} and target ${shapeStr(target.shape)} differ in size`);
  }
  return output.sub(target.to(output.dtype).reshape(...output.shape));
}

/** Mean squared error over all elements (target reshaped to the output's shape). */
export function mse(output: Tensor, target: Tensor): number {
  return noGrad(() => diff('mse', output, target).square().mean().item());
}

/** Mean absolute error over all elements (target reshaped to the output's shape). */
export function mae(output: Tensor, target: Tensor): number {
  return noGrad(() => diff('mae', output, target).abs().mean().item());
}

const builtin: Record<string, MetricFn> = { accuracy, mse, mae };

/** Metrics by name ('accuracy', 'mse', 'mae') or as named functions; the history keys are their names. */
export function resolveMetrics(op: string, metrics: unknown): NamedMetric[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) throw new TypeError(`${op}: metrics must be an array of names or functions`);
  const out = metrics.map((m): NamedMetric => {
    if (typeof m === 'string') {
      const fn = Object.prototype.hasOwnProperty.call(builtin, m) ? builtin[m] : undefined;
      if (!fn) throw new RangeError(`${op}: unknown metric '${m}' (known: ${Object.keys(builtin).join(', ')})`);
      return { name: m, fn };
    }
    if (typeof m === 'function' && m.name) return { name: m.name, fn: m as MetricFn };
    throw new TypeError(`${op}: each metric must be a name or a named function, got ${typeof m === 'function' ? 'an anonymous function' : typeof m}`);
  });
  const names = out.map((m) => m.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i || n === 'loss' || n === 'lr' || n === 'epoch');
  if (dup) throw new RangeError(`${op}: metric name '${dup}' is repeated or reserved`);
  return out;
}

/** Runs a metric and returns a number (tensor results are read out). */
export function metricValue(m: NamedMetric, output: Tensor, target: Tensor): number {
  const v = noGrad(() => m.fn(output, target));
  const n = v instanceof Tensor ? v.item() : v;
  if (typeof n !== 'number') throw new TypeError(`metric '${m.name}' must return a number or a scalar tensor`);
  return n;
}
