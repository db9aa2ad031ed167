"""Uncertainty in the inputs: values given with a standard deviation are drawn once per run from its seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.loader import ScenarioError, load_raw, validate_raw, with_overrides
from sim.runner import run_once

from .conftest import SCENARIOS

UNCERTAIN = {"states.CAL.uncertainty": {"ideal": {"data_sovereignty": 0.1, "enforcement": 0.05},
                                        "capability": 1.0, "reservation": 0.1, "flexibility": 0.1}}


def classroom(overrides=None):
    return validate_raw(with_overrides(load_raw(SCENARIOS / "classroom.yaml"), overrides or {}))


def test_same_seed_same_draws_other_seeds_other_draws():
    """A run's draws depend on its seed alone: the same seed gives the same inputs and tables; another seed others."""
    scenario = classroom(UNCERTAIN)
    a, b, c = run_once(scenario, 3), run_once(scenario, 3), run_once(scenario, 4)
    assert a.summary["drawn_inputs"] == b.summary["drawn_inputs"]
    pd.testing.assert_frame_equal(a.states, b.states)
    assert a.summary["drawn_inputs"] != c.summary["drawn_inputs"]
    assert set(a.summary["drawn_inputs"]) == {"CAL"}
    assert set(a.summary["drawn_inputs"]["CAL"]) == {"ideal", "capability", "reservation", "flexibility"}


def test_draws_stay_within_ranges_and_red_lines_and_centre_on_the_stated_values():
    """Over many seeds the draws average to the stated values (within sampling error), never leave their ranges or
    Caldera's red line (data sovereignty at least 0.7), and capability stays positive."""
    scenario = classroom({"states.CAL.uncertainty": {"ideal": {"data_sovereignty": 0.1, "attribution_transparency": 0.05},
                                                     "capability": 1.5, "flexibility": 0.5}})
    from sim.model import NegotiationModel
    draws = [NegotiationModel(scenario, seed).drawn_inputs["CAL"] for seed in range(400)]
    sovereignty = np.array([d["ideal"]["data_sovereignty"] for d in draws])
    attribution = np.array([d["ideal"]["attribution_transparency"] for d in draws])
    capability = np.array([d["capability"] for d in draws])
    flexibility = np.array([d["flexibility"] for d in draws])
    assert sovereignty.min() >= 0.7 and sovereignty.max() <= 1.0
    assert abs(attribution.mean() - 0.2) < 3 * 0.05 / np.sqrt(400)
    assert abs(capability.mean() - 3.0) < 3 * 1.5 / np.sqrt(400) and capability.min() > 0
    assert abs(capability.std() - 1.5) < 0.3
    assert flexibility.min() >= 0.0 and flexibility.max() <= 1.0


def test_no_uncertainty_leaves_every_run_as_it_was():
    """Zero standard deviations draw nothing that matters: the run equals the one without the uncertainty entry,
    because the draws use a generator of their own."""
    plain = run_once(classroom(), 2)
    zero = run_once(classroom({"states.CAL.uncertainty": {"reservation": 0.0}}), 2)
    pd.testing.assert_frame_equal(plain.states, zero.states)


def test_uncertainty_changes_outcomes_across_replicates():
    """With an uncertainty on Caldera's flexibility, replicates differ in more than the concession noise: the
    drawn flexibility enters the run (it is what Caldera concedes with)."""
    scenario = classroom({"states.CAL.uncertainty": {"flexibility": 0.05}})
    runs = [run_once(scenario, seed) for seed in range(6)]
    used = {round(r.model.flexibility[r.model.index["CAL"]], 6) for r in runs}
    assert len(used) == 6
    assert all(abs(r.model.flexibility[r.model.index["CAL"]] - r.summary["drawn_inputs"]["CAL"]["flexibility"]) < 1e-6
               for r in runs)


@pytest.mark.parametrize("uncertainty, field, message", [
    ({"ideal": {"sovereignty": 0.1}}, "states[2].uncertainty.ideal", "sovereignty"),
    ({"capability": -1.0}, "states[2].uncertainty.capability", "negative"),
])
def test_bad_uncertainty_is_refused_with_its_field(uncertainty, field, message):
    """An unknown dimension or a negative standard deviation is refused, naming the field."""
    with pytest.raises(ScenarioError) as error:
        classroom({"states.CAL.uncertainty": uncertainty})
    assert field in str(error.value) and message in str(error.value)
