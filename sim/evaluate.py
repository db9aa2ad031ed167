"""Per-state forecasts scored out of sample: the model against baselines fitted on training facts only.

An evaluation has training facts and test facts, each the named states' decisions at one stage of one real process
(data/observed/, docs/observed-format.md): by default who is a party to the Budapest Convention among the states
`data/observed/budapest.yaml` names (training), and the decisions at the opening for signature of the UN Convention
against Cybercrime of the ten states `data/observed/un_cybercrime.yaml` names (test).

Forecasters of the test facts:
- the model: the share of replicate runs of the test scenario in which each state took the decision (`took_part`);
- the baselines of sim.scoring, fitted on the training facts: base rate, majority, no change, a logistic regression
  on the states' UN General Assembly cyber votes, and the compromise model, whose distances come from each process's
  own scenario (the training scenario for the training facts, the test scenario for the test facts).

What keeps it out of sample: the baselines are handed a `scoring.Split` whose test side holds the test states' ids
and features only (`scoring.Cases`); the test outcomes are read once, by `score`, after every forecast is made.

States are matched between facts (ISO 3166 two-letter codes) and a scenario by id; a scenario whose ids are not
two-letter codes (three-letter ISO codes, say) is matched by its states' names, through the country names of the
votes file (data/unga: the UN's 193 member states).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import maths, scoring
from .datafiles import InputError, csv_rows
from .loader import RawScenario, parse_yaml, read_text
from .observed import Observed, ObservedError, Stage, load_observed
from .runner import run_once
from .schema import Scenario

__all__ = [
    "Evaluation",
    "EvaluationError",
    "FactFile",
    "RunsFailed",
    "StageNeeded",
    "Votes",
    "evaluate",
    "count_check",
    "count_line",
    "markdown",
    "observed_count",
    "placement",
    "read_facts",
    "read_votes",
    "took_part",
]

ISO2 = re.compile(r"[A-Z]{2}")
VOTES = ("yes", "no", "abstain")

# Forecasters in the order of the table: key (a column of forecasts.csv) -> the baseline that makes the forecast.
BASELINES: dict[str, tuple[str, Callable[[scoring.Split], np.ndarray]]] = {
    "base_rate": ("base rate", scoring.base_rate),
    "majority": ("majority", scoring.majority),
    "no_change": ("no change", scoring.no_change),
    "logistic_votes": ("logistic regression on votes", scoring.logistic_on_votes),
    "compromise": ("compromise model", scoring.compromise_model),
}


class EvaluationError(ValueError):
    """Inputs that cannot be evaluated together (one line, naming the file)."""


class StageNeeded(EvaluationError):
    """A facts file with decisions at several stages and no stage chosen: a usage error."""


class RunsFailed(RuntimeError):
    """Every run of the model raised: there is no forecast to score."""


# ----------------------------------------------------------------------------------------------------- inputs --
@dataclass(frozen=True)
class FactFile:
    """The named states' decisions at one stage of one process: state -> 1 if it joined (signed, became a party,
    joined the consensus), else 0 (sim.observed.Observed.joined_at), and the line of each decision in the file."""

    path: str
    observed: Observed
    stage: Stage
    joined: dict[str, int]
    lines: dict[str, tuple[int, str]]  # state -> (line, field) of its decision, for error messages

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(sorted(self.joined))


def read_facts(path: str | Path, stage: Stage | str | None = None, option: str = "--stage") -> FactFile:
    """Load an observed-outcome file and take its named states' decisions at `stage`; without a stage, at the only
    stage the file has decisions at (StageNeeded if there are several; `option` names the option that chooses)."""
    source = str(path)
    observed = load_observed(path)
    data, origins = parse_yaml(read_text(Path(path), "observed-outcomes file"), source)
    raw = RawScenario(data, origins, source)
    present = [s for s in Stage if observed.decisions_at(s)]
    if stage is None:
        if not present:
            line = raw.origin(("decisions",))[1]
            raise ObservedError(source, line, "decisions", "no named state's decision to score")
        if len(present) > 1:
            raise StageNeeded(f"{source}: has decisions at the stages {', '.join(s.value for s in present)}: "
                              f"choose one with {option}")
        stage = present[0]
    stage = Stage(stage)
    if stage not in present:
        has = ", ".join(s.value for s in present) or "none"
        raise EvaluationError(f"{source}: no named state's decision at the stage {stage.value} (stages with "
                              f"decisions: {has})")
    lines = {}
    for index, decision in enumerate(observed.decisions):
        if decision.stage is stage:
            path_key = ("decisions", index, "state")
            lines[decision.state] = (raw.origin(path_key)[1], f"decisions[{index}].state")
    return FactFile(source, observed, stage, observed.joined_at(stage), lines)


@dataclass(frozen=True)
class Votes:
    """Roll-call votes: state -> resolution -> yes | no | abstain, the resolutions in file order and the states'
    names (code -> name), read from a long CSV with the columns resolution, iso2, vote (and country)."""

    path: str
    votes: dict[str, dict[str, str]]
    resolutions: tuple[str, ...]
    names: dict[str, str] = field(default_factory=dict)


def read_votes(path: str | Path) -> Votes:
    """Read the long vote file (data/unga/unga_cyber_votes_from_unvotes.csv). A bad row raises InputError naming
    file, line and column."""
    path = Path(path)
    if path.is_dir():
        raise InputError(path, 0, "", "is a folder, not a CSV file of votes")
    votes: dict[str, dict[str, str]] = {}
    resolutions: list[str] = []
    names: dict[str, str] = {}
    for line, row in csv_rows(path, ("resolution", "iso2", "vote")):
        state, resolution, vote = row["iso2"], row["resolution"], row["vote"]
        if not ISO2.fullmatch(state):
            raise InputError(path, line, "iso2", f"{state!r} is not an ISO 3166 two-letter code")
        if not resolution:
            raise InputError(path, line, "resolution", "empty")
        if vote not in VOTES:
            raise InputError(path, line, "vote", f"{vote!r} is not yes, no or abstain")
        cast = votes.setdefault(state, {})
        if resolution in cast:
            raise InputError(path, line, "vote", f"{state} already has a vote on {resolution}")
        cast[resolution] = vote
        if resolution not in resolutions:
            resolutions.append(resolution)
        if row.get("country"):
            names.setdefault(state, row["country"])
    if not votes:
        raise InputError(path, 1, "", "no votes")
    return Votes(str(path), votes, tuple(resolutions), names)


def placement(scenario: Scenario, names: dict[str, str], source: str = "the scenario") -> dict[str, int]:
    """Which scenario state each state code of the facts is: code -> index in scenario.states. A state whose id is
    a two-letter code is that code; any other is found by its name among `names` (code -> name); one found by
    neither is not placed."""
    by_name = {name: code for code, name in names.items()}
    placed: dict[str, int] = {}
    for index, state in enumerate(scenario.states):
        code = state.id if ISO2.fullmatch(state.id) else by_name.get(state.name)
        if code is None:
            continue
        if code in placed:
            other = scenario.states[placed[code]].id
            raise EvaluationError(f"{source}: states {other} and {state.id} are both {code}")
        placed[code] = index
    return placed


def _distances(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """The compromise of a scenario's states (all of them, at the table or not: the states the process involves)
    and each state's distance from it, from their stated ideals, saliences and capabilities (an uncertain input's
    stated value is its mean)."""
    dims = scenario.dimension_names
    ideal = np.array([[s.ideal[d] for d in dims] for s in scenario.states], dtype=float)
    # an omitted salience means equal weights, as in the model (sim/model/core.py)
    salience = np.array([[(s.salience or {}).get(d, 0.0) if s.salience is not None else 1.0 for d in dims]
                         for s in scenario.states], dtype=float)
    capability = np.array([s.capability for s in scenario.states], dtype=float)
    return scoring.compromise_distances(ideal, salience, capability)


def _cases(facts: FactFile, votes: Votes, scenario: Scenario, placed: dict[str, int]) -> scoring.Cases:
    """What may be known of the states of `facts` before the process: their votes, their status before (nobody
    has signed, joined or accepted a text before its process: 0) and their distance from the compromise of the
    process's scenario (nan for a state it does not place). Never their decisions."""
    ids = facts.states
    features, names = scoring.vote_features(votes.votes, ids, votes.resolutions)
    _, distance = _distances(scenario)
    d = np.array([distance[placed[s]] if s in placed else math.nan for s in ids])
    return scoring.Cases(ids=ids, features=features, before=np.zeros(len(ids)), feature_names=names, distance=d)


