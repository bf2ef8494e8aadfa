// loadCheckpoint and the loadStateDict methods are atomic: mutated checkpoints (truncated at many
// boundaries, flipped bytes, edited headers and states) either load exactly what the file holds or
// throw a TypeError/RangeError starting with the function's name, and then the model, optimizer,
// scheduler and generators are bitwise as they were.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import * as tg from 'tapegrad';
import { jsRandom } from './helpers';

const { nn } = tg;
const dir = mkdtempSync(join(tmpdir(), 'tg-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** manualSeed returns the default generator itself, whose state every checkpoint holds. */
const defaultGen = tg.manualSeed(0);
/** TAPEGRAD_MUTATIONS=k runs k times the seeded flips (and more seeds), for longer fuzzing outside npm test. */
const SCALE = Math.max(1, Number(process.env.TAPEGRAD_MUTATIONS ?? 1));

interface Targets {
  model: tg.nn.Module;
  optimizer: tg.optim.Adam;
  scheduler: tg.optim.lrScheduler.StepLR;
  generators: tg.Generator[];
}

function build(seed: number): Targets {
  tg.manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(4, 6), new nn.BatchNorm1d(6), new nn.ReLU(), new nn.Linear(6, 3));
  const [w0, b0, ...rest] = model.parameters();
  const optimizer = new tg.optim.Adam([{ params: [w0, b0] }, { params: rest, lr: 0.01 }], { lr: 0.05, amsgrad: true });
  const scheduler = new tg.optim.lrScheduler.StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
  return { model, optimizer, scheduler, generators: [new tg.Generator(seed + 1)] };
}

function train(s: Targets, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const x = tg.randn([5, 4], { generator: s.generators[0] });
    const y = tg.randint(0, 3, [5]);
    s.optimizer.zeroGrad();
    nn.functional.crossEntropy(s.model.forward(x) as tg.Tensor, y).backward();
    s.optimizer.step();
    s.scheduler.step();
  }
}

const hex = (t: tg.Tensor): string => {
  const d = t.data();
  return `${t.dtype}[${t.shape.join(',')}]${Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex')}`;
};

/** Everything a load could change, as one string: tensors by their bytes, numbers including -0. */
function snapshot(s: Targets): string {
  const deep = (v: unknown): unknown => {
    if (v instanceof tg.Tensor) return hex(v);
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, deep(x)]);
    return v;
  };
  const params = [...s.model.parameters()];
  return JSON.stringify(deep({
    model: s.model.stateDict(),
    // The optimizer must still hold the model's own Parameter objects.
    same: s.optimizer.paramGroups.map((g) => g.params.map((p) => params.indexOf(p))),
    optimizer: s.optimizer.stateDict(),
    scheduler: s.scheduler.stateDict(),
    rng: [defaultGen.getState(), ...s.generators.map((g) => g.getState())],
  }));
}

function expectCleanFailure(fn: () => unknown, name: RegExp, s: Targets, before: string, what: string): Error {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `${what}: expected an error`).toBeInstanceOf(Error);
  const e = err as Error;
  expect(e instanceof TypeError || e instanceof RangeError, `${what}: ${e.name}: ${e.message}`).toBe(true);
  expect(e.message, what).toMatch(name);
  expect(e.message.length, what).toBeLessThan(1000);
  expect(snapshot(s), `${what}: state changed by a failed load (${e.message})`).toBe(before);
  return e;
}

// The source checkpoint (trained from seed 0) and a decoy (seed 99, different everything) that the
// targets are reset to after a successful load, so that a partial write would always show.
const source = build(0);
train(source, 3);
const ckpt = join(dir, 'ckpt.safetensors');
tg.io.saveCheckpoint(ckpt, { ...source, epoch: 3, extra: { note: 'after 3', best: -Infinity } });
const original = readFileSync(ckpt);
const targets = build(99);
train(targets, 1);
const decoy = join(dir, 'decoy.safetensors');
tg.io.saveCheckpoint(decoy, { ...targets, epoch: 1 });
const decoyState = snapshot(targets);
expect(decoyState).not.toBe(snapshot(source));

