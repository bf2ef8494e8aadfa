#!/usr/bin/env node
// `npx tapegrad demo`: trains an MLP on the shipped digits (see demo.ts).
// `npx tapegrad tune <module> --study NAME --storage URL --trials N`: one worker of a study (tune/cli.ts).
import { digitsDemo } from './demo';
import { TUNE_USAGE, tuneCli } from './tune/cli';

const cmd = process.argv[2] ?? 'demo';
if (cmd === 'demo') {
  digitsDemo().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else if (cmd === 'tune') {
  tuneCli(process.argv.slice(3)).catch((e: unknown) => {
    console.error(e instanceof RangeError || e instanceof TypeError ? `${e.message}\n${TUNE_USAGE}` : e);
    process.exit(1);
  });
} else {
  console.error(`usage: tapegrad demo\n${TUNE_USAGE}`);
  process.exit(2);
}