# ------------------------------------------------------------------------------------------------- the model --
def took_part(model, stage: Stage) -> np.ndarray:
    """Which states of a finished run took the decision that a fact at `stage` records as joining (N,) bool:
    opening: signed the adopted text in the round it opened for signature (the round of adoption unless
    `rules.signature_opens_months` delays it); adoption: at the table and not objecting in the round of adoption
    (supporting, or silent: letting the text pass); status: a party (ratified) at the end of the run. In a run that
    adopts nothing (or ends before the opening, for `opening`), no state did."""
    stage = Stage(stage)
    if model.adopted_round is None:
        return np.zeros(model.n, bool)
    r = model.adopted_round
    if stage is Stage.opening:
        opening = model.opening_round
        if opening is None or opening >= len(model.log.signed):
            return np.zeros(model.n, bool)
        return np.asarray(model.log.signed[opening], bool).copy()
    if stage is Stage.adoption:
        engaged = np.asarray(model.log.engaged[r], bool)
        return engaged & (np.asarray(model.log.declaration[r]) != maths.OBJECT)
    return np.asarray(model.ratified, bool).copy()


def model_forecast(scenario: Scenario, indices: Sequence[int], stage: Stage, seeds: Sequence[int],
                   progress: Callable[[], None] | None = None) -> tuple[np.ndarray, pd.DataFrame, list[dict]]:
    """Share of the runs (one per seed) in which each state (by index in the scenario) took the decision. A run
    that raises is recorded in the failures and left out of the shares. Returns the forecasts, one row per run
    (replicate, seed, outcome, adopted round, and the number of the scenario's states that took the decision) and
    the failures."""
    took = np.zeros(len(indices))
    runs, failures = [], []
    for replicate, seed in enumerate(seeds):
        try:
            result = run_once(scenario, seed)
        except Exception as exc:  # a failing run is reported, not allowed to sink the others
            failures.append({"replicate": replicate, "seed": int(seed), "error": f"{type(exc).__name__}: {exc}"})
        else:
            every = took_part(result.model, stage)
            took += every[list(indices)]
            summary = result.summary
            runs.append({"replicate": replicate, "seed": int(seed), "outcome": summary["outcome"],
                         "adopted_round": summary["adopted_round"], "joined": int(every.sum())})
        if progress is not None:
            progress()
    finished = len(runs)
    if finished == 0:
        raise RunsFailed(f"all {len(seeds)} runs raised (first: {failures[0]['error']})")
    return took / finished, pd.DataFrame(runs), failures


