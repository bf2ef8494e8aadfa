// Hostile input (issue 18 items 1-3): sizes are bounded before any allocation, holes and non-integers in
// shapes are TypeErrors, messages name bad values by type (never by converting them) and start with the
// public name the user called. Each row: the call, the exact error type, the message pattern.
import { constants } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const T = tg as any;
const F = T.nn.functional;
const big = (): tg.Tensor => tg.zeros([1, 1, 3, 3]);
// Node 20: 2^32-byte buffers, so 2^29 elements (float64); Node 22 allows more, and the cap is 2^31 - 1.
const LIMIT = Math.min(2 ** 31 - 1, Math.floor(constants.MAX_LENGTH / 8));
// Past the limit on every Node: what the issue measured at 2^31 - 1 where that is still over it.
const BIG = LIMIT < 2 ** 31 - 1 ? 2 ** 31 - 1 : 2 ** 31;

type Row = [string, () => unknown, ErrorConstructor, RegExp];
const rows: Row[] = [
  // measured on main (issue 18): each allocated or looped before failing, or failed in V8/Node
  ['arange over 2^31 elements', () => tg.arange(-(2 ** 31), 5), RangeError, /^arange: the range from -2147483648 to 5 with step 1 has 2147483653 elements, over the limit/],
  ['linspace 2^31 - 1 steps', () => tg.linspace(0, 1, BIG), RangeError, new RegExp(`^linspace: steps ${BIG} is over the limit of ${LIMIT}`)],
  ['conv2d padding 1e5', () => F.conv2d(big(), big(), null, { padding: 1e5 }), RangeError,
    /^conv2d: output shape \[1, 1, 200001, 200001\] \(input shape \[1, 1, 3, 3\], weight shape \[1, 1, 3, 3\]\) has 40000400001 elements, over the limit/],
  ['zeros with a hole', () => tg.zeros([1, , 3] as number[]), TypeError, /^zeros: shape has a hole at index 1/],
  ['zeros 2^31 - 1', () => tg.zeros([BIG]), RangeError, new RegExp(`^zeros: shape \\[${BIG}\\] has a size over the limit of ${LIMIT}`)],
  ['ones 2^31 - 1', () => tg.ones([BIG]), RangeError, new RegExp(`^ones: shape \\[${BIG}\\] has a size over the limit of ${LIMIT}`)],
  ['zeros product over the limit', () => tg.zeros([2 ** 16, 2 ** 16]), RangeError, /^zeros: shape \[65536, 65536\] has 4294967296 elements, over the limit/],
  ['rand product over the limit', () => tg.rand(2 ** 20, 2 ** 12), RangeError, /^rand: shape \[1048576, 4096\] has 4294967296 elements/],
  ['full 1.5', () => tg.full([1.5], 0), TypeError, /^full: shape\[0\] must be an integer, got 1.5/],
  ['zeros NaN', () => tg.zeros(NaN), TypeError, /^zeros: shape\[0\] must be an integer, got NaN/],
  ['zeros -1', () => tg.zeros([2, -1]), RangeError, /^zeros: shape\[1\] must be a non-negative integer, got -1/],
  ['zeros BigInt', () => T.zeros([2n]), TypeError, /^zeros: shape\[0\] must be an integer, got a BigInt/],
  ['tensor holey data', () => tg.tensor([1, , 3] as number[]), TypeError, /^tensor: nested arrays have a hole at data\[1\]/],
  ['tensor self-containing data', () => { const a: unknown[] = []; a[0] = a; return tg.tensor(a); }, RangeError, /^tensor: at most 16 dims/],
  ['reshape with a hole', () => tg.zeros([3]).reshape([1, , 3] as number[]), TypeError, /^reshape: the sizes have a hole at index 1/],
  ['expand over the limit', () => tg.zeros([1]).expand(2 ** 40), RangeError, /^expand: shape \[1099511627776\] has a size over the limit/],
  ['eye n x m over the limit', () => tg.eye(2 ** 20, 2 ** 20), RangeError, /^eye: shape \[1048576, 1048576\] has 1099511627776 elements/],
  ['randperm 2^40', () => tg.randperm(2 ** 40), RangeError, /^randperm: n 1099511627776 is over the limit/],
  ['broadcast over the limit', () => tg.add(tg.zeros([1e5, 1]), tg.zeros([1, 1e5])), RangeError,
    /^add: broadcast shape \[100000, 100000\] \(of shapes \[100000, 1\] and \[1, 100000\]\) has 10000000000 elements/],
  ['matmul result over the limit', () => tg.matmul(tg.zeros([1e5, 1]), tg.zeros([1, 1e5])), RangeError,
    /^matmul: result shape \[100000, 100000\] \(of shapes \[100000, 1\] and \[1, 100000\]\) has 10000000000 elements/],
  ['cat over the limit', () => tg.cat([tg.zeros([1]).expand(LIMIT), tg.zeros([1]).expand(LIMIT)]), RangeError, new RegExp(`^cat: shape \\[${2 * LIMIT}\\] has ${2 * LIMIT} elements`)],
  ['stack over the limit', () => tg.stack([tg.zeros([1]).expand(LIMIT), tg.zeros([1]).expand(LIMIT)]), RangeError, new RegExp(`^stack: shape \\[2, ${LIMIT}\\]`)],
  ['indexSelect over the limit', () => tg.zeros([1, 2 ** 16]).indexSelect(0, tg.zeros([2 ** 16], { dtype: 'int32' })), RangeError,
    /^indexSelect: output shape \[65536, 65536\] \(input shape \[1, 65536\], 65536 indices\) has 4294967296 elements/],
  ['kFold n 2^40', () => tg.data.kFold(2 ** 40, 2), RangeError, /^kFold: n 1099511627776 is over the limit/],
  ['kFold k * n indices', () => tg.data.kFold(2 ** 28, 16), RangeError, /^kFold: k = 16 folds of n = 268435456 indices are 4294967296 indices, over the limit/],
  ['DataLoader dataset length 2^40', () => new tg.data.DataLoader({ length: 2 ** 40, get: () => 0 } as never), RangeError, /^DataLoader: dataset.length 1099511627776 is over the limit/],
  ['Linear(2^31, 4)', () => new tg.nn.Linear(2 ** 31, 4), RangeError, /^Linear: inFeatures 2147483648 is over the limit/],
  ['Linear(2^20, 2^20)', () => new tg.nn.Linear(2 ** 20, 2 ** 20), RangeError, /^Linear: weight shape \[1048576, 1048576\] has 1099511627776 elements/],
  ['Embedding(2^20, 2^20)', () => new tg.nn.Embedding(2 ** 20, 2 ** 20), RangeError, /^Embedding: weight shape \[1048576, 1048576\]/],
  ['Conv2d(1024, 1024, 64)', () => new tg.nn.Conv2d(1024, 1024, 64), RangeError, /^Conv2d: weight shape \[1024, 1024, 64, 64\] has 4294967296 elements/],

  // bad values are named by type, never converted (a big tensor, a BigInt, a Proxy, a huge string)
  // (an expanded view: 4e8 elements that were never allocated, named without reading one)
  ['manualSeed(big tensor)', () => T.manualSeed(tg.zeros([1, 1]).expand(20000, 20000)), TypeError, /^manualSeed: seed must be an integer \(number or bigint\), got a float32 Tensor of shape \[20000, 20000\]$/],
  ['exp(a string)', () => T.exp('a'), TypeError, /^exp: input must be a Tensor, got 'a'$/],
  ['exp(a long string)', () => T.exp('x'.repeat(1e6)), TypeError, /^exp: input must be a Tensor, got a string of length 1000000$/],
  ['exp(a BigInt)', () => T.exp(5n), TypeError, /^exp: input must be a Tensor, got a BigInt$/],
  ['exp(a fake tensor)', () => T.exp({ shape: [2], dtype: 'float32' }), TypeError, /^exp: input must be a Tensor, got an object$/],
  ['exp(a throwing Proxy)', () => T.exp(new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } })), TypeError, /^exp: input must be a Tensor, got an object$/],
  ['exp(a big array)', () => T.exp(new Array(1e7).fill(0)), TypeError, /^exp: input must be a Tensor, got an array of length 10000000$/],
  ['exp(int32 tensor)', () => tg.exp(tg.zeros([2, 3], { dtype: 'int32' })), TypeError, /^exp: input must be a float32 or float64 Tensor, got an int32 Tensor of shape \[2, 3\] \(convert with \.float\(\)\)$/],
  ['mseLoss(int32 tensor)', () => F.mseLoss(tg.zeros([2], { dtype: 'int32' }), tg.zeros([2])), TypeError, /^mseLoss: input must be a float32 or float64 Tensor, got an int32 Tensor of shape \[2\]/],
  ['zeros dtype a Map', () => T.zeros([2], { dtype: new Map() }), TypeError, /^zeros: dtype must be 'float32', 'float64' or 'int32', got a Map$/],
  ['DataLoader batchSize a symbol', () => new tg.data.DataLoader(new tg.data.TensorDataset(tg.zeros([3])), { batchSize: Symbol('b') as never }), RangeError, /^DataLoader: batchSize must be a positive integer, got a symbol$/],
  ['Linear dtype a function', () => new tg.nn.Linear(2, 2, { dtype: (() => 1) as never }), TypeError, /^Linear: dtype must be 'float32' or 'float64', got a function$/],
  ['clipGradNorm_ maxNorm a BigInt', () => tg.nn.utils.clipGradNorm_([tg.zeros([2])], 1n as never), TypeError, /^clipGradNorm_: maxNorm must be a number, got a BigInt$/],
  ['SGD lr an array', () => new tg.optim.SGD([tg.zeros([2], { requiresGrad: true })], { lr: new Array(1e6).fill(1) as never }), TypeError, /^SGD: lr must be a finite number, got an array of length 1000000$/],
  ['options a string', () => F.conv2d(big(), big(), null, 'x' as never), TypeError, /^conv2d: options must be an object, got 'x'$/],

  // aliases: the public name, not the internal one
  ['init.zeros_ (not constant_)', () => T.nn.init.zeros_(5), TypeError, /^zeros_: tensor must be a Tensor, got 5$/],
  ['init.ones_ (not constant_)', () => T.nn.init.ones_(tg.zeros([2], { dtype: 'int32' })), TypeError, /^ones_: tensor must be a float32 or float64 Tensor/],
  ['gelu tanh (not geluTanh)', () => tg.gelu(tg.zeros([2], { dtype: 'int32' }), { approximate: 'tanh' }), TypeError, /^gelu: input must be a float32 or float64 Tensor/],
  ['kaimingUniform_ nonlinearity (not calculateGain)', () => T.nn.init.kaimingUniform_(tg.zeros([3, 3]), { nonlinearity: 'x' }), RangeError, /^kaimingUniform_: unsupported nonlinearity 'x'$/],
  ['xavierUniform_ 1-D (not calculateFanInAndFanOut)', () => tg.nn.init.xavierUniform_(tg.zeros([3])), RangeError, /^xavierUniform_: fan in and fan out cannot be computed/],
  ['kaimingNormal_ generator (not normal_)', () => T.nn.init.kaimingNormal_(tg.zeros([3, 3]), { generator: 5 }), TypeError, /^kaimingNormal_: /],
  ['kFold shuffle (not randperm)', () => T.data.kFold(4, 2, { shuffle: 'yes' }), TypeError, /^kFold: shuffle must be a boolean, got 'yes'$/],
  ['softmax dim 1.5 (one normDim)', () => F.softmax(tg.zeros([2, 3]), 1.5), TypeError, /^softmax: dim must be an integer, got 1.5$/],
  ['softmax dim 2 (one normDim)', () => F.softmax(tg.zeros([2, 3]), 2), RangeError, /^softmax: dim 2 is out of range for a tensor of shape \[2, 3\] \(expected -2..1\)$/],
  ['sum dim 1.5 (one normDim)', () => tg.zeros([2, 3]).sum(1.5), TypeError, /^sum: dim must be an integer, got 1.5$/],
  ['gradcheck eps NaN', () => tg.gradcheck((t: tg.Tensor) => t.sum(), [tg.zeros([2], { dtype: 'float64', requiresGrad: true })], { eps: NaN }), TypeError, /^gradcheck: eps must be a finite number, got NaN$/],
  ['gradcheck eps -1', () => tg.gradcheck((t: tg.Tensor) => t.sum(), [tg.zeros([2], { dtype: 'float64', requiresGrad: true })], { eps: -1 }), RangeError, /^gradcheck: eps must be positive, got -1$/],
  ['gradcheckReport fn a number (not gradcheck)', () => T.gradcheckReport(5, []), TypeError, /^gradcheckReport: fn must be a function, got 5$/],
  ['gradgradcheck float32 input (not gradcheck)', () => tg.gradgradcheck((t: tg.Tensor) => t.mul(t), [tg.zeros([2], { requiresGrad: true })]), TypeError, /^gradgradcheck: input 0 is float32/],
  ['Embedding generator (not normal_)', () => new T.nn.Embedding(2, 3, { generator: 5 }), TypeError, /^Embedding: generator must be a tg.Generator$/],
  ['LayerNorm 17 dims (not ones)', () => new tg.nn.LayerNorm(new Array(17).fill(1)), RangeError, /^LayerNorm: at most 16 dims/],
  ['zeros_ on an expanded view (not fill_)', () => tg.nn.init.zeros_(tg.zeros([1, 3]).expand(2, 3)), RangeError, /^zeros_: cannot write in place into an expanded tensor/],
  ['kaimingUniform_ on an expanded view (not copy_)', () => tg.nn.init.kaimingUniform_(tg.zeros([1, 3]).expand(2, 3)), RangeError, /^kaimingUniform_: cannot write in place/],
];

