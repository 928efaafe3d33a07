"""Peer of `op-overhead`: out-of-place 8x8 float32 add in PyTorch; prints the median microseconds per op.

Run by bench/Symmetry.Bench with /usr/bin/python3 (Debian's python3-torch, PyTorch 1.13; ours is
TorchSharp 0.107 on libtorch 2.10).
Idiomatic Python: `c = a + b` in a loop; the previous result is freed by reference counting when `c` is rebound.
"""
import torch

import _timing


def main():
    args = _timing.parser(iters=200_000, repeats=7, warmup=20_000).parse_args()

    torch.set_num_threads(args.threads)
    a = torch.rand(8, 8, dtype=torch.float32)
    b = torch.rand(8, 8, dtype=torch.float32)

    def run(n):
        for _ in range(n):
            c = a + b
        return c

    run(args.warmup)
    print(f"{_timing.median_per_iteration(run, args) * 1e6:.6f}")


if __name__ == "__main__":
    main()
