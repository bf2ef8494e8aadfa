// Collects ONNX nodes, initializers and constants while a forward pass is traced.
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { scalarTensor } from '../ops/util';
import { AttrType, AttributeMsg, DataType, NodeMsg, TensorMsg } from './proto';

/** A traced value: its name in the graph and which axis is the (dynamic) batch axis, or -1. */
export interface Val {
  name: string;
  batch: number;
}

export const onnxType: Record<DType, number> = { float32: DataType.FLOAT, float64: DataType.DOUBLE, int32: DataType.INT32 };

export type AttrValue = { f: number } | { s: string } | number | number[];

function attribute(name: string, v: AttrValue): AttributeMsg {
  if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('f' in v) return { name, type: AttrType.FLOAT, f: v.f };
  return { name, type: AttrType.STRING, s: new TextEncoder().encode(v.s) };
}

export function tensorMsg(name: string, t: Tensor): TensorMsg {
  const data = t.contiguous().data();
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dims: t.shape.slice(), dataType: onnxType[t.dtype], rawData: raw };
}

export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  readonly vals = new Map<Tensor, Val>();
  /** Module path of the op being traced, for node names and errors. */
  modulePath = '';
  /** >0 while a module written as one node runs (its ops are not traced). */
  suppressed = 0;
  /** Class name of that module. */
  moduleClass = '';
  private used = new Set<string>();
  private counter = 0;

  constructor(
    readonly opset: number,
    private readonly stateNames: Map<Tensor, string>,
  ) {
    for (const n of stateNames.values()) this.used.add(n);
  }

  /** The module being traced, for error messages. */
  where(): string {
    return this.modulePath ? `${this.modulePath} (${this.moduleClass})` : `the model (${this.moduleClass})`;
  }

  fresh(base: string): string {
    let n = `${base}_${this.counter++}`;
    while (this.used.has(n)) n = `${base}_${this.counter++}`;
    this.used.add(n);
    return n;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  /** Adds a node; returns its output names. */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    const prefix = this.modulePath ? `/${this.modulePath.replace(/\./g, '/')}` : '';
    this.nodes.push({
      name: `${prefix}/${opType}_${this.nodes.length}`,
      opType,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  one(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, attrs)[0];
  }

  /** A constant tensor, as a Constant node (so that load() does not make it a Parameter). */
  constant(t: Tensor): string {
    const out = this.fresh('const');
    this.nodes.push({ name: `/Constant_${this.nodes.length}`, opType: 'Constant', input: [], output: [out], attribute: [{ name: 'value', type: AttrType.TENSOR, t: tensorMsg('', t) }] });
    return out;
  }

  int64s(values: number[]): string {
    const out = this.fresh('const');
    const t: TensorMsg = { dims: [values.length], dataType: DataType.INT64, int64Data: values };
    this.nodes.push({ name: `/Constant_${this.nodes.length}`, opType: 'Constant', input: [], output: [out], attribute: [{ name: 'value', type: AttrType.TENSOR, t }] });
    return out;
  }

  scalar(v: number, dtype: DType): string {
    return this.constant(scalarTensor(v, dtype));
  }

  /** The graph value of a tensor: traced, a parameter or buffer (initializer), an alias of one, or a constant. */
  val(t: Tensor): Val {
    const known = this.vals.get(t);
    if (known) return known;
    const stateName = this.stateNames.get(t);
    if (stateName !== undefined) {
      this.initializers.push(tensorMsg(stateName, t));
      const v = { name: stateName, batch: -1 };
      this.vals.set(t, v);
      return v;
    }
    // detach() and similar views share storage, layout and values with a traced tensor.
    for (const [k, v] of this.vals) {
      if (k._st === t._st && k._off === t._off && sameList(k._shape, t._shape) && sameList(k._strides, t._strides)) {
        this.vals.set(t, v);
        return v;
      }
    }
    const v = { name: this.constant(t), batch: -1 };
    this.vals.set(t, v);
    return v;
  }

  set(t: Tensor, name: string, batch: number): void {
    this.vals.set(t, { name, batch });
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
