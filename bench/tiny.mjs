// W3: tiny models, where per-op overhead dominates; steps/s (forward, backward, update), 1 and 2 threads.
//   linreg  2→1 linear regression, MSE, batch 32, plain SGD lr 0.01
//   mlp     2→16→16→1 with tanh, MSE, batch 32, SGD lr 0.01 with momentum 0.9
// Updates by tg.optim.SGD (one fused native call per parameter), grads zeroed with zeroGrad() (set to
// null), as the PyTorch side does. Data: 32 fixed seeded batches, cycled. Warm-up runs for at least 1 s
// and 200 steps (V8 compiles the hot paths in tiers, and the first timed run was 3x slower after 200
// steps alone); then 5 timed runs of 5000 steps, the median reported, with the loss after the last
// step as a sanity check.
import { emit, now, round, tg } from './lib/harness.mjs';

const BATCH = 32;
const NBATCHES = 32;
const STEPS = 5000;
const RUNS = 5;
const WARMUP_S = 1;
const lr = 0.01;

function makeData(target) {
  const xs = [];
  const ys = [];
  for (let i = 0; i < NBATCHES; i++) {
    const x = tg.randn([BATCH, 2]);
    xs.push(x);
    ys.push(tg.noGrad(() => target(x)));
  }
  return { xs, ys };
}
const param = (shape, scale) => tg.randn(shape).mul(scale).requiresGrad_(true);
const mse = (pred, y) => pred.sub(y).square().mean();

function linreg() {
  const trueW = tg.tensor([[2], [-3]]);
  const { xs, ys } = makeData((x) => x.matmul(trueW).add(0.5));
  const w = param([2, 1], 0.1);
  const b = param([1], 0.1);
  const opt = new tg.optim.SGD([w, b], { lr });
  let loss;
  const step = (i) => {
    loss = mse(xs[i % NBATCHES].matmul(w).add(b), ys[i % NBATCHES]);
    loss.backward();
    opt.step();
    opt.zeroGrad();
  };
  return { step, loss: () => loss.item() };
}

function mlp() {
  const { xs, ys } = makeData((x) => tg.sin(x.slice(1, 0, 1).mul(1.5)).mul(tg.tanh(x.slice(1, 1, 2))));
  const params = [param([2, 16], 0.5), param([16], 0.1), param([16, 16], 0.25), param([16], 0.1), param([16, 1], 0.25), param([1], 0.1)];
  const [w1, b1, w2, b2, w3, b3] = params;
  const opt = new tg.optim.SGD(params, { lr, momentum: 0.9 });
  let loss;
  const step = (i) => {
    const h1 = tg.tanh(xs[i % NBATCHES].matmul(w1).add(b1));
    const h2 = tg.tanh(h1.matmul(w2).add(b2));
    loss = mse(h2.matmul(w3).add(b3), ys[i % NBATCHES]);
    loss.backward();
    opt.step();
    opt.zeroGrad();
  };
  return { step, loss: () => loss.item() };
}

for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  for (const [workload, make] of [
    ['W3-linreg', linreg],
    ['W3-mlp', mlp],
  ]) {
    tg.manualSeed(1);
    const model = make();
    let i = 0;
    const w0 = now();
    for (let k = 0; k < 200 || now() - w0 < WARMUP_S; k++) model.step(i++);
    const rates = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = now();
      for (let k = 0; k < STEPS; k++) model.step(i++);
      rates.push(STEPS / (now() - t0));
    }
    rates.sort((x, y) => x - y);
    emit(workload, threads, 'steps_per_s', round(rates[RUNS >> 1]), 'steps/s');
    emit(workload, threads, 'final_loss', round(model.loss()), 'mse');
  }
}
