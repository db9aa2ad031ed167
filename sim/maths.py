"""The maths of the negotiation: pure functions over numpy arrays.

Shapes: N states, K dimensions, J tiers. Positions, ideals and texts live in [0, 1]^K. Salience rows are normalised
to sum to 1, so every weighted distance below lies in [0, 1]. Nothing here draws random numbers or keeps state:
the model passes in what it drew from its own seeded generator.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = [
    "normalise_salience",
    "weighted_distance",
    "distance_matrix",
    "compromise",
    "bound_text",
    "tier_texts",
    "tier_depths",
    "implementation_costs",
    "vote_weights",
    "ratification_hazard",
    "ratification_chance",
    "signing_equilibrium",
    "treaty_utility",
    "mandate_share",
    "declarations",
    "passes",
    "nash_objective",
    "reciprocity_factor",
    "concession_toward",
    "required_mandate_move",
    "tier_memberships",
    "concession_weights",
    "partner_weights",
    "Partners",
    "Concession",
    "coalition_centres",
    "defectors",
    "merge_pairs",
    "OBJECT",
    "SILENT",
    "SUPPORT",
]


def normalise_salience(salience: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1 (each row must have a positive sum)."""
    salience = np.asarray(salience, dtype=float)
    return salience / salience.sum(axis=-1, keepdims=True)


def moved_less(now: np.ndarray, then: np.ndarray, limit: float) -> bool:
    """Whether no entry of `now` differs from `then` by `limit` or more (the largest move, 0 for empty arrays)."""
    kernels = _kernels()
    if kernels is not None:
        return kernels.moved_less(now, then, float(limit))
    start = time.perf_counter()
    below = bool(np.abs(now - then).max(initial=0.0) < limit)
    _in_python(start)
    return below


def movement(position, before, engaged, draft, draft_before) -> float:
    """How far a round moved things: the largest change of an engaged state's mandate or of the draft (0 if none;
    a NaN in the mandates is kept, as numpy's max keeps it)."""
    kernels = _kernels()
    if kernels is not None:
        return kernels.movement(position, before, engaged, draft, draft_before)
    start = time.perf_counter()
    moved = float(max(np.abs(position - before)[engaged].max(initial=0.0),
                      np.abs(draft - draft_before).max(initial=0.0)))
    _in_python(start)
    return moved


def tally_objections(declaration, engaged, utility, reservation, cost, mandate, reach, mandate_cost: float,
                     walkout_margin: float, objections, holdouts, streak) -> np.ndarray:
    """The record of a decision that adopted nothing, kept in place, and who objected (N,) bool.

    Each engaged state that objected adds one to `objections`, and one to `holdouts` if it would have objected even
    with its mandate as close to the text as its red lines allow (`reach`, a mandate share, in place of `mandate`
    in its cost of objecting `cost`); `streak` counts the rounds in a row in which it objected while worse off under
    the draft than with no treaty by more than `walkout_margin`, and is 0 for every other state."""
    kernels = _kernels()
    if kernels is not None:
        return kernels.tally_objections(declaration, engaged, utility, reservation, cost, mandate, reach,
                                        float(mandate_cost), float(walkout_margin), objections, holdouts, streak)
    start = time.perf_counter()
    objecting = engaged & (declaration == OBJECT)
    objections += objecting
    without_mandate = cost - mandate_cost * mandate
    holdouts += objecting & (utility < reservation - without_mandate - mandate_cost * reach)
    deeply = utility < reservation - walkout_margin
    streak[:] = np.where(objecting & deeply, streak + 1, 0)
    _in_python(start)
    return objecting


