// CommonJS entry of the smoke test (checks.cjs): run from a project that has tapegrad installed.
'use strict';
const tg = require('tapegrad');
const { info, finalLoss } = require('./checks.cjs').run(tg);
console.log(`ok cjs: ${info.addon.replace(/.*node_modules\//, '')} isa=${info.isa} final loss ${finalLoss.toExponential(3)}`);
