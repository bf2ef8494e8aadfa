// The main job (`npx tapegrad demo`): trains the digits MLP and must reach >= 95% test accuracy, check
// its gradients and write a loss-curve SVG.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Against an installed package (.ci/pack-check.sh) the installed `npx tapegrad demo` is run instead.
describe.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('digits demo', () => {
  it('reaches >= 95% test accuracy, passes the gradient check and writes the loss curve', async () => {
    const { digitsDemo } = await import('../src/demo');
    const lines: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'tg-demo-'));
    const svgPath = join(dir, 'loss.svg');
    const onnxPath = join(dir, 'digits.onnx');
    const r = await digitsDemo({ svgPath, onnxPath, progress: false, log: (s) => lines.push(s) });
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(r.bestEpoch).toBeLessThan(r.epochsRun); // early stopping went past the best epoch and restored it
    expect(r.maxRelError).toBeLessThan(1e-5);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect((svg.match(/<path class="series"/g) ?? []).length).toBe(2); // loss and valLoss
    const tg = await import('../src');
    const served = tg.onnx.load(onnxPath);
    expect(served.inputNames).toEqual(['pixels']);
    expect((tg.noGrad(() => served.forward(tg.zeros([3, 64]))) as import('../src').Tensor).shape).toEqual([3, 10]);
    expect(lines.some((l) => /^test accuracy \d+\.\d\d%/.test(l))).toBe(true);
    expect(lines.some((l) => /^checkGradients .*worst relative error \d\.\d\de-?\d+/.test(l))).toBe(true);
  });
});
