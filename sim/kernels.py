"""Compiled kernels for the parts of a round where numpy's overhead on small arrays costs many times the arithmetic:
the states' moves one after another in random sequential activation (docs/ODD.md 7.6), the rest of the concession
phase in both activations, the distances, mandate shares, signing equilibrium, viability gap, declarations and
the rule's verdict of a batch evaluation (the chair's search and the states' answers), the tally of a decision that
adopted nothing, the coalitions' centres and who drifts from them, how far a round moved things, and the check of
whether any mandate has moved since a last look. The ratification chances (numpy's exp and power) stay in numpy.

Each state's move in random activation reads the positions the others hold at that moment, so a round is a chain of
small steps; elsewhere a round is a few dozen numpy calls on (N, K) and (N, T) arrays of a few hundred numbers each.
The kernels are compiled with numba (`cache=True`: compiled once per machine, kept in `__pycache__`) and do the same
arithmetic in the same order as the numpy and Python code of sim.maths they stand for. For the moves, as written out
in `maths.Concession.__doc__`:

- the partner pull of state i on dimension k is the sum over its partners j, in the order of the CSR form (columns
  ascending), of A_ij * p_jk, added one after another to +0.0 (as scipy's CSR product sums a row, and numpy's
  add.reduce with initial=0.0 down the first axis of a (partners, K) array); on three dimensions the three sums
  run side by side, partner after partner, each still its own chain in that order;
- the new position is (keep * p + pull * s) + base, then raised to the lower red line, then lowered to the upper one.

No fast-math: every product and sum is rounded as IEEE 754 prescribes, with nothing fused or reordered, so a seed
gives the same numbers whichever code ran (tests/test_shortcuts.py compares every kernel with its numpy code and the
moves with scipy's CSR product, bit for bit, signed zeros included).

The small helpers called once per state or per text (`_move`, `weighted_square`) are inlined: a compiled call that
passes a dozen arrays costs more than the arithmetic it does, and inlining changes no operation.

numba is imported only when a process has spent a while in the Python code these kernels stand for
(maths.COMPILE_AFTER_S), so commands that spend little (validate, report, a single run) do not load the compiler.
Where numba cannot load or compile the kernels, the Python code runs on, with one warning
(maths._compiled_kernels).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True, inline="always")
def _move(i, keep, pull, base, low, high, indptr, indices, data, read, write):  # pragma: no cover
    """State i's move: its new position from the positions in `read`, written to row i of `write`."""
    three = read.shape[1] == 3
    sums = _three_sums(i, indptr, indices, data, read) if three else (0.0, 0.0, 0.0)
    for k in range(read.shape[1]):
        if three:
            s = sums[k]
        else:
            s = 0.0  # +0.0, then each product in turn, as scipy's CSR product adds them
            for q in range(indptr[i], indptr[i + 1]):
                s += data[q] * read[indices[q], k]
        v = keep[i, k] * read[i, k] + pull[i, k] * s + base[i, k]
        if v < low[i, k]:
            v = low[i, k]
        if v > high[i, k]:
            v = high[i, k]
        write[i, k] = v


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True, inline="always")
def _three_sums(i, indptr, indices, data, read):  # pragma: no cover
    """State i's partner sums on three dimensions side by side, partner after partner: each sum is the same chain
    from +0.0 as one dimension at a time, but the three run in registers at once (2-3 times faster)."""
    s0 = s1 = s2 = 0.0
    for q in range(indptr[i], indptr[i + 1]):
        j, a = indices[q], data[q]
        s0 += a * read[j, 0]
        s1 += a * read[j, 1]
        s2 += a * read[j, 2]
    return s0, s1, s2


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def moves_in_order(order, to_move, keep, pull, base, low, high, indptr, indices, data, positions):  # pragma: no cover
    """Move the states of `order` (rows, in activation order) that are `to_move`, one after another, in place.

    keep, pull, base, low, high: (N, K) coefficients of the round's rule; indptr, indices, data: the partner weights
    A in CSR form; positions (N, K) is read and written as the states move.
    """
    for t in range(order.shape[0]):
        i = order[t]
        if to_move[i]:
            _move(i, keep, pull, base, low, high, indptr, indices, data, positions, positions)


