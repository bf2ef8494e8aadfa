// Writes dist/index.mjs (and its .d.mts) re-exporting the CommonJS build by name, so that
// `import` and `require` share one module instance (one tape, one RNG, one grad mode).
// Names go through local aliases because some (`var`) are reserved words.
import * as fs from 'node:fs';
import * as path from 'node:path';

const names = Object.keys(require('./index')).filter((k) => k !== 'default' && k !== '__esModule');
const js =
  `import tg from './index.js';\n` +
  names.map((n, i) => `const e${i} = tg[${JSON.stringify(n)}];\n`).join('') +
  `export { ${names.map((n, i) => `e${i} as ${n}`).join(', ')} };\n` +
  `export default tg;\n`;
fs.writeFileSync(path.join(__dirname, 'index.mjs'), js);
fs.writeFileSync(
  path.join(__dirname, 'index.d.mts'),
  `import * as tg from './index.js';\nexport * from './index.js';\nexport default tg;\n`,
);
