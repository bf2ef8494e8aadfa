// `tapegrad onnx-check`: the summary of a model file, and the error for a broken one.
import { describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// onnxSummary is internal: the installed package's run (pack-check) skips these.
describe.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('onnx-check', () => {
test('onnx-check prints inputs, outputs, ops and the parameter count', async () => {
  const file = path.join(__dirname, 'fixtures', 'onnx', 'mlp.onnx');
  const { onnxSummary } = await import('../src/onnx/check');
  const lines = onnxSummary(file);
  expect(lines[0]).toMatch(/mlp\.onnx: ONNX IR version \d+, opset 17, producer pytorch 1\.13/);
  expect(lines).toContain('  input: float32 [batch, 10]');
  expect(lines).toContain('  output: float32 [batch, 4]');
  expect(lines).toContain('ops (5 nodes): Gemm x3, Relu, Tanh');
  expect(lines).toContain(`parameters: ${(10 * 16 + 16 + 16 * 12 + 12 + 12 * 4 + 4).toLocaleString('en-US')} in 6 tensors`);
});

test('onnx-check refuses a broken file with the loader error', async () => {
  const { onnxSummary } = await import('../src/onnx/check');
  const src = fs.readFileSync(path.join(__dirname, 'fixtures', 'onnx', 'mlp.onnx'));
  const bad = path.join(os.tmpdir(), `tapegrad-bad-${process.pid}.onnx`);
  fs.writeFileSync(bad, src.subarray(0, src.length - 10));
  try {
    expect(() => onnxSummary(bad)).toThrow(/^onnx\.load: /);
  } finally {
    fs.unlinkSync(bad);
  }
});
});
