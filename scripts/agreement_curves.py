"""Draw P(agreement) against flexibility and against the treaty's value on the shipped scenarios.

    python3 scripts/agreement_curves.py [--replicates 40] [--points 17] [--out docs/figures/agreement_curves.png]

For each scenario, every state's flexibility is scaled (the dashboard's flexibility control: a factor from 0.25 to 4,
each state capped at 1), and separately `treaty.participation_benefit` is set on a grid; at each point the chance of
adoption is estimated over the same replicate seeds (spawned from --seed as `run.py compare` spawns them), with a
Wilson 95% interval. The figure shows whether the chance passes through intermediate values over a range of the
parameter (outcomes are probabilities) instead of jumping between two neighbouring grid points. The numbers are
also written as CSV next to the figure.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.app.live import build_scenario  # noqa: E402
from sim.compare import replicate_seeds, wilson  # noqa: E402
from sim.loader import load_raw, validate_raw, with_overrides  # noqa: E402
from sim.runner import run_once  # noqa: E402

SCENARIOS = ("classroom", "global_stalemate", "wpcnt")


def scenario_at(name: str, parameter: str, value: float):
    path = ROOT / "scenarios" / f"{name}.yaml"
    if parameter == "flexibility_scale":
        return build_scenario(path, flexibility_scale=value)
    return validate_raw(with_overrides(load_raw(path), {"treaty.participation_benefit": value}))


def adoption_count(job: tuple[str, str, float, list[int]]) -> tuple[str, str, float, int, int]:
    name, parameter, value, seeds = job
    scenario = scenario_at(name, parameter, value)
    adopted = sum(bool(run_once(scenario, seed).summary["adopted"]) for seed in seeds)
    return name, parameter, value, adopted, len(seeds)


def grids(points: int) -> dict[str, np.ndarray]:
    return {"flexibility_scale": np.round(np.geomspace(0.25, 4.0, points), 4),
            "participation_benefit": np.round(np.linspace(0.1, 0.9, points), 4)}


def compute(replicates: int, points: int, seed: int, workers: int | None = None, scenarios=SCENARIOS):
    seeds = replicate_seeds(seed, replicates)
    jobs = [(name, parameter, float(value), seeds) for name in scenarios
            for parameter, values in grids(points).items() for value in values]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(adoption_count, jobs))


def write(rows, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["scenario", "parameter", "value", "adopted", "replicates"])
    frame["p_adopted"] = frame["adopted"] / frame["replicates"]
    bounds = [wilson(int(a), int(n)) for a, n in zip(frame["adopted"], frame["replicates"])]
    frame["low"], frame["high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out.with_suffix(".csv"), index=False, float_format="%.4f")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=200, sharey=True)
    labels = {"flexibility_scale": "flexibility scale\n(every state's flexibility times this, capped at 1)",
              "participation_benefit": "treaty.participation_benefit\n(value of a universal treaty to a member)"}
    for ax, parameter in zip(axes, labels):
        for name, group in frame[frame["parameter"] == parameter].groupby("scenario", sort=False):
            ax.plot(group["value"], group["p_adopted"], marker="o", ms=3, label=name)
            ax.fill_between(group["value"], group["low"], group["high"], alpha=0.2)
        if parameter == "flexibility_scale":
            ax.set_xscale("log", base=2)
        ax.set_xlabel(labels[parameter], fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("chance that a text is adopted", fontsize=9)
    n = int(frame["replicates"].iloc[0])
    fig.suptitle(f"P(adoption) with Wilson 95% intervals, {n} replicate seeds per point", fontsize=10)
    axes[1].legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--points", type=int, default=17)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures" / "agreement_curves.png")
    args = parser.parse_args(argv)
    rows = compute(args.replicates, args.points, args.seed, args.workers, args.scenarios)
    write(rows, args.out)
    for name, parameter, value, adopted, n in rows:
        print(f"{name:18s} {parameter:22s} {value:7.3f}  {adopted:3d}/{n}")
    print(f"wrote {args.out} and {args.out.with_suffix('.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
