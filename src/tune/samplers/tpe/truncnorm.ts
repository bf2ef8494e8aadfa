// The standard normal in log space, for truncated-normal kernels: erf/erfc, log Phi, the log of the
// Gaussian mass of an interval, and the truncated normal's quantile (what Optuna's TPE uses).
const SQRT1_2 = Math.SQRT1_2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf(x) by its Taylor series, for |x| < 2 (absolute error below 1e-15 there). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const d = term / (2 * n + 1);
    sum += d;
    if (Math.abs(d) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/** erfc(x) for x >= 2 by its continued fraction (modified Lentz), relative error ~1e-15. */
function erfcFraction(x: number): number {
  // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function erf(x: number): number {
  if (Math.abs(x) < 2) return erfSeries(x);
  return x > 0 ? 1 - erfcFraction(x) : erfcFraction(-x) - 1;
}

export function erfc(x: number): number {
  if (x >= 2) return erfcFraction(x);
  if (x <= -2) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}

/** Phi(a), the standard normal CDF. */
export function ndtr(a: number): number {
  return 0.5 * erfc(-a * SQRT1_2);
}

/** log Phi(a), accurate in both tails. */
export function logNdtr(a: number): number {
  if (a > 6) return -ndtr(-a); // log(1 - e) ~ -e
  if (a > -20) return Math.log(ndtr(a));
  // Asymptotic series of the Mills ratio for the far left tail.
  const logLhs = -0.5 * a * a - Math.log(-a) - LOG_SQRT_2PI;
  let last = 0;
  let rhs = 1;
  let num = 1;
  let denom = 1;
  const dc = 1 / (a * a);
  let sign = 1;
  for (let i = 1; Math.abs(last - rhs) > Number.EPSILON && i < 100; i++) {
    last = rhs;
    sign = -sign;
    denom *= dc;
    num *= 2 * i - 1;
    rhs += sign * num * denom;
  }
  return logLhs + Math.log(rhs);
}

export const normLogPdf = (x: number): number => -0.5 * x * x - LOG_SQRT_2PI;

const logDiff = (lp: number, lq: number): number => lp + Math.log1p(-Math.exp(lq - lp));
function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** log(Phi(b) - Phi(a)) for a <= b, without cancellation in the tails. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** x with log Phi(x) = y, by bisection on [-100, 100]. */
function ndtriExp(y: number): number {
  let lo = -100;
  let hi = 100;
  let m = 0;
  for (let i = 0; i < 100; i++) {
    m = 0.5 * (lo + hi);
    if (logNdtr(m) < y) lo = m;
    else hi = m;
    if (hi - lo < 1e-14 * Math.max(1, Math.abs(m))) break;
  }
  return m;
}

/** The q-quantile of the standard normal truncated to [a, b]. */
export function truncnormPpf(q: number, a: number, b: number): number {
  if (a === b) return NaN;
  if (q === 0) return a;
  if (q === 1) return b;
  const mass = logGaussMass(a, b);
  if (a < 0) return ndtriExp(logAddExp(logNdtr(a), Math.log(q) + mass));
  return -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + mass));
}
