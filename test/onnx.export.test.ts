// tg.onnx.exportModel / toBytes: every exported op and module, run in ONNX Runtime and compared with
// tapegrad's own forward pass, at batch sizes other than the example's.
import { describe, expect, test } from 'vitest';
import * as tg from 'tapegrad';
import { checkAgainstOrt, expectClose } from './onnx-ort';

/** A module whose forward is `fn`, holding `params` as parameters p0, p1, ... */
class Fn extends tg.nn.Module {
  [k: string]: unknown;
  constructor(private readonly fn: (x: tg.Tensor, m: Fn) => tg.Tensor, params: tg.Tensor[] = []) {
    super();
    params.forEach((p, i) => (this[`p${i}`] = new tg.nn.Parameter(p)));
  }
  override forward(x: tg.Tensor): tg.Tensor {
    return this.fn(x, this);
  }
}
const P = (m: Fn, i: number) => m[`p${i}`] as tg.Tensor;

function batches(feature: number[], gen: (shape: number[]) => tg.Tensor = (s) => tg.randn(s)): [tg.Tensor[], tg.Tensor[][]] {
  return [[gen([3, ...feature])], [[gen([1, ...feature])], [gen([7, ...feature])]]];
}

const elementwise: [string, (x: tg.Tensor) => tg.Tensor, ((s: number[]) => tg.Tensor)?][] = [
  ['neg', (x) => x.neg()],
  ['abs', (x) => x.abs()],
  ['sign', (x) => x.sign()],
  ['exp', (x) => x.exp()],
  ['log', (x) => x.log(), (s) => tg.rand(s).add(0.5)],
  ['log1p', (x) => x.log1p(), (s) => tg.rand(s).add(0.5)],
  ['sqrt', (x) => x.sqrt(), (s) => tg.rand(s).add(0.1)],
  ['rsqrt', (x) => x.rsqrt(), (s) => tg.rand(s).add(0.1)],
  ['square', (x) => x.square()],
  ['reciprocal', (x) => x.reciprocal(), (s) => tg.rand(s).add(0.5)],
  ['sin', (x) => x.sin()],
  ['cos', (x) => x.cos()],
  ['tanh', (x) => x.tanh()],
  ['sigmoid', (x) => x.sigmoid()],
  ['erf', (x) => x.erf()],
  ['relu', (x) => x.relu()],
  ['leakyRelu', (x) => x.leakyRelu(0.2)],
  ['elu', (x) => x.elu(0.7)],
  ['gelu', (x) => x.gelu()],
  ['gelu tanh', (x) => x.gelu({ approximate: 'tanh' })],
  ['silu', (x) => x.silu()],
  ['softplus', (x) => x.softplus()],
  ['softplus beta threshold', (x) => x.mul(4).softplus({ beta: 2, threshold: 3 })],
  ['clamp', (x) => x.clamp(-0.5, 0.7)],
  ['clamp min', (x) => x.clamp(-0.5)],
  ['clamp max', (x) => x.clamp(null, 0.3)],
  ['pow scalar', (x) => x.pow(3)],
  ['pow tensor', (x) => x.abs().add(0.5).pow(x)],
  ['add sub mul div scalars', (x) => x.add(1).sub(0.5).mul(3).div(2)],
  ['reversed scalar operands', (x) => tg.sub(1, x).add(tg.div(2, x.abs().add(1)))],
  ['maximum minimum', (x) => tg.maximum(x, 0.1).add(tg.minimum(x, x.mul(0.5)))],
  ['comparisons', (x) => x.eq(x.relu()).add(x.ne(0)).add(x.lt(0.2)).add(x.le(0.1)).add(x.gt(-0.3)).add(x.ge(0.4))],
  ['where', (x) => tg.where(x.gt(0), x.mul(2), x.exp())],
  ['where scalars', (x) => tg.where(x.lt(0), 0, x)],
  ['to float64 and back, clone, contiguous', (x) => x.to('float64').mul(2).to('float32').clone().add(x.transpose(1, 2).contiguous().transpose(1, 2))],
  ['softmax', (x) => tg.nn.functional.softmax(x, 1)],
  ['logSoftmax', (x) => tg.nn.functional.logSoftmax(x, -1)],
];

