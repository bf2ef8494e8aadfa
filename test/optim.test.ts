// tg.optim optimizers against PyTorch 1.13 trajectories (test/fixtures/optim.json), plus groups,
// state dicts, skipping, layouts, thread independence and bad options.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, jsRandom } from './helpers';

interface Case {
  optimizer: string;
  options: Record<string, unknown>;
  groups: Record<string, unknown>[] | null;
  dtype: 'float32' | 'float64';
  steps: number[][];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'optim.json'), 'utf8')) as {
  problem: { shapes: number[][]; init: number[][]; a: number[][]; t: number[][] };
  cases: Case[];
};
const { shapes, init, a: A, t: T } = fixture.problem;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const optim = tg.optim as any;
type Opt = tg.optim.Optimizer;

function makeParams(dtype: 'float32' | 'float64'): tg.Tensor[] {
  return shapes.map((s, i) => tg.tensor(init[i], { shape: s, dtype, requiresGrad: true }));
}

/** grad = a * (p - t), computed in the parameter's precision exactly as PyTorch does. */
function setGrads(params: tg.Tensor[], step: number, dtype: string): void {
  const r = dtype === 'float32' ? Math.fround : (x: number) => x;
  params.forEach((p, i) => {
    if (i === 2 && step % 2 === 1) {
      p.grad = null;
      return;
    }
    const v = p.data();
    const g = Array.from(v, (x, j) => r(r(A[i][j]) * r(x - r(T[i][j]))));
    p.grad = tg.tensor(g, { shape: shapes[i], dtype: p.dtype });
  });
}

function makeOptimizer(c: Case, params: tg.Tensor[]): Opt {
  const spec = c.groups === null ? params : c.groups.map((g) => ({ ...g, params: (g.params as number[]).map((i) => params[i]) }));
  return new optim[c.optimizer](spec, c.options);
}

const flat = (params: tg.Tensor[]): number[] => params.flatMap((p) => Array.from(p.data()));
const tol = (dtype: string): [number, number] => (dtype === 'float64' ? [1e-12, 1e-13] : [1e-6, 1e-7]);
const label = (c: Case): string => `${c.optimizer} ${JSON.stringify(c.options)}${c.groups ? ` groups ${JSON.stringify(c.groups)}` : ''} ${c.dtype}`;

describe('PyTorch 1.13 trajectories (20 steps)', () => {
  it('cover every optimizer', () => {
    expect(new Set(fixture.cases.map((c) => c.optimizer))).toEqual(new Set(['SGD', 'Adagrad', 'RMSprop', 'Adadelta', 'Adam', 'AdamW', 'Adamax', 'NAdam']));
  });
  for (const c of fixture.cases) {
    it(label(c), () => {
      const params = makeParams(c.dtype);
      const opt = makeOptimizer(c, params);
      const [rtol, atol] = tol(c.dtype);
      for (let k = 0; k < c.steps.length; k++) {
        setGrads(params, k, c.dtype);
        opt.step();
        expectClose(flat(params), c.steps[k], rtol, atol, `step ${k + 1}`);
      }
    });
  }
});

