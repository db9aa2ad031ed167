"""Why a run ended as it did: every outcome is explained.

- An agreement (or a text adopted but not in force): the round it tipped, the rule that adopted it, the last states
  to stop objecting and what moved each of them (a better text, its own mandate, or isolation), who signed at the
  opening, who let it pass without signing, who joined each tier, and how ratification went.
- A stalemate or time-out: the blockers, the dimension that divides the objectors, the best near-miss text and who
  it misses, and the cheapest set of concessions (by the distance the mandates must travel) that would tip it,
  checked by evaluating the text again with those mandates.
- A collapse: who left, when and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import maths
from .decisions import current_rule, declare, stakes

if TYPE_CHECKING:  # pragma: no cover
    from .core import NegotiationModel


def explain(model: "NegotiationModel") -> dict:
    if model.adopted_round is not None:
        return explain_adoption(model)
    why = explain_deadlock(model)
    if model.outcome == "collapse":
        why["kind"] = "collapse"
        why["departures"] = list(model.departures)
    return why


def _ids(model, rows) -> list[str]:
    return [model.ids[i] for i in rows]


def _text(model, vector) -> dict[str, float]:
    return {d: round(float(v), 4) for d, v in zip(model.dimensions, vector)}


def explain_adoption(model: "NegotiationModel") -> dict:
    log, t1 = model.log, model.adopted_round
    declarations = np.array(log.declaration[: t1 + 1])  # rounds 0..adoption
    engaged = model.log.engaged[t1]
    objected = (declarations == maths.OBJECT)
    last_objection = np.where(objected.any(axis=0), objected.shape[0] - 1 - np.argmax(objected[::-1], axis=0), -1)
    turned = [i for i in np.flatnonzero(engaged & (last_objection >= 1) & (last_objection < t1))]
    turned.sort(key=lambda i: (-last_objection[i], model.ids[i]))
    protocol = model.scenario.protocol
    movers = []
    for i in turned[:5]:
        before, after = int(last_objection[i]), int(last_objection[i]) + 1
        d_utility = float(log.utility[after][i] - log.utility[before][i])
        d_mandate = float(protocol.mandate_cost * (log.mandate[after][i] - log.mandate[before][i]))
        d_isolation = float(log.cost[after][i] - log.cost[before][i]) - d_mandate
        parts = {"a better text for it": d_utility, "its own mandate moving toward the text": d_mandate,
                 "a higher cost of objecting (fewer others objecting, or deadline pressure)": d_isolation}
        movers.append({"state": model.ids[i], "stopped_objecting_in_round": after,
                       "moved_by": max(parts, key=lambda k: (parts[k], k)),
                       "changes": {k: round(v, 4) for k, v in parts.items()}})
    final = log.declaration[t1]
    opening = model.opening_round if model.opening_round is not None and model.opening_round < len(log.signed) \
        else t1
    signed_at_opening = np.asarray(log.signed[opening])
    silent = engaged & ~signed_at_opening & (final == maths.SILENT)
    against = engaged & (final == maths.OBJECT)
    return {
        "kind": "adoption",
        "tipped_round": t1,
        "tipped_date": model.date_of(t1),
        "adopted_by": model.adopted_by,
        "last_aboard": movers,
        "objected_before": _ids(model, np.flatnonzero(engaged & (last_objection >= 1))),
        "signed_at_opening": _ids(model, np.flatnonzero(signed_at_opening)),
        "let_pass_without_signing": _ids(model, np.flatnonzero(silent)),
        "voted_against": _ids(model, np.flatnonzero(against)),
        "tiers": {name: _ids(model, np.flatnonzero(model.tiers[:, j])) for j, name in enumerate(model.tier_names)
                  if model.tier_alive[j]},
        "tiers_not_formed": [name for j, name in enumerate(model.tier_names) if not model.tier_alive[j]],
        "ratified": int(model.ratified.sum()),
        "ratifications_needed": model.scenario.ratifications_needed(),
        "never_ratified": _ids(model, np.flatnonzero(model.signed & ~model.ratified)),
    }


def explain_deadlock(model: "NegotiationModel") -> dict:
    """Blockers, the dividing dimension, the near miss and the cheapest concessions that would tip it."""
    text = model.near_miss if model.near_miss is not None else model.draft
    rule, threshold = current_rule(model)
    # What the text means to each state does not depend on the mandates: weighed once for every trial below.
    at_stake = stakes(model, text[None, :], rule)
    ev = declare(model, at_stake, rule, threshold, model.position)
    decl = ev.declaration[:, 0]
    objecting = model.engaged & (decl == maths.OBJECT)
    gap = np.abs(text[None, :] - model.ideal)
    pressure = (model.capability[:, None] * model.salience * gap)[objecting].sum(axis=0)
    dimension = model.dimensions[int(np.argmax(pressure))] if objecting.any() else None

    # The cheapest concessions: for each objector the smallest move of its mandate toward the text that would stop
    # it objecting; won over cheapest first (per unit of vote weight under a vote) until the rule would adopt.
    protocol = model.scenario.protocol
    need = model.reservation_now - ev.utility[:, 0] - (ev.cost[:, 0] - protocol.mandate_cost * ev.mandate[:, 0])
    # Only the objectors' moves are ever read, so only theirs are worked out (row by row, the same numbers).
    rows = np.flatnonzero(objecting)
    lam = np.full(model.n, np.inf)
    lam[rows] = maths.required_mandate_move(model.position[rows], model.ideal[rows], text, model.salience[rows],
                                            model.low[rows], model.high[rows], need[rows], protocol.mandate_cost)
    step = np.where(np.isfinite(lam), lam, 0.0)[:, None]
    moved = np.clip(model.position + step * (text[None, :] - model.position), model.low, model.high)
    travel = np.where(np.isfinite(lam), maths.weighted_distance(model.position, moved, model.salience), np.inf)
    weight = model.weights(rule)
    order = sorted(np.flatnonzero(objecting).tolist(),
                   key=lambda i: (travel[i] / (weight[i] if rule != "consensus" else 1.0), model.ids[i]))
    needed, feasible = [], False
    trial = model.position.copy()
    for i in order:
        if not np.isfinite(travel[i]):
            break
        trial[i] = moved[i]
        needed.append(i)
        if bool(declare(model, at_stake, rule, threshold, trial).adoptable[0]):
            feasible = True
            break
    pivotal = needed[-1] if feasible and needed else None
    concession = None
    if pivotal is not None:
        moves = {d: round(float(v), 4) for d, v in zip(model.dimensions, moved[pivotal] - model.position[pivotal])
                 if abs(v) > 1e-6}
        concession = {"state": model.ids[pivotal], "moves": moves, "fraction_of_gap": round(float(lam[pivotal]), 4),
                      "travel": round(float(travel[pivotal]), 4)}
    # Holdouts: objectors that would object even had their mandate come all the way to the text.
    holdouts = [model.ids[i] for i in np.flatnonzero(objecting & ~np.isfinite(lam))]
    ranking = sorted(range(model.n), key=lambda i: (-int(model.holdouts[i]), -int(model.objections[i]),
                                                    -float(model.capability[i]), model.ids[i]))
    blockers = [{"state": model.ids[i], "objections": int(model.objections[i]), "held_out": int(model.holdouts[i])}
                for i in ranking if model.objections[i] > 0]
    misses = [{"state": model.ids[i],
               "shortfall": round(float(model.reservation_now[i] - ev.cost[i, 0] - ev.utility[i, 0]), 4)}
              for i in sorted(np.flatnonzero(objecting), key=lambda i: model.ids[i])]
    return {
        "kind": "deadlock",
        "rule": rule,
        "objectors": sorted(model.ids[i] for i in np.flatnonzero(objecting)),
        "holdouts": holdouts,
        "blockers": blockers,
        "dividing_dimension": dimension,
        "dimension_pressure": {d: round(float(v), 6) for d, v in zip(model.dimensions, pressure)},
        "near_miss": {"text": _text(model, text), "misses": misses,
                      "would_sign": _ids(model, np.flatnonzero(ev.members[:, 0] & model.engaged))},
        "states_to_win_over": [model.ids[i] for i in needed] if feasible else [],
        "concessions": [{"state": model.ids[i], "fraction_of_gap": round(float(lam[i]), 4),
                         "travel": round(float(travel[i]), 4)} for i in needed] if feasible else [],
        "tippable": feasible,
        "pivotal_concession": concession,
    }
