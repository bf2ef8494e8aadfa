// The tape: accumulation, freeing, hooks, grad modes, functional grads, custom ops, gradcheck.
import { describe, expect, it } from 'vitest';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample, t64 } from './helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

const f64 = (v: unknown, requiresGrad = true) => tg.tensor(v, { dtype: 'float64', requiresGrad });

describe('backward', () => {
  it('computes hand-derived gradients and accumulates into leaves across calls', () => {
    const x = f64([1, 2, 3]);
    const w = f64([0.5, -1, 2]);
    const loss = () => x.mul(w).sum().add(x.square().sum());
    loss().backward();
    expect(x.grad!.toArray()).toEqual([2.5, 3, 8]); // w + 2x
    expect(w.grad!.toArray()).toEqual([1, 2, 3]);
    loss().backward();
    expect(x.grad!.toArray()).toEqual([5, 6, 16]);
    expect(x.grad!.requiresGrad).toBe(false);
    expect(x.isLeaf).toBe(true);
    expect(loss().isLeaf).toBe(false);
    expect(loss().gradFn).toBe('add');
  });

  it('sums the gradients of a tensor used several times', () => {
    const x = f64([3]);
    const y = x.mul(x).mul(x); // x^3 -> 3x^2 = 27
    y.sum().backward();
    expect(x.grad!.item()).toBe(27);
  });

  it('refuses a second backward through a freed graph, and allows it with retainGraph', () => {
    const x = f64([1, 2]);
    const z = x.exp().sum();
    z.backward(null, { retainGraph: true });
    z.backward();
    expectClose(x.grad!.data(), [2 * Math.E, 2 * Math.exp(2)], 1e-15);
    expect(() => z.backward()).toThrow(/backward through the graph a second time.*retainGraph/s);
  });

  it('needs a gradient for non-scalar outputs', () => {
    const x = f64([1, 2, 3]);
    const y = x.mul(2);
    expectError(() => y.backward(), RangeError, /scalar outputs/, /\[3\]/);
    y.backward(tg.tensor([1, 0, 2], { dtype: 'float64' }));
    expect(x.grad!.toArray()).toEqual([2, 0, 4]);
    expectError(() => x.mul(2).backward(tg.ones(2, { dtype: 'float64' })), RangeError, /\[2\]/, /\[3\]/);
  });

  it('errors when nothing requires grad', () => {
    const x = tg.tensor([1, 2]);
    expect(() => x.sum().backward()).toThrow(/does not require grad/);
    const y = f64([1]);
    const z = tg.noGrad(() => y.mul(2));
    expect(z.requiresGrad).toBe(false);
    expect(() => z.sum().backward()).toThrow(/does not require grad/);
  });

  it('detects in-place changes to a saved tensor and names the op', () => {
    const x = f64([1, 2]);
    const a = tg.tensor([3, 4], { dtype: 'float64' });
    const y = x.mul(a).sum();
    a.add_(1);
    expect(() => y.backward()).toThrow(/modified by an in-place operation.*'mul'.*version 1.*expected version 0/s);
    const e = x.exp();
    const s = e.sum();
    tg.noGrad(() => e.mul_(2));
    expect(() => s.backward()).toThrow(/'exp'/);
  });

  it('in-place ops on views bump the shared version', () => {
    const base = tg.tensor([1, 2, 3, 4], { dtype: 'float64' });
    const x = f64([1, 1]);
    const y = x.mul(base.narrow(0, 0, 2)).sum();
    base.narrow(0, 2, 2).fill_(0); // a different view of the same storage
    expect(() => y.backward()).toThrow(/in-place/);
  });

  it('refuses in-place changes of leaves that require grad outside noGrad', () => {
    const w = f64([1, 2]);
    expect(() => w.add_(1)).toThrow(/leaf tensor that requires grad/);
    tg.noGrad(() => w.add_(1));
    expect(w.toArray()).toEqual([2, 3]);
  });

  it('retainGrad keeps non-leaf gradients; others stay null', () => {
    const x = f64([1, 2]);
    const h = x.mul(3).retainGrad();
    const k = h.square();
    k.sum().backward();
    expect(h.grad!.toArray()).toEqual([6, 12]);
    expect(k.grad).toBeNull();
    expect(x.grad!.toArray()).toEqual([18, 36]);
    expect(() => tg.tensor([1]).retainGrad()).toThrow(/does not require grad/);
  });

  it('runs hooks on leaves and non-leaves, which may replace the gradient', () => {
    const x = f64([1, 2]);
    const seen: number[][] = [];
    const h = x.mul(2);
    h.registerHook((g) => {
      seen.push(g.toArray() as number[]);
    });
    const handle = x.registerHook((g) => g.mul(10));
    h.sum().backward();
    expect(seen).toEqual([[1, 1]]);
    expect(x.grad!.toArray()).toEqual([20, 20]);
    handle.remove();
    x.grad = null;
    x.mul(2).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
    expect(() => x.registerHook((() => tg.ones(3)) as never) && x.mul(1).sum().backward()).toThrow(/shape \[2\]/);
  });

  it('drops the whole graph when the loss is dropped, and frees saved tensors after backward', async () => {
    const x = f64(sample([1000], 1));
    const step = (): WeakRef<tg.Tensor> => {
      const h = x.mul(2).exp();
      h.sum(); // a loss that is never used
      return new WeakRef(h);
    };
    const refs = [step(), step(), step(), step(), step()];
    await collect();
    expect(refs.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(1);

    let a: tg.Tensor | null = x.mul(2);
    const y = a.exp().sum();
    const ref = new WeakRef(a);
    a = null;
    await collect();
    expect(ref.deref()).toBeDefined(); // saved by exp until backward
    y.backward();
    await collect();
    expect(ref.deref()).toBeUndefined();
  });
});

describe('grad modes', () => {
  it('noGrad / enableGrad nest and restore', () => {
    expect(tg.isGradEnabled()).toBe(true);
    const x = f64([1]);
    tg.noGrad(() => {
      expect(tg.isGradEnabled()).toBe(false);
      expect(x.mul(2).requiresGrad).toBe(false);
      tg.enableGrad(() => {
        expect(tg.isGradEnabled()).toBe(true);
        expect(x.mul(2).requiresGrad).toBe(true);
      });
      expect(tg.isGradEnabled()).toBe(false);
    });
    expect(() => tg.noGrad(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(tg.isGradEnabled()).toBe(true);
  });
});

describe('tg.grad and valueAndGrad', () => {
  it('returns gradients without touching .grad', () => {
    const x = f64([1, 2]);
    const y = f64([3, 4]);
    const out = x.mul(y).sum();
    const [gx, gy] = tg.grad(out, [x, y]);
    expect(gx!.toArray()).toEqual([3, 4]);
    expect(gy!.toArray()).toEqual([1, 2]);
    expect(x.grad).toBeNull();
  });

  it('handles several outputs with gradOutputs, non-leaf inputs and allowUnused', () => {
    const x = f64([1, 2]);
    const h = x.mul(2);
    const u = f64([5]);
    const o1 = h.square();
    const o2 = h.sum();
    const [gh, gu] = tg.grad([o1, o2], [h, u], {
      gradOutputs: [tg.tensor([1, 1], { dtype: 'float64' }), tg.tensor(2, { dtype: 'float64' })],
      allowUnused: true,
    });
    expect(gh!.toArray()).toEqual([2 * 2 + 2, 2 * 4 + 2]);
    expect(gu).toBeNull();
    expect(() => tg.grad(x.sum(), [u])).toThrow(/allowUnused/);
    expect(() => tg.grad(x.sum(), [tg.tensor([1])])).toThrow(/does not require grad/);
  });

  it('createGraph gives higher derivatives', () => {
    const x = f64([2]);
    const y = x.pow(3).sum();
    const [g1] = tg.grad(y, [x], { createGraph: true });
    expect(g1!.item()).toBe(12); // 3x^2
    expect(g1!.requiresGrad).toBe(true);
    const [g2] = tg.grad(g1!.sum(), [x], { createGraph: true });
    expect(g2!.item()).toBe(12); // 6x
    const [g3] = tg.grad(g2!.sum(), [x]);
    expect(g3!.item()).toBe(6);
    const z = f64([0.5]);
    z.tanh().sum().backward(null, { createGraph: true });
    const first = z.grad!;
    expect(first.gradFn).not.toBeNull();
    const [second] = tg.grad(first.sum(), [z]);
    const t = Math.tanh(0.5);
    expectClose(second!.data(), [-2 * t * (1 - t * t)], 1e-15);
  });

  it('valueAndGrad returns the value and gradients for tensor arguments', () => {
    const f = (w: tg.Tensor, x: tg.Tensor, scale: number) => w.mul(x).sum().mul(scale);
    const w = tg.tensor([1, 2], { dtype: 'float64' });
    const x = tg.tensor([3, 4], { dtype: 'float64' });
    const [value, [gw, gx]] = tg.valueAndGrad(f)(w, x, 2);
    expect(value.item()).toBe(22);
    expect(gw.toArray()).toEqual([6, 8]);
    expect(gx.toArray()).toEqual([2, 4]);
    expect(w.requiresGrad).toBe(false);
  });
});

describe('defineOp and gradcheck', () => {
  const cube = tg.defineOp('cube', {
    forward(ctx, x: tg.Tensor) {
      ctx.save(x);
      return x.pow(3);
    },
    backward(ctx, g) {
      const [x] = ctx.saved;
      return [g.mul(x.square()).mul(3)];
    },
  });
  const wrongCube = tg.defineOp('wrongCube', {
    forward(ctx, x: tg.Tensor) {
      ctx.save(x);
      return x.pow(3);
    },
    backward(ctx, g) {
      const [x] = ctx.saved;
      return [g.mul(x.square()).mul(2.9)];
    },
  });

  it('records custom ops on the tape', () => {
    const x = f64([1, 2]);
    const y = cube(x);
    expect(y.gradFn).toBe('cube');
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 12]);
    expect(tg.gradcheck(cube, [t64(sample([3, 2], 1), [3, 2], true)])).toBe(true);
    expect(tg.gradgradcheck(cube, [t64(sample([3], 2), [3], true)])).toBe(true);
  });

  it('passes needsInputGrad and non-tensor arguments', () => {
    let needs: boolean[] = [];
    const scaled = tg.defineOp('scaled', {
      forward(ctx, x: tg.Tensor, y: tg.Tensor, k: number) {
        needs = ctx.needsInputGrad;
        ctx.k = k;
        return x.mul(y).mul(k);
      },
      backward(ctx, g) {
        return [null, null, null].map((_, i) => (i < 2 ? g.mul(ctx.k as number) : null));
      },
    });
    scaled(f64([1]), tg.tensor([2], { dtype: 'float64' }), 3);
    expect(needs).toEqual([true, false, false]);
  });

  it('catches a wrong backward and names output, input, element and both values', () => {
    const x = t64(Float64Array.from([1, 2, 3]), [3], true);
    let msg = '';
    try {
      tg.gradcheck(wrongCube, [x]);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/output 0 with respect to input 0 at input element \[0\], output element \[0\]/);
    expect(msg).toMatch(/numerical:\s+(3\.0000|2\.9999)/);
    expect(msg).toMatch(/analytical: 2\.9/);
    expect(tg.gradcheck(wrongCube, [x], { raiseException: false })).toBe(false);
    expect(tg.gradcheck(wrongCube, [x], { fastMode: true, raiseException: false })).toBe(false);
    const rep = tg.gradcheckReport(wrongCube, [x]);
    expect(rep.ok).toBe(false);
    expect(rep.inputs[0].index).toBe(0);
    expect(rep.inputs[0].worst!.element).toEqual([2]); // largest error: 0.1 * x^2 at x = 3
    expect(rep.inputs[0].worst!.output).toBe(0);
    expectClose([rep.inputs[0].worst!.numerical], [27], 1e-6);
    expectClose([rep.inputs[0].worst!.analytical], [26.1], 1e-12);
    expectClose([rep.inputs[0].maxAbsError], [0.9], 1e-6);
    const good = tg.gradcheckReport(cube, [x]);
    expect(good.ok).toBe(true);
    expect(good.inputs[0].maxAbsError).toBeLessThan(1e-6);
  });

  it('refuses float32 inputs with an explanation', () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    expectError(() => tg.gradcheck(cube, [x]), TypeError, /float32/, /float64/, /double\(\)/);
  });

  it('checks several inputs and outputs', () => {
    const a = t64(sample([2, 3], 3), [2, 3], true);
    const b = t64(sample([3], 4), [3], false);
    const c = t64(sample([3], 5), [3], true);
    expect(tg.gradcheck((p: tg.Tensor, q: tg.Tensor, r: tg.Tensor) => [p.mul(q).add(r).tanh(), r.exp().sum()], [a, b, c])).toBe(true);
  });
});