function reset(): string {
  tg.io.loadCheckpoint(decoy, targets);
  const s = snapshot(targets);
  expect(s).toBe(decoyState);
  return s;
}

/** The safetensors layout of a file: header JSON and where the data starts. */
function layout(bytes: Buffer): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> }; dataStart: number } {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')), dataStart: 8 + n };
}

/** Rebuilds a file from a (possibly edited) header and data buffer, as a safetensors writer would. */
function rebuild(header: object, data: Buffer): Buffer {
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([len, Buffer.from(text), data]);
}

let fileNo = 0;
function write(bytes: Uint8Array): string {
  const p = join(dir, `m${fileNo++ % 8}.safetensors`);
  writeFileSync(p, bytes);
  return p;
}

/** After a successful load: every tensor of the file is in the targets bit for bit, and training goes on. */
function expectExactLoad(bytes: Buffer, s: Targets, epoch: unknown, what: string): void {
  const path = write(bytes);
  const { tensors, metadata } = tg.io.loadWithMetadata(path);
  const meta = JSON.parse(metadata!.state);
  expect(epoch, what).toBe(meta.epoch);
  const sd = s.model.stateDict();
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith('model.')) expect(hex(sd[k.slice(6)]), `${what}: ${k}`).toBe(hex(t));
  // Walk the file's optimizer metadata alongside the loaded optimizer's state dict.
  const pair = (m: unknown, v: unknown, at: string): void => {
    if (m !== null && typeof m === 'object' && '$tensor' in m) {
      expect(v, at).toBeInstanceOf(tg.Tensor);
      const t = tensors[(m as { $tensor: string }).$tensor];
      expect(hex(v as tg.Tensor), at).toBe(hex(t.to((v as tg.Tensor).dtype)));
    } else if (m !== null && typeof m === 'object') {
      for (const [k, x] of Object.entries(m)) pair(x, (v as Record<string, unknown>)[k], `${at}.${k}`);
    } else {
      expect(v, at).toEqual(m);
    }
  };
  pair(meta.optimizer.state, s.optimizer.stateDict().state, `${what}: optimizer.state`);
  pair(meta.scheduler, s.scheduler.stateDict(), `${what}: scheduler`);
  pair(meta.rng, { default: defaultGen.getState(), generators: s.generators.map((g) => g.getState()) }, `${what}: rng`);
  expect(() => train(s, 1), `${what}: training after the load`).not.toThrow();
}

