// ONNX messages as plain objects, encoded and decoded by protobufjs from the schema in schema.ts.
import * as protobuf from 'protobufjs';
import { ONNX_PROTO } from './schema';

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface TensorMsg {
  name?: string;
  dims?: number[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  dataLocation?: number;
}
export interface AttributeMsg {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorMsg;
  floats?: number[];
  ints?: number[];
  g?: unknown;
}
export interface NodeMsg {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeMsg[];
}
export interface DimMsg {
  dimValue?: number;
  dimParam?: string;
}
export interface ValueInfoMsg {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: DimMsg[] } } };
}
export interface GraphMsg {
  node?: NodeMsg[];
  name?: string;
  initializer?: TensorMsg[];
  input?: ValueInfoMsg[];
  output?: ValueInfoMsg[];
  valueInfo?: ValueInfoMsg[];
}
export interface ModelMsg {
  irVersion?: number;
  opsetImport?: { domain?: string; version?: number }[];
  producerName?: string;
  producerVersion?: string;
  graph?: GraphMsg;
}

let modelType: protobuf.Type | null = null;

function modelProto(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: false }).root.lookupType('onnx.ModelProto');
  return modelType;
}

export function encodeModel(model: ModelMsg): Uint8Array {
  const t = modelProto();
  const b = t.encode(t.fromObject(model as Record<string, unknown>)).finish();
  // A plain Uint8Array view, not Node's Buffer (whose slice() would share memory).
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Decodes a ModelProto; int64 fields come back as numbers (ONNX sizes and indices fit in 2^53). */
export function decodeModel(bytes: Uint8Array): ModelMsg {
  const t = modelProto();
  let msg: protobuf.Message;
  try {
    msg = t.decode(bytes);
  } catch (e) {
    throw new RangeError(`onnx.load: the file is not a valid ONNX ModelProto (${(e as Error).message})`);
  }
  return t.toObject(msg, { longs: Number, enums: Number, bytes: Uint8Array as unknown as StringConstructor, defaults: false, oneofs: false }) as ModelMsg;
}
