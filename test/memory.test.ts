// Large fresh buffers: huge-page advice for tensors of 4 MiB and more, with the same contents as
// any other allocation. Whether the kernel then backs them with huge pages depends on its free
// memory (it fell back once in CI), so only the advice itself is asserted.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';
import { expectError } from './helpers';

function thpMode(): string | null {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

const mode = thpMode();

describe('large tensors', () => {
  it('are zero-filled when created with zeros and computed exactly like small ones', () => {
    const n = 3 << 20; // 12 MiB of float32
    expect(tg.zeros([n]).sum().item()).toBe(0);
    expect(tg.ones([n]).mul(2).sum().item()).toBe(2 * n);
    const x = tg.arange(0, n, 1, { dtype: 'float64' }).sub(n / 2);
    const y = tg.relu(x).data();
    for (const i of [0, 1, n / 2 - 1, n / 2, n / 2 + 1, n - 1]) expect(y[i]).toBe(Math.max(0, i - n / 2));
  });
});

describe('adviseHugePages (native)', () => {
  it.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('validates its argument and reports whether the advice was taken', async () => {
    const { native } = await import('../src/native');
    expectError(() => (native.adviseHugePages as (a: unknown) => boolean)([1, 2]), TypeError, /^adviseHugePages: array must be/);
    expectError(() => (native.adviseHugePages as (...a: unknown[]) => boolean)(), TypeError, /^adviseHugePages\b/);
    // No 2 MiB-aligned interior: nothing to advise.
    expect(native.adviseHugePages(new Float32Array(1024))).toBe(false);
    if (process.platform === 'linux' && (mode === 'madvise' || mode === 'always')) {
      expect(native.adviseHugePages(new Float32Array(4 << 20))).toBe(true);
    }
  });
});
