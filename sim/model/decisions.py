"""Decisions: how every state evaluates texts (sign, declare, vote), and the decide phase.

One utility per state, from its ideal point (maths.signing_equilibrium, maths.treaty_utility); positions enter only
as mandates, through the cost of objecting (maths.declarations). `evaluate` judges a batch of texts at once, so that
the chair's search and the states' responses use the very same calculus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import maths

if TYPE_CHECKING:  # pragma: no cover
    from .core import NegotiationModel


@dataclass
class Evaluation:
    """How the states would respond to each of T texts (arrays (N,T) or (T,))."""

    texts: np.ndarray  # (T,K)
    loss: np.ndarray  # loss from the ideal
    chance: np.ndarray  # chance of ratifying within the window
    members: np.ndarray  # who would sign
    value: np.ndarray  # B * v(members): a member's benefit
    alive: np.ndarray  # whether the treaty would be in being
    utility: np.ndarray  # utility in the world where the text is adopted
    declaration: np.ndarray  # SUPPORT / SILENT / OBJECT
    cost: np.ndarray  # each state's cost of objecting
    mandate: np.ndarray  # how far each mandate has come toward the text
    adoptable: np.ndarray  # whether the rule in force would adopt it
    shortfall: np.ndarray  # how far it falls short (0 if adoptable)

    def column(self, t: int) -> "Evaluation":
        """The evaluation of text t alone, as a batch of one."""
        pick = slice(t, t + 1)
        return Evaluation(self.texts[pick], *(a[:, pick] for a in (self.loss, self.chance, self.members)),
                          self.value[pick], self.alive[pick],
                          *(a[:, pick] for a in (self.utility, self.declaration, self.cost, self.mandate)),
                          self.adoptable[pick], self.shortfall[pick])


def current_rule(model: "NegotiationModel") -> tuple[str, float]:
    """The rule in force this round: the fallback vote once consensus has failed by its round or at the deadline."""
    rules = model.scenario.rules
    fallback = rules.fallback
    if rules.decision == "consensus" and fallback is not None:
        deadline = model.scenario.protocol.deadline_round
        if model.round >= fallback.round or (deadline is not None and model.round >= deadline):
            return fallback.decision, fallback.threshold
    return rules.decision, rules.threshold


def endgame_pressure(model: "NegotiationModel") -> float:
    """The extra cost of objecting as the mandate's deadline nears: 0 until `endgame_rounds` before the deadline,
    then rising linearly to `endgame_pressure` in the deadline round (deadline diplomacy)."""
    protocol = model.scenario.protocol
    deadline, window = protocol.deadline_round, protocol.endgame_rounds
    if deadline is None or window <= 0 or protocol.endgame_pressure <= 0:
        return 0.0
    left = deadline - model.round
    if left >= window:
        return 0.0
    return protocol.endgame_pressure * min(1.0, (window - max(left, 0)) / window)


def party_chance(model: "NegotiationModel", loss: np.ndarray) -> np.ndarray:
    """Each state's chance of ratifying each text within the window (N,T): the two-level anticipation."""
    rules = model.scenario.rules
    hazard = maths.ratification_hazard(loss, model.difficulty[:, None], rules.ratification_rate,
                                       rules.ratification_tolerance)
    return maths.ratification_chance(hazard, model.ratification_window)


@dataclass
class Stakes:
    """What each of T texts would mean to every state whatever the mandates (arrays (N,T) or (T,)): its loss, the
    chance of ratifying it, who would sign it and each state's utility in the world where it is adopted. Positions
    enter only through the cost of objecting (`declare`), so these stand while the mandates move."""

    texts: np.ndarray
    weight: np.ndarray  # vote weights under the rule the stakes were weighed for
    worth: np.ndarray  # what each state's membership adds to the treaty's value under that rule
    loss: np.ndarray
    chance: np.ndarray
    members: np.ndarray
    value: np.ndarray
    alive: np.ndarray
    utility: np.ndarray
    # How far each text is from any viable membership (maths.viability_gap), NaN until `unviable_where` has needed
    # it: it counts only for texts that nobody supports, and its sort per text is much of what a text costs.
    unviable: np.ndarray

    def unviable_where(self, model: "NegotiationModel", needed: np.ndarray) -> np.ndarray:
        """`unviable` where `needed` (T,), worked out for the texts that have not needed it before, and 0 elsewhere
        (where it is multiplied by 0 in maths.passes, so that any finite value gives the same shortfall; where the
        engaged states are too few for any membership to be viable it is infinite for every text, as
        maths.viability_gap gives it)."""
        todo = needed & np.isnan(self.unviable)
        if todo.any():
            self.unviable[todo] = maths.viability_gap(
                self.loss[:, todo], model.reservation_now, self.worth, self.chance[:, todo],
                model.scenario.treaty.participation_benefit, model.parties_needed, model.engaged)
        if maths.never_viable(model.parties_needed, np.count_nonzero(model.engaged)):
            return self.unviable  # infinite for every text, as it enters maths.passes when worked out for all
        return np.where(needed, self.unviable, 0.0)