describe('stateDict / loadStateDict', () => {
  const picks = fixture.cases.filter((c) => c.groups !== null || (c.optimizer === 'SGD' && c.options.momentum === 0.9 && c.options.nesterov));
  for (const c of picks) {
    it(`resuming after 10 steps gives identical numbers: ${label(c)}`, () => {
      const params = makeParams(c.dtype);
      const opt = makeOptimizer(c, params);
      for (let k = 0; k < 10; k++) {
        setGrads(params, k, c.dtype);
        opt.step();
      }
      const sd = opt.stateDict();
      // A fresh optimizer over copies of the parameters, built with other options, then loaded.
      const copies = params.map((p) => p.detach().clone().requiresGrad_());
      const other = makeOptimizer({ ...c, options: c.optimizer === 'SGD' ? { lr: 1, momentum: 0.5 } : {} }, copies);
      other.loadStateDict(sd);
      for (let k = 10; k < 20; k++) {
        setGrads(params, k, c.dtype);
        setGrads(copies, k, c.dtype);
        opt.step();
        other.step();
        expect(flat(copies)).toEqual(flat(params));
      }
      const [rtol, atol] = tol(c.dtype);
      expectClose(flat(copies), c.steps[19], rtol, atol, 'resumed step 20');
    });
  }

  it('is a copy: later steps do not change it, and its tensors are not the live state', () => {
    const p = tg.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const opt = new tg.optim.Adam([p], { lr: 0.1 });
    p.grad = tg.tensor([0.5, -1, 2], { dtype: 'float64' });
    opt.step();
    const sd = opt.stateDict();
    const saved = (sd.state[0].expAvg as tg.Tensor).data().slice();
    opt.step();
    expect(sd.state[0].step).toBe(1);
    expect((sd.state[0].expAvg as tg.Tensor).data()).toEqual(saved);
    expect(sd.paramGroups).toEqual([{ params: [0], lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }]);
  });

  it('restores group options (lr) and rejects mismatched dicts', () => {
    const p = tg.zeros([2, 2], { requiresGrad: true });
    const q = tg.zeros([3], { requiresGrad: true });
    const opt = new tg.optim.SGD([{ params: [p] }, { params: [q], lr: 0.5 }], { lr: 0.1, momentum: 0.9 });
    p.grad = tg.ones([2, 2]);
    q.grad = tg.ones([3]);
    opt.step();
    opt.paramGroups[1].lr = 0.25;
    const sd = opt.stateDict();
    const p2 = tg.zeros([2, 2], { requiresGrad: true });
    const q2 = tg.zeros([3], { requiresGrad: true });
    const opt2 = new tg.optim.SGD([{ params: [p2] }, { params: [q2] }], { lr: 3 });
    opt2.loadStateDict(sd);
    expect(opt2.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.25]);
    expect(opt2.paramGroups[1].momentum).toBe(0.9);
    const one = new tg.optim.SGD([p2, q2], { lr: 1 });
    expectError(() => one.loadStateDict(sd), RangeError, /SGD.loadStateDict/, /2 parameter groups/);
    const swapped = new tg.optim.SGD([{ params: [q2] }, { params: [p2] }], { lr: 1 });
    expectError(() => swapped.loadStateDict(sd), RangeError, /momentumBuffer/, /\[2, 2\]/, /\[3\]/);
    expectError(() => one.loadStateDict(null as never), TypeError, /SGD.loadStateDict/);
  });

  it('converts loaded state to the parameter dtype', () => {
    const p = tg.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new tg.optim.Adam([p], { lr: 0.1 });
    p.grad = tg.tensor([1, 1], { dtype: 'float64' });
    opt.step();
    const q = tg.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const opt32 = new tg.optim.Adam([q], { lr: 0.1 });
    opt32.loadStateDict(opt.stateDict());
    expect((opt32.state.get(q)!.expAvg as tg.Tensor).dtype).toBe('float32');
    q.grad = tg.tensor([1, 1]);
    opt32.step();
    expect(opt32.state.get(q)!.step).toBe(2);
  });
});

