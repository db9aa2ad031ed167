"""Ratification: after adoption, signatories ratify within a window, or never; the treaty enters into force at the
scenario's threshold.

Each round of the window a signatory's legislature ratifies with the hazard of maths.ratification_hazard, which
falls with the state's ratification difficulty and with the text's distance from its ideal. A signatory ratifies
only while membership is worth more to it than no treaty. Once the window closes, no more ratifications come, so a
higher difficulty lowers the chance of entry into force, not only delays it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


from .. import maths

if TYPE_CHECKING:  # pragma: no cover
    from .core import NegotiationModel


def ratify(model: "NegotiationModel") -> None:
    rules = model.scenario.rules
    draws = model.rng.random(model.n)  # one draw per state in row order, used or not, for stable streams
    if model.round > model.window_closes:
        return
    loss = model.evaluation.loss[:, 0]  # the adopted text's loss from each ideal, as the states last weighed it
    chance = maths.ratification_hazard(loss, model.difficulty, rules.ratification_rate, rules.ratification_tolerance)
    worth_it = model.utility >= model.reservation_now  # the one utility: members' value of the treaty as it stands
    model.ratified |= model.signed & model.engaged & worth_it & (draws < chance)
    if model.in_force_round is None and model.ratified.sum() >= model.scenario.ratifications_needed():
        model.in_force_round = model.round
