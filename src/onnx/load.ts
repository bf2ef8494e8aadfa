// tg.onnx.load: an ONNX model as a Module whose forward runs the graph with tapegrad ops.
import * as fs from 'node:fs';
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { Module, Parameter } from '../nn/module';
import { noGrad } from '../autograd/grad-mode';
import { zeros } from '../ops/creation';
import { decodeModel, DataType, GraphMsg, NodeMsg, ValueInfoMsg } from './proto';
import { Attrs, checkDims, fromTensorMsg, isInts, Value } from './values';
import { runImpl } from './run-ops';
import { fsCall } from '../io/fs-errors';
import { describe } from '../validate';

const FN = 'onnx.load';
const RESERVED = new Set(['training', 'inputNames', 'outputNames', 'opTypes', '_steps', '_consts', '_params', '_inputs', '_opset']);

interface InputSpec {
  name: string;
  dtype: DType;
  /** Static sizes, or null for a symbolic (dynamic) dim; null for an unknown rank. */
  dims: (number | null)[] | null;
}

const dtypeOf: Record<number, DType> = { [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.INT64]: 'int32', [DataType.INT32]: 'int32' };

function inputSpec(v: ValueInfoMsg): InputSpec {
  const name = v.name ?? '';
  const tt = v.type?.tensorType;
  if (!tt || tt.elemType === undefined) throw new TypeError(`${FN}: graph input '${name}' has no tensor type`);
  const dtype = dtypeOf[tt.elemType];
  if (!dtype) throw new TypeError(`${FN}: graph input '${name}' has element type ${tt.elemType}; float, double, int64 and int32 inputs are supported`);
  const dims = tt.shape ? (tt.shape.dim ?? []).map((d) => (d.dimValue !== undefined ? Number(d.dimValue) : null)) : null;
  if (dims) checkDims(`${FN}: graph input '${name}'`, dims.map((d) => d ?? 0));
  return { name, dtype, dims };
}

interface Step {
  node: NodeMsg;
  where: string;
  attrs: Attrs;
  impl: NonNullable<ReturnType<typeof runImpl>>;
}

/** A loaded ONNX graph. Float initializers are its Parameters, named as in the file. */
export class OnnxModule extends Module {
  declare readonly inputNames: string[];
  declare readonly outputNames: string[];
  declare readonly opTypes: string[];
  declare private _steps: Step[];
  declare private _consts: Map<string, Value>;
  declare private _params: Map<string, Parameter>;
  declare private _inputs: InputSpec[];
  declare private _opset: number;

  /** @internal Use tg.onnx.load. */
  constructor(graph: GraphMsg, opset: number) {
    super();
    const hidden = (k: string, v: unknown) => Object.defineProperty(this, k, { value: v, enumerable: false, writable: false });
    const consts = new Map<string, Value>();
    const params = new Map<string, Parameter>();
    const known = new Set<string>();
    for (const [i, init] of (graph.initializer ?? []).entries()) {
      const name = init.name ?? '';
      if (!name) throw new TypeError(`${FN}: initializer ${i} has no name`);
      if (known.has(name)) throw new TypeError(`${FN}: initializer '${name}' is defined twice`);
      known.add(name);
      const v = fromTensorMsg(`${FN}: initializer '${name}'`, init);
      if (isInts(v)) consts.set(name, v);
      else {
        if (name in Module.prototype || name in this || RESERVED.has(name)) {
          throw new TypeError(`${FN}: initializer '${name}' clashes with a Module property`);
        }
        const p = new Parameter(v);
        params.set(name, p);
        (this as unknown as Record<string, unknown>)[name] = p;
      }
    }
    const inputs = (graph.input ?? []).filter((v) => !known.has(v.name ?? '')).map(inputSpec);
    for (const s of inputs) {
      if (!s.name || known.has(s.name)) throw new TypeError(`${FN}: graph input '${s.name}' is unnamed or defined twice`);
      known.add(s.name);
    }
    const steps: Step[] = [];
    for (const [i, node] of (graph.node ?? []).entries()) {
      const op = node.opType ?? '';
      const where = `${FN}: node '${node.name || `#${i}`}' (${op})`;
      if (node.domain && node.domain !== 'ai.onnx') throw new TypeError(`${where}: operator domain '${node.domain}' is not supported`);
      const impl = runImpl(op);
      if (!impl) throw new TypeError(`${where}: the op type '${op}' is not supported`);
      for (const inp of node.input ?? []) {
        if (inp !== '' && !known.has(inp)) throw new TypeError(`${where}: input '${inp}' is not defined before the node (missing initializer or nodes out of order)`);
      }
      const outs = node.output ?? [];
      if (outs.length === 0) throw new TypeError(`${where}: the node has no outputs`);
      for (const o of outs) if (o !== '') known.add(o);
      const runWhere = where.replace(`${FN}: `, 'onnx model: ');
      steps.push({ node, where: runWhere, attrs: new Attrs(runWhere, node.attribute), impl });
    }
    const outputNames = (graph.output ?? []).map((v) => v.name ?? '');
    if (outputNames.length === 0) throw new TypeError(`${FN}: the graph has no outputs`);
    for (const o of outputNames) if (!known.has(o)) throw new TypeError(`${FN}: graph output '${o}' is not produced by any node`);
    hidden('inputNames', inputs.map((s) => s.name));
    hidden('outputNames', outputNames);
    hidden('opTypes', [...new Set(steps.map((s) => s.node.opType ?? ''))]);
    hidden('_steps', steps);
    hidden('_consts', consts);
    hidden('_params', params);
    hidden('_inputs', inputs);
    hidden('_opset', opset);
  }

