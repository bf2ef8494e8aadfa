import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

describe('backend', () => {
  it('loads with the requested ISA and threads', () => {
    const info = tg.backendInfo();
    expect(info.isa).toBe(process.env.TAPEGRAD_ISA);
    expect(info.threads).toBe(Number(process.env.TAPEGRAD_NUM_THREADS));
  });
});
