#!/usr/bin/env node
// `npx tapegrad demo`: trains an MLP on the shipped digits (see demo.ts).
import { digitsDemo } from './demo';
import { onnxSummary } from './onnx/check';

const cmd = process.argv[2] ?? 'demo';
if (cmd === 'demo') {
  digitsDemo().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else if (cmd === 'onnx-check' && process.argv.length === 4) {
  try {
    for (const line of onnxSummary(process.argv[3])) console.log(line);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
} else {
  console.error(`usage: tapegrad demo | tapegrad onnx-check model.onnx`);
  process.exit(2);
}
