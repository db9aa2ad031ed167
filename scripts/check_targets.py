"""Check the retrodiction targets of docs/validation.md over runs drawn across calibration posteriors.

    python3 scripts/check_targets.py --un FOLDER --oewg FOLDER --budapest FOLDER [--draws 60] [--seed 0] [--set PATH=VALUE]
    python3 scripts/check_targets.py --shipped [--draws 60] [--seed 0] [--set PATH=VALUE]

Each FOLDER is a finished `run.py calibrate` folder (docs/calibration.md): its `scenario.yaml` (the scenario as
calibrated), `calibration.json` (the priors) and `posterior.parquet` (the last population with its weights). From
each, --draws parameter sets are drawn by weight with a generator seeded by --seed, and each set is run once with
its own seed spawned from --seed, so the runs integrate over the posterior, the seeds and the scenario's input
uncertainty at once. With --shipped, the shipped scenarios (scenarios/un_cybercrime.yaml, oewg_2021_2025.yaml and
budapest.yaml, which hold the posterior medians) are run instead, --draws seeds each, spawned from --seed alike:
what a user who runs the shipped files gets. Shares get Wilson 95% intervals (scipy), counts their mean and 5-95%
range of the runs.

What each target reads (the observed facts are data/observed/*.yaml, read through sim.observed):

- UN convention: adopted by consensus (the summary's `adopted_by`, not a fallback vote), and that within 6 months
  of the committee's agreement (9 Aug 2024); signatories at the opening; the share of the states named at the
  opening whose decision a run matches (the states that signed at the opening), and the accuracy of the per-state
  forecast (the share of runs in which a state signed, read at 0.5).
- OEWG: a report adopted by consensus with enforcement at most 0.3, with the parameters drawn from the UN
  convention's posterior set into scenarios/oewg_2021_2025.yaml (nothing of the OEWG is fitted).
- Budapest: parties (ratified) in the last round dated in 2025; Russia and China both not signatories; balanced
  accuracy of the per-state forecast of party status (the share of runs in which a state is a party by 2025, read
  at 0.5) on the states data/observed/budapest.yaml names, against "every invited state accedes".

Prints a Markdown table. Exit codes: 0 ok, 2 bad usage, 3 a folder or file that cannot be used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import scoring  # noqa: E402
from sim.calibrate import Parameter, Simulator  # noqa: E402
from sim.loader import ScenarioError, load_raw, load_scenario, with_overrides  # noqa: E402
from sim.observed import load_observed  # noqa: E402
from sim.runner import run_once  # noqa: E402

OBSERVED = ROOT / "data" / "observed"
UN_AGREED = dt.date(2024, 8, 9)
DAYS_PER_MONTH = 365.25 / 12
SIGNATORIES_RANGE = (55, 90)
PARTIES_RANGE = (70, 82)  # 76 +/- 6
SHALLOW = 0.3


class FolderError(Exception):
    pass


def draws(folder: Path, n: int, seed: int, scenario: Path | None = None, overrides=()):
    """(scenario for each draw, seed of its run): parameter sets drawn by weight from the folder's posterior, set
    into the calibrated scenario or into `scenario` (another process with the same fields), with `overrides`
    (PATH=VALUE strings) applied first."""
    try:
        info = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
        posterior = pd.read_parquet(folder / "posterior.parquet")
        base = load_raw(scenario or folder / "scenario.yaml")
    except (OSError, ValueError, ScenarioError) as exc:
        raise FolderError(f"{folder}: not a finished calibration folder ({exc})") from None
    try:
        base = with_overrides(base, overrides)
        load_scenario(scenario or folder / "scenario.yaml", overrides)  # a bad value fails here, not mid-check
    except ScenarioError as exc:
        raise FolderError(str(exc)) from None
    parameters = [Parameter(p["path"], p["low"], p["high"], p.get("integer", False), p.get("name", ""))
                  for p in info["parameters"]]
    simulator = Simulator(base, parameters, ())
    weights = posterior["weight"].to_numpy(float)
    sequence = np.random.SeedSequence(seed)
    rng = np.random.default_rng(sequence.spawn(1)[0])
    rows = rng.choice(len(posterior), size=n, p=weights / weights.sum())
    for row, run_seed in zip(rows, run_seeds(sequence, n)):
        values = {p.path: float(posterior.iloc[row][p.path]) for p in parameters}
        yield simulator.scenario(values), run_seed


def shipped(path: Path, n: int, seed: int, overrides=()):
    """(scenario, seed of its run) for `n` runs of a shipped scenario (with `overrides`), the seeds spawned from
    `seed` as in `draws`."""
    try:
        scenario = load_scenario(path, overrides)
    except (OSError, ScenarioError) as exc:
        raise FolderError(f"{path}: cannot be read ({exc})") from None
    for run_seed in run_seeds(np.random.SeedSequence(seed), n):
        yield scenario, run_seed


def run_seeds(sequence: np.random.SeedSequence, n: int) -> list[int]:
    """The seeds of `n` runs, spawned from `sequence` after the child that draws the posterior rows."""
    return [int(s.generate_state(1)[0]) for s in sequence.spawn(n + 1)[1:]]


def share(hits: list[bool]) -> str:
    k, n = int(sum(hits)), len(hits)
    ci = binomtest(k, n).proportion_ci(method="wilson")
    return f"{k / n:.0%} ({ci.low:.0%}-{ci.high:.0%}), {k} of {n}"


def spread(values) -> str:
    v = np.asarray(values, float)
    return f"mean {v.mean():.1f}, 5-95% {np.percentile(v, 5):.0f}-{np.percentile(v, 95):.0f}"


def _months(date: str | None, anchor: dt.date) -> float | None:
    if date is None:
        return None
    return (dt.date.fromisoformat(date) - anchor).days / DAYS_PER_MONTH


def check_un(runs) -> list[tuple[str, str, str]]:
    named = load_observed(OBSERVED / "un_cybercrime.yaml").decisions_at("opening")
    consensus, on_time, signatories, correct = [], [], [], []
    signed = {s: 0 for s in named}
    for scenario, run_seed in runs:
        summary = run_once(scenario, run_seed).summary
        by_consensus = summary["adopted_by"] == "consensus"
        offset = _months(summary["adopted_date"], UN_AGREED)
        consensus.append(by_consensus)
        on_time.append(by_consensus and offset is not None and abs(offset) <= 6)
        signatories.append(summary["signatories_at_opening"] or 0)
        members = set(summary["explanation"].get("signed_at_opening", ())) if summary["adopted"] else set()
        hits = [(s in members) == (d.value == "signed") for s, d in named.items()]
        correct.append(np.mean(hits))
        for s in named:
            signed[s] += s in members
    forecast = {s: signed[s] / len(consensus) for s in named}
    accuracy = np.mean([(forecast[s] >= 0.5) == (d.value == "signed") for s, d in named.items()])
    low, high = SIGNATORIES_RANGE
    return [
        ("UN: adopted without a vote", ">= 80% of runs", share(consensus)),
        ("UN: ... and within 6 months of Aug 2024", ">= 80% of runs", share(on_time)),
        ("UN: signatories at the opening", f"{low}-{high} (real 72)",
         f"{spread(signatories)}; within {low}-{high}: {share([low <= s <= high for s in signatories])}"),
        ("UN: named states classified correctly", ">= 80%",
         f"{np.mean(correct):.0%} per run; per-state forecast {accuracy:.0%} of {len(named)}"),
    ]


def check_oewg(runs) -> list[tuple[str, str, str]]:
    """The OEWG under the UN convention's posterior: the behavioural parameters carried to another process of the
    same states, an out-of-sample check."""
    consensus, shallow, depth = [], [], []
    for scenario, run_seed in runs:
        summary = run_once(scenario, run_seed).summary
        by_consensus = summary["adopted_by"] == "consensus"
        consensus.append(by_consensus)
        depth.append(summary["core_text"]["enforcement"])
        shallow.append(by_consensus and summary["core_text"]["enforcement"] <= SHALLOW)
    return [
        ("OEWG: a consensus report", ">= 80% of runs", share(consensus)),
        ("OEWG: ... with enforcement at most 0.3", ">= 80% of runs",
         f"{share(shallow)}; enforcement of the text {spread(np.array(depth) * 100)} (x 0.01)"),
    ]


def check_budapest(runs) -> list[tuple[str, str, str]]:
    observed = load_observed(OBSERVED / "budapest.yaml").decisions_at("status")
    parties, outside = [], []
    party = {s: 0 for s in observed}
    for scenario, run_seed in runs:
        result = run_once(scenario, run_seed)
        last = _last_round(result.rounds, "2025-12-31")
        parties.append(int(result.rounds.loc[result.rounds["round"] == last, "ratified"].iloc[0]))
        states = result.states
        ratified = set(states.loc[(states["round"] == last) & states["ratified"], "state"])
        signatories = set(result.summary["core_members"])
        outside.append(not {"RU", "CN"} & signatories)
        for s in observed:
            party[s] += s in ratified
    ids = [s for s in observed if s in party]
    outcomes = np.array([observed[s].value == "party" for s in ids], float)
    forecast = np.array([party[s] / len(parties) for s in ids])
    model = scoring.balanced_accuracy(outcomes, forecast)
    everyone = scoring.balanced_accuracy(outcomes, np.ones(len(ids)))
    low, high = PARTIES_RANGE
    return [
        ("Budapest: parties by 2025", "76 +/- 6",
         f"{spread(parties)}; within {low}-{high}: {share([low <= p <= high for p in parties])}"),
        ("Budapest: Russia and China outside, by preference", ">= 90% of runs", share(outside)),
        ("Budapest: per-state accession, balanced accuracy", "above every invited state accedes",
         f"{model:.2f} against {everyone:.2f} ({len(ids)} named states)"),
    ]


def _last_round(rounds: pd.DataFrame, date: str) -> int:
    """The last round dated on or before `date` (round 0 if none)."""
    dated = rounds[rounds["date"] <= date]
    return int(dated["round"].iloc[-1]) if len(dated) else 0


def _with(overrides: list[str]) -> str:
    return f"; --set {' '.join(overrides)}" if overrides else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--un", type=Path, help="calibration folder of scenarios/un_cybercrime.yaml")
    parser.add_argument("--oewg", type=Path, help="calibration folder whose posterior is carried to "
                        "scenarios/oewg_2021_2025.yaml (the UN convention's: an out-of-sample check)")
    parser.add_argument("--budapest", type=Path, help="calibration folder of scenarios/budapest.yaml")
    parser.add_argument("--shipped", action="store_true",
                        help="run the shipped scenarios (the posterior medians) instead of posterior draws")
    parser.add_argument("--draws", type=int, default=60, help="runs drawn across each posterior, or seeds of each "
                        "shipped scenario (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="fix a scenario field in every run of every process (repeatable; a calibrated "
                        "parameter takes its posterior value whatever --set says)")
    args = parser.parse_args(argv)
    if args.draws < 1:
        parser.error("--draws must be at least 1")
    if args.shipped and (args.un or args.oewg or args.budapest):
        parser.error("--shipped runs the shipped scenarios: give it without --un, --oewg and --budapest")
    if not (args.shipped or args.un or args.oewg or args.budapest):
        parser.error("give at least one of --un, --oewg, --budapest, or --shipped")
    scenarios = ROOT / "scenarios"
    if args.shipped:
        jobs = [(check, shipped(scenarios / name, args.draws, args.seed, args.set))
                for check, name in ((check_un, "un_cybercrime.yaml"), (check_oewg, "oewg_2021_2025.yaml"),
                                    (check_budapest, "budapest.yaml"))]
        heading = f"over {args.draws} seeds of each shipped scenario (seed {args.seed}{_with(args.set)})"
    else:
        jobs = [(check, draws(folder, args.draws, args.seed, other, args.set))
                for folder, check, other in ((args.un, check_un, None),
                                             (args.oewg, check_oewg, scenarios / "oewg_2021_2025.yaml"),
                                             (args.budapest, check_budapest, None)) if folder is not None]
        heading = f"over {args.draws} runs drawn across the posterior (seed {args.seed}{_with(args.set)})"
    rows = []
    try:
        for check, runs in jobs:
            rows += check(runs)
    except FolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(f"| target | wanted | {heading} |")
    print("|---|---|---|")
    for name, wanted, got in rows:
        print(f"| {name} | {wanted} | {got} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
