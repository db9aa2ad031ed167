"""sim/scoring.py: scoring rules checked against hand-worked cases, and baselines that learn only from training
facts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import scoring
from sim.scoring import Facts, Split

Y = [1, 0, 1, 0]
P = [0.9, 0.2, 0.6, 0.5]


def test_brier_score_by_hand():
    """Brier = mean (p - y)^2: (0.01 + 0.04 + 0.16 + 0.25) / 4 = 0.115; perfect forecasts score 0."""
    assert scoring.brier_score(Y, P) == pytest.approx(0.115)
    assert scoring.brier_score(Y, Y) == 0.0


def test_log_score_by_hand_and_its_clipping():
    """Log score = -mean ln(probability of what happened): -(ln .9 + ln .8 + ln .6 + ln .5) / 4; a forecast of 0
    for a fact that happened costs ln(1/eps) with the documented eps = 0.001, and infinity unclipped."""
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.6) + math.log(0.5)) / 4
    assert scoring.log_score(Y, P) == pytest.approx(expected)
    assert scoring.LOG_EPSILON == 1e-3
    assert scoring.log_score([1], [0.0]) == pytest.approx(math.log(1000))
    assert scoring.log_score([0], [1.0]) == pytest.approx(math.log(1000))
    assert scoring.log_score([1], [0.0], eps=0) == math.inf


def test_balanced_accuracy_by_hand():
    """Forecasts >= 0.5 read as yes: [1, 0, 1, 1]; hit rate 2/2 on yes facts and 1/2 on no facts, mean 0.75. With
    facts of one kind it is the hit rate on that kind."""
    assert scoring.balanced_accuracy(Y, P) == pytest.approx(0.75)
    assert scoring.balanced_accuracy([1, 1, 1], [0.9, 0.4, 0.7]) == pytest.approx(2 / 3)


def test_roc_auc_by_hand_with_ties():
    """AUC = share of (yes, no) pairs ranked right, ties half: all 4 pairs right in Y/P gives 1; for y = [1, 1, 0],
    p = [0.3, 0.8, 0.3] one pair is tied and one right, 0.75; undefined (nan) when all facts are of one kind."""
    assert scoring.roc_auc(Y, P) == 1.0
    assert scoring.roc_auc([1, 1, 0], [0.3, 0.8, 0.3]) == pytest.approx(0.75)
    assert scoring.roc_auc([0, 1], [0.9, 0.1]) == 0.0
    assert math.isnan(scoring.roc_auc([1, 1], [0.2, 0.9]))


@pytest.mark.parametrize("outcomes, forecasts, message", [
    ([1, 0], [0.5], "one length"),
    ([], [], "no facts"),
    ([1, 2], [0.5, 0.5], "0 or 1"),
    ([1, 0], [0.5, 1.2], "between 0 and 1"),
    ([1, 0], [0.5, float("nan")], "between 0 and 1"),
])
def test_bad_input_is_refused(outcomes, forecasts, message):
    """Forecasts outside [0, 1], outcomes other than 0/1, or lists of different lengths are errors, not scores."""
    with pytest.raises(ValueError, match=message):
        scoring.score(outcomes, forecasts)


def test_score_table_has_a_row_per_forecaster():
    """score_table scores every forecaster on the same facts, in the order given."""
    rows = scoring.score_table(Y, {"model": P, "coin": [0.5] * 4})
    assert [r["forecaster"] for r in rows] == ["model", "coin"]
    assert rows[1]["brier"] == pytest.approx(0.25) and rows[1]["roc_auc"] == 0.5 and rows[1]["n"] == 4


def facts(features, outcomes, before=None, prefix="s"):
    features = np.asarray(features, dtype=float).reshape(len(outcomes), -1)
    return Facts(tuple(f"{prefix}{k}" for k in range(len(outcomes))), features, np.asarray(outcomes), before)


class SealedCases:
    """Test units whose every attribute but the ids raises when read, until `reveal` names it: a baseline that
    reads more than it is documented to fails the test."""

    def __init__(self, inner: Facts, reveal: tuple[str, ...]):
        self._inner, self._reveal = inner, reveal

    @property
    def ids(self):
        return self._inner.ids

    def __getattr__(self, name):
        if name in self._reveal:
            return getattr(self._inner, name)
        raise AssertionError(f"a baseline read the test units' {name}")


def test_base_rate_and_majority_come_from_the_training_facts():
    """The base rate is the share of yes among training facts (3 of 4); the majority baseline forecasts the majority
    outcome (yes) for everyone; both ignore the test facts' features."""
    split = Split(facts([0, 1, 2, 3], [1, 1, 1, 0]), facts([5, -5], [0, 0], prefix="t"))
    assert scoring.base_rate(split).tolist() == [0.75, 0.75]
    assert scoring.majority(split).tolist() == [1.0, 1.0]
    split = Split(facts([0, 1, 2], [0, 1, 0]), facts([1], [1], prefix="t"))
    assert scoring.majority(split).tolist() == [0.0]


