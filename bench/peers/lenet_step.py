"""Peer of `lenet-step`: one LeNet-300-100 training step in idiomatic PyTorch; prints the median milliseconds per step.

Run by bench/Symmetry.Bench with /usr/bin/python3 (Debian's python3-torch, PyTorch 1.13; ours is
TorchSharp 0.107 on libtorch 2.10).
Model: nn.Sequential(Linear(784, 300), ReLU(), Linear(300, 100), ReLU(), Linear(100, 10)) with PyTorch's default
init; loss F.cross_entropy (mean); optimizer torch.optim.SGD(lr=0.1) with its 1.13 defaults (no momentum,
foreach=False); gradients zeroed in place with optimizer.zero_grad(set_to_none=False) (the 1.13 default).
Batch: 128 random inputs (fixed) with fixed random labels.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import _timing


def main():
    parser = _timing.parser(iters=50, repeats=7, warmup=20)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(args.batch, 784)
    y = torch.randint(0, 10, (args.batch,))

    def run(n):
        for _ in range(n):
            optimizer.zero_grad(set_to_none=False)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        return loss

    run(args.warmup)
    print(f"{_timing.median_per_iteration(run, args) * 1e3:.6f}")


if __name__ == "__main__":
    main()
