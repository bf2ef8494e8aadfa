// ONNX ops that tapegrad's exporter does not write but other exporters do (PyTorch, tf2onnx): small
// hand-built graphs run by tg.onnx.load and by ONNX Runtime must agree.
import { describe, expect, test } from 'vitest';
import * as tg from 'tapegrad';
import { AttrType, AttributeMsg, DataType, encodeModel, NodeMsg, TensorMsg } from '../src/onnx/proto';
import { expectClose, runOrt } from './onnx-ort';

const ints = (name: string, v: number[]): TensorMsg => ({ name, dims: [v.length], dataType: DataType.INT64, int64Data: v });
const aInt = (name: string, i: number): AttributeMsg => ({ name, type: AttrType.INT, i });
const aInts = (name: string, v: number[]): AttributeMsg => ({ name, type: AttrType.INTS, ints: v });
const aFloat = (name: string, f: number): AttributeMsg => ({ name, type: AttrType.FLOAT, f });
const node = (opType: string, input: string[], output: string[], attribute: AttributeMsg[] = []): NodeMsg => ({ opType, input, output, attribute, name: `${opType}_${output[0]}` });

function model(nodes: NodeMsg[], xShape: (number | string)[], outputs: string[], initializer: TensorMsg[] = [], opset = 17, xType: number = DataType.FLOAT): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: nodes,
      initializer,
      input: [{ name: 'x', type: { tensorType: { elemType: xType, shape: { dim: xShape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } }],
      output: outputs.map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } })),
    },
  });
}

async function agree(bytes: Uint8Array, x: tg.Tensor): Promise<void> {
  const m = tg.onnx.load(bytes);
  const got = tg.noGrad(() => m.forward(x));
  const gs = Array.isArray(got) ? got : [got];
  const ort = await runOrt(bytes, { x });
  m.outputNames.forEach((name, i) => {
    expect(gs[i].shape).toEqual(ort[name].dims);
    expectClose(ort[name].data as Float32Array, gs[i], 1e-5, 1e-6);
  });
}

const W = (name: string, shape: number[]) => {
  const t = tg.randn(shape);
  return { name, dims: shape, dataType: DataType.FLOAT, floatData: Array.from(t.data()) } as TensorMsg;
};

