#!/usr/bin/env node
// `npx tapegrad demo`: trains an MLP on the shipped digits (see demo.ts).
import { digitsDemo } from './demo';

const cmd = process.argv[2] ?? 'demo';
if (cmd === 'demo') {
  digitsDemo().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  console.error(`usage: tapegrad demo`);
  process.exit(2);
}
