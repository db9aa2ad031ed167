"""Coalitions: members whose mandates drift too far from their coalition's centre defect; close coalitions merge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import maths

if TYPE_CHECKING:  # pragma: no cover
    from .core import NegotiationModel


@dataclass
class Coalition:
    name: str
    leader: int
    cohesion: float
    alive: bool = True
    formed: int = 0  # round at which it formed (0 = at the start)


def update_coalitions(model: "NegotiationModel") -> None:
    """Defections and mergers; looked at again only once some mandate has moved by more than the stalemate epsilon
    since the last look, or the table has changed (below that, no distance can have crossed a limit by more)."""
    protocol = model.scenario.protocol
    if not model.coalitions:
        return
    last = model.last_coalitions
    if (last is not None and last[0] == model.engaged.tobytes()
            and maths.moved_less(model.position, last[1], protocol.stalemate_epsilon)):
        return
    model.last_coalitions = (model.engaged.tobytes(), model.position.copy())
    centres, alive = centres_of(model)
    leaders = np.zeros(model.n, bool)
    leaders[[c.leader for c in model.coalitions if c.alive]] = True
    leaving = maths.defectors(model.position, model.salience, model.label, centres, model.engaged, leaders,
                              protocol.defection_distance)
    changed = bool(leaving.any())
    model.label[leaving] = -1
    if changed:
        centres, alive = centres_of(model)
    for a, b in maths.merge_pairs(centres, alive, protocol.merge_distance):
        first, second = model.coalitions[a], model.coalitions[b]
        leader = max((first.leader, second.leader), key=lambda i: (model.capability[i], -i))
        merged = Coalition(f"{first.name}+{second.name}", leader, min(first.cohesion, second.cohesion),
                           formed=model.round)
        first.alive = second.alive = False
        model.label[(model.label == a) | (model.label == b)] = len(model.coalitions)
        model.coalitions.append(merged)
        changed = True
    if changed:
        model.rebuild_trust()


def centres_of(model: "NegotiationModel") -> tuple[np.ndarray, np.ndarray]:
    centres, alive = maths.coalition_centres(model.position, model.capability, model.label, len(model.coalitions),
                                             model.engaged)
    alive &= np.array([c.alive for c in model.coalitions])
    return centres, alive
