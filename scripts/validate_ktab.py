"""Cross-model check against KTAB's Spatial Model of Politics; prints the tables of docs/validation.md.

    python3 scripts/validate_ktab.py [--replicates 20] [--repeats 5]

For dummyData_3Dim and SOE-Pol-Comp (data/ktab), three forecasts of where each actor ends, on KTAB's 0-100 scale:
- KTAB: the last turn of KTAB's own reference run (data/ktab/*.ktab-history.csv);
- treatysim: the actor's final bargaining position, averaged over `replicates` seeded runs of the scenario that
  `run.py import ktab` makes of the same CSV (schema defaults for everything the CSV does not give);
- compromise: the capability x salience weighted mean of the ideal points on each dimension (the same point for
  every actor), using KTAB's raw saliences, as in the compromise model of the EU decision-making literature.
It also gives two baselines: "no change" (each actor stays at its ideal point) and a one-parameter shrinkage of
the ideals toward the compromise, final_i = ideal_i + lambda (compromise - ideal_i). The shrinkage's lambda is fitted
by least squares to KTAB's final positions, once on the case itself (in sample: it has seen the answer, so it bounds
what a shrinkage can do) and once on the other case only (leave one case out: a forecast). The same fit on treatysim's
own final positions says how much of treatysim's movement a shrinkage describes (lambda and R^2). It compares
outcomes too: KTAB's capability-weighted mean final position, treatysim's final core text, and the compromise.

Then the wall time of one treatysim run (import included) on the four KTAB inputs whose KTAB run times are
published in data/ktab/README.md, median of `repeats` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Mapping
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


def treatysim_final(table, replicates: int) -> tuple[pd.DataFrame, np.ndarray, list[str], list]:
    """Mean final position (0-100) per actor and dimension over seeded runs, the mean final core text, and each
    run's outcome and adoption round (None when nothing was adopted)."""
    _, scenario = scenario_yaml(table)
    positions, texts, outcomes, adopted = [], [], [], []
    for seed in replicate_seeds(0, replicates):
        result = run_once(scenario, seed)
        positions.append(result.model.position.copy())
        texts.append(result.model.draft.copy())
        outcomes.append(result.summary["outcome"])
        adopted.append(result.summary["adopted_round"])
    mean = np.mean(positions, axis=0) * 100.0
    frame = pd.DataFrame(mean, index=[a.name for a in table.actors], columns=table.dimensions)
    return frame, np.mean(texts, axis=0) * 100.0, outcomes, adopted


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


def shrinkage_lambda(ideal: np.ndarray, compromise: np.ndarray, final: np.ndarray) -> float:
    """The least-squares lambda of final = ideal + lambda (compromise - ideal) over all actor-dimension pairs.

    `ideal` and `final` are actors x dimensions; `compromise` is one point (dimensions) or actors x dimensions. The
    closed form of a regression through the origin of (final - ideal) on (compromise - ideal), sum(d y) / sum(d d),
    is one line, so it is written out rather than called from a solver."""
    ideal, final = np.asarray(ideal, dtype=float), np.asarray(final, dtype=float)
    if ideal.shape != final.shape:
        raise ValueError(f"ideal {ideal.shape} and final {final.shape} positions differ in shape")
    pull = (np.broadcast_to(np.asarray(compromise, dtype=float), ideal.shape) - ideal).ravel()
    moved = (final - ideal).ravel()
    if not np.all(np.isfinite(pull)) or not np.all(np.isfinite(moved)):
        raise ValueError("positions and compromise must be finite")
    if pull @ pull == 0.0:
        raise ValueError("every actor is at the compromise: lambda is undefined")
    return float(pull @ moved / (pull @ pull))


def shrink(ideal: np.ndarray, compromise: np.ndarray, lam: float) -> np.ndarray:
    """The shrinkage forecast: each ideal moved the share `lam` of the way to the compromise."""
    ideal = np.asarray(ideal, dtype=float)
    return ideal + lam * (np.asarray(compromise, dtype=float) - ideal)


def shrinkage_r2(ideal: np.ndarray, compromise: np.ndarray, final: np.ndarray) -> tuple[float, float]:
    """lambda and the share of the movement (final - ideal) that the shrinkage explains: R^2 of the regression
    through the origin, 1 - SS(residual) / SS(movement) (uncentred, as the model has no intercept); nan when
    nothing moved."""
    lam = shrinkage_lambda(ideal, compromise, final)
    moved = np.asarray(final, dtype=float) - np.asarray(ideal, dtype=float)
    residual = np.asarray(final, dtype=float) - shrink(ideal, compromise, lam)
    total = float((moved ** 2).sum())
    return lam, (1.0 - float((residual ** 2).sum()) / total) if total > 0 else float("nan")


