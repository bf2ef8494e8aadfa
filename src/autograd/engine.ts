// The backward pass: visit the nodes reachable from the roots in decreasing sequence order.
import { Edge, Node } from './node';
import { withGradMode } from './grad-mode';
import { onesLike, zerosLike } from '../ops/creation';
import { Storage, Tensor } from '../tensor';
import { sameShape, shapeStr } from '../shape';
import { anomalyEnabled, checkBackwardGradients } from './anomaly';

interface RunOptions {
  retainGraph: boolean;
  createGraph: boolean;
  /** tg.grad: capture the gradients of these tensors instead of accumulating into leaves. */
  capture?: Tensor[];
}

let visits = 0;

function collect(roots: Node[]): Node[] {
  const visit = ++visits;
  const seen: Node[] = [];
  for (const r of roots) {
    if (r._visit === visit) continue;
    r._visit = visit;
    seen.push(r);
  }
  for (let k = 0; k < seen.length; k++) {
    for (const e of seen[k].edges) {
      if (e instanceof Node && e._visit !== visit) {
        e._visit = visit;
        seen.push(e);
      }
    }
  }
  return seen.sort((a, b) => b.seq - a.seq);
}

// Gradients whose storage nothing outside this backward pass can reach: a leaf takes such a
// gradient as its .grad without copying it, as PyTorch's AccumulateGrad steals a gradient that
// nothing else references. A storage qualifies when a built-in op's backward made it (or passed on
// one that qualified) and handed it to one input only; hooks, retained and root gradients never
// qualify. The leaf takes it only as a whole contiguous tensor.
let ownedRuns = 0;

class Owned {
  /** Storages this pass owns carry its id in `_owner` (a field, not a Set: backward runs every step). */
  private readonly id = ++ownedRuns;
  private has(st: Storage): boolean {
    return st._owner === this.id;
  }
  /** Whether g can become a leaf's .grad as it is: exclusive, and all of its storage in order. */
  canTake(g: Tensor): boolean {
    return this.has(g._st) && g._off === 0 && g._st.data.length === g.size && g.isContiguous();
  }
  drop(g: Tensor): void {
    if (this.has(g._st)) g._st._owner = 0;
  }
  /** Records the gradients a node returned; `since` is Storage.nextId() before its backward ran. */
  adopt(grads: readonly (Tensor | null | undefined)[], input: Tensor, since: number, user: boolean): void {
    for (let i = 0; i < grads.length; i++) {
      const g = grads[i];
      if (!(g instanceof Tensor)) continue;
      const st = g._st;
      let mine = !user && (st.id >= since || (st === input._st && this.has(st)));
      for (let j = 0; mine && j < grads.length; j++) {
        const h = grads[j];
        if (j !== i && h instanceof Tensor && h._st === st) mine = false; // handed to two inputs
      }
      if (mine) st._owner = this.id;
      else if (this.has(st)) st._owner = 0;
    }
  }
  sum(prev: Tensor, g: Tensor): Tensor {
    const s = prev.add(g);
    s._st._owner = this.id;
    return s;
  }
}

function accumulate<K>(map: Map<K, Tensor>, key: K, g: Tensor, owned: Owned): void {
  const prev = map.get(key);
  map.set(key, prev ? owned.sum(prev, g) : g);
}

function runHooks(hooks: ((g: Tensor) => Tensor | void)[] | null, g: Tensor): Tensor {
  if (!hooks) return g;
  for (const h of hooks) {
    const r = h(g);
    if (r !== undefined) {
      if (!(r instanceof Tensor) || !sameShape(r._shape, g._shape)) {
        throw new TypeError(`registerHook: a hook must return nothing or a tensor of shape ${shapeStr(g._shape)}`);
      }
      g = r;
    }
  }
  return g;
}

/** @internal Runs backward; returns the captured gradients when `capture` is given. */
export function runBackward(roots: Tensor[], rootGrads: Tensor[], opts: RunOptions): (Tensor | null)[] {
  const nodeGrads = new Map<Node, Tensor>();
  const leafGrads = new Map<Tensor, Tensor>();
  const owned = new Owned();
  const rootNodes: Node[] = [];
  roots.forEach((r, i) => {
    if (r._node) {
      rootNodes.push(r._node);
      accumulate(nodeGrads, r._node, rootGrads[i], owned);
    } else {
      accumulate(leafGrads, r, rootGrads[i], owned);
    }
  });
  const capture = opts.capture;
  const captured = new Map<Node | Tensor, Tensor>();
  const captureKeys = new Set<Node | Tensor>(capture?.map((t) => t._node ?? t) ?? []);

  withGradMode(opts.createGraph, () => {
    for (const node of collect(rootNodes)) {
      let g = nodeGrads.get(node);
      if (!g) continue;
      nodeGrads.delete(node);
      if (node._hooks) {
        owned.drop(g);
        g = runHooks(node._hooks, g);
        owned.drop(g);
      }
      if (captureKeys.has(node)) captured.set(node, g);
      if (!capture && node.retained) {
        const t = node.retained;
        owned.drop(g);
        t.grad = t.grad ? t.grad.add(g) : opts.createGraph ? g : g.detach();
      }
      if (node.freed) node.ctx.saved; // throws the "backward a second time" error
      node.checkVersions();
      const since = Storage.nextId();
      const grads = node.backward(node.ctx, g);
      if (!Array.isArray(grads)) throw new TypeError(`${node.name}: backward must return an array of gradients`);
      if (anomalyEnabled) checkBackwardGradients(capture ? 'grad' : 'backward', node, grads);
      owned.adopt(grads, g, since, node.user);
      node.edges.forEach((edge: Edge, i) => {
        if (!edge) return;
        const gi = grads[i];
        if (gi === null || gi === undefined) return;
        if (!(gi instanceof Tensor)) throw new TypeError(`${node.name}: backward returned a non-tensor gradient for input ${i}`);
        const want = node.inputShapes[i]!;
        if (!sameShape(gi._shape, want)) {
          throw new RangeError(`${node.name}: backward returned a gradient of shape ${shapeStr(gi._shape)} for input ${i} of shape ${shapeStr(want)}`);
        }
        if (edge instanceof Node) accumulate(nodeGrads, edge, gi, owned);
        else accumulate(leafGrads, edge, gi, owned);
      });
      if (!opts.retainGraph) node.release();
    }
    for (const [leaf, g0] of leafGrads) {
      if (leaf._hooks) owned.drop(g0);
      const g = runHooks(leaf._hooks, g0);
      if (capture) {
        if (captureKeys.has(leaf)) captured.set(leaf, g);
        continue;
      }
      if (leaf.grad) {
        leaf.grad = opts.createGraph ? leaf.grad.add(g) : leaf.grad.add_(g.to(leaf.grad.dtype));
      } else if (opts.createGraph) {
        leaf.grad = g;
      } else {
        leaf.grad = owned.canTake(g) && g.dtype === leaf.dtype ? g.detach() : g.detach().clone().to(leaf.dtype);
      }
    }
  });
  return capture ? capture.map((t) => captured.get(t._node ?? t) ?? null) : [];
}

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

