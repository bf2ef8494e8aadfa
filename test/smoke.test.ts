import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import * as tg from 'tapegrad';

describe('backend', () => {
  it('loads with the requested ISA and threads', () => {
    const info = tg.backendInfo();
    expect(info.isa).toBe(process.env.TAPEGRAD_ISA);
    expect(info.threads).toBe(Number(process.env.TAPEGRAD_NUM_THREADS));
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