describe('loadCheckpoint: mutated files', () => {
  it('a valid checkpoint round-trips exactly (and resets from the decoy work)', () => {
    reset();
    const { epoch, extra } = tg.io.loadCheckpoint(ckpt, targets);
    expect(epoch).toBe(3);
    expect(extra).toEqual({ note: 'after 3', best: -Infinity });
    expect(snapshot(targets)).toBe(snapshot(source));
    reset();
  });

  it('truncated at every byte of the header region and at many data boundaries: a clear error, nothing changed', () => {
    const before = reset();
    const { header, dataStart } = layout(original);
    const cuts = new Set<number>();
    for (let i = 0; i < Math.min(dataStart + 16, original.length); i += i < 80 ? 1 : 7) cuts.add(i);
    for (const [k, e] of Object.entries(header)) {
      if (k === '__metadata__') continue;
      for (const o of (e as { data_offsets: number[] }).data_offsets) for (const d of [-1, 0, 1]) cuts.add(dataStart + o + d);
    }
    for (let i = dataStart; i < original.length; i += 37) cuts.add(i);
    cuts.delete(original.length);
    let n = 0;
    for (const cut of cuts) {
      if (cut < 0 || cut > original.length) continue;
      const path = write(original.subarray(0, cut));
      expectCleanFailure(() => tg.io.loadCheckpoint(path, targets), /^loadCheckpoint: /, targets, before, `cut at ${cut}`);
      n++;
    }
    expect(n).toBeGreaterThan(300);
  });

  it('flipped bytes anywhere: a clear error with nothing changed, or exactly the data of the file', () => {
    let before = reset();
    const r = jsRandom(18);
    const { dataStart } = layout(original);
    let loaded = 0;
    let failed = 0;
    for (let i = 0; i < 400 * SCALE; i++) {
      const bytes = Buffer.from(original);
      // Half the flips in the header (where the structure is), half in the tensor data.
      const pos = i % 2 === 0 ? Math.floor(r() * dataStart) : dataStart + Math.floor(r() * (bytes.length - dataStart));
      bytes[pos] ^= 1 + Math.floor(r() * 255);
      const path = write(bytes);
      let result: { epoch: number } | undefined;
      try {
        result = tg.io.loadCheckpoint(path, targets);
      } catch {
        expectCleanFailure(() => tg.io.loadCheckpoint(path, targets), /^loadCheckpoint: /, targets, before, `flip at ${pos}`);
        failed++;
        continue;
      }
      expectExactLoad(bytes, targets, result.epoch, `flip at ${pos}`);
      loaded++;
      before = reset();
    }
    // Both outcomes happen: data flips mostly load, header flips mostly fail.
    expect(loaded).toBeGreaterThan(50);
    expect(failed).toBeGreaterThan(50);
  });

  type Meta = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const metaEdits: [string, (m: Meta) => void, RegExp][] = [
    ['epoch -1', (m) => { m.epoch = -1; }, /epoch must be a non-negative integer, got -1/],
    ['epoch 1.5', (m) => { m.epoch = 1.5; }, /epoch must be a non-negative integer, got 1.5/],
    ['epoch "3"', (m) => { m.epoch = '3'; }, /epoch must be a non-negative integer, got a string/],
    ['epoch null', (m) => { m.epoch = null; }, /epoch must be a non-negative integer, got null/],
    ['epoch missing', (m) => { delete m.epoch; }, /epoch must be a non-negative integer, got undefined/],
    ['epoch 1e300', (m) => { m.epoch = 1e300; }, /epoch must be a non-negative integer/],
    ['epoch {$number: Infinity}', (m) => { m.epoch = { $number: 'Infinity' }; }, /epoch must be a non-negative integer, got an object/],
    ['metadata null', (m) => { for (const k of Object.keys(m)) delete m[k]; Object.assign(m, { __null: true }); }, /metadata is not an object/],
    ['default seed "abc"', (m) => { m.rng.default.seed = 'abc'; }, /generator state default.*seed .* not a decimal integer/],
    ['default seed number', (m) => { m.rng.default.seed = 5; }, /generator state default.*seed is a number/],
    ['default seed 2^64', (m) => { m.rng.default.seed = (2n ** 64n).toString(); }, /seed must be below 2\^64/],
    ['default seed "-1"', (m) => { m.rng.default.seed = '-1'; }, /seed .* not a decimal integer/],
    ['generator offset -1', (m) => { m.rng.generators[0].offset = -1; }, /generator state 0.*offset must be an integer in \[0, 2\^53\], got -1/],
    ['generator offset 1.5', (m) => { m.rng.generators[0].offset = 1.5; }, /offset must be an integer/],
    ['generator offset "7"', (m) => { m.rng.generators[0].offset = '7'; }, /offset is a string/],
    ['generator state null', (m) => { m.rng.generators[0] = null; }, /generator state 0: expected a generator state/],
    ['no generator states', (m) => { m.rng.generators = []; }, /holds 0 generator states, 1 generators were given/],
    ['rng missing', (m) => { delete m.rng; }, /no generator states/],
    ['optimizer missing', (m) => { m.optimizer = null; }, /has no optimizer state/],
    ['scheduler missing', (m) => { delete m.scheduler; }, /has no scheduler state/],
    ['step -1', (m) => { m.optimizer.state['0'].step = -1; }, /Adam.loadStateDict: state 'step' of parameter 0 must be a non-negative integer, got -1/],
    ['step 1.5', (m) => { m.optimizer.state['2'].step = 1.5; }, /state 'step' of parameter 2 must be a non-negative integer/],
    ['step "2"', (m) => { m.optimizer.state['1'].step = '2'; }, /state 'step' of parameter 1 must be a non-negative integer, got a string/],
    ['expAvg missing', (m) => { delete m.optimizer.state['3'].expAvg; }, /state 'expAvg' of parameter 3 is missing/],
    ['expAvg a number', (m) => { m.optimizer.state['0'].expAvg = 1; }, /state 'expAvg' of parameter 0 must be a Tensor, got a number/],
    ['unknown state entry', (m) => { m.optimizer.state['0'].momentumBuffer = 1; }, /unknown state 'momentumBuffer' of parameter 0/],
    ['state of an unknown parameter', (m) => { m.optimizer.state['17'] = m.optimizer.state['0']; }, /state for parameter index '17'/],
    ['state key "01"', (m) => { m.optimizer.state['01'] = m.optimizer.state['1']; delete m.optimizer.state['1']; }, /state for parameter index '01'/],
    ['state null', (m) => { m.optimizer.state['0'] = null; }, /state of parameter 0 must be an object/],
    ['tensor reference missing', (m) => { m.optimizer.state['0'].expAvg = { $tensor: 'nope' }; }, /refers to a tensor the file does not contain \('nope'\)/],
    ['tensor reference a number', (m) => { m.optimizer.state['0'].expAvg = { $tensor: 5 }; }, /refers to a tensor the file does not contain \(a number\)/],
    ['$number not a non-finite name', (m) => { m.optimizer.paramGroups[0].lr = { $number: 'abc' }; }, /\$number/],
    ['lr -1 in group 1', (m) => { m.optimizer.paramGroups[1].lr = -1; }, /Adam.loadStateDict: learning rate lr must be >= 0, got -1/],
    ['lr "0.1"', (m) => { m.optimizer.paramGroups[0].lr = '0.1'; }, /lr must be a finite number, got '0\.1'/],
    ['betas [1.5, 0.9]', (m) => { m.optimizer.paramGroups[0].betas = [1.5, 0.9]; }, /betas\[0\] must be in \[0, 1\)/],
    ['betas [0.9]', (m) => { m.optimizer.paramGroups[0].betas = [0.9]; }, /betas must be an array of two numbers/],
    ['eps 0', (m) => { m.optimizer.paramGroups[1].eps = 0; }, /eps must be > 0/],
    ['amsgrad "yes"', (m) => { m.optimizer.paramGroups[0].amsgrad = 'yes'; }, /amsgrad must be a boolean/],
    ['unknown option', (m) => { m.optimizer.paramGroups[0].foo = 1; }, /unknown option 'foo' in parameter group 0/],
    ['initialLr -1', (m) => { m.optimizer.paramGroups[0].initialLr = -1; }, /initialLr must be >= 0/],
    ['repeated parameter index', (m) => { m.optimizer.paramGroups[1].params[0] = 0; }, /bad or repeated parameter index 0 in group 1/],
    ['parameter index 1.5', (m) => { m.optimizer.paramGroups[0].params[0] = 1.5; }, /bad or repeated parameter index 1.5/],
    ['one group', (m) => { m.optimizer.paramGroups.pop(); }, /has 1 parameter groups, this optimizer has 2/],
    ['scheduler lastEpoch -5', (m) => { m.scheduler.lastEpoch = -5; }, /StepLR.loadStateDict: lastEpoch must be >= -1, got -5/],
    ['scheduler lastEpoch 1.5', (m) => { m.scheduler.lastEpoch = 1.5; }, /lastEpoch must be an integer, got 1.5/],
    ['scheduler stepSize 0', (m) => { m.scheduler.stepSize = 0; }, /stepSize must be >= 1/],
    ['scheduler gamma -1', (m) => { m.scheduler.gamma = -1; }, /gamma must be in \[0, Infinity\]/],
    ['scheduler baseLrs short', (m) => { m.scheduler.baseLrs = [0.05]; }, /baseLrs must have one value per parameter group \(2\), got 1/],
    ['scheduler _lastLr a string', (m) => { m.scheduler._lastLr = [0.1, 'x']; }, /_lastLr\[1\] must be a finite number/],
    ['scheduler unknown entry', (m) => { m.scheduler.tMax = 3; }, /unknown entry 'tMax'/],
    ['scheduler lastEpoch null', (m) => { m.scheduler.lastEpoch = null; }, /entry 'lastEpoch' should be number, got null/],
    ['extra null', (m) => { m.extra = null; }, /extra must be an object/],
    ['extra nested 100 deep', (m) => { let x: Meta = {}; for (let i = 0; i < 100; i++) x = { x }; m.extra = x; }, /nests deeper than 64 levels/],
  ];

  it.each(metaEdits)('edited metadata: %s', (_what, edit, message) => {
    const before = reset();
    const { header, dataStart } = layout(original);
    const meta = JSON.parse(header.__metadata__!.state);
    edit(meta);
    header.__metadata__!.state = meta.__null ? 'null' : JSON.stringify(meta);
    const path = write(rebuild(header, original.subarray(dataStart)));
    const e = expectCleanFailure(() => tg.io.loadCheckpoint(path, targets), /^loadCheckpoint: /, targets, before, _what);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(path);
  });

  it('edited tensors: shapes, dtypes, missing and negative running averages are refused with nothing changed', () => {
    const before = reset();
    const { header, dataStart } = layout(original);
    const meta = JSON.parse(header.__metadata__!.state);
    const data = original.subarray(dataStart);
    const cases: [string, (h: Record<string, any>, d: Buffer) => void, RegExp][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      ['model weight reshaped', (h) => { h['model.0.weight'].shape = [4, 6]; }, /size mismatch for '0.weight'/],
      ['model tensor missing', (h) => { h['model.renamed'] = h['model.3.bias']; delete h['model.3.bias']; }, /missing keys: '3.bias'/],
      ['model weight as I32', (h) => { h['model.0.weight'].dtype = 'I32'; }, /dtype mismatch for '0.weight'/],
      ['metadata not JSON', (h) => { h.__metadata__.state = '{"epoch": 3'; }, /unreadable checkpoint metadata/],
      ['metadata an array', (h) => { h.__metadata__.state = '[]'; }, /metadata is not an object/],
      ['format changed', (h) => { h.__metadata__.format = 'tapegrad-checkpoint/0'; }, /is not a tapegrad checkpoint/],
      ['expAvgSq negative', (h, d) => {
        const e = h[meta.optimizer.state['0'].expAvgSq.$tensor];
        d.writeFloatLE(-1, e.data_offsets[0] + 4);
      }, /state 'expAvgSq' of parameter 0 must be >= 0 everywhere .* element 1 is -1/],
      ['maxExpAvgSq NaN', (h, d) => {
        const e = h[meta.optimizer.state['2'].maxExpAvgSq.$tensor];
        d.writeFloatLE(NaN, e.data_offsets[0]);
      }, /state 'maxExpAvgSq' of parameter 2 must be >= 0 everywhere .* element 0 is NaN/],
      ['optimizer tensor reshaped', (h) => {
        const e = h[meta.optimizer.state['1'].expAvg.$tensor];
        e.shape = [1, e.shape[0]];
      }, /state 'expAvg' of parameter 1 has shape \[1, 6\], the parameter \[6\]/],
      ['optimizer tensor as I32', (h) => { h[meta.optimizer.state['1'].expAvg.$tensor].dtype = 'I32'; }, /state 'expAvg' of parameter 1 is int32, expected a float tensor/],
    ];
    for (const [what, edit, message] of cases) {
      const h = JSON.parse(JSON.stringify(header));
      const d = Buffer.from(data);
      edit(h, d);
      const path = write(rebuild(h, d));
      const e = expectCleanFailure(() => tg.io.loadCheckpoint(path, targets), /^loadCheckpoint: /, targets, before, what);
      expect(e.message, what).toMatch(message);
    }
  });
});