describe('step semantics', () => {
  it('skips parameters whose grad is null (no state, no version bump) and bumps the others', () => {
    const p = tg.tensor([1, 2], { requiresGrad: true });
    const q = tg.tensor([3, 4], { requiresGrad: true });
    const opt = new tg.optim.Adam([p, q]);
    p.grad = tg.tensor([1, -1]);
    const vp = p._version;
    const vq = q._version;
    opt.step();
    expect(p._version).toBe(vp + 1);
    expect(q._version).toBe(vq);
    expect(Array.from(q.data())).toEqual([3, 4]);
    expect(opt.state.has(q)).toBe(false);
    expect(opt.state.get(p)!.step).toBe(1);
  });

  it('an in-place update makes tensors saved for backward stale', () => {
    const p = tg.tensor([1, 2], { requiresGrad: true });
    const y = p.mul(p).sum();
    const opt = new tg.optim.SGD([p], { lr: 0.1 });
    p.grad = tg.tensor([1, 1]);
    opt.step();
    expect(() => y.backward()).toThrow();
  });

  it('paramGroups lr is mutable and takes effect at the next step (hand-derived SGD)', () => {
    const p = tg.tensor([1, -2], { dtype: 'float64', requiresGrad: true });
    const opt = new tg.optim.SGD([p], { lr: 0.5 });
    p.grad = tg.tensor([0.25, 1], { dtype: 'float64' });
    opt.step();
    expect(Array.from(p.data())).toEqual([1 - 0.5 * 0.25, -2 - 0.5]);
    opt.paramGroups[0].lr = 0.125;
    opt.step();
    expect(Array.from(p.data())).toEqual([1 - 0.5 * 0.25 - 0.125 * 0.25, -2 - 0.5 - 0.125]);
  });

  it('zeroGrad sets grads to null by default, or zeroes them in place', () => {
    const p = tg.tensor([1, 2], { requiresGrad: true });
    const opt = new tg.optim.SGD([p], { lr: 0.1 });
    p.grad = tg.tensor([3, 4]);
    const g = p.grad;
    opt.zeroGrad({ setToNone: false });
    expect(p.grad).toBe(g);
    expect(Array.from(p.grad!.data())).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBe(null);
    opt.zeroGrad();
    expect(p.grad).toBe(null);
  });

  it('works with module parameters and a backward pass, and step(closure) returns the loss', () => {
    tg.manualSeed(0);
    const lin = new tg.nn.Linear(3, 1, { dtype: 'float64' });
    const x = tg.tensor([[1, 2, 3], [0.5, -1, 2]], { dtype: 'float64' });
    const y = tg.tensor([[1], [-1]], { dtype: 'float64' });
    const opt = new tg.optim.SGD(lin.parameters(), { lr: 0.05 });
    const lossOf = () => lin.forward(x).sub(y).square().mean();
    const first = lossOf().item();
    let last = first;
    for (let i = 0; i < 50; i++) {
      opt.zeroGrad();
      const loss = opt.step(() => {
        const l = lossOf();
        l.backward();
        return l;
      }) as tg.Tensor;
      last = loss.item();
    }
    expect(last).toBeLessThan(first / 10);
  });

  it('updates non-contiguous parameters and uses non-contiguous grads', () => {
    const base = [1, -2, 3, 0.5, -1, 2];
    const grad = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6];
    // Reference: contiguous [3, 2] parameter.
    const ref = tg.tensor(base, { shape: [3, 2], dtype: 'float64', requiresGrad: true });
    const refOpt = new tg.optim.Adam([ref], { lr: 0.1, weightDecay: 0.1 });
    // Same values as a transposed view of a [2, 3] leaf.
    const storage = tg.tensor(base, { shape: [3, 2], dtype: 'float64' }).transpose(0, 1).contiguous();
    const view = storage.transpose(0, 1).requiresGrad_();
    expect(view.isContiguous()).toBe(false);
    const opt = new tg.optim.Adam([view], { lr: 0.1, weightDecay: 0.1 });
    for (let k = 0; k < 3; k++) {
      ref.grad = tg.tensor(grad, { shape: [3, 2], dtype: 'float64' });
      view.grad = tg.tensor(grad, { shape: [3, 2], dtype: 'float64' }).transpose(0, 1).contiguous().transpose(0, 1);
      refOpt.step();
      opt.step();
    }
    expect(Array.from(view.data())).toEqual(Array.from(ref.data()));
  });

  it('updates only its own region of a parameter that is a view with an offset', () => {
    const whole = tg.tensor([1, 2, 3, 4, 5], { dtype: 'float64' });
    const part = whole.narrow(0, 1, 3).requiresGrad_();
    const opt = new tg.optim.SGD([part], { lr: 1 });
    part.grad = tg.tensor([1, 1, 1], { dtype: 'float64' });
    opt.step();
    expect(Array.from(whole.data())).toEqual([1, 1, 2, 3, 5]);
  });

  it('a grad sharing the parameter storage is read before the update', () => {
    const p = tg.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new tg.optim.SGD([p], { lr: 0.5 });
    p.grad = p.detach();
    opt.step();
    expect(Array.from(p.data())).toEqual([0.5, 1]);
  });
});

