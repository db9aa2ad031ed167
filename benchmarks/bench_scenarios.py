"""Wall time of one run of each scenario in the library, against the budget of 0.5 s per 193-state run with random
activation (scenarios/un_cybercrime.yaml and its variants are the 193-state cases).

    python3 benchmarks/bench_scenarios.py [--repeats 7]

Each scenario is run once to warm up, then with seeds 0..repeats-1; the median, min and max wall time of run_once
(model construction included, loading the YAML not) and the median number of rounds are printed, with the compiled
kernels of sim.kernels (what a sweep, a calibration or any process that has spent 2 s in the code they stand for
gets), and the median in numpy and Python (a process's first runs). The UN scenario is also
timed under simultaneous activation for reference.

Last printed (2-core machine, Python 3.11, shared with other work):
    see docs/scenarios.md, section "Run time"
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_run import moves, time_runs  # noqa: E402
from sim.loader import load_scenario  # noqa: E402

BUDGET_S = 0.5  # per 193-state run, random activation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    paths = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "variants").glob("*.yaml"))
    cases = [(p.relative_to(ROOT).as_posix(), load_scenario(p)) for p in paths]
    un = load_scenario(ROOT / "scenarios" / "un_cybercrime.yaml", ["protocol.activation=simultaneous"])
    cases.append(("scenarios/un_cybercrime.yaml (simultaneous)", un))
    print(f"{'scenario':58s} {'states':>6s} {'median s':>9s} {'min s':>7s} {'max s':>7s} {'rounds':>6s}  budget"
          f"  {'in Python: median s':>19s}")
    worst = 0.0
    for name, scenario in cases:
        with moves(compiled=True):
            m = time_runs(scenario, args.repeats)
        with moves(compiled=False):
            in_python = time_runs(scenario, args.repeats)["median_s"]
        big = len(scenario.states) >= 193 and scenario.protocol.activation == "random"
        verdict = ("ok" if m["max_s"] <= BUDGET_S else "OVER") if big else "-"
        if big:
            worst = max(worst, m["max_s"])
        print(f"{name:58s} {len(scenario.states):6d} {m['median_s']:9.4f} {m['min_s']:7.4f} {m['max_s']:7.4f} "
              f"{m['rounds']:6.0f}  {verdict:6s}  {in_python:19.4f}")
    print(f"slowest 193-state run with random activation: {worst:.4f} s (budget {BUDGET_S} s)")


if __name__ == "__main__":
    main()
