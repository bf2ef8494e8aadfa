// float64 models export as float64 (DOUBLE): every op that ONNX Runtime's CPU provider runs in double
// matches tapegrad to 1e-12; the ops it has no double kernel for are pinned here and in the README.
import { describe, expect, test } from 'vitest';
import * as tg from 'tapegrad';
import { checkAgainstOrt } from './onnx-ort';

class Fn extends tg.nn.Module {
  constructor(private readonly f: (x: tg.Tensor) => tg.Tensor) {
    super();
  }
  override forward(x: tg.Tensor): tg.Tensor {
    return this.f(x);
  }
}
const F = tg.nn.functional;
const f64 = (s: number[]) => tg.randn(s, { dtype: 'float64' });

const supported: [string, () => tg.nn.Module, number[]][] = [
  ['neg abs sign exp log sqrt reciprocal', () => new Fn((x) => x.neg().add(x.abs()).add(x.sign()).add(x.exp()).add(x.abs().add(1).log()).add(x.abs().sqrt()).add(x.reciprocal())), [4]],
  ['sin cos tanh sigmoid relu pow clamp maximum', () => new Fn((x) => x.sin().add(x.cos()).add(x.tanh()).add(x.sigmoid()).add(x.relu()).add(x.pow(2)).add(x.clamp(-0.5, 0.5)).add(tg.maximum(x, 0))), [4]],
  ['leakyRelu with a slope exact in float32 (ONNX attributes are float32)', () => new Fn((x) => x.leakyRelu(0.25)), [4]],
  ['comparisons and where', () => new Fn((x) => tg.where(x.gt(0), x, x.le(-0.5))), [4]],
  ['softmax, logSoftmax, reductions, norms', () => new Fn((x) => F.softmax(x, 1).add(F.logSoftmax(x, 1)).sum(1).add(x.mean(1)).add(x.max(1)).add(x.prod(1)).add(x.logsumexp(1)).add(x.norm(2, 1)).add(x.norm(1, 1))), [4]],
  ['matmul, layerNorm, slice, cat, indexSelect', () => new Fn((x) => tg.cat([F.layerNorm(x.matmul(x.T.sum(1, true).expand(-1, 4)), [4]), x.slice(1, 1, 3), x.indexSelect(1, tg.tensor([0, 2], { dtype: 'int32' }))], 1)), [4]],
  ['Linear, MaxPool2d, BatchNorm2d', () => new tg.nn.Sequential(new tg.nn.MaxPool2d(2), new tg.nn.BatchNorm2d(2), new tg.nn.Flatten(), new tg.nn.Linear(8, 3)), [2, 4, 4]],
];

describe('float64 models in ONNX Runtime', () => {
  for (const [name, make, s] of supported) {
    test(name, async () => {
      tg.manualSeed(31);
      const m = make().double();
      await checkAgainstOrt(m, [f64([3, ...s])], [[f64([1, ...s])], [f64([7, ...s])]], {}, 1e-12, 1e-13);
    });
  }

  const missing: [string, () => tg.nn.Module, number[]][] = [
    ['Erf', () => new Fn((x) => x.erf()), [4]],
    ['Erf (gelu below opset 20)', () => new Fn((x) => x.gelu()), [4]],
    ['Elu', () => new Fn((x) => x.elu()), [4]],
    ['Softplus', () => new Fn((x) => x.softplus()), [4]],
    ['Conv', () => new tg.nn.Conv2d(2, 2, 3), [2, 4, 4]],
    ['AveragePool', () => new tg.nn.AvgPool2d(2), [2, 4, 4]],
  ];
  for (const [op, make, s] of missing) {
    test(`${op}: exported as DOUBLE, which ONNX Runtime's CPU provider cannot run (float32 models can)`, async () => {
      const m = make().double();
      const opType = op.split(' ')[0];
      await expect(checkAgainstOrt(m, [f64([3, ...s])], [[f64([2, ...s])]])).rejects.toThrow(new RegExp(`Could not find an implementation for ${opType}`));
    });
  }
});
