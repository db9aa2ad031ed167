"""Time the ideal-point estimation of scripts/estimate_ideal_points.py on the 2010-2019 General Assembly votes.

    python benchmarks/bench_ideal_points.py [--repeats 3]

Prints the median and range of the wall time of each step (reading the three CSV files; the MAP fit by L-BFGS;
rotation and Laplace standard errors), the number of L-BFGS iterations and the cost of one pass over the votes.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load():
    script = ROOT / "scripts" / "estimate_ideal_points.py"
    spec = importlib.util.spec_from_file_location("estimate_ideal_points", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _timed(function):
    began = time.perf_counter()
    value = function()
    return value, time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    ip = _load()
    times: dict[str, list[float]] = {"read": [], "fit": [], "identify + standard errors": [], "one pass": []}
    iterations = 0
    for _ in range(args.repeats):
        data, seconds = _timed(lambda: ip.read_roll_calls(ip.DEFAULT_VOTES, ip.DEFAULT_ROLL_CALLS,
                                                          ip.DEFAULT_COUNTRIES))
        times["read"].append(seconds)
        theta = ip.start(data)
        passes = 20
        _, seconds = _timed(lambda: [ip.negative_log_posterior(theta, data) for _ in range(passes)])
        times["one pass"].append(seconds / passes)
        estimate, seconds = _timed(lambda: ip.fit(data))
        times["fit"].append(seconds)
        iterations = estimate.iterations
        _, seconds = _timed(lambda: ip.standard_errors(ip.identify(estimate, data), data))
        times["identify + standard errors"].append(seconds)
    print(f"{data.n_states} states, {data.n_items} roll calls, {len(data.vote)} votes; {iterations} L-BFGS "
          f"iterations; {args.repeats} repeats")
    print(f"{'step':<28} {'median s':>9} {'min s':>8} {'max s':>8}")
    for step, values in times.items():
        print(f"{step:<28} {statistics.median(values):>9.3f} {min(values):>8.3f} {max(values):>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
