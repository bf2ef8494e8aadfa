// Writes dist/index.mjs (and its .d.mts) re-exporting the CommonJS build by name, so that
// `import` and `require` share one module instance (one tape, one RNG, one grad mode).
import * as fs from 'node:fs';
import * as path from 'node:path';

const names = Object.keys(require('./index')).filter((k) => k !== 'default' && k !== '__esModule');
const js =
  `import tg from './index.js';\n` +
  `export const { ${names.join(', ')} } = tg;\n` +
  `export default tg;\n`;
fs.writeFileSync(path.join(__dirname, 'index.mjs'), js);
fs.writeFileSync(path.join(__dirname, 'index.d.mts'), `export * from './index.js';\n`);
