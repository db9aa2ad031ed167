"""Forecasts scored out of sample (scripts/evaluate_forecasts.py): baselines learn from Budapest, everyone is scored
on the UN named states."""

from __future__ import annotations

import importlib.util
import math

import numpy as np

from .conftest import ROOT


def load_script():
    spec = importlib.util.spec_from_file_location("evaluate_forecasts", ROOT / "scripts" / "evaluate_forecasts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_forecaster_is_scored_on_the_ten_named_states_only():
    """The table has the model and the four baselines, each scored on the 10 states reporting names (2 signed);
    the scores are the hand-checkable ones for the constant baselines: 'no change' (nobody signs) has Brier 0.2."""
    script = load_script()
    rows = script.evaluate(replicates=2, seed=0)
    assert [r["forecaster"] for r in rows][1:] == ["base rate", "majority", "no change",
                                                   "logistic regression on votes"]
    assert all(r["n"] == 10 for r in rows)
    no_change = next(r for r in rows if r["forecaster"] == "no change")
    assert no_change["brier"] == 0.2 and no_change["balanced_accuracy"] == 0.5 and no_change["roc_auc"] == 0.5
    base = next(r for r in rows if r["forecaster"] == "base rate")
    assert math.isclose(base["brier"], (8 * (50 / 55) ** 2 + 2 * (5 / 55) ** 2) / 10)
    assert "| the model" in script.markdown(rows)


def test_the_baselines_learn_from_budapest_and_read_the_votes():
    """Training facts are the 55 Budapest states of data/observed (50 parties); the vote features are the six
    cyber resolutions, each a vote column and an absence column, read for every state."""
    script = load_script()
    votes = script.read_votes()
    assert len(votes) == 193 and "NA" in votes  # Namibia's code is kept as text
    from sim.observed import load_observed
    train = script.facts(load_observed(ROOT / "data" / "observed" / "budapest.yaml").joined_at("status"), votes)
    assert len(train.ids) == 55 and int(train.outcomes.sum()) == 50
    assert train.features.shape == (55, 12) and np.abs(train.features).sum() > 0
