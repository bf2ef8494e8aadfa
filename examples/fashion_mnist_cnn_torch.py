"""The PyTorch twin of examples/fashion-mnist-cnn.ts, for comparing accuracy and wall time.

Same models (PyTorch's default initialisation, which tapegrad copies), Adam lr 1e-3, batch 64,
10 epochs, shuffled batches, test set evaluated in batches of 500, float32, 2 threads.
Reads the IDX files itself (no torchvision needed).

Debian's PyTorch calls OpenBLAS (libopenblas0-pthread), whose own thread pool is not governed by
torch.set_num_threads; next to torch's OpenMP threads it oversubscribes the cores. Run with
OPENBLAS_NUM_THREADS=1 to keep GEMM on the calling thread (much faster on a busy 2-core machine).

Run: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 examples/fashion_mnist_cnn_torch.py [--epochs 10] [--threads 2] [--models cnn,mlp] [--root DIR]
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(root, train):
    prefix = 'train' if train else 't10k'

    def find(base):
        for name in (base, base + '.gz'):
            if os.path.exists(os.path.join(root, name)):
                return os.path.join(root, name)
        raise FileNotFoundError(f'{base}[.gz] not in {root}')

    x = read_idx(find(f'{prefix}-images-idx3-ubyte')).astype(np.float32) / 255
    y = read_idx(find(f'{prefix}-labels-idx1-ubyte')).astype(np.int64)
    return torch.from_numpy(x).reshape(-1, 1, 28, 28), torch.from_numpy(y)


def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )


def make_mlp():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--root', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--models', default='cnn,mlp')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    xtr, ytr = load(args.root, True)
    xte, yte = load(args.root, False)
    print(f'Fashion-MNIST: {len(xtr)} train / {len(xte)} test images; Adam lr 0.001, batch {args.batch_size}, '
          f'{args.epochs} epochs; torch {torch.__version__}, {torch.get_num_threads()} threads')
    for name in args.models.split(','):
        r = train_and_test(name, xtr, ytr, xte, yte, args.epochs, args.batch_size)
        print(f'{name.upper()} ({r["parameters"]} params): train loss {" → ".join(f"{v:.3f}" for v in r["train_loss"])}; '
              f'test accuracy {100 * r["test_accuracy"]:.2f}%, test loss {r["test_loss"]:.4f}; '
              f'{r["train_seconds"]:.1f} s training + {r["test_seconds"]:.1f} s test')


def train_and_test(name, xtr, ytr, xte, yte, epochs, batch_size):
    """Trains model `name` ('cnn' or 'mlp') from seed 0 and evaluates it; also used by bench/torch_workloads.py."""
    loss_fn = nn.functional.cross_entropy
    make = {'cnn': make_cnn, 'mlp': make_mlp}[name]
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=batch_size, shuffle=True,
                                         generator=torch.Generator().manual_seed(1))
    t0 = time.perf_counter()
    losses = []
    model.train()
    for _ in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
            count += len(xb)
        losses.append(total / count)
    t1 = time.perf_counter()
    model.eval()
    correct, test_loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(xte), 500):
            out = model(xte[i:i + 500])
            test_loss += loss_fn(out, yte[i:i + 500], reduction='sum').item()
            correct += (out.argmax(1) == yte[i:i + 500]).sum().item()
    t2 = time.perf_counter()
    return {'parameters': sum(p.numel() for p in model.parameters()), 'train_loss': losses,
            'test_accuracy': correct / len(xte), 'test_loss': test_loss / len(xte),
            'train_seconds': t1 - t0, 'test_seconds': t2 - t1}


if __name__ == '__main__':
    main()
