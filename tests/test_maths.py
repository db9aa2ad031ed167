"""The pure maths of the model, on small cases worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim import maths


def test_weighted_distance_by_hand():
    """sqrt(0.5 * 0.3^2 + 0.5 * 0.4^2) = sqrt(0.125)."""
    d = maths.weighted_distance(np.array([[0.0, 0.0]]), np.array([0.3, 0.4]), np.array([[0.5, 0.5]]))
    assert d[0] == pytest.approx(math.sqrt(0.125))


def test_distance_matrix_matches_weighted_distance():
    """The (N, J) distances equal the one-text distances column by column."""
    rng = np.random.default_rng(1)
    points, texts = rng.random((5, 3)), rng.random((2, 3))
    salience = maths.normalise_salience(rng.random((5, 3)) + 0.1)
    matrix = maths.distance_matrix(points, texts, salience)
    for j in range(2):
        assert np.allclose(matrix[:, j], maths.weighted_distance(points, texts[j], salience))


def test_compromise_weights_capability_times_salience():
    """Dimension 0: weights 1*1 and 3*0.5 give (0*1 + 1*1.5)/2.5 = 0.6; dimension 1: only the second state counts."""
    positions = np.array([[0.0, 0.0], [1.0, 1.0]])
    salience = np.array([[1.0, 0.0], [0.5, 0.5]])
    text = maths.compromise(positions, salience, np.array([1.0, 3.0]), np.array([True, True]))
    assert text == pytest.approx([0.6, 1.0])


def test_compromise_ignores_states_outside_the_mask_and_falls_back_to_the_mean():
    """Only masked states count; a dimension nobody weighs takes their plain mean."""
    positions = np.array([[0.2, 0.2], [0.4, 0.6], [1.0, 1.0]])
    salience = np.array([[1.0, 0.0], [1.0, 0.0], [0.5, 0.5]])
    text = maths.compromise(positions, salience, np.ones(3), np.array([True, True, False]))
    assert text == pytest.approx([0.3, 0.4])


def test_tier_text_deepens_the_core():
    """A tier floors and caps the core: core (0.5, 0.5) with at_least 0.8 on dim 0 and at_most 0.3 on dim 1."""
    texts = maths.tier_texts(np.array([0.5, 0.5]), np.array([[0.8, 0.0]]), np.array([[1.0, 0.3]]))
    assert texts.tolist() == [[0.8, 0.3]]


def test_implementation_cost_falls_with_capability():
    """Depth 0.5, unit cost 0.2: a state of a quarter of the top capability pays 0.2*0.75*0.5; the top pays 0."""
    costs = maths.implementation_costs(np.array([0.5, 0.5]), np.array([[0.8, 0.3]]), np.array([1.0, 4.0]), 0.2)
    assert costs[:, 0] == pytest.approx([0.075, 0.0])


def test_concession_weights_halve_on_the_most_salient_dimension():
    """Weights 1 - 0.5 * s / max(s): (1, 0) gives (0.5, 1); equal salience gives 0.5 everywhere."""
    assert maths.concession_weights(np.array([[1.0, 0.0], [0.5, 0.5]])).tolist() == [[0.5, 1.0], [0.5, 0.5]]


def concession(position, ideal, draft, salience, flexibility, trust=None, low=None, high=None, rate=0.3,
               anchor=0.3):
    n, k = position.shape
    trust = np.zeros((n, n)) if trust is None else trust
    partners = maths.Partners(maths.partner_weights(trust, np.ones(n), np.ones(n, bool)))
    return maths.Concession(ideal, draft, maths.concession_weights(salience), flexibility, partners,
                            np.ones(n, bool), rate, anchor, np.ones(n),
                            np.zeros((n, k)) if low is None else low, np.ones((n, k)) if high is None else high)


def test_flexible_state_moves_toward_the_draft_by_hand():
    """f=1, weights (0.5, 1), step 0.3, from (0,0) to draft (1,1): it moves (0.15, 0.3)."""
    p = np.zeros((1, 2))
    rule = concession(p, np.zeros((1, 2)), np.ones(2), np.array([[1.0, 0.0]]), np.array([1.0]))
    assert rule.simultaneous(p)[0] == pytest.approx([0.15, 0.3])


def test_domestic_anchor_and_red_lines_by_hand():
    """f=0.5 at (0.5, 0.5), ideal (0, 0), draft (1, 1): delta = 0.3 * (0.5*w*0.5 - 0.5*0.3*0.5) = (0.015, 0.0525),
    and a red line at 0.51 on the second dimension holds it there."""
    p = np.array([[0.5, 0.5]])
    args = (p, np.zeros((1, 2)), np.ones(2), np.array([[1.0, 0.0]]), np.array([0.5]))
    assert concession(*args).simultaneous(p)[0] == pytest.approx([0.515, 0.5525])
    held = concession(*args, high=np.array([[1.0, 0.51]])).simultaneous(p)[0]
    assert held == pytest.approx([0.515, 0.51])


def test_inflexible_state_at_its_ideal_does_not_move():
    """f=0 and already at the ideal point: nothing pulls it."""
    p = np.array([[0.3, 0.7]])
    rule = concession(p, p.copy(), np.array([0.9, 0.1]), np.array([[0.5, 0.5]]), np.array([0.0]))
    assert rule.simultaneous(p)[0] == pytest.approx([0.3, 0.7])


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
def test_sequential_concession_reads_moves_already_made(compiled):
    """State 0 trusts state 1 fully. Simultaneously, it moves 0.3*0.5*(1-0) = 0.15 toward 1's position 1.0; if state
    1 first moves toward the draft at 0 (to 0.85), state 0 then moves only 0.3*0.5*0.85 = 0.1275; in the other order
    state 0 reads 1's position before 1 moves (0.15)."""
    p = np.array([[0.0], [1.0]])
    rule = concession(p, p.copy(), np.array([0.0]), np.ones((2, 1)), np.array([1.0, 1.0]),
                      trust=np.array([[0.0, 1.0], [0.0, 0.0]]), anchor=0.0)
    assert rule.simultaneous(p)[:, 0] == pytest.approx([0.15, 0.85])
    maths.compiled_moves(compiled)
    try:
        seq = p.copy()
        rule.move_in_order([1, 0], seq)
        assert seq[:, 0] == pytest.approx([0.1275, 0.85])
        other = p.copy()
        rule.move_in_order([0, 1], other)
        assert other[:, 0] == pytest.approx([0.15, 0.85])
    finally:
        maths.compiled_moves(None)


