"""Peer of `lap`: scipy.optimize.linear_sum_assignment on the cost matrix the C# benchmark wrote.

Run by bench/Symmetry.Bench with /usr/bin/python3 (Debian's python3-scipy). The matrix file holds rows*cols float64
values, little-endian, row-major, no header. Prints one line: the median milliseconds per solve and the optimal
objective (so the benchmark can check both sides found the same optimum). Exits with status 3 when numpy or scipy
cannot be imported.
"""
import argparse
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--cols", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()

    try:
        import numpy as np
        from scipy.optimize import linear_sum_assignment
    except ImportError as error:
        print(f"peer unavailable: {error}", file=sys.stderr)
        sys.exit(3)

    cost = np.fromfile(args.file, dtype="<f8").reshape(args.rows, args.cols)
    for _ in range(args.warmup):
        linear_sum_assignment(cost)
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        rows, cols = linear_sum_assignment(cost)
        times.append(time.perf_counter() - start)
    objective = float(cost[rows, cols].sum())
    print(f"{statistics.median(times) * 1e3:.6f} {objective!r}")


if __name__ == "__main__":
    main()
