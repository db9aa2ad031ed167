"""Scoring forecasts of binary facts, and the baselines a model's forecasts must beat.

A fact is a yes/no outcome for one unit, for example "Canada signed at the opening" or "the OEWG adopted a report by
consensus". A forecast is the probability that the outcome is yes (for a model: the share of its runs in which it
was). The scores:

- Brier score: mean (p - y)^2; 0 is perfect, 0.25 is what p = 0.5 always earns; lower is better.
- log score: mean -ln(p) over the facts that happened and -ln(1 - p) over those that did not (the "ignorance";
  lower is better). Forecasts are first clipped to [eps, 1 - eps] with eps = LOG_EPSILON = 0.001, so a confident
  miss costs ln(1000) = 6.9 rather than infinity: a model's frequency over 50 runs can be exactly 0 or 1, and one
  such miss would otherwise decide the whole table. Pass eps=0 for the unclipped score.
- balanced accuracy: the mean of the hit rates on the yes facts and on the no facts, forecasts read as yes at
  p >= THRESHOLD = 0.5; 0.5 is chance, whatever the base rate.
- ROC AUC: the chance that a random yes fact has a higher forecast than a random no fact (ties count half); 0.5 is
  chance. It is not defined when the facts are all yes or all no: the function then returns nan.

Brier, balanced accuracy and AUC are scikit-learn's (sklearn.metrics), a well-kept reference; the log score is
written here because scikit-learn's log_loss no longer takes a clipping epsilon.

Baselines are fitted on training facts only. Each takes a `Split` and returns forecasts for its test units. A
split's test side is `Cases`: the units' ids and what a forecaster may know of them beforehand (vote features, the
status before, the distance from the compromise of their process), never their outcomes: a `Facts` handed to `Split`
as the test side is stripped of its outcomes, which stay with the caller for scoring. A test also hands each
baseline test units of which everything but what it is documented to read raises when read.

The compromise model (`compromise_model`) is the classic baseline of the studies of EU decision-making, against which
expected-utility and bargaining models were measured (van den Bos 1991; Achen 2006, in Thomson et al., "The European
Union Decides"): the outcome of a process is the capability x salience weighted mean of its states' ideal points,
and here a state's chance of joining falls with its salience-weighted distance from that compromise, through a
logistic curve fitted on the training facts (`compromise_distances` gives the distances of one scenario's states).
The logistic step is this project's: the compromise model itself forecasts an outcome, not who joins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn import metrics
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import maths

__all__ = [
    "BASELINES",
    "Cases",
    "Facts",
    "LOG_EPSILON",
    "Split",
    "THRESHOLD",
    "balanced_accuracy",
    "base_rate",
    "brier_score",
    "compromise_distances",
    "compromise_model",
    "log_score",
    "logistic_on_votes",
    "majority",
    "no_change",
    "roc_auc",
    "score",
    "score_table",
    "vote_features",
]

LOG_EPSILON = 1e-3
THRESHOLD = 0.5


def _checked(outcomes: Sequence, forecasts: Sequence) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(outcomes, dtype=float)
    p = np.asarray(forecasts, dtype=float)
    if y.ndim != 1 or p.shape != y.shape:
        raise ValueError(f"outcomes and forecasts must be two lists of one length, got shapes {y.shape} and "
                         f"{p.shape}")
    if y.size == 0:
        raise ValueError("no facts to score")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"outcomes must be 0 or 1, got {sorted(set(y[~np.isin(y, (0.0, 1.0))].tolist()))[:3]}")
    if not (np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()):
        bad = p[~(np.isfinite(p) & (p >= 0) & (p <= 1))]
        raise ValueError(f"forecasts must be probabilities between 0 and 1, got {bad[:3].tolist()}")
    return y.astype(int), p


def brier_score(outcomes: Sequence, forecasts: Sequence) -> float:
    """Mean squared difference between forecast and outcome (0 best)."""
    y, p = _checked(outcomes, forecasts)
    return float(metrics.brier_score_loss(y, p, pos_label=1))


def log_score(outcomes: Sequence, forecasts: Sequence, eps: float = LOG_EPSILON) -> float:
    """Mean negative log probability given to what happened, forecasts clipped to [eps, 1 - eps] (0 best)."""
    if not 0 <= eps < 0.5:
        raise ValueError(f"eps must be in [0, 0.5), got {eps}")
    y, p = _checked(outcomes, forecasts)
    p = np.clip(p, eps, 1 - eps)
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.where(y == 1, np.log(p), np.log1p(-p))))


def balanced_accuracy(outcomes: Sequence, forecasts: Sequence, threshold: float = THRESHOLD) -> float:
    """Mean of the hit rates on yes and on no facts, reading p >= threshold as yes (0.5 is chance). With facts of
    one kind only it is the hit rate on that kind."""
    y, p = _checked(outcomes, forecasts)
    predicted = (p >= threshold).astype(int)
    if len(np.unique(y)) == 1:  # scikit-learn warns and averages over the one class present: say so plainly
        return float(np.mean(predicted == y))
    return float(metrics.balanced_accuracy_score(y, predicted))


def roc_auc(outcomes: Sequence, forecasts: Sequence) -> float:
    """Area under the ROC curve; nan when the facts are all yes or all no (it is not defined then)."""
    y, p = _checked(outcomes, forecasts)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(metrics.roc_auc_score(y, p))


def score(outcomes: Sequence, forecasts: Sequence, eps: float = LOG_EPSILON) -> dict[str, float]:
    """All four scores of one set of forecasts, and the number of facts."""
    return {"n": len(outcomes), "brier": brier_score(outcomes, forecasts),
            "log": log_score(outcomes, forecasts, eps), "balanced_accuracy": balanced_accuracy(outcomes, forecasts),
            "roc_auc": roc_auc(outcomes, forecasts)}


def score_table(outcomes: Sequence, forecasts: Mapping[str, Sequence], eps: float = LOG_EPSILON) -> list[dict]:
    """One row per forecaster (in the mapping's order): its name and its scores on the same facts."""
    return [{"forecaster": name, **score(outcomes, values, eps)} for name, values in forecasts.items()]


# ------------------------------------------------------------------------------------------------ baselines --
def _binary(name: str, value, n: int) -> np.ndarray | None:
    if value is None:
        return None
    value = np.asarray(value, dtype=float)
    if value.shape != (n,) or not np.isin(value, (0.0, 1.0)).all():
        raise ValueError(f"{name} must be {n} values of 0 or 1")
    return value


@dataclass(frozen=True)
class Cases:
    """Units to forecast and what a forecaster may know about them beforehand, never their outcomes: ids, a feature
    matrix (units x features, e.g. vote codes), each unit's status before (0/1, for "no change"), if known, and its
    salience-weighted distance from the compromise of its process (for the compromise model; nan for a unit that
    the process's scenario does not place), if known."""

    ids: tuple[str, ...]
    features: np.ndarray
    before: np.ndarray | None = None
    feature_names: tuple[str, ...] = field(default=())
    distance: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.ids)
        features = np.asarray(self.features, dtype=float)
        if features.ndim != 2 or features.shape[0] != n:
            raise ValueError(f"features must be {n} rows (one per id), got shape {features.shape}")
        if not np.isfinite(features).all():
            raise ValueError("features must be finite numbers (code a missing vote as a value of its own)")
        object.__setattr__(self, "features", features)
        object.__setattr__(self, "before", _binary("before", self.before, n))
        if self.distance is not None:
            distance = np.asarray(self.distance, dtype=float)
            if distance.shape != (n,) or (distance < 0).any() or np.isinf(distance).any():
                raise ValueError(f"distance must be {n} non-negative numbers (nan where unknown)")
            object.__setattr__(self, "distance", distance)


