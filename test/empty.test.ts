// Empty tensors as PyTorch treats them (issue 18 item 5): in-place ops, softmax over an empty dim and the
// reductions that allow one, against PyTorch 1.13 (fixtures/empty_tensors.py wrote the fixture).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

type Case = { shape: number[]; values: (number | string)[] };
const fx = JSON.parse(readFileSync(new URL('./fixtures/empty_tensors.json', import.meta.url), 'utf8')) as {
  cases: Record<string, Case>;
  errors: Record<string, string>;
};
const num = (v: number | string): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));
const e = (): tg.Tensor => tg.zeros([2, 0]);
const F = tg.nn.functional;

const calls: Record<string, () => tg.Tensor> = {
  'sum()': () => e().sum(),
  'sum(1)': () => e().sum(1),
  'sum(0)': () => e().sum(0),
  'mean()': () => e().mean(),
  'mean(1)': () => e().mean(1),
  'prod()': () => e().prod(),
  'prod(1)': () => e().prod(1),
  'logsumexp(1)': () => e().logsumexp(1),
  'logsumexp([0,1])': () => e().logsumexp([0, 1]),
  'var(1)': () => e().var(1),
  'std()': () => e().std(),
  'norm()': () => e().norm(),
  'norm(2,1)': () => e().norm(2, 1),
  'max(0)': () => e().max(0),
  'argmax(0)': () => e().argmax(0),
  'softmax(1)': () => F.softmax(e(), 1),
  'softmax(0)': () => F.softmax(e(), 0),
  'logSoftmax(1)': () => F.logSoftmax(e(), 1),
  'fill_(1)': () => e().fill_(1),
  'zero_()': () => e().zero_(),
  'add_(1)': () => e().add_(1),
  'mul_(2)': () => e().mul_(2),
  'copy_(zeros([0]))': () => e().copy_(tg.zeros([0])),
};

describe('empty tensors match PyTorch 1.13', () => {
  it('covers every fixture case', () => expect(Object.keys(calls).sort()).toEqual(Object.keys(fx.cases).sort()));
  for (const [name, call] of Object.entries(calls)) {
    it(name, () => {
      const want = fx.cases[name];
      const got = call();
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data())).toEqual(want.values.map(num));
    });
  }

  it('refuses what PyTorch refuses: max and argmax over an empty dim, max of an empty tensor', () => {
    expect(Object.values(fx.errors).every((m) => typeof m === 'string')).toBe(true);
    expect(() => e().max(1)).toThrow(/^max: cannot reduce over an empty dim/);
    expect(() => e().max()).toThrow(/^max: cannot reduce over an empty dim/);
    expect(() => e().argmax(1)).toThrow(/^argmax: cannot reduce over an empty dim/);
  });

  it('softmax over an empty dim is differentiable (an empty gradient)', () => {
    const x = tg.zeros([2, 0], { requiresGrad: true, dtype: 'float64' });
    F.softmax(x, 1).sum().backward();
    expect(x.grad!.shape).toEqual([2, 0]);
    const y = tg.zeros([3, 0, 2], { requiresGrad: true });
    F.softmax(y, 1).sum().backward();
    expect(y.grad!.shape).toEqual([3, 0, 2]);
  });

  it('in-place ops on empty views and with empty operands', () => {
    const base = tg.zeros([3, 4]);
    const v = base.narrow(1, 2, 0);
    expect(v.shape).toEqual([3, 0]);
    v.fill_(7).add_(tg.ones([1, 0]));
    expect(Array.from(base.data())).toEqual(new Array(12).fill(0));
    // an expanded non-empty tensor is still refused
    expect(() => tg.zeros([1, 3]).expand(2, 3).fill_(1)).toThrow(/^fill_: cannot write in place into an expanded tensor/);
  });
});
