// `npx tapegrad demo optimizers` and `npx tapegrad demo landscape`: they write their pictures, say so,
// and the pictures render.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectPicture } from './viz.render';

const root = resolve(process.env.TAPEGRAD_TEST_PACKAGE ?? join(__dirname, '..'));
// The CLI runs in a temporary folder: a relative TAPEGRAD_ADDON (the sanitizer build) must not move.
const addonEnv = process.env.TAPEGRAD_ADDON ? { TAPEGRAD_ADDON: resolve(process.env.TAPEGRAD_ADDON) } : {};

describe('viz demos', () => {
  it('npx tapegrad demo optimizers (the built CLI) writes the Rosenbrock and ravine path pictures', () => {
    const cli = join(root, 'dist/cli.js');
    expect(existsSync(cli), `${cli} is missing: run npm run build:ts`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'tg-demo-opt-'));
    const stdout = execFileSync(process.execPath, [cli, 'demo', 'optimizers'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...addonEnv, TAPEGRAD_NUM_THREADS: '1' } });
    const lines = stdout.trim().split('\n');
    expect(lines).toContain('wrote tapegrad-paths-rosenbrock.svg');
    expect(lines).toContain('wrote tapegrad-paths-ravine.svg');
    for (const f of ['tapegrad-paths-rosenbrock.svg', 'tapegrad-paths-ravine.svg']) {
      const svg = readFileSync(join(dir, f), 'utf8');
      for (const name of ['SGD', 'momentum', 'Nesterov', 'Adagrad', 'RMSprop', 'Adadelta', 'Adam', 'Adamax', 'NAdam', 'AMSGrad']) {
        expect(svg).toContain(`data-series="${name}"`);
      }
      expectPicture(svg, 720, 560, 0.5);
    }
    expect(lines.find((l) => l.startsWith('ravine:'))).toMatch(/momentum \d\.\de-\d/);
  });

  // Against an installed package (.ci/pack-check.sh) only the CLI test above runs: this one imports src/.
  it.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('the landscape demo trains the digits MLP and writes its 1-D line, 2-D contour and 3-D slice', async () => {
    const { landscapeDemo } = await import('../src/viz/demos');
    const dir = mkdtempSync(join(tmpdir(), 'tg-demo-land-'));
    const lines: string[] = [];
    const r = await landscapeDemo({ outDir: dir, log: (s) => lines.push(s) });
    expect(r.center).toBeLessThan(0.3); // trained
    expect(r.losses1d[20]).toBe(r.center); // α = 0 is the trained point itself
    expect(r.losses1d[0]).toBeGreaterThan(r.center);
    expect(r.losses1d[40]).toBeGreaterThan(r.center);
    expect(lines.filter((l) => l.startsWith('wrote '))).toEqual(r.files.map((f) => `wrote ${f}`));
    expectPicture(readFileSync(r.files[0], 'utf8'), 640, 400);
    expectPicture(readFileSync(r.files[1], 'utf8'), 600, 560, 0.5);
    expectPicture(readFileSync(r.files[2], 'utf8'), 640, 520, 0.2);
  });
});

describe('README tg.viz example', () => {
  it('runs as written and writes its three pictures', async () => {
    const { default: ts } = await import('typescript');
    const tg = await import('tapegrad');
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((c) => c.includes('tg.viz.optimizerPaths'))!;
    const dir = mkdtempSync(join(tmpdir(), 'tg-readme-viz-'));
    const code = block.replace(/^import .*$/m, '').replace(/'(\w+\.svg)'/g, (_m, f: string) => JSON.stringify(join(dir, f)));
    const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const printed: unknown[][] = [];
    new Function('tg', 'console', js)(tg, { log: (...a: unknown[]) => printed.push(a) });
    expect(String(printed[0][0])).toMatch(/Total params: 131/);
    expectPicture(readFileSync(join(dir, 'paths.svg'), 'utf8'), 720, 560, 0.5);
    expectPicture(readFileSync(join(dir, 'contour.svg'), 'utf8'), 600, 560, 0.5);
    expectPicture(readFileSync(join(dir, 'lr.svg'), 'utf8'), 640, 400);
  });
});