def test_partner_weights_sum_to_mean_trust():
    """Row i sums to the capability-weighted mean trust toward the partners it trusts; no self-trust."""
    trust = np.array([[0.0, 0.5, 1.0], [0.0, 0.0, 0.0], [0.2, 0.2, 0.0]])
    weights = maths.partner_weights(trust, np.array([1.0, 1.0, 2.0]), np.ones(3, bool))
    assert weights[0].tolist() == pytest.approx([0.0, 0.5 / 3, 2.0 / 3])
    assert weights[1].sum() == 0
    assert weights.diagonal().tolist() == [0, 0, 0]


def test_merge_pairs_closest_first():
    """Centres 0.05 apart merge under a 0.1 limit; a far one does not."""
    centres = np.array([[0.0, 0.0], [0.05, 0.0], [1.0, 1.0]])
    assert maths.merge_pairs(centres, np.ones(3, bool), 0.1) == [(0, 1)]
    assert maths.merge_pairs(centres, np.ones(3, bool), 0.0) == []


def test_defectors_exclude_leaders():
    """A member far from its coalition's centre defects; a leader never does."""
    positions = np.array([[0.0], [1.0], [0.05]])
    labels = np.array([0, 0, 0])
    centres, _ = maths.coalition_centres(positions, np.array([10.0, 1.0, 10.0]), labels, 1, np.ones(3, bool))
    leaving = maths.defectors(positions, np.ones((3, 1)), labels, centres, np.ones(3, bool),
                              np.array([True, False, False]), 0.35)
    assert leaving.tolist() == [False, True, False]


