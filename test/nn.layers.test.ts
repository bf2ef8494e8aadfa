// Layers (Linear, containers, activations), softmax/logSoftmax and tg.nn.init.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample, t64 } from './helpers';

const nn = tg.nn;
const init = tg.nn.init;
const f64 = (shape: number[], seed: number, lo = -2, hi = 2) => t64(sample(shape, seed, lo, hi), shape);

/** Runs model.forward(x) with the parameters at `paths` temporarily replaced by `tensors`. */
function callWith(model: tg.nn.Module, paths: string[], tensors: tg.Tensor[], x: tg.Tensor): tg.Tensor {
  const slots = paths.map((p) => {
    const parts = p.split('.');
    let owner: Record<string, unknown> = model as unknown as Record<string, unknown>;
    for (const s of parts.slice(0, -1)) owner = owner[s] as Record<string, unknown>;
    return { owner, key: parts[parts.length - 1] };
  });
  const saved = slots.map(({ owner, key }) => owner[key]);
  slots.forEach(({ owner, key }, i) => (owner[key] = tensors[i]));
  try {
    return model.forward(x) as tg.Tensor;
  } finally {
    slots.forEach(({ owner, key }, i) => (owner[key] = saved[i]));
  }
}

describe('Linear', () => {
  it('computes x Wᵀ + b for batched input, against a JS reference', () => {
    const lin = new nn.Linear(3, 2, { dtype: 'float64' });
    const W = [[0.5, -1, 2], [1.5, 0.25, -0.75]];
    const b = [0.1, -0.2];
    lin.loadStateDict({ weight: tg.tensor(W, { dtype: 'float64' }), bias: tg.tensor(b, { dtype: 'float64' }) });
    const xs = sample([2, 4, 3], 3);
    const y = lin.forward(t64(xs, [2, 4, 3]));
    expect(y.shape).toEqual([2, 4, 2]);
    const ref: number[] = [];
    for (let r = 0; r < 8; r++) for (let o = 0; o < 2; o++) ref.push(b[o] + W[o][0] * xs[r * 3] + W[o][1] * xs[r * 3 + 1] + W[o][2] * xs[r * 3 + 2]);
    expectClose(y.data(), ref, 1e-14, 1e-14, 'linear');
    const noBias = new nn.Linear(3, 2, { bias: false, dtype: 'float64' });
    expect(noBias.bias).toBe(null);
    noBias.loadStateDict({ weight: tg.tensor(W, { dtype: 'float64' }) });
    expectClose(noBias.forward(t64(xs.slice(0, 3), [3])).data(), [0, 1].map((o) => W[o][0] * xs[0] + W[o][1] * xs[1] + W[o][2] * xs[2]), 1e-14, 1e-14, '1-D input');
    expect(String(lin)).toBe('Linear(inFeatures=3, outFeatures=2, bias=true)');
  });

  it('gives clear errors for bad sizes, shapes and dtypes', () => {
    expectError(() => new nn.Linear(-1, 2), RangeError, /Linear: inFeatures must be a non-negative integer/);
    expectError(() => new nn.Linear(2, 1.5), TypeError, /^Linear: outFeatures must be an integer, got 1.5/);
    const lin = new nn.Linear(3, 2);
    expectError(() => lin.forward(tg.zeros([4, 5])), RangeError, /Linear\(3, 2\)/, /\[4, 5\]/);
    expectError(() => lin.forward(tg.zeros([4, 3], { dtype: 'float64' })), TypeError, /float64/, /float32/);
    expectError(() => lin.forward([1, 2, 3] as unknown as tg.Tensor), TypeError, /Linear: input must be a Tensor/);
  });

  it('is initialised as PyTorch: weight and bias uniform in ±1/√inFeatures', () => {
    const lin = new nn.Linear(100, 300, { dtype: 'float64' });
    const bound = 1 / Math.sqrt(100);
    for (const [name, p] of lin.namedParameters()) {
      const v = Array.from(p.data());
      expect(Math.max(...v.map(Math.abs)), name).toBeLessThanOrEqual(bound);
      expect(Math.max(...v.map(Math.abs)), name).toBeGreaterThan(0.9 * bound);
    }
    const w = Array.from(lin.weight.data());
    const varW = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(Math.abs(varW - bound * bound / 3)).toBeLessThan(0.05 * bound * bound / 3); // 30000 samples: ~0.4% sd
  });

  it('is reproducible under manualSeed and with a generator', () => {
    tg.manualSeed(42);
    const a = new nn.Linear(5, 4);
    tg.manualSeed(42);
    const b = new nn.Linear(5, 4);
    expect(b.weight.toArray()).toEqual(a.weight.toArray());
    expect(b.bias!.toArray()).toEqual(a.bias!.toArray());
    const c = new nn.Linear(5, 4, { generator: new tg.Generator(7) });
    const d = new nn.Linear(5, 4, { generator: new tg.Generator(7) });
    const e = new nn.Linear(5, 4, { generator: new tg.Generator(8) });
    expect(d.weight.toArray()).toEqual(c.weight.toArray());
    expect(e.weight.toArray()).not.toEqual(c.weight.toArray());
  });
});