def evaluate(model: "NegotiationModel", texts: np.ndarray, rule: str | None = None,
             threshold: float | None = None) -> Evaluation:
    """Every state's signing choice, utility and declaration on each text, and whether the rule adopts it."""
    if rule is None:
        rule, threshold = current_rule(model)
    return declare(model, stakes(model, texts, rule), rule, threshold, model.position)


def stakes(model: "NegotiationModel", texts: np.ndarray, rule: str) -> Stakes:
    """The part of `evaluate` that does not depend on the mandates."""
    treaty = model.scenario.treaty
    weight = model.weights(rule)
    worth = model.value_weights(rule)
    loss = maths.distance_matrix(model.ideal, texts, model.salience)
    chance = party_chance(model, loss)
    locked = model.signed if model.adopted_round is not None else None
    members, value, alive = maths.signing_equilibrium(
        loss, model.reservation_now, worth, chance, treaty.participation_benefit, treaty.public_good_share,
        treaty.norm_externality, model.parties_needed, model.engaged, locked)
    utility = maths.treaty_utility(loss, model.reservation_now, members, value, alive, treaty.public_good_share,
                                   treaty.norm_externality)
    never = maths.never_viable(model.parties_needed, np.count_nonzero(model.engaged))
    unviable = np.full(len(texts), np.inf if never else np.nan)
    return Stakes(texts, weight, worth, loss, chance, members, value, alive, utility, unviable)


def search_stakes(model: "NegotiationModel", texts: np.ndarray, rule: str) -> Stakes:
    """`stakes` for the chair's candidate texts, reusing the columns of the texts it weighed in its last search while
    nothing they rest on (the rule, the events, the table, adoption) has changed: the draft, its steps along each
    dimension and the near miss come back from search to search, the compromises move with the mandates.

    Each column of `stakes` rests on its own text alone (one sort per text, sums within a column), so a column
    weighed in an earlier batch is the column this batch would give.
    """
    world = (rule, model.events_applied, model.engaged.tobytes(), model.adopted_round, model.signed.tobytes())
    keys = [text.tobytes() for text in texts]
    first: dict[bytes, int] = {}  # each distinct text and the first candidate it is
    for t, key in enumerate(keys):
        first.setdefault(key, t)
    kept = model.memo.get("search_stakes")
    column: dict[bytes, int] = dict(kept[2]) if kept is not None and kept[0] == world else {}
    fresh = [t for key, t in first.items() if key not in column]
    if not column:
        pool = stakes(model, texts[fresh], rule)
    elif not fresh:
        pool = kept[1]
    else:
        old, new = kept[1], stakes(model, texts[fresh], rule)
        pool = Stakes(np.concatenate((old.texts, new.texts)), new.weight, new.worth,
                      *(np.concatenate((a, b), axis=-1) for a, b in zip(
                          (old.loss, old.chance, old.members, old.value, old.alive, old.utility, old.unviable),
                          (new.loss, new.chance, new.members, new.value, new.alive, new.utility, new.unviable))))
    offset = len(pool.texts) - len(fresh)
    for n, t in enumerate(fresh):
        column[keys[t]] = offset + n
    pick = [column[key] for key in keys]
    if pick == list(range(len(pool.texts))):
        result = pool
    else:
        result = Stakes(texts, pool.weight, pool.worth, *(a[..., pick] for a in (
            pool.loss, pool.chance, pool.members, pool.value, pool.alive, pool.utility, pool.unviable)))
    model.memo["search_stakes"] = (world, result, first)
    return result


