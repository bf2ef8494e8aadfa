// tg.onnx.load: round trips through export (same outputs, same gradients) and refusal of bad files.
import { describe, expect, test } from 'vitest';
import * as tg from 'tapegrad';
import { decodeModel, encodeModel, ModelMsg } from '../src/onnx/proto';
import { expectClose } from './onnx-ort';

const nn = tg.nn;

class Mixed extends nn.Module {
  emb = new nn.Embedding(12, 4);
  norm = new nn.LayerNorm(4);
  fc = new nn.Linear(12, 5);
  bn = new nn.BatchNorm1d(5);
  override forward(idx: tg.Tensor): tg.Tensor {
    const h = this.norm.forward(this.emb.forward(idx)).gelu().flatten(1);
    const y = this.bn.forward(this.fc.forward(h));
    return tg.where(y.gt(0), y, y.mul(0.1)).clamp(-3, 3).sub(y.mean(1, true));
  }
}

const models: [string, () => tg.nn.Module, (n: number) => tg.Tensor][] = [
  ['MLP with batch norm and dropout', () => new nn.Sequential(new nn.Linear(6, 8), new nn.BatchNorm1d(8), new nn.Tanh(), new nn.Dropout(0.3), new nn.Linear(8, 3), new nn.LogSoftmax(1)), (n) => tg.randn([n, 6])],
  ['CNN', () => new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Conv2d(4, 4, 3, { groups: 2 }), new nn.BatchNorm2d(4), new nn.AvgPool2d(2), new nn.Flatten(), new nn.Linear(4, 2), new nn.Softmax(1)), (n) => tg.randn([n, 1, 8, 8])],
  ['embedding, layer norm, gelu, where, clamp', () => new Mixed(), (n) => tg.randint(0, 12, [n, 3])],
];

function grads(m: tg.nn.Module, x: tg.Tensor, w: tg.Tensor): Record<string, tg.Tensor> {
  m.zeroGrad();
  const xin = x.dtype === 'int32' ? x : x.detach().requiresGrad_(true);
  const y = m.forward(xin) as tg.Tensor;
  y.mul(w).sum().backward();
  const out: Record<string, tg.Tensor> = {};
  for (const [n, p] of m.namedParameters()) if (p.grad) out[n] = p.grad;
  if (xin.requiresGrad) out['<input>'] = xin.grad!;
  return out;
}

describe('round trip: export, load, same outputs and gradients', () => {
  for (const [name, make, input] of models) {
    test(name, () => {
      tg.manualSeed(11);
      const m = make();
      m.train();
      for (let i = 0; i < 2; i++) tg.noGrad(() => m.forward(input(6)));
      m.eval();
      const loaded = tg.onnx.load(tg.onnx.toBytes(m, input(3)));
      const sd = m.stateDict();
      const params = Object.fromEntries(loaded.namedParameters());
      for (const [k, t] of Object.entries(params)) expectClose(t.data(), sd[k], 0, 0);
      for (const [k] of m.namedParameters()) expect(params[k]).toBeDefined();
      for (const n of [1, 7]) {
        const x = input(n);
        const want = tg.noGrad(() => m.forward(x)) as tg.Tensor;
        const got = tg.noGrad(() => loaded.forward(x)) as tg.Tensor;
        expect(got.shape).toEqual(want.shape);
        expectClose(got.data(), want, 1e-5, 1e-6);
        const w = tg.randn(want.shape);
        const gw = grads(m, x, w);
        const gg = grads(loaded, x, w);
        for (const [k, g] of Object.entries(gw)) {
          expect(gg[k], k).toBeDefined();
          expectClose(gg[k].data(), g, 1e-4, 1e-6);
        }
      }
    });
  }

  test('exportModel writes a file that load reads; the loaded module trains with an optimizer', () => {
    tg.manualSeed(12);
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 1));
    const file = `${require('node:os').tmpdir()}/tapegrad-onnx-${process.pid}.onnx`;
    tg.onnx.exportModel(m, tg.randn([2, 3]), file);
    const loaded = tg.onnx.load(file);
    require('node:fs').unlinkSync(file);
    expect(loaded.inputNames).toEqual(['input']);
    expect(loaded.outputNames).toEqual(['output']);
    const other = tg.onnx.load(tg.onnx.toBytes(new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 1)), tg.randn([2, 3])));
    other.loadStateDict(loaded.stateDict());
    expectClose((other.forward(tg.ones([1, 3])) as tg.Tensor).data(), loaded.forward(tg.ones([1, 3])) as tg.Tensor, 0, 0);
    const opt = new tg.optim.SGD(loaded.parameters(), { lr: 0.1 });
    const x = tg.randn([8, 3]);
    const y = x.sum(1, true);
    const loss = () => tg.nn.functional.mseLoss(loaded.forward(x) as tg.Tensor, y);
    const before = loss().item();
    for (let i = 0; i < 20; i++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    expect(loss().item()).toBeLessThan(before * 0.5);
  });
});