describe('Sequential MLP gradients', () => {
  it('passes gradcheck in float64 with respect to the input and every parameter', () => {
    const model = new nn.Sequential(new nn.Linear(3, 4, { dtype: 'float64' }), new nn.Tanh(), new nn.Linear(4, 2, { dtype: 'float64' }));
    const named = [...model.namedParameters()];
    const paths = named.map(([n]) => n);
    expect(paths).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = f64([5, 3], 21).requiresGrad_(true);
    const params = named.map(([, p]) => p.detach().clone().requiresGrad_(true));
    expect(tg.gradcheck((xx: tg.Tensor, ...ps: tg.Tensor[]) => callWith(model, paths, ps, xx), [x, ...params])).toBe(true);
    // The swap really reaches the layers: other parameter values give other outputs.
    const y = (model.forward(x) as tg.Tensor).toArray();
    params.forEach((_, i) => {
      const alt = params.map((p, j) => (i === j ? p.detach().add(0.5) : p.detach()));
      expect(callWith(model, paths, alt, x.detach()).toArray(), paths[i]).not.toEqual(y);
    });
    expect((model.forward(x) as tg.Tensor).toArray()).toEqual(y);
  });

  it('backward fills .grad of the module parameters with the same gradients as tg.grad', () => {
    const model = new nn.Sequential(new nn.Linear(3, 4, { dtype: 'float64' }), new nn.Tanh(), new nn.Linear(4, 2, { dtype: 'float64' }));
    const x = f64([6, 3], 4);
    const loss = (model.forward(x) as tg.Tensor).square().sum();
    const ps = [...model.parameters()];
    const gs = tg.grad(loss, ps, { retainGraph: true });
    loss.backward();
    ps.forEach((p, i) => expectClose(p.grad!.data(), gs[i]!.data(), 0, 0, `param ${i}`));
    // Hand-derived gradient of the last bias: sum over rows of 2·y.
    const y = (model.forward(x) as tg.Tensor).toArray() as number[][];
    expectClose(ps[3].grad!.data(), [0, 1].map((o) => y.reduce((s, r) => s + 2 * r[o], 0)), 1e-12, 1e-12, 'bias grad');
  });
});

