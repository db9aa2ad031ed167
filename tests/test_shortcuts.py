"""The model's shortcuts for speed give the very numbers of the plain computation they stand for (exact equality)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from sim import maths
from sim.loader import load_scenario
from sim.model import NegotiationModel, decisions, drafting


def _rule(rng, n=12, k=3, partnered=0.5):
    """A concession rule where some states have partners (a block of mutual trust) and the others have none."""
    inside = rng.random(n) < partnered
    trust = np.where(inside[:, None] & inside[None, :], 0.4 + 0.6 * rng.random((n, n)), 0.0)
    partners = maths.Partners(maths.partner_weights(trust, rng.random(n) + 0.1, np.ones(n, bool)))
    low = np.where(rng.random((n, k)) < 0.2, 0.3 * rng.random((n, k)), 0.0)
    high = np.where(rng.random((n, k)) < 0.2, 0.7 + 0.3 * rng.random((n, k)), 1.0)
    rule = maths.Concession(rng.random((n, k)), rng.random(k), maths.concession_weights(rng.random((n, k)) + 0.01),
                            rng.random(n), partners, rng.random(n) < 0.9, 0.3, 0.3, rng.lognormal(0, 0.2, n),
                            low, high, rng.random(n))
    return rule, partners, np.clip(rng.random((n, k)), low, high)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_moving_unlinked_states_at_once_gives_the_sequential_positions(k):
    """States with no partner that are no one's partner, moved all at once before the others, end where moving
    every state one by one in the same order puts them, to the last digit."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        rule, partners, start = _rule(rng, k=k)
        order = rng.permutation(len(start))
        one_by_one = start.copy()
        for i in order:
            rule.move(int(i), one_by_one)
        shortcut = start.copy()
        fresh, _, _ = _rule(np.random.default_rng(seed), k=k)
        fresh.move_unlinked(shortcut)
        for i in order:
            fresh.move(int(i), shortcut)
        assert np.array_equal(shortcut, one_by_one)
        assert (~partners.linked).any() and partners.linked.any()  # both kinds of state took part


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_a_move_adds_partner_pulls_as_pulled_row_does(k):
    """The partner sum inside `move` equals `Partners.pulled_row` (the einsum) to the last digit, so one state's move
    is keep * p + pull * (A p)_i + base as written, held within its red lines."""
    rng = np.random.default_rng(k)
    rule, partners, start = _rule(rng, k=k, partnered=1.0)
    for i in range(len(start)):
        positions = start.copy()
        rule.move(i, positions)
        if not rule.movers[i]:
            assert np.array_equal(positions[i], start[i])
            continue
        pull = partners.pulled_row(i, start)
        expected = np.minimum(np.maximum(rule.keep[i] * start[i] + rule.pull[i] * pull + rule.base[i], rule.low[i]),
                              rule.high[i])
        assert np.array_equal(positions[i], expected)


def test_partner_rows_are_the_sparse_matrix_rows():
    """The partner rows read off the dense weights are scipy's CSR rows (columns ascending, the same weights)."""
    rng = np.random.default_rng(4)
    trust = np.where(rng.random((9, 9)) < 0.4, rng.random((9, 9)), 0.0)
    weights = maths.partner_weights(trust, rng.random(9) + 0.1, rng.random(9) < 0.8)
    partners, csr = maths.Partners(weights), sparse.csr_array(weights)
    for i in range(9):
        columns, row = partners.rows[i]
        assert columns.tolist() == csr.indices[csr.indptr[i]:csr.indptr[i + 1]].tolist()
        assert row.tolist() == csr.data[csr.indptr[i]:csr.indptr[i + 1]].tolist()


def _same_evaluation(a: decisions.Evaluation, b: decisions.Evaluation) -> bool:
    names = ("texts", "loss", "chance", "members", "value", "alive", "utility", "declaration", "cost", "mandate",
             "adoptable", "shortfall")
    return all(np.array_equal(getattr(a, name), getattr(b, name)) for name in names)


def test_search_reusing_the_last_search_gives_the_evaluation_of_the_texts(scenarios_dir):
    """The chair's search keeps what texts mean to the states from one search to the next; each search's evaluation
    equals evaluating its candidates afresh, round after round, with texts coming back and new ones among them."""
    model = NegotiationModel(load_scenario(scenarios_dir / "global_stalemate.yaml"), seed=3)
    searches = reused = 0
    for _ in range(12):
        if not model.running:
            break
        chair = drafting.choose_chair(model)
        texts = drafting.candidates(model, chair)
        rule, threshold = decisions.current_rule(model)
        kept = model.memo.get("search_stakes")
        reused += kept is not None and any(text.tobytes() in kept[2] for text in texts)
        shortcut = decisions.declare(model, decisions.search_stakes(model, texts, rule), rule, threshold,
                                     model.position)
        assert _same_evaluation(shortcut, decisions.evaluate(model, texts))
        searches += 1
        model.step()
    assert searches >= 5 and reused >= 3
