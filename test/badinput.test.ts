// Bad input to the public API: every function answers with a TypeError or RangeError whose
// message names the op (and, for shape problems, the shapes involved), never with a crash or an
// internal error, and the library keeps working afterwards.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample, t64 } from './helpers';

// Calls with deliberately wrong types go through `any`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const T = tg as any;
const i32 = (data: unknown): tg.Tensor => tg.tensor(data, { dtype: 'int32' });
const x23 = (): tg.Tensor => tg.arange(6).reshape(2, 3);
/** The message starts with the op's name (as in `exp: ...`). */
const names = (op: string): RegExp => new RegExp(`^${op.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
const NON_TENSORS: [string, unknown][] = [
  ['a string', 'a'],
  ['an object', {}],
  ['null', null],
  ['undefined', undefined],
  ['an array', [1, 2]],
  ['a function', () => 1],
];

// ---------------------------------------------------------------------------------------------
describe('non-tensor arguments', () => {
  // [export name, name in messages, call with the bad first argument]
  const unary: [string, string, (bad: unknown) => unknown][] = [
    ...['neg', 'abs', 'sign', 'exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tanh',
      'sigmoid', 'erf', 'relu', 'silu', 'leakyRelu', 'elu', 'gelu', 'softplus', 'sum', 'mean', 'prod', 'max', 'min',
      'var', 'std', 'logsumexp', 'norm', 'argmax', 'argmin', 'flatten', 'squeeze', 'clone', 'contiguous', 'detach',
    ].map((n): [string, string, (bad: unknown) => unknown] => [n, n, (bad) => T[n](bad)]),
    ['clamp', 'clamp', (bad) => T.clamp(bad, 0, 1)],
    ['reshape', 'reshape', (bad) => T.reshape(bad, 6)],
    ['view', 'view', (bad) => T.view(bad, 6)],
    ['unsqueeze', 'unsqueeze', (bad) => T.unsqueeze(bad, 0)],
    ['transpose', 'transpose', (bad) => T.transpose(bad, 0, 1)],
    ['permute', 'permute', (bad) => T.permute(bad, 1, 0)],
    ['expand', 'expand', (bad) => T.expand(bad, 2, 3)],
    ['narrow', 'narrow', (bad) => T.narrow(bad, 0, 0, 1)],
    ['slice', 'slice', (bad) => T.slice(bad, 0, 0, 1)],
    ['split', 'split', (bad) => T.split(bad, 1)],
    ['chunk', 'chunk', (bad) => T.chunk(bad, 2)],
    ['indexSelect', 'indexSelect', (bad) => T.indexSelect(bad, 0, i32([0]))],
    ['gather', 'gather', (bad) => T.gather(bad, 0, i32([[0]]))],
    ['to', 'to', (bad) => T.to(bad, 'float64')],
  ];
  for (const [exp, op, call] of unary) {
    it(`${exp} rejects non-tensor input`, () => {
      for (const [what, bad] of NON_TENSORS) {
        let err: unknown;
        try {
          call(bad);
        } catch (e) {
          err = e;
        }
        expect(err, `${exp}(${what})`).toBeInstanceOf(TypeError);
        expect((err as Error).message, `${exp}(${what})`).toMatch(names(op));
      }
    });
  }

  const binary = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
  for (const op of binary) {
    it(`${op} rejects non-tensor operands`, () => {
      const x = tg.ones(2);
      for (const [, bad] of NON_TENSORS) {
        expectError(() => T[op](bad, x), TypeError, names(op));
        expectError(() => T[op](x, bad), TypeError, names(op));
      }
      expectError(() => T[op](1, 2), TypeError, names(op), /Tensor/);
    });
  }

  it('the spec examples: exp("a"), add({}, 1), matmul(null, x)', () => {
    expectError(() => T.exp('a'), TypeError, /^exp\b/, /Tensor/);
    expectError(() => T.add({}, 1), TypeError, /^add\b/, /Tensor/);
    expectError(() => T.matmul(null, tg.ones(2)), TypeError, /^matmul\b/, /Tensor/);
    expectError(() => T.matmul(tg.ones(2), 'b'), TypeError, /^matmul\b/, /Tensor/);
  });

  it('where rejects non-tensor conditions and operands', () => {
    const x = tg.ones(2);
    for (const [, bad] of NON_TENSORS) {
      expectError(() => T.where(bad, x, x), TypeError, /^where\b/);
      expectError(() => T.where(x, bad, x), TypeError, /^where\b/);
      expectError(() => T.where(x, x, bad), TypeError, /^where\b/);
    }
    expectError(() => T.where(x, 1, 2), TypeError, /^where\b/);
  });

  it('cat and stack want a non-empty array of tensors', () => {
    for (const op of ['cat', 'stack']) {
      for (const [, bad] of NON_TENSORS) expectError(() => T[op](bad), TypeError, names(op));
      expectError(() => T[op]([]), TypeError, names(op));
      expectError(() => T[op]([tg.ones(2), 'a']), TypeError, names(op), /tensors\[1\]/);
      expectError(() => T[op]([null]), TypeError, names(op));
    }
  });

  it('tensor() rejects data it cannot read', () => {
    for (const bad of [undefined, null, 'abc', {}, Symbol('s'), 3n, () => 1, new DataView(new ArrayBuffer(8))]) {
      expectError(() => T.tensor(bad), TypeError, /^tensor\b/);
    }
    expectError(() => T.tensor([1, 'a']), TypeError, /^tensor\b/, /data\[1\]/);
    expectError(() => T.tensor([[1, 2], [null, 3]]), TypeError, /^tensor\b/, /data\[1\]\[0\]/);
    expectError(() => T.tensor([1n]), TypeError, /^tensor\b/);
  });

  it('in-place methods reject non-tensor and non-number arguments', () => {
    const x = tg.zeros(3);
    expectError(() => (x as any).add_('a'), TypeError, /^add_\b/);
    expectError(() => (x as any).add_(tg.ones(3), 'a'), TypeError, /^add_\b/);
    expectError(() => (x as any).mul_({}), TypeError, /^mul_\b/);
    expectError(() => (x as any).fill_('a'), TypeError, /^fill_\b/);
    expectError(() => (x as any).fill_(tg.ones(1)), TypeError, /^fill_\b/);
    expectError(() => (x as any).copy_(null), TypeError, /^copy_\b/);
    expectError(() => (x as any).copy_([1, 2, 3]), TypeError, /^copy_\b/);
    expectError(() => (x as any).requiresGrad_('yes'), TypeError, /^requiresGrad_\b/);
    expect(Array.from(x.data())).toEqual([0, 0, 0]);
  });

  it('autograd functions reject non-tensors and non-functions', () => {
    const w = tg.ones(2, { requiresGrad: true });
    const y = w.mul(2).sum();
    expectError(() => T.grad('a', w), TypeError, /^grad\b/);
    expectError(() => T.grad(y, 'a'), TypeError, /^grad\b/);
    expectError(() => T.grad([y, null], [w]), TypeError, /^grad\b/);
    expectError(() => (w.mul(2) as any).backward('a'), TypeError, /^backward\b/);
    expectError(() => T.valueAndGrad('f'), TypeError, /^valueAndGrad\b/);
    expectError(() => tg.valueAndGrad(((a: tg.Tensor) => a.sum().item()) as any)(tg.ones(2)), TypeError, /^valueAndGrad\b/);
    expectError(() => T.noGrad(3), TypeError, /^noGrad\b/);
    expectError(() => T.enableGrad('a'), TypeError, /^enableGrad\b/);
    expectError(() => T.defineOp('', { forward() {}, backward() {} }), TypeError, /^defineOp\b/);
    expectError(() => T.defineOp('myop', {}), TypeError, /^defineOp\b/, /myop/);
    expectError(() => T.defineOp(null, null), TypeError, /^defineOp\b/);
    const bad = tg.defineOp('badForward', { forward: (_ctx, _x: tg.Tensor) => 3 as any, backward: () => [] });
    expectError(() => bad(tg.ones(1)), TypeError, /badForward/);
    expectError(() => (w as any).registerHook('a'), TypeError, /^registerHook\b/);
    expectError(() => T.gradcheck('f', [w]), TypeError, /^gradcheck\b/);
    expectError(() => T.gradcheckReport(null, [w]), TypeError, /gradcheck/);
  });

  it('gradgradcheck rejects a non-function with a message naming it', () => {
    // Today this dies inside gradgradcheck with "fn is not a function".
    expectError(() => T.gradgradcheck('f', [t64(sample([2], 1), [2], true)]), TypeError, /gradgradcheck/);
    expectError(() => T.gradgradcheck(undefined, [t64(sample([2], 1), [2], true)]), TypeError, /gradgradcheck/);
  });

  it('runtime and randomness functions reject wrong types', () => {
    expectError(() => T.setNumThreads('2'), TypeError, /^setNumThreads\b/);
    expectError(() => T.manualSeed('a'), TypeError, /^manualSeed\b/);
    expectError(() => T.manualSeed({}), TypeError, /^manualSeed\b/);
    expectError(() => new tg.Generator(1).setState({} as any), TypeError, /setState/);
    expectError(() => T.rand(2, { generator: {} }), TypeError, /^rand\b/, /Generator/);
    expectError(() => T.randperm(3, { generator: 5 }), TypeError, /^randperm\b/);
    expect(tg.getNumThreads()).toBe(Number(process.env.TAPEGRAD_NUM_THREADS));
  });
});

// ---------------------------------------------------------------------------------------------
describe('wrong shapes', () => {
  it('broadcast failures name the op and both shapes', () => {
    const a = tg.ones(2, 3);
    const b = tg.ones(4);
    for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']) {
      expectError(() => T[op](a, b), RangeError, names(op), /\[2, 3\]/, /\[4\]/);
    }
    expectError(() => a.add(tg.ones(3, 2)), RangeError, /^add\b/, /\[2, 3\]/, /\[3, 2\]/);
  });

  it('where: cond, a and b must broadcast together', () => {
    expectError(() => tg.where(tg.ones(2), tg.ones(3), tg.ones(3)), RangeError, /^where\b/, /\[2\]/, /\[3\]/);
    expectError(() => tg.where(tg.ones(2, 3), tg.ones(2, 3), tg.ones(4, 1)), RangeError, /^where\b/, /\[4, 1\]/);
  });

  it('matmul: inner dimensions must agree', () => {
    expectError(() => tg.matmul(tg.ones(2, 3), tg.ones(4, 5)), RangeError, /^matmul\b/, /\[2, 3\]/, /\[4, 5\]/);
    expectError(() => tg.matmul(tg.ones(3), tg.ones(4)), RangeError, /^matmul\b/, /\[3\]/, /\[4\]/);
    expectError(() => tg.matmul(tg.ones(2, 3), tg.ones(2)), RangeError, /^matmul\b/, /\[2, 3\]/, /\[2\]/);
    expectError(() => tg.matmul(tg.ones(5, 2, 3), tg.ones(4, 3)), RangeError, /^matmul\b/, /\[5, 2, 3\]/, /\[4, 3\]/);
    expectError(() => tg.matmul(tg.tensor(2), tg.ones(2)), RangeError, /^matmul\b/);
  });

  it('matmul: batch dimensions that do not broadcast are reported with the operand shapes', () => {
    // Today the message shows only the batch parts ("shapes [2] and [3]").
    expectError(() => tg.matmul(tg.ones(2, 2, 3), tg.ones(3, 3, 4)), RangeError, /^matmul\b/, /\[2, 2, 3\]/, /\[3, 3, 4\]/);
  });

  it('cat and stack: shapes must match', () => {
    expectError(() => tg.cat([tg.ones(2, 3), tg.ones(2, 4)], 0), RangeError, /^cat\b/, /\[2, 3\]/, /\[2, 4\]/);
    expectError(() => tg.cat([tg.ones(2, 3), tg.ones(6)]), RangeError, /^cat\b/, /\[2, 3\]/, /\[6\]/);
    expectError(() => tg.cat([tg.tensor(1), tg.tensor(2)]), RangeError, /^cat\b/);
    expectError(() => tg.stack([tg.ones(2, 3), tg.ones(3, 2)]), RangeError, /^stack\b/, /\[2, 3\]/, /\[3, 2\]/);
    // Mismatched sizes along dim are fine for cat.
    expect(tg.cat([tg.ones(2, 3), tg.ones(2, 4)], 1).shape).toEqual([2, 7]);
  });

  it('reshape and view: the element count must match', () => {
    const x = tg.ones(6);
    expectError(() => x.reshape(4, 2), RangeError, /^reshape\b/, /\[4, 2\]/, /6/);
    expectError(() => x.reshape(-1, 4), RangeError, /^reshape\b/, /\[-1, 4\]/);
    expectError(() => x.reshape(-1, -1), RangeError, /^reshape\b/);
    expectError(() => x.reshape(-2, -3), RangeError, /^reshape\b/);
    expectError(() => tg.zeros(0).reshape(-1, 0), RangeError, /^reshape\b/);
    expectError(() => x.view(7), RangeError, /^view\b/, /\[7\]/);
    expectError(() => x23().T.view(6), RangeError, /^view\b/, /\[6\]/, /\[3, 2\]/);
    expectError(() => T.reshape(x, [2, 2]), RangeError, /^reshape\b/, /\[2, 2\]/);
  });

  it('expand, permute, flatten, split, T', () => {
    const x = x23();
    expectError(() => x.expand(4, 3), RangeError, /^expand\b/, /\[2, 3\]/, /\[4, 3\]/);
    expectError(() => x.expand(3), RangeError, /^expand\b/, /\[2, 3\]/);
    expectError(() => x.expand(-1, 2, 3), RangeError, /^expand\b/);
    expectError(() => tg.ones(1, 1).expand(2 ** 20, 2 ** 20), RangeError, /^expand\b/);
    expectError(() => x.permute(0, 0), RangeError, /^permute\b/, /\[2, 3\]/);
    expectError(() => x.permute(0), RangeError, /^permute\b/);
    expectError(() => tg.ones(2, 3, 4).flatten(2, 1), RangeError, /^flatten\b/);
    expectError(() => x.split([1, 2]), RangeError, /^split\b/);
    expectError(() => x.split([3, -1]), RangeError, /^split\b/);
    expectError(() => x.split(0), RangeError, /^split\b/);
    expectError(() => x.chunk(0), RangeError, /^chunk\b/);
    expectError(() => tg.ones(2, 2, 2).T, RangeError, /^T\b/, /\[2, 2, 2\]/);
  });

  it('indexSelect and gather: index shapes', () => {
    const x = x23();
    expectError(() => x.indexSelect(0, i32([[0]])), RangeError, /^indexSelect\b/, /\[1, 1\]/);
    expectError(() => x.gather(1, i32([0])), RangeError, /^gather\b/, /\[1\]/, /\[2, 3\]/);
    expectError(() => x.gather(1, i32([[0], [0], [0]])), RangeError, /^gather\b/, /\[3, 1\]/, /\[2, 3\]/);
  });

  it('in-place ops: the operand must broadcast to the target', () => {
    expectError(() => tg.ones(3).add_(tg.ones(2, 3)), RangeError, /^add_\b/, /\[2, 3\]/, /\[3\]/);
    expectError(() => tg.ones(3).mul_(tg.ones(2)), RangeError, /^mul_\b/, /\[2\]/, /\[3\]/);
    expectError(() => tg.ones(3).copy_(tg.ones(2)), RangeError, /^copy_\b/, /\[2\]/, /\[3\]/);
    expectError(() => tg.ones(3).copy_(tg.ones(2, 3)), RangeError, /^copy_\b/, /\[2, 3\]/, /\[3\]/);
  });

  it('backward and grad: gradients must match the output shape', () => {
    const w = tg.ones(2, { requiresGrad: true });
    expectError(() => w.mul(2).backward(), RangeError, /^backward\b/, /\[2\]/);
    expectError(() => w.mul(2).backward(tg.ones(3)), RangeError, /^backward\b/, /\[3\]/, /\[2\]/);
    expectError(() => tg.grad(w.mul(2), w, { gradOutputs: tg.ones(3) }), RangeError, /^grad\b/, /\[3\]/, /\[2\]/);
    expectError(() => tg.grad(w.mul(2).sum(), w, { gradOutputs: [tg.ones([]), tg.ones([])] }), RangeError, /^grad\b/);
    const wrong = tg.defineOp('wrongShape', { forward: (_c, a: tg.Tensor) => a.mul(2), backward: () => [tg.ones(5)] });
    expectError(() => wrong(w).sum().backward(), RangeError, /wrongShape/, /\[5\]/, /\[2\]/);
    const h = tg.ones(2, { requiresGrad: true });
    h.registerHook(() => tg.ones(3));
    expectError(() => h.mul(2).sum().backward(), TypeError, /registerHook/, /\[2\]/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('wrong dtypes', () => {
  it('float-only ops reject int32', () => {
    const i = i32([1, 2]);
    for (const op of ['exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tanh', 'sigmoid',
      'erf', 'relu', 'silu', 'leakyRelu', 'elu', 'gelu', 'softplus', 'mean', 'var', 'logsumexp',
      'norm']) {
      expectError(() => T[op](i), TypeError, names(op), /int32/);
    }
    expectError(() => tg.pow(i, 2), TypeError, /^pow\b/, /int32/);
    // sum, prod, max and min are exact on int32 (as in PyTorch) and return int32.
    expect(i.prod().toArray()).toBe(2);
    expect(i.max().dtype).toBe('int32');
    expectError(() => tg.matmul(i32([[1]]), i32([[1]])), TypeError, /^matmul\b/, /int32/);
  });

  it('indices must be int32', () => {
    const x = x23();
    expectError(() => x.indexSelect(1, tg.tensor([0])), TypeError, /^indexSelect\b/, /int32/, /float32/);
    expectError(() => x.indexSelect(1, tg.tensor([0], { dtype: 'float64' })), TypeError, /^indexSelect\b/, /float64/);
    expectError(() => x.gather(1, tg.tensor([[0], [1]])), TypeError, /^gather\b/, /int32/);
    expectError(() => T.indexSelect(x, 1, [0]), TypeError, /^indexSelect\b/);
  });

  it('int32 tensors cannot require grad', () => {
    expectError(() => i32([1]).requiresGrad_(), TypeError, /requiresGrad/, /int32/);
    expectError(() => {
      i32([1]).requiresGrad = true;
    }, TypeError, /requiresGrad/, /int32/);
  });

  it('creating an int32 tensor with requiresGrad names the creation function', () => {
    expectError(() => tg.tensor([1], { dtype: 'int32', requiresGrad: true }), TypeError, /^tensor\b/, /int32/);
    expectError(() => tg.zeros(2, { dtype: 'int32', requiresGrad: true }), TypeError, /^zeros\b/, /int32/);
    expectError(() => tg.randint(0, 3, [2], { requiresGrad: true }), TypeError, /^randint\b/, /int32/);
  });

  it('random floats cannot be int32; in-place float into int32 is refused', () => {
    expectError(() => tg.rand(2, { dtype: 'int32' }), TypeError, /^rand\b/);
    expectError(() => tg.randn(2, { dtype: 'int32' }), TypeError, /^randn\b/);
    expectError(() => i32([1, 2]).add_(tg.ones(2)), TypeError, /^add_\b/, /int32/);
    expectError(() => i32([1, 2]).mul_(tg.ones(2, { dtype: 'float64' })), TypeError, /^mul_\b/, /int32/);
  });

  it('int32 targets need integer values', () => {
    expectError(() => i32([1, 2]).fill_(2.5), RangeError, /fill/, /int32/);
    expectError(() => i32([1, 2]).fill_(NaN), RangeError, /fill/);
    expectError(() => i32([1, 2]).fill_(2 ** 31), RangeError, /fill/);
    expectError(() => tg.tensor([NaN, 1]).to('int32'), RangeError, /int32/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('out-of-range dims', () => {
  it('reductions', () => {
    const x = x23();
    for (const op of ['sum', 'mean', 'prod', 'max', 'min', 'logsumexp', 'argmax', 'argmin']) {
      expectError(() => T[op](x, 5), RangeError, names(op), /5/, /\[2, 3\]/);
      expectError(() => T[op](x, -3), RangeError, names(op), /-3/, /\[2, 3\]/);
      expectError(() => T[op](x, 0.5), TypeError, names(op));
    }
    expectError(() => tg.var(x, 2), RangeError, /^var\b/, /\[2, 3\]/);
    expectError(() => tg.norm(x, 2, 5), RangeError, /^norm\b/, /\[2, 3\]/);
    expectError(() => x.sum([0, 2]), RangeError, /^sum\b/, /2/);
    expectError(() => x.sum([0, 0]), RangeError, /^sum\b/);
    expectError(() => x.sum([1, -1]), RangeError, /^sum\b/);
    expectError(() => (x as any).sum('a'), TypeError, /^sum\b/);
    expectError(() => (x as any).sum(0, 'yes'), TypeError, /^sum\b/);
    expectError(() => (x as any).argmax('a'), TypeError, /^argmax\b/);
  });

  it('std names std', () => {
    // Today: "var: dim 5 is out of range ...", naming the helper instead of the called op.
    expectError(() => tg.std(x23(), 5), RangeError, /^std\b/, /\[2, 3\]/);
    expectError(() => tg.std(i32([1, 2])), TypeError, /^std\b/, /int32/);
  });

  it('shape ops', () => {
    const x = x23();
    expectError(() => x.transpose(0, 2), RangeError, /^transpose\b/, /2/, /\[2, 3\]/);
    expectError(() => x.transpose(-3, 0), RangeError, /^transpose\b/, /\[2, 3\]/);
    expectError(() => x.unsqueeze(3), RangeError, /^unsqueeze\b/, /\[2, 3\]/);
    expectError(() => x.unsqueeze(-4), RangeError, /^unsqueeze\b/, /\[2, 3\]/);
    expectError(() => x.narrow(2, 0, 1), RangeError, /^narrow\b/, /\[2, 3\]/);
    expectError(() => x.narrow(-3, 0, 1), RangeError, /^narrow\b/, /\[2, 3\]/);
    expectError(() => x.squeeze(5), RangeError, /^squeeze\b/, /\[2, 3\]/);
    expectError(() => x.squeeze([0, 5]), RangeError, /^squeeze\b/);
    expectError(() => x.permute(0, 5), RangeError, /^permute\b/, /\[2, 3\]/);
    expectError(() => x.flatten(0, 5), RangeError, /^flatten\b/, /\[2, 3\]/);
    expectError(() => x.slice(5, 0, 1), RangeError, /^slice\b/, /\[2, 3\]/);
    expectError(() => x.split(1, 3), RangeError, /^split\b/, /\[2, 3\]/);
    expectError(() => x.chunk(2, 3), RangeError, /^chunk\b/, /\[2, 3\]/);
    expectError(() => tg.cat([x, x], 2), RangeError, /^cat\b/, /\[2, 3\]/);
    expectError(() => tg.stack([x, x], 4), RangeError, /^stack\b/, /\[2, 3\]/);
    expectError(() => tg.stack([x, x], -4), RangeError, /^stack\b/);
    expectError(() => x.indexSelect(5, i32([0])), RangeError, /^indexSelect\b/, /\[2, 3\]/);
    expectError(() => x.gather(2, i32([[0]])), RangeError, /^gather\b/, /\[2, 3\]/);
    expectError(() => tg.tensor(1).narrow(0, 0, 1), RangeError, /^narrow\b/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('out-of-range indices', () => {
  it('indexSelect rejects -1 and size', () => {
    const x = x23();
    for (const [dim, size] of [[1, 3], [0, 2], [-1, 3]]) {
      expectError(() => x.indexSelect(dim, i32([0, -1])), RangeError, /^indexSelect\b/, /-1/, new RegExp(`size ${size}`));
      expectError(() => x.indexSelect(dim, i32([size])), RangeError, /^indexSelect\b/, new RegExp(`index ${size}`), new RegExp(`size ${size}`));
    }
    expectError(() => tg.tensor(5).indexSelect(0, i32([1])), RangeError, /^indexSelect\b/);
  });

  it('gather rejects -1 and size', () => {
    const x = x23();
    expectError(() => x.gather(1, i32([[0, -1], [1, 2]])), RangeError, /^gather\b/, /-1/, /size 3/);
    expectError(() => x.gather(1, i32([[0], [3]])), RangeError, /^gather\b/, /index 3/, /size 3/);
    expectError(() => x.gather(0, i32([[2, 0, 0]])), RangeError, /^gather\b/, /index 2/, /size 2/);
    expectError(() => x.gather(0, i32([[0, -5, 0]])), RangeError, /^gather\b/, /-5/);
  });

  it('is caught before anything is recorded for a tensor that requires grad', () => {
    const w = tg.ones(2, 3, { requiresGrad: true });
    expectError(() => w.indexSelect(1, i32([3])), RangeError, /^indexSelect\b/);
    expect(w.grad).toBeNull();
  });

  it('narrow and item', () => {
    const x = x23();
    expectError(() => x.narrow(1, 1, 3), RangeError, /^narrow\b/, /\[2, 3\]/);
    expectError(() => x.narrow(1, 4, 0), RangeError, /^narrow\b/);
    expectError(() => x.narrow(1, -4, 1), RangeError, /^narrow\b/);
    expectError(() => x.narrow(1, 0, -1), RangeError, /^narrow\b/);
    expectError(() => x.item(), RangeError, /^item\b/, /\[2, 3\]/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('NaN, infinite, negative and non-integer sizes', () => {
  it('zeros, ones, full, rand, randn', () => {
    for (const op of ['zeros', 'ones', 'rand', 'randn']) {
      // Non-integers (as in PyTorch) are a TypeError, negative sizes a RangeError.
      for (const bad of [2.5, NaN, -1, Infinity, -Infinity]) {
        const type = bad === -1 ? RangeError : TypeError;
        expectError(() => T[op](bad), type, names(op), String(bad));
        expectError(() => T[op]([2, bad]), type, names(op));
        expectError(() => T[op](3, bad), type, names(op));
      }
      expectError(() => T[op]('2'), TypeError, names(op));
      expectError(() => T[op](true), TypeError, names(op));
      expectError(() => T[op](2n), TypeError, names(op));
      expectError(() => T[op](Array(17).fill(1)), RangeError, names(op), /16/);
      expectError(() => T[op](1e6, 1e6), RangeError, names(op));
    }
    expectError(() => tg.full([NaN], 1), TypeError, /^full\b/);
    expectError(() => tg.full([2.5], 1), TypeError, /^full\b/);
    expectError(() => T.full([2], 'a'), TypeError, /^full\b/);
  });

  it('arange: step 0, NaN and infinite bounds, wrong direction', () => {
    expectError(() => tg.arange(0, 5, 0), RangeError, /^arange\b/, /step/);
    expectError(() => tg.arange(NaN), TypeError, /^arange\b/);
    expectError(() => tg.arange(0, Infinity), TypeError, /^arange\b/);
    expectError(() => tg.arange(0, 5, NaN), TypeError, /^arange\b/);
    expectError(() => tg.arange(0, 5, -1), RangeError, /^arange\b/);
    expectError(() => tg.arange(-3), RangeError, /^arange\b/);
    expectError(() => T.arange('a'), TypeError, /^arange\b/);
  });

  it('linspace, eye, randint, randperm', () => {
    for (const bad of [2.5, NaN, -1]) {
      const type = bad === -1 ? RangeError : TypeError;
      expectError(() => tg.linspace(0, 1, bad), type, /^linspace\b/);
      expectError(() => tg.eye(bad), type, /^eye\b/);
      expectError(() => tg.eye(2, bad), type, /^eye\b/);
      expectError(() => tg.randperm(bad), type, /^randperm\b/);
      expectError(() => tg.randint(0, 2, [bad]), type, /^randint\b/);
    }
    expectError(() => tg.linspace(NaN, 1, 3), TypeError, /^linspace\b/);
    expectError(() => tg.linspace(0, Infinity, 3), TypeError, /^linspace\b/);
    expectError(() => tg.randint(0, 2.5, [2]), TypeError, /^randint\b/);
    expectError(() => tg.randint(3, 3, [2]), RangeError, /^randint\b/);
    expectError(() => tg.randint(NaN, 3, [2]), TypeError, /^randint\b/);
    expectError(() => T.randint(0, 3, 3), TypeError, /^randint\b/);
    expectError(() => T.randperm('a'), TypeError, /^randperm\b/);
  });

  it('reshape, view, expand and friends', () => {
    const x = tg.ones(6);
    expectError(() => x.reshape(2.5), TypeError, /^reshape\b/, /2\.5/);
    expectError(() => x.reshape(NaN), TypeError, /^reshape\b/);
    expectError(() => x.reshape(2, Infinity), TypeError, /^reshape\b/);
    expectError(() => (x as any).reshape('a'), TypeError, /^reshape\b/);
    expectError(() => x.view(2.5), TypeError, /^view\b/);
    expectError(() => tg.ones(1).expand(2.5), TypeError, /^expand\b/);
    expectError(() => tg.ones(1).expand(NaN), TypeError, /^expand\b/);
    expectError(() => x.split(1.5), TypeError, /^split\b/);
    expectError(() => x.chunk(1.5), TypeError, /^chunk\b/);
    expectError(() => x.narrow(0, 0.5, 1), TypeError, /^narrow\b/);
    expectError(() => (x as any).narrow(0, 'a', 1), TypeError, /^narrow\b/);
    expectError(() => x.slice(0, 1.5), TypeError, /^slice\b/);
    expectError(() => x.slice(0, 0, 6, 0), RangeError, /^slice\b/, /step/);
    expectError(() => x.unsqueeze(0.5), TypeError, /^unsqueeze\b/);
    expectError(() => x.transpose(NaN, 0), TypeError, /^transpose\b/);
  });

  it('runtime and seeds', () => {
    for (const bad of [0, -1, 5000]) expectError(() => tg.setNumThreads(bad), RangeError, /^setNumThreads\b/);
    for (const bad of [2.5, NaN]) expectError(() => tg.setNumThreads(bad), TypeError, /^setNumThreads\b/);
    for (const bad of [1.5, NaN, Infinity]) expectError(() => tg.manualSeed(bad), TypeError, /^manualSeed\b/);
    expect(tg.getNumThreads()).toBe(Number(process.env.TAPEGRAD_NUM_THREADS));
  });

  it('new Generator(bad seed) names Generator', () => {
    // Today the message comes from the method it calls: "manualSeed: seed must be an integer".
    expectError(() => new tg.Generator(NaN), TypeError, /Generator/);
    expectError(() => new tg.Generator(1.5), TypeError, /Generator/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('wrong options', () => {
  it('unknown dtypes', () => {
    expectError(() => tg.tensor([1], { dtype: 'float16' as any }), TypeError, /^tensor\b/, /float16/);
    expectError(() => tg.tensor([1], { dtype: 3 as any }), TypeError, /^tensor\b/);
    expectError(() => T.zeros(2, { dtype: 'float16' }), TypeError, /^zeros\b/, /float16/);
    expectError(() => T.ones([2], { dtype: 'int64' }), TypeError, /^ones\b/, /int64/);
    expectError(() => T.full([2], 1, { dtype: 'x' }), TypeError, /^full\b/);
    expectError(() => T.arange(3, { dtype: 'x' }), TypeError, /^arange\b/);
    expectError(() => T.linspace(0, 1, 3, { dtype: 'x' }), TypeError, /^linspace\b/);
    expectError(() => T.eye(2, { dtype: 'x' }), TypeError, /^eye\b/);
    expectError(() => T.rand(2, { dtype: 'float16' }), TypeError, /^rand\b/);
    expectError(() => T.randint(0, 2, [2], { dtype: 'bool' }), TypeError, /^randint\b/);
    expectError(() => T.zerosLike(tg.ones(1), { dtype: 'x' }), TypeError, /^zerosLike\b/);
    expectError(() => (tg.ones(1) as any).to('float16'), TypeError, /^to\b/, /float16/);
    expectError(() => T.to(tg.ones(1), undefined), TypeError, /^to\b/);
  });

  it('other option types', () => {
    expectError(() => T.tensor([1], { requiresGrad: 'yes' }), TypeError, /^tensor\b/, /requiresGrad/);
    expectError(() => T.tensor([1], 'float64'), TypeError, /^tensor\b/);
    expectError(() => T.tensor(new Float32Array(6), { shape: 'a' }), TypeError, /^tensor\b/);
    expectError(() => T.zeros(2, { requiresGrad: 1 }), TypeError, /^zeros\b/);
    expectError(() => T.gelu(tg.ones(1), { approximate: 'fast' }), TypeError, /^gelu\b/, /fast/);
    expectError(() => T.softplus(tg.ones(1), { beta: 'a' }), TypeError, /^softplus\b/);
    expectError(() => tg.softplus(tg.ones(1), { beta: 0 }), RangeError, /^softplus\b/);
    expectError(() => T.leakyRelu(tg.ones(1), 'a'), TypeError, /^leakyRelu\b/);
    expectError(() => T.elu(tg.ones(1), NaN), TypeError, /^elu\b/);
    expectError(() => T.clamp(tg.ones(1)), TypeError, /^clamp\b/);
    expectError(() => T.clamp(tg.ones(1), 'a'), TypeError, /^clamp\b/);
    expectError(() => T.norm(tg.ones(2), 'a'), TypeError, /^norm\b/);
    expectError(() => tg.var(tg.ones(2), 0, { correction: -1 }), RangeError, /^var\b/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('tensor() data and shape disagree', () => {
  it('typed arrays of the wrong length for the shape', () => {
    expectError(() => tg.tensor(new Float32Array(5), { shape: [2, 3] }), RangeError, /^tensor\b/, /\[2, 3\]/, /5/);
    expectError(() => tg.tensor(new Float64Array(6), { shape: [7] }), RangeError, /^tensor\b/, /\[7\]/, /6/);
    expectError(() => tg.tensor(new Int32Array(0), { shape: [1] }), RangeError, /^tensor\b/, /\[1\]/);
    expectError(() => tg.tensor(new Float32Array(2), { shape: [] }), RangeError, /^tensor\b/, /\[\]/);
    expectError(() => tg.tensor(new Float32Array(6), { shape: [2, -3] }), RangeError, /^tensor\b/);
    expectError(() => tg.tensor(new Float32Array(6), { shape: [2, 3.5] }), TypeError, /^tensor\b/);
    expectError(() => tg.tensor(new Float32Array(1), { shape: Array(17).fill(1) }), RangeError, /^tensor\b/);
  });

  it('numbers and nested arrays with a shape of another size', () => {
    expectError(() => tg.tensor(1, { shape: [2] }), RangeError, /^tensor\b/, /\[2\]/);
    expectError(() => tg.tensor([[1, 2], [3, 4]], { shape: [3] }), RangeError, /^tensor\b/, /\[3\]/, /4/);
    expect(tg.tensor([[1, 2], [3, 4]], { shape: [4] }).shape).toEqual([4]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('messages name the function that was called', () => {
  it('zerosLike and onesLike with non-tensors', () => {
    // Today: "Cannot read properties of undefined (reading 'slice')" (creation.ts reads x.shape
    // before likeOptions checks that x is a Tensor).
    expectError(() => T.zerosLike('a'), TypeError, /^zerosLike\b/);
    expectError(() => T.zerosLike(null), TypeError, /^zerosLike\b/);
    expectError(() => T.onesLike({}), TypeError, /^onesLike\b/);
    expectError(() => T.onesLike(undefined), TypeError, /^onesLike\b/);
  });

  it('full with a non-integer value for int32', () => {
    // Today: "fill: int32 tensors need an integer value ..." (from the internal fill).
    expectError(() => tg.full([2], 2.5, { dtype: 'int32' }), RangeError, /^full\b/);
  });

  it('copy_ of NaN into an int32 tensor', () => {
    // Today: "to(int32): values must be finite ...".
    expectError(() => i32([1, 2]).copy_(tg.tensor([NaN, 1])), RangeError, /^copy_\b/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('after all the bad input', () => {
  it('failed calls leave no trace in the default generator, grad mode or thread count', () => {
    tg.manualSeed(123);
    const a = Array.from(tg.rand(8).data());
    tg.manualSeed(123);
    for (const f of [() => tg.rand(2.5), () => tg.randn(-1), () => tg.randint(2, 1, [3]), () => tg.randperm(NaN), () => T.rand(2, { dtype: 'x' })]) {
      expect(f).toThrow();
    }
    expect(Array.from(tg.rand(8).data())).toEqual(a);
    expect(() => tg.noGrad(() => {
      throw new RangeError('inside');
    })).toThrow('inside');
    expect(tg.isGradEnabled()).toBe(true);
    expect(() => tg.setNumThreads(0)).toThrow();
    expect(tg.getNumThreads()).toBe(Number(process.env.TAPEGRAD_NUM_THREADS));
  });

  it('the process is alive and still computes correctly', () => {
    expect(process.exitCode ?? 0).toBe(0);
    const info = tg.backendInfo();
    expect(info.isa).toBe(process.env.TAPEGRAD_ISA);
    // matmul against a hand computation, with gradients.
    const a = tg.tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
    const b = tg.tensor([[5, 6], [7, 8]], { dtype: 'float64', requiresGrad: true });
    const c = tg.matmul(a, b);
    expect(c.toArray()).toEqual([[19, 22], [43, 50]]);
    c.sum().backward();
    // d(sum(AB))/dA = 1 B^T: row sums of B; d/dB = A^T 1: column sums of A.
    expect(a.grad!.toArray()).toEqual([[11, 15], [11, 15]]);
    expect(b.grad!.toArray()).toEqual([[4, 4], [6, 6]]);
    // A larger elementwise op and reduction through the thread pool.
    const n = 100_000;
    const x = tg.arange(n, { dtype: 'float64' });
    expect(x.mul(2).add(1).sum().item()).toBe(n * n);
    const s = sample([300], 9);
    const v = t64(s, [300]);
    expectClose(Array.from(v.exp().data()), Array.from(s, Math.exp), 1e-13, 0);
    expect(tg.indexSelect(x23(), 1, i32([2, 0])).toArray()).toEqual([[2, 0], [5, 3]]);
    expect(tg.gather(x23(), 1, i32([[1], [2]])).toArray()).toEqual([[1], [5]]);
  });
});
