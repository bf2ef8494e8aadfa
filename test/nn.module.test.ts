// tg.nn.Module and Parameter: discovery and naming, state dicts, modes, gradients, dtype conversion.
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectClose, expectError, sample } from './helpers';

const { Module, Parameter, Linear, Sequential, ReLU, Tanh } = tg.nn;

class Block extends Module {
  fc = new Linear(4, 4);
  act = new ReLU();
  constructor() {
    super();
    this.registerBuffer('runningMean', tg.zeros([4]));
    this.registerBuffer('scratch', tg.zeros([2]), { persistent: false });
    this.registerBuffer('unset', null);
  }
  override forward(x: tg.Tensor): tg.Tensor {
    return this.act.forward(this.fc.forward(x));
  }
}

class Net extends Module {
  scale = new Parameter(tg.ones([2]));
  stem = new Linear(3, 4);
  blocks = [new Block(), new Block()];
  head = new Sequential(new Linear(4, 2, { bias: false }), new Tanh());
  note = 'not a module';
  plainTensor = tg.ones([7]); // neither a Parameter nor a registered buffer: ignored, as in PyTorch
  override forward(x: tg.Tensor): tg.Tensor {
    let h = this.stem.forward(x);
    for (const b of this.blocks) h = b.forward(h);
    return (this.head.forward(h) as tg.Tensor).mul(this.scale);
  }
}

const names = (it: Iterable<[string, unknown]>) => [...it].map(([n]) => n);

describe('Parameter', () => {
  it('shares storage with its tensor, requires grad and is a leaf Tensor', () => {
    const t = tg.tensor([1, 2, 3]);
    const p = new Parameter(t);
    expect(p).toBeInstanceOf(tg.Tensor);
    expect(p.requiresGrad).toBe(true);
    expect(p.isLeaf).toBe(true);
    expect(t.requiresGrad).toBe(false);
    tg.noGrad(() => p.fill_(5));
    expect(t.toArray()).toEqual([5, 5, 5]);
    expect(new Parameter(t, false).requiresGrad).toBe(false);
    expect(new Parameter(tg.tensor([1], { dtype: 'int32' }), false).dtype).toBe('int32');
    expectError(() => new Parameter(tg.tensor([1], { dtype: 'int32' })), TypeError, /int32/);
    expectError(() => new Parameter([1, 2] as unknown as tg.Tensor), TypeError, /must be a Tensor/);
  });
});

describe('discovery and naming', () => {
  it('names parameters with dotted paths in declaration order, own parameters first (as PyTorch)', () => {
    const net = new Net();
    expect(names(net.namedParameters())).toEqual([
      'scale',
      'stem.weight', 'stem.bias',
      'blocks.0.fc.weight', 'blocks.0.fc.bias',
      'blocks.1.fc.weight', 'blocks.1.fc.bias',
      'head.0.weight',
    ]);
    expect([...net.parameters()].map((p) => p.shape)).toEqual([[2], [4, 3], [4], [4, 4], [4], [4, 4], [4], [2, 4]]);
    expect(names(net.namedBuffers())).toEqual([
      'blocks.0.runningMean', 'blocks.0.scratch', 'blocks.1.runningMean', 'blocks.1.scratch',
    ]);
    expect([...net.buffers()].length).toBe(4);
    expect(names(net.namedChildren())).toEqual(['stem', 'blocks.0', 'blocks.1', 'head']);
    expect(names(net.namedModules())).toEqual([
      '', 'stem', 'blocks.0', 'blocks.0.fc', 'blocks.0.act', 'blocks.1', 'blocks.1.fc', 'blocks.1.act', 'head', 'head.0', 'head.1',
    ]);
    expect([...net.children()][0]).toBe(net.stem);
    expect([...net.modules()].length).toBe(11);
    expect(names(net.namedParameters({ recurse: false }))).toEqual(['scale']);
  });

  it('names a nested Sequential 0, 1.0, ... and indexes it', () => {
    const inner = new Sequential(new Linear(3, 3), new ReLU());
    const seq = new Sequential(new Linear(2, 3), inner, new Linear(3, 1));
    expect(names(seq.namedParameters())).toEqual(['0.weight', '0.bias', '1.0.weight', '1.0.bias', '2.weight', '2.bias']);
    expect(seq.length).toBe(3);
    expect(seq[1]).toBe(inner);
    expect([...seq]).toEqual([seq[0], inner, seq[2]]);
    seq.append(new Tanh());
    expect(names(seq.namedChildren())).toEqual(['0', '1', '2', '3']);
    expectError(() => new Sequential(new ReLU(), 3 as unknown as tg.nn.Module), TypeError, /argument 1 is not a Module/);
  });

  it('lists a shared parameter or module once, but keeps every state-dict key (as PyTorch)', () => {
    class Tied extends Module {
      a = new Linear(3, 3);
      b = new Linear(3, 3);
      again = this.a;
    }
    const m = new Tied();
    m.b.weight = m.a.weight;
    expect(names(m.namedParameters())).toEqual(['a.weight', 'a.bias', 'b.bias']);
    expect(m.numParameters()).toBe(9 + 3 + 3);
    expect(names(m.namedModules())).toEqual(['', 'a', 'b']);
    expect(Object.keys(m.stateDict())).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias', 'again.weight', 'again.bias']);
  });

  it('counts parameters', () => {
    expect(new Linear(3, 4).numParameters()).toBe(16);
    expect(new Linear(3, 4, { bias: false }).numParameters()).toBe(12);
    const net = new Net();
    expect(net.numParameters()).toBe(2 + 16 + 2 * 20 + 8);
    net.scale.requiresGrad_(false);
    expect(net.numParameters({ onlyTrainable: true })).toBe(16 + 2 * 20 + 8);
  });

  it('rejects bad registrations', () => {
    const m = new Module();
    expectError(() => m.registerBuffer('a.b', tg.zeros([1])), TypeError, /without '\.'/);
    expectError(() => m.registerBuffer('x', [1] as unknown as tg.Tensor), TypeError, /must be a Tensor or null/);
    expectError(() => m.registerBuffer('p', new Parameter(tg.zeros([1]))), TypeError, /is a Parameter/);
    expectError(() => m.registerBuffer('train', tg.zeros([1])), Error, /Module method/);
    expectError(() => m.registerParameter('w', tg.zeros([1]) as tg.nn.Parameter), TypeError, /tg\.nn\.Parameter/);
    m.registerParameter('w', new Parameter(tg.zeros([2])));
    m.registerModule('sub', new Linear(1, 1));
    expect(names(m.namedParameters())).toEqual(['w', 'sub.weight', 'sub.bias']);
    expectError(() => m.forward(tg.zeros([1])), Error, /must define forward\(\)/);
  });
});

