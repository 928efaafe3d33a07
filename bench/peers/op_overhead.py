"""Peer of `op-overhead`: out-of-place 8x8 float32 add in PyTorch; prints the median microseconds per op.

Run by bench/Symmetry.Bench with /usr/bin/python3 (Debian's python3-torch, the same libtorch 1.13 as the shim).
Idiomatic Python: `c = a + b` in a loop; the previous result is freed by reference counting when `c` is rebound.
"""
import argparse
import statistics
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--iters", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=20_000)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: time.perf_counter; cpu: time.process_time (all threads of the process)")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    torch.set_num_threads(args.threads)
    a = torch.rand(8, 8, dtype=torch.float32)
    b = torch.rand(8, 8, dtype=torch.float32)

    def run(n):
        for _ in range(n):
            c = a + b
        return c

    run(args.warmup)
    times = []
    for _ in range(args.repeats):
        start = clock()
        run(args.iters)
        times.append((clock() - start) / args.iters)
    print(f"{statistics.median(times) * 1e6:.6f}")


if __name__ == "__main__":
    main()
