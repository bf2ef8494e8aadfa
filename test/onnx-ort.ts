// Test helper: run ONNX bytes in onnxruntime-node and compare with tapegrad tensors.
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import * as tg from 'tapegrad';

const ortType = { float32: 'float32', float64: 'float64', int32: 'int32' } as const;

/** Runs the model in ONNX Runtime; int32 tensors fed to int64 inputs (as PyTorch's indices) are widened. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, tg.Tensor>, int64Inputs: string[] = []): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const f: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) {
    if (int64Inputs.includes(k)) f[k] = new ort.Tensor('int64', BigInt64Array.from(t.data(), (v) => BigInt(v)), t.shape.slice());
    else f[k] = new ort.Tensor(ortType[t.dtype], t.data() as Float32Array, t.shape.slice());
  }
  return session.run(f);
}

/** Relative (with a floor of 1 for near-zero values) closeness, NaN matching NaN. */
export function expectClose(got: ArrayLike<number>, want: tg.Tensor, rtol = 1e-5, atol = 1e-6): void {
  const w = want.data();
  expect(got.length).toBe(w.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    const a = Number(got[i]);
    const b = Number(w[i]);
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    if (a === b) continue;
    const err = Math.abs(a - b) / (atol + rtol * Math.abs(b));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (worst > 1) expect.fail(`element ${at}: got ${got[at]}, want ${w[at]} (rtol ${rtol}, atol ${atol})`);
}

/** Exports `model` on `example`, runs ONNX Runtime on each batch of `batches` and compares with tapegrad. */
export async function checkAgainstOrt(model: tg.nn.Module, example: tg.Tensor[], batches: tg.Tensor[][], opts: tg.onnx.ExportOptions = {}, rtol = 1e-5, atol = 1e-6): Promise<Uint8Array> {
  const bytes = tg.onnx.toBytes(model, example, opts);
  model.eval();
  for (const xs of batches) {
    const want = tg.noGrad(() => model.forward(...xs)) as tg.Tensor | tg.Tensor[];
    const wants = Array.isArray(want) ? want : [want];
    const names = opts.inputNames ?? (xs.length === 1 ? ['input'] : xs.map((_, i) => `input${i}`));
    const outNames = opts.outputNames ?? (wants.length === 1 ? ['output'] : wants.map((_, i) => `output${i}`));
    const got = await runOrt(bytes, Object.fromEntries(xs.map((x, i) => [names[i], x])));
    wants.forEach((w, i) => {
      const g = got[outNames[i]];
      expect(g.dims).toEqual(w.shape);
      expectClose(g.data as Float32Array, w, rtol, atol);
    });
  }
  return bytes;
}