describe('modes, gradients and apply', () => {
  it('train/eval propagate to every submodule and return the module', () => {
    const net = new Net();
    expect([...net.modules()].every((m) => m.training)).toBe(true);
    expect(net.eval()).toBe(net);
    expect([...net.modules()].every((m) => !m.training)).toBe(true);
    net.train();
    expect([...net.modules()].every((m) => m.training)).toBe(true);
    net.head.train(false);
    expect(net.training).toBe(true);
    expect(net.head[1].training).toBe(false);
    expectError(() => net.train('yes' as unknown as boolean), TypeError, /boolean/);
  });

  it('zeroGrad sets gradients to null, or to zeros with setToNone: false', () => {
    const net = new Net();
    net.forward(tg.ones([5, 3])).sum().backward();
    const ps = [...net.parameters()];
    expect(ps.every((p) => p.grad !== null)).toBe(true);
    const g0 = net.stem.weight.grad!;
    net.zeroGrad({ setToNone: false });
    expect(net.stem.weight.grad).toBe(g0);
    expect(ps.every((p) => Array.from(p.grad!.data()).every((v) => v === 0))).toBe(true);
    net.zeroGrad();
    expect(ps.every((p) => p.grad === null)).toBe(true);
  });

  it('apply visits children before the module itself', () => {
    const seq = new Sequential(new Linear(2, 2), new Sequential(new ReLU()));
    const seen: string[] = [];
    seq.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(['Linear', 'ReLU', 'Sequential', 'Sequential']);
    seq.apply((m) => {
      if (m instanceof Linear) tg.nn.init.constant_(m.weight, 0.5);
    });
    expect((seq[0] as tg.nn.Linear).weight.toArray()).toEqual([[0.5, 0.5], [0.5, 0.5]]);
  });

  it('call() is forward()', () => {
    const lin = new Linear(2, 3);
    const x = tg.ones([4, 2]);
    expect(lin.call(x).toArray()).toEqual(lin.forward(x).toArray());
  });
});