describe('large tensors', () => {
  afterAll(() => tg.setNumThreads(Number(process.env.TAPEGRAD_NUM_THREADS ?? 2)));
  const n = 70001; // not a multiple of the chunk, vector width or block size

  it('Adam float64 equals a scalar JavaScript reference of the same operations exactly', () => {
    const r = jsRandom(11);
    const p0 = Float64Array.from({ length: n }, () => r() * 4 - 2);
    const grads = [0, 1, 2].map(() => Float64Array.from({ length: n }, () => r() * 2 - 1));
    const p = tg.tensor(p0, { dtype: 'float64', requiresGrad: true });
    const [lr, b1, b2, eps, wd] = [0.01, 0.9, 0.999, 1e-8, 0.05];
    const opt = new tg.optim.Adam([p], { lr, betas: [b1, b2], eps, weightDecay: wd, amsgrad: true });
    const ref = p0.slice();
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    const vmax = new Float64Array(n);
    grads.forEach((g, k) => {
      p.grad = tg.tensor(g, { dtype: 'float64' });
      opt.step();
      const step = k + 1;
      const stepSize = lr / (1 - b1 ** step);
      const bc2 = Math.sqrt(1 - b2 ** step);
      for (let i = 0; i < n; i++) {
        const d = g[i] + wd * ref[i];
        m[i] = m[i] * b1 + (1 - b1) * d;
        v[i] = v[i] * b2 + (1 - b2) * d * d;
        vmax[i] = Math.max(vmax[i], v[i]);
        ref[i] = ref[i] + (-stepSize * m[i]) / (Math.sqrt(vmax[i]) / bc2 + eps);
      }
    });
    expect(p.data()).toEqual(ref);
  });

  it('results are bitwise identical for 1 and 2 threads', () => {
    const run = (threads: number, name: string, opts: object, dtype: 'float32' | 'float64') => {
      tg.setNumThreads(threads);
      tg.manualSeed(3);
      const p = tg.randn([n], { dtype }).requiresGrad_();
      const opt = new optim[name]([p], opts);
      for (let k = 0; k < 3; k++) {
        p.grad = tg.randn([n], { dtype });
        opt.step();
      }
      return p.data();
    };
    const cases: [string, object][] = [
      ['SGD', { lr: 0.1, momentum: 0.9, nesterov: true }],
      ['Adagrad', { lrDecay: 0.1 }],
      ['RMSprop', { centered: true, momentum: 0.5 }],
      ['Adadelta', {}],
      ['Adam', { amsgrad: true }],
      ['AdamW', {}],
      ['Adamax', {}],
      ['NAdam', {}],
    ];
    for (const [name, opts] of cases) {
      for (const dtype of ['float32', 'float64'] as const) {
        expect(run(2, name, opts, dtype), `${name} ${dtype}`).toEqual(run(1, name, opts, dtype));
      }
    }
  });
});