describe('elementwise ops and activations', () => {
  for (const [name, f, gen] of elementwise) {
    test(name, async () => {
      tg.manualSeed(1);
      const [ex, bs] = batches([5, 4], gen);
      await checkAgainstOrt(new Fn(f), ex, bs);
    });
  }
  test('float64 exports as float64', async () => {
    tg.manualSeed(2);
    const m = new Fn((x) => x.mul(P(m, 0)).tanh().sum(1), [tg.randn([6], { dtype: 'float64' })]);
    const [ex, bs] = batches([6], (s) => tg.randn(s, { dtype: 'float64' }));
    await checkAgainstOrt(m, ex, bs, {}, 1e-12, 1e-14);
  });
});

describe('reductions, matmul and shapes', () => {
  const cases: [string, (x: tg.Tensor, m: Fn) => tg.Tensor, tg.Tensor[]?][] = [
    ['sum keepDim', (x) => x.sum(1, true).add(x.sum([1, 2]).unsqueeze(1).unsqueeze(2))],
    ['mean', (x) => x.mean(-1)],
    ['max min', (x) => x.max(2, true).sub(x.min(1, true))],
    ['prod', (x) => x.prod(2)],
    ['logsumexp', (x) => x.logsumexp(1)],
    ['var std', (x) => tg.var(x, 2).add(tg.std(x, [1, 2], { correction: 0, keepDim: false }).unsqueeze(1))],
    ['argmax argmin, with and without dim', (x) => x.argmax(2, true).float().add(x.argmin(2).float().unsqueeze(2)).add(x.argmax().float())],
    ['norm p=1 p=2', (x) => x.norm(2, 2).add(x.norm(1, 2))],
    ['matmul with a parameter', (x, m) => x.matmul(P(m, 0)), [tg.randn([4, 3])]],
    ['batched matmul of the input with itself', (x) => x.matmul(x.transpose(1, 2))],
    ['reshape flatten view', (x) => x.reshape(-1, 20).add(x.flatten(1)).view([-1, 4, 5])],
    ['permute transpose', (x) => x.permute(2, 0, 1).transpose(0, 1)],
    ['squeeze unsqueeze', (x) => x.unsqueeze(1).unsqueeze(-1).squeeze(-1).squeeze(1)],
    ['expand', (x) => x.sum(2, true).expand(-1, 5, 4)],
    ['cat split slice narrow chunk', (x) => {
      const [a, b] = x.split([2, 3], 1);
      const [c, d] = tg.chunk(x, 2, 2);
      return tg.cat([b, a], 1).add(tg.cat([d, c], 2)).add(x.narrow(2, 1, 1)).add(tg.cat([x.slice(1, 1, 4, 2).mul(2), x.slice(1, -3)], 1));
    }],
    ['stack', (x) => tg.stack([x, x.mul(2)], 1).sum(1)],
    ['indexSelect gather of constants', (x) => x.indexSelect(2, tg.tensor([3, 0, 0, 1], { dtype: 'int32' })).add(x.gather(1, tg.tensor([[[0, 4, 2, 1]]], { dtype: 'int32' })))],
  ];
  for (const [name, f, params] of cases) {
    test(name, async () => {
      tg.manualSeed(3);
      const [ex, bs] = batches([5, 4]);
      await checkAgainstOrt(new Fn(f, params), ex, bs);
    });
  }
});

