"""The dashboard's model: a NegotiationModel built from a scenario file and the dashboard's controls.

SolaraViz rebuilds its model as `cls(**params)` when Reset is pressed, so the controls are keyword arguments of
`LiveNegotiation`. Every control left at the scenario's own value changes nothing: the model then runs exactly the
scenario as written, and the same seed gives the same run as `run.py run`.

The controls' starting values and choices are read from the loaded scenario and from sim.schema, the one place where
defaults live; this module keeps no copy of them.
"""

from __future__ import annotations

import typing
from pathlib import Path

import numpy as np
import pandas as pd

from ..loader import load_raw, validate_raw, with_overrides
from ..model import NegotiationModel
from ..schema import DECISION_RULES, Protocol, Scenario

__all__ = ["LiveNegotiation", "build_scenario", "model_params", "scenario_files", "states_now", "ACTIVATIONS",
           "FLEXIBILITY_SCALE_MAX", "SEED_MAX"]

ACTIVATIONS: tuple[str, ...] = typing.get_args(Protocol.model_fields["activation"].annotation)
# Scaling past this only pins more states at flexibility 1; a slider that long would be mostly dead travel.
FLEXIBILITY_SCALE_MAX = 4.0
THRESHOLD_STEP = 0.01
SEED_MAX = 99


def build_scenario(path: str | Path, flexibility_scale: float = 1.0, decision: str | None = None,
                   threshold: float | None = None, activation: str | None = None) -> Scenario:
    """The scenario in `path` with the dashboard's controls applied as overrides.

    flexibility_scale multiplies every state's flexibility (capped at 1); decision, threshold and activation replace
    the scenario's own when given and different. Bad values raise ScenarioError like any other override.
    """
    if not flexibility_scale >= 0:
        raise ValueError(f"flexibility_scale {flexibility_scale!r} is not a number of 0 or more")
    raw = load_raw(path)
    base = validate_raw(raw)
    overrides: dict[str, object] = {}
    if flexibility_scale != 1.0:
        for i, state in enumerate(base.states):
            overrides[f"states.{i}.flexibility"] = min(1.0, state.flexibility * float(flexibility_scale))
    if decision is not None and decision != base.rules.decision:
        overrides["rules.decision"] = decision
    # The slider reports values rounded to its step: one within half a step of the scenario's (2/3 shown as 0.67)
    # leaves the scenario's own value in place.
    if threshold is not None and abs(float(threshold) - base.rules.threshold) > THRESHOLD_STEP / 2:
        overrides["rules.threshold"] = float(threshold)
    if activation is not None and activation != base.protocol.activation:
        overrides["protocol.activation"] = activation
    if not overrides:
        return base
    return validate_raw(with_overrides(raw, overrides))


class LiveNegotiation(NegotiationModel):
    """The negotiation the dashboard steps through: a scenario file plus the dashboard's controls."""

    def __init__(self, scenario: str, flexibility_scale: float = 1.0, decision: str | None = None,
                 threshold: float | None = None, activation: str | None = None, seed: int = 0):
        self.source = str(scenario)
        self.controls = {"flexibility_scale": float(flexibility_scale), "decision": decision,
                         "threshold": threshold, "activation": activation, "seed": int(seed)}
        super().__init__(build_scenario(scenario, flexibility_scale, decision, threshold, activation), seed=int(seed))


def model_params(path: str | Path) -> dict:
    """SolaraViz's model_params for a scenario file: the controls, starting at the scenario's own values."""
    from mesa.visualization import Slider

    scenario = validate_raw(load_raw(path))
    return {
        "scenario": str(path),
        "flexibility_scale": Slider("Flexibility", value=1.0, min=0.0,
                                    max=FLEXIBILITY_SCALE_MAX, step=0.25, dtype=float),
        "decision": {"type": "Select", "label": "Decision rule", "value": scenario.rules.decision,
                     "values": list(DECISION_RULES)},
        "threshold": Slider("Threshold", value=scenario.rules.threshold, min=0.0, max=1.0, step=THRESHOLD_STEP,
                            dtype=float),
        "activation": {"type": "Select", "label": "Activation", "value": scenario.protocol.activation,
                       "values": list(ACTIVATIONS)},
        "seed": Slider("Seed", value=0, min=0, max=SEED_MAX, step=1, dtype=int),
    }


def scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files at the top level of a folder, sorted by name (sub-folders hold variants and parts)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob("*.yaml") if p.is_file()), key=lambda p: p.name)


def states_now(model: NegotiationModel) -> pd.DataFrame:
    """The current round's rows of sim.runner.states_table, read from the model's arrays (not its whole log)."""
    names = np.array([c.name for c in model.coalitions] + [""], dtype=object)
    frame: dict[str, object] = {"round": np.full(model.n, model.round), "state": np.array(model.ids, dtype=object)}
    for k, d in enumerate(model.dimensions):
        frame[f"position_{d}"] = model.position[:, k].copy()
    frame["utility"] = model.utility.copy()
    frame["engaged"] = model.engaged.copy()
    frame["support"] = model.support & model.engaged
    frame["signed"] = model.signed.copy()
    frame["ratified"] = model.ratified.copy()
    frame["coalition"] = names[model.label]
    for j, name in enumerate(model.tier_names):
        frame[f"tier_{name}"] = model.tiers[:, j].copy()
    return pd.DataFrame(frame)