describe('bad options and inputs', () => {
  const p = () => tg.zeros([2], { requiresGrad: true });
  it('negative lr, betas outside [0, 1), eps <= 0 and other ranges', () => {
    expectError(() => new tg.optim.SGD([p()], { lr: -0.1 }), RangeError, /^SGD: learning rate lr must be >= 0, got -0.1/);
    expectError(() => new tg.optim.Adam([p()], { lr: -1 }), RangeError, /^Adam: .*lr.*-1/);
    expectError(() => new tg.optim.Adam([p()], { betas: [0.9, 1] }), RangeError, /^Adam: betas\[1\] must be in \[0, 1\), got 1/);
    expectError(() => new tg.optim.AdamW([p()], { betas: [-0.1, 0.9] }), RangeError, /^AdamW: betas\[0\]/);
    expectError(() => new tg.optim.NAdam([p()], { betas: [0.9] as never }), TypeError, /^NAdam: betas must be an array of two numbers/);
    expectError(() => new tg.optim.Adamax([p()], { eps: 0 }), RangeError, /^Adamax: eps must be > 0, got 0/);
    expectError(() => new tg.optim.Adagrad([p()], { eps: -1e-8 }), RangeError, /^Adagrad: eps must be > 0/);
    expectError(() => new tg.optim.RMSprop([p()], { eps: 0 }), RangeError, /^RMSprop: eps/);
    expectError(() => new tg.optim.Adadelta([p()], { rho: 1.5 }), RangeError, /^Adadelta: rho must be in \[0, 1\]/);
    expectError(() => new tg.optim.RMSprop([p()], { momentum: -0.5 }), RangeError, /^RMSprop: momentum must be >= 0/);
    expectError(() => new tg.optim.SGD([p()], { lr: 0.1, weightDecay: -1 }), RangeError, /^SGD: weightDecay must be >= 0/);
    expectError(() => new tg.optim.Adagrad([p()], { lrDecay: -1 }), RangeError, /^Adagrad: lrDecay/);
    expectError(() => new tg.optim.NAdam([p()], { momentumDecay: -1 }), RangeError, /^NAdam: momentumDecay/);
    expectError(() => new tg.optim.SGD([p()], { lr: Number.NaN }), TypeError, /^SGD: lr must be a finite number, got NaN/);
    expectError(() => new tg.optim.Adam([p()], { amsgrad: 1 as never }), TypeError, /^Adam: amsgrad must be a boolean/);
    expectError(() => new tg.optim.SGD([p()], { lr: 0.1, nesterov: true }), RangeError, /^SGD: Nesterov momentum needs momentum > 0 and dampening = 0/);
    expectError(() => new tg.optim.SGD([p()], {} as never), TypeError, /^SGD: lr is required/);
    expectError(() => new tg.optim.Adam([p()], { learningRate: 0.1 } as never), TypeError, /^Adam: unknown option 'learningRate'/);
    expectError(() => new tg.optim.Adam([{ params: [p()], lrr: 0.1 }]), TypeError, /^Adam: unknown option 'lrr' in a parameter group/);
    expectError(() => new tg.optim.Adam([{ params: [p()], lr: -2 }]), RangeError, /^Adam: learning rate lr must be >= 0, got -2/);
  });

  it('bad parameters: non-leaf, int32, non-tensor, listed twice (also across groups), empty', () => {
    const leaf = p();
    expectError(() => new tg.optim.SGD([leaf.mul(2)], { lr: 0.1 }), TypeError, /^SGD: can't optimize a non-leaf tensor/);
    expectError(() => new tg.optim.Adam([tg.zeros([2], { dtype: 'int32' })]), TypeError, /^Adam: can only optimize float32 and float64 tensors, parameter 0 is int32/);
    expectError(() => new tg.optim.Adam([leaf, 3 as never]), TypeError, /^Adam: params mixes Tensors and parameter groups/);
    expectError(() => new tg.optim.Adam([leaf, leaf]), RangeError, /^Adam: parameter 1 \(shape \[2\]\) appears more than once/);
    expectError(() => new tg.optim.Adam([{ params: [leaf] }, { params: [p(), leaf] }]), RangeError, /^Adam: parameter 1 .*appears more than once/);
    const opt = new tg.optim.Adam([leaf]);
    expectError(() => opt.addParamGroup({ params: [leaf] }), RangeError, /appears more than once/);
    expectError(() => new tg.optim.Adam([]), RangeError, /^Adam: got an empty parameter list/);
    expectError(() => new tg.optim.Adam(leaf as never), TypeError, /^Adam: params must be an iterable .* single Tensor/);
    expectError(() => new tg.optim.Adam(5 as never), TypeError, /^Adam: params must be an iterable/);
    expectError(() => new tg.optim.Adam([{ params: [] }]), RangeError, /^Adam: a parameter group has no parameters/);
  });

  it('a grad of the wrong shape or dtype at step(), and bad values set on a group later', () => {
    const q = tg.zeros([2, 3], { requiresGrad: true });
    const opt = new tg.optim.Adam([q]);
    q.grad = tg.zeros([3, 2]);
    expectError(() => opt.step(), TypeError, /^Adam.step: parameter 0 is float32 \[2, 3\] but its grad is float32 \[3, 2\]/);
    q.grad = tg.zeros([2, 3], { dtype: 'float64' });
    expectError(() => opt.step(), TypeError, /^Adam.step: parameter 0 is float32 \[2, 3\] but its grad is float64 \[2, 3\]/);
    q.grad = 5 as never;
    expectError(() => opt.step(), TypeError, /^Adam.step: the grad of parameter 0 is not a Tensor/);
    q.grad = tg.zeros([2, 3]);
    opt.paramGroups[0].lr = -1;
    expectError(() => opt.step(), RangeError, /^Adam: learning rate lr must be >= 0/);
    expect(Array.from(q.data())).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('native optimStep validation', () => {
  const f32 = (n: number) => new Float32Array(n);
  const hpAdam = () => Float64Array.from([0.1, 0.9, 0.999, 1e-8, 0, 0, 0, 0, 1, 1]);
  it.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('rejects every malformed argument with an error', async () => {
    // The addon as the library loads it (not reachable through the public API).
    const { native } = await import('../src/native');
    const call = (...args: unknown[]) => () => (native.optimStep as (...a: unknown[]) => void)(...args);
    expectError(call(4, f32(4), 0, f32(4), 0, 4, f32(4), f32(4), null), TypeError, /optimStep: expected 10 arguments/);
    expectError(call(9, f32(4), 0, f32(4), 0, 4, f32(4), f32(4), null, hpAdam()), RangeError, /kind must be an integer in \[0, 6\]/);
    expectError(call(4, [1, 2], 0, f32(4), 0, 4, f32(4), f32(4), null, hpAdam()), TypeError, /optimStep \(adam\): param must be a Float32Array/);
    expectError(call(4, new Int32Array(4), 0, new Int32Array(4), 0, 4, null, null, null, hpAdam()), TypeError, /int32 is not supported/);
    expectError(call(4, f32(4), 0, new Float64Array(4), 0, 4, f32(4), f32(4), null, hpAdam()), TypeError, /dtype mismatch/);
    expectError(call(4, f32(4), 1, f32(4), 0, 4, f32(4), f32(4), null, hpAdam()), RangeError, /param \(length 4\) is too short for 4 elements at offset 1/);
    expectError(call(4, f32(4), 0, f32(4), 2, 4, f32(4), f32(4), null, hpAdam()), RangeError, /grad \(length 4\) is too short/);
    expectError(call(4, f32(4), -1, f32(4), 0, 4, f32(4), f32(4), null, hpAdam()), RangeError, /paramOffset must be an integer/);
    expectError(call(4, f32(4), 0, f32(4), 0, 1.5, f32(4), f32(4), null, hpAdam()), RangeError, /n must be an integer/);
    expectError(call(4, f32(4), 0, f32(4), 0, 4, null, f32(4), null, hpAdam()), TypeError, /state 0 is required/);
    expectError(call(4, f32(4), 0, f32(4), 0, 4, f32(3), f32(4), null, hpAdam()), RangeError, /state 0 has length 3, expected 4/);
    expectError(call(4, f32(4), 0, f32(4), 0, 4, f32(4), new Float64Array(4), null, hpAdam()), TypeError, /dtype mismatch/);
    const ams = hpAdam();
    ams[5] = 1;
    expectError(call(4, f32(4), 0, f32(4), 0, 4, f32(4), f32(4), null, ams), TypeError, /state 2 is required/);
    expectError(call(4, f32(4), 0, f32(4), 0, 4, f32(4), f32(4), null, new Float64Array(3)), RangeError, /expected 10 hyperparameters, got 3/);
    expectError(call(4, f32(4), 0, f32(4), 0, 4, f32(4), f32(4), null, [1, 2]), TypeError, /hyperparameters must be a Float64Array/);
    const nan = hpAdam();
    nan[0] = Number.NaN;
    expectError(call(4, f32(4), 0, f32(4), 0, 4, f32(4), f32(4), null, nan), RangeError, /hyperparameter 0 is not finite/);
    const flag = hpAdam();
    flag[6] = 2;
    expectError(call(4, f32(4), 0, f32(4), 0, 4, f32(4), f32(4), null, flag), RangeError, /hyperparameter 6 must be 0 or 1/);
    const shared = f32(8);
    expectError(call(4, shared, 0, shared, 2, 4, f32(4), f32(4), null, hpAdam()), RangeError, /param and grad share memory/);
    const st = f32(4);
    expectError(call(4, f32(4), 0, f32(4), 0, 4, st, st, null, hpAdam()), RangeError, /state 0 and state 1 share memory/);
    // Still alive and working.
    const p = Float32Array.from([1, 2, 3, 4]);
    native.optimStep(0, p, 0, Float32Array.from([1, 1, 1, 1]), 0, 4, null, null, null, Float64Array.from([0.5, 0, 0, 0, 0, 0, 0]));
    expect(Array.from(p)).toEqual([0.5, 1.5, 2.5, 3.5]);
  });
});
