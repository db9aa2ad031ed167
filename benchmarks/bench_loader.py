"""Loading hostile and large input: what the bounded loader costs, in time and memory.

    python benchmarks/bench_loader.py [--states 2000] [--repeats 3]

Prints, for each case, the median wall time and the peak Python memory (tracemalloc) of loading it:
- a "billion laughs" document of 9 levels of 10 aliases (about 400 bytes, 10^8 values once expanded), refused;
- the same at 4 levels (11,111 values), accepted;
- a scenario of N states validated with N `set:` entries (the case that took 28 s before overrides stopped scanning
  every origin of the document);
- a 100,000-number list given where a number is meant (the error line is shortened).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.loader import ScenarioError, dump_yaml, load_scenario, parse_yaml  # noqa: E402


def laughs(levels: int) -> str:
    lines = ["l0: &l0 [lol]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def many_states(n: int) -> dict:
    states = [{"id": f"S{i:05d}", "capability": 1 + i % 7,
               "ideal": {"attribution_transparency": (i % 10) / 10, "data_sovereignty": 0.5, "enforcement": 0.4}}
              for i in range(n)]
    return {"metadata": {"title": f"{n} states"}, "states": states}


def _attempt(action) -> str:
    try:
        action()
        return "loaded"
    except ScenarioError as exc:
        return f"refused: {str(exc)[:60]}"


def measure(action, repeats: int) -> tuple[float, float, str]:
    """Median wall time of `repeats` untraced runs, then the peak memory of one more run under tracemalloc (which
    slows it down, so it is not timed)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        outcome = _attempt(action)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    _attempt(action)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.yaml"
        base.write_text(dump_yaml(many_states(args.states)), encoding="utf-8")
        variant = Path(folder) / "variant.yaml"
        sets = {f"states.S{i:05d}.flexibility": round(0.1 + (i % 8) / 10, 2) for i in range(args.states)}
        variant.write_text(dump_yaml({"extends": "base.yaml", "set": sets}), encoding="utf-8")
        big = Path(folder) / "big.yaml"
        document = many_states(2)
        big.write_text(dump_yaml(document).replace("capability: 2", "capability: [" + ", ".join(["1.5"] * 100_000)
                                                   + "]"), encoding="utf-8")
        cases = [
            ("billion laughs, 9 levels (refused)", lambda: parse_yaml(laughs(9), "bomb")),
            ("aliases, 4 levels (11,111 values)", lambda: parse_yaml(laughs(4), "small")),
            (f"{args.states} states + {args.states} set: entries", lambda: load_scenario(variant)),
            ("100,000-number list as a capability", lambda: load_scenario(big)),
        ]
        print(f"{'case':45} {'median s':>9} {'peak MiB':>9}  outcome")
        for name, action in cases:
            median, peak, outcome = measure(action, args.repeats)
            print(f"{name:45} {median:9.3f} {peak:9.1f}  {outcome}")


if __name__ == "__main__":
    main()