describe('stateDict and loadStateDict', () => {
  it('holds parameters then persistent buffers per module, sharing storage', () => {
    const net = new Net();
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual([
      'scale', 'stem.weight', 'stem.bias',
      'blocks.0.runningMean', 'blocks.0.fc.weight', 'blocks.0.fc.bias',
      'blocks.1.runningMean', 'blocks.1.fc.weight', 'blocks.1.fc.bias',
      'head.0.weight',
    ]);
    expect(sd['stem.weight'].requiresGrad).toBe(false);
    tg.noGrad(() => net.stem.bias!.fill_(7));
    expect(Array.from(sd['stem.bias'].data())).toEqual([7, 7, 7, 7]);
    expect(net.stateDict({ keepVars: true })['scale']).toBe(net.scale);
    expect(Object.keys(net.stateDict({ prefix: 'model.' }))[0]).toBe('model.scale');
  });

  it('round-trips into a freshly initialised model: same values, same outputs, same Parameter objects', () => {
    tg.manualSeed(1);
    const a = new Net();
    tg.noGrad(() => (a.blocks[1] as Block & { runningMean: tg.Tensor }).runningMean.fill_(3));
    tg.manualSeed(2);
    const b = new Net();
    const x = tg.tensor(sample([5, 3], 11), { shape: [5, 3], dtype: 'float32' });
    expect(b.forward(x).toArray()).not.toEqual(a.forward(x).toArray());
    const w = b.stem.weight;
    const snapshot = Object.fromEntries(Object.entries(a.stateDict()).map(([k, v]) => [k, v.clone()]));
    const r = b.loadStateDict(snapshot);
    expect(r).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.stem.weight).toBe(w);
    expect(b.forward(x).toArray()).toEqual(a.forward(x).toArray());
    for (const [k, v] of Object.entries(b.stateDict())) expect(v.toArray(), k).toEqual(a.stateDict()[k].toArray());
    expect(Array.from((b.blocks[1] as unknown as { runningMean: tg.Tensor }).runningMean.data())).toEqual([3, 3, 3, 3]);
    // A Map works too.
    const c = new Net();
    c.loadStateDict(new Map(Object.entries(snapshot)));
    expect(c.forward(x).toArray()).toEqual(a.forward(x).toArray());
  });

  it('strict loading reports missing and unexpected keys; non-strict loads the rest and returns them', () => {
    const src = new Linear(3, 2).stateDict();
    const dst = new Linear(3, 2);
    const before = dst.weight.toArray();
    const partial = { weight: src.weight.clone(), extra: tg.zeros([1]) };
    expectError(() => dst.loadStateDict(partial), RangeError, /missing keys: 'bias'/, /unexpected keys: 'extra'/, /Linear/);
    expect(dst.weight.toArray()).toEqual(before); // nothing loaded
    const r = dst.loadStateDict(partial, { strict: false });
    expect(r).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['extra'] });
    expect(dst.weight.toArray()).toEqual(src.weight.toArray());
  });

  it('rejects shape and dtype mismatches even when not strict, naming the key and both shapes', () => {
    const dst = new Linear(3, 2);
    const before = dst.bias!.toArray();
    const bad = { weight: tg.zeros([3, 2]), bias: tg.zeros([2]) };
    expectError(() => dst.loadStateDict(bad, { strict: false }), RangeError, /size mismatch for 'weight'/, /\[3, 2\]/, /\[2, 3\]/);
    expect(dst.bias!.toArray()).toEqual(before); // the valid entry was not loaded either
    expectError(
      () => dst.loadStateDict({ weight: tg.zeros([2, 3], { dtype: 'float64' }), bias: tg.zeros([2]) }),
      RangeError, /dtype mismatch for 'weight'/, /float64/, /float32/,
    );
    expectError(() => dst.loadStateDict({ weight: [[1, 2, 3]] as unknown as tg.Tensor, bias: tg.zeros([2]) }), TypeError, /'weight' is object, not a Tensor/);
    expectError(() => dst.loadStateDict(null as unknown as tg.nn.StateDict), TypeError, /expected an object/);
  });

  it('leaves non-persistent buffers out of the state dict and treats them as unexpected keys', () => {
    const b = new Block();
    expect(Object.keys(b.stateDict())).toEqual(['runningMean', 'fc.weight', 'fc.bias']);
    const sd = { ...b.stateDict(), scratch: tg.zeros([2]) };
    expectError(() => new Block().loadStateDict(sd), RangeError, /unexpected keys: 'scratch'/);
  });
});

describe('to(dtype)', () => {
  it('converts parameters, gradients and float buffers in place, keeping the Parameter objects', () => {
    const net = new Net();
    class WithInt extends Module {
      net = net;
      constructor() {
        super();
        this.registerBuffer('count', tg.zeros([1], { dtype: 'int32' }));
      }
    }
    const m = new WithInt();
    const x = tg.tensor(sample([4, 3], 5), { shape: [4, 3], dtype: 'float32' });
    net.forward(x).sum().backward();
    const w = net.stem.weight;
    const before = Array.from(w.data());
    const y32 = Array.from(net.forward(x).data());
    expect(m.to('float64')).toBe(m);
    expect(net.stem.weight).toBe(w);
    expect(w.dtype).toBe('float64');
    expect(w.requiresGrad).toBe(true);
    expect(Array.from(w.data())).toEqual(before); // float32 -> float64 is exact
    expect(w.grad!.dtype).toBe('float64');
    expect([...net.parameters()].every((p) => p.dtype === 'float64')).toBe(true);
    expect([...net.buffers()].every((b) => b.dtype === 'float64')).toBe(true);
    expect((m as unknown as { count: tg.Tensor }).count.dtype).toBe('int32');
    const y64 = net.forward(x.double());
    expect(y64.dtype).toBe('float64');
    expectClose(y64.data(), y32, 1e-5, 1e-6, 'float64 forward');
    y64.sum().backward();
    expect(w.grad!.dtype).toBe('float64');
    net.float();
    expect(w.dtype).toBe('float32');
    expectError(() => net.to('int32'), TypeError, /floating-point/);
  });
});