@settings(max_examples=100, deadline=None)
@given(arrays(float, (6, 3), elements=st.floats(0, 1)), st.integers(0, 2**32 - 1))
def test_concession_never_leaves_the_unit_cube_or_red_lines(positions, seed):
    """Whatever the inputs, positions stay within [0, 1] and within the states' red lines."""
    rng = np.random.default_rng(seed)
    low = np.minimum(positions, rng.random((6, 3)) * 0.5)
    high = np.maximum(positions, 0.5 + rng.random((6, 3)) * 0.5)
    rule = maths.Concession(rng.random((6, 3)), rng.random(3), maths.concession_weights(rng.random((6, 3)) + 0.01),
                            rng.random(6), maths.Partners(maths.partner_weights(rng.random((6, 6)),
                                                                                rng.random(6) + 0.1,
                                                                                np.ones(6, bool))),
                            np.ones(6, bool), 1.0, 1.0, rng.lognormal(0, 1, 6), low, high)
    moved = rule.simultaneous(positions)
    assert (moved >= low - 1e-12).all() and (moved <= high + 1e-12).all()
    rule.move_in_order(rng.permutation(6).tolist(), positions)
    assert (positions >= low - 1e-12).all() and (positions <= high + 1e-12).all()


def test_sparse_partner_products_equal_the_dense_ones():
    """The sparse partner sums (used instead of the BLAS) equal A @ P, whole and row by row."""
    rng = np.random.default_rng(3)
    trust = np.where(rng.random((8, 8)) < 0.3, rng.random((8, 8)), 0.0)
    weights = maths.partner_weights(trust, rng.random(8) + 0.1, np.ones(8, bool))
    positions = rng.random((8, 3))
    partners = maths.Partners(weights)
    assert np.allclose(partners.pulled(positions), weights @ positions, atol=1e-15)
    assert partners.reach.tolist() == pytest.approx(weights.sum(axis=1).tolist())


# --- one utility, the signing game and the declarations -------------------------------------------------------------
def sign(loss, benefit=0.4, spill=0.0, externality=0.0, reservation=None, min_parties=1, locked=None, chance=None):
    loss = np.asarray(loss, float).reshape(-1, 1)
    n = len(loss)
    r = np.zeros(n) if reservation is None else np.asarray(reservation, float)
    return maths.signing_equilibrium(loss, r, np.full(n, 1 / n), np.ones(n) if chance is None else chance,
                                     benefit, spill, externality, min_parties, np.ones(n, bool), locked)


def iterated_membership(loss, reservation, weight, benefit, spill, min_parties):
    """The signing game by brute force: start from everyone and let the keenest leaver (largest h) leave while
    leaving pays, a leaver facing a rest that is not viable getting the value of no treaty."""
    n = len(loss)
    members = np.ones(n, bool)

    def viable(m):
        v = weight[m].sum()
        return m.sum() >= min_parties and all(benefit * v - loss[i] >= reservation[i] - 1e-12 for i in np.flatnonzero(m))

    while members.any():
        h = reservation + loss - spill * benefit * weight
        top = max(np.flatnonzero(members), key=lambda i: (h[i], i))
        if not viable(members):
            members[top] = False
            continue
        stay = benefit * weight[members].sum() - loss[top]
        rest = members.copy()
        rest[top] = False
        leave = reservation[top] + (spill * benefit * weight[rest].sum() if viable(rest) else 0.0)
        if leave > stay + 1e-12:
            members[top] = False
        else:
            break
    return members


def test_everyone_signs_a_text_that_pays_when_nobody_free_rides():
    """A club good (spill 0) worth 0.4 to each of four members with losses below 0.4: all sign."""
    members, value, alive = sign([0.1, 0.2, 0.3, 0.35])
    assert members[:, 0].all() and alive[0] and value[0] == pytest.approx(0.4)


def test_a_state_signs_nothing_worth_less_than_no_treaty():
    """A state whose loss exceeds the treaty's whole value stays out; the rest still sign."""
    members, value, alive = sign([0.1, 0.2, 0.9])
    assert members[:, 0].tolist() == [True, True, False]
    assert value[0] == pytest.approx(0.4 * 2 / 3)
    assert (value[0] - np.array([0.1, 0.2]) >= 0).all()


