// Values of an ONNX graph run by tapegrad: float tensors as Tensors, integer and boolean data (shapes,
// axes, indices) as plain integer lists, since ONNX's int64 does not fit tapegrad's int32 everywhere.
import { Tensor } from '../tensor';
import { tensor } from '../ops/creation';
import { AttributeMsg, DataType, TensorMsg } from './proto';

export interface Ints {
  ints: number[];
  dims: number[];
}
export type Value = Tensor | Ints;

export const isInts = (v: Value): v is Ints => !(v instanceof Tensor);

const elemSize: Record<number, number> = {
  [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.INT64]: 8, [DataType.INT32]: 4,
  [DataType.BOOL]: 1, [DataType.UINT8]: 1, [DataType.INT8]: 1,
};
const typeName: Record<number, string> = {
  [DataType.FLOAT]: 'float', [DataType.DOUBLE]: 'double', [DataType.INT64]: 'int64', [DataType.INT32]: 'int32',
  [DataType.BOOL]: 'bool', [DataType.UINT8]: 'uint8', [DataType.INT8]: 'int8',
};

/** Dims of an ONNX tensor, checked: non-negative safe integers whose product is the element count. */
export function checkDims(where: string, dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${where}: invalid dim ${d} in [${dims.join(', ')}]`);
    n *= d;
  }
  if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1) throw new RangeError(`${where}: shape [${dims.join(', ')}] has too many elements`);
  return n;
}

/** A TensorProto as a Value, its data length checked against its dims before anything is allocated. */
export function fromTensorMsg(where: string, m: TensorMsg): Value {
  const dt = m.dataType ?? 0;
  if (!(dt in elemSize)) throw new TypeError(`${where}: tensor data type ${dt} is not supported (float, double, int64, int32, bool, uint8, int8 are)`);
  if (m.dataLocation === 1) throw new TypeError(`${where}: tensors with external data are not supported`);
  const dims = (m.dims ?? []).map(Number);
  const n = checkDims(where, dims);
  const raw = m.rawData;
  const typed = dt === DataType.FLOAT ? m.floatData : dt === DataType.DOUBLE ? m.doubleData : dt === DataType.INT64 ? m.int64Data : m.int32Data;
  let read: (i: number) => number;
  if (raw && raw.length > 0) {
    if (raw.length !== n * elemSize[dt]) {
      throw new RangeError(`${where}: ${typeName[dt]} tensor of shape [${dims.join(', ')}] needs ${n * elemSize[dt]} bytes of data, the file has ${raw.length}`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const s = elemSize[dt];
    read = {
      [DataType.FLOAT]: (i: number) => view.getFloat32(i * s, true),
      [DataType.DOUBLE]: (i: number) => view.getFloat64(i * s, true),
      [DataType.INT64]: (i: number) => Number(view.getBigInt64(i * s, true)),
      [DataType.INT32]: (i: number) => view.getInt32(i * s, true),
      [DataType.BOOL]: (i: number) => view.getUint8(i),
      [DataType.UINT8]: (i: number) => view.getUint8(i),
      [DataType.INT8]: (i: number) => view.getInt8(i),
    }[dt]!;
  } else {
    const list = typed ?? [];
    if (list.length !== n) throw new RangeError(`${where}: ${typeName[dt]} tensor of shape [${dims.join(', ')}] has ${list.length} values, expected ${n}`);
    read = (i) => Number(list[i]);
  }
  if (dt === DataType.FLOAT || dt === DataType.DOUBLE) {
    const data = dt === DataType.FLOAT ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = read(i);
    return tensor(data, { shape: dims, dtype: dt === DataType.FLOAT ? 'float32' : 'float64' });
  }
  const ints = new Array<number>(n);
  for (let i = 0; i < n; i++) ints[i] = read(i);
  return { ints, dims };
}

/** An integer value as an int32 Tensor (indices), checked to fit. */
export function intTensor(where: string, v: Value): Tensor {
  if (!isInts(v)) {
    if (v.dtype === 'int32') return v;
    throw new TypeError(`${where}: expected integer indices, got a ${v.dtype} tensor`);
  }
  const data = new Int32Array(v.ints.length);
  v.ints.forEach((x, i) => {
    if (!Number.isInteger(x) || x < -(2 ** 31) || x >= 2 ** 31) throw new RangeError(`${where}: index ${x} does not fit in int32`);
    data[i] = x;
  });
  return tensor(data, { shape: v.dims, dtype: 'int32' });
}

export class Attrs {
  private readonly map = new Map<string, AttributeMsg>();
  constructor(
    private readonly where: string,
    list: AttributeMsg[] = [],
  ) {
    for (const a of list) this.map.set(a.name ?? '', a);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  int(name: string, dflt?: number): number {
    const a = this.map.get(name);
    if (a === undefined || a.i === undefined) {
      if (dflt === undefined) throw new TypeError(`${this.where}: missing attribute '${name}'`);
      return dflt;
    }
    return Number(a.i);
  }
  float(name: string, dflt: number): number {
    const a = this.map.get(name);
    return a === undefined || a.f === undefined ? dflt : a.f;
  }
  ints(name: string, dflt?: number[]): number[] | undefined {
    const a = this.map.get(name);
    return a === undefined ? dflt : (a.ints ?? []).map(Number);
  }
  string(name: string, dflt: string): string {
    const a = this.map.get(name);
    return a === undefined || a.s === undefined ? dflt : new TextDecoder().decode(a.s);
  }
  tensor(name: string): TensorMsg | undefined {
    return this.map.get(name)?.t;
  }
  floats(name: string): number[] | undefined {
    return this.map.get(name)?.floats;
  }
}
