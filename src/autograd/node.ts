// Tape nodes and defineOp: every differentiable op, built-in or user-defined, records through here.
import { isGradEnabled, setGradMode } from './grad-mode';
import { Tensor } from '../tensor';
import { shapeStr } from '../shape';
import { activeTracer } from './trace';
import { anomalyEnabled, recordForwardStack } from './anomaly';

let nextSeq = 0;

/** What backward receives: saved tensors, which inputs need gradients, and any fields forward set. */
export class OpContext {
  /** @internal */ _saved: Tensor[] | null = [];
  /** @internal */ _versions: number[] = [];
  /** @internal */ _recording: boolean;
  readonly needsInputGrad: boolean[];
  [key: string]: unknown;

  constructor(needsInputGrad: boolean[], recording: boolean) {
    this.needsInputGrad = needsInputGrad;
    this._recording = recording;
  }

  save(...tensors: Tensor[]): void {
    if (!this._recording) return;
    for (const t of tensors) {
      if (!(t instanceof Tensor)) throw new TypeError('ctx.save: only tensors can be saved');
      this._saved!.push(t);
      this._versions.push(t._version);
    }
  }

  get saved(): Tensor[] {
    if (this._saved === null) {
      throw new Error(
        'Trying to backward through the graph a second time (or to read saved tensors after they were freed). ' +
          'Saved tensors are freed after backward; pass {retainGraph: true} to the first backward to keep them.',
      );
    }
    return this._saved;
  }
}

/** An input edge: the producing node of a non-leaf, or the leaf tensor itself. */
export type Edge = Node | Tensor | null;

export type BackwardFn = (ctx: OpContext, gradOut: Tensor) => (Tensor | null | undefined)[];

export class Node {
  readonly seq = nextSeq++;
  /** @internal The last backward pass that visited this node (engine.ts: cheaper than a Set). */
  _visit = 0;
  freed = false;
  /** Hooks registered on the (non-leaf) output tensor. */
  _hooks: ((g: Tensor) => Tensor | void)[] | null = null;
  /** The output tensor, when retainGrad() asked for its gradient. */
  retained: Tensor | null = null;
  /** Made by defineOp: its backward may keep references to the gradients it returns. */
  user = false;

  constructor(
    readonly name: string,
    readonly edges: Edge[],
    readonly inputShapes: (readonly number[] | null)[],
    readonly ctx: OpContext,
    readonly backward: BackwardFn,
  ) {}

  /** Throws if a saved tensor changed in place since forward. */
  checkVersions(): void {
    const saved = this.ctx.saved;
    for (let i = 0; i < saved.length; i++) {
      const t = saved[i];
      if (t._version !== this.ctx._versions[i]) {
        throw new Error(
          `one of the tensors needed for gradient computation has been modified by an in-place operation: ` +
            `the ${t.dtype} ${shapeStr(t._shape)} tensor saved by '${this.name}' is at version ${t._version}; ` +
            `expected version ${this.ctx._versions[i]}. Use an out-of-place op or clone() it before changing it.`,
        );
      }
    }
  }

  release(): void {
    this.ctx._saved = null;
    this.freed = true;
  }
}

export interface OpDefinition<A extends unknown[]> {
  forward(ctx: OpContext, ...args: A): Tensor;
  backward(ctx: OpContext, gradOut: Tensor): (Tensor | null | undefined)[];
}

/** @internal Runs an op: forward without recording, then a tape node if any input needs grad. */
export function applyOp<A extends unknown[]>(name: string, def: OpDefinition<A>, args: A, user = false): Tensor {
  const needs = new Array<boolean>(args.length);
  let any = false;
  const enabled = isGradEnabled();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    needs[i] = enabled && a instanceof Tensor && a._rg;
    any ||= needs[i];
  }
  const ctx = new OpContext(needs, any);
  const prev = setGradMode(false);
  let out: Tensor;
  try {
    // Fixed arities avoid a spread call on the hot path; the arguments are the same.
    const fwd = def.forward as (ctx: OpContext, ...a: unknown[]) => Tensor;
    const n = args.length;
    if (n === 1) out = fwd.call(def, ctx, args[0]);
    else if (n === 2) out = fwd.call(def, ctx, args[0], args[1]);
    else if (n === 3) out = fwd.call(def, ctx, args[0], args[1], args[2]);
    else out = def.forward(ctx, ...args);
  } finally {
    setGradMode(prev);
  }
  if (!(out instanceof Tensor)) throw new TypeError(`${name}: forward must return a Tensor`);
  if (activeTracer !== null) activeTracer(name, args, out);
  if (!any) return out;
  if ((args as unknown[]).includes(out)) out = out._view(out._shape, out._strides, out._off);
  if (out.dtype === 'int32') return out;
  const edges: Edge[] = new Array(args.length);
  const shapes: (readonly number[] | null)[] = new Array(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (needs[i]) {
      const t = a as Tensor;
      edges[i] = t._node ?? t;
      shapes[i] = t._shape;
    } else {
      edges[i] = null;
      shapes[i] = null;
    }
  }
  out._node = new Node(name, edges, shapes, ctx, def.backward);
  out._node.user = user;
  if (anomalyEnabled) recordForwardStack(out._node);
  out._rg = true;
  return out;
}

/** Defines a custom differentiable op, like torch.autograd.Function. */
export function defineOp<A extends unknown[]>(name: string, def: OpDefinition<A>): (...args: A) => Tensor {
  if (typeof name !== 'string' || !name) throw new TypeError('defineOp: name must be a non-empty string');
  if (!def || typeof def.forward !== 'function' || typeof def.backward !== 'function') {
    throw new TypeError(`defineOp('${name}'): expected {forward(ctx, ...inputs), backward(ctx, gradOut)}`);
  }
  return (...args: A) => applyOp(name, def, args, true);
}
