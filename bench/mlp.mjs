// W2: MLP training step 784→512→256→10, ReLU, cross-entropy (mean), batch 128, Adam lr 1e-3, on fixed
// random data (16 batches, cycled): steps/s over 200 steps after 20 warm-up steps (forward, backward,
// zeroGrad, step), median of 3 runs, for 1 and 2 threads; then the process's peak RSS.
import { emit, now, round, tg } from './lib/harness.mjs';

const { nn } = tg;
const BATCH = 128;
const WARMUP = 20;
const STEPS = 200;
const RUNS = 3;

tg.manualSeed(0);
const data = Array.from({ length: 16 }, () => [tg.randn([BATCH, 784]), tg.randint(0, 10, [BATCH])]);

function trainSteps(threads) {
  tg.setNumThreads(threads);
  tg.manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(784, 512), new nn.ReLU(), new nn.Linear(512, 256), new nn.ReLU(), new nn.Linear(256, 10));
  const opt = new tg.optim.Adam(model.parameters(), { lr: 1e-3 });
  let loss;
  const step = (i) => {
    const [x, y] = data[i % data.length];
    opt.zeroGrad();
    loss = nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
  };
  for (let i = 0; i < WARMUP; i++) step(i);
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = now();
    for (let i = 0; i < STEPS; i++) step(i);
    rates.push(STEPS / (now() - t0));
  }
  rates.sort((a, b) => a - b);
  emit('W2-mlp-adam', threads, 'steps_per_s', round(rates[1]), 'steps/s');
  emit('W2-mlp-adam', threads, 'final_loss', round(loss.item()), 'nats');
}

for (const t of [1, 2]) trainSteps(t);
emit('W2-mlp-adam', 2, 'peak_rss', round(process.resourceUsage().maxRSS / 1024), 'MiB');
