// The d3 functions the charts use, in one place. d3's packages are ESM-only; the CommonJS build in
// dist/ replaces this file's compiled output with a self-contained esbuild bundle of them
// (scripts/bundle-d3.mjs), so `require('tapegrad')` works on every Node version from 18 on.
export { scaleLinear, scaleLog } from 'd3-scale';
export { line } from 'd3-shape';
export { contours } from 'd3-contour';
