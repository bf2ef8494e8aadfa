#!/usr/bin/env node
// `npx tapegrad demo`: trains an MLP on the shipped digits (see demo.ts).
// `npx tapegrad demo optimizers` / `npx tapegrad demo landscape`: the tg.viz pictures (see viz/demos.ts).
// `npx tapegrad onnx-check model.onnx`: inputs, outputs, ops and parameter count of an ONNX file.
// `npx tapegrad tune <module> --study NAME --storage URL --trials N`: one worker of a study (tune/cli.ts).
import { digitsDemo } from './demo';
import { onnxSummary } from './onnx/check';
import { TUNE_USAGE, tuneCli } from './tune/cli';
import { landscapeDemo, optimizersDemo } from './viz/demos';

const fail = (e: unknown) => {
  console.error(e);
  process.exit(1);
};
const cmd = process.argv[2] ?? 'demo';
const which = process.argv[3];
if (cmd === 'demo' && which === undefined) {
  digitsDemo().catch(fail);
} else if (cmd === 'demo' && which === 'optimizers') {
  Promise.resolve().then(() => optimizersDemo()).catch(fail);
} else if (cmd === 'demo' && which === 'landscape') {
  landscapeDemo().catch(fail);
} else if (cmd === 'onnx-check' && process.argv.length === 4) {
  try {
    for (const line of onnxSummary(process.argv[3])) console.log(line);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
} else if (cmd === 'tune') {
  tuneCli(process.argv.slice(3)).catch((e: unknown) => {
    console.error(e instanceof RangeError || e instanceof TypeError ? `${e.message}\n${TUNE_USAGE}` : e);
    process.exit(1);
  });
} else {
  console.error(`usage: tapegrad demo [optimizers | landscape] | tapegrad onnx-check model.onnx\n${TUNE_USAGE}`);
  process.exit(2);
}
