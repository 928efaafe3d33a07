"""Peer of `sweep-batched`: N masked MNIST_FC 6×16 networks trained one after another for one Fashion-MNIST epoch
each, the way the original weight-symmetry drivers run a sweep (one network at a time); prints the seconds for all N.

Run by bench/Symmetry.Bench with /usr/bin/python3 (Debian's python3-torch, PyTorch 1.13; ours is
TorchSharp 0.107 on libtorch 2.10). Same work per network as ours (BatchedTrainer over N zoo models, no evaluation):
- data: the training IDX files of --data, float32 pixels/255 (N, 1, 28, 28) and int64 labels; each network visits
  the samples in its own order (torch.randperm from a generator seeded with its index), batches of --batch gathered
  with index_select, the last one smaller;
- model: flatten → [Linear 16 → ReLU → Dropout(0)] × 6 → Linear 10, PyTorch's default init;
- mask: a random mask of --sparsity on every hidden weight (not the output layer, as the original), applied to the
  weights before training, to the gradients after backward and to the weights after every step;
- step: zero_grad(set_to_none=True), forward, F.cross_entropy, backward, gradient mask, the global gradient norm
  accumulated on the host (ours accumulates every network's every step), torch.optim.AdamW(lr 0.01, weight decay
  1e-5; the seed-000 recipe), re-mask.
--warmup counts steps of a throw-away network; --iters counts sweeps of N networks per timed repeat.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import _timing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from epoch import read_idx  # noqa: E402
import numpy as np  # noqa: E402


def mnist_fc(widths):
    layers = [nn.Flatten()]
    previous = 784
    for width in widths:
        layers += [nn.Linear(previous, width), nn.ReLU(), nn.Dropout(0.0)]
        previous = width
    layers.append(nn.Linear(previous, 10))
    return nn.Sequential(*layers)


def train_network(index, images, labels, args, steps=None):
    torch.manual_seed(index)
    model = mnist_fc([16] * 6)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    generator = torch.Generator().manual_seed(index)
    masks = [(torch.rand(l.weight.shape, generator=generator) >= args.sparsity).float() for l in linears[:-1]]
    with torch.no_grad():
        for layer, mask in zip(linears, masks):
            layer.weight.mul_(mask)
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(params, lr=0.01, weight_decay=1e-5)
    n = images.shape[0]
    order = torch.randperm(n, generator=generator)
    batches = (n + args.batch - 1) // args.batch if steps is None else steps
    grad_norm_sum = 0.0
    model.train()
    for b in range(batches):
        idx = order[b * args.batch:(b + 1) * args.batch]
        x = images.index_select(0, idx)
        y = labels.index_select(0, idx)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        for layer, mask in zip(linears, masks):
            layer.weight.grad.mul_(mask)
        squared = sum(p.grad.square().sum() for p in params)
        grad_norm_sum += math.sqrt(squared.item())
        optimizer.step()
        with torch.no_grad():
            for layer, mask in zip(linears, masks):
                layer.weight.mul_(mask)
    return grad_norm_sum


def main():
    parser = _timing.parser(iters=1, repeats=1, warmup=20, iters_help="sweeps per timed repeat", warmup_help="warm-up steps")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--networks", type=int, default=64)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--sparsity", type=float, default=0.5)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    pixels = read_idx(args.data, "train-images-idx3-ubyte")
    labels_np = read_idx(args.data, "train-labels-idx1-ubyte")
    n = pixels.shape[0]
    images = torch.from_numpy(pixels.copy()).reshape(n, 1, pixels.shape[1], pixels.shape[2]).float().div_(255.0)
    labels = torch.from_numpy(labels_np.astype(np.int64))

    train_network(10_000, images, labels, args, steps=args.warmup)

    def sweeps(count):
        for _ in range(count):
            for i in range(args.networks):
                train_network(i, images, labels, args)

    print(f"{_timing.median_per_iteration(sweeps, args):.6f}")


if __name__ == "__main__":
    main()
