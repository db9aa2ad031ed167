"""Concession: each state's mandate moves toward the draft and its trusted partners, within its red lines.

The pull toward the draft is scaled by flexibility, by reciprocity (what the others conceded toward the state in the
last round: maths.reciprocity_factor) and by the chance that the state's legislature would ratify the draft (a
negotiator does not bend toward a text it could not bring home: Putnam 1988); inflexible states are pulled back
toward their ideal by domestic constituencies (maths.Concession).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import maths

if TYPE_CHECKING:  # pragma: no cover
    from .core import NegotiationModel


def concede(model: "NegotiationModel") -> bool:
    """Mandates move; returns whether any state could move (when none can, coalitions cannot change either)."""
    protocol = model.scenario.protocol
    sigma = protocol.concession_noise
    # Drawn for every state in row order whatever the activation, so both regimes use the generator alike.
    noise = np.exp(sigma * model.rng.standard_normal(model.n) - 0.5 * sigma * sigma)
    movers = model.engaged & ~model.signed  # signatories of an adopted text hold their mandates
    if not np.count_nonzero(movers):
        return False
    partners = model.partners()
    willingness = model.reciprocity * model.evaluation.chance[:, 0]  # the draft's chance of ratification
    # Conditional cooperation on the record of the talks so far, not on one round's moves (model.received and
    # model.given add up): the cumulative ratio settles as the talks do, so reciprocity shapes where mandates come
    # to rest without keeping them in motion.
    if protocol.activation == "simultaneous":
        model.position, model.reciprocity = maths.simultaneous_round(
            model.ideal, model.draft, concession_weights(model), model.flexibility, partners, movers,
            protocol.concession_rate, protocol.domestic_anchor, noise, model.low, model.high, willingness,
            model.position, model.salience, model.capability, model.engaged, model.received, model.given,
            protocol.reciprocity)
        return True
    rule = maths.Concession(model.ideal, model.draft, concession_weights(model), model.flexibility,
                            partners, movers, protocol.concession_rate, protocol.domestic_anchor, noise,
                            model.low, model.high, willingness)
    before = model.position.copy()
    turns: list[int] = []
    model.agents.shuffle_do("concede", turns)  # Mesa's random activation: the order of the states' turns
    rule.move_in_order(turns, model.position)
    model.reciprocity = maths.record_concessions(before, model.position, model.salience, model.capability,
                                                 model.engaged, model.received, model.given, protocol.reciprocity)
    return True


def concession_weights(model: "NegotiationModel") -> np.ndarray:
    """maths.concession_weights of the states' saliences, worked out again only after an event (only events change
    saliences)."""
    kept = model.memo.get("concession_weights")
    if kept is None or kept[0] != model.events_applied:
        kept = model.memo["concession_weights"] = (model.events_applied, maths.concession_weights(model.salience))
    return kept[1]
