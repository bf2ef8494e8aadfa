// Float64 JS references for the reduction tests (reduce.test.ts, reduce.vector.test.ts),
// independent of tapegrad: groups of input values per output, and each reduction over a group
// with PyTorch's NaN / infinity conventions.
import { numel, rowMajorStrides } from './helpers';

export type Dims = number | number[] | undefined;

export function reducedDims(dim: Dims, nd: number): number[] {
  if (nd === 0) return [];
  if (dim === undefined || (Array.isArray(dim) && dim.length === 0)) return [...Array(nd).keys()];
  return (Array.isArray(dim) ? dim : [dim]).map((d) => (d < 0 ? d + nd : d));
}

/** The groups of input values each output element reduces (row-major order inside a group). */
export function groupsOf(data: ArrayLike<number>, shape: readonly number[], dim: Dims, keepDim: boolean) {
  const nd = shape.length;
  const red = new Set(reducedDims(dim, nd));
  const outShape = keepDim ? shape.map((s, d) => (red.has(d) ? 1 : s)) : shape.filter((_, d) => !red.has(d));
  const keptSizes = shape.filter((_, d) => !red.has(d));
  const groups: number[][] = Array.from({ length: numel(keptSizes) }, () => []);
  const idx = new Array<number>(nd).fill(0);
  const n = numel(shape);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let d = 0; d < nd; d++) if (!red.has(d)) o = o * shape[d] + idx[d];
    groups[o].push(data[i]);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { outShape, groups };
}

/** Row-major values of the strided view (shape, strides, offset) of `data`. */
export function viewData(data: ArrayLike<number>, shape: readonly number[], strides: readonly number[], offset = 0): Float64Array {
  const nd = shape.length;
  const out = new Float64Array(numel(shape));
  const idx = new Array<number>(nd).fill(0);
  for (let i = 0; i < out.length; i++) {
    let off = offset;
    for (let d = 0; d < nd; d++) off += idx[d] * strides[d];
    out[i] = data[off];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Row-major values of a permuted view of `data` (shape `shape`) by `perm`. */
export function permuteData(data: ArrayLike<number>, shape: readonly number[], perm: number[]): { data: Float64Array; shape: number[] } {
  const st = rowMajorStrides(shape);
  const oshape = perm.map((p) => shape[p]);
  return { data: viewData(data, oshape, perm.map((p) => st[p])), shape: oshape };
}

/** Neumaier-compensated sum (exact to about one rounding); plain when infinities or NaN are present. */
export function refSum(g: readonly number[]): number {
  let s = 0;
  let c = 0;
  let plain = 0;
  for (const v of g) {
    plain += v;
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return Number.isFinite(plain) ? s + c : plain;
}
export const refAbsSum = (g: readonly number[]) => refSum(g.map(Math.abs));
export const refMean = (g: readonly number[]) => refSum(g) / g.length;
const hasNaN = (g: readonly number[]) => g.some(Number.isNaN);
export const refMax = (g: readonly number[]) => (hasNaN(g) ? NaN : g.reduce((m, v) => (v > m ? v : m), -Infinity));
export const refMin = (g: readonly number[]) => (hasNaN(g) ? NaN : g.reduce((m, v) => (v < m ? v : m), Infinity));
export const refProd = (g: readonly number[]) => g.reduce((p, v) => p * v, 1);
/** Two-pass variance, divided by max(n - correction, 0) as PyTorch. */
export const refVar = (c: number) => (g: readonly number[]) => {
  const m = refMean(g);
  return refSum(g.map((v) => (v - m) * (v - m))) / Math.max(g.length - c, 0);
};
export const refStd = (c: number) => (g: readonly number[]) => Math.sqrt(refVar(c)(g));
export const refLse = (g: readonly number[]) => {
  const m = refMax(g);
  if (!Number.isFinite(m)) return m;
  return m + Math.log(refSum(g.map((v) => Math.exp(v - m))));
};
/** Vector norms; p = 0 counts the non-zero entries (NaN included, as PyTorch). */
export const refNorm = (p: number) => (g: readonly number[]) => {
  const a = g.map(Math.abs);
  if (p === Infinity) return hasNaN(a) ? NaN : a.reduce((m, v) => Math.max(m, v), 0);
  if (p === -Infinity) return hasNaN(a) ? NaN : a.reduce((m, v) => Math.min(m, v), Infinity);
  if (p === 0) return g.filter((v) => v !== 0).length;
  return refSum(a.map((v) => v ** p)) ** (1 / p);
};
/** The first NaN's index, else the first best value's index. */
export const refArg = (isMax: boolean) => (g: readonly number[]) => {
  const nan = g.findIndex(Number.isNaN);
  if (nan >= 0) return nan;
  let bi = 0;
  for (let i = 1; i < g.length; i++) if (isMax ? g[i] > g[bi] : g[i] < g[bi]) bi = i;
  return bi;
};
