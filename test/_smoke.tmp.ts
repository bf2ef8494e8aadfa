import * as tg from '/work/wt/hostile/src/index';
const e = () => tg.zeros([2, 0]);
for (const [n, f] of [['mean1', () => e().mean(1)], ['mean', () => e().mean()], ['prod1', () => e().prod(1)], ['prod', () => e().prod()], ['lse1', () => e().logsumexp(1)], ['lse', () => e().logsumexp([0, 1])],
  ['var1', () => e().var(1)], ['std', () => e().std()], ['norm', () => e().norm()], ['norm1', () => e().norm(2, 1)], ['sum1', () => e().sum(1)], ['sm', () => tg.nn.functional.softmax(e(), 1)], ['lsm', () => tg.nn.functional.logSoftmax(e(), 1)]] as [string, () => tg.Tensor][]) {
  try { const r = f(); console.log(n, JSON.stringify(r.shape), JSON.stringify(Array.from(r.data()))); } catch (err) { console.log(n, (err as Error).message); }
}
const x = tg.zeros([2, 0], { requiresGrad: true });
tg.nn.functional.softmax(x, 1).sum().backward(); console.log('grad', x.grad!.shape);
