"""Peer side of `sweep-profile` (run by hand: /usr/bin/python3 bench/peers/sweep_profile.py): where one step of
sweep.py's network goes on PyTorch 1.13, in µs of process CPU time (time.process_time), 1 thread: the two layer-1
matmuls alone (128×784 · 784×16 forward, 16×128 · 128×784 weight gradient), forward+backward of the whole network,
and forward+backward+AdamW (sweep.py's step without its masks and gradient norm)."""
import time

import torch
import torch.nn.functional as F

from sweep import mnist_fc


def per_call(f, n=300):
    for _ in range(20):
        f()
    start = time.process_time()
    for _ in range(n):
        f()
    return (time.process_time() - start) / n * 1e6


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, w, g = torch.rand(128, 784), torch.rand(16, 784), torch.rand(128, 16)
    model = mnist_fc([16] * 6)
    y = torch.randint(0, 10, (128,))
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=1e-5)

    def forward_backward():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()

    def step():
        forward_backward()
        optimizer.step()

    print(f"peer layer-1 forward {per_call(lambda: x.mm(w.t())):.1f} µs + weight gradient {per_call(lambda: g.t().mm(x)):.1f} µs; "
          f"forward+backward {per_call(forward_backward):.1f} µs; with AdamW {per_call(step):.1f} µs per network-step")


if __name__ == "__main__":
    main()
