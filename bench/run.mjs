// `npm run bench`: runs every tapegrad benchmark script in this folder (not compare.mjs, which also
// needs PyTorch; helpers live in lib/); each prints JSON lines
// {"workload", "threads", "metric", "value", "unit"}. Exits non-zero if any script fails.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// fashion.mjs (W9) trains for minutes and runs under tsx: bench/compare.mjs fashion runs it.
const skip = new Set(['run.mjs', 'compare.mjs', 'fashion.mjs']);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && !skip.has(f))
  .sort();
const failed = [];
for (const s of scripts) {
  const r = spawnSync(process.execPath, [join(here, s)], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(`${s} (${r.signal ?? `status ${r.status}`})`);
}
if (failed.length) console.error(`bench: failed: ${failed.join(', ')}`);
process.exit(failed.length ? 1 : 0);