describe('containers and activations', () => {
  it('Identity, Flatten and Sequential', () => {
    const x = f64([2, 3, 4, 5], 1);
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0, 2).forward(x).shape).toEqual([24, 5]);
    expect(new nn.Flatten(-3, -2).forward(x).shape).toEqual([2, 12, 5]);
    const seq = new nn.Sequential(new nn.Flatten(), new nn.ReLU());
    expect(Array.from(seq.forward(x).data())).toEqual(Array.from(x.data()).map((v) => Math.max(v, 0)));
    expect(new nn.Sequential().forward(x)).toBe(x);
  });

  it('match elementwise JS references', () => {
    const xs = sample([40], 9, -4, 4, [0]);
    const x = t64(xs, [40]);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const cases: [tg.nn.Module, (v: number) => number][] = [
      [new nn.ReLU(), (v) => Math.max(v, 0)],
      [new nn.LeakyReLU(0.2), (v) => (v > 0 ? v : 0.2 * v)],
      [new nn.LeakyReLU(), (v) => (v > 0 ? v : 0.01 * v)],
      [new nn.ELU(0.5), (v) => (v > 0 ? v : 0.5 * Math.expm1(v))],
      [new nn.SiLU(), (v) => v * sig(v)],
      [new nn.Sigmoid(), sig],
      [new nn.Tanh(), Math.tanh],
      [new nn.Softplus(), (v) => Math.log1p(Math.exp(v))],
      [new nn.Softplus({ beta: 2, threshold: 3 }), (v) => (2 * v > 3 ? v : Math.log1p(Math.exp(2 * v)) / 2)],
      [new nn.GELU({ approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
    ];
    for (const [m, f] of cases) expectClose(m.forward(x).data(), xs.map(f), 1e-13, 1e-14, String(m));
    // Exact GELU values from torch.nn.functional.gelu in float64.
    const g = new nn.GELU().forward(tg.tensor([-2, -0.5, 0.3, 1.7], { dtype: 'float64' }));
    expectClose(g.data(), [-0.04550026389635842, -0.15426876936299344, 0.1853734266566858, 1.6242387133104768], 1e-14, 1e-16, 'gelu');
    expectError(() => new nn.GELU({ approximate: 'fast' as 'tanh' }), RangeError, /approximate/);
    expect(String(new nn.LeakyReLU(0.2))).toBe('LeakyReLU(negativeSlope=0.2)');
  });
});

describe('softmax and logSoftmax', () => {
  const F = nn.functional;
  it('match a JS reference along any dim and sum to one', () => {
    const xs = sample([3, 4], 2, -3, 3);
    const x = t64(xs, [3, 4]);
    const rows = [0, 1, 2].map((r) => Array.from(xs.slice(r * 4, r * 4 + 4)));
    const ref = rows.flatMap((row) => {
      const s = row.reduce((a, v) => a + Math.exp(v), 0);
      return row.map((v) => Math.exp(v) / s);
    });
    expectClose(F.softmax(x, -1).data(), ref, 1e-14, 1e-15, 'softmax');
    expectClose(F.logSoftmax(x, 1).data(), ref.map(Math.log), 1e-13, 1e-14, 'logSoftmax');
    expectClose(new nn.Softmax(0).forward(x).sum(0).data(), [1, 1, 1, 1], 1e-15, 1e-15, 'columns');
    expectClose(new nn.LogSoftmax(0).forward(x).exp().sum(0).data(), [1, 1, 1, 1], 1e-14, 1e-14, 'log columns');
  });

  it('stay finite and exact for logits of ±1e4', () => {
    const x = tg.tensor([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4 + 2]], { dtype: 'float64' });
    const l = 1 + Math.exp(-1);
    expectClose(F.softmax(x, 1).data(), [1 / l, Math.exp(-1) / l, 0, 1 / (2 + Math.exp(2)), 1 / (2 + Math.exp(2)), Math.exp(2) / (2 + Math.exp(2))], 1e-14, 1e-300, 'softmax');
    const ls = Array.from(F.logSoftmax(x, 1).data());
    expectClose(ls.slice(0, 2), [-Math.log(l), -1 - Math.log(l)], 1e-12, 1e-12, 'logSoftmax');
    expectClose([ls[2]], [-2e4 - Math.log(l)], 1e-14, 0, 'very negative');
    const x32 = x.float();
    expect(Array.from(F.softmax(x32, 1).data()).every(Number.isFinite)).toBe(true);
    expect(Array.from(F.logSoftmax(x32, 1).data()).every(Number.isFinite)).toBe(true);
  });

  it('pass gradcheck in float64', () => {
    const x = f64([3, 5], 8).requiresGrad_(true);
    for (const dim of [0, 1, -1]) {
      expect(tg.gradcheck((t: tg.Tensor) => F.softmax(t, dim), [x])).toBe(true);
      expect(tg.gradcheck((t: tg.Tensor) => F.logSoftmax(t, dim), [x])).toBe(true);
    }
    const big = tg.tensor([[1e4, 1e4 - 1, 1e4 - 0.5]], { dtype: 'float64', requiresGrad: true });
    expect(tg.gradcheck((t: tg.Tensor) => F.logSoftmax(t, 1), [big], { eps: 1e-4 })).toBe(true);
  });

  it('reject bad dims', () => {
    expectError(() => F.softmax(tg.zeros([2, 3]), 2), RangeError, /^softmax: dim 2 is out of range for a tensor of shape \[2, 3\]/);
    expectError(() => new nn.LogSoftmax(0.5), TypeError, /integer/);
  });
});

