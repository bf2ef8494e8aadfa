// Run by `npm run build:ts` after tsc: bundles src/viz/d3.ts and the ESM-only d3 packages it
// re-exports into dist/viz/d3.js as CommonJS, over tsc's output (which would `require` them).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'src/viz/d3.ts')],
  outfile: join(root, 'dist/viz/d3.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  legalComments: 'inline',
  banner: { js: '// d3-scale, d3-shape, d3-contour and their d3 dependencies (ISC license, Mike Bostock), bundled by esbuild.' },
  logLevel: 'warning',
});