/** The error `call` throws, checked to be exactly of class `type` with a message matching `pattern`. */
function expectThrown(name: string, call: () => unknown, type: ErrorConstructor, pattern: RegExp, exact = true): Error {
  let err: unknown;
  try {
    call();
  } catch (e) {
    err = e;
  }
  expect(err, `${name} did not throw`).toBeInstanceOf(type);
  if (exact) expect((err as Error).constructor).toBe(type);
  expect((err as Error).message).toMatch(pattern);
  return err as Error;
}

describe('hostile input: exact error type and a message starting with the public name', () => {
  for (const [name, call, type, pattern] of rows) it(name, () => void expectThrown(name, call, type, pattern));
});

describe('null options are absent options', () => {
  const x = (): tg.Tensor => tg.tensor([[-1, 0.5, 2]]);
  const same = (a: tg.Tensor, b: tg.Tensor): void => expect(Array.from(a.data())).toEqual(Array.from(b.data()));
  it('ops, losses, layers and data', () => {
    same(T.gelu(x(), null), tg.gelu(x()));
    same(T.softplus(x(), null), tg.softplus(x()));
    same(F.mseLoss(x(), tg.zeros([1, 3]), null), F.mseLoss(x(), tg.zeros([1, 3])));
    same(F.conv2d(big(), big(), null, null), F.conv2d(big(), big()));
    same(F.maxPool2d(big(), 2, null), F.maxPool2d(big(), 2));
    expect(new T.nn.Linear(2, 3, null).weight.shape).toEqual([3, 2]);
    expect(new T.nn.BatchNorm1d(3, null).eps).toBe(1e-5);
    expect(new T.nn.MSELoss(null).reduction).toBe('mean');
    expect(new T.data.DataLoader(new tg.data.TensorDataset(tg.zeros([3])), null).length).toBe(3);
    expect(T.data.kFold(4, 2, null)).toHaveLength(2);
    expect(T.zeros([2], null).shape).toEqual([2]);
    expect(T.gradcheck((t: tg.Tensor) => t.sum(), [tg.zeros([2], { dtype: 'float64', requiresGrad: true })], null)).toBe(true);
  });
});