describe('loadStateDict methods check everything before writing anything', () => {
  it('optimizer: a bad second group or a bad later parameter state leaves the optimizer as it was', () => {
    const s = build(5);
    train(s, 2);
    const good = s.optimizer.stateDict();
    const before = snapshot(s);
    const bad1 = structuredClone(good);
    bad1.paramGroups[0].lr = 0.5; // valid, and would be written first
    bad1.paramGroups[1].lr = Number.NaN;
    expectCleanFailure(() => s.optimizer.loadStateDict(bad1), /^Adam.loadStateDict: lr must be a finite number, got NaN/, s, before, 'NaN lr');
    const bad2 = { ...good, state: { ...good.state, 5: { ...good.state[5], step: -3 } } };
    expectCleanFailure(() => s.optimizer.loadStateDict(bad2), /^Adam.loadStateDict: state 'step' of parameter 5/, s, before, 'bad step');
    // Adagrad keeps state for every parameter: a state dict without one is refused, not a crash at step().
    const p = tg.zeros([3]).requiresGrad_();
    const q = tg.zeros([2]).requiresGrad_();
    const ada = new tg.optim.Adagrad([p, q]);
    const sd = ada.stateDict();
    delete sd.state[1];
    expect(() => ada.loadStateDict(sd)).toThrow(/^Adagrad.loadStateDict: the state dict has no state for parameter 1/);
    // A valid state dict still loads exactly.
    s.optimizer.loadStateDict(good);
    expect(snapshot(s)).toBe(before);
  });

  it('schedulers: ranges are checked and a bad entry after good ones writes none', () => {
    const s = build(6);
    const before = snapshot(s);
    expectCleanFailure(() => s.scheduler.loadStateDict({ lastEpoch: 7, gamma: -2 }), /^StepLR.loadStateDict: gamma must be in \[0, Infinity\], got -2/, s, before, 'gamma');
    const plateau = new tg.optim.lrScheduler.ReduceLROnPlateau(s.optimizer);
    const psd = plateau.stateDict();
    const bad = [
      [{ ...psd, mode: 'mid' }, /mode must be 'min' or 'max'/],
      [{ ...psd, factor: 1 }, /factor must be in \[0, 1\)/],
      [{ ...psd, lastEpoch: -1 }, /lastEpoch must be >= 0/],
      [{ ...psd, minLrs: [0] }, /minLrs must have one value per parameter group/],
      [{ ...psd, best: Number.NaN }, /best must be a number/],
      [{ ...psd, numBadEpochs: 0.5 }, /numBadEpochs must be an integer/],
    ] as const;
    for (const [sd, message] of bad) {
      const b = JSON.stringify(plateau.stateDict());
      expect(() => plateau.loadStateDict(sd as Record<string, unknown>)).toThrow(message);
      expect(JSON.stringify(plateau.stateDict())).toBe(b);
    }
    plateau.loadStateDict({ ...psd, best: -Infinity, numBadEpochs: 2 });
    expect(plateau.best).toBe(-Infinity);
    expect(plateau.numBadEpochs).toBe(2);
  });

  it('module: sources that alias targets are read before any write (a swap swaps)', () => {
    const [l0, l1] = [new nn.Linear(2, 2), new nn.Linear(2, 2)];
    const m = new nn.Sequential(l0, l1);
    const [w0, b0, w1, b1] = [...m.parameters()].map((p) => Array.from(p.data()));
    m.loadStateDict({ '0.weight': l1.weight, '0.bias': l1.bias!, '1.weight': l0.weight, '1.bias': l0.bias! });
    expect([...m.parameters()].map((p) => Array.from(p.data()))).toEqual([w1, b1, w0, b0]);
  });

  it('Generator.setState: a bad seed is a TypeError naming setState, not a BigInt SyntaxError', () => {
    const g = new tg.Generator(3);
    const before = g.getState();
    expect(() => g.setState({ seed: 'abc', offset: 0 })).toThrow(/^setState: .*seed is a string of 3 characters that is not a decimal integer/);
    expect(() => g.setState({ seed: '12', offset: -1 })).toThrow(RangeError);
    expect(g.getState()).toEqual(before);
    g.setState({ seed: '18446744073709551615', offset: 2 ** 53 });
    expect(g.getState()).toEqual({ seed: '18446744073709551615', offset: 2 ** 53 });
  });
});

