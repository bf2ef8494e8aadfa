// tg.onnx.exportModel / toBytes: trace one eval-mode forward pass and write it as an ONNX ModelProto.
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { noGrad } from '../autograd/grad-mode';
import { withTracer } from '../autograd/trace';
import { writeAtomically } from '../io/safetensors';
import { GraphBuilder, onnxType } from './graph-builder';
import { exportHandler } from './export-ops';
import { moduleExport } from './module-exports';
import { encodeModel, ModelMsg, ValueInfoMsg } from './proto';
import { OnnxModule } from './load';
import { cat, narrow } from '../ops/shape';
import * as fs from 'node:fs';
import { backendInfo } from '../runtime';

export interface ExportOptions {
  /** ONNX opset of the default domain, 17 to 21 (default 17). */
  opset?: number;
  inputNames?: string[];
  outputNames?: string[];
  /**
   * Dynamic axes by input or output name, as torch.onnx.export: `{input: {0: 'batch'}}` or `{input: [0]}`.
   * Default: axis 0 of every input is the dynamic 'batch' axis. `{}` exports fixed shapes.
   */
  dynamicAxes?: Record<string, Record<number, string> | number[]>;
  /**
   * Run the exported graph once more on the example inputs with their batch rotated and grown to 2n + 1,
   * and compare it with the model there (default true): catches values computed outside tapegrad ops
   * (which the trace sees as constants) and sizes built into constants.
   */
  verify?: boolean;
}

const FN = 'onnx.exportModel';

function inputList(fn: string, x: unknown): Tensor[] {
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0) throw new TypeError(`${fn}: exampleInputs must be a Tensor or a non-empty array of Tensors`);
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${fn}: exampleInputs[${i}] must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  });
  return list as Tensor[];
}

function names(fn: string, what: string, given: unknown, n: number, base: string): string[] {
  if (given === undefined) return Array.from({ length: n }, (_, i) => (n === 1 ? base : `${base}${i}`));
  if (!Array.isArray(given) || given.length !== n || !given.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new TypeError(`${fn}: ${what} must be an array of ${n} non-empty strings`);
  }
  if (new Set(given).size !== n) throw new TypeError(`${fn}: ${what} must be distinct`);
  return given;
}

/** The dynamic axes of one value as a map axis -> symbol. */
function axesOf(fn: string, name: string, spec: Record<number, string> | number[] | undefined, rank: number): Map<number, string> {
  const m = new Map<number, string>();
  if (spec === undefined) return m;
  const entries: [number, string][] = Array.isArray(spec) ? spec.map((a) => [a, 'batch']) : Object.entries(spec).map(([a, s]) => [Number(a), s]);
  for (const [a, s] of entries) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) throw new RangeError(`${fn}: dynamicAxes['${name}'] axis ${a} is out of range for rank ${rank}`);
    if (typeof s !== 'string' || !s) throw new TypeError(`${fn}: dynamicAxes['${name}'] names must be non-empty strings`);
    m.set(a < 0 ? a + rank : a, s);
  }
  if (m.size > 1) throw new RangeError(`${fn}: dynamicAxes['${name}'] lists ${m.size} axes; one dynamic (batch) axis per value is supported`);
  return m;
}

function valueInfo(name: string, t: Tensor, dyn: Map<number, string>): ValueInfoMsg {
  const dim = t.shape.map((s, d) => (dyn.has(d) ? { dimParam: dyn.get(d) } : { dimValue: s }));
  return { name, type: { tensorType: { elemType: onnxType[t.dtype], shape: { dim } } } };
}

/** Runs `fn` with every submodule's forward reporting its dotted name to `b`. */
function withModulePaths<T>(model: Module, b: GraphBuilder, fn: () => T): T {
  const patched: [Module, PropertyDescriptor | undefined][] = [];
  try {
    for (const [path, m] of model.namedModules()) {
      const orig = m.forward;
      const ownDesc = Object.getOwnPropertyDescriptor(m, 'forward');
      const own = ownDesc !== undefined;
      Object.defineProperty(m, 'forward', {
        configurable: true,
        enumerable: false,
        writable: true,
        value: (...a: unknown[]) => {
          const [outerPath, outerClass] = [b.modulePath, b.moduleClass];
          b.modulePath = path;
          b.moduleClass = m.constructor.name;
          try {
            const whole = b.suppressed === 0 && !own ? moduleExport(b, m, a) : null;
            if (!whole) return orig.apply(m, a);
            b.suppressed++;
            let out: unknown;
            try {
              out = orig.apply(m, a);
            } finally {
              b.suppressed--;
            }
            if (out instanceof Tensor) whole(out);
            return out;
          } finally {
            b.modulePath = outerPath;
            b.moduleClass = outerClass;
          }
        },
      });
      patched.push([m, ownDesc]);
    }
    return fn();
  } finally {
    for (const [m, desc] of patched) {
      if (desc) Object.defineProperty(m, 'forward', desc);
      else delete (m as unknown as Record<string, unknown>).forward;
    }
  }
}

