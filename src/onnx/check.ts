// `npx tapegrad onnx-check model.onnx`: validates a model by loading it and prints what it holds.
import * as fs from 'node:fs';
import { decodeModel, DataType, ValueInfoMsg } from './proto';
import { load, readModelFile } from './load';

const typeNames: Record<number, string> = {
  [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.INT64]: 'int64', [DataType.INT32]: 'int32',
  [DataType.BOOL]: 'bool', [DataType.UINT8]: 'uint8', [DataType.INT8]: 'int8',
};

function describeValue(v: ValueInfoMsg): string {
  const tt = v.type?.tensorType;
  const type = tt?.elemType !== undefined ? typeNames[tt.elemType] ?? `type ${tt.elemType}` : 'unknown type';
  const dims = tt?.shape ? `[${(tt.shape.dim ?? []).map((d) => d.dimParam ?? (d.dimValue !== undefined ? String(d.dimValue) : '?')).join(', ')}]` : '(unknown shape)';
  return `  ${v.name}: ${type} ${dims}`;
}

/** The lines onnx-check prints; throws the loader's error for an invalid model. */
export function onnxSummary(path: string): string[] {
  const bytes = readModelFile('onnx-check', path);
  const module = load(bytes);
  const model = decodeModel(bytes);
  const g = model.graph!;
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown';
  const counts = new Map<string, number>();
  for (const n of g.node ?? []) counts.set(n.opType ?? '', (counts.get(n.opType ?? '') ?? 0) + 1);
  const initNames = new Set((g.initializer ?? []).map((t) => t.name));
  const params = [...module.namedParameters()];
  return [
    `${path}: ONNX IR version ${model.irVersion ?? '?'}, opset ${opset}, producer ${producer}`,
    'inputs:',
    ...(g.input ?? []).filter((v) => !initNames.has(v.name)).map(describeValue),
    'outputs:',
    ...(g.output ?? []).map(describeValue),
    `ops (${(g.node ?? []).length} nodes): ${[...counts].map(([op, n]) => (n > 1 ? `${op} x${n}` : op)).join(', ')}`,
    `parameters: ${module.numParameters().toLocaleString('en-US')} in ${params.length} tensors`,
  ];
}
