// Numerical gradient checks: the analytical Jacobian from backward against central differences
// (f(x + eps) - f(x - eps)) / (2 eps), in float64, for every input that requires grad.
import { Tensor } from '../tensor';
import { grad } from './engine';
import { noGrad } from './grad-mode';
import { Generator } from '../random';
import { randn } from '../ops/creation';
import { shapeStr, unravel } from '../shape';
import { checkFinite, describe, optionsOf } from '../validate';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  fastMode?: boolean;
  raiseException?: boolean;
}

export interface GradcheckWorst {
  /** Index of the output. */
  output: number;
  /** Multi-index of the output element. */
  outputElement: number[];
  /** Multi-index of the input element (null in fast mode, which checks a random direction). */
  element: number[] | null;
  numerical: number;
  analytical: number;
}

export interface GradcheckInputReport {
  index: number;
  maxAbsError: number;
  maxRelError: number;
  worst: GradcheckWorst | null;
  ok: boolean;
}

export interface GradcheckReport {
  ok: boolean;
  inputs: GradcheckInputReport[];
  message: string | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => Tensor | Tensor[];

function evalOutputs(op: string, fn: Fn, args: unknown[]): Tensor[] {
  const r = fn(...args);
  const outs = Array.isArray(r) ? r : [r];
  outs.forEach((o, i) => {
    if (!(o instanceof Tensor)) throw new TypeError(`${op}: output ${i} of the function must be a Tensor, got ${describe(o)}`);
  });
  return outs.filter((o) => o.dtype !== 'int32');
}

function flatValues(outs: Tensor[]): Float64Array[] {
  return outs.map((o) => Float64Array.from(o.detach()._flat() as ArrayLike<number>));
}

export function gradcheckReport(fn: Fn, inputs: unknown, opts: GradcheckOptions = {}): GradcheckReport {
  return report('gradcheckReport', fn, inputs, opts);
}

/** A tolerance or step: a finite number > 0 (eps) or >= 0 (atol, rtol). */
function tolerance(op: string, v: unknown, what: string, positive: boolean): number {
  const x = checkFinite(op, v, what);
  if (positive ? !(x > 0) : x < 0) throw new RangeError(`${op}: ${what} must be ${positive ? 'positive' : 'non-negative'}, got ${x}`);
  return x;
}

// `op` is the public function called (gradcheck or gradcheckReport), named in every error.
function report(op: string, fn: Fn, inputs: unknown, options: GradcheckOptions): GradcheckReport {
  const opts = optionsOf<GradcheckOptions>(op, options);
  if (typeof fn !== 'function') throw new TypeError(`${op}: fn must be a function, got ${describe(fn)}`);
  const list = Array.isArray(inputs) ? inputs : [inputs];
  const eps = tolerance(op, opts.eps ?? 1e-6, 'eps', true);
  const atol = tolerance(op, opts.atol ?? 1e-5, 'atol', false);
  const rtol = tolerance(op, opts.rtol ?? 1e-3, 'rtol', false);
  // Work on contiguous copies so perturbations never touch the caller's tensors.
  const args = list.map((a, i) => {
    if (!(a instanceof Tensor)) return a;
    if (a.requiresGrad && a.dtype !== 'float64') {
      throw new TypeError(
        `${op}: input ${i} is ${a.dtype}. Central differences need float64: with float32, eps = ${eps} ` +
          `changes only the last few bits and the numerical Jacobian is mostly rounding error. ` +
          `Pass x.double().requiresGrad_() instead.`,
      );
    }
    const c = noGrad(() => a.detach().clone());
    return a.requiresGrad ? c.requiresGrad_(true) : c;
  });
  const checked = args.map((a, i) => (a instanceof Tensor && a.requiresGrad ? i : -1)).filter((i) => i >= 0);
  if (checked.length === 0) throw new Error(`${op}: no input requires grad`);

  const outs = evalOutputs(op, fn, args);
  const outShapes = outs.map((o) => o.shape);
  const outSizes = outs.map((o) => o.size);
  const reports: GradcheckInputReport[] = [];
  let message: string | null = null;
  const gen = new Generator(20240601);

  for (const ii of checked) {
    const x = args[ii] as Tensor;
    const xd = x._st.data as Float64Array;
    const n = x.size;
    const rep: GradcheckInputReport = { index: ii, maxAbsError: 0, maxRelError: 0, worst: null, ok: true };
    const consider = (o: number, k: number, j: number | null, num: number, ana: number): void => {
      const abs = Math.abs(num - ana);
      const rel = abs / Math.max(Math.abs(num), Math.abs(ana), 1e-300);
      const bad = !(abs <= atol + rtol * Math.abs(num));
      const worse = rep.worst === null || abs > rep.maxAbsError || (bad && rep.ok) || Number.isNaN(abs);
      if (abs > rep.maxAbsError || Number.isNaN(abs)) rep.maxAbsError = Number.isNaN(abs) ? NaN : abs;
      if (rel > rep.maxRelError) rep.maxRelError = rel;
      if ((worse && (rep.ok || bad)) || rep.worst === null) {
        rep.worst = { output: o, outputElement: unravel(k, outShapes[o]), element: j === null ? null : unravel(j, x._shape), numerical: num, analytical: ana };
      }
      if (bad && rep.ok) {
        rep.ok = false;
        if (message === null) {
          const where = j === null ? 'along a random direction' : `at input element ${shapeStr(unravel(j, x._shape))}`;
          message =
            `Jacobian mismatch for output ${o} with respect to input ${ii} ${where}, output element ${shapeStr(unravel(k, outShapes[o]))}:\n` +
            `  numerical:  ${num}\n  analytical: ${ana}\n` +
            `  |difference| ${abs} > atol ${atol} + rtol ${rtol} * |numerical|`;
        }
      }
    };

    if (opts.fastMode) {
      // v^T J u for random u (input direction) and v (output weights).
      const u = randn([n], { dtype: 'float64', generator: gen });
      const ud = u._st.data as Float64Array;
      const vs = outs.map((o) => randn(o.shape.slice(), { dtype: 'float64', generator: gen }));
      const orig = Float64Array.from(xd);
      const shifted = (s: number): Float64Array[] => {
        for (let j = 0; j < n; j++) xd[j] = orig[j] + s * ud[j];
        const r = flatValues(evalOutputs(op, fn, args));
        xd.set(orig);
        return r;
      };
      const plus = shifted(eps);
      const minus = shifted(-eps);
      const fresh = evalOutputs(op, fn, args);
      outs.forEach((_, o) => {
        const vd = vs[o]._st.data as Float64Array;
        let num = 0;
        for (let k = 0; k < outSizes[o]; k++) num += vd[k] * (plus[o][k] - minus[o][k]) / (2 * eps);
        let ana = 0;
        if (fresh[o].requiresGrad) {
          const [g] = grad(fresh[o], [x], { gradOutputs: vs[o], retainGraph: true, allowUnused: true });
          if (g) {
            const gd = g._flat();
            for (let j = 0; j < n; j++) ana += gd[j] * ud[j];
          }
        }
        consider(o, 0, null, num, ana);
      });
      reports.push(rep);
      continue;
    }

    // Numerical Jacobian, one input element (column) at a time.
    const numJ = outs.map((_, o) => new Float64Array(outSizes[o] * n));
    for (let j = 0; j < n; j++) {
      const v = xd[j];
      xd[j] = v + eps;
      const plus = flatValues(evalOutputs(op, fn, args));
      xd[j] = v - eps;
      const minus = flatValues(evalOutputs(op, fn, args));
      xd[j] = v;
      for (let o = 0; o < outs.length; o++) {
        for (let k = 0; k < outSizes[o]; k++) numJ[o][k * n + j] = (plus[o][k] - minus[o][k]) / (2 * eps);
      }
    }
    // Analytical Jacobian, one output element (row) at a time.
    const fresh = evalOutputs(op, fn, args);
    for (let o = 0; o < outs.length; o++) {
      for (let k = 0; k < outSizes[o]; k++) {
        let row: ArrayLike<number> | null = null;
        if (fresh[o].requiresGrad) {
          const seed = Tensor._zeros(fresh[o]._shape, fresh[o].dtype);
          seed._st.data[k] = 1;
          const [g] = grad(fresh[o], [x], { gradOutputs: seed, retainGraph: true, allowUnused: true });
          row = g ? g._flat() : null;
        }
        for (let j = 0; j < n; j++) consider(o, k, j, numJ[o][k * n + j], row ? row[j] : 0);
      }
    }
    reports.push(rep);
  }
  return { ok: reports.every((r) => r.ok), inputs: reports, message };
}

export function gradcheck(fn: Fn, inputs: unknown, opts: GradcheckOptions = {}): boolean {
  opts = optionsOf<GradcheckOptions>('gradcheck', opts) as GradcheckOptions;
  const r = report('gradcheck', fn, inputs, opts);
  if (!r.ok && (opts.raiseException ?? true)) throw new Error(`gradcheck failed: ${r.message}`);
  return r.ok;
}

/** Checks second derivatives: gradcheck of the function (inputs, gradOutputs) -> input gradients. */
export function gradgradcheck(fn: Fn, inputs: unknown, opts: GradcheckOptions = {}): boolean {
  opts = optionsOf<GradcheckOptions>('gradgradcheck', opts) as GradcheckOptions;
  if (typeof fn !== 'function') throw new TypeError(`gradgradcheck: fn must be a function, got ${describe(fn)}`);
  const list = Array.isArray(inputs) ? inputs : [inputs];
  const outs = evalOutputs('gradgradcheck', fn, list);
  const gen = new Generator(20240602);
  const gradOutputs = outs.map((o) => randn(o.shape.slice(), { dtype: 'float64', generator: gen }).requiresGrad_(true));
  const nIn = list.length;
  const diffIdx = list.map((a, i) => (a instanceof Tensor && a.requiresGrad ? i : -1)).filter((i) => i >= 0);
  const fn2 = (...args: unknown[]): Tensor[] => {
    const xs = args.slice(0, nIn);
    const gos = args.slice(nIn) as Tensor[];
    const ys = evalOutputs('gradgradcheck', fn, xs);
    const gs = grad(ys, diffIdx.map((i) => xs[i] as Tensor), { gradOutputs: gos, createGraph: true, allowUnused: true });
    return gs.filter((g): g is Tensor => g !== null);
  };
  const r = report('gradgradcheck', fn2, [...list, ...gradOutputs], opts);
  if (!r.ok && (opts.raiseException ?? true)) throw new Error(`gradgradcheck failed: ${r.message}`);
  return r.ok;
}