@dataclass(frozen=True)
class Facts:
    """Binary facts about units: what `Cases` holds, and the outcomes (0/1)."""

    ids: tuple[str, ...]
    features: np.ndarray
    outcomes: np.ndarray
    before: np.ndarray | None = None
    feature_names: tuple[str, ...] = field(default=())
    distance: np.ndarray | None = None

    def __post_init__(self):
        cases = self.cases  # checks ids, features, before and distance
        for name in ("features", "before", "distance"):
            object.__setattr__(self, name, getattr(cases, name))
        object.__setattr__(self, "outcomes", _binary("outcomes", self.outcomes, len(self.ids)))

    @property
    def cases(self) -> Cases:
        """The same units without their outcomes."""
        return Cases(self.ids, self.features, self.before, self.feature_names, self.distance)


@dataclass(frozen=True)
class Split:
    """Training facts (what a forecaster may learn from) and test units (what it forecasts, and is then scored on).
    Given test `Facts`, the split keeps only their `Cases`: a forecaster handed a split cannot read the test
    outcomes."""

    train: Facts
    test: Cases

    def __post_init__(self):
        if isinstance(self.test, Facts):
            object.__setattr__(self, "test", self.test.cases)


def base_rate(split: Split) -> np.ndarray:
    """Every test unit gets the share of yes among the training facts."""
    rate = float(np.mean(split.train.outcomes))
    return np.full(len(split.test.ids), rate)


def majority(split: Split) -> np.ndarray:
    """Every test unit does what most training units did (yes on a tie): forecasts of 0 or 1."""
    yes = float(np.mean(split.train.outcomes)) >= 0.5
    return np.full(len(split.test.ids), 1.0 if yes else 0.0)