describe('loadCheckpoint: targets without a separate check, and paths that are not files', () => {
  it("a user-written optimizer whose loadStateDict throws is undone and nothing else is written", () => {
    const s = build(7);
    const before = snapshot(s);
    let custom = { v: 1 };
    const wrapped = {
      stateDict: () => ({ ...custom }),
      loadStateDict: (sd: { v: number }) => {
        custom = { ...sd };
        throw new RangeError('my optimizer: refuses');
      },
    };
    const e = expectCleanFailure(() => tg.io.loadCheckpoint(ckpt, { ...s, optimizer: wrapped }), /^loadCheckpoint: .*my optimizer: refuses/, s, before, 'custom');
    expect(e).toBeInstanceOf(RangeError);
    expect(custom).toEqual({ v: 1 });
  });

  it('a model whose class overrides loadStateDict is loaded through it, and restored bitwise when a later target throws', () => {
    const s = build(8);
    const calls: string[] = [];
    class Custom extends nn.Sequential {
      override loadStateDict(sd: Record<string, tg.Tensor>, opts?: { strict?: boolean }) {
        calls.push(Object.keys(sd).join(','));
        return super.loadStateDict(sd, opts);
      }
    }
    const layers = [...(s.model as tg.nn.Sequential).children()];
    const model = new Custom(...layers);
    const t = { ...s, model };
    expect(tg.io.loadCheckpoint(ckpt, t).epoch).toBe(3);
    expect(calls).toHaveLength(1);
    expect(snapshot(t)).toBe(snapshot(source));
    // Now a user optimizer that throws after the model was loaded through its own method: undone.
    const t2 = build(9);
    const m2 = new Custom(...(t2.model as tg.nn.Sequential).children());
    const before = snapshot({ ...t2, model: m2 });
    const failing = { stateDict: () => ({}), loadStateDict: () => { throw new TypeError('mine: no'); } };
    const e = expectCleanFailure(() => tg.io.loadCheckpoint(ckpt, { ...t2, model: m2, optimizer: failing }), /^loadCheckpoint: .*mine: no/, { ...t2, model: m2 }, before, 'undo');
    expect(e).toBeInstanceOf(TypeError);
  });

  it('a FIFO or a directory fails at once (opening a FIFO would block)', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const before = snapshot(targets);
    expectCleanFailure(() => tg.io.loadCheckpoint(fifo, targets), /^loadCheckpoint: .*not a regular file/, targets, before, 'fifo');
    expectCleanFailure(() => tg.io.loadCheckpoint(dir, targets), /^loadCheckpoint: .*not a regular file/, targets, before, 'directory');
  });
});