# ------------------------------------------------------------------------------------------------------------------
# The rest of a round's concession, for both activations: the rule's coefficients, the simultaneous moves, how far
# the states conceded toward each other and the reciprocity that follows. Each kernel does what the numpy code of
# sim.maths named in its docstring does, in the order numpy does it on the wheels the project pins:
# - a sum down the first axis of an (N, K) array adds the rows one after another, from the first (for K > 1; an
#   (N, 1) array is summed as a vector);
# - a sum of a contiguous vector is numpy's pairwise sum (`pairwise_sum`);
# - einsum's salience-weighted sum of squares over K <= 7 dimensions adds the even and the odd dimensions in two
#   lanes, each from +0.0, then the two (`weighted_square`); with more dimensions the numpy code runs instead.
# tests/test_shortcuts.py compares each kernel with its numpy code, bit for bit.

MAX_DIMS = 7  # the most dimensions for which `weighted_square` is einsum's order


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def _pairwise_block(a, start, n):  # pragma: no cover
    """numpy's pairwise sum of a block of at most 128 numbers: eight running sums, then their tree, then the tail."""
    if n < 8:
        res = -0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[start + i]
        r1 += a[start + i + 1]
        r2 += a[start + i + 2]
        r3 += a[start + i + 3]
        r4 += a[start + i + 4]
        r5 += a[start + i + 5]
        r6 += a[start + i + 6]
        r7 += a[start + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def pairwise_sum(a, start, n):  # pragma: no cover
    """numpy's pairwise sum of a[start:start + n] (numpy/_core/src/umath/loops_utils.h.src): blocks of up to 128
    numbers; a longer run is split at half its length rounded down to a multiple of 8 and the two halves' sums added.

    The recursion is unrolled onto a stack (numba's cache cannot reload a recursive function)."""
    if n <= 128:
        return _pairwise_block(a, start, n)
    starts = np.empty(256, np.intp)  # pending runs: start, length, and whether their halves are summed already
    lengths = np.empty(256, np.intp)
    halves_done = np.empty(256, np.bool_)
    sums = np.empty(128)
    top = 0
    level = 0
    starts[0], lengths[0], halves_done[0] = start, n, False
    top = 1
    while top > 0:
        top -= 1
        s, m, done = starts[top], lengths[top], halves_done[top]
        if m <= 128:
            sums[level] = _pairwise_block(a, s, m)
            level += 1
        elif done:
            level -= 1
            sums[level - 1] = sums[level - 1] + sums[level]
        else:
            half = m // 2
            half -= half % 8
            starts[top], lengths[top], halves_done[top] = s, m, True
            starts[top + 1], lengths[top + 1], halves_done[top + 1] = s + half, m - half, False
            starts[top + 2], lengths[top + 2], halves_done[top + 2] = s, half, False
            top += 3
    return sums[0]


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True, inline="always")
def weighted_square(salience, i, gap):  # pragma: no cover
    """sum_k s_ik * (g_k * g_k) as einsum adds it for K <= MAX_DIMS: even and odd k in two lanes from +0.0."""
    if gap.shape[0] == 3:
        return _square3(salience, i, gap[0], gap[1], gap[2])
    even = 0.0
    odd = 0.0
    for k in range(gap.shape[0]):
        p = salience[i, k] * (gap[k] * gap[k])
        if k % 2 == 0:
            even += p
        else:
            odd += p
    return even + odd


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True, inline="always")
def _square3(salience, i, g0, g1, g2):  # pragma: no cover
    """weighted_square of three gaps held in registers, in the same order: (0 + s0 g0^2 + s2 g2^2) + (0 + s1 g1^2)."""
    even = 0.0 + salience[i, 0] * (g0 * g0)
    even += salience[i, 2] * (g2 * g2)
    return even + (0.0 + salience[i, 1] * (g1 * g1))


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def coefficients(ideal, draft, weights, flexibility, willingness, reach, rate, anchor, noise):  # pragma: no cover
    """keep, pull, base (N, K) of maths.Concession.__init__."""
    n, n_dims = weights.shape
    keep = np.empty((n, n_dims))
    pull = np.empty((n, n_dims))
    base = np.empty((n, n_dims))
    for i in range(n):
        step = rate * noise[i]
        if not step <= 0.5:  # np.minimum(step, 0.5), NaN kept
            step = 0.5 if step == step else step
        scale = flexibility[i] * willingness[i]
        home = (1.0 - flexibility[i]) * anchor
        for k in range(n_dims):
            yielding = scale * weights[i, k]
            keep[i, k] = 1.0 - step * (yielding * (1.0 + reach[i]) + home)
            pull[i, k] = step * yielding
            base[i, k] = step * (yielding * draft[k] + home * ideal[i, k])
    return keep, pull, base


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def simultaneous_moves(to_move, keep, pull, base, low, high, indptr, indices, data, positions):  # pragma: no cover
    """maths.Concession.simultaneous: every state that is `to_move` moves on the same snapshot; a new array."""
    moved = positions.copy()
    for i in range(positions.shape[0]):
        if to_move[i]:
            _move(i, keep, pull, base, low, high, indptr, indices, data, positions, moved)
    return moved


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def concession_toward(before, after, salience, capability, engaged):  # pragma: no cover
    """received, given (N,) of maths.concession_toward."""
    n, n_dims = before.shape
    w = np.empty(n)
    for i in range(n):
        w[i] = capability[i] * (1.0 if engaged[i] else 0.0)
    total = pairwise_sum(w, 0, n)
    received = np.zeros(n)
    given = np.zeros(n)
    if total <= 0.0:
        return received, given
    sum_before = np.empty(n_dims)
    sum_after = np.empty(n_dims)
    for k in range(n_dims):
        sum_before[k] = w[0] * before[0, k]
        sum_after[k] = w[0] * after[0, k]
    if n_dims == 1:  # an (N, 1) array is contiguous down its first axis: numpy sums it pairwise
        column = np.empty(n)
        for i in range(n):
            column[i] = w[i] * before[i, 0]
        sum_before[0] = pairwise_sum(column, 0, n)
        for i in range(n):
            column[i] = w[i] * after[i, 0]
        sum_after[0] = pairwise_sum(column, 0, n)
    else:
        for i in range(1, n):
            for k in range(n_dims):
                sum_before[k] += w[i] * before[i, k]
                sum_after[k] += w[i] * after[i, k]
    gap = np.empty(n_dims)
    for i in range(n):
        rest = total - w[i]
        if not rest >= 1e-300:
            rest = 1e-300 if rest == rest else rest
        for k in range(n_dims):
            gap[k] = (sum_before[k] - w[i] * before[i, k]) / rest - before[i, k]
        apart = np.sqrt(weighted_square(salience, i, gap))
        for k in range(n_dims):
            gap[k] = (sum_after[k] - w[i] * after[i, k]) / rest - before[i, k]
        r = apart - np.sqrt(weighted_square(salience, i, gap))
        for k in range(n_dims):
            gap[k] = (sum_before[k] - w[i] * before[i, k]) / rest - after[i, k]
        g = apart - np.sqrt(weighted_square(salience, i, gap))
        received[i] = r if r >= 0.0 or r != r else 0.0
        given[i] = g if g >= 0.0 or g != g else 0.0
    return received, given


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def reciprocity_factor(received, given, strength):  # pragma: no cover
    """maths.reciprocity_factor."""
    n = received.shape[0]
    out = np.empty(n)
    for i in range(n):
        ratio = received[i] / given[i] if given[i] > 1e-9 else 1.0
        out[i] = (1.0 - strength) + strength * (1.0 if 1.0 <= ratio else ratio)
    return out


