"""Sweep throughput and memory: runs per second for scenarios/wpcnt.yaml with 1 and 2 workers, Mesa's batch_run doing
the same runs for comparison, and the peak memory of a 20,000-run sweep.

    python3 benchmarks/bench_sweep.py [--runs 3000] [--memory-runs 20000] [--skip-memory] [--skip-mesa]

Throughput is measured on the sweep machinery as `run.py sweep` uses it (design, seeds, local process pool, Parquet
part files, the sorted table and manifest at the end), timed from the start of execution to the manifest, pool
start-up included. batch_run gets the very same runs: the same scenario and the same spawned seeds, with a
DataCollector collecting at every step (batch_run needs one value per step). Its results are checked against the
sweep's, so both did the same work.

Memory: a 20,000-run sweep is run as `python3 run.py sweep ...` in a subprocess with 2 workers; its process tree
(the sweep process, the pool's fork server and workers) is sampled every 0.2 s with psutil: the peak of the summed
proportional set size (PSS, which splits pages shared between forked processes), the peak of the summed resident
size (RSS, which counts them in every process) and the largest single process.

Targets on a 2-core machine: at least 150 runs/s per core, at least 1.8x from 1 to 2 workers, peak memory under 1 GB.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from mesa import DataCollector  # noqa: E402

from sim.loader import load_scenario  # noqa: E402
from sim.model import NegotiationModel  # noqa: E402
from sim.runner import run_once  # noqa: E402
from sim.sweep import SweepFolder, build_design, execute, quick_spec, run_seed  # noqa: E402
from sim.sweep.executors import PoolExecutor, SerialExecutor  # noqa: E402

SCENARIO = ROOT / "scenarios" / "wpcnt.yaml"


# --------------------------------------------------------------------------------------------- Mesa batch_run --
@lru_cache(maxsize=None)
def _scenario(path: str):
    return load_scenario(path)


class BatchNegotiation(NegotiationModel):
    """NegotiationModel in the shape batch_run wants: keyword parameters, and a DataCollector that has collected at
    every step (batch_run reads the value at the last step index)."""

    def __init__(self, seed: int, scenario: str = str(SCENARIO)):
        super().__init__(_scenario(scenario), seed=seed)
        self.datacollector = DataCollector(model_reporters={
            "outcome": "outcome", "rounds": "round", "adopted_round": "adopted_round",
            "in_force_round": "in_force_round", "core_members_n": lambda m: int(m.signed.sum())})

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)


def mesa_batch_run(seeds: list[int], processes: int) -> tuple[float, pd.DataFrame]:
    from mesa.batchrunner import batch_run

    start = time.perf_counter()
    rows = batch_run(BatchNegotiation, parameters={"seed": seeds}, number_processes=processes, iterations=1,
                     data_collection_period=-1, max_steps=100_000, display_progress=False)
    return time.perf_counter() - start, pd.DataFrame(rows)


# -------------------------------------------------------------------------------------------------- sweeps --
def sweep_plan(runs: int):
    # No parameter varies: every run is the base scenario with its own spawned seed, as batch_run will get.
    return quick_spec(SCENARIO, [], replicates=runs, seed=1, name="bench")


def timed_sweep(runs: int, executor, out: Path) -> tuple[float, pd.DataFrame]:
    plan = sweep_plan(runs)
    folder = SweepFolder.create(out, plan, build_design(plan), command=None)
    start = time.perf_counter()
    with executor:
        execute(folder, executor, progress=False)
    elapsed = time.perf_counter() - start
    return elapsed, pd.read_parquet(folder.path / "runs.parquet")


def plain_loop(runs: int) -> float:
    """run_once alone on the sweep's runs (the same spawned seeds): what the model costs without the sweep."""
    scenario = load_scenario(SCENARIO)
    seeds = [run_seed(1, run) for run in range(runs)]
    start = time.perf_counter()
    for seed in seeds:
        run_once(scenario, seed)
    return time.perf_counter() - start


def profile_runs(runs: int = 300) -> str:
    scenario = load_scenario(SCENARIO)
    profiler = cProfile.Profile()
    profiler.enable()
    for run in range(runs):
        run_once(scenario, run_seed(1, run))
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
    return text.getvalue()