def test_no_change_keeps_each_units_status_before():
    """'No change' forecasts each test unit's earlier status; without one it is an error, not a guess."""
    split = Split(facts([0, 1], [1, 0]), facts([0, 0, 0], [1, 1, 0], before=[1, 0, 0], prefix="t"))
    assert scoring.no_change(split).tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="status before"):
        scoring.no_change(Split(facts([0], [1]), facts([0], [1], prefix="t")))


def test_logistic_regression_learns_the_vote_pattern_of_the_training_facts():
    """Trained on states whose outcome follows their vote (yes on a resolution -> joined), the logistic regression
    gives a higher forecast to a test state that voted yes than to one that voted no; with one kind of training
    outcome only it falls back to the base rate."""
    rng = np.random.default_rng(0)
    votes = rng.choice([-1.0, 0.0, 1.0], size=(60, 2))
    joined = (votes[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    split = Split(facts(votes, joined), facts([[1.0, 0.0], [-1.0, 0.0]], [0, 0], prefix="t"))
    yes_voter, no_voter = scoring.logistic_on_votes(split)
    assert yes_voter > 0.7 and no_voter < 0.3
    flat = Split(facts(votes, np.ones(60)), facts([[1.0, 0.0]], [0], prefix="t"))
    assert scoring.logistic_on_votes(flat).tolist() == [1.0]


# What each baseline may read of the test units, besides their ids.
READS = {"base rate": (), "majority": (), "no change": ("before",), "logistic regression on votes": ("features",),
         "compromise model": ("distance",)}


@pytest.mark.parametrize("name", list(scoring.BASELINES))
def test_baselines_never_read_the_held_out_outcomes(name):
    """Every baseline forecasts the test units from the training facts and the test units' documented inputs
    alone (features, status before, distance from the compromise): handed test units whose outcomes, and every
    other attribute, raise when read, it still returns one probability per test unit, the same as unsealed."""
    assert set(READS) == set(scoring.BASELINES)
    rng = np.random.default_rng(1)
    train = Facts(tuple(f"s{k}" for k in range(30)), rng.normal(size=(30, 3)), rng.integers(0, 2, 30),
                  rng.integers(0, 2, 30), distance=rng.uniform(0, 1, 30))
    test = Facts(tuple(f"t{k}" for k in range(10)), rng.normal(size=(10, 3)), rng.integers(0, 2, 10),
                 rng.integers(0, 2, 10), distance=rng.uniform(0, 1, 10))
    forecasts = scoring.BASELINES[name](Split(train, SealedCases(test, READS[name])))
    assert forecasts.shape == (10,) and ((forecasts >= 0) & (forecasts <= 1)).all()
    assert np.array_equal(forecasts, scoring.BASELINES[name](Split(train, test)))


def test_a_split_keeps_no_test_outcomes():
    """Handed test Facts, a Split keeps only their Cases: ids, features, status before and distance, and no
    outcomes that a forecaster could read."""
    train = facts([0, 1], [1, 0])
    test = Facts(("t0", "t1"), np.array([[1.0], [2.0]]), np.array([1, 0]), np.array([0, 1]),
                 distance=np.array([0.1, 0.2]))
    split = Split(train, test)
    assert isinstance(split.test, scoring.Cases) and not hasattr(split.test, "outcomes")
    assert split.test.ids == test.ids and split.test.before.tolist() == [0, 1]
    assert split.test.distance.tolist() == [0.1, 0.2] and split.test.features.tolist() == [[1.0], [2.0]]


def test_compromise_distances_by_hand():
    """Two states on one dimension, ideals 0 and 1, capabilities 3 and 1: the compromise is 0.25 and their
    distances 0.25 and 0.75. On two dimensions the weight of a state on dimension k is its capability times its
    salience on k: A (ideal 0, 0; salience 3:1, normalised 0.75, 0.25) and B (ideal 1, 1; salience 1:1), equal
    capability, give 0.5 / 1.25 = 0.4 on the first dimension and 0.5 / 0.75 = 2/3 on the second; A's distance is
    sqrt(0.75 * 0.4^2 + 0.25 * (2/3)^2)."""
    point, distance = scoring.compromise_distances([[0.0], [1.0]], [[1.0], [1.0]], [3.0, 1.0])
    assert point.tolist() == [0.25] and distance.tolist() == [0.25, 0.75]
    point, distance = scoring.compromise_distances([[0.0, 0.0], [1.0, 1.0]], [[3.0, 1.0], [1.0, 1.0]], [1.0, 1.0])
    assert point == pytest.approx([0.4, 2 / 3])
    assert distance[0] == pytest.approx(math.sqrt(0.75 * 0.4 ** 2 + 0.25 * (2 / 3) ** 2))
    assert distance[1] == pytest.approx(math.sqrt(0.5 * 0.6 ** 2 + 0.5 * (1 / 3) ** 2))


def test_compromise_model_learns_that_distant_states_stay_out():
    """Trained on states that joined when close to their process's compromise and stayed out when far, the
    compromise model gives a near test state a higher chance than a far one, falling with the distance; training
    facts without a distance (their scenario does not place them) do not move it; training facts of one kind give
    their base rate; a test unit without a distance is an error, not a guess."""
    rng = np.random.default_rng(2)
    distance = rng.uniform(0, 1, 40)
    joined = (distance + 0.2 * rng.normal(size=40) < 0.5).astype(int)
    train = Facts(tuple(f"s{k}" for k in range(40)), np.zeros((40, 1)), joined, distance=distance)
    test = scoring.Cases(("near", "middle", "far"), np.zeros((3, 1)), distance=np.array([0.05, 0.5, 0.95]))
    near, middle, far = scoring.compromise_model(Split(train, test))
    assert near > 0.8 and far < 0.2 and near > middle > far
    unplaced = Facts(train.ids + ("x", "y"), np.zeros((42, 1)), np.append(joined, [1, 0]),
                     distance=np.append(distance, [np.nan, np.nan]))
    flipped = Facts(unplaced.ids, unplaced.features, np.append(joined, [0, 1]), distance=unplaced.distance)
    assert np.array_equal(scoring.compromise_model(Split(unplaced, test)),
                          scoring.compromise_model(Split(flipped, test)))
    assert np.allclose(scoring.compromise_model(Split(unplaced, test)), [near, middle, far])
    one_kind = Facts(train.ids, train.features, np.ones(40), distance=distance)
    assert scoring.compromise_model(Split(one_kind, test)).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="no distance from the compromise for the test units far"):
        scoring.compromise_model(Split(train, scoring.Cases(test.ids, test.features,
                                                            distance=np.array([0.1, 0.2, np.nan]))))


def test_facts_reject_mismatched_or_non_binary_data():
    """Facts check their shapes and that outcomes are 0/1, naming what is wrong."""
    with pytest.raises(ValueError, match="features must be 2 rows"):
        Facts(("a", "b"), np.zeros((3, 1)), np.array([0, 1]))
    with pytest.raises(ValueError, match="outcomes must be 2 values of 0 or 1"):
        Facts(("a", "b"), np.zeros((2, 1)), np.array([0, 3]))
    with pytest.raises(ValueError, match="finite"):
        Facts(("a",), np.array([[np.nan]]), np.array([1]))


def test_vote_features_code_votes_and_absence():
    """Each resolution gives two columns: the vote (yes +1, abstain 0, no -1, absent 0) and an absence flag; an
    unknown vote word is an error."""
    votes = {"US": {"R1": "no", "R2": "yes"}, "NA": {"R1": "abstain"}}
    matrix, names = scoring.vote_features(votes, ["US", "NA", "XX"], ["R1", "R2"])
    assert names == ("R1:vote", "R1:absent", "R2:vote", "R2:absent")
    assert matrix.tolist() == [[-1, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 1]]
    with pytest.raises(ValueError, match="'maybe' is not yes, no or abstain"):
        scoring.vote_features({"US": {"R1": "maybe"}}, ["US"], ["R1"])
