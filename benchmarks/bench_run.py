"""Wall time and peak memory of one full run: the synthetic 193-state scenario in both activation regimes, and
scenarios/wpcnt.yaml.

    python3 benchmarks/bench_run.py [--repeats 7] [--turns 3]

Each case is run once to warm up, then seeds 0 .. repeats-1 are each run `turns` times, in turn; the median wall
time over all runs (whole run, summary included, and the rounds alone) and the median over the seeds of each seed's
best turn (the quiet-machine figure: other work on a shared machine only ever adds time) are printed with the
chair's search cost per round and per search, the peak memory the run allocated (tracemalloc, measured on a separate
run so that tracing does not slow the timed ones) and the process's peak resident memory. Targets on a 2-core
machine: 193 states in at most 0.5 s (random) and 0.1 s (simultaneous).

The concession phase and the heart of a batch evaluation run in numpy and Python until they have taken a process
maths.COMPILE_AFTER_S seconds, then in the compiled kernels of sim.kernels (the same numbers). Each 193-state case is
timed both ways, and the last lines say what loading the kernels costs a new process, once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import synthetic_scenario  # noqa: E402
from sim import maths  # noqa: E402
from sim.loader import load_scenario  # noqa: E402
from sim.model import drafting  # noqa: E402
from sim.runner import run_once  # noqa: E402


def time_runs(scenario, repeats: int, turns: int = 1) -> dict:
    """Wall time of full runs of seeds 0 .. repeats-1, each run `turns` times in turn, after one warm-up run:
    median, min and max over all runs; the median over the seeds of each seed's best turn (what a quiet machine
    gives: other work only ever adds time, and the seeds differ in how often the chair searches); the median time
    of the rounds alone (the model built and run, without the summary and its explanation); median rounds."""
    run_once(scenario, seed=0)  # warm-up (imports, caches)
    times, model_times, rounds = [], [], []
    best = [float("inf")] * repeats
    for _ in range(turns):
        for seed in range(repeats):
            start = time.perf_counter()
            result = run_once(scenario, seed=seed)
            elapsed = time.perf_counter() - start
            times.append(elapsed)
            best[seed] = min(best[seed], elapsed)
            model_times.append(result.wall_time)
            rounds.append(result.summary["rounds"])
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "best_s": statistics.median(best), "rounds_s": statistics.median(model_times),
            "rounds": statistics.median(rounds)}


def search_cost(scenario) -> dict:
    """What the chair's search costs: time spent in the propose phase per round, per search (the rounds in which
    it searched the candidate set), and how many rounds searched (the others keep the text on the table and the
    states' answers to it)."""
    spent, calls, searched, searching = [0.0], [0], [0], [0.0]
    real_propose, real_candidates = drafting.propose, drafting.candidates

    def timed_propose(model):
        before = searched[0]
        start = time.perf_counter()
        real_propose(model)
        elapsed = time.perf_counter() - start
        spent[0] += elapsed
        calls[0] += 1
        if searched[0] > before:
            searching[0] += elapsed

    def counted_candidates(model, chair):
        searched[0] += 1
        texts = real_candidates(model, chair)
        sizes.append(len(texts))
        return texts

    sizes: list[int] = []
    drafting.propose, drafting.candidates = timed_propose, counted_candidates
    try:
        run_once(scenario, seed=0)
    finally:
        drafting.propose, drafting.candidates = real_propose, real_candidates
    return {"search_ms_per_round": 1000 * spent[0] / max(calls[0], 1),
            "ms_per_search": 1000 * searching[0] / max(searched[0], 1), "searches": searched[0],
            "propose_rounds": calls[0], "candidates": statistics.median(sizes) if sizes else 0}


@contextlib.contextmanager
def moves(compiled: bool):
    """The code sim.kernels stands for compiled (True) or in numpy and Python (False), for every run inside."""
    maths.compiled_moves(compiled)
    try:
        yield
    finally:
        maths.compiled_moves(None)


def measure(scenario, repeats: int, compiled: bool, turns: int = 1) -> dict:
    with moves(compiled):
        return _measure(scenario, repeats, turns)


def loading_cost() -> float:
    """Seconds a new process spends loading the compiled kernels (importing numba, reading its cache) on first use."""
    code = ("import time; t = time.perf_counter(); from sim import maths; maths.compiled_moves(True); "
            "assert maths._kernels() is not None; print(time.perf_counter() - t)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)  # fills the cache
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    return float(out.stdout)


def _measure(scenario, repeats: int, turns: int) -> dict:
    figures = time_runs(scenario, repeats, turns)
    tracemalloc.start()
    run_once(scenario, seed=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {**figures, "peak_alloc_mb": peak / 2**20, **search_cost(scenario)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="seeds timed (0, 1, ...)")
    parser.add_argument("--turns", type=int, default=3, help="times each seed is run, in turn")
    args = parser.parse_args()
    random, simultaneous = synthetic_scenario(activation="random"), synthetic_scenario(activation="simultaneous")
    wpcnt = load_scenario(ROOT / "scenarios" / "wpcnt.yaml")
    cases = {
        "193 states, random activation": (random, True),
        "193 states, random, in numpy and Python": (random, False),
        "193 states, simultaneous activation": (simultaneous, True),
        "193 states, simultaneous, numpy and Python": (simultaneous, False),
        "scenarios/wpcnt.yaml (random)": (wpcnt, True),
        "scenarios/wpcnt.yaml, in numpy and Python": (wpcnt, False),
    }
    print(f"{'case':40s} {'median s':>9s} {'min s':>8s} {'max s':>8s} {'best/seed s':>12s} {'rounds s':>9s} "
          f"{'rounds':>7s} "
          f"{'peak alloc MB':>14s} {'search ms/round':>16s} {'ms/search':>10s} {'searches':>9s} {'candidates':>11s}")
    for name, (scenario, compiled) in cases.items():
        m = measure(scenario, args.repeats, compiled, args.turns)
        print(f"{name:40s} {m['median_s']:9.4f} {m['min_s']:8.4f} {m['max_s']:8.4f} {m['best_s']:12.4f} "
              f"{m['rounds_s']:9.4f} "
              f"{m['rounds']:7.0f} {m['peak_alloc_mb']:14.2f} {m['search_ms_per_round']:16.3f} "
              f"{m['ms_per_search']:10.3f} {m['searches']:4d}/{m['propose_rounds']:<4d} {m['candidates']:11.0f}")
    print(f"loading the compiled kernels of sim.kernels in a new process: {loading_cost():.2f} s, once "
          f"(a process runs that code in numpy and Python until it has taken {maths.COMPILE_AFTER_S:g} s)")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"(on {len(os.sched_getaffinity(0))} cores: figures are only as quiet as the machine)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak resident memory: {rss:.0f} MB (Python, numpy, pandas, mesa loaded)")


if __name__ == "__main__":
    main()