export function toBytes(model: Module, exampleInputs: Tensor | Tensor[], opts: ExportOptions = {}): Uint8Array {
  return build('onnx.toBytes', model, exampleInputs, opts);
}

export function exportModel(model: Module, exampleInputs: Tensor | Tensor[], path: string, opts: ExportOptions = {}): void {
  if (typeof path !== 'string' || !path) throw new TypeError(`${FN}: path must be a non-empty string`);
  const bytes = build(FN, model, exampleInputs, opts);
  writeAtomically(FN, path, (fd) => fs.writeSync(fd, bytes));
}

function build(fn: string, model: Module, exampleInputs: Tensor | Tensor[], opts: ExportOptions): Uint8Array {
  if (!(model instanceof Module)) throw new TypeError(`${fn}: model must be a tg.nn.Module`);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object`);
  const inputs = inputList(fn, exampleInputs);
  const opset = opts.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 17 || opset > 21) throw new RangeError(`${fn}: opset must be an integer from 17 to 21, got ${String(opset)}`);
  const inNames = names(fn, 'inputNames', opts.inputNames, inputs.length, 'input');
  const dynSpec = opts.dynamicAxes ?? Object.fromEntries(inNames.filter((_, i) => inputs[i].ndim > 0).map((n) => [n, { 0: 'batch' }]));
  if (typeof dynSpec !== 'object' || dynSpec === null) throw new TypeError(`${fn}: dynamicAxes must be an object`);
  const inAxes = inNames.map((n, i) => axesOf(fn, n, dynSpec[n], inputs[i].ndim));
  const batchSizes = new Set(inAxes.flatMap((m, i) => [...m.keys()].map((a) => inputs[i].shape[a])));
  if (batchSizes.size > 1) throw new RangeError(`${fn}: the dynamic axes of the example inputs have different sizes (${[...batchSizes].join(', ')})`);
  const batchSize = batchSizes.size ? [...batchSizes][0] : -1;

  const stateNames = new Map<Tensor, string>();
  for (const [n, t] of model.namedBuffers()) stateNames.set(t, n);
  for (const [n, t] of model.namedParameters()) stateNames.set(t, n);
  const b = new GraphBuilder(opset, stateNames);
  for (const n of opts.outputNames ?? []) if (typeof n === 'string') b.reserve(n);
  // A graph input is fed through a clone, so the tracer sees a tensor that only the graph knows.
  const fed = inputs.map((t, i) => {
    b.reserve(inNames[i]);
    const c = t.detach().clone();
    b.set(c, inNames[i], inAxes[i].size ? [...inAxes[i].keys()][0] : -1);
    return c;
  });

  const wasTraining = model.training;
  model.eval();
  let result: unknown;
  try {
    result = withModulePaths(model, b, () =>
      noGrad(() =>
        withTracer((name, args, out) => {
          if (!(out instanceof Tensor) || b.suppressed > 0) return;
          const h = exportHandler(name);
          if (!h) throw new TypeError(`${fn}: the op '${name}' in ${b.where()} has no ONNX export`);
          h(b, args, out, batchSize);
        }, () => model.forward(...fed)),
      ),
    );
  } finally {
    model.train(wasTraining);
  }
  const outs = inputList(`${fn}: the model's output`, result);
  const outNames = names(fn, 'outputNames', opts.outputNames, outs.length, 'output');
  const clash = outNames.find((n) => inNames.includes(n));
  if (clash !== undefined) throw new TypeError(`${fn}: '${clash}' names both an input and an output`);
  const outputInfo: ValueInfoMsg[] = [];
  const claimed = new Set<string>();
  outs.forEach((t, i) => {
    const v = b.val(t);
    if (v.name !== outNames[i]) {
      const producer = b.nodes.find((n) => n.output!.includes(v.name));
      if (producer && !claimed.has(v.name)) {
        // Name the producing node's output after the graph output (and its other uses with it).
        for (const n of b.nodes) {
          n.input = n.input!.map((s) => (s === v.name ? outNames[i] : s));
          n.output = n.output!.map((s) => (s === v.name ? outNames[i] : s));
        }
        claimed.add(outNames[i]);
        v.name = outNames[i];
      } else {
        b.nodes.push({ name: `/Identity_${outNames[i]}`, opType: 'Identity', input: [v.name], output: [outNames[i]] });
      }
    }
    const given = axesOf(fn, outNames[i], dynSpec[outNames[i]], t.ndim);
    const symbol = inAxes.find((m) => m.size)?.values().next().value ?? 'batch';
    const dyn = given.size || v.batch < 0 || batchSize < 0 ? given : new Map([[v.batch, symbol]]);
    outputInfo.push(valueInfo(outNames[i], t, dyn));
  });

  const model_: ModelMsg = {
    // The IR version that introduced the opset (ONNX's versioning table): 17-18 -> 8, 19-20 -> 9, 21 -> 10.
    irVersion: opset <= 18 ? 8 : opset <= 20 ? 9 : 10,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'tapegrad',
    producerVersion: backendInfo().version,
    graph: {
      name: model.constructor.name,
      node: b.nodes,
      initializer: b.initializers,
      input: inputs.map((t, i) => valueInfo(inNames[i], t, inAxes[i])),
      output: outputInfo,
    },
  };
  if (opts.verify ?? true) {
    const shapes = verify(fn, model, model_, inputs, inAxes.map((m) => (m.size ? [...m.keys()][0] : -1)));
    // Output dims that changed with the inputs' dynamic dims are dynamic too, whatever the trace inferred.
    outs.forEach((t, i) => {
      const dim = outputInfo[i].type!.tensorType!.shape!.dim!;
      t.shape.forEach((s, d) => {
        if (shapes[i][d] !== s && dim[d].dimValue !== undefined) dim[d] = { dimParam: `${outNames[i]}_dim${d}` };
      });
    });
  }
  return encodeModel(model_);
}