def no_change(split: Split) -> np.ndarray:
    """Each test unit keeps the status it had before (a non-party stays out, a party stays in): forecasts of 0 or
    1 from `test.before`. It learns nothing from the training facts."""
    if split.test.before is None:
        raise ValueError("the no-change baseline needs each test unit's status before (Facts.before)")
    return np.asarray(split.test.before, dtype=float).copy()


def logistic_on_votes(split: Split, c: float = 1.0) -> np.ndarray:
    """A logistic regression of the outcome on the features (standardised, L2 penalty 1/c; scikit-learn), fitted on
    the training facts. With training facts of one kind only it cannot be fitted, and gives the base rate."""
    y = np.asarray(split.train.outcomes, dtype=int)
    if len(np.unique(y)) < 2:
        return base_rate(split)
    if split.test.features.shape[1] != split.train.features.shape[1]:
        raise ValueError(f"the test facts have {split.test.features.shape[1]} features, the training facts "
                         f"{split.train.features.shape[1]}")
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
    model.fit(split.train.features, y)
    return model.predict_proba(split.test.features)[:, 1]


def compromise_distances(ideal: np.ndarray, salience: np.ndarray,
                         capability: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The compromise of one process's states and each state's distance from it: on dimension k the mean of the
    ideal points weighted by capability x salience on k (sim.maths.compromise, the model's own weighted
    compromise), and the salience-weighted Euclidean distance of each ideal from that point (sim.maths
    .weighted_distance, the distance of the model's utility). Saliences are normalised to sum 1 per state, as the
    scenario format does. Returns the compromise (K,) and the distances (N,)."""
    ideal = np.asarray(ideal, dtype=float)
    salience = maths.normalise_salience(salience)
    capability = np.asarray(capability, dtype=float)
    point = maths.compromise(ideal, salience, capability, np.ones(len(ideal), bool))
    return point, maths.weighted_distance(ideal, point, salience)


def compromise_model(split: Split, c: float = 1.0) -> np.ndarray:
    """A state's chance of joining as a logistic function of its distance from the compromise of its process
    (`Cases.distance`): P = 1 / (1 + exp(-(a + b d))), a and b fitted on the training facts whose scenario places
    the state (distance not nan), by scikit-learn's logistic regression on the standardised distance with the
    same mild L2 penalty (1/c) as the vote baseline: with a few outsiders far from the compromise the training
    facts are often perfectly separated, where the unpenalised fit has no finite solution. With training facts of
    one kind only it gives their base rate."""
    train, test = split.train, split.test
    if train.distance is None or test.distance is None:
        raise ValueError("the compromise model needs each unit's distance from its process's compromise "
                         "(Facts.distance, Cases.distance)")
    if np.isnan(test.distance).any():
        missing = [test.ids[i] for i in np.flatnonzero(np.isnan(test.distance))]
        raise ValueError(f"no distance from the compromise for the test units {', '.join(missing[:5])}")
    placed = ~np.isnan(train.distance)
    if not placed.any():
        raise ValueError("no training fact has a distance from the compromise of its process")
    y = np.asarray(train.outcomes[placed], dtype=int)
    if len(np.unique(y)) < 2:
        return np.full(len(test.ids), float(np.mean(y)))
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
    model.fit(train.distance[placed].reshape(-1, 1), y)
    return model.predict_proba(test.distance.reshape(-1, 1))[:, 1]


def vote_features(votes: Mapping[str, Mapping[str, str]], ids: Sequence[str],
                  resolutions: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Features for the logistic baseline from roll-call votes: per resolution, the vote coded yes +1, abstain 0,
    no -1 (0 when absent), and a column that is 1 when the state did not vote; `votes` maps state -> resolution ->
    "yes" | "no" | "abstain" (a missing key: absent). Returns the units x features matrix and the column names."""
    codes = {"yes": 1.0, "abstain": 0.0, "no": -1.0}
    rows = []
    for state in ids:
        cast = votes.get(state, {})
        row = []
        for resolution in resolutions:
            vote = cast.get(resolution)
            if vote is not None and vote not in codes:
                raise ValueError(f"{state} on {resolution}: {vote!r} is not yes, no or abstain")
            row += [codes.get(vote, 0.0), float(vote is None)]
        rows.append(row)
    names = tuple(f"{r}:{part}" for r in resolutions for part in ("vote", "absent"))
    return np.array(rows, dtype=float).reshape(len(ids), 2 * len(resolutions)), names


BASELINES: dict[str, Callable[[Split], np.ndarray]] = {
    "base rate": base_rate,
    "majority": majority,
    "no change": no_change,
    "logistic regression on votes": logistic_on_votes,
    "compromise model": compromise_model,
}
