"""Peer of `cka` and `grelu-procrustes`: the alignment metrics in NumPy/SciPy, written from ALGORITHMS §3 (not from
our C#), on the activations the C# benchmark wrote.

Run by bench/Symmetry.Bench with /usr/bin/python3 (Debian's python3-numpy and python3-scipy). The file holds two
float64 arrays of shape (n, c, h, w), little-endian, C order, one after the other, no header. Prints one line: the
median milliseconds per call and the metric's value (so the benchmark can check both sides agree). Exits with status 3
when numpy or scipy cannot be imported.
"""
import argparse
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--shape", required=True, help="n,c,h,w")
    parser.add_argument("--metric", required=True, choices=["cka-grelu", "cka-linear", "grelu-procrustes"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = parser.parse_args()
    try:
        import numpy as np
        from scipy.optimize import linear_sum_assignment
    except ImportError as error:
        print(f"peer unavailable: {error}", file=sys.stderr)
        sys.exit(3)

    shape = tuple(int(s) for s in args.shape.split(","))
    both = np.fromfile(args.file, dtype="<f8").reshape((2,) + shape)
    first, second = both[0], both[1]

    def unit_channels(h):
        # Each channel centred over (N, H, W), then scaled to unit norm over (N, H, W) (a zero channel stays zero).
        centred = h - h.mean(axis=(0, 2, 3), keepdims=True)
        norms = np.sqrt((centred ** 2).sum(axis=(0, 2, 3), keepdims=True))
        return centred / np.where(norms > 0, norms, 1.0)

    def hsic_unbiased(k, l):
        n = k.shape[0]
        k = k.copy()
        l = l.copy()
        np.fill_diagonal(k, 0.0)
        np.fill_diagonal(l, 0.0)
        trace = float((k * l.T).sum())
        sums = float(k.sum()) * float(l.sum()) / ((n - 1) * (n - 2))
        cross = 2.0 / (n - 2) * float(k.sum(axis=0) @ l.sum(axis=1))
        return (trace + sums - cross) / (n * (n - 3))

    def cka(kernel):
        k = kernel(unit_channels(first))
        l = kernel(unit_channels(second))
        return hsic_unbiased(k, l) / np.sqrt(hsic_unbiased(k, k) * hsic_unbiased(l, l))

    def max_channel_kernel(h):
        # K_ab = max over channels c of <H[a, c], H[b, c]> (inner product over the spatial positions).
        n, c = h.shape[0], h.shape[1]
        kernel = None
        for channel in range(c):
            x = np.ascontiguousarray(h[:, channel]).reshape(n, -1)
            gram = x @ x.T
            kernel = gram if kernel is None else np.maximum(kernel, gram, out=kernel)
        return kernel

    def linear_kernel(h):
        x = h.reshape(h.shape[0], -1)
        return x @ x.T

    def grelu_procrustes():
        def columns(h):
            # (N·H·W, C), each channel's column scaled to unit norm (a zero column stays zero).
            cols = np.moveaxis(h, 1, -1).reshape(-1, h.shape[1])
            norms = np.sqrt((cols ** 2).sum(axis=0, keepdims=True))
            return cols / np.where(norms > 0, norms, 1.0)
        h1, h2 = columns(first), columns(second)
        m = h1.T @ h2
        rows, cols = linear_sum_assignment(m, maximize=True)
        c = m.shape[0]
        squared = ((h1 ** 2).sum() + (h2 ** 2).sum() - 2.0 * m[rows, cols].sum()) / (4.0 * c)
        return 1.0 - np.sqrt(max(squared, 0.0))

    metric = {
        "cka-grelu": lambda: cka(max_channel_kernel),
        "cka-linear": lambda: cka(linear_kernel),
        "grelu-procrustes": grelu_procrustes,
    }[args.metric]
    for _ in range(args.warmup):
        metric()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    times = []
    value = None
    for _ in range(args.repeats):
        start = clock()
        value = metric()
        times.append(clock() - start)
    print(f"{statistics.median(times) * 1e3:.6f} {float(value)!r}")


if __name__ == "__main__":
    main()
