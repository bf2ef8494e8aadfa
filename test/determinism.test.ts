// Results must be bitwise identical for 1 and 2 threads (fixed work blocks, never split by count).
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from 'tapegrad';

function bits(t: tg.Tensor): Buffer {
  const d = t.data();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

function withThreads<T>(n: number, f: () => T): T {
  tg.setNumThreads(n);
  return f();
}

describe('thread-count independence', () => {
  afterAll(() => tg.setNumThreads(Number(process.env.TAPEGRAD_NUM_THREADS ?? 2)));
  const workloads: [string, () => tg.Tensor][] = [
    ['randn', () => (tg.manualSeed(7), tg.randn([300001], { dtype: 'float64' }))],
    ['elementwise', () => (tg.manualSeed(1), tg.rand([200003]).mul(3).exp().tanh())],
    ['broadcast', () => (tg.manualSeed(2), tg.rand([513, 257]).add(tg.rand([257])))],
    ['sum all', () => (tg.manualSeed(3), tg.randn([400001]).sum())],
    ['sum dim 0', () => (tg.manualSeed(4), tg.randn([1000, 301]).sum(0))],
    ['logsumexp dim 1', () => (tg.manualSeed(5), tg.randn([301, 1000]).logsumexp(1))],
    ['matmul f32', () => (tg.manualSeed(6), tg.randn([301, 257]).matmul(tg.randn([257, 1100])))],
    ['matmul f64 transposed', () => (tg.manualSeed(8), tg.randn([200, 300], { dtype: 'float64' }).matmul(tg.randn([310, 300], { dtype: 'float64' }).T))],
    ['backward', () => {
      tg.manualSeed(9);
      const w = tg.randn([300, 400], { requiresGrad: true });
      tg.randn([128, 300]).matmul(w).relu().sum().backward();
      return w.grad!;
    }],
  ];
  for (const [name, f] of workloads) {
    it(name, () => {
      const one = bits(withThreads(1, f));
      const two = bits(withThreads(2, f));
      expect(one.equals(two)).toBe(true);
    });
  }
});

describe('thread pool', () => {
  it('survives resizing between jobs (a new worker must not replay an old job)', () => {
    for (let i = 0; i < 1500; i++) {
      tg.setNumThreads(1 + (i % 2));
      tg.rand([40000]).exp();
    }
    tg.setNumThreads(Number(process.env.TAPEGRAD_NUM_THREADS ?? 2));
    expect(tg.getNumThreads()).toBe(Number(process.env.TAPEGRAD_NUM_THREADS ?? 2));
  });
});
