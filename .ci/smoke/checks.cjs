// The smoke test run against the installed tarball on each Node version, Bun and Deno
// (.ci/runtimes.sh): load, a few training steps compared with the same steps written out in plain
// JavaScript, a gradcheck that passes and one that must fail. `tg` is the module under test
// (require('tapegrad') or the ESM namespace).
'use strict';
const assert = require('node:assert/strict');

function run(tg) {
  const info = tg.backendInfo();
  if (process.env.SMOKE_EXPECT_PREBUILT === '1') assert.equal(info.prebuilt, true, `backendInfo().prebuilt (${info.addon})`);
  if (process.env.TAPEGRAD_NUM_THREADS) assert.equal(info.threads, Number(process.env.TAPEGRAD_NUM_THREADS), 'backendInfo().threads');

  // Linear regression y = 2x - 1, float64, MSE, SGD with momentum: 20 steps.
  const xs = [-1, -0.5, 0, 0.5, 1, 1.5];
  const ys = xs.map((x) => 2 * x - 1);
  const [w0, b0, lr, momentum, steps] = [0.5, 0.25, 0.1, 0.5, 20];
  const model = new tg.nn.Linear(1, 1).to('float64');
  tg.noGrad(() => {
    model.weight.fill_(w0);
    model.bias.fill_(b0);
  });
  const opt = new tg.optim.SGD(model.parameters(), { lr, momentum });
  const x = tg.tensor(xs.map((v) => [v]), { dtype: 'float64' });
  const y = tg.tensor(ys.map((v) => [v]), { dtype: 'float64' });
  const losses = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    const loss = tg.nn.functional.mseLoss(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  // The same steps by hand: dL/dw = 2/N sum(r x), dL/db = 2/N sum(r), r = w x + b - y;
  // PyTorch's momentum: buf = g on the first step, then buf = momentum buf + g; p -= lr buf.
  let [w, b, bw, bb] = [w0, b0, 0, 0];
  const expected = [];
  for (let i = 0; i < steps; i++) {
    const r = xs.map((v, k) => w * v + b - ys[k]);
    expected.push(r.reduce((s, v) => s + v * v, 0) / xs.length);
    const gw = (2 / xs.length) * r.reduce((s, v, k) => s + v * xs[k], 0);
    const gb = (2 / xs.length) * r.reduce((s, v) => s + v, 0);
    [bw, bb] = i === 0 ? [gw, gb] : [momentum * bw + gw, momentum * bb + gb];
    w -= lr * bw;
    b -= lr * bb;
  }
  const close = (a, e, what) => assert.ok(Math.abs(a - e) <= 1e-12 * Math.max(1, Math.abs(e)), `${what}: ${a} != ${e}`);
  losses.forEach((l, i) => close(l, expected[i], `loss at step ${i}`));
  close(model.weight.item(), w, 'weight after training');
  close(model.bias.item(), b, 'bias after training');
  assert.ok(losses[steps - 1] < losses[0] / 10, `loss did not fall: ${losses}`);

  // A float32 matmul large enough for the blocked GEMM, against a plain triple loop.
  const [m, k, n] = [33, 70, 21];
  const av = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const bv = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
  const c = tg.matmul(tg.tensor(av, { shape: [m, k] }), tg.tensor(bv, { shape: [k, n] })).data();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += av[i * k + q] * bv[q * n + j];
      assert.ok(Math.abs(c[i * n + j] - s) <= 1e-4, `matmul [${i}, ${j}]: ${c[i * n + j]} != ${s}`);
    }
  }

  // gradcheck passes on a correct graph and fails on an op whose backward is wrong.
  const a = tg.tensor([[0.3, -1.2], [0.8, 0.1]], { dtype: 'float64', requiresGrad: true });
  const bm = tg.tensor([[1.5, -0.4], [0.2, 0.9]], { dtype: 'float64', requiresGrad: true });
  assert.equal(tg.gradcheck((p, q) => tg.matmul(p, q).tanh().mul(p.sin()).sum(), [a, bm]), true);
  const badSin = tg.defineOp('badSin', {
    forward(ctx, t) {
      ctx.save(t);
      return t.sin();
    },
    backward(ctx, g) {
      return [g.mul(ctx.saved[0].cos()).mul(1.01)];
    },
  });
  assert.equal(tg.gradcheck((p) => badSin(p).sum(), [a], { raiseException: false }), false, 'gradcheck accepted a wrong backward');
  return { info, finalLoss: losses[steps - 1] };
}

module.exports = { run };
