// PyTorch interop of state dicts through safetensors, for Conv2d + BatchNorm2d + Linear + BatchNorm1d:
// a file written by PyTorch loads into the same tapegrad model with the same outputs, and a file
// written by tapegrad loads into PyTorch with the same outputs (fixture made by interop_live.py --record).
//
// Regenerate the tapegrad -> PyTorch fixture (needs torch):
//   TAPEGRAD_WRITE_FIXTURES=1 npx vitest run test/io.interop.test.ts
//   /usr/bin/python3 test/fixtures/interop_live.py test/fixtures/interop_tapegrad.safetensors test/fixtures/interop_tapegrad_io.json --record
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tg from 'tapegrad';
import { expectClose } from './helpers';

const { nn } = tg;
const fixtures = join(__dirname, 'fixtures');
type Enc = { shape: number[]; data: number[] };

const makeModel = () =>
  new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 5 * 5, 3), new nn.BatchNorm1d(3));

describe('state dict interop with PyTorch', () => {
  it('a PyTorch state dict (make_interop_fixture.py) loads strictly and gives PyTorch outputs', () => {
    const io = JSON.parse(readFileSync(join(fixtures, 'interop.json'), 'utf8')) as { keys: string[]; input: Enc; output: Enc };
    const model = makeModel();
    expect(Object.keys(model.stateDict()).sort()).toEqual([...io.keys].sort());
    model.loadStateDict(tg.io.load(join(fixtures, 'interop_model.safetensors')));
    model.eval();
    expect((model.stateDict()['1.num_batches_tracked'] as tg.Tensor).item()).toBe(2);
    const y = model.forward(tg.tensor(io.input.data, { shape: io.input.shape })) as tg.Tensor;
    expect(y.shape).toEqual(io.output.shape);
    expectClose(y.data(), io.output.data, 1e-5, 1e-6, 'output');
  });

  it('a tapegrad state dict (float64) is the committed file, and PyTorch computed the same outputs from it', () => {
    tg.manualSeed(7);
    const model = makeModel().to('float64');
    tg.noGrad(() => {
      for (const [i, c] of [[1, 4], [5, 3]]) {
        const bn = [...model.children()][i] as unknown as Record<string, tg.Tensor>;
        bn.running_mean.copy_(tg.arange(c).mul(0.1).sub(0.15));
        bn.running_var.copy_(tg.arange(c).mul(0.25).add(0.5));
        bn.num_batches_tracked.fill_(5);
        bn.weight.copy_(tg.arange(c).mul(0.2).add(0.7));
        bn.bias.copy_(tg.arange(c).mul(-0.1).add(0.05));
      }
    });
    model.eval();
    const ioPath = join(fixtures, 'interop_tapegrad_io.json');
    const writing = !!process.env.TAPEGRAD_WRITE_FIXTURES;
    // The input is generated once (float32 sin, rounded by the platform's libm: glibc and mingw-w64
    // differ in the last bit of some elements) and then read back from the fixture, which holds the
    // exact values PyTorch was given.
    const x = writing
      ? tg.arange(4 * 25).mul(0.37).sin().reshape([4, 1, 5, 5]).double()
      : (() => {
          const stored = (JSON.parse(readFileSync(ioPath, 'utf8')) as { input: Enc }).input;
          return tg.tensor(stored.data, { shape: stored.shape, dtype: 'float64' });
        })();
    const y = model.forward(x) as tg.Tensor;
    const file = join(mkdtempSync(join(tmpdir(), 'tg-interop-')), 'm.safetensors');
    tg.io.save(model.stateDict(), file);
    if (writing) {
      writeFileSync(join(fixtures, 'interop_tapegrad.safetensors'), readFileSync(file));
      writeFileSync(ioPath, JSON.stringify({ input: { shape: x.shape, data: Array.from(x.data()) }, output: { shape: y.shape, data: Array.from(y.data()) } }) + '\n');
      return;
    }
    expect(readFileSync(file).equals(readFileSync(join(fixtures, 'interop_tapegrad.safetensors')))).toBe(true);
    const io = JSON.parse(readFileSync(ioPath, 'utf8')) as { torchOutput: Enc };
    expect(y.shape).toEqual(io.torchOutput.shape);
    expectClose(y.data(), io.torchOutput.data, 1e-10, 1e-12, 'PyTorch output');
  });
});