describe('loader ops agree with ONNX Runtime', () => {
  tg.manualSeed(21);
  const x = tg.randn([3, 4, 5]);
  const cases: [string, () => Uint8Array, tg.Tensor?][] = [
    ['Pad with constant value and negative pads', () => model([node('Pad', ['x', 'p', 'v'], ['y'])], ['n', 4, 5], ['y'], [ints('p', [0, 1, -1, 0, 2, 1]), { name: 'v', dims: [], dataType: DataType.FLOAT, floatData: [0.5] }])],
    ['Gemm with transA, alpha, beta', () => model([node('Flatten', ['x'], ['f'], [aInt('axis', 1)]), node('Gemm', ['w', 'f', 'c'], ['y'], [aInt('transA', 1), aInt('transB', 1), aFloat('alpha', 0.5), aFloat('beta', 2)])], [3, 4, 5], ['y'], [W('w', [20, 2]), W('c', [2, 1])])],
    ['Split by sizes and evenly, Squeeze, Unsqueeze', () => model([
      node('Split', ['x', 's'], ['a', 'b'], [aInt('axis', 2)]),
      node('Split', ['x'], ['c', 'd'], [aInt('axis', 1)]),
      node('Unsqueeze', ['b', 'ax'], ['bu']), node('Squeeze', ['bu', 'ax'], ['y']),
    ], ['n', 4, 5], ['a', 'y', 'c', 'd'], [ints('s', [2, 3]), ints('ax', [0])])],
    ['Split num_outputs (opset 18) with a short last part', () => model([node('Split', ['x'], ['a', 'b'], [aInt('axis', 2), aInt('num_outputs', 2)])], ['n', 4, 5], ['a', 'b'], [], 18)],
    ['Softmax, LogSoftmax, GlobalAveragePool, Transpose default perm', () => model([
      node('Softmax', ['x'], ['s'], [aInt('axis', 1)]), node('LogSoftmax', ['s'], ['l']),
      node('Unsqueeze', ['l', 'ax'], ['u']), node('GlobalAveragePool', ['u'], ['g']), node('Transpose', ['g'], ['y']),
    ], ['n', 4, 5], ['y'], [ints('ax', [1])])],
    ['Reshape with 0 and -1, Shape, Expand both ways', () => model([
      node('Reshape', ['x', 'r'], ['a']), node('Shape', ['x'], ['sh']),
      node('Reshape', ['a', 'sh'], ['b']), node('Expand', ['b', 'e'], ['y']),
    ], ['n', 4, 5], ['y'], [ints('r', [0, -1]), ints('e', [2, 1, 1, 5])])],
    ['Gather with negative int64 indices, Slice with large and negative ends', () => model([
      node('Gather', ['x', 'i'], ['a'], [aInt('axis', 2)]),
      node('Slice', ['a', 'st', 'en', 'ax'], ['y']),
    ], ['n', 4, 5], ['y'], [{ name: 'i', dims: [2, 2], dataType: DataType.INT64, int64Data: [-1, 0, 2, -2] }, ints('st', [1, 0]), ints('en', [2 ** 53, -1]), ints('ax', [1, 2])])],
    ['ReduceMean with an axes attribute (opset 17), ReduceSum with an axes input, ReduceL2, Sum, Clip', () => model([
      node('ReduceMean', ['x'], ['m'], [aInts('axes', [2])]),
      node('ReduceSum', ['x', 'ax'], ['s'], [aInt('keepdims', 0)]),
      node('ReduceL2', ['x'], ['l'], [aInts('axes', [2]), aInt('keepdims', 0)]),
      node('Sum', ['s', 'l', 's'], ['t']), node('Clip', ['t', 'lo'], ['c']), node('Clip', ['m'], ['y']),
    ], ['n', 4, 5], ['y', 'c'], [ints('ax', [2]), { name: 'lo', dims: [], dataType: DataType.FLOAT, floatData: [-0.5] }])],
    ['Equal, Not, Where, Cast, Dropout, Identity, Constant value_ints', () => model([
      node('Constant', [], ['k'], [aInts('value_ints', [1])]),
      node('Cast', ['k'], ['kf'], [aInt('to', DataType.FLOAT)]),
      node('Greater', ['x', 'kf'], ['g']), node('Not', ['g'], ['ng']),
      node('Where', ['ng', 'x', 'kf'], ['w']), node('Dropout', ['w'], ['d']), node('Identity', ['d'], ['y']),
    ], ['n', 4, 5], ['y'])],
    ["PyTorch's x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, Reshape", () => model([
      node('Shape', ['x'], ['sh']),
      node('Gather', ['sh', 'zero'], ['n'], [aInt('axis', 0)]),
      node('Unsqueeze', ['n', 'ax'], ['n1']),
      node('Concat', ['n1', 'minus1'], ['target'], [aInt('axis', 0)]),
      node('Reshape', ['x', 'target'], ['y']),
    ], ['n', 4, 5], ['y'], [{ name: 'zero', dims: [], dataType: DataType.INT64, int64Data: [0] }, ints('ax', [0]), ints('minus1', [-1])])],
  ];
  for (const [name, make] of cases) test(name, async () => agree(make(), x));

  test('shapes that would need huge allocations are refused at load', () => {
    const huge = [2 ** 20, 2 ** 20, 4, 5];
    expect(() => tg.onnx.load(model([node('Expand', ['x', 'e'], ['y'])], ['n', 4, 5], ['y'], [ints('e', huge)]))).toThrow(/onnx\.load: node 'Expand_y' \(Expand\): shape .* has too many elements/);
    expect(() => tg.onnx.load(model([node('Pad', ['x', 'p'], ['y'])], ['n', 4, 5], ['y'], [ints('p', [0, 0, 2 ** 40, 0, 0, 0])]))).toThrow(/onnx\.load: node 'Pad_y' \(Pad\): .*too many elements/);
  });
});

test('a model with dynamic image sizes loads (the load-time check runs with room for its kernels)', async () => {
  tg.manualSeed(22);
  const m = new tg.nn.Sequential(new tg.nn.Conv2d(1, 2, 5), new tg.nn.MaxPool2d(2), new tg.nn.Conv2d(2, 1, 3));
  const bytes = tg.onnx.toBytes(m, tg.randn([2, 1, 12, 12]), { dynamicAxes: { input: { 2: 'height' } } });
  const { decodeModel } = await import('../src/onnx/proto');
  expect(decodeModel(bytes).graph!.output![0].type!.tensorType!.shape!.dim).toEqual([{ dimValue: 2 }, { dimValue: 1 }, { dimParam: 'output_dim2' }, { dimValue: 2 }]);
  const loaded = tg.onnx.load(bytes);
  const x = tg.randn([2, 1, 16, 12]);
  expectClose((await runOrt(bytes, { input: x })).output.data as Float32Array, loaded.forward(x) as tg.Tensor, 1e-5, 1e-6);
});