def test_barretts_paradox_in_a_symmetric_game():
    """Barrett 1994: with a public good (spill 1), n identical states and loss L, the stable membership is the
    smallest viable one, ceil(n L / B), so a larger gain from cooperation B gives a smaller stable membership, until
    B / n >= L removes the incentive to free-ride. Negative control: a club good (spill 0) keeps everyone."""
    n, loss = 20, 0.1
    sizes = [int(sign([loss] * n, benefit=b, spill=1.0)[0].sum()) for b in (0.15, 0.2, 0.4, 0.8, 1.6)]
    assert sizes == [math.ceil(n * loss / b - 1e-9) for b in (0.15, 0.2, 0.4, 0.8, 1.6)] == [14, 10, 5, 3, 2]
    assert int(sign([loss] * n, benefit=2.5, spill=1.0)[0].sum()) == n
    assert [int(sign([loss] * n, benefit=b, spill=0.0)[0].sum()) for b in (0.15, 0.8)] == [n, n]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 9), st.integers(0, 2**32 - 1), st.floats(0.1, 1.5), st.sampled_from([0.0, 0.3, 1.0]),
       st.integers(1, 3))
def test_signing_equilibrium_equals_the_sequential_unravelling(n, seed, benefit, spill, min_parties):
    """The one-sort solution equals the signing game played out one leaver at a time (see iterated_membership)."""
    rng = np.random.default_rng(seed)
    loss, reservation = rng.uniform(0, 0.6, n), rng.uniform(-0.1, 0.1, n)
    weight = np.full(n, 1 / n)
    expected = iterated_membership(loss, reservation, weight, benefit, spill, min_parties)
    members, _, _ = maths.signing_equilibrium(loss[:, None], reservation, weight, np.ones(n), benefit, spill, 0.0,
                                              min_parties, np.ones(n, bool))
    assert members[:, 0].tolist() == expected.tolist()


def test_too_few_signatories_means_no_treaty():
    """With four ratifications needed and only three states that gain, nothing is in being and nobody signs."""
    members, _, alive = sign([0.1, 0.1, 0.1, 0.9], min_parties=4)
    assert not members.any() and not alive[0]


def test_locked_signatories_stay_and_outsiders_can_accede():
    """After adoption a locked signatory stays even at a loss; an outsider that gains accedes."""
    members, _, alive = sign([0.9, 0.1, 0.1], locked=np.array([True, False, False]))
    assert members[:, 0].tolist() == [True, True, True] and alive[0]
    members, _, _ = sign([0.1, 0.1, 0.9], locked=np.array([True, False, False]))
    assert members[:, 0].tolist() == [True, True, False]


def test_treaty_utility_by_hand():
    """Members get B v - L; outsiders r + phi B v - eps L while the treaty is in being, r when it is not."""
    loss = np.array([[0.1], [0.4]])
    u = maths.treaty_utility(loss, np.array([0.0, 0.05]), np.array([[True], [False]]), np.array([0.3]),
                             np.array([True]), 0.5, 0.25)
    assert u[:, 0].tolist() == pytest.approx([0.2, 0.05 + 0.15 - 0.1])
    u = maths.treaty_utility(loss, np.array([0.0, 0.05]), np.zeros((2, 1), bool), np.array([0.0]),
                             np.array([False]), 0.5, 0.25)
    assert u[:, 0].tolist() == pytest.approx([0.0, 0.05])