describe('loadCheckpoint: every optimizer and scheduler round-trips exactly', () => {
  const makers: [string, (p: tg.Tensor[]) => tg.optim.Optimizer][] = [
    ['SGD', (p) => new tg.optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
    ['Adam', (p) => new tg.optim.Adam(p, { amsgrad: true })],
    ['AdamW', (p) => new tg.optim.AdamW(p)],
    ['Adagrad', (p) => new tg.optim.Adagrad(p)],
    ['RMSprop', (p) => new tg.optim.RMSprop(p, { centered: true, momentum: 0.5 })],
    ['Adadelta', (p) => new tg.optim.Adadelta(p)],
    ['Adamax', (p) => new tg.optim.Adamax(p)],
    ['NAdam', (p) => new tg.optim.NAdam(p)],
  ];
  it.each(makers)('%s with CosineAnnealingLR', (_name, make) => {
    const run = (seed: number, steps: number) => {
      tg.manualSeed(seed);
      const model = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 2));
      const optimizer = make([...model.parameters()]);
      const scheduler = new tg.optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: 3 });
      const gen = new tg.Generator(seed);
      for (let i = 0; i < steps; i++) {
        optimizer.zeroGrad();
        (model.forward(tg.randn([4, 3], { generator: gen })) as tg.Tensor).square().mean().backward();
        optimizer.step();
        scheduler.step();
      }
      return { model, optimizer, scheduler, generators: [gen] };
    };
    const state = (s: ReturnType<typeof run>) =>
      snapshot({ ...s, optimizer: s.optimizer as tg.optim.Adam, scheduler: s.scheduler as unknown as tg.optim.lrScheduler.StepLR });
    const a = run(1, 4);
    const path = join(dir, `rt-${_name}.safetensors`);
    tg.io.saveCheckpoint(path, { ...a, epoch: 4 });
    const b = run(2, 1);
    expect(state(b)).not.toBe(state(a));
    expect(tg.io.loadCheckpoint(path, b).epoch).toBe(4);
    expect(state(b)).toBe(state(a));
  });
});
