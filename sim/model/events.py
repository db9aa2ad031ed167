"""Scheduled events, applied at the start of their round in the order the scenario lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import maths

if TYPE_CHECKING:  # pragma: no cover
    from .core import NegotiationModel


def apply_events(model: "NegotiationModel") -> list[str]:
    applied = []
    while model.pending_events and model.pending_events[0][1].round <= model.round:
        _, event = model.pending_events.pop(0)
        HANDLERS[event.type](model, event)
        applied.append(event.type)
    return applied


def _rows(model: "NegotiationModel", ids) -> np.ndarray:
    return np.array([model.index[s] for s in ids], dtype=np.int64)


def cyber_incident(model: "NegotiationModel", event) -> None:
    """Victims care more about attribution and demand more of it; they trust the accused less."""
    victims, d = _rows(model, event.victims), model.dimensions.index(event.dimension)
    # severity is on the normalised scale: it adds that share of each victim's total weight
    model.raw_salience[victims, d] += event.severity * model.raw_salience[victims].sum(axis=1)
    model.salience[victims] = maths.normalise_salience(model.raw_salience[victims])
    model.ideal[victims, d] = np.minimum(1.0, model.ideal[victims, d] + event.shift)
    model.position[victims, d] = np.clip(model.position[victims, d] + event.shift, model.low[victims, d],
                                         model.high[victims, d])
    if event.accused:
        accused = _rows(model, event.accused)
        model.grievance[np.ix_(victims, accused)] += event.severity
        model.rebuild_trust()


def government_change(model: "NegotiationModel", event) -> None:
    """A new government brings a new ideal point (and possibly salience, flexibility, reservation)."""
    i = model.index[event.state]
    for d, v in event.ideal.items():
        model.ideal[i, model.dimensions.index(d)] = v
    if event.salience is not None:  # same scale as the state's salience in the scenario (checked non-zero)
        for d, v in event.salience.items():
            model.raw_salience[i, model.dimensions.index(d)] = v
        model.salience[i] = model.raw_salience[i] / model.raw_salience[i].sum()
    if event.flexibility is not None:
        model.flexibility[i] = event.flexibility
    if event.reservation is not None:
        model.reservation_now[i] += event.reservation - model.reservation[i]  # keeps the state's random shock
        model.reservation[i] = event.reservation
    if event.reset_position:
        model.position[i] = np.clip(model.ideal[i], model.low[i], model.high[i])


def walkout(model: "NegotiationModel", event) -> None:
    """The state leaves the talks; after adoption, leaving withdraws its signature and ratification."""
    i = model.index[event.state]
    model.engaged[i] = False
    model.departures.append({"state": model.ids[i], "round": model.round, "reason": "scheduled walk-out"})
    if model.adopted_round is not None:
        model.signed[i] = model.ratified[i] = False
        model.tiers[i] = False
    model.table_changed()


def join(model: "NegotiationModel", event) -> None:
    i = model.index[event.state]
    model.engaged[i] = model.ever_engaged[i] = True
    model.position[i] = model.opening[i]
    model.table_changed()


def outside_pressure(model: "NegotiationModel", event) -> None:
    rows = _rows(model, event.states) if event.states else np.arange(model.n)
    model.flexibility[rows] = np.minimum(1.0, model.flexibility[rows] + event.flexibility_boost)


HANDLERS = {"cyber_incident": cyber_incident, "government_change": government_change, "walkout": walkout,
            "join": join, "outside_pressure": outside_pressure}