describe('modules', () => {
  const nn = tg.nn;
  const img = (s: number[]) => tg.randn(s);
  const cases: [string, () => tg.nn.Module, number[], ((s: number[]) => tg.Tensor)?][] = [
    ['Linear with and without bias, activation modules', () => new nn.Sequential(new nn.Linear(6, 5), new nn.ReLU(), new nn.Linear(5, 4, { bias: false }), new nn.LeakyReLU(0.1), new nn.ELU(), new nn.GELU(), new nn.SiLU(), new nn.Sigmoid(), new nn.Tanh(), new nn.Softplus(), new nn.Softmax(1)), [6]],
    ['GELU tanh module, Identity and LogSoftmax', () => new nn.Sequential(new nn.Linear(6, 5), new nn.GELU({ approximate: 'tanh' }), new nn.Identity(), new nn.LogSoftmax(-1)), [6]],
    ['Linear on 3-D input', () => new nn.Linear(6, 2), [3, 6]],
    ['Conv2d stride padding dilation groups', () => new nn.Sequential(new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1 }), new nn.Conv2d(6, 6, [3, 2], { dilation: [2, 1], groups: 3, padding: [2, 0] }), new nn.Conv2d(6, 2, 1, { bias: false })), [4, 9, 8], img],
    ['MaxPool2d and AvgPool2d', () => new nn.Sequential(new nn.MaxPool2d(3, { stride: 2, padding: 1 }), new nn.AvgPool2d(2, { padding: 1 }), new nn.AvgPool2d(2, { stride: 1, countIncludePad: false, padding: 1 })), [3, 9, 10], img],
    ['MaxPool2d and AvgPool2d with ceilMode and dilation', () => new nn.Sequential(new nn.MaxPool2d(3, { stride: 2, ceilMode: true, dilation: 2 }), new nn.AvgPool2d(2, { ceilMode: true }), new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false })), [3, 13, 12], img],
    ['AvgPool2d with ceilMode, padding and countIncludePad', () => new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true }), [2, 8, 9], img],
    ['BatchNorm2d in eval, Flatten, Dropout', () => new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Dropout(0.5), new nn.Linear(4 * 36, 3), new nn.BatchNorm1d(3)), [3, 8, 8], img],
    ['LayerNorm over one and two dims', () => new nn.Sequential(new nn.LayerNorm(6), new nn.LayerNorm([4, 6])), [4, 6]],
  ];
  for (const [name, make, feature, gen] of cases) {
    test(name, async () => {
      tg.manualSeed(4);
      const m = make();
      // Trained-looking statistics, so that eval-mode batch norm is not the identity.
      m.train();
      for (let i = 0; i < 3; i++) tg.noGrad(() => m.forward(tg.randn([5, ...feature]).mul(2).add(1)));
      const [ex, bs] = batches(feature, gen);
      tg.onnx.toBytes(m, ex);
      expect(m.training).toBe(true); // export restores the mode
      await checkAgainstOrt(m, ex, bs);
    });
  }

  test('Embedding (Gather) with int32 indices', async () => {
    tg.manualSeed(5);
    const m = new nn.Sequential(new nn.Embedding(10, 4), new nn.Flatten(), new nn.Linear(12, 2));
    const idx = (n: number) => tg.randint(0, 10, [n, 3]);
    await checkAgainstOrt(m, [idx(3)], [[idx(1)], [idx(7)]]);
  });
});

