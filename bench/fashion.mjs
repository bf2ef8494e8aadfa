// W9: Fashion-MNIST end to end, the CNN and the MLP of examples/fashion-mnist-cnn.ts (Adam lr 1e-3, batch
// 64) trained on the 60000 training images and tested on the 10000 test images, at 1 and 2 threads:
// the training wall time and the test accuracy. bench/torch_workloads.py `fashion` runs the PyTorch twin
// (examples/fashion_mnist_cnn_torch.py) on the same data, models, optimizer, batch and epochs.
// BENCH_EPOCHS (default 10; 1 or 2 for a quick run) and BENCH_TRAIN_SIZE (fewer training images) apply
// to both sides. Needs the data (Debian's dataset-fashion-mnist, or BENCH_FASHION_ROOT) and tsx:
//   node --import tsx bench/fashion.mjs
import { run } from '../examples/fashion-mnist-cnn.ts';
import { emit, round, tg } from './lib/harness.mjs';

const epochs = Number(process.env.BENCH_EPOCHS ?? 10);
const trainSize = process.env.BENCH_TRAIN_SIZE ? Number(process.env.BENCH_TRAIN_SIZE) : undefined;
const root = process.env.BENCH_FASHION_ROOT;
for (const threads of [1, 2]) {
  tg.setNumThreads(threads);
  for (const r of await run({ epochs, trainSize, root, log: () => {} })) {
    emit(`W9-fashion-${r.model}`, threads, 'train_time', round(r.trainSeconds), 's');
    emit(`W9-fashion-${r.model}`, threads, 'test_accuracy', round(100 * r.testAccuracy), '%');
  }
}