def declare(model: "NegotiationModel", st: Stakes, rule: str, threshold: float, position: np.ndarray) -> Evaluation:
    """The part of `evaluate` that depends on the mandates (`position`): declarations and the rule's verdict."""
    protocol, rules = model.scenario.protocol, model.scenario.rules
    mandate = maths.mandate_share(position, model.ideal, st.texts, model.salience, st.loss)
    declaration, cost = maths.declarations(st.utility, model.reservation_now, st.members, st.weight, model.engaged,
                                           protocol.objection_cost + endgame_pressure(model), protocol.isolation_cost,
                                           protocol.mandate_cost, mandate)
    # The gap counts only for the texts nobody supports with a positive weight (and never under plurilateral rules).
    supported = ((declaration == maths.SUPPORT) & (model.engaged & (st.weight > 0))[:, None]).any(axis=0)
    if rule == "plurilateral":
        supported[:] = True
    adoptable, shortfall = maths.passes(rule, declaration, st.members, st.weight, model.engaged, threshold,
                                        rules.min_states, st.unviable_where(model, ~supported))
    return Evaluation(st.texts, st.loss, st.chance, st.members, st.value, st.alive, st.utility, declaration, cost,
                      mandate, adoptable, shortfall)


def respond(model: "NegotiationModel") -> None:
    """Each state declares support, silence or objection on the draft and opts into tiers; after adoption, outsiders
    may sign (accede) the text as it stands.

    Declarations rest on the signing equilibrium each state anticipates, which does not depend on the order in which
    states speak; activation order matters in the concede phase.
    """
    if model.adopted_round is not None:
        # After adoption the text is fixed and signing rests on ideals alone, so the answer changes only when an
        # event or a change at the table (a walk-out, a join, a new signature) has happened since the last one, or
        # the text has just opened for signature.
        if response_stamp(model) == model.last_response:
            if model.scenario.rules.signature_rate < 1.0 and is_open(model):
                pending = model.would_sign & ~model.signed  # willing states whose signature has not come yet
                if pending.any():
                    model.signed |= signing_now(model, pending)
                    model.last_response = response_stamp(model)
            return
    ev = model.draft_evaluation if model.draft_evaluation is not None else evaluate(model, model.draft[None, :])
    model.draft_evaluation = None
    if ev is not model.evaluation:  # else the chair kept the text and its answers, taken from it last round, stand
        model.evaluation = ev
        model.declaration = ev.declaration[:, 0].copy()
        model.support = model.declaration == maths.SUPPORT
        model.would_sign = ev.members[:, 0] & model.engaged
        model.utility = ev.utility[:, 0].copy()
        model.objection_cost_now = ev.cost[:, 0].copy()
        model.mandate_now = ev.mandate[:, 0].copy()
    # Tier choices rest on ideals, the draft and the core's members alone: worked out again only when one changed.
    stamp = (model.draft.tobytes(), model.would_sign.tobytes(), model.events_applied, model.adopted_round,
             model.signed.tobytes())
    if stamp != model.last_tiers:
        model.tiers = tiers_for(model, model.would_sign)
        model.last_tiers = stamp
    if model.adopted_round is not None:
        if model.opening_signatories is None and is_open(model):
            open_for_signature(model)  # the opening, some months after adoption
        elif is_open(model):  # accession: a state that would join signs the text as it stands
            model.signed |= signing_now(model, model.would_sign & ~model.signed)
        model.last_response = response_stamp(model)


def response_stamp(model: "NegotiationModel") -> tuple:
    """What the states' answer after adoption rests on: the events applied, the table, the signatures and whether
    the text is open."""
    return model.events_applied, model.engaged.tobytes(), model.signed.tobytes(), is_open(model)


def is_open(model: "NegotiationModel") -> bool:
    """Whether the adopted text is open for signature (from `rules.signature_opens_months` after adoption)."""
    return model.opening_round is not None and model.round >= model.opening_round


def signing_now(model: "NegotiationModel", willing: np.ndarray) -> np.ndarray:
    """Of the `willing` states (N,), those whose signature comes this round: all of them at `rules.signature_rate`
    1, otherwise each with its own chance (one draw per state in row order, used or not), `signature_chance`."""
    rate = model.scenario.rules.signature_rate
    if rate >= 1.0:
        return willing.copy()
    return willing & (model.rng.random(model.n) < signature_chance(model))


def signature_chance(model: "NegotiationModel") -> np.ndarray | float:
    """Each state's chance of signing the open text this round if it would sign (N,), at `rules.signature_rate` p
    below 1: 1 - (1 - p)^((g_i / m)^k), with g_i = max(U_i - r_i, 0) its gain from the treaty over no treaty, m the
    mean gain of the states that would sign and k `rules.signature_keenness`. A state of average gain signs with
    chance p a round; the keener sign sooner, the lukewarm later and one that gains nothing never (commitment comes
    sooner the more a state gains from it: Simmons 2009, ch. 3; von Stein 2008). With k = 0 (the default), or when
    no state that would sign gains, every such state signs with chance p."""
    rules = model.scenario.rules
    rate, keenness = rules.signature_rate, rules.signature_keenness
    if keenness == 0:
        return rate
    gain = np.maximum(model.utility - model.reservation_now, 0.0)
    mean = float(gain[model.would_sign].mean()) if model.would_sign.any() else 0.0
    if mean <= 0:
        return rate
    return 1.0 - (1.0 - rate) ** ((gain / mean) ** keenness)