# ------------------------------------------------------------------------------------------------------------------
# The chair's search and the states' answers weigh a batch of T texts at once (sim.model.decisions). The kernels
# below stand for the numpy code of sim.maths named in each docstring, in numpy's order as above; an (N, T) array
# summed down its first axis with T = 1 is a vector, summed pairwise.


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def distance_matrix(points, texts, salience):  # pragma: no cover
    """maths.distance_matrix (N, T), for K <= MAX_DIMS."""
    n, n_dims = points.shape
    n_texts = texts.shape[0]
    out = np.empty((n, n_texts))
    gap = np.empty(n_dims)
    for i in range(n):
        for t in range(n_texts):
            if n_dims == 3:  # the gaps in registers (three times faster)
                square = _square3(salience, i, texts[t, 0] - points[i, 0], texts[t, 1] - points[i, 1],
                                  texts[t, 2] - points[i, 2])
            else:
                for k in range(n_dims):
                    gap[k] = texts[t, k] - points[i, k]
                square = weighted_square(salience, i, gap)
            out[i, t] = np.sqrt(square)
    return out


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def mandate_share(position, texts, salience, to_ideal):  # pragma: no cover
    """maths.mandate_share (N, T) given the texts' distances from the ideals, for K <= MAX_DIMS."""
    to_mandate = distance_matrix(position, texts, salience)
    n, n_texts = to_mandate.shape
    for i in range(n):
        for t in range(n_texts):
            share = 1.0 - to_mandate[i, t] / to_ideal[i, t] if to_ideal[i, t] > 1e-12 else 1.0
            if not (share >= 0.0 or share != share):
                share = 0.0
            if not (share <= 1.0 or share != share):
                share = 1.0
            to_mandate[i, t] = share
    return to_mandate


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True, inline="always")
def _all(flags):  # pragma: no cover
    """flags.all() of a boolean vector."""
    for flag in flags:
        if not flag:
            return False
    return True


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def _column_sums(values):  # pragma: no cover
    """values.sum(axis=0) of an (N, T) array as numpy adds it: rows one after another, or pairwise when T = 1."""
    n, n_texts = values.shape
    sums = np.empty(n_texts)
    if n_texts == 1:
        column = np.empty(n)
        for i in range(n):
            column[i] = values[i, 0]
        sums[0] = pairwise_sum(column, 0, n)
        return sums
    for t in range(n_texts):
        sums[t] = values[0, t]
    for i in range(1, n):
        for t in range(n_texts):
            sums[t] += values[i, t]
    return sums


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def declarations(utility, reservation, members, weight, engaged, base_cost, isolation_cost, mandate_cost,
                 mandate):  # pragma: no cover
    """maths.declarations: each state's declaration (N, T) int8 and its cost of objecting (N, T)."""
    n, n_texts = utility.shape
    everyone = _all(engaged)
    others = np.empty(n)
    for i in range(n):
        others[i] = 1.0 / (1.0 - weight[i]) if weight[i] < 1.0 else 0.0
    fixed = np.empty((n, n_texts))
    for i in range(n):
        for t in range(n_texts):
            fixed[i, t] = base_cost + mandate_cost * mandate[i, t]
    objecting = np.zeros((n, n_texts), np.bool_)
    now = np.empty((n, n_texts), np.bool_)
    quiet = np.empty((n, n_texts))
    cost = np.empty((n, n_texts))
    for _ in range(n + 1):
        for i in range(n):
            for t in range(n_texts):
                quiet[i, t] = 0.0 if objecting[i, t] else weight[i]
        total = _column_sums(quiet)
        same = True
        for i in range(n):
            for t in range(n_texts):
                share = (total[t] - quiet[i, t]) * others[i]
                if not (share >= 0.0 or share != share):
                    share = 0.0
                if not (share <= 1.0 or share != share):
                    share = 1.0
                c = fixed[i, t] + isolation_cost * share
                cost[i, t] = c
                o = utility[i, t] < reservation[i] - c
                if not everyone:
                    o = o and engaged[i]
                now[i, t] = o
                if o != objecting[i, t]:
                    same = False
        if same:
            break
        objecting, now = now, objecting
    decl = np.empty((n, n_texts), np.int8)
    for i in range(n):
        for t in range(n_texts):
            if objecting[i, t]:
                decl[i, t] = -1
            elif engaged[i] and (members[i, t] or utility[i, t] > reservation[i] + 1e-12):
                decl[i, t] = 1
            else:
                decl[i, t] = 0
    return decl, cost


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def compromise(positions, salience, capability, mask):  # pragma: no cover
    """maths.compromise's usual case: the weighted mean of the positions of the states in `mask` (K,), and whether
    every dimension has a positive total weight (if not, the caller's numpy code handles that case)."""
    n, n_dims = positions.shape
    m = 0
    for i in range(n):
        if mask[i]:
            m += 1
    weights = np.empty((m, n_dims))
    weighted = np.empty((m, n_dims))
    row = 0
    for i in range(n):
        if mask[i]:
            for k in range(n_dims):
                w = salience[i, k] * capability[i]
                weights[row, k] = w
                weighted[row, k] = w * positions[i, k]
            row += 1
    total = _column_sums(weights)
    text = _column_sums(weighted)
    usual = True
    for k in range(n_dims):
        if not total[k] > 0:
            usual = False
        text[k] = text[k] / total[k] if total[k] != 0.0 else 0.0
    return text, usual


