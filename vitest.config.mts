// The suite runs once per instruction set this CPU supports and with 1 and 2 threads.
// TAPEGRAD_TEST_PACKAGE points the `tapegrad` import at an installed package instead of src/.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

function isaLevels(): string[] {
  if (process.env.TAPEGRAD_TEST_ISAS) return process.env.TAPEGRAD_TEST_ISAS.split(',');
  if (process.arch === 'arm64') return ['neon'];
  if (process.arch !== 'x64') return ['scalar'];
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ['sse2'];
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  if (!(has('avx2') && has('fma'))) return ['sse2'];
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'].every(has)) return ['sse2', 'avx2', 'avx512'];
  return ['sse2', 'avx2'];
}

const here = dirname(fileURLToPath(import.meta.url));

const target = process.env.TAPEGRAD_TEST_PACKAGE
  ? resolve(process.env.TAPEGRAD_TEST_PACKAGE, 'dist/index.mjs')
  : resolve(here, 'src/index.ts');

const threads = (process.env.TAPEGRAD_TEST_THREADS ?? '1,2').split(',');

export default defineConfig({
  resolve: { alias: { tapegrad: target } },
  test: {
    testTimeout: 120_000,
    // .ci/run sets TAPEGRAD_TEST_JSON to read the totals; `npm test` itself stays the same command.
    reporters: process.env.TAPEGRAD_TEST_JSON
      ? ['default', ['json', { outputFile: process.env.TAPEGRAD_TEST_JSON }]]
      : ['default'],
    projects: isaLevels().flatMap((isa) =>
      threads.map((t) => ({
        extends: true,
        test: {
          name: `${isa}-t${t}`,
          include: ['test/**/*.test.ts'],
          env: { TAPEGRAD_ISA: isa, TAPEGRAD_NUM_THREADS: t },
        },
      })),
    ),
  },
});
