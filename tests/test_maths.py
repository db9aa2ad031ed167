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


def test_stable_membership_keeps_everyone_when_all_gain():
    """Capabilities 1,1,2 (total 4), losses .05,.1,.3, benefit .4: each prefix's last state clears .1, .2, .4."""
    members, utility = maths.stable_membership(np.array([0.05, 0.1, 0.3]), np.array([1.0, 1.0, 2.0]),
                                               np.ones(3, bool), np.zeros(3), 0.4)
    assert members.tolist() == [True, True, True]
    assert utility == pytest.approx([0.35, 0.3, 0.1])


def test_stable_membership_drops_who_would_rather_stay_out():
    """Losses .2,.2,.45 among equals, benefit .4: all three would need .45 < .4; the first two alone clear .267."""
    members, utility = maths.stable_membership(np.array([0.2, 0.2, 0.45]), np.ones(3), np.ones(3, bool),
                                               np.zeros(3), 0.4)
    assert members.tolist() == [True, True, False]
    assert utility[0] == pytest.approx(0.4 * 2 / 3 - 0.2)
    assert utility[2] == pytest.approx(0.4 * 3 / 3 - 0.45)  # what it would get by joining


def test_stable_membership_respects_reservation_and_locks():
    """A high reservation keeps a state out; a locked signatory stays in whatever its utility."""
    members, _ = maths.stable_membership(np.array([0.0, 0.0, 0.9]), np.ones(3), np.ones(3, bool),
                                         np.array([0.5, 0.0, 0.0]), 0.3, locked=np.array([False, False, True]))
    assert members.tolist() == [False, True, True]


def naive_membership(loss, capability, engaged, reservation, benefit):
    """Drop every member who prefers to stay out until no one does (the definition, iterated)."""
    live = capability * engaged
    members = engaged.copy()
    while True:
        share = (live[members].sum() - live * members + live) / live.sum()
        keep = members & (benefit * share - loss > reservation)
        if (keep == members).all():
            return members
        members = keep


@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 10**6), benefit=st.floats(0.0, 1.0))
def test_stable_membership_equals_the_iterated_definition(n, seed, benefit):
    """The one-sort solution equals dropping leavers one round at a time, for random inputs."""
    rng = np.random.default_rng(seed)
    loss, capability = rng.random(n) * 0.6, rng.random(n) + 0.01
    engaged, reservation = rng.random(n) < 0.85, rng.normal(0, 0.05, n)
    if not engaged.any():
        engaged[0] = True
    fast, _ = maths.stable_membership(loss, capability, engaged, reservation, benefit)
    assert fast.tolist() == naive_membership(loss, capability, engaged, reservation, benefit).tolist()


def test_tiers_are_open_only_to_core_supporters():
    """A state that objects to the core cannot opt into a tier, however much it gains from it."""
    support, tiers, _ = maths.respond(np.array([0.0, 0.5]), np.array([[0.1], [0.9]]), np.ones(2), np.ones(2, bool),
                                      np.zeros(2), 0.2, np.array([0.5]))
    assert support.tolist() == [True, False]
    assert tiers[:, 0].tolist() == [True, False]


def test_a_tier_the_core_already_meets_includes_every_core_member():
    """Depth 0: the tier asks nothing beyond the core, so all core supporters meet it, whatever their gain."""
    support, tiers, _ = maths.respond(np.array([0.0, 0.0, 0.9]), np.zeros((3, 1)), np.ones(3), np.ones(3, bool),
                                      np.zeros(3), 0.2, np.array([0.0]))
    assert tiers[:, 0].tolist() == support.tolist() == [True, True, False]


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


def test_sequential_concession_reads_moves_already_made():
    """State 0 trusts state 1 fully. Simultaneously, it moves 0.3*0.5*(1-0) = 0.15 toward 1's position 1.0; if state
    1 first moves toward the draft at 0 (to 0.85), state 0 then moves only 0.3*0.5*0.85 = 0.1275."""
    p = np.array([[0.0], [1.0]])
    rule = concession(p, p.copy(), np.array([0.0]), np.ones((2, 1)), np.array([1.0, 1.0]),
                      trust=np.array([[0.0, 1.0], [0.0, 0.0]]), anchor=0.0)
    assert rule.simultaneous(p)[:, 0] == pytest.approx([0.15, 0.85])
    seq = p.copy()
    rule.move(1, seq)
    rule.move(0, seq)
    assert seq[:, 0] == pytest.approx([0.1275, 0.85])


def test_partner_weights_sum_to_mean_trust():
    """Row i sums to the capability-weighted mean trust toward the partners it trusts; no self-trust."""
    trust = np.array([[0.0, 0.5, 1.0], [0.0, 0.0, 0.0], [0.2, 0.2, 0.0]])
    weights = maths.partner_weights(trust, np.array([1.0, 1.0, 2.0]), np.ones(3, bool))
    assert weights[0].tolist() == pytest.approx([0.0, 0.5 / 3, 2.0 / 3])
    assert weights[1].sum() == 0
    assert weights.diagonal().tolist() == [0, 0, 0]


