"""The maths of the negotiation: pure functions over numpy arrays.

Shapes: N states, K dimensions, J tiers. Positions, ideals and texts live in [0, 1]^K. Salience rows are normalised
to sum to 1, so every weighted distance below lies in [0, 1]. Nothing here draws random numbers or keeps state:
the model passes in what it drew from its own seeded generator.
"""

from __future__ import annotations

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
    "participation_shares",
    "stable_membership",
    "respond",
    "concession_weights",
    "partner_weights",
    "Partners",
    "Concession",
    "coalition_centres",
    "defectors",
    "merge_pairs",
    "is_adopted",
    "winning_set",
    "prospective_share",
    "ratification_probability",
    "required_concession",
    "explain_deadlock",
]


def normalise_salience(salience: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1 (each row must have a positive sum)."""
    salience = np.asarray(salience, dtype=float)
    return salience / salience.sum(axis=-1, keepdims=True)


def weighted_distance(points: np.ndarray, text: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Salience-weighted Euclidean distance of each state's point (N,K) to a text (K,) or to texts (N,K): (N,)."""
    gap = np.asarray(text) - points
    return np.sqrt(np.einsum("nk,nk->n", salience, gap * gap))


def distance_matrix(points: np.ndarray, texts: np.ndarray, salience: np.ndarray) -> np.ndarray:
    """Distance of each state (N,K) to each of J texts (J,K), weighted by the state's salience: (N,J)."""
    if len(texts) == 0:
        return np.zeros((len(points), 0))
    gap = texts[None, :, :] - points[:, None, :]
    return np.sqrt(np.einsum("nk,njk->nj", salience, gap * gap))


def compromise(positions: np.ndarray, salience: np.ndarray, capability: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Capability-and-salience-weighted mean of the positions of the states in `mask`, dimension by dimension.

    This is the compromise model of the literature on EU decision-making (e.g. van den Bos 1991; Achen 2006):
    on dimension k the weight of state i is c_i * s_ik.
    """
    weights = salience[mask] * capability[mask, None]
    total = weights.sum(axis=0)
    points = positions[mask]
    if not mask.any():
        return np.full(positions.shape[1], 0.5)
    mean = points.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        text = (weights * points).sum(axis=0) / total
    return np.where(total > 0, text, mean)


def bound_text(text: np.ndarray, floor: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """A text held within the floors and ceilings of its provisions."""
    return np.clip(text, floor, ceiling)


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


def participation_shares(capability: np.ndarray, engaged: np.ndarray, members: np.ndarray) -> np.ndarray:
    """For each state, the capability share of the members if it joins too (others as in `members`): (N,) or (N,J)."""
    live = capability * engaged
    total = live.sum()
    if total <= 0:
        return np.zeros(members.shape)
    if members.ndim == 1:
        joined = (live * members).sum()
        return (joined - live * members + live) / total
    joined = (live[:, None] * members).sum(axis=0)
    return (joined[None, :] - live[:, None] * members + live[:, None]) / total


def stable_membership(
    loss: np.ndarray,
    capability: np.ndarray,
    engaged: np.ndarray,
    reservation: np.ndarray,
    benefit: float,
    eligible: np.ndarray | None = None,
    locked: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The largest self-enforcing membership of a text, and each state's utility of joining it.

    A state joins when benefit * m_i - loss_i > r_i, where m_i is the capability share of the members if it joins.
    Joining is strategic: a state's benefit depends on who else joins. States anticipate the largest membership in
    which every member prefers to stay (internal stability, as in the literature on treaty participation: Barrett
    1994, Carraro and Siniscalco 1993): start from every eligible engaged state and drop those who would rather stay
    out, until no one wants to leave. `locked` members (signatories of an adopted text) never leave.
    """
    live = capability * engaged
    total = float(live.sum())
    locked = np.zeros(len(loss), bool) if locked is None else locked & engaged
    if total <= 0:
        return locked.copy(), -loss
    free = engaged & ~locked if eligible is None else engaged & eligible & ~locked
    members = _longest_stable_prefix(loss + reservation, live, total, benefit, free, locked)
    joined = float(live[members].sum())
    share = (joined - live * members + live) / total
    return members, benefit * share - loss


def _longest_stable_prefix(hurdle, live, total, benefit, free, locked) -> np.ndarray:
    """Members of the largest stable membership: the locked states plus the longest stable prefix of the free ones.

    A member's share is J / total, J the members' capability, so member i stays iff hurdle_i = loss_i + r_i is below
    benefit * J / total. Every stable membership is therefore a prefix of the free states sorted by hurdle (plus the
    locked members), and dropping leavers from the full set ends at the longest prefix that is stable. Finding it
    directly gives the same set as iterating, in one sort.
    """
    members = locked.copy()
    candidates = np.flatnonzero(free)
    if len(candidates):
        hurdles = hurdle[candidates]
        order = np.argsort(hurdles, kind="stable")
        mass = np.cumsum(live[candidates[order]])
        if locked.any():
            mass += live[locked].sum()
        stable = np.flatnonzero(hurdles[order] * total < benefit * mass)
        if len(stable):
            members[candidates[order[: stable[-1] + 1]]] = True
    return members


def respond(
    loss_core: np.ndarray,
    tier_gain: np.ndarray,
    capability: np.ndarray,
    engaged: np.ndarray,
    reservation: np.ndarray,
    benefit: float,
    tier_depth: np.ndarray,
    locked_support: np.ndarray | None = None,
    open_tiers: np.ndarray | None = None,
    locked_tiers: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every state declares support for the core and opts in or out of each tier.

    Core: the largest self-enforcing membership (see `stable_membership`). Tier j: among the core's supporters, the
    largest self-enforcing membership with a state in when tier_gain_ij + benefit * depth_j * m_ij > 0, where
    tier_gain = loss_core - loss_tier - implementation cost and depth_j is how far tier j deepens the core: deeper
    cooperation is worth more, and a tier that barely deepens the core adds little. A tier the core already meets
    (depth 0) asks nothing more of its members, so every supporter of the core meets it. After adoption, signatures
    and tier memberships are locked and only the tiers that came into being (`open_tiers`) can be joined.

    Returns (support (N,), tiers (N,J), utility of joining the core (N,)).
    """
    n, n_tiers = tier_gain.shape
    support, utility = stable_membership(loss_core, capability, engaged, reservation, benefit, locked=locked_support)
    tiers = np.zeros((n, n_tiers), bool)
    if not support.any():
        return support, tiers, utility  # no core members, so no one can be in a tier
    live = capability * engaged
    total = float(live.sum())
    no_lock = np.zeros(n, bool)
    for j in range(n_tiers):
        if open_tiers is not None and not open_tiers[j]:
            continue
        if tier_depth[j] <= 1e-12:
            tiers[:, j] = support
            continue
        locked = no_lock if locked_tiers is None else locked_tiers[:, j] & engaged
        tiers[:, j] = _longest_stable_prefix(-tier_gain[:, j], live, total, benefit * float(tier_depth[j]),
                                             support & ~locked, locked)
    return support, tiers, utility


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
    """Partner weights A (see `partner_weights`), kept sparse, and their products with the positions.

    The products are summed by scipy's sparse kernel and numpy's einsum, never by the BLAS: the BLAS picks its
    kernel by CPU at run time, which can change the last digits of a sum, and one seed must give the same numbers on
    any machine. Partners are few (coalition members and relations), so the sparse sums are also fast.
    """

    def __init__(self, weights: np.ndarray):
        from scipy import sparse

        self.matrix = sparse.csr_array(weights)
        self.reach = weights.sum(axis=1)
        indices, pointers, data = self.matrix.indices, self.matrix.indptr, self.matrix.data
        self.rows = [(indices[pointers[i]:pointers[i + 1]], data[pointers[i]:pointers[i + 1]])
                     for i in range(weights.shape[0])]

    def pulled(self, positions: np.ndarray) -> np.ndarray:
        """A @ P: the partner-weighted positions every state is pulled toward (N,K)."""
        return np.asarray(self.matrix @ positions)

    def pulled_row(self, i: int, positions: np.ndarray) -> np.ndarray | float:
        """Row i of A @ P, from the positions as they are now."""
        columns, weights = self.rows[i]
        if len(columns) == 0:
            return 0.0
        return np.einsum("j,jk->k", weights, positions[columns])


class Concession:
    """The concession rule of one round, for every state at once or one state at a time.

        p_i += step_i * [ f_i * w_i * ((draft - p_i) + sum_j A_ij (p_j - p_i)) + (1 - f_i) * anchor * (x_i - p_i) ]

    then held within the state's red lines. w_i is the per-dimension concession weight, A the partner weights,
    x_i the ideal point and step_i = min(rate * noise_i, 0.5): the pulls can add up to twice the gap, and capping
    the step keeps a state from overshooting. The last term is the domestic pull back toward the ideal point: it makes
    an inflexible state settle short of the draft instead of drifting all the way to it.

    The rule is linear in the positions, so it is rearranged once per round into
        p_i <- keep_i * p_i + pull_i * (A_i . P) + base_i,
    which `simultaneous` applies to all rows of a snapshot and `move` to one row in place, reading the positions the
    others hold at that moment (random sequential activation).
    """

    def __init__(self, ideal, draft, weights, flexibility, partners: Partners, movers, rate, anchor, noise, low,
                 high):
        step = np.minimum(rate * noise, 0.5)[:, None]
        yielding = flexibility[:, None] * weights
        home = (1.0 - flexibility)[:, None] * anchor
        reach = partners.reach[:, None]
        self.keep = 1.0 - step * (yielding * (1.0 + reach) + home)
        self.pull = step * yielding
        self.base = step * (yielding * draft[None, :] + home * ideal)
        self.partners, self.movers, self.low, self.high = partners, movers, low, high
        self._rows: list | None = None  # built on the first `move`: only sequential activation needs them

    def simultaneous(self, positions: np.ndarray) -> np.ndarray:
        """New positions when every state concedes on the same snapshot."""
        moved = self.keep * positions + self.pull * self.partners.pulled(positions) + self.base
        np.clip(moved, self.low, self.high, out=moved)
        return np.where(self.movers[:, None], moved, positions)

    def move(self, i: int, positions: np.ndarray) -> None:
        """State i concedes in place, reading where the others stand right now."""
        if self._rows is None:
            # Row views in a list: indexing a list is far cheaper than slicing arrays in the per-state loop.
            self._rows = [row if moving else None for row, moving in
                          zip(zip(self.keep, self.pull, self.base, self.low, self.high), self.movers.tolist())]
        row = self._rows[i]
        if row is None:
            return
        keep, pull, base, low, high = row
        new = keep * positions[i] + pull * self.partners.pulled_row(i, positions) + base
        np.minimum(np.maximum(new, low, out=new), high, out=positions[i])


def coalition_centres(
    positions: np.ndarray, capability: np.ndarray, labels: np.ndarray, n_coalitions: int, engaged: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Capability-weighted centre of each coalition's engaged members (M,K), and which coalitions have members."""
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
    members = (labels >= 0) & engaged & ~leaders
    out = np.zeros(len(labels), bool)
    if members.any():
        idx = np.flatnonzero(members)
        gap = weighted_distance(positions[idx], centres[labels[idx]], salience[idx])
        out[idx] = gap > limit
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


def is_adopted(
    rule: str, support: np.ndarray, engaged: np.ndarray, capability: np.ndarray, threshold: float, min_states: int
) -> bool:
    """Whether the decision rule adopts a text with this support."""
    n_engaged = int(engaged.sum())
    if n_engaged == 0:
        return False
    slack = 1e-6  # so that a threshold written 0.666667 means two thirds
    backing = support & engaged
    if rule == "consensus":
        return bool(backing.sum() == n_engaged)
    if rule == "majority_count":
        return backing.sum() / n_engaged >= threshold - slack
    cap_share = capability[backing].sum() / capability[engaged].sum()
    if rule == "majority_capability":
        return cap_share >= threshold - slack
    if rule == "plurilateral":
        return bool(backing.sum() >= min_states and cap_share >= threshold - slack)
    raise ValueError(f"unknown decision rule {rule!r}")


def winning_set(
    loss: np.ndarray, rule: str, engaged: np.ndarray, capability: np.ndarray, threshold: float, min_states: int
) -> np.ndarray:
    """The states closest to a text that together suffice to adopt it under the rule (closest first, ties by row).

    Under consensus this is every engaged state. If even all of them do not suffice, all engaged states.
    """
    order = sorted(np.flatnonzero(engaged).tolist(), key=lambda i: (loss[i], i))
    chosen = np.zeros(len(loss), bool)
    for i in order:
        chosen[i] = True
        if is_adopted(rule, chosen, engaged, capability, threshold, min_states):
            return chosen
    return engaged.copy()


def prospective_share(rule: str, threshold: float) -> float:
    """The capability share a state can expect to join it if a text is adopted: all under consensus, else at least
    the rule's threshold (for a count majority, the share of states stands in for the share of capability)."""
    return 1.0 if rule == "consensus" else float(threshold)


def ratification_probability(
    distance_to_ideal: np.ndarray, difficulty: np.ndarray, rate: float, tolerance: float
) -> np.ndarray:
    """Chance per round that a signatory ratifies: rate * (1 - difficulty) * exp(-distance / tolerance).

    Ratification answers to the ideal point (domestic constituencies), not to the position conceded at the table.
    """
    return rate * (1.0 - difficulty) * np.exp(-distance_to_ideal / tolerance)


def required_concession(loss: np.ndarray, benefit_share: np.ndarray, reservation: np.ndarray) -> np.ndarray:
    """Fraction of the way from its position to the draft a state must move to support it (inf when impossible).

    Moving a fraction lam toward the draft scales the weighted distance by (1 - lam), so the state supports once
        benefit_share - (1 - lam) * loss > reservation,  i.e.  lam > 1 - (benefit_share - reservation) / loss.
    """
    slack = benefit_share - reservation
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(loss > 0, 1.0 - slack / loss, 0.0)
    lam = np.where(slack > 0, np.clip(lam, 0.0, 1.0), np.inf)
    return lam


def explain_deadlock(
    positions: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    reservation: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    draft: np.ndarray,
    support: np.ndarray,
    engaged: np.ndarray,
    benefit: float,
    rule: str,
    threshold: float,
    min_states: int,
) -> dict:
    """Why a draft fails: on which dimension the objectors are furthest, and which concession would tip the vote.

    For every objector, the smallest move toward the draft that would make it support is found, assuming that if
    the vote passed at least the rule's share of capability would join (all of it under consensus); moves that would cross the objector's red lines are impossible. The cheapest objectors are then
    won over one by one (for capability rules, cheapest per unit of capability) until the rule would adopt the draft.
    The last state in that sequence is the pivotal one and its move the pivotal concession.
    Returns plain Python values (indices, not ids).
    """
    objectors = engaged & ~support
    k = positions.shape[1]
    gap = np.abs(draft[None, :] - positions)
    pressure = (capability[:, None] * salience * gap)[objectors].sum(axis=0) if objectors.any() else np.zeros(k)
    dimension = int(np.argmax(pressure)) if objectors.any() else None

    share_if_join = np.maximum(participation_shares(capability, engaged, support), prospective_share(rule, threshold))
    loss = weighted_distance(positions, draft, salience)
    lam = required_concession(loss, benefit * share_if_join, reservation)
    moved = positions + np.where(np.isfinite(lam), lam, 0.0)[:, None] * (draft[None, :] - positions)
    crosses = ((moved < low - 1e-12) | (moved > high + 1e-12)).any(axis=1)
    lam = np.where(crosses, np.inf, lam)
    size = lam * loss  # weighted distance the state would have to travel

    candidates = [int(i) for i in np.flatnonzero(objectors)]
    if rule in ("majority_capability", "plurilateral"):
        candidates.sort(key=lambda i: (size[i] / capability[i], i))
    else:
        candidates.sort(key=lambda i: (size[i], i))
    won = support.copy()
    needed: list[int] = []
    feasible = True
    for i in candidates:
        if is_adopted(rule, won, engaged, capability, threshold, min_states):
            break
        if not np.isfinite(size[i]):
            feasible = False
            break
        won[i] = True
        needed.append(i)
    adoptable = is_adopted(rule, won, engaged, capability, threshold, min_states)
    pivotal = needed[-1] if needed and adoptable else None
    concession = None
    if pivotal is not None:
        concession = (lam[pivotal] * (draft - positions[pivotal])).tolist()
    per_dim = [float(v) for v in pressure]
    return {
        "objectors": sorted(candidates),
        "dimension": dimension,
        "dimension_pressure": per_dim,
        "needed": needed,
        "feasible": bool(feasible and adoptable),
        "pivotal": pivotal,
        "pivotal_concession": concession,
        "required_fraction": {int(i): float(lam[i]) for i in candidates},
    }
