"""Drafting (propose): the chair searches a set of candidate texts for one the rule would adopt.

Among the candidates the rule would adopt, the chair tables the one that best serves its objective: its own utility
(a state in the chair) or the weighted Nash bargaining product of the states' gains over no treaty (a secretariat).
With none adoptable it tables the candidate closest to passing, and keeps the text on the table unless another
is closer by a margin (inertia), so that it does not alternate between texts.

The candidates are vectorised: the current draft; the weighted compromise of the engaged states' mandates; the chair's
own mandate pulled in by `chair_influence`; the compromise of each coalition and of the states in none; the draft
moved half-way toward the mandate of each of the states that object most; the draft stepped along each dimension;
and the last near miss. All are evaluated in one batch (as decisions.evaluate does), so the search costs one
(N x T) evaluation per round; what a text means to the states whatever the mandates is kept from the last search
for the texts that come back (decisions.search_stakes).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from .. import maths
from .decisions import current_rule, declare, endgame_pressure, search_stakes

if TYPE_CHECKING:  # pragma: no cover
    from .core import NegotiationModel

SECRETARIAT = "secretariat"
NEAR_MISS_MARGIN = 0.02  # relative fall in shortfall a new text needs to replace the one on the table
STEP = 0.05  # size of the chair's steps along each dimension
TOWARD_OBJECTORS = 6  # objectors whose mandates the chair tries to meet half-way


def propose(model: "NegotiationModel") -> None:
    """The chair drafts the core (and the tiers follow it).

    The chair searches again only when something has changed since its last search: a mandate moved by more than
    the stalemate epsilon (all moves since the search counted), an event happened, the table or the rule in force
    changed, or the chair rotated. Otherwise the candidates would be judged as before (to within that epsilon), so
    the text on the table stays and the states' answers to it stand.
    """
    chair = choose_chair(model)
    model.chair = model.ids[chair] if chair is not None else SECRETARIAT
    stamp = (chair, current_rule(model), model.engaged.tobytes(), model.events_applied, endgame_pressure(model))
    last = model.last_search
    if (last is not None and last[0] == stamp and not model.adoptable_found
            and maths.moved_less(model.position, last[1], model.scenario.protocol.stalemate_epsilon)):
        # Nothing has moved by more than epsilon: the chair's verdict and the states' answers stand as they were.
        model.draft_evaluation = model.evaluation
        return
    model.last_search = (stamp, model.position.copy())
    texts = candidates(model, chair)
    rule, threshold = current_rule(model)
    ev = declare(model, search_stakes(model, texts, rule), rule, threshold, model.position)
    pick = pick_text(model, ev, chair)
    model.search_size = len(texts)
    model.adoptable_found = bool(ev.adoptable.any())
    model.draft = texts[pick].copy()
    model.tier_text = maths.tier_texts(model.draft, model.tier_floor, model.tier_ceiling)
    model.draft_evaluation = ev.column(pick)
    if not ev.adoptable[pick]:
        model.near_miss = texts[pick].copy()
    model.best_shortfall = float(ev.shortfall[pick])


def choose_chair(model: "NegotiationModel") -> int | None:
    """Row of the chairing state, or None for a secretariat."""
    mode = model.scenario.protocol.chair
    if mode in ("compromise", "best_supported"):
        return None
    if mode == "rotation":
        leaders = model.engaged_leaders()
        return leaders[(model.round - 1) % len(leaders)] if leaders else None
    i = model.index[mode]
    return i if model.engaged[i] else None


def candidates(model: "NegotiationModel", chair: int | None) -> np.ndarray:
    """The candidate texts of this round (T,K), held within the core's floors and ceilings; the text on the table
    comes first."""
    protocol = model.scenario.protocol
    opening = model.scenario.treaty.core.opening
    compromise = maths.compromise(model.position, model.salience, model.capability, model.engaged)
    if model.round == 1 and opening:
        for d, v in opening.items():
            compromise[model.dimensions.index(d)] = v
        rows = [compromise]
    else:
        rows = [model.draft, compromise]
    if chair is not None:
        rows.append((1 - protocol.chair_influence) * compromise + protocol.chair_influence * model.position[chair])
    # texts a group could carry: each live coalition's compromise, and that of the states in no coalition
    for label, coalition in enumerate(model.coalitions):
        members = (model.label == label) & model.engaged
        if coalition.alive and members.any():
            rows.append(maths.compromise(model.position, model.salience, model.capability, members))
    unaligned = (model.label < 0) & model.engaged
    if model.coalitions and unaligned.any():
        rows.append(maths.compromise(model.position, model.salience, model.capability, unaligned))
    draft = rows[0]
    blocks = [np.array(rows)]  # the rest in blocks of rows, each worked out in one go
    if model.declaration is not None:
        excess = np.where(model.declaration == maths.OBJECT,
                          model.reservation_now - model.objection_cost_now - model.utility, -np.inf)
        objectors = np.argsort(-excess, kind="stable")[:TOWARD_OBJECTORS]
        objectors = objectors[np.isfinite(excess[objectors])]
        blocks.append(draft + 0.5 * (model.position[objectors] - draft))
    eye = _steps(model.k)
    blocks += [draft + eye, draft - eye]
    if model.near_miss is not None:
        blocks.append(model.near_miss[None, :])
    texts = maths.bound_text(np.concatenate(blocks), 0.0, 1.0)
    return maths.bound_text(texts, model.core_floor[None, :], model.core_ceiling[None, :])


@functools.lru_cache(maxsize=16)
def _steps(k: int) -> np.ndarray:
    """The chair's steps along each of k dimensions (k, k), read-only."""
    steps = np.eye(k) * STEP
    steps.flags.writeable = False
    return steps


def pick_text(model: "NegotiationModel", ev, chair: int | None) -> int:
    """Index of the text to table: the best adoptable one for the chair's objective, else the nearest miss."""
    if ev.adoptable.any():
        if model.scenario.protocol.chair == "best_supported":
            score = ev.members.sum(axis=0).astype(float) + 1e-6 * _nash(model, ev)
        elif chair is None:
            score = _nash(model, ev)
        else:
            score = ev.utility[chair]
        score = np.where(ev.adoptable, score, -np.inf)
        return int(np.argmax(score))  # ties: the earlier candidate, the text on the table first
    best = int(np.argmin(ev.shortfall))
    if ev.shortfall[best] < ev.shortfall[0] * (1 - NEAR_MISS_MARGIN) - 1e-12:
        return best
    return 0


def _nash(model: "NegotiationModel", ev) -> np.ndarray:
    rule, _ = current_rule(model)
    return maths.nash_objective(ev.utility, model.reservation_now, model.weights(rule), model.engaged)