# ------------------------------------------------------------------------------------------------------------------
# Who would sign each text, and how far a text is from any viable membership (maths.signing_equilibrium and
# maths.viability_gap): one stable sort per text, then running sums and maxima down the sorted states. A stable sort's
# order is fixed by the keys alone (ties keep the row order), so numba's merge sort gives numpy's; numpy's running
# sums (cumsum) and maxima (maximum.accumulate) down the first axis go one row after another, and its maximum and
# minimum keep the later of two equal numbers (which decides only the sign of a zero) and carry a NaN.


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def signing_equilibrium(loss, reservation, weight, chance, benefit, spill, externality, min_parties, free,
                        locked, any_locked):  # pragma: no cover
    """maths.signing_equilibrium for a 2-D `chance` (N, T): members (N, T), B v (T,) and whether each text's treaty
    is in being (T,). `free`: the eligible states that are not locked; `locked`: the signatories of an adopted text
    (used only when `any_locked`)."""
    n, n_texts = loss.shape
    slack = 1e-12
    need = min_parties - 1e-9
    keep_share = (1.0 - spill) * benefit
    pull = spill * benefit
    base_v = np.zeros(n_texts)
    base_p = 0.0
    if any_locked:
        rows = 0
        for i in range(n):
            if locked[i]:
                rows += 1
        bound = np.empty((rows, n_texts))
        row = 0
        for i in range(n):
            if locked[i]:
                for t in range(n_texts):
                    bound[row, t] = weight[i] * chance[i, t]
                row += 1
        base_v = _column_sums(bound)
        base_p = float(rows)
    members = np.zeros((n, n_texts), np.bool_)
    value = np.empty(n_texts)
    alive = np.empty(n_texts, np.bool_)
    key = np.empty(n)
    wp = np.empty(n)
    cum_v = np.empty(n)
    for t in range(n_texts):
        for i in range(n):
            wp[i] = weight[i] * chance[i, t]
            h = reservation[i] + (1.0 - externality) * loss[i, t] - pull * wp[i]
            key[i] = h if free[i] else np.inf
        order = np.argsort(key, kind="mergesort")
        v = 0.0
        count = 0.0
        run_a = -np.inf
        viable_before = any_locked
        ks = 0
        for q in range(n):
            i = order[q]
            # numpy skips the masks when every state is free; with them all true they change no number
            add = wp[i] if free[i] else 0.0
            v = add if q == 0 else v + add
            count += 1.0 if free[i] else 0.0
            a = loss[i, t] + reservation[i] if free[i] else -np.inf
            run_a = a if q == 0 or not (run_a > a or run_a != run_a) else run_a
            total = base_v[t] + v if any_locked else v
            members_now = base_p + count if any_locked else count
            cum_v[q] = total
            viable = members_now >= need and run_a <= benefit * total + slack and free[i]
            settled = key[i] <= keep_share * total + slack
            if viable and (settled or not viable_before):
                ks = q + 1
            viable_before = viable
        for q in range(ks):
            i = order[q]
            if free[i]:
                members[i, t] = True
        if ks > 0:
            value[t] = benefit * cum_v[ks - 1]
        else:
            value[t] = benefit * (base_v[t] if any_locked else 0.0)
        alive[t] = ks > 0 or any_locked
    if any_locked:
        for i in range(n):
            if locked[i]:
                for t in range(n_texts):
                    members[i, t] = True
    return members, value, alive


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def viability_gap(loss, reservation, weight, chance, benefit, start, eligible):  # pragma: no cover
    """maths.viability_gap (T,) for a 2-D `chance` (N, T), with `start` < N (the first size that counts, less 1)."""
    n, n_texts = loss.shape
    everyone = _all(eligible)
    out = np.empty(n_texts)
    a = np.empty(n)
    for t in range(n_texts):
        for i in range(n):
            a[i] = loss[i, t] + reservation[i] if eligible[i] else np.inf
        order = np.argsort(a, kind="mergesort")
        v = 0.0
        low = np.inf
        for q in range(n):
            i = order[q]
            wp = weight[i] * chance[i, t]
            if not everyone and not np.isfinite(a[i]):
                wp = 0.0
            v = wp if q == 0 else v + wp
            gap = a[i] - benefit * v
            if q == start:
                low = gap
            elif q > start:
                low = low if (low < gap or low != low) else gap
        out[t] = low if (low > 0.0 or low != low) else 0.0
    return out


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def passes(rule, decl, members, weight, engaged, threshold, min_states, unviable):  # pragma: no cover
    """maths.passes: whether the rule adopts each text (T,) and how far each falls short (T,); `rule` 0 consensus,
    1 a majority vote, 2 plurilateral; `unviable` (T,)."""
    n, n_texts = decl.shape
    slack = 1e-6
    first = np.zeros((n, n_texts))  # the weights summed down the states: objectors, supporters or signers
    second = np.zeros((n, n_texts))  # under a vote, the objectors
    counts = np.zeros(n_texts, np.int64)
    any_yes = np.zeros(n_texts, np.bool_)
    any_no = np.zeros(n_texts, np.bool_)
    for i in range(n):
        for t in range(n_texts):
            yes = decl[i, t] == 1 and engaged[i]
            no = decl[i, t] == -1 and engaged[i]
            any_yes[t] |= yes
            any_no[t] |= no
            if rule == 0:
                first[i, t] = weight[i] if no else 0.0
            elif rule == 1:
                first[i, t] = weight[i] if yes else 0.0
                second[i, t] = weight[i] if no else 0.0
            else:
                signer = members[i, t] and engaged[i]
                first[i, t] = weight[i] if signer else 0.0
                counts[t] += signer
    ok = np.empty(n_texts, np.bool_)
    shortfall = np.empty(n_texts)
    total = _column_sums(first)
    if rule == 0:
        for t in range(n_texts):
            ok[t] = not any_no[t] and any_yes[t]
            shortfall[t] = 0.0 if ok[t] else total[t] + (0.0 if any_yes[t] else 1.0) * (1.0 + unviable[t])
    elif rule == 1:
        against = _column_sums(second)
        for t in range(n_texts):
            y = total[t]
            voting = y + against[t]
            share = y / voting if voting > 0 else 0.0
            ok[t] = share >= threshold - slack and y > 0
            short = threshold * voting - y
            short = short if short > 1e-9 or short != short else 1e-9
            shortfall[t] = 0.0 if ok[t] else short + (1.0 if y <= 0 else 0.0) * (1.0 + unviable[t])
    else:
        for t in range(n_texts):
            ok[t] = counts[t] >= min_states and total[t] >= threshold - slack
            short = threshold - total[t]
            short = short if short > 0.0 or short != short else 0.0
            missing = min_states - counts[t]
            shortfall[t] = 0.0 if ok[t] else short + (missing if missing > 0 else 0) * 1e-3
    return ok, shortfall