describe('graph details', () => {
  test('initializers carry state-dict names; inputs and outputs are named; the batch dim is dynamic', async () => {
    tg.manualSeed(6);
    const m = new tg.nn.Sequential(new tg.nn.Linear(3, 4), new tg.nn.BatchNorm1d(4));
    const bytes = tg.onnx.toBytes(m, tg.randn([2, 3]), { inputNames: ['x'], outputNames: ['y'] });
    const { decodeModel } = await import('../src/onnx/proto');
    const g = decodeModel(bytes).graph!;
    expect(g.initializer!.map((t) => t.name).sort()).toEqual(['0.bias', '0.weight', '1.bias', '1.running_mean', '1.running_var', '1.weight'].sort());
    expect(g.input!.map((v) => v.name)).toEqual(['x']);
    expect(g.output!.map((v) => v.name)).toEqual(['y']);
    expect(g.input![0].type!.tensorType!.shape!.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 3 }]);
    expect(g.output![0].type!.tensorType!.shape!.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 4 }]);
    const fixed = decodeModel(tg.onnx.toBytes(m, tg.randn([2, 3]), { dynamicAxes: {} })).graph!;
    expect(fixed.input![0].type!.tensorType!.shape!.dim).toEqual([{ dimValue: 2 }, { dimValue: 3 }]);
  });

  test('opsets 17 to 21 all run in ONNX Runtime (Gelu node from opset 20)', async () => {
    const m = new Fn((x) => x.gelu().add(x.gelu({ approximate: 'tanh' })).mean(1));
    for (const opset of [17, 18, 19, 20, 21]) {
      const [ex, bs] = batches([5]);
      const bytes = await checkAgainstOrt(m, ex, bs, { opset });
      const { decodeModel } = await import('../src/onnx/proto');
      const ops = decodeModel(bytes).graph!.node!.map((n) => n.opType);
      expect(ops.includes('Gelu')).toBe(opset >= 20);
      expect(decodeModel(bytes).irVersion).toBe(opset <= 18 ? 8 : opset <= 20 ? 9 : 10);
    }
  });

  test('two inputs (float and int32) and two outputs, named; the loaded module returns both', async () => {
    class Two extends tg.nn.Module {
      emb = new tg.nn.Embedding(9, 3);
      fc = new tg.nn.Linear(3, 2);
      override forward(x: tg.Tensor, idx: tg.Tensor): tg.Tensor[] {
        const h = this.emb.forward(idx).mean(1).add(x);
        return [this.fc.forward(h), h.sum(1)];
      }
    }
    tg.manualSeed(9);
    const m = new Two();
    const io = (n: number) => [tg.randn([n, 3]), tg.randint(0, 9, [n, 5])];
    const opts = { inputNames: ['x', 'idx'], outputNames: ['logits', 'total'] };
    const bytes = await checkAgainstOrt(m, io(2), [io(1), io(7)], opts);
    const loaded = tg.onnx.load(bytes);
    expect(loaded.inputNames).toEqual(['x', 'idx']);
    const [a, b] = io(4);
    const got = loaded.forward(a, b) as tg.Tensor[];
    const want = m.forward(a, b);
    expect(got.map((t) => t.shape)).toEqual(want.map((t) => t.shape));
    got.forEach((g, i) => expectClose(g.data(), want[i], 1e-5, 1e-6));
  });

  test('an op without an ONNX form fails naming the op and the module', () => {
    class Head extends tg.nn.Module {
      override forward(x: tg.Tensor): tg.Tensor {
        return tg.nn.functional.crossEntropy(x, tg.zeros([x.shape[0]], { dtype: 'int32' }));
      }
    }
    const m = new tg.nn.Sequential(new tg.nn.Linear(3, 4), new Head());
    expect(() => tg.onnx.toBytes(m, tg.randn([2, 3]))).toThrow(/onnx\.toBytes: the op 'crossEntropy' in 1 \(Head\) has no ONNX export/);
  });

  test('Linear on 2-D input is one Gemm, Softmax one node; a subclass with its own forward is traced', async () => {
    const { decodeModel } = await import('../src/onnx/proto');
    class Scaled extends tg.nn.Linear {
      override forward(x: tg.Tensor): tg.Tensor {
        return super.forward(x).mul(3);
      }
    }
    tg.manualSeed(10);
    const inner = new tg.nn.Linear(4, 4);
    const own = (x: tg.Tensor) => x.neg();
    Object.defineProperty(inner, 'forward', { value: own, writable: true, configurable: true, enumerable: false });
    const m = new tg.nn.Sequential(new tg.nn.Linear(3, 4), inner, new Scaled(4, 2), new tg.nn.Softmax(1), new tg.nn.Linear(2, 2, { bias: false }), new tg.nn.LogSoftmax(-1));
    const [ex, bs] = batches([3]);
    const bytes = await checkAgainstOrt(m, ex, bs);
    const ops = decodeModel(bytes).graph!.node!.map((n) => n.opType).filter((o) => o !== 'Constant');
    expect(ops).toEqual(['Gemm', 'Neg', 'Transpose', 'MatMul', 'Add', 'Mul', 'Softmax', 'Gemm', 'LogSoftmax']);
    expect(inner.forward).toBe(own);
  });

  test('the same tensor twice, and the input itself, as outputs', async () => {
    class Dup extends tg.nn.Module {
      override forward(x: tg.Tensor): tg.Tensor[] {
        const y = x.relu();
        return [y, y, x];
      }
    }
    const [ex, bs] = batches([3]);
    const bytes = await checkAgainstOrt(new Dup(), ex, bs);
    expect(tg.onnx.load(bytes).outputNames).toEqual(['output0', 'output1', 'output2']);
  });

  test('a 0-d input has no batch axis', async () => {
    const m = new Fn((x) => x.mul(2).add(1));
    await checkAgainstOrt(m, [tg.tensor(3)], [[tg.tensor(-1.5)]]);
  });

  test('bad arguments', () => {
    const m = new tg.nn.Linear(3, 4);
    expect(() => tg.onnx.toBytes(m, tg.randn([2, 3]), { opset: 16 })).toThrow(RangeError);
    expect(() => tg.onnx.toBytes(m, [] as tg.Tensor[])).toThrow(/onnx.toBytes: exampleInputs/);
    expect(() => tg.onnx.toBytes({} as tg.nn.Module, tg.randn([2, 3]))).toThrow(TypeError);
    expect(() => tg.onnx.toBytes(m, tg.randn([2, 3]), { inputNames: ['a', 'b'] })).toThrow(/inputNames/);
    expect(() => tg.onnx.toBytes(m, tg.randn([2, 3]), { inputNames: ['x'], outputNames: ['x'] })).toThrow(/onnx\.toBytes: 'x' names both an input and an output/);
    expect(() => tg.onnx.toBytes(m, tg.randn([2, 3]), { dynamicAxes: { input: { 0: 'n', 1: 'm' } } })).toThrow(/one dynamic \(batch\) axis per value/);
    expect(() => tg.onnx.toBytes(m, tg.randn([2, 3]), { dynamicAxes: { input: [5] } })).toThrow(/axis 5 is out of range for rank 2/);
    expect(() => tg.onnx.exportModel(m, tg.randn([2, 3]), '')).toThrow(/onnx\.exportModel: path must be a non-empty string/);
    expect(() => tg.onnx.toBytes(m, tg.randn([2, 3]))).not.toThrow();
  });
});

