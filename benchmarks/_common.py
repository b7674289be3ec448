"""Timing helpers shared by the benchmark scripts.

These machines are noisy: every contender runs ``repeat`` times, interleaved
with the others, and the best time of each is kept, so a ratio compares runs
made side by side under the same conditions.
"""

import argparse
import os
import platform
import time

import torch


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 1
    return args


def best_times(contenders, repeat, report=None):
    """Run each ``name -> callable`` ``repeat`` times, interleaved; return the best seconds.

    The order alternates between forward and reverse at every round, so no
    contender always runs right after the same other one (e.g. right after
    sklearn, whose BLAS threads may still be spinning). ``report(name,
    seconds)``, if given, is called after each run, so a run stopped by a time
    limit still leaves the times it took.
    """
    best = {name: float("inf") for name in contenders}
    for round_ in range(repeat):
        names = list(contenders) if round_ % 2 == 0 else list(reversed(contenders))
        for name in names:
            run = contenders[name]
            start = time.perf_counter()
            run()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            best[name] = min(best[name], seconds)
            if report is not None:
                report(name, seconds)
    return best


def machine_description():
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
            f"{torch.get_num_threads()} torch threads, {device}, torch {torch.__version__}")


def print_ratios(title, times, reference):
    print(f"\n{title}")
    print(f"  {'contender':<34}{'seconds':>10}{'ours / it':>12}")
    for name, seconds in times.items():
        ratio = times[reference] / seconds
        print(f"  {name:<34}{seconds:>10.3f}{ratio:>12.2f}")
