// W6: a small CNN on MNIST-sized input; time per training step (forward + backward + zeroing grads),
// 1 and 2 threads, float32. Batch 64 of [1, 28, 28]:
//   conv3x3 1→32 pad 1, ReLU, maxpool 2, conv3x3 32→64 pad 1, ReLU, maxpool 2, flatten,
//   linear 3136→10, cross-entropy.
// There is no optimizer step in the timed loop (tg.optim is not in this branch): add `opt.step()` to
// both this script and torch_workloads.py's cnn() once it lands. Each point: 7 timed batches of
// ≥ 0.3 s after warm-up, median (bench/lib/harness.mjs); also the time of the forward pass alone.
import { emit, round, tg, timePerCall } from './lib/harness.mjs';

const nn = tg.nn;
const F = tg.nn.functional;

function model() {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(64 * 7 * 7, 10),
  );
}

for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  tg.manualSeed(0);
  const net = model();
  const x = tg.rand([64, 1, 28, 28]);
  const y = tg.randint(0, 10, [64]);
  let loss;
  const step = () => {
    loss = F.crossEntropy(net.forward(x), y);
    loss.backward();
    net.zeroGrad();
  };
  const fwd = () => tg.noGrad(() => F.crossEntropy(net.forward(x), y));
  emit('W6-cnn', threads, 'step_time', round(timePerCall(step, { warmup: 0.5, batches: 7, minBatch: 0.3 }) * 1e3), 'ms');
  emit('W6-cnn-forward', threads, 'step_time', round(timePerCall(fwd, { warmup: 0.3, batches: 7, minBatch: 0.3 }) * 1e3), 'ms');
}
