// Anomaly mode: backward names the first op (in backward order) whose backward returned NaN or Inf,
// with the stack of the forward call that recorded it, which includes this file's line.
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

/** This file's line number in a stack (the first frame in this file). */
function lineOf(e: Error): number {
  const m = /autograd\.anomaly\.test\.ts:(\d+):\d+/.exec(e.stack ?? '');
  if (!m) throw new Error(`no frame of this file in ${e.stack}`);
  return Number(m[1]);
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

afterEach(() => tg.autograd.setDetectAnomaly(false));

describe('tg.autograd anomaly mode', () => {
  it('is off by default: an Inf gradient then flows into .grad silently', () => {
    expect(tg.autograd.isAnomalyEnabled()).toBe(false);
    const x = tg.tensor([0, 1, 4], { requiresGrad: true });
    tg.sqrt(x).sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([Infinity, 0.5, 0.25]);
  });

  it("sqrt at 0: names 'sqrt', Inf, the element, and the forward line", () => {
    tg.autograd.setDetectAnomaly(true);
    const x = tg.tensor([0, 1, 4], { requiresGrad: true });
    const y = tg.sqrt(x.mul(2)), at = lineOf(new Error()); // prettier-ignore
    const loss = y.sum();
    const e = errorOf(() => loss.backward());
    expect(e.message).toMatch(/^backward: anomaly detected: the backward of 'sqrt' returned Inf in the gradient for its input 0 \(shape \[3\], element 0 is Infinity\)/);
    // The library's own frames are dropped: the stack starts at the user's call.
    expect(e.message.split('\n')[2]).toMatch(new RegExp(`autograd\\.anomaly\\.test\\.ts:${at}:`));
    // Backward stopped at the anomaly: the leaf's gradient is untouched.
    expect(x.grad).toBeNull();
  });

  it("log of a negative number: the first op whose backward makes NaN is the 'mul' that used it, not 'log'", () => {
    const e = tg.autograd.detectAnomaly(() => {
      const x = tg.tensor([-1, 2], { requiresGrad: true, dtype: 'float64' });
      const w = tg.tensor([3, 4], { requiresGrad: true, dtype: 'float64' });
      const y = tg.log(x); // NaN at 0 in forward; its backward 1/x is finite
      const z = y.mul(w), at = lineOf(new Error()); // prettier-ignore
      const loss = z.sum().mul(0.5);
      const err = errorOf(() => loss.backward());
      expect(err.message).toContain(`autograd.anomaly.test.ts:${at}:`);
      return err;
    });
    // mul's backward gives d/dw = y, whose element 0 is log(-1) = NaN (input 1 is w).
    expect(e.message).toMatch(/^backward: anomaly detected: the backward of 'mul' returned NaN in the gradient for its input 1 \(shape \[2\], element 0 is NaN\)/);
    expect(tg.autograd.isAnomalyEnabled()).toBe(false); // detectAnomaly restored the mode
  });

  it('tg.grad checks too, and a finite graph is unaffected (same gradients as with the mode off)', () => {
    const f = () => {
      const x = tg.tensor([0.5, 2], { requiresGrad: true, dtype: 'float64' });
      return [x, tg.grad(tg.exp(x).mul(x).sum(), x)[0]!] as const;
    };
    const [x, off] = f();
    const [, on] = tg.autograd.detectAnomaly(f);
    const xs = Array.from(x.data());
    expect(Array.from(on.data())).toEqual(Array.from(off.data()));
    expect(Array.from(on.data())).toEqual(xs.map((v) => Math.exp(v) * (1 + v)));
    const e = tg.autograd.detectAnomaly(() => {
      const a = tg.tensor([0, 1], { requiresGrad: true });
      return errorOf(() => tg.grad(tg.div(tg.ones([2]), a).sum(), a));
    });
    expect(e.message).toMatch(/^grad: anomaly detected: the backward of 'div' returned Inf in the gradient for its input 1/);
  });

  it('a node recorded while the mode was off has no stack, and the message says so', () => {
    const x = tg.tensor([0], { requiresGrad: true });
    const loss = tg.sqrt(x).sum();
    tg.autograd.setDetectAnomaly(true);
    const e = errorOf(() => loss.backward());
    expect(e.message).toMatch(/'sqrt' was recorded before anomaly mode was on, so its forward stack was not kept/);
  });

  it('custom ops are named by their defineOp name', () => {
    const bad = tg.defineOp('badOp', {
      forward: (_ctx, a: tg.Tensor) => a.mul(1),
      backward: (_ctx, g: tg.Tensor) => [g.mul(Number.NaN)],
    });
    const e = tg.autograd.detectAnomaly(() => {
      const x = tg.tensor([1, 2], { requiresGrad: true });
      return errorOf(() => bad(x).sum().backward());
    });
    expect(e.message).toMatch(/^backward: anomaly detected: the backward of 'badOp' returned NaN/);
  });

  it('bad arguments', () => {
    expect(() => tg.autograd.setDetectAnomaly(1 as never)).toThrow(/^setDetectAnomaly: mode must be a boolean, got a number/);
    expect(() => tg.autograd.detectAnomaly(null as never)).toThrow(/^detectAnomaly: expected a function, got null/);
  });
});
