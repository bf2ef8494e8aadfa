#!/usr/bin/python3
"""PyTorch versions of tapegrad's bench workloads (W1 gemm (the faster of torch and numpy, both OpenBLAS),
W2 mlp, W3 tiny, W4 elementwise, W6 cnn, W7 overhead, W8 reduce, W9 fashion (only when named)),
for bench/compare.mjs. Prints the same JSON lines as the .mjs scripts:
{"workload", "threads", "metric", "value", "unit"}, with the same workload names and timing method
(warm-up, then 5 timed batches of >= 0.1 s each, the median batch's time per call).

Usage: /usr/bin/python3 bench/torch_workloads.py [gemm|elementwise|overhead|tiny|cnn|mlp|reduce|fashion ...]  (default: all but fashion)
"""
import ctypes
import json
import math
import os
import sys
import time

import torch

now = time.perf_counter


def _find_openblas():
    """torch.set_num_threads does not reach Debian's OpenBLAS (libopenblas0-pthread has its own
    thread pool), so GEMM would use every core even at "1 thread". Find the loaded OpenBLAS."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line and line.split()[-1].startswith("/")})
    except OSError:
        paths = []
    for path in paths + ["libopenblas.so.0", "libblas.so.3"]:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_set_num_threads  # noqa: B018 (raises AttributeError when absent)
            return lib
        except (OSError, AttributeError):
            continue
    return None


_openblas = _find_openblas()


def set_threads(n):
    torch.set_num_threads(n)
    if _openblas is not None:
        _openblas.openblas_set_num_threads(ctypes.c_int(n))


def emit(workload, threads, metric, value, unit):
    print(json.dumps({"workload": workload, "threads": threads, "metric": metric, "value": value, "unit": unit}), flush=True)


def rnd(x, sig=4):
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, sig - 1 - int(math.floor(math.log10(abs(x)))))


def time_per_call(fn, warmup=0.15, batches=5, min_batch=0.1, min_calls=0):
    calls = 0
    w0 = now()
    while calls < 2 or now() - w0 < warmup:
        fn()
        calls += 1
    est = (now() - w0) / calls
    reps = max(1, math.ceil(min_batch / est), math.ceil(min_calls / batches))
    times = []
    for _ in range(batches):
        t0 = now()
        for _ in range(reps):
            fn()
        times.append((now() - t0) / reps)
    times.sort()
    return times[len(times) // 2]


def gemm():
    torch.manual_seed(0)
    cases = [(f"W1-sgemm-{n}", n, torch.float32, False) for n in (64, 256, 1024, 2048)]
    cases += [("W1-dgemm-1024", 1024, torch.float64, False), ("W1-sgemm-xWT-1024", 1024, torch.float32, True)]
    for threads in (1, 2):
        set_threads(threads)
        for workload, n, dtype, trans_b in cases:
            a = torch.randn(n, n, dtype=dtype)
            w = torch.randn(n, n, dtype=dtype)
            b = w.t() if trans_b else w
            sec = time_per_call(lambda: torch.matmul(a, b))
            # The bar is OpenBLAS itself: numpy's matmul on the same data calls the same
            # OpenBLAS without torch's OpenMP pool in its way; the faster of the two is reported.
            an, bn = a.numpy(), b.numpy()
            sec = min(sec, time_per_call(lambda: an @ bn))
            emit(workload, threads, "gflops", rnd(2 * n**3 / sec / 1e9), "GFLOP/s")


def elementwise():
    torch.manual_seed(0)
    for threads in (1, 2):
        set_threads(threads)
        for n, label in ((1_000_000, "1e6"), (16_000_000, "16e6")):
            a = torch.randn(n)
            b = torch.randn(n)
            c = torch.randn(n)
            d = torch.zeros(n)
            ones = torch.ones(n)
            ops = [
                ("copy", 8 * n, lambda: a.clone()),
                ("copy-inplace", 8 * n, lambda: d.copy_(a)),
                ("mul-add", 24 * n, lambda: a * b + a),
                ("relu", 8 * n, lambda: torch.relu(a)),
                ("mul-inplace", 12 * n, lambda: c.mul_(ones)),
            ]
            ref = {}
            for name, nbytes, fn in ops:
                gbs = nbytes / time_per_call(fn) / 1e9
                ref[name] = gbs
                workload = f"W4-{name}-{label}"
                emit(workload, threads, "bandwidth", rnd(gbs), "GB/s")
                if name != "copy":
                    emit(workload, threads, "fraction_of_copy", rnd(gbs / ref["copy"], 3), "ratio")
                if name not in ("copy", "copy-inplace"):
                    emit(workload, threads, "fraction_of_copy_inplace", rnd(gbs / ref["copy-inplace"], 3), "ratio")


def reduce():
    # W8, as bench/reduce.mjs: GB/s of float32 input read per call.
    torch.manual_seed(0)
    x = torch.randn(4096, 1024)
    v = torch.randn(16_000_000)
    cases = [
        ("sum-dim0-4096x1024", x.numel(), lambda: x.sum(0)),
        ("sum-dim1-4096x1024", x.numel(), lambda: x.sum(1)),
        ("max-dim1-4096x1024", x.numel(), lambda: x.amax(1)),
        ("sum-all-16e6", v.numel(), lambda: v.sum()),
    ]
    for threads in (1, 2):
        set_threads(threads)
        for name, n, fn in cases:
            emit(f"W8-reduce-{name}", threads, "bandwidth", rnd(4 * n / time_per_call(fn) / 1e9), "GB/s")


def overhead():
    # threads do not matter here; compare.mjs passes tapegrad's count so the lines pair up
    threads = int(os.environ.get("BENCH_THREADS", torch.get_num_threads()))
    set_threads(threads)
    a = torch.tensor([1.5])
    b = torch.tensor([2.5])
    ag = torch.tensor([1.5], requires_grad=True)
    m1 = torch.tensor([[1.5]])
    m2 = torch.tensor([[2.5]])
    opts = dict(min_calls=200_000, warmup=0.2)

    def nograd():
        with torch.no_grad():
            return time_per_call(lambda: torch.add(a, b), **opts)

    cases = [
        ("W7-add-nograd", nograd),
        ("W7-add-plain", lambda: time_per_call(lambda: torch.add(a, b), **opts)),
        ("W7-add-record", lambda: time_per_call(lambda: torch.add(ag, b), **opts)),
        ("W7-matmul-1x1", lambda: time_per_call(lambda: torch.matmul(m1, m2), **opts)),
    ]
    for workload, run in cases:
        emit(workload, threads, "time_per_op", rnd(run() * 1e9), "ns")


BATCH, NBATCHES, STEPS, RUNS, LR = 32, 32, 5000, 5, 0.01


def make_data(target):
    xs = [torch.randn(BATCH, 2) for _ in range(NBATCHES)]
    with torch.no_grad():
        ys = [target(x) for x in xs]
    return xs, ys


def param(shape, scale):
    return (torch.randn(*shape) * scale).requires_grad_(True)


def mse(pred, y):
    # the same ops as tapegrad's script (sub, square, mean), not the fused F.mse_loss
    return torch.square(pred - y).mean()


def linreg():
    true_w = torch.tensor([[2.0], [-3.0]])
    xs, ys = make_data(lambda x: x @ true_w + 0.5)
    w, b = param((2, 1), 0.1), param((1,), 0.1)
    opt = torch.optim.SGD([w, b], lr=LR)
    state = {}

    def step(i):
        loss = mse(xs[i % NBATCHES] @ w + b, ys[i % NBATCHES])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        state["loss"] = loss

    return step, lambda: state["loss"].item()


def mlp():
    xs, ys = make_data(lambda x: torch.sin(x[:, 0:1] * 1.5) * torch.tanh(x[:, 1:2]))
    params = [param((2, 16), 0.5), param((16,), 0.1), param((16, 16), 0.25), param((16,), 0.1), param((16, 1), 0.25), param((1,), 0.1)]
    w1, b1, w2, b2, w3, b3 = params
    opt = torch.optim.SGD(params, lr=LR, momentum=0.9)
    state = {}

    def step(i):
        h1 = torch.tanh(xs[i % NBATCHES] @ w1 + b1)
        h2 = torch.tanh(h1 @ w2 + b2)
        loss = mse(h2 @ w3 + b3, ys[i % NBATCHES])
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        state["loss"] = loss

    return step, lambda: state["loss"].item()


def tiny():
    for threads in (1, 2):
        set_threads(threads)
        for workload, make in (("W3-linreg", linreg), ("W3-mlp", mlp)):
            torch.manual_seed(1)
            step, final_loss = make()
            i = 0
            w0 = now()
            while i < 200 or now() - w0 < 1.0:  # as bench/tiny.mjs: at least 1 s and 200 steps
                step(i)
                i += 1
            rates = []
            for _ in range(RUNS):
                t0 = now()
                for _ in range(STEPS):
                    step(i)
                    i += 1
                rates.append(STEPS / (now() - t0))
            rates.sort()
            emit(workload, threads, "steps_per_s", rnd(rates[RUNS // 2]), "steps/s")
            emit(workload, threads, "final_loss", rnd(final_loss()), "mse")


def cnn():
    # W6, as bench/cnn.mjs: zero_grad, forward, backward, SGD step with momentum 0.9.
    import torch.nn as nn
    import torch.nn.functional as F
    for threads in (1, 2):
        set_threads(threads)
        torch.manual_seed(0)
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 10))
        x = torch.rand(64, 1, 28, 28)
        y = torch.randint(0, 10, (64,))

        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(x), y).backward()
            opt.step()

        def fwd():
            with torch.no_grad():
                return F.cross_entropy(net(x), y)

        emit("W6-cnn", threads, "step_time", rnd(time_per_call(step, warmup=0.5, batches=7, min_batch=0.3) * 1e3), "ms")
        emit("W6-cnn-forward", threads, "step_time", rnd(time_per_call(fwd, warmup=0.3, batches=7, min_batch=0.3) * 1e3), "ms")


def mlp_train():
    # W2, as bench/mlp.mjs: 784-512-256-10 ReLU MLP, cross-entropy, batch 128, Adam lr 1e-3, 16 fixed batches.
    import torch.nn as nn
    import torch.nn.functional as F
    torch.manual_seed(0)
    data = [(torch.randn(128, 784), torch.randint(0, 10, (128,))) for _ in range(16)]
    for threads in (1, 2):
        set_threads(threads)
        torch.manual_seed(1)
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        state = {}

        def step(i):
            x, y = data[i % len(data)]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            state["loss"] = loss

        for i in range(20):
            step(i)
        rates = []
        for _ in range(3):
            t0 = now()
            for i in range(200):
                step(i)
            rates.append(200 / (now() - t0))
        rates.sort()
        emit("W2-mlp-adam", threads, "steps_per_s", rnd(rates[1]), "steps/s")
        emit("W2-mlp-adam", threads, "final_loss", rnd(state["loss"].item()), "nats")
    import resource
    emit("W2-mlp-adam", 2, "peak_rss", rnd(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "MiB")


def fashion():
    """W9: examples/fashion_mnist_cnn_torch.py's CNN and MLP on Fashion-MNIST (BENCH_EPOCHS, default 10;
    BENCH_TRAIN_SIZE limits the training images), 1 and 2 threads: training wall time and test accuracy."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
    import fashion_mnist_cnn_torch as fm

    root = os.environ.get("BENCH_FASHION_ROOT", "/usr/share/datasets/fashion-mnist")
    epochs = int(os.environ.get("BENCH_EPOCHS", "10"))
    xtr, ytr = fm.load(root, True)
    xte, yte = fm.load(root, False)
    if os.environ.get("BENCH_TRAIN_SIZE"):
        n = int(os.environ["BENCH_TRAIN_SIZE"])
        xtr, ytr = xtr[:n], ytr[:n]
    for threads in (1, 2):
        set_threads(threads)
        for name in ("cnn", "mlp"):
            r = fm.train_and_test(name, xtr, ytr, xte, yte, epochs, 64)
            emit(f"W9-fashion-{name}", threads, "train_time", rnd(r["train_seconds"]), "s")
            emit(f"W9-fashion-{name}", threads, "test_accuracy", rnd(100 * r["test_accuracy"]), "%")


def backend():
    """What this side ran on: OpenBLAS's kernel core (OPENBLAS_CORETYPE=Haswell would force AVX2
    on an AVX-512 CPU) and ATen's CPU capability."""
    core = None
    if _openblas is not None:
        try:
            _openblas.openblas_get_corename.restype = ctypes.c_char_p
            core = _openblas.openblas_get_corename().decode()
        except AttributeError:
            pass
    capability = next((line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines()
                       if "CPU capability usage" in line), None)
    print(json.dumps({"backend": "torch", "version": torch.__version__, "openblas_core": core,
                      "cpu_capability": capability,
                      "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}), flush=True)


GROUPS = {"gemm": gemm, "elementwise": elementwise, "overhead": overhead, "tiny": tiny, "cnn": cnn, "mlp": mlp_train, "reduce": reduce, "fashion": fashion}

if __name__ == "__main__":
    if sys.argv[1:] == ["backend"]:
        backend()
        sys.exit(0)
    for g in sys.argv[1:] or [g for g in GROUPS if g != "fashion"]:
        GROUPS[g]()