test('fit and checkGradients work on a loaded model', async () => {
  tg.manualSeed(14);
  const m = new nn.Sequential(new nn.Linear(4, 6), new nn.GELU(), new nn.LayerNorm(6), new nn.Linear(6, 3));
  const loaded = tg.onnx.load(tg.onnx.toBytes(m, tg.randn([2, 4])));
  const x = tg.randn([32, 4]);
  const y = x.narrow(1, 0, 3).argmax(1);
  const ds = new tg.data.TensorDataset(x, y);
  const history = await tg.train.fit(loaded, {
    optimizer: new tg.optim.Adam(loaded.parameters(), { lr: 0.05 }),
    loss: tg.nn.functional.crossEntropy,
    train: new tg.data.DataLoader(ds, { batchSize: 8 }),
    epochs: 5,
    progress: false,
  });
  expect(history.loss[4]).toBeLessThan(history.loss[0]);
  const report = tg.nn.utils.checkGradients(loaded, (mm: tg.nn.Module, xs: unknown, ys: unknown) => tg.nn.functional.crossEntropy(mm.forward(xs as tg.Tensor) as tg.Tensor, ys as tg.Tensor), x.narrow(0, 0, 4), y.narrow(0, 0, 4), { samples: 8, eps: 1e-6 });
  expect(report.maxRelError).toBeLessThan(1e-5);
});

describe('bad files', () => {
  tg.manualSeed(13);
  const good = tg.onnx.toBytes(new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.Flatten(), new nn.Linear(8, 2)), tg.randn([1, 1, 4, 4]));
  const edit = (f: (m: ModelMsg) => void): Uint8Array => {
    const m = decodeModel(good);
    f(m);
    return encodeModel(m);
  };

  test('the good file loads', () => {
    expect(tg.onnx.load(good).numParameters()).toBe(2 * 9 + 2 + 8 * 2 + 2);
  });

  test('every truncation is refused with a clear error', () => {
    for (let cut = 0; cut < good.length; cut += Math.max(1, Math.floor(good.length / 300))) {
      let err: unknown = null;
      try {
        tg.onnx.load(good.slice(0, cut));
      } catch (e) {
        err = e;
      }
      // A cut exactly between top-level fields can leave a valid, smaller model; anything else must throw.
      if (err === null) continue;
      expect(err instanceof TypeError || err instanceof RangeError, String(err)).toBe(true);
      expect((err as Error).message).toMatch(/^onnx\.load: /);
    }
    expect(() => tg.onnx.load(good.slice(0, good.length - 3))).toThrow(/^onnx\.load: /);
  });

  test('flipped bytes load correctly or are refused with a clear error, never a crash', () => {
    const rng = new tg.Generator(5);
    const pos = tg.randint(0, good.length, [400], { generator: rng }).data();
    const val = tg.randint(0, 256, [400], { generator: rng }).data();
    let refused = 0;
    for (let i = 0; i < pos.length; i++) {
      const b = good.slice();
      b[pos[i]] = val[i];
      try {
        const m = tg.onnx.load(b);
        tg.noGrad(() => m.forward(tg.randn([2, 1, 4, 4])));
      } catch (e) {
        refused++;
        expect(e instanceof TypeError || e instanceof RangeError, String(e)).toBe(true);
        expect((e as Error).message).toMatch(/^onnx(\.load| model)/);
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  test('not a model, empty, or a wrong argument', () => {
    expect(() => tg.onnx.load(new Uint8Array(0))).toThrow(/onnx.load: the file is empty/);
    expect(() => tg.onnx.load(new TextEncoder().encode('hello, this is not protobuf'))).toThrow(/^onnx\.load: /);
    expect(() => tg.onnx.load(42 as unknown as string)).toThrow(TypeError);
  });

  test('missing initializer, unknown op, data length and shape mismatches', () => {
    expect(() => tg.onnx.load(edit((m) => m.graph!.initializer!.pop()))).toThrow(/onnx\.load: node .*input '2\.bias' is not defined/);
    expect(() => tg.onnx.load(edit((m) => (m.graph!.node!.find((n) => n.opType === 'Conv')!.opType = 'FancyConv')))).toThrow(/onnx\.load: node '.*' \(FancyConv\): the op type 'FancyConv' is not supported/);
    expect(() => tg.onnx.load(edit((m) => (m.graph!.initializer![0].dims = [4, 1, 3, 3])))).toThrow(/onnx\.load: initializer '0\.weight': float tensor of shape \[4, 1, 3, 3\] needs 144 bytes of data, the file has 72/);
    expect(() => tg.onnx.load(edit((m) => (m.graph!.initializer![0].dims = [2 ** 40, 2 ** 20])))).toThrow(/too many elements/);
    expect(() => tg.onnx.load(edit((m) => {
      const w = m.graph!.initializer!.find((t) => t.name === '2.weight')!;
      w.dims = [8, 2];
    }))).toThrow(/onnx\.load: node '.*' \((MatMul|Gemm)\)/);
    expect(() => tg.onnx.load(edit((m) => (m.opsetImport = [])))).toThrow(/no opset/);
    expect(() => tg.onnx.load(edit((m) => (m.graph!.initializer![0].name = 'inputNames')))).toThrow(/initializer 'inputNames' clashes with a Module property/);
    const m = tg.onnx.load(good);
    expect(() => m.forward(tg.randn([2, 1, 5, 4]))).toThrow(/onnx model: input 'input' has shape \[2, 1, 5, 4\], the model expects \[\?, 1, 4, 4\]/);
    expect(() => m.forward(tg.randint(0, 3, [2, 1, 4, 4]))).toThrow(/input 'input' must be float32, got int32/);
  });
});