# -------------------------------------------------------------------------------------------------- memory --
def peak_memory(runs: int, workers: int, out: Path) -> dict:
    """Run a sweep of `runs` runs as `run.py sweep` and sample its process tree's memory every 0.2 s."""
    import psutil

    points = 20
    replicates = max(1, runs // points)
    command = [sys.executable, str(ROOT / "run.py"), "sweep", str(SCENARIO), "--vary",
               f"states.USA.flexibility=0.1:0.9:{points}", "--replicates", str(replicates), "--out", str(out),
               "--workers", str(workers), "--quiet"]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(process.pid)
    peak = {"tree_rss": 0, "tree_pss": 0, "largest_rss": 0}
    while process.poll() is None:
        rss = pss = largest = 0
        try:
            members = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        for member in members:
            try:
                info = member.memory_full_info()
            except psutil.NoSuchProcess:
                continue
            rss += info.rss
            pss += info.pss  # shares pages the forked workers hold in common instead of counting them twice
            largest = max(largest, info.rss)
        peak = {"tree_rss": max(peak["tree_rss"], rss), "tree_pss": max(peak["tree_pss"], pss),
                "largest_rss": max(peak["largest_rss"], largest)}
        time.sleep(0.2)
    out_text, err_text = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"the sweep failed ({process.returncode}): {err_text}")
    folder = Path(out_text.strip().splitlines()[-1])
    return {"runs": points * replicates, "seconds": elapsed, **peak,
            "stored_runs": len(pd.read_parquet(folder / "runs.parquet", columns=["run"]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3000, help="runs per throughput measurement (default 3000)")
    parser.add_argument("--memory-runs", type=int, default=20_000, help="runs of the memory sweep (default 20000)")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-mesa", action="store_true")
    parser.add_argument("--profile", action="store_true", help="also print where a run's time goes")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"machine: {cores} cores available; scenario {SCENARIO.relative_to(ROOT)}; {args.runs} runs per case")

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        run_once(load_scenario(SCENARIO), 0)  # warm-up: imports and caches
        loop = plain_loop(args.runs)
        print(f"run_once in a loop (the model alone): {args.runs / loop:8.1f} runs/s")
        serial_s, serial = timed_sweep(args.runs, SerialExecutor(), scratch / "serial")
        print(f"sweep, serial in this process:        {args.runs / serial_s:8.1f} runs/s")
        results = {}
        for workers in (1, 2):
            elapsed, table = timed_sweep(args.runs, PoolExecutor(workers), scratch / f"pool{workers}")
            results[workers] = elapsed
            same = table.drop(columns=["wall_time_s", "sweep"]).equals(serial.drop(columns=["wall_time_s", "sweep"]))
            print(f"sweep, local pool, {workers} worker{'s' if workers > 1 else ' '}:     "
                  f"{args.runs / elapsed:8.1f} runs/s  ({elapsed:.2f} s; table equal to serial: {same})")
        speedup = results[1] / results[2]
        print(f"speed-up from 1 to 2 workers: {speedup:.2f}x (target >= 1.8x)")
        print(f"runs/s per core (2 workers): {args.runs / results[2] / 2:.1f} (target >= 150)")

        if not args.skip_mesa:
            seeds = [int(s) for s in serial["seed"]]
            for processes in (1, 2):
                elapsed, rows = mesa_batch_run(seeds, processes)
                mine = results[processes]
                rows = rows.set_index("seed").loc[seeds]
                agree = (list(rows["outcome"]) == list(serial["outcome"])
                         and list(rows["rounds"]) == list(serial["rounds"]))
                print(f"Mesa batch_run, {processes} process{'es' if processes > 1 else '  '}:     "
                      f"{len(seeds) / elapsed:8.1f} runs/s  ({elapsed:.2f} s; sweep / batch_run throughput: "
                      f"{elapsed / mine:.2f}; same outcomes and rounds: {agree})")

        if args.profile:
            print(profile_runs())

        if not args.skip_memory:
            memory = peak_memory(args.memory_runs, 2, scratch / "memory")
            print(f"{memory['runs']}-run sweep, 2 workers: {memory['seconds']:.1f} s "
                  f"({memory['runs'] / memory['seconds']:.1f} runs/s), {memory['stored_runs']} runs stored")
            print(f"  peak memory of the process tree: {memory['tree_pss'] / 2**20:.0f} MiB proportional (PSS), "
                  f"{memory['tree_rss'] / 2**20:.0f} MiB summed resident (RSS, counts shared pages once per "
                  f"process) (target < 1024 MiB)")
            print(f"  largest single process: {memory['largest_rss'] / 2**20:.0f} MiB resident")

if __name__ == "__main__":
    main()