def test_objecting_needs_a_loss_beyond_its_cost_and_isolation_raises_the_cost():
    """Two states worse off than no treaty by 0.1: with base cost 0.02 and isolation 0.15 (times the share of the
    others not objecting), each alone would find objecting too costly (0.02 + 0.15 = 0.17 > 0.1)... but together
    they are less isolated: the share of the others not objecting is 1/2 for each, cost 0.095 < 0.1, so both
    object. A third state better off supports; a state slightly worse off stays silent."""
    utility = np.array([[-0.1], [-0.1], [0.2], [-0.01]])
    members = np.array([[False], [False], [True], [False]])
    decl, cost = maths.declarations(utility, np.zeros(4), members, np.full(4, 0.25), np.ones(4, bool), 0.02, 0.15,
                                    0.0, np.zeros((4, 1)))
    assert decl[:, 0].tolist() == [maths.SILENT, maths.SILENT, maths.SUPPORT, maths.SILENT]
    # the iteration starts from nobody objecting, where each objector stands alone (cost 0.17): nobody objects
    decl, _ = maths.declarations(utility, np.zeros(4), members, np.full(4, 0.25), np.ones(4, bool), 0.02, 0.05,
                                 0.0, np.zeros((4, 1)))
    assert decl[:, 0].tolist() == [maths.OBJECT, maths.OBJECT, maths.SUPPORT, maths.SILENT]
    assert cost[3, 0] == pytest.approx(0.02 + 0.15 * 1.0)


def test_mandate_cost_silences_an_objector_whose_mandate_came_close():
    """The same loss: an objector whose mandate is at its ideal objects; one whose mandate reached the text does
    not (mandate share 1 adds the whole mandate cost)."""
    utility, members = np.array([[-0.15]]), np.array([[False]])
    args = (np.zeros(1), members, np.ones(1), np.ones(1, bool), 0.02, 0.0, 0.2)
    assert maths.declarations(utility, *args, np.zeros((1, 1)))[0][0, 0] == maths.OBJECT
    assert maths.declarations(utility, *args, np.ones((1, 1)))[0][0, 0] == maths.SILENT


def test_mandate_share_by_hand():
    """Ideal 0, mandate 0.3, text 0.6 on one dimension: the mandate has come half of the way."""
    share = maths.mandate_share(np.array([[0.3]]), np.array([[0.0]]), np.array([[0.6]]), np.ones((1, 1)))
    assert share[0, 0] == pytest.approx(0.5)


def test_decision_rules_count_as_they_should():
    """Consensus: no objection (silence lets it pass); votes: yes over yes + no (abstentions not counted);
    capability rules weigh by capability; plurilateral: enough signers with enough capability."""
    engaged = np.ones(3, bool)
    decl = np.array([[maths.SUPPORT], [maths.SILENT], [maths.OBJECT]])
    members = np.array([[True], [False], [False]])
    count = maths.vote_weights("consensus", np.array([1.0, 1.0, 4.0]), engaged)
    assert count.tolist() == pytest.approx([1 / 3] * 3)
    ok, short = maths.passes("consensus", decl, members, count, engaged, 2 / 3, 1)
    assert not ok[0] and short[0] == pytest.approx(1 / 3)
    ok, _ = maths.passes("consensus", np.array([[1], [0], [0]], np.int8), members, count, engaged, 2 / 3, 1)
    assert ok[0]  # silent states let it pass
    ok, _ = maths.passes("majority_count", decl, members, count, engaged, 0.5, 1)
    assert ok[0]  # 1 yes of 2 voting
    cap = maths.vote_weights("majority_capability", np.array([1.0, 1.0, 4.0]), engaged)
    ok, _ = maths.passes("majority_capability", decl, members, cap, engaged, 0.5, 1)
    assert not ok[0]  # 1 against 4
    ok, _ = maths.passes("plurilateral", decl, np.array([[True], [True], [False]]), cap, engaged, 0.3, 2)
    assert ok[0]
    ok, _ = maths.passes("plurilateral", decl, members, cap, engaged, 0.1, 2)
    assert not ok[0]  # one signer is too few
    with pytest.raises(ValueError):
        maths.passes("unanimity", decl, members, count, engaged, 0.5, 1)


def test_nash_objective_prefers_balanced_gains():
    """Gains (0.2, 0.2) beat (0.39, 0.01) under equal weights: log-sum favours balance."""
    utility = np.array([[0.2, 0.39], [0.2, 0.01]])
    score = maths.nash_objective(utility, np.zeros(2), np.full(2, 0.5), np.ones(2, bool))
    assert score[0] > score[1]


