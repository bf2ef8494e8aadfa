// tg.nn.summary: per-layer output shapes of a CNN with pooling (derived by hand from the conv/pool
// output-size formula), parameter counts that add up to numParameters(), and the memory totals.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

const { nn } = tg;
/** floor((n + 2p - d(k - 1) - 1) / s) + 1, the output size of a convolution or pooling window. */
const out = (n: number, k: number, s = 1, p = 0, d = 1) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

class Net extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 5, { stride: 2 }), new nn.ReLU(), new nn.AvgPool2d(2, { stride: 1 }),
  );
  flatten = new nn.Flatten();
  head = new nn.Linear(16 * 4 * 4, 10);
  scale = new nn.Parameter(tg.ones([1]));
  forward(x: tg.Tensor): tg.Tensor {
    return this.head.forward(this.flatten.forward(this.features.forward(x))).mul(this.scale);
  }
}

describe('nn.summary', () => {
  it('a CNN with pooling: every output shape, parameter counts and totals', () => {
    tg.manualSeed(0);
    const net = new Net();
    net.head.bias!.requiresGrad_(false);
    const x = tg.randn([2, 1, 28, 28]);
    const s = tg.nn.summary(net, x);
    const h1 = out(28, 3, 1, 1), p1 = out(h1, 2, 2), h2 = out(p1, 5, 2), p2 = out(h2, 2, 1);
    expect([h1, p1, h2, p2]).toEqual([28, 14, 5, 4]);
    const byName = Object.fromEntries(s.rows.map((r) => [r.name, r]));
    expect(s.rows.map((r) => r.name)).toEqual(['', 'features', 'features.0', 'features.1', 'features.2', 'features.3', 'features.4', 'features.5', 'features.6', 'flatten', 'head']);
    expect(byName['features.0']).toEqual({ name: 'features.0', type: 'Conv2d', outputShape: [2, 8, h1, h1], params: 8 * 9 + 8, trainable: 80 });
    expect(byName['features.1'].outputShape).toEqual([2, 8, 28, 28]);
    expect(byName['features.1'].params).toBe(16);
    expect(byName['features.3']).toMatchObject({ type: 'MaxPool2d', outputShape: [2, 8, p1, p1], params: 0 });
    expect(byName['features.4']).toMatchObject({ type: 'Conv2d', outputShape: [2, 16, h2, h2], params: 8 * 16 * 25 + 16 });
    expect(byName['features.6']).toMatchObject({ type: 'AvgPool2d', outputShape: [2, 16, p2, p2] });
    expect(byName.features).toMatchObject({ type: 'Sequential', outputShape: [2, 16, 4, 4], params: 0 });
    expect(byName.flatten.outputShape).toEqual([2, 256]);
    expect(byName.head).toEqual({ name: 'head', type: 'Linear', outputShape: [2, 10], params: 2570, trainable: 2560 });
    expect(byName['']).toEqual({ name: '', type: 'Net', outputShape: [2, 10], params: 1, trainable: 1 });
    expect(s.rows.reduce((a, r) => a + r.params, 0)).toBe(net.numParameters());
    expect(s.totalParams).toBe(net.numParameters());
    expect(s.trainableParams).toBe(net.numParameters({ onlyTrainable: true }));
    expect(s.totalParams - s.trainableParams).toBe(10);
    const bufferElems = [...net.buffers()].reduce((a, b) => a + b.size, 0);
    expect(s.paramBytes).toBe(4 * net.numParameters() + [...net.buffers()].reduce((a, b) => a + b.size * (b.dtype === 'float64' ? 8 : 4), 0));
    expect(bufferElems).toBeGreaterThanOrEqual(16);
    const leafOut = 2 * (8 * 28 * 28 * 3 + 8 * 14 * 14 + 16 * 5 * 5 * 2 + 16 * 4 * 4 + 256 + 10);
    expect(s.activationBytes).toBe(4 * leafOut);
    const text = s.toString();
    expect(text).toMatch(/features\.0 \(Conv2d\)\s+\[2, 8, 28, 28\]\s+80/);
    expect(text).toContain(`Total params: ${net.numParameters().toLocaleString('en-US')}`);
    expect(text).toContain('Non-trainable params: 10');
    expect(`${s}`).toBe(text);
  });

  it('leaves the model as it was: forward methods, mode, no recorded graph; unused layers have no shape', () => {
    tg.manualSeed(1);
    class Partial extends nn.Module {
      used = new nn.Linear(3, 2);
      unused = new nn.Linear(3, 2);
      forward(x: tg.Tensor) {
        return this.used.forward(x);
      }
    }
    const m = new Partial();
    const s = tg.nn.summary(m, [tg.randn([4, 3])]);
    expect(s.rows.find((r) => r.name === 'unused')!.outputShape).toBeNull();
    expect(Object.prototype.hasOwnProperty.call(m.used, 'forward')).toBe(false);
    expect(m.training).toBe(true);
    expect(Object.keys(m.stateDict())).toEqual(['used.weight', 'used.bias', 'unused.weight', 'unused.bias']);
    const y = m.forward(tg.randn([1, 3]));
    expect(y.shape).toEqual([1, 2]);
    expect(() => tg.nn.summary({} as never, tg.randn([1]))).toThrow(/^summary: model must be a tg.nn.Module/);
    expect(() => tg.nn.summary(m, 3 as never)).toThrow(/^summary: exampleInput must be a Tensor/);
    expect(() => tg.nn.summary(m, tg.randn([4, 5]))).toThrow(/\[4, 5\]/);
    expect(Object.prototype.hasOwnProperty.call(m.used, 'forward')).toBe(false); // restored after a failing pass too
  });
});
