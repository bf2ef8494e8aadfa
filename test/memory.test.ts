// Tensor buffers: small and medium ones share slabs, outputs are not zero-filled first, and large
// fresh buffers get huge-page advice. Whether the kernel then backs them with huge pages depends on
// its free memory (it fell back once in CI), so only the advice itself is asserted.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
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

describe('tensor buffers', () => {
  // Sizes around the slab limits (64 B, 4 KiB, 16 KiB slabs), float32 (even places) and float64 (odd
  // places) interleaved so that odd float32 sizes are followed by float64 views (which need 8-byte
  // aligned offsets).
  const sizes = [1, 15, 16, 17, 255, 1023, 1024, 512, 1025, 513, 5000, 3, 16383, 7];

  it('never overlap, whatever mix of sizes and dtypes is allocated', () => {
    const made: { t: tg.Tensor; v: number }[] = [];
    for (let round = 0; round < 40; round++) {
      for (const [i, n] of sizes.entries()) {
        const v = round * 100 + i + 0.5;
        const dtype = i % 2 ? 'float64' : 'float32';
        // full() fills an uninitialised buffer; mul() writes a fresh op output.
        made.push({ t: tg.full([n], v, { dtype }), v });
        made.push({ t: tg.ones([n], { dtype }).mul(v), v });
      }
    }
    for (const { t, v } of made) {
      const d = t.data();
      expect(d.every((x) => x === v)).toBe(true);
    }
  });

  it('of 2 MiB and more (started on a huge-page boundary) hold their values too', () => {
    const made = [600_000, 1 << 19, 3_000_001].flatMap((n, i) => [
      { t: tg.full([n], i + 0.5), v: i + 0.5 },
      { t: tg.full([n], -i - 1, { dtype: 'float64' }), v: -i - 1 },
      { t: tg.full([n], 7 + i, { dtype: 'int32' }), v: 7 + i },
    ]);
    for (const { t, v } of made) {
      const d = t.data();
      expect(d.length).toBe(t.size);
      expect(d.every((x) => x === v)).toBe(true);
    }
  });

  it('zeros() is zero after uninitialised buffers held other values', () => {
    for (let round = 0; round < 20; round++) {
      for (const n of sizes) tg.full([n], NaN).add(1); // garbage, dropped at once
      for (const n of [...sizes, 1 << 16]) {
        for (const dtype of ['float32', 'float64', 'int32'] as const) {
          expect(tg.zeros([n], { dtype }).data().every((x) => Object.is(x, 0))).toBe(true);
        }
      }
    }
    expect(Object.is(tg.full([3], -0).data()[0], -0)).toBe(true);
  });

  it.skipIf(!!process.env.TAPEGRAD_TEST_PACKAGE)('TAPEGRAD_POISON=1 fills uninitialised buffers with NaN (int32: INT32_MIN)', async () => {
    vi.stubEnv('TAPEGRAD_POISON', '1');
    vi.resetModules();
    try {
      const { allocate, allocateUninit } = await import('../src/alloc');
      for (const n of [1, 16, 100, 3000, 100_000]) {
        expect(allocateUninit('float32', n).every((x) => Number.isNaN(x))).toBe(true);
        expect(allocateUninit('float64', n).every((x) => Number.isNaN(x))).toBe(true);
        expect(allocateUninit('int32', n).every((x) => x === -2147483648)).toBe(true);
        expect(allocate('float32', n).every((x) => x === 0)).toBe(true);
      }
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
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
    // hugePageOffset: where `bytes` can start on a 2 MiB boundary inside the buffer, or -1.
    const hpo = native.hugePageOffset as (...a: unknown[]) => number;
    expectError(() => hpo(new Uint8Array(16), 4), TypeError, /^hugePageOffset: array must be/);
    expectError(() => hpo(new Int32Array(16), 65), RangeError, /^hugePageOffset: bytes/);
    expect(hpo(new Int32Array(16), 64)).toBe(-1);
    const big = new Int32Array((3 << 20) / 4);
    const off = hpo(big, 1 << 20);
    expect(off >= 0 && off < 2 << 20 && off % 16 === 0).toBe(true); // malloc aligns to 16 bytes
  });
});