# -------------------------------------------------------------------------------------------------- evaluation --
@dataclass
class Evaluation:
    """Forecasts of the test facts and their scores."""

    scores: list[dict]  # one row per forecaster: key, forecaster, training_facts, n, brier, log, ...
    forecasts: pd.DataFrame  # one row per test state: state, name, outcome, then one column per forecaster key
    facts: pd.DataFrame  # one row per fact: role (train/test), state, outcome, placed, distance
    runs: pd.DataFrame  # one row per model run
    failures: list[dict]
    compromise: dict[str, dict[str, float]]  # role -> the compromise point of its scenario
    seeds: list[int]
    count: dict | None = None  # the test stage's aggregate fact beside the model's runs (`count_check`)


def evaluate(train: FactFile, test: FactFile, train_scenario: Scenario, scenario: Scenario, votes: Votes,
             seeds: Sequence[int], model_label: str = "the model", train_scenario_source: str = "the training "
             "scenario", scenario_source: str = "the scenario",
             progress: Callable[[], None] | None = None) -> Evaluation:
    """Forecast the test facts with the model (replicate runs of `scenario`, one per seed) and every baseline
    (fitted on the training facts), then score them on the test outcomes, which nothing reads before."""
    train_placed = placement(train_scenario, votes.names, train_scenario_source)
    test_placed = placement(scenario, votes.names, scenario_source)
    for state in test.states:
        if state not in test_placed:
            line, where = test.lines[state]
            raise ObservedError(test.path, line, where, f"{state} is not a state of {scenario_source} (matched by "
                                                        f"id, or by name through the votes file)")
    if not any(state in train_placed for state in train.states):
        raise EvaluationError(f"{train_scenario_source} places none of the {len(train.states)} states of "
                              f"{train.path} (matched by id, or by name through the votes file)")

    train_cases = _cases(train, votes, train_scenario, train_placed)
    train_facts = scoring.Facts(train_cases.ids, train_cases.features,
                                np.array([train.joined[s] for s in train_cases.ids], float), train_cases.before,
                                train_cases.feature_names, train_cases.distance)
    test_cases = _cases(test, votes, scenario, test_placed)
    split = scoring.Split(train=train_facts, test=test_cases)

    model, runs, failures = model_forecast(scenario, [test_placed[s] for s in test_cases.ids], test.stage, seeds,
                                           progress)
    forecasts = {"model": model}
    for key, (_, baseline) in BASELINES.items():
        forecasts[key] = np.asarray(baseline(split), dtype=float)

    # Only now are the held-out outcomes read.
    outcomes = np.array([test.joined[s] for s in test_cases.ids], float)
    labels = {"model": model_label, **{key: label for key, (label, _) in BASELINES.items()}}
    trained_on = {"model": None, "base_rate": len(train_facts.ids), "majority": len(train_facts.ids),
                  "no_change": 0, "logistic_votes": len(train_facts.ids),
                  "compromise": int(np.isfinite(train_facts.distance).sum())}
    scores = [{"key": key, "forecaster": labels[key], "training_facts": trained_on[key],
               **scoring.score(outcomes, values)} for key, values in forecasts.items()]

    table = pd.DataFrame({"state": list(test_cases.ids),
                          "name": [scenario.states[test_placed[s]].name or s for s in test_cases.ids],
                          "outcome": outcomes.astype(int)})
    for key, values in forecasts.items():
        table[key] = values
    facts_rows = []
    for role, facts, cases, placed in (("train", train, train_cases, train_placed),
                                       ("test", test, test_cases, test_placed)):
        for i, state in enumerate(cases.ids):
            facts_rows.append({"role": role, "process": facts.observed.process, "stage": facts.stage.value,
                               "state": state, "outcome": facts.joined[state], "placed": state in placed,
                               "distance": cases.distance[i]})
    dims = {"train": train_scenario.dimension_names, "test": scenario.dimension_names}
    compromise = {role: {d: round(float(v), 6) for d, v in zip(dims[role], _distances(sc)[0])}
                  for role, sc in (("train", train_scenario), ("test", scenario))}
    return Evaluation(scores, table, pd.DataFrame(facts_rows), runs, failures, compromise, [int(s) for s in seeds],
                      count_check(test, runs, len(scenario.states)))


