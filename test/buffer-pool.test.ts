// The pool of 1–32 MiB uninitialised buffers (native/kernels/buffer_pool.cc, used by allocateUninit):
// live buffers never share memory, a region is reused only after GC collected its ArrayBuffer,
// nothing that keeps or copies a buffer (views, structuredClone, postMessage, worker threads) can
// see it reused, and the pool stays within its bound over a long loop.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as tg from 'tapegrad';
import type * as NativeModule from '../src/native';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const MiB = 1 << 20;
const pooled = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer !== 'function';
// The pool is the addon's internals: tested from the source tree (with the addon tg uses); the
// installed package's run (pack-check) skips this file rather than load a second addon.
const fromSource = !process.env.TAPEGRAD_TEST_PACKAGE;
let native: typeof NativeModule.native;
let addonFile: typeof NativeModule.addonFile;

// Fills a fresh pooled buffer with `v` (as int32, one write per 4 bytes is enough to see aliasing).
function take(bytes: number, v: number): Int32Array {
  const ab = native.uninitBuffer(bytes);
  if (!ab) throw new Error(`uninitBuffer(${bytes}) gave nothing: ${JSON.stringify(native.bufferPoolStats())}`);
  expect(ab.byteLength).toBe(bytes);
  return new Int32Array(ab).fill(v);
}

const holds = (a: Int32Array, v: number) => a.every((x) => x === v);