def test_decision_rules():
    """Consensus needs everyone; 2 of 3 meet a 2/3 count majority; capability rules weigh by capability;
    plurilateral also needs enough states."""
    engaged, cap = np.ones(3, bool), np.array([1.0, 1.0, 4.0])
    two = np.array([True, True, False])
    assert not maths.is_adopted("consensus", two, engaged, cap, 0.67, 1)
    assert maths.is_adopted("consensus", np.ones(3, bool), engaged, cap, 0.67, 1)
    assert maths.is_adopted("majority_count", two, engaged, cap, 2 / 3, 1)
    assert not maths.is_adopted("majority_capability", two, engaged, cap, 0.5, 1)
    assert maths.is_adopted("majority_capability", np.array([False, False, True]), engaged, cap, 0.5, 1)
    assert not maths.is_adopted("plurilateral", np.array([False, False, True]), engaged, cap, 0.5, 2)
    assert maths.is_adopted("plurilateral", np.array([True, False, True]), engaged, cap, 0.5, 2)
    with pytest.raises(ValueError):
        maths.is_adopted("unanimity", two, engaged, cap, 0.5, 1)


def test_winning_set_takes_the_closest_first():
    """Under a 2/3 count majority of three, the two closest states suffice."""
    chosen = maths.winning_set(np.array([0.3, 0.1, 0.2]), "majority_count", np.ones(3, bool), np.ones(3), 2 / 3, 1)
    assert chosen.tolist() == [False, True, True]


def test_ratification_probability_by_hand():
    """0.3 * (1 - 0.5) * exp(-0.3 / 0.3) = 0.15 / e."""
    p = maths.ratification_probability(np.array([0.3]), np.array([0.5]), 0.3, 0.3)
    assert p[0] == pytest.approx(0.15 / math.e)


def test_required_concession_by_hand():
    """Loss 0.2 and slack 0.15: move a quarter of the way; no slack: impossible; small loss: no move needed."""
    lam = maths.required_concession(np.array([0.2, 0.2, 0.1]), np.array([0.15, 0.0, 0.15]), np.zeros(3))
    assert lam[0] == pytest.approx(0.25)
    assert math.isinf(lam[1])
    assert lam[2] == 0.0


def deadlock(rule="consensus", low=None):
    positions = np.array([[0.2], [0.5], [0.9]])
    return maths.explain_deadlock(positions, np.ones((3, 1)), np.ones(3), np.zeros(3),
                                  np.zeros((3, 1)) if low is None else low, np.ones((3, 1)), np.array([0.5]),
                                  np.array([False, True, False]), np.ones(3, bool), 0.2, rule, 2 / 3, 1)


def test_explain_deadlock_under_consensus_by_hand():
    """Objectors at 0.2 and 0.9 of a draft at 0.5, slack 0.2: they must move 1/3 and 1/2 of the way (0.1 and 0.2);
    both are needed, the costlier (state 2, moving -0.2) is pivotal."""
    why = deadlock()
    assert why["dimension"] == 0
    assert why["needed"] == [0, 2]
    assert why["pivotal"] == 2
    assert why["pivotal_concession"] == pytest.approx([-0.2])
    assert why["required_fraction"][0] == pytest.approx(1 / 3)
    assert why["feasible"]


def test_explain_deadlock_under_majority_needs_only_the_cheapest():
    """Under a 2/3 majority, winning over state 0 is enough. With two of three joining, its slack is 0.2 * 2/3, so
    it must cover 1 - (0.4/3) / 0.3 = 5/9 of its gap of 0.3: a move of +1/6."""
    why = deadlock("majority_count")
    assert why["needed"] == [0] and why["pivotal"] == 0
    assert why["pivotal_concession"] == pytest.approx([1 / 6])


def test_explain_deadlock_respects_red_lines():
    """If state 2 may not go below 0.8, no concession within red lines tips a consensus vote."""
    why = deadlock(low=np.array([[0.0], [0.0], [0.8]]))
    assert not why["feasible"] and why["pivotal"] is None


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
    for i in rng.permutation(6):
        rule.move(int(i), positions)
    assert (positions >= low - 1e-12).all() and (positions <= high + 1e-12).all()


def test_sparse_partner_products_equal_the_dense_ones():
    """The sparse partner sums (used instead of the BLAS) equal A @ P, whole and row by row."""
    rng = np.random.default_rng(3)
    trust = np.where(rng.random((8, 8)) < 0.3, rng.random((8, 8)), 0.0)
    weights = maths.partner_weights(trust, rng.random(8) + 0.1, np.ones(8, bool))
    positions = rng.random((8, 3))
    partners = maths.Partners(weights)
    assert np.allclose(partners.pulled(positions), weights @ positions, atol=1e-15)
    for i in range(8):
        assert np.allclose(partners.pulled_row(i, positions), weights[i] @ positions, atol=1e-15)
    assert partners.reach.tolist() == pytest.approx(weights.sum(axis=1).tolist())
