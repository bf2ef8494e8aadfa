// W-mem: build a loss and drop it without backward, 100k times; memory must stay flat because
// the graph is garbage once unreachable. Prints JSON lines {"workload","threads","metric","value","unit"}:
// RSS and heap at the start and the end.
import { createRequire } from 'node:module';
const tg = createRequire(import.meta.url)('../dist/index.js');

const steps = Number(process.argv[2] ?? 100_000);
const x = tg.randn([32, 64]);
const w = tg.randn([64, 16], { requiresGrad: true });
const b = tg.zeros([16], { requiresGrad: true });
const step = (withBackward) => {
  const loss = x.matmul(w).add(b).relu().square().mean();
  if (withBackward) {
    loss.backward();
    w.grad = null;
    b.grad = null;
  }
};
const mb = (n) => Math.round((n / 2 ** 20) * 10) / 10;
const threads = tg.getNumThreads(); // not varied here: reported so every bench line has the same fields
const emit = (workload, metric, value, unit) => console.log(JSON.stringify({ workload, threads, metric, value, unit }));

for (const withBackward of [false, true]) {
  const name = withBackward ? 'graph-with-backward' : 'graph-dropped';
  for (let i = 0; i < 2000; i++) step(withBackward); // warm up the JIT and the allocator
  const start = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) step(withBackward);
  const t1 = process.hrtime.bigint();
  const end = process.memoryUsage();
  emit(name, 'steps', steps, 'count');
  emit(name, 'rss_start', mb(start.rss), 'MiB');
  emit(name, 'rss_end', mb(end.rss), 'MiB');
  emit(name, 'heap_start', mb(start.heapUsed), 'MiB');
  emit(name, 'heap_end', mb(end.heapUsed), 'MiB');
  emit(name, 'time_per_step', Number(t1 - t0) / steps / 1000, 'us');
}
