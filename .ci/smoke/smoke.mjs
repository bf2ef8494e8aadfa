// ESM entry of the smoke test: the named exports, the default export, and require() from ESM
// give the same module instance, which passes checks.cjs.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tg from 'tapegrad';
import tgDefault from 'tapegrad';

const require = createRequire(import.meta.url);
const cjs = require('tapegrad');
assert.equal(tgDefault, cjs, 'the default export is the CommonJS module');
assert.equal(tg.Tensor, cjs.Tensor, 'one Tensor class for ESM and CommonJS');
const missing = Object.keys(cjs).filter((k) => k !== '__esModule' && !(k in tg));
assert.deepEqual(missing, [], 'CommonJS exports missing from the ESM named exports');
const { info, finalLoss } = require('./checks.cjs').run(tg);
console.log(`ok esm: ${Object.keys(tg).length} exports, isa=${info.isa} final loss ${finalLoss.toExponential(3)}`);