def weighted_distance(points: np.ndarray, text: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Salience-weighted Euclidean distance of each state's point (N,K) to a text (K,) or to texts (N,K): (N,)."""
    gap = np.asarray(text) - points
    return np.sqrt(np.einsum("nk,nk->n", salience, gap * gap))


def distance_matrix(points: np.ndarray, texts: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Distance of each state (N,K) to each of J texts (J,K), weighted by the state's salience: (N,J)."""
    if len(texts) == 0:
        return np.zeros((len(points), 0))
    kernels = _kernels() if points.shape[1] <= _MAX_DIMS else None
    if kernels is not None:
        return kernels.distance_matrix(points, texts, salience)
    start = time.perf_counter()
    gap = texts[None, :, :] - points[:, None, :]
    distance = np.sqrt(np.einsum("nk,njk->nj", salience, gap * gap))
    _in_python(start)
    return distance


def compromise(positions: np.ndarray, salience: np.ndarray, capability: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Capability-and-salience-weighted mean of the positions of the states in `mask`, dimension by dimension.

    This is the compromise model of the literature on EU decision-making (e.g. van den Bos 1991; Achen 2006):
    on dimension k the weight of state i is c_i * s_ik.
    """
    if not mask.any():
        return np.full(positions.shape[1], 0.5)
    kernels = _kernels()
    if kernels is not None:
        text, usual = kernels.compromise(positions, salience, capability, mask)
        if usual:
            return text
    start = time.perf_counter()
    text = _compromise(positions, salience, capability, mask)
    _in_python(start)
    return text


def _compromise(positions, salience, capability, mask):
    weights = salience[mask] * capability[mask, None]
    total = weights.sum(axis=0)
    points = positions[mask]
    if (total > 0).all():  # the usual case: no dimension that nobody in the mask weighs
        return (weights * points).sum(axis=0) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        text = (weights * points).sum(axis=0) / total
    return np.where(total > 0, text, points.mean(axis=0))


def bound_text(text: np.ndarray, floor: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """A text held within the floors and ceilings of its provisions."""
    # np.clip as two ufuncs throughout this module: the same numbers, without np.clip's cost per call
    return np.minimum(np.maximum(text, floor), ceiling)


def tier_texts(core: np.ndarray, floors: np.ndarray, ceilings: np.ndarray) -> np.ndarray:
    """The text of each tier (J,K): the core deepened to meet the tier's floors and ceilings."""
    if len(floors) == 0:
        return np.zeros((0, core.shape[0]))
    return np.clip(core[None, :], floors, ceilings)


def tier_depths(core: np.ndarray, tiers: np.ndarray) -> np.ndarray:
    """How far each tier deepens the core (J,): the sum over dimensions of the absolute gap."""
    if len(tiers) == 0:
        return np.zeros(0)
    return np.abs(tiers - core[None, :]).sum(axis=1)


def implementation_costs(core: np.ndarray, tiers: np.ndarray, capability: np.ndarray, unit_cost: float,
                         reference: float | None = None) -> np.ndarray:
    """Cost (N,J) to each state of implementing each tier's deeper provisions.

    Cost grows with the tier's depth beyond the core (sum of absolute gaps) and falls linearly with the state's
    capability relative to `reference` (default: the most capable state; the model passes the most capable state at
    the table): the most capable states bear none.
    """
    if len(tiers) == 0:
        return np.zeros((len(capability), 0))
    depth = tier_depths(core, tiers)
    relative = np.minimum(capability / (reference or capability.max()), 1.0)
    return unit_cost * (1.0 - relative)[:, None] * depth[None, :]


def vote_weights(rule: str, capability: np.ndarray, engaged: np.ndarray) -> np.ndarray:
    """How much each engaged state counts (N,), summing to 1: one state one vote under consensus and count majorities,
    capability under capability majorities and plurilateral rules. The same weights count votes, membership and the
    treaty's value everywhere, so that count rules count states and capability rules count capability."""
    if rule in ("consensus", "majority_count"):
        live = engaged.astype(float)
    else:
        live = capability * engaged
    total = live.sum()
    return live / total if total > 0 else live


def ratification_hazard(distance_to_ideal: np.ndarray, difficulty: np.ndarray, rate: float,
                        tolerance: float) -> np.ndarray:
    """Chance per round that a signatory's legislature ratifies: rate * (1 - q) * exp(-L^x / tolerance).

    Ratification answers to the ideal point (domestic constituencies), not to the mandate conceded at the table.
    """
    return rate * (1.0 - difficulty) * np.exp(-distance_to_ideal / tolerance)


def ratification_chance(hazard: np.ndarray, window: int) -> np.ndarray:
    """Chance that a signatory ratifies within a window of `window` rounds: 1 - (1 - h)^W. After the window closes a
    signatory that has not ratified never will, so the chance stays below 1 and falls with difficulty."""
    return 1.0 - (1.0 - np.minimum(np.maximum(hazard, 0.0), 1.0)) ** max(int(window), 0)


def signing_equilibrium(loss, reservation, weight, party_chance, benefit, spill, externality, min_parties,
                        eligible, locked=None):
    """Who signs each of T texts (N,T), the treaty's value B*v to a member (T,) and whether it is in being (T,).

    loss (N,T): each state's loss of each text, from its ideal. A member of membership M gets B * v(M) - L_i, with
    v(M) = sum of w_j * P_j over members (w: vote weights, P: each member's chance of ratifying, so that v counts
    expected parties). A non-member gets r_i + phi * B * v(M) - eps * L_i while the treaty is in being (phi: the
    public-good share of the treaty's value that reaches non-members; eps: the share of the text's loss its norms
    impose on non-members) and r_i otherwise. A membership is *viable* when it has at least `min_parties` members
    (with fewer signatories a treaty can never enter into force) and every member prefers it to no treaty
    (B v - L_i >= r_i).

    Member i gains by leaving a viable M whose rest stays viable iff h_i > (1 - phi) B v(M), with
    h_i = r_i + (1 - eps) L_i - phi B w_i P_i, so states consider leaving in order of h (the keenest free-riders
    first). The membership unravels from all eligible states until the next state to leave either gains nothing by
    leaving (internal stability: d'Aspremont et al. 1983; Carraro and Siniscalco 1993) or is pivotal: without it the
    rest would no longer be viable, so leaving would end the treaty (Barrett 1994's minimum viable coalition). Every
    such membership is a prefix of the states sorted by h, so the largest is found in one sort per text.
    `locked` states (signatories of an adopted text) are members whatever they gain, and the adopted treaty is in
    being whoever else joins.
    """
    n, t = loss.shape
    any_locked = locked is not None and bool(locked.any())
    chance = party_chance if np.ndim(party_chance) == 2 else np.repeat(np.asarray(party_chance)[:, None], t, 1)
    free_rows = eligible & ~locked if any_locked else eligible
    kernels = _kernels() if n else None
    if kernels is not None:
        return kernels.signing_equilibrium(loss, reservation, weight, chance, float(benefit), float(spill),
                                           float(externality), float(min_parties), free_rows,
                                           locked if any_locked else free_rows, any_locked)
    start = time.perf_counter()
    wp = weight[:, None] * chance
    all_free = bool(free_rows.all())
    h = reservation[:, None] + (1.0 - externality) * loss - (spill * benefit) * wp
    key = h if all_free else np.where(free_rows[:, None], h, np.inf)
    order = np.argsort(key, axis=0, kind="stable")
    # Gathers in sorted order through flat indices: far cheaper than indexing with (order, columns).
    flat = order * t + np.arange(t)
    slack = 1e-12
    # Locked signatories count toward the value and the number of members but, being bound, do not decide whether
    # the (already adopted) treaty is in being. With every state free, the masks below change nothing and are skipped.
    if all_free:
        cum_v = np.cumsum(wp.take(flat), axis=0)
        cum_p = np.arange(1, n + 1)[:, None]
        run_a = np.maximum.accumulate(loss.take(flat) + reservation[order], axis=0)  # a member needs B v >= L + r
        viable = (cum_p >= min_parties - 1e-9) & (run_a <= benefit * cum_v + slack)
    else:
        sorted_free = free_rows[order]
        if any_locked:
            base_v, base_p = wp[locked].sum(axis=0), np.full(t, float(locked.sum()))
            cum_v = base_v + np.cumsum(np.where(sorted_free, wp.take(flat), 0.0), axis=0)
            cum_p = base_p + np.cumsum(sorted_free, axis=0)
        else:
            cum_v = np.cumsum(np.where(sorted_free, wp.take(flat), 0.0), axis=0)
            cum_p = np.cumsum(sorted_free, axis=0)
        a_sorted = np.where(sorted_free, loss.take(flat) + reservation[order], -np.inf)
        run_a = np.maximum.accumulate(a_sorted, axis=0)
        viable = (cum_p >= min_parties - 1e-9) & (run_a <= benefit * cum_v + slack) & sorted_free
    settled = key.take(flat) <= (1.0 - spill) * benefit * cum_v + slack
    before = np.empty_like(viable)
    before[0] = any_locked
    before[1:] = viable[:-1]
    stable = viable & (settled | ~before)
    # k*: the largest stable prefix (0 when none is stable: then only the locked signatories remain)
    any_stable = stable.any(axis=0)
    ks = np.where(any_stable, n - np.argmax(stable[::-1], axis=0), 0)
    in_prefix = np.arange(n)[:, None] < ks
    members = np.zeros(n * t, bool)
    members[flat] = in_prefix if all_free else in_prefix & sorted_free
    members = members.reshape(n, t)
    if any_locked:
        members |= locked[:, None]
    top = cum_v[np.maximum(ks - 1, 0), np.arange(t)]
    value_v = np.where(any_stable, top, base_v) if any_locked else np.where(any_stable, top, 0.0)
    alive = any_stable | any_locked
    _in_python(start)
    return members, benefit * value_v, alive


def _smallest_membership(min_parties: float) -> int:
    """The row of the smallest membership that counts in a sorted list of states (its size less 1)."""
    return max(int(np.ceil(min_parties - 1e-9)) - 1, 0)


def never_viable(min_parties: float, n: int) -> bool:
    """Whether no membership of `n` eligible states can reach `min_parties` (viability_gap is then infinite for
    every text)."""
    return _smallest_membership(min_parties) >= n


def viability_gap(loss, reservation, weight, party_chance, benefit, min_parties, eligible) -> np.ndarray:
    """How far each text (T,) is from having any viable membership: min over memberships of at least `min_parties`
    states of (the largest L_i + r_i among them) - B v(membership), floored at 0; 0 when some membership is viable.

    The best membership of each size is the states with the lowest L + r, so one sort per text finds it.
    """
    n, t = loss.shape
    if never_viable(min_parties, n):
        return np.full(t, np.inf)
    start = _smallest_membership(min_parties)
    kernels = _kernels() if np.ndim(party_chance) == 2 else None
    if kernels is not None:
        return kernels.viability_gap(loss, reservation, weight, party_chance, float(benefit), start, eligible)
    begin = time.perf_counter()
    everyone = bool(eligible.all())
    a = loss + reservation[:, None]
    if not everyone:
        a = np.where(eligible[:, None], a, np.inf)
    order = np.argsort(a, axis=0, kind="stable")
    flat = order * t + np.arange(t)  # gathers in sorted order through flat indices (cheaper than (order, columns))
    a_sorted = a.take(flat)
    wp = (weight[:, None] * party_chance).take(flat)
    gap = a_sorted - benefit * np.cumsum(wp if everyone else np.where(np.isfinite(a_sorted), wp, 0.0), axis=0)
    _in_python(begin)
    return np.maximum(gap[start:].min(axis=0), 0.0)


def treaty_utility(loss, reservation, members, value, alive, spill, externality):
    """Each state's utility (N,T) in the world where each text is adopted, given who would sign it."""
    r = reservation[:, None]
    outside = np.where(alive[None, :], r + spill * value[None, :] - externality * loss, r)
    return np.where(members, value[None, :] - loss, outside)


def mandate_share(position: np.ndarray, ideal: np.ndarray, texts: np.ndarray, salience: np.ndarray,
                  to_ideal: np.ndarray | None = None) -> np.ndarray:
    """How far each state's mandate has come toward each text (N,T), in [0, 1]: 1 - L(t, p_i) / L(t, x_i).

    0 while the mandate is at the ideal, 1 when the mandate is the text itself: blocking a text that one's own
    delegation has all but put forward costs credibility (an audience cost, Fearon 1994).
    """
    if to_ideal is None:  # the loss of each text, when the caller has not computed it already
        to_ideal = distance_matrix(ideal, texts, salience)
    kernels = _kernels() if position.shape[1] <= _MAX_DIMS and len(texts) else None
    if kernels is not None:
        return kernels.mandate_share(position, texts, salience, to_ideal)
    to_mandate = distance_matrix(position, texts, salience)
    start = time.perf_counter()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(to_ideal > 1e-12, 1.0 - to_mandate / to_ideal, 1.0)
    np.minimum(np.maximum(share, 0.0, out=share), 1.0, out=share)
    _in_python(start)
    return share


OBJECT, SILENT, SUPPORT = -1, 0, 1


def declarations(utility, reservation, members, weight, engaged, base_cost, isolation_cost, mandate_cost, mandate):
    """What each engaged state declares on each text (N,T): SUPPORT, SILENT or OBJECT, and its cost of objecting.

    A state objects when the treaty's existence, with the members it would have, leaves it worse off than no
    treaty by more than the cost of objecting: U_i < r_i - k_i, with
        k_i = base + isolation * (share of the others not objecting) + mandate_cost * g_i
    (g_i: how far its mandate has come toward the text, `mandate_share`). Standing alone is costly (Johnston 2008 on
    social pressure in international institutions), so k_i depends on the others' choices; the objecting set is
    found by iteration from nobody objecting, which only grows and so ends within N steps. A state supports when it
    would sign or is better off with the treaty than without; otherwise it stays silent (it lets the text pass and
    may dissociate from it).
    """
    kernels = _kernels()
    if kernels is not None:
        return kernels.declarations(utility, reservation, members, weight, engaged, float(base_cost),
                                    float(isolation_cost), float(mandate_cost), mandate)
    start = time.perf_counter()
    r = reservation[:, None]
    live = engaged[:, None]
    everyone = bool(engaged.all())
    fixed = base_cost + mandate_cost * mandate
    objecting = np.zeros(utility.shape, bool)
    w = weight[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        others = np.where(w < 1.0, 1.0 / (1.0 - w), 0.0)  # rescales a weight of the others to their share
    for _ in range(utility.shape[0] + 1):
        quiet = np.where(objecting, 0.0, w)  # w * ~objecting, weights being >= 0
        not_objecting = (quiet.sum(axis=0, keepdims=True) - quiet) * others
        # np.clip to [0, 1], as two ufuncs (as `bound_text`)
        np.minimum(np.maximum(not_objecting, 0.0, out=not_objecting), 1.0, out=not_objecting)
        cost = fixed + isolation_cost * not_objecting
        now = utility < r - cost
        if not everyone:
            now &= live
        if (now == objecting).all():
            break
        objecting = now
    decl = np.where(objecting, OBJECT, np.where(live & (members | (utility > r + 1e-12)), SUPPORT, SILENT))
    _in_python(start)
    return decl.astype(np.int8), cost


def passes(rule: str, decl: np.ndarray, members: np.ndarray, weight: np.ndarray, engaged: np.ndarray,
           threshold: float, min_states: int, unviable: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Whether the rule adopts each text (T,), and how far each falls short (T,) (0 for texts that pass).

    The shortfall is the vote weight missing (objectors under consensus, yes votes under a vote, members under a
    plurilateral rule); a text that nobody supports also counts `unviable` (T,): how far the states are, on
    average, from finding a universal treaty on it worth more than no treaty, which guides the chair toward texts
    that could carry a treaty at all.

    consensus: no engaged state objects (and someone supports). majority_count / majority_capability: the supporters'
    share of those present and voting (support or objection; silence is an abstention) reaches the threshold.
    plurilateral: at least `min_states` states would sign, holding at least the threshold's share of capability.
    """
    code = _RULE_CODES.get(rule)
    kernels = _kernels() if code is not None and decl.size else None
    if kernels is not None:
        gap = np.broadcast_to(np.asarray(unviable, float), decl.shape[1:]).copy()
        return kernels.passes(code, decl, members, weight, engaged, float(threshold), int(min_states), gap)
    start = time.perf_counter()
    ok, shortfall = _passes(rule, decl, members, weight, engaged, threshold, min_states, unviable)
    _in_python(start)
    return ok, shortfall


_RULE_CODES = {"consensus": 0, "majority_count": 1, "majority_capability": 1, "plurilateral": 2}  # sim.kernels.passes


def _passes(rule, decl, members, weight, engaged, threshold, min_states, unviable):
    """maths.passes in numpy."""
    slack = 1e-6  # so that a threshold written 0.666667 means two thirds
    live = engaged[:, None]
    yes = (decl == SUPPORT) & live
    w = weight[:, None]
    if rule == "consensus":
        objecting = ((decl == OBJECT) & live)
        short = (w * objecting).sum(axis=0)
        ok = ~objecting.any(axis=0) & yes.any(axis=0)
        return ok, np.where(ok, 0.0, short + (~yes.any(axis=0)) * (1.0 + unviable))
    if rule in ("majority_count", "majority_capability"):
        no = (decl == OBJECT) & live
        y, nn = (w * yes).sum(axis=0), (w * no).sum(axis=0)
        voting = y + nn
        share = np.divide(y, voting, out=np.zeros_like(y), where=voting > 0)
        ok = (share >= threshold - slack) & (y > 0)
        return ok, np.where(ok, 0.0, np.maximum(threshold * voting - y, 1e-9) + (y <= 0) * (1.0 + unviable))
    if rule == "plurilateral":
        signers = members & live
        share = (w * signers).sum(axis=0)
        count = signers.sum(axis=0)
        ok = (count >= min_states) & (share >= threshold - slack)
        return ok, np.where(ok, 0.0, np.maximum(threshold - share, 0.0) + np.maximum(min_states - count, 0) * 1e-3)
    raise ValueError(f"unknown decision rule {rule!r}")


def nash_objective(utility: np.ndarray, reservation: np.ndarray, weight: np.ndarray, engaged: np.ndarray,
                   floor: float = 1e-3) -> np.ndarray:
    """The weighted Nash bargaining product of the engaged states' gains over no treaty, as a sum of logs (T,).

    Gains below `floor` count as `floor`, so a text that leaves someone worse off than no treaty scores very low
    without ranking all such texts alike (Nash 1950; the asymmetric form weights each state by its vote weight).
    """
    gain = np.maximum(utility - reservation[:, None], floor)
    return (weight[:, None] * engaged[:, None] * np.log(gain)).sum(axis=0)


def reciprocity_factor(received: np.ndarray, given: np.ndarray, strength: float) -> np.ndarray:
    """Conditional cooperation (N,): (1 - strength) + strength * min(1, received / given).

    A state keeps conceding in full only while the others concede toward it at least as much as it conceded toward
    them; with strength 1 it matches their concessions (tit for tat: Axelrod 1984; conditional cooperation: Fischbacher,
    Gaechter and Fehr 2001). A state that has given nothing yet (first round, or no room) is not held back.
    """
    kernels = _kernels()
    if kernels is not None:
        return kernels.reciprocity_factor(received, given, float(strength))
    start = time.perf_counter()
    ratio = np.divide(received, given, out=np.ones_like(given), where=given > 1e-9)
    factor = (1.0 - strength) + strength * np.minimum(1.0, ratio, out=ratio)
    _in_python(start)
    return factor


def concession_toward(before: np.ndarray, after: np.ndarray, salience: np.ndarray, capability: np.ndarray,
                      engaged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far the others conceded toward each state and how far it conceded toward them, in one round (N,), (N,).

    Measured against the capability-weighted centre of the other engaged states' positions: `received` is how much
    closer that centre came to the state's own position, `given` how much closer the state came to the centre (both
    salience-weighted distances from the state's point of view).
    """
    kernels = _kernels() if before.shape[1] <= _MAX_DIMS else None
    if kernels is not None:
        return kernels.concession_toward(before, after, salience, capability, engaged)
    start = time.perf_counter()
    w = capability * engaged
    total = w.sum()
    if total <= 0:
        zero = np.zeros(len(w))
        _in_python(start)
        return zero, zero
    rest = np.maximum(total - w, 1e-300)[:, None]
    weighted_before, weighted_after = w[:, None] * before, w[:, None] * after
    centre_before = (weighted_before.sum(axis=0)[None, :] - weighted_before) / rest
    centre_after = (weighted_after.sum(axis=0)[None, :] - weighted_after) / rest
    apart = weighted_distance(before, centre_before, salience)
    received = apart - weighted_distance(before, centre_after, salience)
    given = apart - weighted_distance(after, centre_before, salience)
    np.maximum(received, 0.0, out=received), np.maximum(given, 0.0, out=given)
    _in_python(start)
    return received, given


def simultaneous_round(ideal, draft, weights, flexibility, partners: "Partners", movers, rate, anchor, noise, low,
                       high, willingness, positions, salience, capability, engaged, received, given, strength):
    """One round of simultaneous concession: every mover moves on the same snapshot (`Concession.simultaneous`),
    how far the states conceded toward each other (`concession_toward`) is added to `received` and `given` in
    place, and the reciprocity factor follows (`reciprocity_factor`). Returns the new positions and the factor.
    Compiled, it is one call to the kernels these stand for."""
    kernels = _kernels() if positions.shape[1] <= _MAX_DIMS else None
    if kernels is not None:
        return kernels.simultaneous_round(ideal, draft, weights, flexibility, willingness, partners.reach,
                                          float(rate), float(anchor), noise, movers, low, high, partners.indptr,
                                          partners.indices, partners.data, positions, salience, capability,
                                          engaged, received, given, float(strength))
    rule = Concession(ideal, draft, weights, flexibility, partners, movers, rate, anchor, noise, low, high,
                      willingness)
    moved = rule.simultaneous(positions)
    return moved, record_concessions(positions, moved, salience, capability, engaged, received, given, strength)


def record_concessions(before, after, salience, capability, engaged, received, given, strength) -> np.ndarray:
    """Add how far the states conceded toward each other in a round (`concession_toward`) to the record of the
    talks, `received` and `given`, in place, and return the reciprocity factor that follows."""
    toward, gave = concession_toward(before, after, salience, capability, engaged)
    received += toward
    given += gave
    return reciprocity_factor(received, given, strength)


def required_mandate_move(position, ideal, text, salience, low, high, need, mandate_cost, steps: int = 200):
    """Smallest fraction lam of the way from its mandate toward a text that stops each state objecting (N,), inf if
    no move within its red lines suffices.

    The mandate moves as concession moves it, p' = clip(p + lam (t - p), red lines), and the state stops objecting
    once mandate_cost * g(p') >= need, g the mandate share (`mandate_share`) and need = r - U - (the rest of its cost
    of objecting). The clip makes g piecewise in lam, so lam is found on a grid of `steps` steps (vectorised).
    """
    lam = np.linspace(0.0, 1.0, steps + 1)
    moved = np.clip(position[:, None, :] + lam[None, :, None] * (text[None, None, :] - position[:, None, :]),
                    low[:, None, :], high[:, None, :])
    gap = text[None, None, :] - moved
    to_mandate = np.sqrt(np.einsum("nk,nsk->ns", salience, gap * gap))
    to_ideal = weighted_distance(ideal, text, salience)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip(np.where(to_ideal > 1e-12, 1.0 - to_mandate / to_ideal, 1.0), 0.0, 1.0)
    enough = mandate_cost * share >= need[:, None] - 1e-12
    first = np.argmax(enough, axis=1)
    return np.where(enough.any(axis=1), lam[first], np.inf)


def tier_memberships(tier_gain: np.ndarray, weight: np.ndarray, benefit: float, tier_depth: np.ndarray,
                     core_members: np.ndarray, open_tiers: np.ndarray | None = None,
                     locked_tiers: np.ndarray | None = None) -> np.ndarray:
    """Who opts into each tier (N,J), among the core's members.

    A tier is a club good among its members: state i is in tier j when G_ij + B * depth_j * m_ij >= 0, with
    G_ij = L^x_i(core) - L^x_i(tier_j) - implementation cost, depth_j how far tier j deepens the core and m_ij the vote
    weight of the tier's members if i joins; the largest self-enforcing membership is found as for the core (one
    sort). A tier the core already meets (depth 0) asks nothing more, so every core member meets it. After adoption
    only the tiers that came into being (`open_tiers`) can be joined, and their members (`locked_tiers`) stay.
    """
    n, n_tiers = tier_gain.shape
    tiers = np.zeros((n, n_tiers), bool)
    if not core_members.any():
        return tiers
    for j in range(n_tiers):
        if open_tiers is not None and not open_tiers[j]:
            continue
        if tier_depth[j] <= 1e-12:
            tiers[:, j] = core_members
            continue
        locked = np.zeros(n, bool) if locked_tiers is None else locked_tiers[:, j] & core_members
        tiers[:, j] = _club_prefix(-tier_gain[:, j], weight, benefit * float(tier_depth[j]),
                                   core_members & ~locked, locked)
    return tiers


def _club_prefix(hurdle, weight, benefit, free, locked) -> np.ndarray:
    """The largest self-enforcing membership of a club good: member i stays iff hurdle_i <= benefit * v(members).

    Every stable membership is then a prefix of the free states sorted by hurdle (plus the locked members); the
    longest stable prefix is the one that iterated departures from the full set end at.
    """
    members = locked.copy()
    candidates = np.flatnonzero(free)
    if len(candidates):
        hurdles = hurdle[candidates]
        order = np.argsort(hurdles, kind="stable")
        mass = np.cumsum(weight[candidates[order]]) + weight[locked].sum()
        stable = np.flatnonzero(hurdles[order] <= benefit * mass + 1e-12)
        if len(stable):
            members[candidates[order[: stable[-1] + 1]]] = True
    return members


def concession_weights(salience: np.ndarray) -> np.ndarray:
    """How readily each state gives ground on each dimension (N,K): half as readily on its most salient one."""
    return 1.0 - 0.5 * salience / salience.max(axis=1, keepdims=True)


def partner_weights(trust: np.ndarray, capability: np.ndarray, engaged: np.ndarray) -> np.ndarray:
    """Row i gives the pull of each partner j on i (N,N): trust_ij * c_j / (capability of i's trusted partners).

    Each row sums to the capability-weighted mean trust of i toward the engaged states it trusts (at most 1), so a
    state pulled by partners it trusts fully moves as far toward their capability-weighted centre as toward the draft.
    """
    live = capability * engaged
    trusted = (trust > 0) * live[None, :]
    np.fill_diagonal(trusted, 0.0)
    norm = trusted.sum(axis=1, keepdims=True)
    weights = trust * live[None, :]
    np.fill_diagonal(weights, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(norm > 0, weights / norm, 0.0)
    return weights * engaged[:, None]


class Partners:
    """Partner weights A (see `partner_weights`), dense and in CSR form, and their products with the positions.

    The products are summed by scipy's sparse kernel (simultaneous activation) and by the one-by-one moves of random
    activation (`Concession.move_in_order`), all row by row, partner after partner in CSR order from +0.0, never by
    the BLAS: the BLAS picks its kernel by CPU at run time, which can change the last digits of a sum, and one seed
    must give the same numbers on any machine. Partners are few (coalition members and relations), so the sparse
    sums are also fast.
    """

    def __init__(self, weights: np.ndarray):
        n = weights.shape[0]
        self.weights = weights
        self.reach = weights.sum(axis=1)
        # The partners and weights in the order scipy's CSR form keeps them (row by row, columns ascending), read off
        # the dense matrix: building the sparse matrix itself costs more than a short run's concessions, so it is
        # built only when a simultaneous round needs it (`pulled`).
        rows, indices = np.nonzero(weights)
        data = weights[rows, indices]
        pointers = np.zeros(n + 1, dtype=np.intp)
        np.cumsum(np.bincount(rows, minlength=n), out=pointers[1:])
        self.indptr, self.indices, self.data = pointers, indices.astype(np.intp, copy=False), data
        self._matrix = None

    @property
    def matrix(self):
        """A as a scipy CSR array."""
        if self._matrix is None:
            from scipy import sparse

            self._matrix = sparse.csr_array(self.weights)
        return self._matrix

    def pulled(self, positions: np.ndarray) -> np.ndarray:
        """A @ P: the partner-weighted positions every state is pulled toward (N,K)."""
        return np.asarray(self.matrix @ positions)


class Concession:
    """The concession rule of one round, for every state at once or one state at a time.

        p_i += step_i * [ f_i * m_i * w_i * ((draft - p_i) + sum_j A_ij (p_j - p_i)) + (1 - f_i) * anchor * (x_i - p_i) ]

    then held within the state's red lines. m_i (`willingness`) is the product of the state's reciprocity factor and its
    legislature's chance of ratifying the draft (two-level games: a negotiator does not concede toward a text its
    legislature would not ratify). w_i is the per-dimension concession weight, A the partner weights,
    x_i the ideal point and step_i = min(rate * noise_i, 0.5): the pulls can add up to twice the gap, and capping
    the step keeps a state from overshooting. The last term is the domestic pull back toward the ideal point: it makes
    an inflexible state settle short of the draft instead of drifting all the way to it.

    The rule is linear in the positions, so it is rearranged once per round into
        p_i <- keep_i * p_i + pull_i * (A_i . P) + base_i,
    which `simultaneous` applies to all rows of a snapshot and `move_in_order` to one row after another in place,
    each reading the positions the others hold at that moment (random sequential activation; compiled in
    sim.kernels, where the order of every product and sum is written down).
    """

    def __init__(self, ideal, draft, weights, flexibility, partners: Partners, movers, rate, anchor, noise, low,
                 high, willingness=None):
        self.partners, self.movers, self.low, self.high = partners, movers, low, high
        kernels = _kernels()
        if kernels is not None:
            if willingness is None:
                willingness = np.ones(len(flexibility))  # flexibility * 1.0 is flexibility, to the last digit
            self.keep, self.pull, self.base = kernels.coefficients(ideal, draft, weights, flexibility, willingness,
                                                                   partners.reach, float(rate), float(anchor), noise)
            return
        start = time.perf_counter()
        step = np.minimum(rate * noise, 0.5)[:, None]
        # willingness (N,): reciprocity and the chance of ratifying the draft scale how far a state yields
        scale = flexibility if willingness is None else flexibility * willingness
        yielding = scale[:, None] * weights
        home = (1.0 - flexibility)[:, None] * anchor
        reach = partners.reach[:, None]
        self.keep = 1.0 - step * (yielding * (1.0 + reach) + home)
        self.pull = step * yielding
        self.base = step * (yielding * draft[None, :] + home * ideal)
        _in_python(start)

    def simultaneous(self, positions: np.ndarray) -> np.ndarray:
        """New positions when every state concedes on the same snapshot."""
        kernels = _kernels()
        if kernels is not None:
            return kernels.simultaneous_moves(self.movers, self.keep, self.pull, self.base, self.low, self.high,
                                              self.partners.indptr, self.partners.indices, self.partners.data,
                                              positions)
        start = time.perf_counter()
        moved = self.keep * positions + self.pull * self.partners.pulled(positions) + self.base
        np.minimum(np.maximum(moved, self.low, out=moved), self.high, out=moved)
        moved = np.where(self.movers[:, None], moved, positions)
        _in_python(start)
        return moved

    def move_in_order(self, order: list[int], positions: np.ndarray) -> None:
        """The states of `order` concede one after another, in that order, each reading where the others stand at
        that moment (random sequential activation), in place. States that are not movers stay.

        Short jobs move the states in Python; once the code sim.kernels stands for has taken a process
        `COMPILE_AFTER_S` seconds it switches to the compiled loop, whose loading (numba: about a second) then pays
        for itself. Both do the same arithmetic in the same order, so which one ran never changes a number."""
        kernels = _kernels()
        if kernels is None:
            start = time.perf_counter()
            self._move_in_python(order, positions)
            _in_python(start)
            return
        kernels.moves_in_order(np.asarray(order, dtype=np.intp), self.movers, self.keep, self.pull, self.base,
                               self.low, self.high, self.partners.indptr, self.partners.indices, self.partners.data,
                               positions)

    def _move_in_python(self, order: list[int], positions: np.ndarray) -> None:
        """`move_in_order` in Python floats, which round each product and sum as the compiled loop does.

        The partner pull is numpy's add.reduce from +0.0 down the first axis of a (partners, K) array, which adds the
        partners' products one after another in CSR order (with K = 1 numpy would sum that axis pairwise, so the
        products are added one after another in Python). Bounds as np.maximum, then np.minimum."""
        keeps, pulls, bases, lows, highs = (a.tolist() for a in (self.keep, self.pull, self.base, self.low,
                                                                 self.high))
        movers = self.movers.tolist()
        indptr, indices, data = self.partners.indptr.tolist(), self.partners.indices, self.partners.data
        n_dims = self.keep.shape[1]
        for i in order:
            if not movers[i]:
                continue
            start, stop = indptr[i], indptr[i + 1]
            if start == stop:
                pulled = [0.0] * n_dims
            elif n_dims > 1:
                columns, weights = indices[start:stop], data[start:stop, None]
                pulled = np.add.reduce(weights * positions.take(columns, axis=0), axis=0, initial=0.0).tolist()
            else:
                total = 0.0
                for product in (data[start:stop] * positions[indices[start:stop], 0]).tolist():
                    total += product
                pulled = [total]
            new = []
            for keep, p, pull, s, base, low, high in zip(keeps[i], positions[i].tolist(), pulls[i], pulled,
                                                         bases[i], lows[i], highs[i]):
                v = keep * p + pull * s + base
                if v < low:
                    v = low
                if v > high:
                    v = high
                new.append(v)
            positions[i] = new


# The concession phase (the rule's coefficients, the moves in both activations, the concessions toward each other and
# reciprocity), the chair's compromises and the heart of a batch evaluation (distances of texts, mandate shares,
# declarations) run in numpy and Python until they have taken the process COMPILE_AFTER_S seconds (a single run of a
# 193-state scenario takes a tenth of that), then in the compiled kernels of sim.kernels, whose loading (numba: about
# a second) then pays for itself.
# Both do the same arithmetic in the same order, so which one ran never changes a number. The switch is on time, not
# on a count of calls, because a call's cost in Python grows with the states and their partners and the kernels'
# loading costs the same whatever the scenario.
COMPILE_AFTER_S = 2.0
_python_seconds = 0.0
_forced: bool | None = None  # set by compiled_moves
_MAX_DIMS = 7  # sim.kernels.MAX_DIMS, without importing numba: with more dimensions, sums over them stay in numpy


def _in_python(start: float) -> None:
    """Count the time since `start` (time.perf_counter) as spent in Python code that sim.kernels stands for."""
    global _python_seconds
    _python_seconds += time.perf_counter() - start


def _kernels():
    """sim.kernels once the process has spent COMPILE_AFTER_S seconds in the Python code the kernels stand for (or
    when compiled_moves forces it), and if it could be loaded; else None."""
    compiled = _forced if _forced is not None else _python_seconds >= COMPILE_AFTER_S
    return _compiled_kernels() if compiled else None


_loaded: list = []  # the kernels once loaded, or None if they could not be


def _compiled_kernels():
    """sim.kernels, loaded and tried on first use; None, with one warning, where numba cannot load or compile it
    (the code they stand for then runs in numpy and Python: slower, the same numbers)."""
    if not _loaded:
        try:
            from . import kernels  # loads the compiler only when a process has spent a while in that code

            one, flag, point = np.zeros((1, 1)), np.zeros(1, bool), np.zeros(1)
            csr = (np.zeros(2, np.intp), np.zeros(0, np.intp), np.zeros(0))
            kernels.moves_in_order(np.zeros(1, np.intp), flag, one, one, one, one, one, *csr, one.copy())
            kernels.simultaneous_moves(flag, one, one, one, one, one, *csr, one)
            kernels.coefficients(one, point, one, point, point, point, 0.1, 0.1, point)
            kernels.concession_toward(one, one, one, point, flag)
            kernels.reciprocity_factor(point, point, 0.5)
            kernels.mandate_share(one, one, one, kernels.distance_matrix(one, one, one))
            kernels.declarations(one, point, np.zeros((1, 1), bool), point, flag, 0.1, 0.1, 0.1, one)
            kernels.compromise(one, one, point, np.ones(1, bool))
            kernels.signing_equilibrium(one, point, point, one, 0.5, 0.1, 0.1, 1.0, flag, flag, False)
            kernels.viability_gap(one, point, point, one, 0.5, 0, flag)
            kernels.passes(0, np.zeros((1, 1), np.int8), np.zeros((1, 1), bool), point, flag, 0.5, 1, point)
            kernels.moved_less(one, one, 0.1)
            kernels.movement(one, one, flag, point, point)
            counts = [np.zeros(1, np.int64) for _ in range(3)]
            kernels.tally_objections(np.zeros(1, np.int8), flag, point, point, point, point, point, 0.1, 0.1, *counts)
            kernels.simultaneous_round(one, point, one, point, point, point, 0.1, 0.1, point, flag, one, one, *csr,
                                       one, one, point, flag, point.copy(), point.copy(), 0.5)
            labels = np.zeros(1, np.intp)
            kernels.defectors(one, one, labels, kernels.coalition_centres(one, point, labels, 1, flag)[0], flag,
                              flag, 0.1)
            assert kernels.MAX_DIMS == _MAX_DIMS
            _loaded.append(kernels)
        except Exception as exc:  # noqa: BLE001 - whatever fails, the Python code gives the same numbers
            import warnings

            warnings.warn(f"the model's compiled kernels could not be loaded ({type(exc).__name__}: "
                          f"{exc}); the model runs on in numpy and Python, with the same results, more slowly",
                          RuntimeWarning, stacklevel=3)
            _loaded.append(None)
    return _loaded[0]


def compiled_moves(on: bool | None) -> None:
    """Run the code sim.kernels stands for compiled (True) or in numpy and Python (False) from now on, or switch by
    time as usual (None): for tests and benchmarks; results are the same either way."""
    global _forced
    _forced = on


def coalition_centres(
    positions: np.ndarray, capability: np.ndarray, labels: np.ndarray, n_coalitions: int, engaged: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Capability-weighted centre of each coalition's engaged members (M,K), and which coalitions have members."""
    kernels = _kernels()
    if kernels is not None:
        return kernels.coalition_centres(positions, capability, labels, int(n_coalitions), engaged)
    start = time.perf_counter()
    k = positions.shape[1]
    centres = np.zeros((n_coalitions, k))
    mass = np.zeros(n_coalitions)
    members = (labels >= 0) & engaged
    if members.any():
        which, weight = labels[members], capability[members]
        mass = np.bincount(which, weights=weight, minlength=n_coalitions).astype(float)
        for k in range(positions.shape[1]):
            centres[:, k] = np.bincount(which, weights=positions[members, k] * weight, minlength=n_coalitions)
    alive = mass > 0
    centres[alive] /= mass[alive, None]
    _in_python(start)
    return centres, alive


def defectors(
    positions: np.ndarray,
    salience: np.ndarray,
    labels: np.ndarray,
    centres: np.ndarray,
    engaged: np.ndarray,
    leaders: np.ndarray,
    limit: float,
) -> np.ndarray:
    """Members (not leaders) whose salience-weighted distance from their coalition's centre exceeds the limit."""
    kernels = _kernels() if positions.shape[1] <= _MAX_DIMS else None
    if kernels is not None:
        return kernels.defectors(positions, salience, labels, centres, engaged, leaders, float(limit))
    start = time.perf_counter()
    members = (labels >= 0) & engaged & ~leaders
    out = np.zeros(len(labels), bool)
    if members.any():
        idx = np.flatnonzero(members)
        gap = weighted_distance(positions[idx], centres[labels[idx]], salience[idx])
        out[idx] = gap > limit
    _in_python(start)
    return out


def merge_pairs(centres: np.ndarray, alive: np.ndarray, limit: float) -> list[tuple[int, int]]:
    """Pairs of coalitions to merge, closest first, each coalition in at most one pair.

    Distance between centres is the root-mean-square gap over dimensions (so it lies in [0, 1]); ties are broken by
    the coalitions' order in the scenario.
    """
    idx = np.flatnonzero(alive)
    if limit <= 0 or len(idx) < 2:
        return []
    gap = centres[idx, None, :] - centres[None, idx, :]
    dist = np.sqrt((gap * gap).mean(axis=2))
    candidates = [
        (float(dist[a, b]), int(idx[a]), int(idx[b]))
        for a in range(len(idx)) for b in range(a + 1, len(idx)) if dist[a, b] < limit
    ]
    pairs, used = [], set()
    for _, a, b in sorted(candidates):
        if a not in used and b not in used:
            pairs.append((a, b))
            used.update((a, b))
    return pairs