/** Inputs with each dynamic axis rotated by one and more than doubled (size n -> 2n + 1, so that sizes pooled down still change). */
function otherBatch(inputs: Tensor[], axes: number[]): Tensor[] {
  return inputs.map((x, i) => {
    const a = axes[i];
    if (a < 0 || x.shape[a] === 0) return x;
    const n = x.shape[a];
    const rolled = n > 1 ? cat([narrow(x, a, 1, n - 1), narrow(x, a, 0, 1)], a) : x;
    return cat([rolled, x, narrow(x, a, n - 1, 1)], a);
  });
}

/** Checks the graph on other inputs; returns the output shapes there. */
function verify(fn: string, model: Module, msg: ModelMsg, inputs: Tensor[], axes: number[]): number[][] {
  const xs = otherBatch(inputs, axes);
  const size = axes.some((a) => a >= 0) ? ` at batch size ${xs[axes.findIndex((a) => a >= 0)].shape[axes.find((a) => a >= 0)!]}` : '';
  const hint = 'a value in forward was computed outside tapegrad ops or has the batch size built in (e.g. zeros([x.shape[0], n])); compute it with tensor ops, or export with dynamicAxes: {} for a fixed batch';
  const wasTraining = model.training;
  let want: unknown;
  model.eval();
  try {
    want = noGrad(() => model.forward(...xs));
  } catch (e) {
    throw new RangeError(`${fn}: the model does not run${size} (${(e as Error).message}); export with dynamicAxes: {} for a fixed batch`);
  } finally {
    model.train(wasTraining);
  }
  let got: unknown;
  try {
    got = noGrad(() => new OnnxModule(msg.graph!, msg.opsetImport![0].version!).forward(...xs));
  } catch (e) {
    throw new RangeError(`${fn}: the exported graph fails${size} (${(e as Error).message}): ${hint}`);
  }
  const ws = Array.isArray(want) ? want : [want];
  const gs = Array.isArray(got) ? got : [got];
  ws.forEach((w: Tensor, i) => {
    const g = gs[i] as Tensor;
    const [a, b] = [Array.from(g.data()), Array.from(w.data())];
    const scale = b.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
    const bad = g.shape.join() !== w.shape.join() || b.some((v, k) => !(Math.abs(a[k] - v) <= 1e-3 * Math.abs(v) + 1e-4 * scale + 1e-6 || (Number.isNaN(a[k]) && Number.isNaN(v)) || a[k] === v));
    if (bad) throw new RangeError(`${fn}: the exported graph gives other values than the model${size} (output ${i}): ${hint}`);
  });
  return ws.map((w: Tensor) => w.shape.slice());
}
