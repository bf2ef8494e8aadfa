// PyTorch-style printing (torch/_tensor_str.py): tensor([[1., 2.],
//                                                      [3., 4.]], requiresGrad=true)
import type { Tensor } from './tensor';

const THRESHOLD = 1000;
const EDGE = 3;
const LINE_WIDTH = 80;
const PRECISION = 4;

/** Python's '{:.Nf}': correctly rounded, ties to even (JS toFixed rounds ties away from zero). */
function fixed(v: number, digits: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  let s = Math.abs(v).toFixed(digits);
  if (Math.abs(v) < 1e21) {
    const exact = Math.abs(v).toFixed(Math.min(100, digits + 60));
    const rest = exact.slice(exact.length - 60);
    if (/^50*$/.test(rest)) {
      // A tie: toFixed rounded up; round to even instead.
      const down = exact.slice(0, exact.length - 60);
      const lastDigit = Number(down.replace('.', '').slice(-1));
      if (lastDigit % 2 === 0) s = digits === 0 && down.endsWith('.') ? down.slice(0, -1) : down;
    }
  }
  const neg = v < 0 || Object.is(v, -0);
  return neg ? `-${s}` : s;
}

/** Python's '{:.Ne}': exponent with at least two digits. */
function sci(v: number, digits: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const s = v.toExponential(digits).replace(/e([+-])(\d)$/, 'e$10$2');
  return Object.is(v, -0) ? `-${s}` : s;
}

class Formatter {
  intMode = true;
  sciMode = false;
  maxWidth = 1;

  constructor(values: number[], private readonly floating: boolean) {
    if (!floating) {
      for (const v of values) this.maxWidth = Math.max(this.maxWidth, String(v).length);
      return;
    }
    const nz = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (nz.length === 0) return;
    const abs = nz.map(Math.abs);
    const max = Math.max(...abs);
    const min = Math.min(...abs);
    this.intMode = nz.every((v) => v === Math.ceil(v));
    if (this.intMode) {
      if (max / min > 1000 || max > 1e8) this.sciMode = true;
      else for (const v of nz) this.maxWidth = Math.max(this.maxWidth, fixed(v, 0).length + 1);
    } else if (max / min > 1000 || max > 1e8 || min < 1e-4) {
      this.sciMode = true;
    } else {
      for (const v of nz) this.maxWidth = Math.max(this.maxWidth, fixed(v, PRECISION).length);
    }
    if (this.sciMode) for (const v of nz) this.maxWidth = Math.max(this.maxWidth, sci(v, PRECISION).length);
  }

  format(v: number): string {
    let s: string;
    if (!this.floating) s = String(v);
    else if (this.sciMode) s = sci(v, PRECISION);
    else if (this.intMode) s = fixed(v, 0) + (Number.isFinite(v) ? '.' : '');
    else s = fixed(v, PRECISION);
    return s.padStart(this.maxWidth);
  }
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

export function formatTensor(t: Tensor): string {
  const shape = t._shape;
  // Elements are read straight from the storage through the view's strides, and only those printed:
  // above the threshold that is the edge items, so printing takes the same time for any size.
  const data = t._st.data;
  const strides = t._strides;
  const size = shape.reduce((a, b) => a * b, 1);
  const summarize = size > THRESHOLD;
  const pick = (n: number) => (summarize && n > 2 * EDGE ? [...range(0, EDGE), -1, ...range(n - EDGE, n)] : range(0, n));
  // The formatter sees only what is printed, as in PyTorch's summarized view.
  const shown: number[] = [];
  const visit = (d: number, off: number): void => {
    if (d === shape.length) {
      shown.push(data[off]);
      return;
    }
    for (const i of pick(shape[d])) if (i >= 0) visit(d + 1, off + i * strides[d]);
  };
  if (size > 0) visit(0, t._off);
  const fmt = new Formatter(shown, t.dtype !== 'int32');
  const prefix = 'tensor(';
  const render = (d: number, off: number, indent: number): string => {
    const n = shape[d];
    if (d === shape.length - 1) {
      const items = pick(n).map((i) => (i < 0 ? ' ...' : fmt.format(data[off + i * strides[d]])));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (fmt.maxWidth + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - d - 1)}${' '.repeat(indent + 1)}`;
    return `[${pick(n).map((i) => (i < 0 ? '...' : render(d + 1, off + i * strides[d], indent + 1))).join(sep)}]`;
  };
  let body: string;
  const suffixes: string[] = [];
  if (size === 0) {
    body = '[]';
    if (shape.length !== 1) suffixes.push(`size=[${shape.join(', ')}]`);
  } else {
    body = shape.length === 0 ? fmt.format(data[t._off]).trimStart() : render(0, t._off, prefix.length);
  }
  if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
  if (t.gradFn) suffixes.push(`gradFn=<${t.gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  // Suffixes that would pass the line width go on a line of their own (PyTorch's _add_suffixes).
  let out = prefix + body;
  let lastLen = out.length - out.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLen + suffix.length + 2 > LINE_WIDTH) {
      out += `,\n${' '.repeat(prefix.length)}${suffix}`;
      lastLen = prefix.length + suffix.length;
    } else {
      out += `, ${suffix}`;
      lastLen += suffix.length + 2;
    }
  }
  return out + ')';
}
