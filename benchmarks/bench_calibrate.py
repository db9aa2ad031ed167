"""Calibration throughput: (i) a 4-parameter ABC-SMC calibration of scenarios/un_cybercrime.yaml against
data/observed/un_cybercrime.yaml with at least 5,000 simulations on 2 cores, and (ii) the speed-up of a Dask cluster
with 2 workers over 1 on a smaller calibration of the same scenario.

    python3 benchmarks/bench_calibrate.py [--simulations 5000] [--population-size 500] [--dask-population 60]
                                          [--skip-full] [--skip-dask]

Both use the machinery that `run.py calibrate` uses (sim.calibrate: SeededSampler, the history database, one ABCSMC
per generation). The workers are started and warmed up (every worker imports pyabc, which takes a few seconds)
before the clock starts; the start-up is printed apart. (i) runs on a local pool of 2 processes until a population
brings the simulations to --simulations. (ii) runs the same seeded calibration on a Dask LocalCluster with 1 and with
2 one-thread workers and checks that both give the same posterior.

Targets on a 2-core machine: (i) under 15 minutes, (ii) at least 1.6x from 1 to 2 workers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibrate import Calibration, DaskMapper, PoolMapper, Settings, Simulator, check_parameters  # noqa: E402
from sim.loader import load_raw, validate_raw  # noqa: E402
from sim.observed import load_observed  # noqa: E402
from sim.targets import define_targets, observed_values  # noqa: E402

SCENARIO = ROOT / "scenarios" / "un_cybercrime.yaml"
OBSERVED = ROOT / "data" / "observed" / "un_cybercrime.yaml"
PARAMS = ["treaty.participation_benefit=0.1:0.6", "protocol.decision_noise=0:0.1", "flexibility_scale=0.5:1.5",
          "rules.ratification_window_months=12:60"]


def _setup():
    raw = load_raw(SCENARIO)
    scenario = validate_raw(raw)
    targets = define_targets(load_observed(OBSERVED), [s.id for s in scenario.states])
    parameters = check_parameters(raw, PARAMS)
    return Simulator(raw, parameters, targets), observed_values(targets)


def _warm(mapper) -> float:
    """Start-up: every worker imports pyabc and the model (one tiny calibration generation's worth of tasks)."""
    import cloudpickle

    start = time.perf_counter()
    simulator, _ = _setup()
    mapper.map(_touch, cloudpickle.dumps(simulator), list(range(mapper.workers * 2)))
    return time.perf_counter() - start


def _touch(payload, item):
    import pyabc  # noqa: F401 - what every worker has to import once

    from sim.calibrate import _unpickle

    _unpickle(payload)
    return item


def calibrate(mapper, settings: Settings, folder: Path, say=print) -> tuple[float, Calibration]:
    simulator, observed = _setup()
    calibration = Calibration(folder / "abc.db", simulator, observed, settings, mapper)
    start = time.perf_counter()
    done = False
    while not done:
        calibration.step()
        row = calibration.diagnostics().iloc[-1]
        say(f"  population {int(row.population)}: epsilon {row.epsilon:.4g}, {int(row.simulations)} simulations, "
            f"acceptance {row.acceptance_rate:.1%}, {time.perf_counter() - start:.0f} s")
        done, _ = calibration.finished()
    return time.perf_counter() - start, calibration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulations", type=int, default=5000)
    parser.add_argument("--population-size", type=int, default=500)
    parser.add_argument("--dask-population", type=int, default=60)
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}; cores: {os.cpu_count()}")
    if not args.skip_full:
        print(f"(i) {len(PARAMS)} parameters ({', '.join(p.split('=')[0] for p in PARAMS)}), population "
              f"{args.population_size}, until {args.simulations} simulations, local pool of 2")
        mapper = PoolMapper(2)
        try:
            warm = _warm(mapper)
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(seed=0, population_size=args.population_size, populations=50,
                                    max_simulations=args.simulations)
                wall, calibration = calibrate(mapper, settings, Path(tmp))
                table = calibration.diagnostics()
        finally:
            mapper.close()
        sims = int(table.simulations.sum())
        print(f"(i) {sims} simulations in {len(table)} populations: {wall:.0f} s ({wall / 60:.1f} min; target under "
              f"15 min), {sims / wall:.1f} simulations/s, {2 * wall / sims:.3f} s per simulation per core; "
              f"worker start-up {warm:.1f} s; final epsilon {table.epsilon.iloc[-1]:.4g}")
    if not args.skip_dask:
        walls, posteriors = {}, {}
        for workers in (1, 2):
            mapper = DaskMapper(workers=workers)
            try:
                warm = _warm(mapper)
                with tempfile.TemporaryDirectory() as tmp:
                    settings = Settings(seed=1, population_size=args.dask_population, populations=3)
                    print(f"(ii) Dask LocalCluster, {workers} worker{'s' if workers > 1 else ''}, population "
                          f"{args.dask_population}, 3 populations (start-up {warm:.1f} s)")
                    walls[workers], calibration = calibrate(mapper, settings, Path(tmp))
                    posteriors[workers] = calibration.posterior()
                    sims = int(calibration.diagnostics().simulations.sum())
            finally:
                mapper.close()
            print(f"(ii) {workers} worker{'s' if workers > 1 else ''}: {sims} simulations in {walls[workers]:.1f} s")
        same = posteriors[1].equals(posteriors[2])
        print(f"(ii) speed-up 2 workers over 1: {walls[1] / walls[2]:.2f}x (target at least 1.6x); same posterior: "
              f"{same}")


if __name__ == "__main__":
    main()
