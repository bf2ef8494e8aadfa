// Test doubles for tg.train: a plain SGD, a scripted optimizer, batch builders and a tiny scalar model.
import * as tg from 'tapegrad';

/** Plain SGD with tensor ops: p <- p - lr * grad. */
export class TestSGD {
  paramGroups: { lr: number; params: tg.Tensor[] }[];
  steps = 0;
  constructor(params: Iterable<tg.Tensor>, lr: number) {
    this.paramGroups = [{ lr, params: [...params] }];
  }
  step(): void {
    this.steps++;
    tg.noGrad(() => {
      for (const g of this.paramGroups) for (const p of g.params) if (p.grad) p.copy_(p.sub(p.grad.mul(g.lr)));
    });
  }
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }
}

/** An "optimizer" that sets parameter `p` in place to the next scripted value at each step. */
export class ScriptedOptimizer {
  paramGroups = [{ lr: 1 }];
  private i = 0;
  constructor(private readonly p: tg.Tensor, private readonly values: number[]) {}
  step(): void {
    const v = this.values[this.i++];
    tg.noGrad(() => this.p.fill_(v));
  }
  zeroGrad(): void {
    this.p.grad = null;
  }
}

/** y = w * x with a scalar parameter w (float64); records the mode and grad mode of each forward. */
export class Scale extends tg.nn.Module {
  w: tg.nn.Parameter;
  calls: { training: boolean; grad: boolean }[] = [];
  constructor(w: number) {
    super();
    this.w = new tg.nn.Parameter(tg.tensor(w, { dtype: 'float64' }));
  }
  override forward(x: tg.Tensor): tg.Tensor {
    this.calls.push({ training: this.training, grad: tg.isGradEnabled() });
    return x.mul(this.w);
  }
}

export const f64 = (data: number[]): tg.Tensor => tg.tensor(Float64Array.from(data), { dtype: 'float64', shape: [data.length] });

/** Splits x, y (plain arrays) into [x, y] float64 batches of `size` (the last one may be smaller). */
export function batches(x: number[], y: number[], size: number): tg.Tensor[][] {
  const out: tg.Tensor[][] = [];
  for (let i = 0; i < x.length; i += size) out.push([f64(x.slice(i, i + size)), f64(y.slice(i, i + size))]);
  return out;
}

export const mseLoss = (o: tg.Tensor, t: tg.Tensor): tg.Tensor => tg.nn.functional.mseLoss(o, t);