def observed_count(observed: Observed, stage: Stage) -> tuple[str, int | list[int]] | None:
    """The aggregate fact of a stage, as a name and a count (a whole number, or [at least, at most]): the
    signatories at the opening for signature, or the latest number of parties (status); none at adoption."""
    if stage is Stage.opening and observed.opening is not None:
        fact, name = observed.opening.signatories, "signatories at the opening"
    elif stage is Stage.status and observed.parties:
        fact = observed.parties[-1]
        name = f"parties ({fact.date})"
    else:
        return None
    count = fact.count
    return name, count if isinstance(count, int) else [count.at_least, count.at_most]


def count_check(test: FactFile, runs: pd.DataFrame, states: int) -> dict | None:
    """The test stage's aggregate fact (`observed_count`) beside the number of the scenario's states that took the
    decision in the model's runs: its mean, and the 5th and 95th percentiles over the runs (each a count that a run
    gave, the lower rounded down and the higher up). Not a score: the
    baselines forecast the named states only, and the count is no held-out fact (calibration may aim at it)."""
    found = observed_count(test.observed, test.stage)
    if found is None or runs.empty:
        return None
    name, observed = found
    joined = runs["joined"].to_numpy(dtype=float)
    # counts the runs gave: at least 90% of the runs lie between them
    low, high = np.quantile(joined, 0.05, method="lower"), np.quantile(joined, 0.95, method="higher")
    return {"fact": name, "observed": observed, "scenario_states": states, "model_mean": round(float(joined.mean()),
            3), "model_5th": int(low), "model_95th": int(high), "runs": len(joined)}


def count_line(count: dict) -> str:
    """The count check as one line of text."""
    observed = count["observed"]
    observed = f"{observed[0]}-{observed[1]}" if isinstance(observed, list) else str(observed)
    return (f"{count['fact'][0].upper()}{count['fact'][1:]}: {observed} observed; the model's runs: mean "
            f"{count['model_mean']:.1f} of {count['scenario_states']} states, 5-95% {count['model_5th']}-"
            f"{count['model_95th']} ({count['runs']} runs)")


def markdown(rows: list[dict]) -> str:
    """The score table as Markdown, one row per forecaster."""
    lines = ["| forecaster | training facts | test facts | Brier (lower is better) | log score (lower) | "
             "balanced accuracy | ROC AUC |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        auc = "n/a" if np.isnan(row["roc_auc"]) else f"{row['roc_auc']:.2f}"
        trained = "-" if row["training_facts"] is None else str(row["training_facts"])
        lines.append(f"| {row['forecaster']} | {trained} | {row['n']} | {row['brier']:.3f} | {row['log']:.3f} | "
                     f"{row['balanced_accuracy']:.2f} | {auc} |")
    return "\n".join(lines)
