// nn.summary: a per-layer table like Keras's model.summary() / torchinfo, from one forward pass of an
// example input (in eval mode, under noGrad) that records every submodule's output shape.
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad-mode';
import type { DType } from '../dtype';
import { Module } from './module';
import { describe } from '../validate';

export interface SummaryRow {
  /** Dotted name (`layers.0`); '' for the model itself (listed only if it holds parameters directly). */
  name: string;
  type: string;
  /** Shape of the module's output in the example pass (one per output if it returned several); null if it was not called. */
  outputShape: number[] | number[][] | null;
  /** Parameters held directly by this module (a shared parameter counts where it first appears). */
  params: number;
  /** How many of those require grad. */
  trainable: number;
}

export interface Summary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  /** Bytes of all parameters and buffers. */
  paramBytes: number;
  /** Bytes of the outputs of every leaf module (those without submodules) in the example pass. */
  activationBytes: number;
  toString(): string;
}

const itemSize = (d: DType): number => (d === 'float64' ? 8 : 4);

const shapes = (out: unknown): Tensor[] | null => {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out) && out.length > 0 && out.every((t) => t instanceof Tensor)) return out as Tensor[];
  return null;
};

const fmtShape = (s: SummaryRow['outputShape']): string =>
  s === null ? '-' : Array.isArray(s[0]) ? (s as number[][]).map((x) => `[${x.join(', ')}]`).join(', ') : `[${(s as number[]).join(', ')}]`;

const fmtBytes = (b: number): string => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : b >= 1 << 10 ? `${(b / (1 << 10)).toFixed(2)} KiB` : `${b} B`);

const group = (n: number): string => n.toLocaleString('en-US');

/** Runs `model` on `exampleInput` (a tensor or an array of input tensors) and tabulates its layers. */
export function summary(model: Module, exampleInput: Tensor | Tensor[]): Summary {
  if (!(model instanceof Module)) throw new TypeError(`summary: model must be a tg.nn.Module, got ${describe(model)}`);
  const inputs = exampleInput instanceof Tensor ? [exampleInput] : exampleInput;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((t) => t instanceof Tensor)) {
    throw new TypeError('summary: exampleInput must be a Tensor or an array of Tensors');
  }
  const mods = [...model.namedModules()];
  const outputs = new Map<Module, Tensor[]>();
  // Record outputs by wrapping each module's forward for the one pass (an own, non-enumerable property, removed after).
  for (const [, m] of mods) {
    const inner = m.forward;
    Object.defineProperty(m, 'forward', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: (...args: unknown[]) => {
        const out = inner.apply(m, args);
        const ts = shapes(out);
        if (ts) outputs.set(m, ts);
        return out;
      },
    });
  }
  const wasTraining = model.training;
  try {
    model.eval();
    noGrad(() => model.forward(...inputs));
  } finally {
    for (const [, m] of mods) delete (m as { forward?: unknown }).forward;
    model.train(wasTraining);
  }
  const seen = new Set<Tensor>();
  const rows: SummaryRow[] = [];
  let activationBytes = 0;
  for (const [name, m] of mods) {
    let params = 0, trainable = 0;
    for (const p of m.parameters(false)) {
      if (seen.has(p)) continue;
      seen.add(p);
      params += p.size;
      if (p.requiresGrad) trainable += p.size;
    }
    const out = outputs.get(m);
    const leaf = m.children().next().done === true;
    if (out && leaf) for (const t of out) activationBytes += t.size * itemSize(t.dtype);
    if (name === '' && params === 0) continue;
    rows.push({ name, type: m.constructor.name, outputShape: out ? (out.length === 1 ? out[0].shape : out.map((t) => t.shape)) : null, params, trainable });
  }
  const totalParams = model.numParameters();
  const trainableParams = model.numParameters({ onlyTrainable: true });
  let paramBytes = 0;
  for (const p of model.parameters()) paramBytes += p.size * itemSize(p.dtype);
  for (const b of model.buffers()) paramBytes += b.size * itemSize(b.dtype);
  const table = (): string => {
    const head = ['Layer (type)', 'Output shape', 'Param #'];
    const body = rows.map((r) => [`${r.name || '(model)'} (${r.type})`, fmtShape(r.outputShape), group(r.params)]);
    const w = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('   ');
    const rule = (ch: string) => ch.repeat(w[0] + w[1] + w[2] + 6);
    return [
      rule('='), line(head), rule('='), ...body.map(line), rule('='),
      `Total params: ${group(totalParams)}`,
      `Trainable params: ${group(trainableParams)}`,
      `Non-trainable params: ${group(totalParams - trainableParams)}`,
      `Params and buffers size: ${fmtBytes(paramBytes)}`,
      `Activations size (one forward pass): ${fmtBytes(activationBytes)}`,
      rule('='),
    ].join('\n');
  };
  return { rows, totalParams, trainableParams, paramBytes, activationBytes, toString: table };
}
