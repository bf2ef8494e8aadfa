// The worker_threads side of test/workers.test.ts. Inside a Worker it loads the CommonJS build of the
// package under test and runs workerData.task; the test also requires this file on the main thread
// to run the same training there through the `tapegrad` import the other tests use.
'use strict';
const { isMainThread, parentPort, workerData } = require('node:worker_threads');

// Five full-batch Adam steps of a seeded 64-32-10 MLP on 512 of the digits; the parameters' bytes.
function trainDigits(tg) {
  tg.manualSeed(20240917);
  const { x, y } = tg.datasets.digits();
  const xs = x.narrow(0, 0, 512).div(16);
  const ys = y.narrow(0, 0, 512);
  const model = new tg.nn.Sequential(new tg.nn.Linear(64, 32), new tg.nn.ReLU(), new tg.nn.Linear(32, 10));
  const opt = new tg.optim.Adam(model.parameters(), { lr: 0.01 });
  const losses = [];
  for (let step = 0; step < 5; step++) {
    opt.zeroGrad();
    const loss = tg.nn.functional.crossEntropy(model.forward(xs), ys);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  const params = [...model.parameters()].map((p) => {
    const d = p.data();
    return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
  });
  return { params, losses };
}

const tasks = {
  train(tg) {
    parentPort.postMessage(trainDigits(tg));
  },
  // Announces itself, then multiplies 768x768 matrices until terminated: the terminate lands while
  // the addon is inside a gemm call almost all of the time.
  spin(tg) {
    tg.manualSeed(5);
    const a = tg.randn([768, 768]);
    parentPort.postMessage('spinning');
    for (;;) a.matmul(a);
  },
  // Takes its own thread count and seed, then answers each message with what it sees.
  own(tg, { threads, seed }) {
    tg.setNumThreads(threads);
    const gen = tg.manualSeed(seed); // the default generator
    parentPort.postMessage({ set: true });
    parentPort.on('message', () => {
      const state = gen.getState();
      parentPort.postMessage({ threads: tg.getNumThreads(), state, draw: Array.from(tg.rand([4]).data()) });
    });
  },
};

if (!isMainThread && workerData && workerData.tapegradWorkerTask) {
  tasks[workerData.tapegradWorkerTask](require(workerData.entry), workerData.args);
}

module.exports = { trainDigits };
