"""run_once: one scenario, one seed, one run; returns its tables. The CLI, sweeps, dashboard and tests all call it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from . import maths
from .model import NegotiationModel, explanation
from .schema import Scenario

__all__ = ["RunResult", "run_once", "summarise", "explain"]


@dataclass
class RunResult:
    """What one run records over time (rounds, states) and what it reports once at the end (summary)."""

    scenario: Scenario
    seed: int
    summary: dict
    model: NegotiationModel = field(repr=False)
    wall_time: float = 0.0

    @cached_property
    def rounds(self) -> pd.DataFrame:
        """One row per round (round 0 is the start)."""
        return rounds_table(self.model)

    @cached_property
    def states(self) -> pd.DataFrame:
        """One row per state per round."""
        return states_table(self.model)


def run_once(scenario: Scenario, seed: int, max_rounds: int | None = None) -> RunResult:
    """Run a scenario with a seed to its end and return its tables. Deterministic for a given (scenario, seed)."""
    start = time.perf_counter()
    model = NegotiationModel(scenario, seed=seed, max_rounds=max_rounds)
    model.run()
    wall = time.perf_counter() - start
    summary = summarise(model)
    return RunResult(scenario=scenario, seed=int(seed), summary=summary, model=model, wall_time=wall)


def _ids(model: NegotiationModel, mask: np.ndarray) -> list[str]:
    return [model.ids[i] for i in np.flatnonzero(mask)]


def _text(model: NegotiationModel, vector: np.ndarray) -> dict[str, float]:
    return {d: round(float(v), 6) for d, v in zip(model.dimensions, vector)}


def summarise(model: NegotiationModel) -> dict:
    """The once-only report of a finished run (plain JSON-ready values)."""
    adopted = model.adopted_round is not None
    engaged = model.engaged
    declared = model.declaration if model.declaration is not None else np.zeros(model.n, np.int8)
    summary = {
        "scenario": model.scenario.metadata.title,
        "seed": model.seed,
        "outcome": model.outcome,
        "reason": model.end_reason,
        "rounds": model.round,
        "end_date": model.date_of(model.round),
        "adopted": adopted,
        "adopted_round": model.adopted_round,
        "adopted_date": model.date_of(model.adopted_round),
        "adopted_by": model.adopted_by,
        "opening_round": model.opening_round,
        "opening_date": model.date_of(model.opening_round),
        "in_force": model.in_force_round is not None,
        "in_force_round": model.in_force_round,
        "in_force_date": model.in_force_date(),
        "signatories_at_opening": model.opening_signatories,
        "ratifications": int(model.ratified.sum()),
        "ratifications_needed": model.scenario.ratifications_needed(),
        "states_at_table": int(engaged.sum()),
        "states_in_talks": int(model.ever_engaged.sum()),
        "core_text": _text(model, model.draft),
        "core_members": _ids(model, model.signed if adopted else model.would_sign & engaged),
        "supporters": _ids(model, model.support & engaged),
        "silent": _ids(model, engaged & (declared == maths.SILENT)),
        "objectors": _ids(model, engaged & (declared == maths.OBJECT)),
        "ratified": _ids(model, model.ratified),
        "tiers": {
            name: {
                "text": _text(model, model.tier_text[j]),
                "in_being": bool(model.tier_alive[j]) if adopted else None,
                "members": _ids(model, model.tiers[:, j]),
                "entry_threshold": int(model.tier_threshold[j]),
            }
            for j, name in enumerate(model.tier_names)
        },
        "coalitions": {c.name: _ids(model, model.label == label)
                       for label, c in enumerate(model.coalitions) if c.alive},
        "walked_out": _ids(model, model.ever_engaged & ~model.engaged),
        "stalled_since": model.stalled_since,
        "drawn_inputs": model.drawn_inputs,
        "explanation": explain(model),
    }
    return summary


def explain(model: NegotiationModel) -> dict:
    """Why the run ended as it did (see sim.model.explanation)."""
    return explanation.explain(model)


def rounds_table(model: NegotiationModel) -> pd.DataFrame:
    log = model.log
    cap = model.capability
    engaged = np.array(log.engaged)
    support = np.array(log.support) & engaged
    signed = np.array(log.signed)
    tiers = np.array(log.tiers) if model.n_tiers else np.zeros((len(engaged), model.n, 0), bool)
    positions = np.array(log.position)  # (R, N, K)
    draft = np.array(log.draft)
    live_cap = (engaged * cap).sum(axis=1)
    frame = {
        "round": np.arange(len(engaged)),
        "chair": log.chair,
        "engaged": engaged.sum(axis=1),
        "supporters": support.sum(axis=1),
        "support_share": np.divide((support * cap).sum(axis=1), live_cap, out=np.zeros(len(live_cap)),
                                   where=live_cap > 0),
        "date": [model.date_of(r) for r in range(len(engaged))],
        "objectors": ((np.array(log.declaration) == maths.OBJECT) & engaged).sum(axis=1),
        "silent": ((np.array(log.declaration) == maths.SILENT) & engaged).sum(axis=1),
        "adoptable_found": log.adoptable_found,
        "adopted": log.adopted,
        "core_members": np.where(log.adopted, signed.sum(axis=1), (np.array(log.would_sign) & engaged).sum(axis=1)),
        "ratified": np.array(log.ratified).sum(axis=1),
        "in_force": log.in_force,
    }
    for j, name in enumerate(model.tier_names):
        frame[f"tier_{name}"] = tiers[:, :, j].sum(axis=1)
    for k, d in enumerate(model.dimensions):
        frame[f"draft_{d}"] = draft[:, k]
    # Dispersion: capability-weighted mean distance of engaged states' positions from their weighted mean.
    weights = engaged * cap
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.einsum("rn,rnk->rk", weights, positions) / weights.sum(axis=1, keepdims=True)
        spread = np.sqrt(((positions - centre[:, None, :]) ** 2).mean(axis=2))
        frame["dispersion"] = (spread * weights).sum(axis=1) / weights.sum(axis=1)
    frame["movement"] = log.movement
    frame["coalitions"] = [len({int(v) for v in labels[labels >= 0]}) for labels in log.label]
    frame["events"] = log.events
    return pd.DataFrame(frame)


def states_table(model: NegotiationModel) -> pd.DataFrame:
    log = model.log
    rounds, n = len(log.engaged), model.n
    positions = np.array(log.position)
    names = [c.name for c in model.coalitions] + [""]
    labels = np.array(log.label)
    frame = {
        "round": np.repeat(np.arange(rounds), n),
        "state": np.tile(np.array(model.ids, dtype=object), rounds),
    }
    for k, d in enumerate(model.dimensions):
        frame[f"position_{d}"] = positions[:, :, k].ravel()
    frame["utility"] = np.array(log.utility).ravel()
    frame["declaration"] = np.array(["object", "silent", "support"], dtype=object)[
        np.array(log.declaration).ravel().astype(int) + 1]
    frame["objection_cost"] = np.array(log.cost).ravel()
    frame["mandate_share"] = np.array(log.mandate).ravel()
    frame["would_sign"] = (np.array(log.would_sign) & np.array(log.engaged)).ravel()
    frame["engaged"] = np.array(log.engaged).ravel()
    frame["support"] = (np.array(log.support) & np.array(log.engaged)).ravel()
    frame["signed"] = np.array(log.signed).ravel()
    frame["ratified"] = np.array(log.ratified).ravel()
    frame["coalition"] = np.array(names, dtype=object)[labels.ravel()]
    tiers = np.array(log.tiers) if model.n_tiers else np.zeros((rounds, n, 0), bool)
    for j, name in enumerate(model.tier_names):
        frame[f"tier_{name}"] = tiers[:, :, j].ravel()
    frame["tiers_joined"] = [";".join(model.tier_names[j] for j in np.flatnonzero(row)) for row in
                             tiers.reshape(rounds * n, -1)]
    return pd.DataFrame(frame)
