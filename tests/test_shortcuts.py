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


@pytest.fixture
def moves():
    """Switch between the two ways of moving states one by one; leave the process as it found it."""
    kept = maths._forced
    yield maths.compiled_moves
    maths.compiled_moves(kept)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_the_compiled_moves_give_the_python_moves_to_the_last_digit(k, moves):
    """Random activation's compiled loop (sim.kernels) and its Python moves put every state at the same position,
    to the last bit (signed zeros included), whatever the order, the partners (some states with none), the red
    lines and the movers; half the cases start with some positions at -0.0."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        rule, partners, start = _rule(rng, k=k)
        if seed % 2:
            start = np.where(rng.random(start.shape) < 0.5, -0.0, start)
        order = rng.permutation(len(start)).tolist()
        in_python, compiled = start.copy(), start.copy()
        moves(False)
        rule.move_in_order(order, in_python)
        moves(True)
        rule.move_in_order(order, compiled)
        assert compiled.tobytes() == in_python.tobytes()
        assert not np.array_equal(compiled, start)
        assert (np.diff(partners.indptr) == 0).any() and (np.diff(partners.indptr) > 0).any()  # both kinds took part


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
def test_a_move_adds_partner_pulls_as_the_sparse_product_does(k, compiled, moves):
    """One state's move is keep * p + pull * (A p)_i + base as written, held within its red lines, with (A p)_i the
    row of scipy's CSR product that simultaneous activation uses, to the last bit: both activations sum a state's
    partners the same way, from +0.0 (partners all at -0.0 pull by +0.0, as in scipy's product)."""
    rng = np.random.default_rng(k)
    rule, partners, start = _rule(rng, k=k, partnered=1.0)
    start[::2] = -0.0
    pulled = partners.pulled(start)
    moves(compiled)
    for i in range(len(start)):
        positions = start.copy()
        rule.move_in_order([i], positions)
        if not rule.movers[i]:
            assert np.array_equal(positions[i], start[i])
            continue
        expected = np.minimum(np.maximum(rule.keep[i] * start[i] + rule.pull[i] * pulled[i] + rule.base[i],
                                         rule.low[i]), rule.high[i])
        assert positions[i].tobytes() == expected.tobytes()
        assert np.array_equal(np.delete(positions, i, axis=0), np.delete(start, i, axis=0))


def test_where_the_compiled_kernels_cannot_load_the_states_move_in_python_with_one_warning(moves, monkeypatch):
    """If numba cannot load or compile the kernels, a run past the switch warns once and moves the states in Python:
    the same positions, no crash part-way through a sweep."""
    import sys

    rule, _, start = _rule(np.random.default_rng(5))
    order = list(range(len(start)))
    expected = start.copy()
    moves(False)
    rule.move_in_order(order, expected)
    monkeypatch.setattr(maths, "_loaded", [])
    import sim

    monkeypatch.setitem(sys.modules, "sim.kernels", None)  # `from . import kernels` now raises ImportError
    monkeypatch.delattr(sim, "kernels", raising=False)
    moves(True)
    positions = start.copy()
    with pytest.warns(RuntimeWarning, match="compiled kernels could not be loaded"):
        rule.move_in_order(order, positions)
    assert np.array_equal(positions, expected)
    again = start.copy()
    rule.move_in_order(order, again)  # no second warning (pytest's filter would turn one into an error below)
    assert np.array_equal(again, expected)


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
def test_partners_all_at_minus_zero_pull_as_the_sparse_product_does(compiled, moves):
    """Partners all at -0.0 pull by +0.0, as scipy's CSR product sums from +0.0, so a state whose ideal, draft and
    position are -0.0 ends at +0.0 in both activations and both ways of moving (a sum begun from the first product
    would keep -0.0, and a stored table would then depend on which way the states moved)."""
    n, k = 5, 2
    trust = np.ones((n, n)) - np.eye(n)
    partners = maths.Partners(maths.partner_weights(trust, np.ones(n), np.ones(n, bool)))
    minus_zero = np.full((n, k), -0.0)
    rule = maths.Concession(minus_zero, np.full(k, -0.0), maths.concession_weights(np.ones((n, k))),
                            np.full(n, 0.5), partners, np.ones(n, bool), 0.3, 0.3, np.ones(n), np.full((n, k), -1.0),
                            np.ones((n, k)), np.ones(n))
    snapshot = rule.simultaneous(minus_zero)
    assert not np.signbit(snapshot).any()
    moves(compiled)
    positions = minus_zero.copy()
    rule.move_in_order([0], positions)  # the first mover reads the snapshot, as in simultaneous activation
    assert positions[0].tobytes() == snapshot[0].tobytes()
    everyone = minus_zero.copy()
    rule.move_in_order(list(range(n)), everyone)
    assert not np.signbit(everyone).any()


def test_partner_rows_are_the_sparse_matrix_rows():
    """The CSR arrays read off the dense weights are scipy's (rows in order, columns ascending, the same weights)."""
    rng = np.random.default_rng(4)
    trust = np.where(rng.random((9, 9)) < 0.4, rng.random((9, 9)), 0.0)
    weights = maths.partner_weights(trust, rng.random(9) + 0.1, rng.random(9) < 0.8)
    partners, csr = maths.Partners(weights), sparse.csr_array(weights)
    assert partners.indptr.tolist() == csr.indptr.tolist()
    assert partners.indices.tolist() == csr.indices.tolist()
    assert partners.data.tolist() == csr.data.tolist()


def _numpy_and_compiled(moves, function, *args):
    moves(False)
    numpy_result = function(*args)
    moves(True)
    return numpy_result, function(*args)


def _same_bits(a, b) -> bool:
    a, b = (a, b) if isinstance(a, tuple) else ((a,), (b,))
    return all(x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes() for x, y in zip(a, b))


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 7, 9])
def test_the_concession_kernels_give_numpys_numbers_to_the_last_digit(k, moves):
    """Each compiled kernel of the concession phase (sim.kernels) gives the numbers of the numpy code it stands for,
    bit for bit, on random cases of 1 to 250 states: the rule's coefficients, the simultaneous moves, how far the
    states conceded toward each other (pairwise and einsum sums reproduced; with more dimensions than
    kernels.MAX_DIMS numpy's code runs) and the reciprocity factor."""
    plain_order = 0  # cases where adding the dimensions one after another would not have been einsum's sum
    for seed in range(25):
        rng = np.random.default_rng(100 * k + seed)
        n = int(rng.integers(1, 250))
        engaged = rng.random(n) < 0.9
        salience = maths.normalise_salience(rng.random((n, k)) + 0.01)
        capability = rng.random(n)
        trust = np.where(rng.random((n, n)) < 0.2, rng.random((n, n)), 0.0)
        partners = maths.Partners(maths.partner_weights(trust, capability, engaged))
        ideal, draft, flexibility = rng.random((n, k)), rng.random(k), rng.random(n)
        low = np.minimum(ideal, 0.5 * rng.random((n, k)))
        high = np.maximum(ideal, 1.0 - 0.3 * rng.random((n, k)))
        args = (ideal, draft, maths.concession_weights(salience), flexibility, partners, rng.random(n) < 0.8, 0.3,
                0.2, rng.lognormal(0.0, 0.4, n), low, high, rng.random(n) if seed % 3 else None)
        python_rule, compiled_rule = _numpy_and_compiled(moves, maths.Concession, *args)
        for name in ("keep", "pull", "base"):
            assert _same_bits(getattr(python_rule, name), getattr(compiled_rule, name)), name
        before = np.clip(rng.random((n, k)), low, high)
        assert _same_bits(*_numpy_and_compiled(moves, python_rule.simultaneous, before))
        after = python_rule.simultaneous(before)
        toward = _numpy_and_compiled(moves, maths.concession_toward, before, after, salience, capability, engaged)
        assert _same_bits(*toward)
        received, given = toward[0]
        given = np.where(rng.random(n) < 0.2, 0.0, given)
        assert _same_bits(*_numpy_and_compiled(moves, maths.reciprocity_factor, received, given, 0.6))
        # the whole simultaneous round in one call gives what its parts give, and adds up the record alike
        records = [(rng.random(n), rng.random(n))] * 2
        rounds = []
        for compiled, (so_far, gave) in zip((False, True), records):
            moves(compiled)
            so_far, gave = so_far.copy(), gave.copy()
            willing = args[11] if args[11] is not None else np.ones(n)
            rounds.append(maths.simultaneous_round(*args[:11], willing, before, salience, capability, engaged,
                                                   so_far, gave, 0.6) + (so_far, gave))
        assert _same_bits(*rounds)
        gap = after - before
        products = salience * (gap * gap)
        plain_order += not np.array_equal(np.cumsum(products, axis=1)[:, -1],
                                          np.einsum("nk,nk->n", salience, gap * gap))
    if 3 <= k <= 7:
        assert plain_order > 0  # the cases tell einsum's order from a plain one, so the test could fail


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 8])
def test_the_search_kernels_give_numpys_numbers_to_the_last_digit(k, moves):
    """The compiled kernels of a batch evaluation give the numbers of the numpy code they stand for, bit for bit, on
    random cases of 1 to 200 states and 1 to 20 texts: the distances of texts from ideals, the mandate shares, the
    chair's compromises of a group of states, the declarations and costs of objecting (a fixed point reached by
    iteration, with the others' weights summed down the states as numpy sums them), and each rule's verdict and
    shortfall. With more than kernels.MAX_DIMS dimensions numpy's code runs."""
    objections = 0
    verdicts = {rule: set() for rule in ("consensus", "majority_count", "majority_capability", "plurilateral")}
    for seed in range(25):
        rng = np.random.default_rng(1000 * k + seed)
        n, t = int(rng.integers(1, 200)), int(rng.integers(1, 21))
        ideal, position, texts = rng.random((n, k)), rng.random((n, k)), rng.random((t, k))
        texts[0] = ideal[0]  # a text at a state's ideal: its mandate share is 1 by definition
        salience = maths.normalise_salience(rng.random((n, k)) + 0.01)
        loss = _numpy_and_compiled(moves, maths.distance_matrix, ideal, texts, salience)
        assert _same_bits(*loss)
        assert _same_bits(*_numpy_and_compiled(moves, maths.mandate_share, position, ideal, texts, salience,
                                               loss[0]))
        engaged = rng.random(n) < (1.0 if seed % 2 else 0.85)
        capability = rng.random(n) + 0.01
        for mask in (engaged, rng.random(n) < 0.3):
            assert _same_bits(*_numpy_and_compiled(moves, maths.compromise, position, salience, capability, mask))
        weight = maths.vote_weights("consensus", np.ones(n), engaged)
        reservation = rng.random(n) * 0.3
        utility = reservation[:, None] + 0.3 * rng.standard_normal((n, t))
        members = utility > reservation[:, None] + 0.1
        mandate = rng.random((n, t))
        answers = _numpy_and_compiled(moves, maths.declarations, utility, reservation, members, weight, engaged,
                                      0.05, 0.2, 0.1, mandate)
        assert _same_bits(*answers)
        objections += int((answers[0][0] == maths.OBJECT).sum())
        unviable = np.where(rng.random(t) < 0.5, 0.0, rng.random(t)) if seed % 4 else 0.0
        decl, signers = answers[0][0].copy(), members | (rng.random(t) < 0.5)[None, :]
        decl[:, rng.random(t) < 0.5] = maths.SILENT  # texts nobody objects to (or supports)
        decl[:, rng.random(t) < 0.3] = maths.SUPPORT
        for rule in ("consensus", "majority_count", "majority_capability", "plurilateral"):
            weights = maths.vote_weights(rule, capability, engaged)
            verdict = _numpy_and_compiled(moves, maths.passes, rule, decl, signers, weights, engaged, 0.6,
                                          max(1, n // 3), unviable)
            assert _same_bits(*verdict), rule
            verdicts[rule] |= set(verdict[0][0].tolist())
    assert objections > 0  # the cases reach the iteration, not only its first step
    assert all(found == {False, True} for found in verdicts.values()), verdicts  # each rule adopts some texts, not all


def test_the_signing_kernels_give_numpys_memberships_to_the_last_digit(moves):
    """Who would sign each text and how far it is from any viable membership (maths.signing_equilibrium and
    maths.viability_gap) are the same compiled as in numpy, bit for bit, on random cases of 1 to 200 states and 1 to
    20 texts: ties in the keys (states alike in loss and reservation, whose order the stable sort keeps), states not
    at the table, signatories locked in by an adopted text, and memberships that unravel or stop at the pivotal state
    (the cases reach both ends, so the test tells a wrong prefix from the right one)."""
    sizes = set()
    for seed in range(60):
        rng = np.random.default_rng(5000 + seed)
        n, t = int(rng.integers(1, 200)), int(rng.integers(1, 21))
        loss = rng.random((n, t)) * 0.6
        reservation = rng.random(n) * 0.2
        if seed % 4 == 0:  # whole groups of states alike: ties in every key
            group = rng.integers(0, min(4, n), n)
            loss, reservation = np.round(loss[group], 1), np.round(reservation[group], 1)
        engaged = rng.random(n) < (1.0 if seed % 2 else 0.8)
        locked = (rng.random(n) < 0.3) & engaged if seed % 3 == 0 else None
        weight = maths.vote_weights("consensus" if seed % 5 else "majority_capability", rng.random(n) + 0.1, engaged)
        chance = rng.random((n, t)) if seed % 6 else rng.random(n)
        if seed % 4 == 0:
            chance = np.round(chance[group], 1)
        benefit, spill, externality = 0.3 + rng.random(), 0.5 * rng.random(), 0.3 * rng.random()
        needed = float(rng.integers(1, max(2, n // 2)))
        numpy_result, compiled_result = _numpy_and_compiled(
            moves, maths.signing_equilibrium, loss, reservation, weight, chance, benefit, spill, externality,
            needed, engaged, locked)
        assert _same_bits(numpy_result, compiled_result)
        sizes.update(numpy_result[0].sum(axis=0) * 3 // max(n, 1))
        chance2 = chance if chance.ndim == 2 else np.repeat(chance[:, None], t, 1)
        if seed % 7 == 0:  # a NaN carried through the sums, as numpy carries it
            chance2 = chance2.copy()
            chance2[rng.integers(n), rng.integers(t)] = np.nan
        assert _same_bits(*_numpy_and_compiled(moves, maths.viability_gap, loss, reservation, weight, chance2,
                                               benefit, needed, engaged))
    assert {0, 1, 2} <= sizes  # no one, some and nearly everyone signs in some cases


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 8])
def test_the_coalition_kernels_give_numpys_numbers_to_the_last_digit(k, moves):
    """The coalitions' centres and who drifts too far from them (maths.coalition_centres, maths.defectors) are the
    same compiled as in numpy, bit for bit, on random cases of 1 to 200 states in up to 5 coalitions (some empty,
    some states in none, some away from the table); with more than kernels.MAX_DIMS dimensions numpy's code runs.
    Whether the mandates have moved by less than a limit since the coalitions' last look is the same too."""
    found, stills = set(), set()
    for seed in range(25):
        rng = np.random.default_rng(7000 + 100 * k + seed)
        n, m = int(rng.integers(1, 200)), int(rng.integers(1, 6))
        positions, capability = rng.random((n, k)), rng.random(n) + 0.01
        salience = maths.normalise_salience(rng.random((n, k)) + 0.01)
        labels = rng.integers(-1, m + 1 if seed % 2 else m, n)  # with seed odd, coalition m has no members
        labels[labels >= m] = -1
        engaged = rng.random(n) < 0.9
        centres = _numpy_and_compiled(moves, maths.coalition_centres, positions, capability, labels, m, engaged)
        assert _same_bits(*centres)
        leaders = rng.random(n) < 0.1
        leaving = _numpy_and_compiled(moves, maths.defectors, positions, salience, labels, centres[0][0], engaged,
                                      leaders, 0.15 + 0.2 * rng.random())
        assert _same_bits(*leaving)
        found.update(leaving[0].tolist())
        later = positions + rng.normal(0.0, 0.01, positions.shape)
        if seed % 5 == 0:
            later[rng.integers(n), rng.integers(k)] = np.nan
        for limit in (0.005, float(np.abs(later - positions).max()), 0.05):  # below, at and above the largest move
            still = _numpy_and_compiled(moves, maths.moved_less, later, positions, limit)
            assert still[0] == still[1]
            stills.add(still[0])
    assert found == {False, True}  # some states stay and some leave
    assert stills == {False, True}


def test_the_states_answers_are_always_those_of_the_evaluation_in_force(scenarios_dir, monkeypatch):
    """After every respond phase, in rounds where the chair searched and in rounds where it kept the text and its
    evaluation (when the answers taken last round are not copied again), each state's declaration, utility, cost
    of objecting, mandate share and willingness to sign are those of the evaluation in force, for the states at
    the table as they are now (walk-outs included)."""
    real = decisions.respond
    kept = []

    def checked(model):
        handed = model.draft_evaluation  # the chair's evaluation of the draft, new or kept (None after adoption)
        reused = handed is not None and handed is model.evaluation
        real(model)
        ev = model.evaluation
        assert handed is None or ev is handed
        assert model.declaration.tobytes() == ev.declaration[:, 0].tobytes()
        assert model.utility.tobytes() == ev.utility[:, 0].tobytes()
        assert model.objection_cost_now.tobytes() == ev.cost[:, 0].tobytes()
        assert model.mandate_now.tobytes() == ev.mandate[:, 0].tobytes()
        assert (model.would_sign == (ev.members[:, 0] & model.engaged)).all()
        assert (model.support == (model.declaration == maths.SUPPORT)).all()
        kept.append(reused)

    monkeypatch.setattr(decisions, "respond", checked)
    walked = 0
    for name, overrides in (("global_stalemate.yaml", ["protocol.walkout_patience=3", "protocol.walkout_margin=0"]),
                            ("classroom.yaml", []), ("variants/un_cybercrime_two_thirds.yaml", [])):
        for seed in range(3):
            model = NegotiationModel(load_scenario(scenarios_dir / name, overrides), seed=seed).run()
            walked += len(model.departures)
    assert True in kept and False in kept and walked > 0  # both kinds of round, and walk-outs, were checked


def test_a_rounds_movement_is_the_same_compiled_as_in_numpy(moves):
    """How far a round moved the mandates of the engaged states and the draft (maths.movement) is the same number
    compiled as in numpy, also with nobody engaged, nothing moved, and a NaN in an engaged or a disengaged state's
    mandate or in the draft (numpy's max keeps it; Python's max of the two parts keeps the first unless the second
    is larger)."""
    seen = set()
    for seed in range(60):
        rng = np.random.default_rng(9500 + seed)
        n, k = int(rng.integers(1, 60)), int(rng.integers(1, 6))
        before, draft_before = rng.random((n, k)), rng.random(k)
        position = before + rng.normal(0, 0.01, (n, k)) * (rng.random((n, k)) < 0.7)
        draft = draft_before + (rng.normal(0, 0.02, k) if seed % 3 else 0.0)
        engaged = rng.random(n) < (0.0 if seed % 10 == 0 else 0.8)
        if seed % 4 == 1:
            position[rng.integers(n), rng.integers(k)] = np.nan
        if seed % 7 == 2:
            draft[rng.integers(k)] = np.nan
        answers = _numpy_and_compiled(moves, maths.movement, position, before, engaged, draft, draft_before)
        assert np.array_equal(*answers, equal_nan=True) and type(answers[0]) is type(answers[1]) is float
        seen.add("nan" if answers[0] != answers[0] else "zero" if answers[0] == 0 else "moved")
    assert seen == {"nan", "zero", "moved"}


def test_the_tally_of_a_failed_decision_is_the_same_compiled_as_in_numpy(moves):
    """Who objected, the objection and holdout counts and the walk-out streaks (maths.tally_objections) are the
    same compiled as in numpy, on random cases of 1 to 200 states with states away from the table, NaN utilities,
    utilities exactly at the thresholds and streaks already running; the counts and streaks change in place."""
    grew = set()
    for seed in range(40):
        rng = np.random.default_rng(9100 + seed)
        n = int(rng.integers(1, 200))
        declaration = rng.integers(-1, 2, n).astype(np.int8)
        engaged = rng.random(n) < 0.9
        reservation, cost, mandate, reach = rng.normal(0, 0.2, n), rng.random(n) * 0.3, rng.random(n), rng.random(n)
        mandate_cost, margin = float(rng.random() * 0.2), float(rng.random() * 0.1)
        utility = reservation + rng.normal(0, 0.3, n)
        ties = rng.random(n) < 0.1
        utility[ties] = (reservation - margin)[ties]  # exactly at the walk-out threshold: not deeply worse off
        utility[rng.random(n) < 0.05] = np.nan
        start = [rng.integers(0, 5, n).astype(np.int64) for _ in range(3)]
        answers = []
        for compiled in (False, True):
            moves(compiled)
            counts = [a.copy() for a in start]
            objecting = maths.tally_objections(declaration, engaged, utility, reservation, cost, mandate, reach,
                                               mandate_cost, margin, *counts)
            answers.append((objecting, *counts))
        assert all(_same_bits(a, b) for a, b in zip(*answers))
        objecting, objections, holdouts, streak = answers[1]
        assert (objections - start[0]).tolist() == objecting.astype(int).tolist()
        assert np.all((streak == 0) | (streak == start[2] + 1))
        grew.update(zip((holdouts > start[1]).tolist(), (streak > 0).tolist()))
    assert grew == {(False, False), (False, True), (True, False), (True, True)}  # every branch is taken


@pytest.mark.parametrize("activation", ["random", "simultaneous"])
def test_a_run_is_the_same_whichever_way_the_states_moved(activation, moves, scenarios_dir):
    """A whole run with coalitions gives the same summary and tables, to the last digit, with the concession phase
    in numpy and Python or in the compiled kernels, in both activations."""
    from sim.runner import run_once

    scenario = load_scenario(scenarios_dir / "global_stalemate.yaml", {"protocol.activation": activation})
    results = []
    for compiled in (False, True):
        moves(compiled)
        result = run_once(scenario, seed=3)
        results.append(result)
    python, compiled = results
    assert python.summary == compiled.summary
    assert python.rounds.to_csv() == compiled.rounds.to_csv()  # as written to disk: -0.0 and 0.0 told apart
    assert python.states.to_csv() == compiled.states.to_csv()


def _same_evaluation(a: decisions.Evaluation, b: decisions.Evaluation) -> bool:
    names = ("texts", "loss", "chance", "members", "value", "alive", "utility", "declaration", "cost", "mandate",
             "adoptable", "shortfall")
    return all(np.array_equal(getattr(a, name), getattr(b, name)) for name in names)


def test_search_reusing_the_last_search_gives_the_evaluation_of_the_texts(scenarios_dir):
    """The chair's search keeps what texts mean to the states from one search to the next; each search's evaluation
    equals evaluating its candidates afresh, round after round, with texts coming back and new ones among them."""
    model = NegotiationModel(load_scenario(scenarios_dir / "global_stalemate.yaml"), seed=3)
    searches = reused = unsupported = 0
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
        # the viability gap, worked out only for the texts nobody supports, gives the shortfalls it would give
        # worked out for every text
        st = decisions.stakes(model, texts, rule)
        gap = maths.viability_gap(st.loss, model.reservation_now, model.value_weights(rule), st.chance,
                                  model.scenario.treaty.participation_benefit, model.parties_needed, model.engaged)
        eager = maths.passes(rule, shortcut.declaration, shortcut.members, model.weights(rule), model.engaged,
                             threshold, model.scenario.rules.min_states, gap)
        assert _same_bits(eager, (shortcut.adoptable, shortcut.shortfall))
        unsupported += int((gap[~(shortcut.declaration == maths.SUPPORT).any(axis=0)] > 0).sum())
        searches += 1
        model.step()
    assert searches >= 5 and reused >= 3 and unsupported > 0  # some texts needed a gap above 0
    # with too few states at the table for any treaty to be viable the gap is infinite for every text, and the
    # shortfalls are those it gives worked out for every text
    model.engaged[6:] = False
    model.table_changed()
    texts = drafting.candidates(model, None)
    rule, threshold = decisions.current_rule(model)
    assert maths.never_viable(model.parties_needed, int(model.engaged.sum()))
    st = decisions.stakes(model, texts, rule)
    shortcut = decisions.declare(model, st, rule, threshold, model.position)
    gap = maths.viability_gap(st.loss, model.reservation_now, model.value_weights(rule), st.chance,
                              model.scenario.treaty.participation_benefit, model.parties_needed, model.engaged)
    assert np.isinf(gap).all()
    eager = maths.passes(rule, shortcut.declaration, shortcut.members, model.weights(rule), model.engaged,
                         threshold, model.scenario.rules.min_states, gap)
    assert _same_bits(eager, (shortcut.adoptable, shortcut.shortfall))
