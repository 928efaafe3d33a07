"""Peer of `laperm-step`: one LeNet-300-100 LaPerm step with a synchronisation after every step, in PyTorch, written
from ALGORITHMS §2; prints the median milliseconds per step.

Run by bench/Symmetry.Bench with /usr/bin/python3 (Debian's python3-torch, PyTorch 1.13).
Model: nn.Sequential(Flatten(), Linear(784, 300), ReLU(), Linear(300, 100), ReLU(), Linear(100, 10)), default init;
loss F.cross_entropy; inner optimizer torch.optim.Adam(lr=1e-3, eps=1e-7) (Keras' ε); gradients set to None.
Before training, every parameter's rows (fan-in vectors; a 1-D tensor is one row) are sorted: theta_sorted. After each
step, for every row: rank = argsort(argsort(theta_t)), theta = theta_sorted[rank] (--rearrange spec, two stable
sorts and a gather, as the spec and the original write it), or the equivalent single stable sort whose indices
receive theta_sorted by a scatter (--rearrange scatter, as ours does it).
Batch: 128 random 1x28x28 inputs (fixed) with fixed random labels.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import _timing


def rows(t):
    return t.reshape(1, -1) if t.dim() == 1 else t.reshape(t.shape[0], -1)


def main():
    parser = _timing.parser(iters=30, repeats=3, warmup=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rearrange", choices=["spec", "scatter"], default="spec")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    params = list(model.parameters())
    with torch.no_grad():
        theta_sorted = [torch.sort(rows(p), dim=1, stable=True).values.contiguous() for p in params]
    x = torch.randn(args.batch, 1, 28, 28)
    y = torch.randint(0, 10, (args.batch,))

    def synchronise():
        with torch.no_grad():
            for p, s in zip(params, theta_sorted):
                current = rows(p)
                if args.rearrange == "spec":
                    order = torch.sort(current, dim=1, stable=True).indices
                    rank = torch.sort(order, dim=1, stable=True).indices
                    p.copy_(torch.gather(s, 1, rank).view_as(p))
                else:
                    order = torch.sort(current, dim=1, stable=True).indices
                    p.copy_(s.scatter(1, order, s).view_as(p))

    def run(n):
        for _ in range(n):
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            synchronise()
        return loss

    run(args.warmup)
    print(f"{_timing.median_per_iteration(run, args) * 1e3:.6f}")


if __name__ == "__main__":
    main()