describe('file errors name the reader or writer and the file', () => {
  const missing = '/nonexistent-tapegrad-dir/f';
  const m = (): tg.nn.Module => new tg.nn.Linear(2, 2);
  const files: Row[] = [
    ['io.load of a missing file', () => tg.io.load(missing), Error, /^io\.load: \/nonexistent-tapegrad-dir\/f: ENOENT/],
    ['io.load of a directory', () => tg.io.load('/tmp'), Error, /^io\.load: \/tmp: not a regular file/],
    ['io.save into a missing folder', () => tg.io.save(m().stateDict(), missing), Error, /^io\.save: \/nonexistent-tapegrad-dir\/f: ENOENT/],
    ['readIdx of a missing file', () => tg.io.readIdx(missing), Error, /^readIdx: \/nonexistent-tapegrad-dir\/f: ENOENT/],
    ['onnx.load of a missing file', () => tg.onnx.load(missing), Error, /^onnx\.load: \/nonexistent-tapegrad-dir\/f: ENOENT/],
    ['onnx.load of a directory', () => tg.onnx.load('/tmp'), TypeError, /^onnx\.load: \/tmp: not a regular file/],
    ['onnx.load of /dev/zero', () => tg.onnx.load('/dev/zero'), TypeError, /^onnx\.load: \/dev\/zero: not a regular file/],
    ['onnx.exportModel into a missing folder', () => tg.onnx.exportModel(m(), [tg.zeros([1, 2])], missing), Error, /^onnx\.exportModel: \/nonexistent-tapegrad-dir\/f: ENOENT/],
    ['plotHistory into a missing folder', () => tg.train.plotHistory({ epoch: [0, 1], loss: [1, 0.5] } as never, missing), Error, /^plotHistory: \/nonexistent-tapegrad-dir\/f: ENOENT/],
  ];
  for (const [name, call, type, pattern] of files) {
    it(name, () => {
      const err = expectThrown(name, call, type, pattern, false); // io.load's format errors subclass Error
      if (/ENOENT/.test(pattern.source)) expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
    });
  }
});

it('the element limit is what one float64 buffer can hold, and the limit itself is accepted', () => {
  expect(() => tg.zeros([1]).expand(LIMIT + 1)).toThrow(new RegExp(`^expand: shape \\[${LIMIT + 1}\\] has a size over the limit of ${LIMIT}`));
  expect(tg.zeros([1]).expand(LIMIT).shape).toEqual([LIMIT]); // an expanded view allocates nothing
});
