"""Shared by the peers: the options every benchmark passes them, and the timed loop.

The harness (bench/Symmetry.Bench/Harness.cs) runs each peer with --threads, --iters, --repeats, --warmup and
--clock, and reads one number from stdout: the median time per iteration.
"""
import argparse
import statistics
import time


def parser(iters, repeats, warmup, iters_help=None, warmup_help=None):
    """An argument parser with the harness's common options and these defaults; add a peer's own options to it."""
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--iters", type=int, default=iters, help=iters_help)
    p.add_argument("--repeats", type=int, default=repeats)
    p.add_argument("--warmup", type=int, default=warmup, help=warmup_help)
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="wall: time.perf_counter; cpu: time.process_time (all threads of the process)")
    return p


def median_per_iteration(run, args):
    """Median over args.repeats timings of run(args.iters), in seconds per iteration, on the clock args.clock names."""
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    times = []
    for _ in range(args.repeats):
        start = clock()
        run(args.iters)
        times.append((clock() - start) / args.iters)
    return statistics.median(times)
