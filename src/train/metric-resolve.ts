// Metrics by name or function, as fit and evaluate take them, and reading one out for a batch.
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad-mode';
import { MetricFn, accuracy, mae, mse } from './metrics';

export interface NamedMetric {
  name: string;
  fn: MetricFn;
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
