// A Gaussian-process regressor on [0, 1]^d: Matérn 5/2 kernel with one lengthscale per dimension
// (ARD), an amplitude and a noise variance, fitted by maximising the log marginal likelihood with
// tapegrad's autograd and Adam. The kernel matrix is built with tensor ops; the Gaussian negative log
// likelihood of y under N(0, K) is a custom op whose backward is 0.5 (K^-1 - a a^T), a = K^-1 y.
import { defineOp } from '../../../autograd/node';
import { noGrad } from '../../../autograd/grad-mode';
import { tensor } from '../../../ops/creation';
import { Adam } from '../../../optim/adam';
import { Parameter } from '../../../nn/module';
import type { Tensor } from '../../../tensor';
import { cholesky, choleskyInverse, solveLower, solveUpper } from './cholesky';

const SQRT5 = Math.sqrt(5);
const JITTER = 1e-8;

export const gaussianNll = defineOp('gaussianNll', {
  forward(ctx, k: Tensor, y: Tensor) {
    const n = y.shape[0];
    const kd = Float64Array.from(k._flat());
    for (let i = 0; i < n; i++) kd[i * n + i] += JITTER;
    const l = cholesky(kd, n);
    if (l === null) throw new RangeError('gaussianNll: the kernel matrix is not positive definite');
    const alpha = solveUpper(l, n, solveLower(l, n, Float64Array.from(y._flat())));
    let quad = 0;
    let logDet = 0;
    const yv = y._flat();
    for (let i = 0; i < n; i++) {
      quad += yv[i] * alpha[i];
      logDet += 2 * Math.log(l[i * n + i]);
    }
    ctx.l = l;
    ctx.alpha = alpha;
    ctx.n = n;
    return tensor(0.5 * quad + 0.5 * logDet + 0.5 * n * Math.log(2 * Math.PI), { dtype: 'float64' });
  },
  backward(ctx, g) {
    const n = ctx.n as number;
    const alpha = ctx.alpha as Float64Array;
    const inv = choleskyInverse(ctx.l as Float64Array, n);
    const gv = g.item();
    const gk = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gk[i * n + j] = 0.5 * gv * (inv[i * n + j] - alpha[i] * alpha[j]);
    return [tensor(gk, { dtype: 'float64', shape: [n, n] }), tensor(Float64Array.from(alpha, (a) => a * gv), { dtype: 'float64' })];
  },
});

/** Matérn 5/2 between the rows of a (n x d) and b (m x d), scaled per dimension by 1 / lengthscale. */
export function maternTensor(a: Tensor, b: Tensor, invLength: Tensor, amp: Tensor): Tensor {
  const as = a.mul(invLength);
  const bs = b.mul(invLength);
  const d2 = as.unsqueeze(1).sub(bs.unsqueeze(0)).square().sum(-1).clamp(1e-30, Infinity);
  const r = d2.sqrt().mul(SQRT5);
  return r.add(1).add(d2.mul(5 / 3)).mul(r.neg().exp()).mul(amp);
}

export interface GPHyper {
  logLength: number[];
  logAmp: number;
  logNoise: number;
}

export class GaussianProcess {
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly invLength: Float64Array;
  private readonly amp: number;
  private readonly noise: number;

  /** x: n points in [0, 1]^d (row-major), y: standardised targets. */
  constructor(private readonly x: Float64Array, private readonly n: number, private readonly d: number, y: Float64Array, readonly hyper: GPHyper) {
    this.invLength = Float64Array.from(hyper.logLength, (v) => Math.exp(-v));
    this.amp = Math.exp(hyper.logAmp);
    this.noise = Math.exp(hyper.logNoise);
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) k[i * n + j] = k[j * n + i] = this.kernel(x, i, x, j);
    for (let i = 0; i < n; i++) k[i * n + i] += this.noise + JITTER;
    let l = cholesky(k, n);
    for (let extra = 1e-6; l === null; extra *= 10) {
      for (let i = 0; i < n; i++) k[i * n + i] += extra;
      l = cholesky(k, n);
    }
    this.l = l;
    this.alpha = solveUpper(l, n, solveLower(l, n, Float64Array.from(y)));
  }

  private kernel(a: Float64Array, i: number, b: Float64Array, j: number): number {
    let d2 = 0;
    for (let k = 0; k < this.d; k++) {
      const t = (a[i * this.d + k] - b[j * this.d + k]) * this.invLength[k];
      d2 += t * t;
    }
    const r = SQRT5 * Math.sqrt(d2);
    return this.amp * (1 + r + (5 / 3) * d2) * Math.exp(-r);
  }

  /** Posterior mean and variance (of the latent function) at point q (length d). */
  predict(q: Float64Array): { mean: number; variance: number } {
    const ks = new Float64Array(this.n);
    let mean = 0;
    for (let i = 0; i < this.n; i++) {
      ks[i] = this.kernel(q, 0, this.x, i);
      mean += ks[i] * this.alpha[i];
    }
    solveLower(this.l, this.n, ks);
    let v = this.amp;
    for (let i = 0; i < this.n; i++) v -= ks[i] * ks[i];
    return { mean, variance: Math.max(v, 1e-12) };
  }
}

/**
 * Maximises the log marginal likelihood (plus weak log-normal priors that keep lengthscales and noise
 * in sensible ranges) over log lengthscales, log amplitude and log noise, starting from `init`.
 */
export function fitHyper(x: Float64Array, n: number, d: number, y: Float64Array, init: GPHyper, steps: number): GPHyper {
  const X = tensor(x, { dtype: 'float64', shape: [n, d] });
  const Y = tensor(y, { dtype: 'float64' });
  const logLength = new Parameter(tensor(init.logLength, { dtype: 'float64' }));
  const logAmp = new Parameter(tensor(init.logAmp, { dtype: 'float64' }));
  const logNoise = new Parameter(tensor(init.logNoise, { dtype: 'float64' }));
  const opt = new Adam([logLength, logAmp, logNoise], { lr: 0.05 });
  const eye = tensor(Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)), { dtype: 'float64', shape: [n, n] });
  let best = { ...init, logLength: init.logLength.slice() };
  let bestLoss = Infinity;
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const k = maternTensor(X, X, logLength.neg().exp(), logAmp.exp()).add(eye.mul(logNoise.exp().add(1e-6)));
    // Priors: lengthscales log-normal around 0.5, noise log-normal around 1e-3 of the amplitude.
    const prior = logLength.sub(Math.log(0.5)).square().sum().mul(0.5)
      .add(logNoise.sub(Math.log(1e-3)).square().mul(0.5 / 9))
      .add(logAmp.square().mul(0.5 / 4));
    let loss: Tensor;
    try {
      loss = gaussianNll(k, Y).add(prior);
    } catch {
      break; // stepped into a non-positive-definite corner: keep the best so far
    }
    const lv = loss.item();
    if (lv < bestLoss) {
      bestLoss = lv;
      best = { logLength: Array.from(logLength._flat()), logAmp: logAmp.item(), logNoise: logNoise.item() };
    }
    loss.backward();
    opt.step();
    noGrad(() => {
      logLength.copy_(logLength.clamp(Math.log(1e-2), Math.log(20)));
      logNoise.copy_(logNoise.clamp(Math.log(1e-6), Math.log(1)));
      logAmp.copy_(logAmp.clamp(-5, 5));
    });
  }
  return best;
}
