"""Cross-model check against KTAB's Spatial Model of Politics; prints the tables of docs/validation.md.

    python3 scripts/validate_ktab.py [--replicates 20] [--repeats 5]

For dummyData_3Dim and SOE-Pol-Comp (data/ktab), three forecasts of where each actor ends, on KTAB's 0-100 scale:
- KTAB: the last turn of KTAB's own reference run (data/ktab/*.ktab-history.csv);
- treatysim: the actor's final bargaining position, averaged over `replicates` seeded runs of the scenario that
  `run.py import ktab` makes of the same CSV (schema defaults for everything the CSV does not give);
- compromise: the capability x salience weighted mean of the ideal points on each dimension (the same point for
  every actor), using KTAB's raw saliences, as in the compromise model of the EU decision-making literature.
It also gives the "no change" baseline (each actor stays at its ideal point), and compares outcomes: KTAB's
capability-weighted mean final position, treatysim's final core text, and the compromise.

Then the wall time of one treatysim run (import included) on the four KTAB inputs whose KTAB run times are
published in data/ktab/README.md, median of `repeats` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.compare import replicate_seeds  # noqa: E402
from sim.importers import read_ktab, scenario_yaml  # noqa: E402
from sim.runner import run_once  # noqa: E402

DATA = ROOT / "data" / "ktab"
CASES = ("dummyData_3Dim", "SOE-Pol-Comp")
KTAB_SECONDS = {"dummyData_3Dim": 0.36, "SOE-Pol-Comp": 9.0, "dummyData-a040": 21.0, "dummyData-a080": 274.0}


def markdown(frame: pd.DataFrame, digits: int = 1) -> str:
    """A pipe table (pandas' to_markdown needs tabulate, which the project does not depend on)."""
    def cell(value) -> str:
        if isinstance(value, (float, np.floating)):
            return f"{value:.{digits}f}" if np.isfinite(value) else "-"
        return str(value)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(frame[c]) else "---" for c in frame.columns)
             + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def ktab_final(case: str) -> pd.DataFrame:
    """KTAB's reference run: the position (0-100) of each actor on each dimension at the last turn."""
    history = pd.read_csv(DATA / f"{case}.ktab-history.csv", keep_default_na=False)
    last = history[history["turn"] == history["turn"].max()]
    return last.pivot(index="actor", columns="dimension", values="position")


def treatysim_final(table, replicates: int) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Mean final position (0-100) per actor and dimension over seeded runs, the mean final core text, outcomes."""
    _, scenario = scenario_yaml(table)
    positions, texts, outcomes = [], [], []
    for seed in replicate_seeds(0, replicates):
        result = run_once(scenario, seed)
        positions.append(result.model.position.copy())
        texts.append(result.model.draft.copy())
        outcomes.append(result.summary["outcome"])
    mean = np.mean(positions, axis=0) * 100.0
    frame = pd.DataFrame(mean, index=[a.name for a in table.actors], columns=table.dimensions)
    return frame, np.mean(texts, axis=0) * 100.0, outcomes


def compromise(table) -> np.ndarray:
    capability = np.array([a.capability for a in table.actors])
    salience = np.array([a.saliences for a in table.actors]) / 100.0
    ideal = np.array([a.positions for a in table.actors])
    weights = capability[:, None] * salience
    return (weights * ideal).sum(axis=0) / weights.sum(axis=0)


def fit(forecast: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Pearson correlation and mean absolute error over all actor-dimension pairs."""
    f, r = forecast.ravel(), reference.ravel()
    corr = float(np.corrcoef(f, r)[0, 1]) if f.std() > 0 and r.std() > 0 else float("nan")
    return corr, float(np.abs(f - r).mean())


def check_case(case: str, replicates: int) -> tuple[str, list[dict]]:
    table = read_ktab(DATA / f"{case}.csv")
    actors = [a.name for a in table.actors]
    ktab = ktab_final(case).reindex(index=actors, columns=table.dimensions)
    if ktab.isna().any().any():
        raise SystemExit(f"{case}: the KTAB history does not cover every actor and dimension of the input")
    ideal = pd.DataFrame([a.positions for a in table.actors], index=actors, columns=table.dimensions)
    ours, text, outcomes = treatysim_final(table, replicates)
    comp = compromise(table)
    comp_frame = pd.DataFrame(np.tile(comp, (len(actors), 1)), index=actors, columns=table.dimensions)

    rows = []
    for actor in actors:
        row = {"actor": actor}
        for d in table.dimensions:
            short = d.replace(" Position", "")
            row[f"{short}: ideal"] = ideal.loc[actor, d]
            row[f"{short}: KTAB"] = ktab.loc[actor, d]
            row[f"{short}: treatysim"] = ours.loc[actor, d]
        rows.append(row)
    lines = [f"### {case} ({len(actors)} actors x {len(table.dimensions)} dimensions)", "",
             "Final positions (0-100). ideal = the input position; KTAB = last turn of KTAB's reference run; "
             f"treatysim = mean over {replicates} seeds.", "", markdown(pd.DataFrame(rows)), ""]

    capability = np.array([a.capability for a in table.actors])
    outcome_rows = []
    for d_index, d in enumerate(table.dimensions):
        outcome_rows.append({
            "dimension": d,
            "KTAB (capability-weighted mean final position)": float(np.average(ktab[d], weights=capability)),
            "treatysim final core text": float(text[d_index]),
            "compromise model": float(comp[d_index]),
        })
    counts = pd.Series(outcomes).value_counts()
    lines += [f"Outcome point per dimension (treatysim outcomes: "
              f"{', '.join(f'{k} {v}/{replicates}' for k, v in counts.items())}):", "",
              markdown(pd.DataFrame(outcome_rows)), ""]

    summary = []
    for name, frame in (("treatysim final positions", ours), ("compromise model", comp_frame),
                        ("no change (ideal points)", ideal)):
        corr, mae = fit(frame.to_numpy(), ktab.to_numpy())
        summary.append({"case": case, "forecast": name, "r with KTAB final": corr, "MAE vs KTAB final": mae})
    return "\n".join(lines), summary


def timings(repeats: int) -> pd.DataFrame:
    rows = []
    for case, ktab_seconds in KTAB_SECONDS.items():
        table = read_ktab(DATA / f"{case}.csv")
        times, rounds = [], []
        for seed in range(repeats):
            start = time.perf_counter()
            _, scenario = scenario_yaml(read_ktab(DATA / f"{case}.csv"))
            result = run_once(scenario, seed)
            times.append(time.perf_counter() - start)
            rounds.append(result.summary["rounds"])
        median = statistics.median(times)
        rows.append({"input": case, "actors x dimensions": f"{len(table.actors)} x {len(table.dimensions)}",
                     "treatysim s (median)": median, "rounds (median)": statistics.median(rounds),
                     "KTAB s": ktab_seconds, "KTAB / treatysim": f"{ktab_seconds / median:,.0f}x"})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20, help="seeded runs per case (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per input (default 5)")
    args = parser.parse_args()
    summary = []
    for case in CASES:
        text, rows = check_case(case, args.replicates)
        print(text)
        summary += rows
    print("### Fit to KTAB's final positions (all actor-dimension pairs)\n")
    print(markdown(pd.DataFrame(summary), digits=2))
    print("\n### Wall time of one run on the same inputs\n")
    print(markdown(timings(args.repeats), digits=3))


if __name__ == "__main__":
    main()