  /** Runs the graph on one tensor per graph input (int64 inputs take int32 tensors); one output or a list. */
  override forward(...xs: Tensor[]): Tensor | Tensor[] {
    const fn = 'onnx model';
    if (xs.length !== this._inputs.length) {
      throw new TypeError(`${fn}: expected ${this._inputs.length} inputs (${this.inputNames.join(', ')}), got ${xs.length}`);
    }
    const env = new Map<string, Value>(this._consts);
    for (const [k, p] of this._params) env.set(k, p);
    this._inputs.forEach((s, i) => {
      const x = xs[i];
      if (!(x instanceof Tensor)) throw new TypeError(`${fn}: input '${s.name}' must be a Tensor`);
      // A float graph also runs in float64 after module.double() (checkGradients does that).
      const ok = x.dtype === s.dtype || (s.dtype !== 'int32' && x.dtype !== 'int32');
      if (!ok) throw new TypeError(`${fn}: input '${s.name}' must be ${s.dtype}, got ${x.dtype}`);
      if (s.dims && (s.dims.length !== x.ndim || s.dims.some((d, j) => d !== null && d !== x.shape[j]))) {
        throw new RangeError(`${fn}: input '${s.name}' has shape [${x.shape.join(', ')}], the model expects [${s.dims.map((d) => d ?? '?').join(', ')}]`);
      }
      env.set(s.name, x);
    });
    for (const st of this._steps) {
      const ins = (st.node.input ?? []).map((n) => (n === '' ? null : env.get(n)!));
      const outs = st.node.output ?? [];
      let r: Value | Value[];
      try {
        r = st.impl(ins, { where: st.where, attrs: st.attrs, opset: this._opset, outputs: outs.length });
      } catch (e) {
        if (e instanceof Error && !e.message.startsWith(st.where)) e.message = `${st.where}: ${e.message}`;
        throw e;
      }
      const list = Array.isArray(r) ? r : [r];
      outs.forEach((o, k) => o !== '' && env.set(o, list[k]));
    }
    const res = this.outputNames.map((o) => {
      const v = env.get(o)!;
      if (isInts(v)) throw new TypeError(`${fn}: output '${o}' is integer data, not a tensor`);
      return v;
    });
    return res.length === 1 ? res[0] : res;
  }

  /**
   * @internal A run on zero inputs, so shape and type errors show at load: dynamic dims as 1 at
   * axis 0 (a batch) and as 32 elsewhere (sizes such as an image's, which kernels need room for).
   */
  _dryRun(): void {
    const dims = (s: InputSpec) => (s.dims ?? []).map((d, i) => d ?? (i === 0 ? 1 : 32));
    noGrad(() => this.forward(...this._inputs.map((s) => zeros(dims(s), { dtype: s.dtype }))));
  }
}

/** The bytes of a regular file (a directory, device or FIFO fails at once instead of reading forever). */
export function readModelFile(op: string, path: string): Uint8Array {
  const st = fsCall(op, path, () => fs.statSync(path));
  if (!st.isFile()) throw new TypeError(`${op}: ${path}: not a regular file`);
  return fsCall(op, path, () => fs.readFileSync(path));
}

export function load(pathOrBytes: string | Uint8Array): OnnxModule {
  let bytes: Uint8Array;
  if (typeof pathOrBytes === 'string') bytes = readModelFile(FN, pathOrBytes);
  else if (pathOrBytes instanceof Uint8Array) bytes = pathOrBytes;
  else throw new TypeError(`${FN}: expected a file path or a Uint8Array, got ${describe(pathOrBytes)}`);
  if (bytes.length === 0) throw new RangeError(`${FN}: the file is empty`);
  const model = decodeModel(bytes);
  if (!model.graph) throw new RangeError(`${FN}: the file has no graph (not an ONNX model?)`);
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  if (opset === undefined) throw new RangeError(`${FN}: the model imports no opset of the default ONNX domain`);
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) throw new RangeError(`${FN}: opset ${opset} is not supported (13 to 21 are)`);
  const m = new OnnxModule(model.graph, opset);
  try {
    m._dryRun();
  } catch (e) {
    if (e instanceof Error) e.message = e.message.replace(/^onnx model: /, `${FN}: `);
    throw e;
  }
  return m;
}