// Backward hands a leaf the gradient buffer it made instead of copying it, but only when nothing
// else can reach that buffer: every case below would show a shared buffer as a changed value.
describe('leaf gradients never share storage with tensors the user can reach', () => {
  const bump = (t: tg.Tensor) => tg.noGrad(() => t.add_(100));

  it('takes the buffer of a linear layer gradient (no copy) and the values are right', () => {
    const x = f64([1, 2, 3, 4, 5, 6]).detach().reshape([2, 3]);
    const lin = new tg.nn.Linear(3, 2, { dtype: 'float64' });
    let clones = 0;
    const clone = tg.Tensor.prototype.clone;
    tg.Tensor.prototype.clone = function (this: tg.Tensor) {
      clones++;
      return clone.call(this);
    };
    try {
      lin.forward(x).sum().backward();
    } finally {
      tg.Tensor.prototype.clone = clone;
    }
    expect(clones).toBe(0);
    expect(lin.weight.grad!.isContiguous()).toBe(true);
    expect(lin.weight.grad!.toArray()).toEqual([[5, 7, 9], [5, 7, 9]]);
    expect(lin.bias!.grad!.toArray()).toEqual([2, 2]);
  });

  it('one gradient passed to two leaves (add) gives each its own buffer', () => {
    const x = f64([1, 2]);
    const y = f64([3, 4]);
    x.add(y).sum().backward();
    bump(x.grad!);
    expect(y.grad!.toArray()).toEqual([1, 1]);
    x.add(y).sum().backward(); // accumulates in place into both
    expect(x.grad!.toArray()).toEqual([102, 102]);
    expect(y.grad!.toArray()).toEqual([2, 2]);
  });

  it('a retained gradient that flows on unchanged to a leaf is copied', () => {
    const x = f64([1, 2, 3, 4]);
    const h = x.reshape([2, 2]).retainGrad();
    h.mul(f64([[1, 2], [3, 4]]).detach()).sum().backward();
    bump(x.grad!);
    expect(h.grad!.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it('a gradient a hook has seen is copied', () => {
    const x = f64([1, 2]);
    let seen: tg.Tensor | null = null;
    x.registerHook((g) => {
      seen = g;
    });
    x.mul(f64([3, 4]).detach()).sum().backward();
    bump(x.grad!);
    expect(seen!.toArray()).toEqual([3, 4]);
  });

  it('a root gradient given by the user is copied', () => {
    const x = f64([1, 2]);
    const g = f64([5, 6]).detach();
    x.reshape([2]).backward(g);
    bump(x.grad!);
    expect(g.toArray()).toEqual([5, 6]);
  });

  it('a gradient a defineOp backward keeps is copied', () => {
    let kept: tg.Tensor | null = null;
    const twice = tg.defineOp('twice', {
      forward(_ctx, t: tg.Tensor) {
        return t.mul(2);
      },
      backward(_ctx, g) {
        kept = g.mul(2);
        return [kept];
      },
    });
    const x = f64([1, 2]);
    twice(x).sum().backward();
    bump(x.grad!);
    expect(kept!.toArray()).toEqual([2, 2]);
  });
});