function seedGrad(op: string, t: Tensor, g: Tensor | undefined | null): Tensor {
  if (g === undefined || g === null) {
    if (t.size !== 1) {
      throw new RangeError(`${op}: grad can be implicitly created only for scalar outputs, got shape ${shapeStr(t._shape)}; pass a gradient`);
    }
    return withGradMode(false, () => onesLike(t));
  }
  if (!(g instanceof Tensor)) throw new TypeError(`${op}: gradient must be a Tensor`);
  if (!sameShape(g._shape, t._shape)) {
    throw new RangeError(`${op}: gradient of shape ${shapeStr(g._shape)} does not match the output shape ${shapeStr(t._shape)}`);
  }
  return g.dtype === t.dtype ? g : g.to(t.dtype);
}

export function backward(t: Tensor, gradient?: Tensor | null, opts: BackwardOptions = {}): void {
  if (!t._rg) {
    throw new Error('backward: the tensor does not require grad and has no gradFn (did every input have requiresGrad: false, or was it made under noGrad?)');
  }
  const createGraph = opts.createGraph ?? false;
  runBackward([t], [seedGrad('backward', t, gradient)], {
    retainGraph: opts.retainGraph ?? createGraph,
    createGraph,
  });
}

export interface GradOptions {
  gradOutputs?: Tensor | (Tensor | null)[] | null;
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

/** Gradients of outputs with respect to inputs, without touching `.grad` (torch.autograd.grad). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  outs.forEach((o, i) => {
    if (!(o instanceof Tensor)) throw new TypeError(`grad: output ${i} is not a Tensor`);
    if (!o._rg) throw new Error(`grad: output ${i} does not require grad and has no gradFn`);
  });
  ins.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`grad: input ${i} is not a Tensor`);
    if (!t._rg) throw new Error(`grad: input ${i} (shape ${shapeStr(t._shape)}) does not require grad`);
  });
  const go = opts.gradOutputs == null ? [] : Array.isArray(opts.gradOutputs) ? opts.gradOutputs : [opts.gradOutputs];
  if (go.length !== 0 && go.length !== outs.length) {
    throw new RangeError(`grad: got ${go.length} gradOutputs for ${outs.length} outputs`);
  }
  const seeds = outs.map((o, i) => seedGrad('grad', o, go[i]));
  const createGraph = opts.createGraph ?? false;
  const res = runBackward(outs, seeds, { retainGraph: opts.retainGraph ?? createGraph, createGraph, capture: ins });
  res.forEach((r, i) => {
    if (r === null && !opts.allowUnused) {
      throw new Error(`grad: input ${i} was not used to compute the outputs; pass allowUnused: true to get null for it`);
    }
  });
  return res;
}

/** Functional style: `valueAndGrad(f)(...args)` returns `[f(...args), gradients for the tensor args]`. */
export function valueAndGrad<A extends unknown[]>(fn: (...args: A) => Tensor): (...args: A) => [Tensor, Tensor[]] {
  if (typeof fn !== 'function') throw new TypeError('valueAndGrad: expected a function');
  return (...args: A) => {
    const tracked: Tensor[] = [];
    const wrapped = args.map((a) => {
      if (a instanceof Tensor && a.dtype !== 'int32') {
        const t = a.detach().requiresGrad_(true);
        tracked.push(t);
        return t;
      }
      return a;
    }) as A;
    const value = withGradMode(true, () => fn(...wrapped));
    if (!(value instanceof Tensor)) throw new TypeError('valueAndGrad: the function must return a Tensor');
    if (!value._rg) return [value, tracked.map((t) => zerosLike(t))];
    const gs = grad(value, tracked, { allowUnused: true });
    return [value.detach(), gs.map((g, i) => g ?? zerosLike(tracked[i]))];
  };
}