def open_for_signature(model: "NegotiationModel") -> None:
    """The opening: every state that would sign signs (at `rules.signature_rate` below 1, each with its chance,
    `signature_chance`: the others sign in later rounds), the tiers that reach their threshold come into being, and
    the ratification window starts."""
    model.signed = signing_now(model, model.would_sign)
    model.opening_signatories = int(model.signed.sum())
    model.tier_alive = (model.tiers & model.signed[:, None]).sum(axis=0) >= model.tier_threshold
    model.tiers &= model.signed[:, None] & model.tier_alive[None, :]
    model.window_closes = model.round + model.ratification_window


def tiers_for(model: "NegotiationModel", core_members: np.ndarray) -> np.ndarray:
    """Tier memberships among `core_members` for the current draft."""
    if not model.n_tiers or not core_members.any():
        return np.zeros((model.n, model.n_tiers), bool)
    treaty = model.scenario.treaty
    rule, _ = current_rule(model)
    ideal_core = maths.weighted_distance(model.ideal, model.draft, model.salience)
    ideal_tiers = maths.distance_matrix(model.ideal, model.tier_text, model.salience)
    costs = maths.implementation_costs(model.draft, model.tier_text, model.capability, treaty.implementation_cost,
                                       float(model.capability[model.engaged].max(initial=0.0)) or None)
    gain = ideal_core[:, None] - ideal_tiers - costs
    adopted = model.adopted_round is not None
    depth = maths.tier_depths(model.draft, model.tier_text)
    return maths.tier_memberships(gain, model.value_weights(rule), treaty.participation_benefit, depth, core_members,
                                  model.tier_alive if adopted else None,
                                  model.tiers & model.signed[:, None] if adopted else None)


def mandate_reach(model: "NegotiationModel") -> np.ndarray:
    """How far toward the draft each state's mandate could come within its red lines (N,), as a mandate share.

    It rests on the draft, the ideals and saliences (which only events change) and the red lines, so it is worked
    out again only when the draft or the events applied have changed (the draft stays put in most rounds).
    """
    stamp = (model.draft.tobytes(), model.events_applied)
    kept = model.memo.get("mandate_reach")
    if kept is not None and kept[0] == stamp:
        return kept[1]
    closest = np.clip(model.draft[None, :], model.low, model.high)  # the nearest mandate its red lines allow
    to_ideal = maths.weighted_distance(model.ideal, model.draft, model.salience)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.clip(1.0 - maths.weighted_distance(closest, model.draft, model.salience) / to_ideal, 0.0, 1.0)
    reach = np.where(to_ideal > 1e-12, reach, 1.0)
    model.memo["mandate_reach"] = (stamp, reach)
    return reach


def decide(model: "NegotiationModel") -> None:
    """The rule in force adopts the core (and the tiers that reach their entry threshold) or not; objectors are
    counted, and states deeply worse off under the draft may walk out."""
    ev = model.evaluation
    model.rule_now = current_rule(model)
    if bool(ev.adoptable[0]):
        model.adopted_round = model.round
        model.adopted_by = model.rule_now[0]
        months = model.scenario.rules.signature_opens_months
        model.opening_round = model.round + int(np.ceil(months / model.scenario.protocol.round_months - 1e-9))
        model.still_rounds = 0
        if model.opening_round == model.round:
            open_for_signature(model)
        else:  # nobody signs or ratifies before the opening; the window is counted from it
            model.window_closes = model.opening_round + model.ratification_window
        return
    protocol = model.scenario.protocol
    # a holdout would object even had its mandate come as close to the text as its red lines allow
    maths.tally_objections(model.declaration, model.engaged, model.utility, model.reservation_now,
                           model.objection_cost_now, model.mandate_now, mandate_reach(model), protocol.mandate_cost,
                           protocol.walkout_margin, model.objections, model.holdouts, model.objection_streak)
    if protocol.walkout_patience:
        leaving = model.objection_streak >= protocol.walkout_patience
        if leaving.any():
            for i in np.flatnonzero(leaving):
                model.departures.append({"state": model.ids[i], "round": model.round, "reason": "walked out",
                                         "shortfall": round(float(model.reservation_now[i] - model.utility[i]), 4)})
            model.engaged &= ~leaving
            model.table_changed()