describe.runIf(fromSource && pooled)('buffer pool', () => {
  beforeAll(async () => {
    ({ native, addonFile } = await import('../src/native'));
  });
  it('rejects sizes outside 1–32 MiB by name', () => {
    expect(() => native.uninitBuffer(MiB - 4)).toThrow(/^uninitBuffer: bytes/);
    expect(() => native.uninitBuffer(32 * MiB + 4)).toThrow(/^uninitBuffer: bytes/);
  });

  it('gives live buffers of every size class their own memory', () => {
    gc();
    const sizes = [MiB, MiB + 4, 2 * MiB - 4, 2 * MiB, 3 * MiB + 12, 4_000_000, 4 * MiB, 9 * MiB + 64, 32 * MiB];
    const live = sizes.map((b, i) => ({ a: take(b, i + 1), v: i + 1 }));
    // Churn (and collect) other buffers of the same sizes while these are alive.
    for (let round = 0; round < 3; round++) {
      for (const b of sizes.slice(0, 6)) take(b, -1);
      gc();
    }
    const again = sizes.map((b, i) => ({ a: take(b, 100 + i), v: 100 + i }));
    for (const { a, v } of [...live, ...again]) expect(holds(a, v)).toBe(true);
  });

  it('reuses a region once GC has collected its ArrayBuffer, and never one that is still reachable', () => {
    gc();
    const kept = take(4 * MiB, 7);
    const view = Buffer.from(take(4 * MiB, 8).buffer); // only a Buffer view keeps this one
    const wrapped = new Float32Array(take(4 * MiB, 9).buffer, 4 * MiB - 16, 4); // only a small view
    const before = native.bufferPoolStats().reused;
    for (let i = 0; i < 20; i++) {
      take(4 * MiB, -i - 1);
      if (i % 4 === 3) gc();
    }
    expect(native.bufferPoolStats().reused).toBeGreaterThan(before);
    expect(holds(kept, 7)).toBe(true);
    expect(view.every((x, i) => x === (i % 4 === 0 ? 8 : 0))).toBe(true);
    expect(new Int32Array(wrapped.buffer, wrapped.byteOffset, 4).every((x) => x === 9)).toBe(true);
  });

  it('is copied, never moved, by structuredClone and postMessage with a transfer list', async () => {
    const a = take(2 * MiB, 5);
    const c = structuredClone(a, { transfer: [a.buffer] });
    expect(a.buffer.byteLength).toBe(2 * MiB); // not detached
    c.fill(6);
    expect(holds(a, 5)).toBe(true);
    const echo = new Worker(`require('node:worker_threads').parentPort.on('message', (m) => { m.fill(3); process.exit(0); });`, { eval: true });
    const done = new Promise((r) => echo.on('exit', r));
    echo.postMessage(a, [a.buffer]);
    await done;
    expect(a.buffer.byteLength).toBe(2 * MiB);
    gc();
    for (let i = 0; i < 10; i++) take(2 * MiB, -1);
    expect(holds(a, 5)).toBe(true);
  });

  it('keeps buffers apart across worker threads, and gets a worker’s regions back when it exits', async () => {
    const body = `
      const { parentPort, workerData } = require('node:worker_threads');
      const native = require(workerData.addon);
      const collect = require('node:vm').runInNewContext('gc');
      const live = [];
      for (let i = 0; i < 60; i++) {
        const ab = native.uninitBuffer(workerData.bytes);
        if (!ab) throw new Error('pool refused: ' + JSON.stringify(native.bufferPoolStats()));
        const a = new Int32Array(ab).fill(workerData.tag + i);
        if (i % 10 === 0) live.push([a, workerData.tag + i]);
        if (i % 4 === 3) collect();
      }
      parentPort.postMessage(live.every(([a, v]) => a.every((x) => x === v)));
    `;
    const run = (tag: number) =>
      new Promise<boolean>((resolve, reject) => {
        const w = new Worker(body, { eval: true, workerData: { addon: addonFile, bytes: 3 * MiB, tag } });
        let ok = false;
        w.on('message', (m: boolean) => (ok = m));
        w.on('error', reject);
        w.on('exit', () => resolve(ok));
      });
    gc();
    take(MiB, 0); // returns this thread's collected regions to the pool
    const mine = Array.from({ length: 4 }, (_, i) => take(3 * MiB, -100 - i));
    const results = await Promise.all([run(1000), run(2000)]);
    expect(results).toEqual([true, true]);
    mine.forEach((a, i) => expect(holds(a, -100 - i)).toBe(true));
    const s = native.bufferPoolStats();
    // The workers held 6 buffers each when they exited: those regions are free again, so what is not
    // free is only this thread’s live list: its 1 MiB and four 3 MiB buffers, in regions of 1 MiB and
    // 4 MiB (whole huge pages), at most 1/8 larger when reused (the workers' 12 would add 48 MiB).
    expect(s.live).toBe(5);
    const held = s.mappedBytes - s.freeBytes;
    expect(held).toBeGreaterThanOrEqual(17 * MiB);
    expect(held).toBeLessThanOrEqual((17 * MiB * 9) / 8);
  });

  it('stays within its bound over a long loop that never yields to the event loop', () => {
    const rss0 = process.memoryUsage().rss;
    const reused0 = native.bufferPoolStats().reused;
    const t = tg.randn([1_000_000]);
    for (let i = 0; i < 400; i++) {
      const y = i % 2 ? t.clone() : tg.relu(t);
      if (i % 97 === 0) expect(y.data()[12345]).toBe(i % 2 ? t.data()[12345] : Math.max(0, t.data()[12345]));
    }
    const s = native.bufferPoolStats();
    expect(s.mappedBytes).toBeLessThanOrEqual(s.maxBytes);
    expect(s.reused).toBeGreaterThan(reused0); // op outputs come from the pool
    // Everything else the loop allocated was ordinary GC-freed memory: far less than 400 x 4 MB.
    expect(process.memoryUsage().rss - rss0).toBeLessThan(s.maxBytes + 256 * MiB);
  });

  it('still poisons reused buffers under TAPEGRAD_POISON=1', async () => {
    vi.stubEnv('TAPEGRAD_POISON', '1');
    vi.resetModules();
    try {
      const { allocateUninit } = await import('../src/alloc');
      const reused0 = native.bufferPoolStats().reused;
      for (let i = 0; i < 12; i++) {
        const a = allocateUninit(i % 2 ? 'float32' : 'int32', 400_000);
        expect(a.every((x) => (i % 2 ? Number.isNaN(x) : x === -2147483648))).toBe(true);
        a.fill(1);
        if (i % 3 === 2) gc();
      }
      expect(native.bufferPoolStats().reused).toBeGreaterThan(reused0);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