def leave_one_case_out(cases: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict[str, float]:
    """For each case, the lambda fitted to all the other cases' actor-dimension pairs together, never its own.

    `cases` maps a name to (ideal, compromise, final) as `shrinkage_lambda` takes them."""
    if len(cases) < 2:
        raise ValueError("leaving one case out needs at least two cases")
    stacked = {name: (np.asarray(ideal, dtype=float),
                      np.broadcast_to(np.asarray(comp, dtype=float), np.shape(ideal)),
                      np.asarray(final, dtype=float))
               for name, (ideal, comp, final) in cases.items()}
    lambdas = {}
    for name in stacked:
        others = [parts for other, parts in stacked.items() if other != name]
        ideal, comp, final = (np.concatenate([p[i].ravel() for p in others]) for i in range(3))
        lambdas[name] = shrinkage_lambda(ideal, comp, final)
    return lambdas


def check_case(case: str, replicates: int) -> tuple[str, dict]:
    table = read_ktab(DATA / f"{case}.csv")
    actors = [a.name for a in table.actors]
    ktab = ktab_final(case).reindex(index=actors, columns=table.dimensions)
    if ktab.isna().any().any():
        raise SystemExit(f"{case}: the KTAB history does not cover every actor and dimension of the input")
    ideal = pd.DataFrame([a.positions for a in table.actors], index=actors, columns=table.dimensions)
    ours, text, outcomes, adopted = treatysim_final(table, replicates)
    comp = compromise(table)

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
    rounds = [r for r in adopted if r is not None]
    span = (f"round {rounds[0]}" if min(rounds, default=0) == max(rounds, default=0)
            else f"rounds {min(rounds)}-{max(rounds)} (median {statistics.median(rounds):g})")
    adoption = f"; a text adopted in {span} in {len(rounds)}/{replicates} runs" if rounds else "; no text adopted"
    lines += [f"Outcome point per dimension (treatysim outcomes: "
              f"{', '.join(f'{k} {v}/{replicates}' for k, v in counts.items())}{adoption}):", "",
              markdown(pd.DataFrame(outcome_rows)), ""]

    positions = {"ideal": ideal.to_numpy(), "compromise": comp, "KTAB": ktab.to_numpy(), "treatysim": ours.to_numpy()}
    return "\n".join(lines), positions


def fit_summary(positions: Mapping[str, dict]) -> pd.DataFrame:
    """Fit of every forecast to KTAB's final positions, case by case; lambda for the shrinkage baselines."""
    out_of_sample = leave_one_case_out({case: (p["ideal"], p["compromise"], p["KTAB"])
                                        for case, p in positions.items()})
    rows = []
    for case, p in positions.items():
        ideal, comp, ktab = p["ideal"], p["compromise"], p["KTAB"]
        in_sample = shrinkage_lambda(ideal, comp, ktab)
        others = ", ".join(c for c in positions if c != case)
        forecasts = (("treatysim final positions", p["treatysim"], float("nan")),
                     ("shrinkage, lambda fitted to this case's KTAB run (in sample)",
                      shrink(ideal, comp, in_sample), in_sample),
                     (f"shrinkage, lambda fitted to {others} (out of sample)",
                      shrink(ideal, comp, out_of_sample[case]), out_of_sample[case]),
                     ("compromise model", np.broadcast_to(comp, ideal.shape), float("nan")),
                     ("no change (ideal points)", ideal, float("nan")))
        for name, forecast, lam in forecasts:
            corr, mae = fit(forecast, ktab)
            rows.append({"case": case, "forecast": name, "lambda": lam, "r with KTAB final": corr,
                         "MAE vs KTAB final": mae})
    return pd.DataFrame(rows)


def shrinkage_summary(positions: Mapping[str, dict]) -> pd.DataFrame:
    """How well a shrinkage toward the compromise describes each model's own final positions."""
    rows = []
    for case, p in positions.items():
        for model in ("treatysim", "KTAB"):
            lam, r2 = shrinkage_r2(p["ideal"], p["compromise"], p[model])
            residual = p[model] - shrink(p["ideal"], p["compromise"], lam)
            rows.append({"case": case, "final positions of": model, "lambda": lam,
                         "R^2 of the movement": r2, "MAE of the shrinkage": float(np.abs(residual).mean())})
    return pd.DataFrame(rows)


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
    positions = {}
    for case in CASES:
        text, positions[case] = check_case(case, args.replicates)
        print(text)
    print("### Fit to KTAB's final positions (all actor-dimension pairs)\n")
    print(markdown(fit_summary(positions), digits=2))
    print("\n### How much of each model's movement a shrinkage toward the compromise describes\n")
    print("final = ideal + lambda (compromise - ideal), lambda fitted by least squares to the model's own final "
          "positions;\nR^2 is the share of the movement (final - ideal) it explains, through the origin.\n")
    print(markdown(shrinkage_summary(positions), digits=2))
    print("\n### Wall time of one run on the same inputs\n")
    print(markdown(timings(args.repeats), digits=3))


if __name__ == "__main__":
    main()
