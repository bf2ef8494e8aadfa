import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tg from 'tapegrad';

const entry = resolve(process.env.TAPEGRAD_TEST_PACKAGE ?? '.', 'dist/index.js');

describe('backend', () => {
  it('loads with the requested ISA and threads', () => {
    const info = tg.backendInfo();
    expect(info.isa).toBe(process.env.TAPEGRAD_ISA);
    expect(info.threads).toBe(Number(process.env.TAPEGRAD_NUM_THREADS));
  });
});

describe('ISA dispatch', () => {
  // The level this CPU should get with no TAPEGRAD_ISA: from the kernel's flags, read independently
  // of the addon's CPUID/XGETBV check.
  function expectedIsa(): string | null {
    if (process.arch !== 'x64') return null;
    let flags: string;
    try {
      flags = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return null;
    }
    const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
    if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'].every(has)) return 'avx512';
    return has('avx2') && has('fma') ? 'avx2' : 'sse2';
  }

  it('picks the best level the CPU and OS support, and TAPEGRAD_ISA forces a lower one', () => {
    const want = expectedIsa();
    if (want === null) return;
    const probe = (isa: string | undefined) => {
      const env = { ...process.env };
      delete env.TAPEGRAD_ISA;
      if (isa !== undefined) env.TAPEGRAD_ISA = isa;
      const r = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(entry)}).backendInfo().isa)`], {
        env,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    expect(existsSync(entry), `${entry} (the CommonJS build npm install makes)`).toBe(true);
    expect(probe(undefined)).toBe(want);
    const levels = ['sse2', 'avx2', 'avx512'];
    for (const isa of levels) {
      const expected = levels.indexOf(isa) <= levels.indexOf(want) ? isa : want;
      expect(probe(isa)).toBe(expected);
    }
  });
});

describe('addon selection', () => {
  it('loads the addon named by TAPEGRAD_ADDON when set (sanitizer and dev builds)', () => {
    const forced = process.env.TAPEGRAD_ADDON;
    const info = tg.backendInfo();
    if (forced) expect(info.addon).toBe(resolve(forced));
    else expect(info.addon).toMatch(/(build[/\\]Release|prebuilds)[/\\].*\.node$/);
  });
});