# ------------------------------------------------------------------------------------------------------------------
# Coalitions (sim.model.coalitions): the centres of the coalitions and who drifts too far from theirs. np.bincount
# with weights adds each state's weight to its coalition's total in row order, from +0.0.


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def coalition_centres(positions, capability, labels, n_coalitions, engaged):  # pragma: no cover
    """maths.coalition_centres: each coalition's capability-weighted centre (M, K) and whether it has members (M,)."""
    n, n_dims = positions.shape
    centres = np.zeros((n_coalitions, n_dims))
    mass = np.zeros(n_coalitions)
    for i in range(n):
        c = labels[i]
        if c >= 0 and engaged[i]:
            w = capability[i]
            mass[c] += w
            for k in range(n_dims):
                centres[c, k] += positions[i, k] * w
    alive = np.empty(n_coalitions, np.bool_)
    for c in range(n_coalitions):
        alive[c] = mass[c] > 0
        if alive[c]:
            for k in range(n_dims):
                centres[c, k] /= mass[c]
    return centres, alive


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def defectors(positions, salience, labels, centres, engaged, leaders, limit):  # pragma: no cover
    """maths.defectors for K <= MAX_DIMS: the members (not leaders) farther from their coalition's centre than
    `limit` (N,)."""
    n, n_dims = positions.shape
    out = np.zeros(n, np.bool_)
    gap = np.empty(n_dims)
    for i in range(n):
        c = labels[i]
        if c >= 0 and engaged[i] and not leaders[i]:
            for k in range(n_dims):
                gap[k] = centres[c, k] - positions[i, k]
            out[i] = np.sqrt(weighted_square(salience, i, gap)) > limit
    return out


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def movement(position, before, engaged, draft, draft_before):  # pragma: no cover
    """maths.movement: numpy's max of each part (a NaN kept, from +0.0), then Python's max of the two (the first
    unless the second is larger)."""
    mandates = _largest_change(position, before, engaged)
    k = draft.shape[0]
    text = _largest_change(draft.reshape((1, k)), draft_before.reshape((1, k)), None)
    return text if text > mandates else mandates


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def tally_objections(declaration, engaged, utility, reservation, cost, mandate, reach, mandate_cost, walkout_margin,
                     objections, holdouts, streak):  # pragma: no cover
    """maths.tally_objections, element by element in the same operations (-1 is maths.OBJECT)."""
    n = declaration.shape[0]
    objecting = np.empty(n, np.bool_)
    for i in range(n):
        o = engaged[i] and declaration[i] == -1
        objecting[i] = o
        if o:
            objections[i] += 1
            without_mandate = cost[i] - mandate_cost * mandate[i]
            if utility[i] < reservation[i] - without_mandate - mandate_cost * reach[i]:
                holdouts[i] += 1
        streak[i] = streak[i] + 1 if o and utility[i] < reservation[i] - walkout_margin else 0
    return objecting


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def moved_less(now, then, limit):  # pragma: no cover
    """maths.moved_less of two (N, K) arrays: no |now - then| reaches `limit` (NaN counts as not below, as in numpy's
    max, which keeps a NaN)."""
    return _largest_change(now, then, None) < limit


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True, inline="always")
def _largest_change(now, then, rows):  # pragma: no cover
    """The largest |now - then| of two (N, K) arrays over the rows where `rows` (all rows if None), from +0.0, as
    numpy's max gives it: a NaN is kept."""
    largest = 0.0
    for i in range(now.shape[0]):
        if rows is not None and not rows[i]:
            continue
        for k in range(now.shape[1]):
            gap = abs(now[i, k] - then[i, k])
            if gap != gap:
                return gap
            if gap > largest:
                largest = gap
    return largest


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def simultaneous_round(ideal, draft, weights, flexibility, willingness, reach, rate, anchor, noise, movers, low,
                       high, indptr, indices, data, positions, salience, capability, engaged, received, given,
                       strength):  # pragma: no cover
    """maths.simultaneous_round for K <= MAX_DIMS: the kernels above in turn, in one call (the rule's coefficients,
    every mover's move on the same snapshot, how far the states conceded toward each other, added to `received`
    and `given` in place, and the reciprocity factor): the new positions and the factor."""
    keep, pull, base = coefficients(ideal, draft, weights, flexibility, willingness, reach, rate, anchor, noise)
    moved = simultaneous_moves(movers, keep, pull, base, low, high, indptr, indices, data, positions)
    toward, gave = concession_toward(positions, moved, salience, capability, engaged)
    for i in range(received.shape[0]):
        received[i] += toward[i]
        given[i] += gave[i]
    return moved, reciprocity_factor(received, given, strength)