def test_ratification_hazard_and_window_by_hand():
    """0.3 * (1 - 0.5) * exp(-0.3 / 0.3) = 0.15 / e per round; over 2 rounds 1 - (1 - h)^2; difficulty 1 never."""
    h = maths.ratification_hazard(np.array([0.3, 0.3]), np.array([0.5, 1.0]), 0.3, 0.3)
    assert h[0] == pytest.approx(0.15 / math.e) and h[1] == 0.0
    assert maths.ratification_chance(h, 2)[0] == pytest.approx(1 - (1 - 0.15 / math.e) ** 2)
    assert maths.ratification_chance(h, 2)[1] == 0.0


def test_reciprocity_matches_what_others_gave():
    """Strength 1: a state that gave 0.2 and received 0.1 concedes at half pace; strength 0.5: at 3/4; one that
    gave nothing yet is not held back."""
    f = maths.reciprocity_factor(np.array([0.1, 0.0, 0.3]), np.array([0.2, 0.0, 0.1]), 1.0)
    assert f.tolist() == pytest.approx([0.5, 1.0, 1.0])
    assert maths.reciprocity_factor(np.array([0.1]), np.array([0.2]), 0.5)[0] == pytest.approx(0.75)


def test_concession_toward_measures_moves_toward_each_other():
    """Two states on a line at 0 and 1: if the second moves to 0.8, the first received 0.2 and gave nothing."""
    before, after = np.array([[0.0], [1.0]]), np.array([[0.0], [0.8]])
    received, given = maths.concession_toward(before, after, np.ones((2, 1)), np.ones(2), np.ones(2, bool))
    assert received.tolist() == pytest.approx([0.2, 0.0])
    assert given.tolist() == pytest.approx([0.0, 0.2])


def test_viability_gap_by_hand():
    """Losses 0.1, 0.2, 0.5 of three states, value 0.3 to a full membership: two members (value 0.2) fall short by
    0.0 at best (0.2 - 0.2); needing three, the gap is 0.5 - 0.3 = 0.2."""
    loss = np.array([[0.1], [0.2], [0.5]])
    args = (np.zeros(3), np.full(3, 1 / 3), np.ones((3, 1)), 0.3)
    assert maths.viability_gap(loss, *args, 2, np.ones(3, bool))[0] == pytest.approx(0.0)
    assert maths.viability_gap(loss, *args, 3, np.ones(3, bool))[0] == pytest.approx(0.2)


def test_required_mandate_move_by_hand():
    """One dimension, ideal 0, mandate 0, text 0.8, mandate cost 0.2: needing 0.1 (share 1/2) the mandate must move
    half-way; needing more than the whole cost is impossible; a red line at 0.2 caps the share at 1/4."""
    args = (np.zeros((3, 1)), np.zeros((3, 1)), np.array([0.8]), np.ones((3, 1)))
    high = np.array([[1.0], [1.0], [0.2]])
    lam = maths.required_mandate_move(*args, np.zeros((3, 1)), high, np.array([0.1, 0.3, 0.1]), 0.2)
    assert lam[0] == pytest.approx(0.5) and math.isinf(lam[1]) and math.isinf(lam[2])
    lam = maths.required_mandate_move(*args, np.zeros((3, 1)), high, np.array([0.1, 0.0, 0.05]), 0.2)
    assert lam[1] == 0.0 and lam[2] == pytest.approx(0.25)


def test_tier_memberships_are_open_only_to_core_members():
    """A state outside the core cannot opt into a tier, however much it would gain."""
    tiers = maths.tier_memberships(np.array([[0.5], [0.5]]), np.full(2, 0.5), 0.2, np.array([0.3]),
                                   np.array([True, False]))
    assert tiers[:, 0].tolist() == [True, False]


def test_a_tier_the_core_already_meets_includes_every_core_member():
    """Depth 0: every core member meets the tier."""
    tiers = maths.tier_memberships(np.array([[-1.0], [-1.0]]), np.full(2, 0.5), 0.2, np.array([0.0]),
                                   np.array([True, True]))
    assert tiers[:, 0].all()