describe('init', () => {
  it('calculateGain matches PyTorch', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBe(5 / 3);
    expect(init.calculateGain('relu')).toBe(Math.SQRT2);
    expect(init.calculateGain('selu')).toBe(0.75);
    expectClose([init.calculateGain('leakyRelu'), init.calculateGain('leaky_relu', Math.sqrt(5))], [1.4141428569978354, 0.5773502691896257], 1e-15, 0, 'leaky');
    expectError(() => init.calculateGain('swish' as 'relu'), RangeError, /unsupported nonlinearity/);
  });

  it('kaimingUniform_ stays within ±gain·√(3/fan) and reaches close to it', () => {
    const check = (shape: number[], opts: Parameters<typeof init.kaimingUniform_>[1], bound: number) => {
      const t = tg.zeros(shape, { dtype: 'float64' });
      expect(init.kaimingUniform_(t, opts)).toBe(t);
      const m = Math.max(...Array.from(t.data()).map(Math.abs));
      expect(m).toBeLessThanOrEqual(bound);
      expect(m).toBeGreaterThan(0.98 * bound);
    };
    check([64, 50], { nonlinearity: 'relu' }, Math.SQRT2 * Math.sqrt(3 / 50));
    check([64, 50], { nonlinearity: 'relu', mode: 'fanOut' }, Math.SQRT2 * Math.sqrt(3 / 64));
    check([16, 4, 3, 3], {}, Math.sqrt(2 / (1 + 0.01 ** 2)) * Math.sqrt(3 / 36)); // default leaky_relu, a = 0
    check([16, 4, 3, 3], { a: 0.2, mode: 'fanOut' }, Math.sqrt(2 / 1.04) * Math.sqrt(3 / 144));
    // float32 never exceeds the bound either.
    const t = tg.zeros([200, 10]);
    init.kaimingUniform_(t, { nonlinearity: 'relu' });
    expect(Math.max(...Array.from(t.data()).map(Math.abs))).toBeLessThanOrEqual(Math.fround(Math.SQRT2 * Math.sqrt(3 / 10)));
    expectError(() => init.kaimingUniform_(tg.zeros([5]), {}), RangeError, /fewer than 2 dimensions/);
    expectError(() => init.kaimingUniform_(tg.zeros([5, 5]), { mode: 'fan' as 'fanIn' }), RangeError, /mode/);
  });

  it('normal_, kaimingNormal_ and xavierNormal_ have the requested mean and std', () => {
    const n = 200_000;
    const stats = (t: tg.Tensor) => {
      const v = Array.from(t.data());
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
      return [mean, sd];
    };
    // 6-sigma bounds: sd of the mean is std/√n, of the sample std about std/√(2n).
    const expectStats = (t: tg.Tensor, mean: number, std: number) => {
      const [m, s] = stats(t);
      expect(Math.abs(m - mean)).toBeLessThan(6 * std / Math.sqrt(n));
      expect(Math.abs(s - std)).toBeLessThan(6 * std / Math.sqrt(2 * n));
    };
    expectStats(init.normal_(tg.zeros([n], { dtype: 'float64' }), 2, 3), 2, 3);
    expectStats(init.kaimingNormal_(tg.zeros([400, 500], { dtype: 'float64' }), { nonlinearity: 'relu' }), 0, Math.SQRT2 / Math.sqrt(500));
    expectStats(init.xavierNormal_(tg.zeros([400, 500], { dtype: 'float64' }), { gain: 2 }), 0, 2 * Math.sqrt(2 / 900));
    expectStats(init.uniform_(tg.zeros([n], { dtype: 'float64' }), -1, 3), 1, 4 / Math.sqrt(12));
  });

  it('xavierUniform_, uniform_, constant_, zeros_ and ones_', () => {
    const t = tg.zeros([30, 20], { dtype: 'float64' });
    init.xavierUniform_(t, { gain: 5 / 3 });
    const bound = (5 / 3) * Math.sqrt(6 / 50);
    const v = Array.from(t.data()).map(Math.abs);
    expect(Math.max(...v)).toBeLessThanOrEqual(bound);
    expect(Math.max(...v)).toBeGreaterThan(0.98 * bound);
    const u = init.uniform_(tg.zeros([1000]), 2, 2.5);
    expect(Array.from(u.data()).every((x) => x >= 2 && x < 2.5)).toBe(true);
    expect(init.constant_(tg.zeros([2, 2]), 3).toArray()).toEqual([[3, 3], [3, 3]]);
    expect(init.ones_(tg.zeros([2])).toArray()).toEqual([1, 1]);
    expect(init.zeros_(tg.ones([2])).toArray()).toEqual([0, 0]);
    expectError(() => init.normal_(tg.zeros([2]), 0, -1), RangeError, /std must be non-negative/);
    expectError(() => init.uniform_(tg.zeros([2], { dtype: 'int32' })), TypeError, /int32/);
  });

  it('works in place on parameters (no grad recorded) and on non-contiguous views', () => {
    const p = new nn.Parameter(tg.zeros([3, 4]));
    init.normal_(p);
    expect(p.isLeaf).toBe(true);
    expect(p.requiresGrad).toBe(true);
    expect(Array.from(p.data()).every((x) => x !== 0)).toBe(true);
    const base = tg.zeros([4, 3]);
    init.constant_(base.T, 2);
    init.uniform_(base.T.narrow(0, 0, 1), 5, 6);
    const rows = base.toArray() as number[][];
    expect(rows.every((r) => r[0] >= 5 && r[0] < 6 && r[1] === 2 && r[2] === 2)).toBe(true);
  });

  it('is reproducible: same seed or generator, same values', () => {
    const draw = (g?: tg.Generator) => init.kaimingNormal_(tg.zeros([6, 5]), { generator: g }).toArray();
    tg.manualSeed(3);
    const a = draw();
    tg.manualSeed(3);
    expect(draw()).toEqual(a);
    expect(draw(new tg.Generator(9))).toEqual(draw(new tg.Generator(9)));
    expect(draw(new tg.Generator(9))).not.toEqual(draw(new tg.Generator(10)));
  });
});
