#!/usr/bin/env node
// `npx tapegrad demo`: fits a line with the tape and plain gradient descent, then checks the
// gradients of the same loss numerically with gradcheck.
import * as tg from './index';

function demo(): void {
  const info = tg.backendInfo();
  console.log(`tapegrad ${info.version}: ${info.isa}, ${info.threads} threads${info.prebuilt ? ', prebuilt binary' : ''}`);
  tg.manualSeed(0);
  const n = 256;
  const x = tg.rand([n, 1]).mul(4).sub(2);
  const y = x.mul(3).sub(2).add(tg.randn([n, 1]).mul(0.1)); // y = 3x - 2 + noise
  const w = tg.zeros([1, 1], { requiresGrad: true });
  const b = tg.zeros([1], { requiresGrad: true });
  const lr = 0.1;
  const mse = (xs: tg.Tensor, ys: tg.Tensor, wt: tg.Tensor, bt: tg.Tensor) => xs.matmul(wt).add(bt).sub(ys).square().mean();
  console.log('\nFitting y = w·x + b by batch gradient descent (MSE loss, lr 0.1):');
  for (let epoch = 1; epoch <= 200; epoch++) {
    const loss = mse(x, y, w, b);
    w.grad = null;
    b.grad = null;
    loss.backward();
    tg.noGrad(() => {
      w.add_(w.grad!, -lr);
      b.add_(b.grad!, -lr);
    });
    if (epoch === 1 || epoch % 50 === 0) console.log(`  epoch ${String(epoch).padStart(3)}  loss ${loss.item().toFixed(6)}`);
  }
  console.log(`\nFitted w = ${w.item().toFixed(4)} (true 3), b = ${b.item().toFixed(4)} (true -2)`);

  const x64 = x.double();
  const y64 = y.double();
  const report = tg.gradcheckReport((wt: tg.Tensor, bt: tg.Tensor) => mse(x64, y64, wt, bt), [
    w.detach().double().requiresGrad_(),
    b.detach().double().requiresGrad_(),
  ]);
  const worst = Math.max(...report.inputs.map((r) => r.maxAbsError));
  console.log(`gradcheck (float64 central differences vs backward): ${report.ok ? 'passed' : 'FAILED'}, max abs error ${worst.toExponential(2)}`);
}

const cmd = process.argv[2] ?? 'demo';
if (cmd === 'demo') demo();
else {
  console.error(`usage: tapegrad demo`);
  process.exit(2);
}
