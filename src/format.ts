// PyTorch-style printing: tensor([[1., 2.],
//                                 [3., 4.]], requiresGrad=true)
import type { Tensor } from './tensor';

const THRESHOLD = 1000;
const EDGE = 3;
const LINE_WIDTH = 80;

function floatFormatter(values: number[]): (v: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const abs = finite.map(Math.abs).filter((v) => v !== 0);
  const intMode = finite.every((v) => Number.isInteger(v));
  const max = abs.length ? Math.max(...abs) : 0;
  const min = abs.length ? Math.min(...abs) : 0;
  const special = (v: number): string | null =>
    Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null;
  if (intMode) {
    if (max > 1e8) return (v) => special(v) ?? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    return (v) => special(v) ?? `${v.toFixed(0)}.`;
  }
  if (abs.length && (max / min > 1000 || max > 1e8 || min < 1e-4)) {
    return (v) => special(v) ?? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return (v) => special(v) ?? v.toFixed(4);
}

export function formatTensor(t: Tensor): string {
  const shape = t.shape;
  const flat = Array.from(t._flat() as ArrayLike<number>);
  const summarize = flat.length > THRESHOLD;
  const fmt = t.dtype === 'int32' ? (v: number) => String(v) : floatFormatter(summarizedValues(flat, shape, summarize));
  const strings = flat.map(fmt);
  const width = Math.max(1, ...summarizedValues(strings, shape, summarize).map((s) => s.length));
  const pad = (s: string) => s.padStart(width);
  const prefix = 'tensor(';
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  const render = (d: number, off: number, indent: number): string => {
    if (d === shape.length) return pad(strings[off]);
    const n = shape[d];
    const idx = summarize && n > 2 * EDGE ? [...range(0, EDGE), -1, ...range(n - EDGE, n)] : range(0, n);
    if (d === shape.length - 1) {
      const items = idx.map((i) => (i < 0 ? '...' : pad(strings[off + i])));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(shape.length - d - 1)}${' '.repeat(indent + 1)}`;
    const parts = idx.map((i) => (i < 0 ? '...' : render(d + 1, off + i * strides[d], indent + 1)));
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? strings[0] : render(0, 0, prefix.length);
  const extras: string[] = [];
  if (shape.length > 0 && flat.length === 0) extras.push(`size=[${shape.join(', ')}]`);
  if (t.dtype !== 'float32') extras.push(`dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  return `${prefix}${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

// The elements that are printed when the tensor is summarized (so widths match what is shown).
function summarizedValues<T>(flat: T[], shape: readonly number[], summarize: boolean): T[] {
  if (!summarize) return flat;
  const out: T[] = [];
  const walk = (d: number, off: number, stride: number): void => {
    if (d === shape.length) {
      out.push(flat[off]);
      return;
    }
    const n = shape[d];
    const inner = stride / n;
    const idx = n > 2 * EDGE ? [...range(0, EDGE), ...range(n - EDGE, n)] : range(0, n);
    for (const i of idx) walk(d + 1, off + i * inner, inner);
  };
  walk(0, 0, flat.length);
  return out;
}
