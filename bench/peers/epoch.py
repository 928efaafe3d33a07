"""Peer of `lenet-epoch` and `mnist-cnn-epoch`: training epochs of LeNet-300-100 or MNIST_CNN on Fashion-MNIST in
idiomatic PyTorch; prints the median seconds per epoch.

Run by bench/Symmetry.Bench with /usr/bin/python3 (Debian's python3-torch, PyTorch 1.13; ours is
TorchSharp 0.107 on libtorch 2.10).
Same work per step as ours (Symmetry.Core's Trainer over the zoo model):
- data: the training IDX files of --data (gzip or not), parsed with numpy, as float32 pixels/255 (N, 1, 28, 28)
  and int64 labels (DataSets.Load does not normalise by default); the sample order of the epoch is read from
  --order (int64 little-endian, written by ours: DataLoader.Order(0) for seed 42), batches of --batch in that
  order, the last one smaller (60000 = 468·128 + 96), gathered with index_select as ours does;
- model: the zoo architecture written out below, PyTorch's default init (initial weights differ; timing only);
- step: zero_grad(set_to_none=True) (the old binding dropped the gradients, as 2.x's default does; TorchSharp's
  zero_grad() zeroes them in place instead), forward, F.cross_entropy,
  backward, the global gradient norm read back to the host (the Trainer accumulates it every step: here for
  fairness), torch.optim.Adam(lr) with its 1.13 defaults (single-tensor, no weight decay), and loss.item()
  (the Trainer reads the loss back every step, as a logging loop does).
--warmup counts steps (the first batches of the order), --iters counts epochs per timed repeat.
"""
import gzip
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import _timing


def read_idx(directory, name):
    """An IDX file (name or name.gz) as a numpy array of its declared shape (unsigned bytes only)."""
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


class Lenet300100(nn.Module):
    """Zoo `lenet-300-100`: flatten → Linear 300 → ReLU → Linear 100 → ReLU → Linear 10."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 300), nn.ReLU(),
            nn.Linear(300, 100), nn.ReLU(),
            nn.Linear(100, 10))

    def forward(self, x):
        return self.layers(x)


class MnistCnn(nn.Module):
    """Zoo `mnist-cnn` (defaults: filters 16, 32; kernel 5 'same'; BatchNorm on; dense 64; dropout 0, layer kept):
    Conv 5×5 16 → BN → ReLU → max-pool 2, Conv 5×5 32 → BN → ReLU, global average pool, flatten,
    Linear 64 → ReLU → Dropout(0) → Linear 10."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(32, 64), nn.ReLU(), nn.Dropout(0.0),
            nn.Linear(64, 10))

    def forward(self, x):
        return self.layers(x)


MODELS = {"lenet-300-100": Lenet300100, "mnist-cnn": MnistCnn}


def global_grad_norm(params):
    """The global gradient norm, read back to the host, as our Trainer computes it every step (fairness, not idiom)."""
    squared = None
    for p in params:
        if p.grad is None:
            continue
        s = p.grad.square().sum()
        squared = s if squared is None else squared + s
    return math.sqrt(squared.item())


PHASES = ["gather", "forward", "backward", "grad-norm", "adam", "zero-grad", "loss-read"]


def profile(model, params, optimizer, images, labels, order, args):
    """The step split into epoch-profile's phases (process CPU ms per step, after args.warmup steps), in its order:
    gather, forward to the loss, backward, the global gradient norm with its host read, the Adam step, dropping the
    gradients, reading the loss back."""
    model.train()
    totals = [0.0] * len(PHASES)
    for b in range(args.warmup + args.profile):
        t = [time.process_time()]
        idx = order[b * args.batch:(b + 1) * args.batch]
        x = images.index_select(0, idx)
        y = labels.index_select(0, idx)
        t.append(time.process_time())
        loss = F.cross_entropy(model(x), y)
        t.append(time.process_time())
        loss.backward()
        t.append(time.process_time())
        global_grad_norm(params)
        t.append(time.process_time())
        optimizer.step()
        t.append(time.process_time())
        optimizer.zero_grad(set_to_none=True)
        t.append(time.process_time())
        loss.item()
        t.append(time.process_time())
        if b >= args.warmup:
            for i in range(len(PHASES)):
                totals[i] += t[i + 1] - t[i]
    parts = " ".join(f"{p}={1e3 * v / args.profile:.3f}" for p, v in zip(PHASES, totals))
    return f"{parts} total={1e3 * sum(totals) / args.profile:.3f}"


def main():
    parser = _timing.parser(iters=1, repeats=2, warmup=20, iters_help="epochs per timed repeat", warmup_help="warm-up steps")
    parser.add_argument("--model", choices=sorted(MODELS), required=True)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--order", required=True, help="int64 little-endian sample indices of the epoch")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--profile", type=int, default=0,
                        help="instead of timing epochs, time this many steps phase by phase (epoch-profile's split)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    pixels = read_idx(args.data, "train-images-idx3-ubyte")
    labels_np = read_idx(args.data, "train-labels-idx1-ubyte")
    n = pixels.shape[0]
    images = torch.from_numpy(pixels.copy()).reshape(n, 1, pixels.shape[1], pixels.shape[2]).float().div_(255.0)
    labels = torch.from_numpy(labels_np.astype(np.int64))
    order = torch.from_numpy(np.fromfile(args.order, dtype="<i8").astype(np.int64))
    if order.numel() != n:
        raise SystemExit(f"{args.order}: {order.numel()} indices for {n} samples")

    model = MODELS[args.model]()
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=args.lr)
    batches = (n + args.batch - 1) // args.batch
    grad_norm_sum = 0.0

    def epoch(steps):
        nonlocal grad_norm_sum
        model.train()
        for b in range(steps):
            idx = order[b * args.batch:(b + 1) * args.batch]
            x = images.index_select(0, idx)
            y = labels.index_select(0, idx)
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            grad_norm_sum += global_grad_norm(params)
            optimizer.step()
            loss.item()

    if args.profile > 0:
        print(profile(model, params, optimizer, images, labels, order, args))
        return

    epoch(min(args.warmup, batches))

    def epochs(count):
        for _ in range(count):
            epoch(batches)

    print(f"{_timing.median_per_iteration(epochs, args):.6f}")


if __name__ == "__main__":
    main()
