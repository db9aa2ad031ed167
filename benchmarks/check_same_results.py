"""Golden-output check for work on the model's speed: a change that only makes the model faster must leave every
result as it was.

    python3 benchmarks/check_same_results.py record DIR   # before the change: write the reference results to DIR
    python3 benchmarks/check_same_results.py check DIR    # after it: run again and compare with DIR
    python3 benchmarks/check_same_results.py check DIR --concession compiled   # the concession phase compiled

Runs every scenario under scenarios/ and scenarios/variants/ for seeds 0-4 with both activation regimes, a few
variations of the small scenarios that reach the model's other branches (other decision rules, a rotating chair,
walk-outs, no noise, a public-good share, uncertain inputs, deadline pressure), and the 193-state scenario of
benchmarks/synthetic.py, and keeps each run's JSON summary, rounds table and states table. The comparison is exact:
the summaries as JSON text, the tables value for value (NaN equal to NaN). Exit code 0 when everything is equal,
1 when something differs (each difference is printed), 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.synthetic import synthetic_document  # noqa: E402
from sim import maths  # noqa: E402
from sim.loader import load_scenario, scenario_from_dict  # noqa: E402
from sim.runner import run_once  # noqa: E402

SEEDS = range(5)
ACTIVATIONS = ("random", "simultaneous")
# Variations that reach branches the shipped scenarios do not (rules, chairs, walk-outs, noise, uncertainty).
VARIATIONS = {
    "classroom.yaml": [
        {"rules.decision": "majority_capability"},
        {"rules.decision": "plurilateral", "rules.threshold": 0.5},
        {"protocol.chair": "rotation"},
        {"protocol.chair": "best_supported"},
        {"protocol.walkout_patience": 2, "protocol.walkout_margin": 0.0},
        {"protocol.decision_noise": 0.0, "protocol.concession_noise": 0.0},
        {"treaty.public_good_share": 0.3},
        {"states.CAL.uncertainty": {"ideal": {"data_sovereignty": 0.1}, "flexibility": 0.05, "capability": 0.5}},
        {"protocol.deadline_round": 12, "protocol.endgame_rounds": 6, "protocol.endgame_pressure": 0.2},
    ],
    "wpcnt.yaml": [
        {"rules.decision": "majority_count"},
        {"protocol.chair": "rotation"},
        {"protocol.walkout_patience": 2, "protocol.walkout_margin": 0.0},
        {"treaty.public_good_share": 0.3},
    ],
}


def other_dimensions(activation: str, k: int) -> dict:
    """A 60-state synthetic scenario on k dimensions (the model must not assume three), 40 rounds."""
    rng = np.random.default_rng(k)
    dims = [f"issue_{j}" for j in range(k)]
    states = []
    for i in range(60):
        camp = i % 3
        states.append({
            "id": f"K{i:02d}",
            "ideal": {d: round(float(np.clip(0.2 + 0.3 * camp + rng.normal(0, 0.1), 0, 1)), 4) for d in dims},
            "salience": {d: round(float(rng.uniform(0.2, 1.0)), 4) for d in dims},
            "capability": round(float(rng.lognormal(0.0, 1.0)), 4),
            "flexibility": round(float(rng.uniform(0.05, 0.5)), 4),
        })
    return {
        "metadata": {"title": f"{k}-dimension check"},
        "dimensions": [{"name": d} for d in dims],
        "states": states,
        "coalitions": [{"name": f"camp{c}", "members": [s["id"] for s in states[c::3]], "cohesion": 0.6}
                       for c in (0, 2)],
        "rules": {"decision": "consensus", "ratifications_needed": 20},
        "protocol": {"activation": activation, "max_rounds": 40, "stalemate_window": 40},
    }


def cases():
    """(name, scenario, seeds) for every run of the check, in a fixed order."""
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "variants").glob("*.yaml"))
    for path in files:
        name = str(path.relative_to(ROOT))
        for activation in ACTIVATIONS:
            overrides = {"protocol.activation": activation}
            yield f"{name} {activation}", load_scenario(path, overrides), SEEDS
            for extra in VARIATIONS.get(path.name, []):
                label = json.dumps(extra, sort_keys=True)
                yield f"{name} {activation} {label}", load_scenario(path, {**overrides, **extra}), SEEDS
    for activation in ACTIVATIONS:
        yield (f"synthetic 193 states {activation}",
               scenario_from_dict(synthetic_document(activation=activation), source="<synthetic>"), SEEDS)
        document = synthetic_document(activation=activation, rounds=60)
        document["rules"]["decision"] = "plurilateral"
        document["rules"]["threshold"] = 0.4
        yield f"synthetic 193 states {activation} plurilateral", scenario_from_dict(document, "<synthetic>"), SEEDS[:2]
        for k in (1, 2, 5):
            yield (f"synthetic 60 states, {k} dimensions, {activation}",
                   scenario_from_dict(other_dimensions(activation, k), "<synthetic>"), SEEDS[:3])


def run_all() -> dict:
    results = {}
    for name, scenario, seeds in cases():
        for seed in seeds:
            result = run_once(scenario, seed)
            results[f"{name} seed {seed}"] = {
                "summary": json.dumps(result.summary, sort_keys=True),
                "rounds": result.rounds,
                "states": result.states,
            }
    return results


def _table_difference(mine: pd.DataFrame, reference: pd.DataFrame) -> str | None:
    if list(mine.columns) != list(reference.columns) or mine.shape != reference.shape:
        return f"columns or shape differ: {mine.shape} vs {reference.shape}"
    for column in reference.columns:
        a, b = mine[column], reference[column]
        if a.dtype != b.dtype:
            return f"column {column}: dtype {a.dtype} vs {b.dtype}"
        if a.equals(b):
            continue
        if np.issubdtype(b.dtype, np.floating):
            gap = np.nanmax(np.abs(a.to_numpy() - b.to_numpy()))
            return f"column {column}: largest difference {gap:.3g}"
        return f"column {column} differs"
    return None


def compare(results: dict, reference: dict) -> list[str]:
    problems = []
    if results.keys() != reference.keys():
        problems.append(f"different runs: {sorted(results.keys() ^ reference.keys())}")
    for key in sorted(results.keys() & reference.keys()):
        mine, theirs = results[key], reference[key]
        if mine["summary"] != theirs["summary"]:
            a, b = json.loads(mine["summary"]), json.loads(theirs["summary"])
            fields = sorted(f for f in a.keys() | b.keys() if a.get(f) != b.get(f))
            problems.append(f"{key}: summary differs in {fields}")
        for table in ("rounds", "states"):
            difference = _table_difference(mine[table], theirs[table])
            if difference:
                problems.append(f"{key}: {table} table: {difference}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["record", "check"])
    parser.add_argument("folder", type=Path, help="where the reference results are kept (outside the repository)")
    parser.add_argument("--concession", choices=["switch", "python", "compiled"], default="switch",
                        help="run the concession phase in Python and numpy, in the compiled kernels of sim.kernels, "
                             "or switch after a while as the model does (default)")
    args = parser.parse_args(argv)
    maths.compiled_moves({"switch": None, "python": False, "compiled": True}[args.concession])
    reference_file = args.folder / "reference.pickle"
    start = time.perf_counter()
    results = run_all()
    elapsed = time.perf_counter() - start
    if args.action == "record":
        if reference_file.exists():
            print(f"{reference_file} exists already; not overwritten", file=sys.stderr)
            return 2
        args.folder.mkdir(parents=True, exist_ok=True)
        partial = reference_file.with_suffix(".partial")
        with open(partial, "wb") as handle:
            pickle.dump(results, handle)
        partial.replace(reference_file)
        print(f"recorded {len(results)} runs in {elapsed:.1f} s")
        return 0
    with open(reference_file, "rb") as handle:
        reference = pickle.load(handle)
    problems = compare(results, reference)
    for line in problems:
        print(line)
    print(f"{len(results)} runs in {elapsed:.1f} s: " + ("all identical" if not problems else
                                                         f"{len(problems)} differences"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
