// The charts work from both built entry points: dist/index.js (CommonJS, where the ESM-only d3
// packages come bundled in dist/viz/d3.js) and dist/index.mjs (ESM). dist/ is built by `npm install`
// (prepare) or `npm run build:ts`; against an installed package its dist/ is used.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectPicture } from './viz.render';

const root = resolve(process.env.TAPEGRAD_TEST_PACKAGE ?? join(__dirname, '..'));
const dist = join(root, 'dist');
// Node >= 20.19 can require() ES modules; turn that off so the test proves the bundle needs no such help.
const noRequireEsm = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];

const body = (out: string) => `
  const h = { epoch: [1, 2, 3], loss: [1, 0.5, 0.4], valLoss: [1.2, 0.8, 0.9], lr: [0.1, 0.1, 0.1] };
  tg.train.plotHistory(h, ${JSON.stringify(join(out, 'h.svg'))});
  const r = tg.viz.optimizerPaths({ fn: 'ravine', start: [-8, 1.5], steps: 20, optimizers: { sgd: (p) => new tg.optim.SGD(p, { lr: 0.2 }) } });
  tg.viz.plotOptimizerPaths(r, ${JSON.stringify(join(out, 'p.svg'))});
  console.log(JSON.stringify(r.sgd.path[20]));
`;

describe('chart entry points', () => {
  it('dist/viz/d3.js is a self-contained bundle (no require of the ESM-only d3 packages)', () => {
    expect(existsSync(join(dist, 'viz/d3.js')), `${dist} is missing: run npm run build:ts`).toBe(true);
    const js = readFileSync(join(dist, 'viz/d3.js'), 'utf8');
    expect(js).not.toMatch(/require\(["']d3-/);
    expect(js).toMatch(/exports|module\.exports/);
  });

  for (const kind of ['require', 'import'] as const) {
    it(`charts render through ${kind === 'require' ? "require('tapegrad') (CommonJS)" : "import 'tapegrad' (ESM)"}`, () => {
      const out = mkdtempSync(join(tmpdir(), `tg-entry-${kind}-`));
      const script =
        kind === 'require'
          ? `const tg = require(${JSON.stringify(join(dist, 'index.js'))});${body(out)}`
          : `import * as tg from ${JSON.stringify('file://' + join(dist, 'index.mjs'))};${body(out)}`;
      const args = kind === 'require' ? [...noRequireEsm, '-e', script] : ['--input-type=module', '-e', script];
      const stdout = execFileSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, TAPEGRAD_NUM_THREADS: '1' } });
      const end = JSON.parse(stdout.trim()) as number[];
      // SGD on 0.05 x^2 + 2 y^2 with lr 0.2: x shrinks by 0.98 a step, y by 0.2
      expect(end[0]).toBeCloseTo(-8 * 0.98 ** 20, 12);
      expect(Math.abs(end[1])).toBeLessThan(1e-12);
      expectPicture(readFileSync(join(out, 'h.svg'), 'utf8'), 640, 400);
      expectPicture(readFileSync(join(out, 'p.svg'), 'utf8'), 720, 560, 0.5);
    });
  }
});

describe('the test renderer', () => {
  it('native (@resvg/resvg-js) and WebAssembly (@resvg/resvg-wasm) resvg give the same pixels', async () => {
    const { hasNativeResvg, render, wasmResvg } = await import('./viz.render');
    const { Chart } = await import('../src/viz/chart');
    const c = new Chart('test', { x: { domain: [0, 10] }, y: { domain: [-1, 1] } });
    c.line('sin', Array.from({ length: 50 }, (_, i) => [i / 5, Math.sin(i / 5)] as [number, number]), '#1f77b4');
    const svg = c.toString();
    const w = render(svg, await wasmResvg());
    expect([w.width, w.height]).toEqual([640, 400]);
    expect(w.inked).toBeGreaterThan(0.005);
    if (hasNativeResvg) expect(Buffer.from(render(svg).pixels).equals(Buffer.from(w.pixels))).toBe(true);
    else expect(process.arch).not.toBe('x64'); // the native binary is installed wherever npm could pick one
  });
});
