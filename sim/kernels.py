"""Compiled loops for what numpy cannot vectorise: the states' moves one after another in random sequential
activation (docs/ODD.md 7.3).

Each state's move reads the positions the others hold at that moment, so a round is a chain of small steps; in
Python each step costs numpy's overhead on a handful of numbers, many times what the arithmetic costs. The loop is
compiled with numba (`cache=True`: compiled once per machine, kept in `__pycache__`) and does the same arithmetic
in the same order as the rule of `maths.Concession`, written out in `maths.Concession.__doc__`:

- the partner pull of state i on dimension k is the sum over its partners j, in the order of the CSR form (columns
  ascending), of A_ij * p_jk, added one after another to +0.0 (as scipy's CSR product sums a row, and numpy's
  add.reduce with initial=0.0 down the first axis of a (partners, K) array);
- the new position is (keep * p + pull * s) + base, then raised to the lower red line, then lowered to the upper one.

No fast-math: every product and sum is rounded as IEEE 754 prescribes, with nothing fused or reordered, so a seed
gives the same numbers on any machine (tests/test_shortcuts.py compares the loop with the Python moves of
maths.Concession and with scipy's CSR product, bit for bit, signed zeros included).

numba is imported only when a process has spent a while moving states one by one (maths.COMPILE_AFTER_S), so
commands that never do (validate, report, a single run, a run with simultaneous activation) do not load the
compiler. Where numba cannot load or compile the loop, the moves stay in Python with one warning
(maths._compiled_loop).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, fastmath=False, boundscheck=False, nogil=True)
def moves_in_order(order, to_move, keep, pull, base, low, high, indptr, indices, data, positions):  # pragma: no cover
    """Move the states of `order` (rows, in activation order) that are `to_move`, one after another, in place.

    keep, pull, base, low, high: (N, K) coefficients of the round's rule; indptr, indices, data: the partner weights
    A in CSR form; positions (N, K) is read and written as the states move.
    """
    n_dims = positions.shape[1]
    for t in range(order.shape[0]):
        i = order[t]
        if not to_move[i]:
            continue
        start, stop = indptr[i], indptr[i + 1]
        for k in range(n_dims):
            s = 0.0  # +0.0, then each product in turn, as scipy's CSR product adds them
            for q in range(start, stop):
                s += data[q] * positions[indices[q], k]
            v = keep[i, k] * positions[i, k] + pull[i, k] * s + base[i, k]
            if v < low[i, k]:
                v = low[i, k]
            if v > high[i, k]:
                v = high[i, k]
            positions[i, k] = v