describe('whole models', () => {
  const nn = tg.nn;
  class EmbedBn extends nn.Module {
    emb = new nn.Embedding(20, 6);
    fc = new nn.Linear(6 * 4, 8);
    bn = new nn.BatchNorm1d(8);
    out = new nn.Linear(8, 3);
    override forward(idx: tg.Tensor): tg.Tensor {
      const h = this.emb.forward(idx).flatten(1);
      return this.out.forward(this.bn.forward(this.fc.forward(h)).relu());
    }
  }
  const cases: [string, () => tg.nn.Module, (n: number) => tg.Tensor][] = [
    ['the digits MLP of the demo', () => new nn.Sequential(new nn.Linear(64, 256), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(256, 128), new nn.ReLU(), new nn.Linear(128, 10)), (n) => tg.rand([n, 64])],
    ["the README's CNN", () => new nn.Sequential(new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(16 * 4 * 4, 10)), (n) => tg.rand([n, 1, 8, 8])],
    ['a model with embedding and batch norm', () => new EmbedBn(), (n) => tg.randint(0, 20, [n, 4])],
  ];
  for (const [name, make, input] of cases) {
    test(name, async () => {
      tg.manualSeed(8);
      const m = make();
      for (let i = 0; i < 2; i++) tg.noGrad(() => m.forward(input(9)));
      await checkAgainstOrt(m, [input(2)], [[input(1)], [input(7)]]);
    });
  }
});

describe('the export checks its graph on another batch', () => {
  test('a batch-sized constant is caught', () => {
    const m = new Fn((x) => x.add(tg.ones([x.shape[0], 1])));
    expect(() => tg.onnx.toBytes(m, tg.randn([3, 4]))).toThrow(/onnx\.toBytes: the exported graph fails at batch size 7 .*built in/);
    expect(() => tg.onnx.toBytes(m, tg.randn([3, 4]), { dynamicAxes: {} })).not.toThrow();
  });
  test('a value computed outside tapegrad ops is caught', () => {
    const m = new Fn((x) => x.mul(tg.tensor(x.sum().item())));
    expect(() => tg.onnx.toBytes(m, tg.randn([3, 4]))).toThrow(/onnx\.toBytes: the exported graph gives other values than the model at batch size 7/);
  });
});
