"""Estimate every UN member state's position on two latent dimensions from its General Assembly votes, 2010-2019.

    python3 scripts/estimate_ideal_points.py --out data/unga/ideal_points_2010_2019.csv --force
    python3 scripts/estimate_ideal_points.py --exclude A/RES/74/247 --exclude R/73/27 --out ip.csv

The model: a two-dimensional ordinal item-response model of yes / abstain / no votes, the model of Bailey,
Strezhnev and Voeten (2017, "Estimating dynamic state preferences from United Nations voting data", Journal of
Conflict Resolution 61(2)) without its dynamics and with two dimensions instead of one. State i has an ideal point
x_i in R^2, roll call j a discrimination vector beta_j in R^2 and two cut points a_j < b_j; with eta_ij = x_i . beta_j

    P(no) = L(a_j - eta_ij),   P(no or abstain) = L(b_j - eta_ij),   P(yes) = 1 - L(b_j - eta_ij)

where L is the logistic function (an ordered logit; abstention lies between no and yes, as in Bailey et al.).
The cut points are parametrised as a_j and gamma_j = log(b_j - a_j), so that a_j < b_j always holds.

Priors (they make the estimate a maximum a posteriori, MAP, one): x_i ~ N(0, I), which fixes the location and scale;
beta_j ~ N(0, 2.5^2 I), a weakly informative prior on the logit scale (Gelman et al. 2008) that keeps the many
near-unanimous roll calls from running off to infinite discrimination; a_j ~ N(0, 5^2) and gamma_j ~ N(0, 2^2).
The log posterior is maximised over all parameters at once by L-BFGS (scipy.optimize.minimize) with the analytic
gradient written below; every sum over votes is a vectorised numpy operation (np.bincount), with no Python loop over
votes. The start is deterministic: the first two singular vectors of the vote matrix (yes +1, abstain 0, no -1,
missing 0, centred per roll call), as in the SVD starts of Imai, Lo and Olmsted (2016).

Identification. The likelihood and the priors are unchanged by any rotation or reflection of the latent space, so
the fitted points are rotated afterwards to their principal axes (dimension 1 is the direction in which the states'
positions spread most) and each axis is given its sign by a named anchor state: the United States (US) is positive
on dimension 1 and Russia (RU) positive on dimension 2 (each lies more than 40 standard errors from zero on its
axis, so the sign cannot flip with small changes to the data). Dimension 1 then runs from the Russia/China/Iran side
(negative) to the US/Israel side (positive); the script checks that this holds rather than assuming it.

Uncertainty. Each state's standard errors come from the Laplace approximation of its position's posterior given the
roll-call parameters at their MAP: the inverse of the 2 x 2 negative Hessian of the log posterior in x_i (the prior's
identity plus sum_j w_ij beta_j beta_j', with w_ij the curvature of the vote's log probability in eta). Why this and
not a parametric bootstrap: the Hessian is exact, costs one pass over the votes, and gives the same bytes on every
run, while a bootstrap needs dozens of refits, each aligned back to the original by a Procrustes rotation (the full
joint Hessian is singular along the rotation, which the data cannot fix). What it leaves out is the uncertainty of
the roll-call parameters, small here: each of the 921 roll calls is estimated from about 180 votes and each state's
position from about 850. Checked once by a parametric bootstrap (4 refits on votes simulated from the fit, each
aligned by Procrustes): the refits' spread was 0.84 (dimension 1) and 0.80 (dimension 2) times these standard
errors at the median, about what 4 draws give when the two agree; but the refits' mean moved 0.17 / 0.20 from the
estimate on average, the known tendency of joint maximum-likelihood IRT to stretch the scale. So the errors suit
comparisons of states within this fit; read absolute distances with that caveat.

Why hand-written and not a library: the item-response packages on PyPI (girth, py-irt, pyirt) fit one-dimensional
or binary models, are unmaintained or pull in PyTorch/Pyro; none fits a multidimensional ordinal model of votes.
emIRT (Imai et al.) is an R package. The model above is about sixty lines of numpy on top of scipy's optimiser.

Output: one row per state, sorted by ISO code, columns iso2, country, dim1, dim2, se1, se2, n_votes (votes cast:
yes, no or abstain), floats written with three decimals (the smallest standard error is 0.04; the optimiser
converges to about 1e-4) so that reruns give the same bytes.

Exit codes: 0 ok, 2 bad usage, 3 invalid input (one line naming file, line and column), 4 the optimiser did not
converge (nothing is written).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize
from scipy.special import expit
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.datafiles import InputError, csv_rows as _rows, write_new as _write_new  # noqa: E402
DATA = ROOT / "data" / "unga"
DEFAULT_VOTES = DATA / "unga_votes_2010_2019.csv"
DEFAULT_ROLL_CALLS = DATA / "unga_roll_calls_2010_2019.csv"
DEFAULT_COUNTRIES = DATA / "unga_countries.csv"
DEFAULT_CYBER = DATA / "unga_cyber_votes_wide.csv"

N_DIMS = 2
VOTE_CODE = {"no": 0, "abstain": 1, "yes": 2}
SIGN_ANCHORS = ("US", "RU")  # positive on dimension 1 and on dimension 2
PRIOR_SD_DISCRIMINATION = 2.5
PRIOR_SD_CUT = 5.0
PRIOR_SD_LOG_GAP = 2.0
MAX_ITERATIONS = 20000
DECIMALS = 3
COLUMNS = ("iso2", "country", "dim1", "dim2", "se1", "se2", "n_votes")

# For the checks: the two sides that dimension 1 must separate.
WESTERN = ("US", "IL")
SOVEREIGNTIST = ("RU", "CN", "IR", "SY", "KP", "CU", "BY", "VE", "NI")
US_LED_CYBER = ("R/73/266", "A/RES/74/28")

EXIT_OK, EXIT_INPUT, EXIT_NOT_CONVERGED = 0, 3, 4


class NotConverged(RuntimeError):
    """The optimiser stopped without meeting its convergence test."""


@dataclass(frozen=True)
class RollCalls:
    """Votes as parallel arrays: vote v[k] (0 no, 1 abstain, 2 yes) of state s[k] on roll call r[k], sorted by
    (vote, roll call, state), so that each kind of vote is one contiguous block."""

    states: tuple[str, ...]  # ISO codes, sorted
    names: tuple[str, ...]
    rcids: tuple[int, ...]  # sorted
    state: np.ndarray
    item: np.ndarray
    vote: np.ndarray

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_items(self) -> int:
        return len(self.rcids)

    @property
    def cell(self) -> np.ndarray:
        """Each vote's index in the states x roll calls matrix, read row by row."""
        return self.state * self.n_items + self.item

    @property
    def blocks(self) -> tuple[slice, slice, slice]:
        """Where the no votes, the abstentions and the yes votes are."""
        edges = np.searchsorted(self.vote, [0, 1, 2, 3])
        return tuple(slice(int(edges[k]), int(edges[k + 1])) for k in range(3))

    def vote_matrix(self) -> np.ndarray:
        """states x roll calls, yes +1, abstain 0, no -1, missing nan."""
        out = np.full((self.n_states, self.n_items), np.nan)
        out[self.state, self.item] = self.vote - 1.0
        return out


@dataclass(frozen=True)
class Fit:
    ideal: np.ndarray  # states x dims
    discrimination: np.ndarray  # roll calls x dims
    cut_low: np.ndarray  # a_j
    cut_high: np.ndarray  # b_j
    log_posterior: float
    iterations: int


# --------------------------------------------------------------------------------------------------- reading --
def read_countries(path: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    for line, row in _rows(path, ("iso2", "country")):
        if not re.fullmatch(r"[A-Z]{2}", row["iso2"]):
            raise InputError(path, line, "iso2", f"{row['iso2']!r} is not a two-letter ISO code")
        if row["iso2"] in names:
            raise InputError(path, line, "iso2", f"{row['iso2']} is listed twice")
        names[row["iso2"]] = row["country"]
    return names


def read_roll_call_ids(path: Path) -> dict[str, list[int]]:
    """Resolution symbol -> its rcids (a resolution may have separate votes on paragraphs), from the roll-call file
    (every rcid must be a whole number and unique)."""
    by_symbol: dict[str, list[int]] = {}
    seen: set[int] = set()
    for line, row in _rows(path, ("rcid", "unres")):
        if not row["rcid"].isdigit():
            raise InputError(path, line, "rcid", f"{row['rcid']!r} is not a roll-call number")
        rcid = int(row["rcid"])
        if rcid in seen:
            raise InputError(path, line, "rcid", f"{rcid} is listed twice")
        seen.add(rcid)
        by_symbol.setdefault(row["unres"], []).append(rcid)
    return by_symbol


def read_roll_calls(votes: Path, roll_calls: Path, countries: Path, exclude: tuple[str, ...] = ()) -> RollCalls:
    """All votes cast (yes, no, abstain) on the known roll calls, less the excluded resolutions."""
    names = read_countries(countries)
    symbols = read_roll_call_ids(roll_calls)
    known = {rcid for rcids in symbols.values() for rcid in rcids}
    for symbol in exclude:
        if symbol not in symbols:
            raise InputError(roll_calls, 0, "unres", f"no roll call on {symbol!r} to exclude")
    dropped = {rcid for s in exclude for rcid in symbols[s]}
    seen: set[tuple[int, str]] = set()
    triples = []
    for line, row in _rows(votes, ("rcid", "iso2", "vote")):
        if not row["rcid"].isdigit() or int(row["rcid"]) not in known:
            raise InputError(votes, line, "rcid", f"{row['rcid']!r} is not a roll call in {roll_calls.name}")
        if row["iso2"] not in names:
            raise InputError(votes, line, "iso2", f"{row['iso2']!r} is not a country in {countries.name}")
        if row["vote"] not in VOTE_CODE:
            raise InputError(votes, line, "vote", f"{row['vote']!r} is not yes, no or abstain")
        key = (int(row["rcid"]), row["iso2"])
        if key in seen:
            raise InputError(votes, line, "iso2", f"{key[1]} votes twice on roll call {key[0]}")
        seen.add(key)
        if key[0] not in dropped:
            triples.append((key[0], key[1], VOTE_CODE[row["vote"]]))
    if not triples:
        raise InputError(votes, 0, "", "no votes in the file")
    states = sorted({t[1] for t in triples})
    rcids = sorted({t[0] for t in triples})
    state_at = {s: k for k, s in enumerate(states)}
    item_at = {r: k for k, r in enumerate(rcids)}
    return roll_calls_from_arrays(states, [names[s] for s in states], rcids, [state_at[t[1]] for t in triples],
                                  [item_at[t[0]] for t in triples], [t[2] for t in triples])


def roll_calls_from_arrays(states, names, rcids, state, item, vote) -> RollCalls:
    """RollCalls from parallel arrays of indices into `states` and `rcids` and votes 0/1/2, put into the fixed
    (vote, roll call, state) order whatever order they come in, so the fit cannot depend on the file's order."""
    state, item, vote = (np.asarray(a, dtype=np.int64) for a in (state, item, vote))
    if not (state.shape == item.shape == vote.shape and state.ndim == 1):
        raise ValueError("state, item and vote must be three arrays of one length")
    if not np.isin(vote, (0, 1, 2)).all():
        raise ValueError("votes must be 0 (no), 1 (abstain) or 2 (yes)")
    order = np.lexsort((state, item, vote))
    return RollCalls(tuple(states), tuple(names), tuple(rcids), state[order], item[order], vote[order].astype(np.int8))


# ----------------------------------------------------------------------------------------------------- model --
def category_probabilities(eta: np.ndarray, cut_low: np.ndarray, cut_high: np.ndarray) -> np.ndarray:
    """P(no), P(abstain), P(yes) for linear predictors eta and cut points a < b (arrays of one shape); rows sum
    to one."""
    below_a = expit(cut_low - eta)
    below_b = expit(cut_high - eta)
    return np.stack([below_a, below_b - below_a, 1.0 - below_b], axis=-1)


def _unpack(theta: np.ndarray, n_states: int, n_items: int, n_dims: int):
    x = theta[: n_states * n_dims].reshape(n_states, n_dims)
    rest = theta[n_states * n_dims:].reshape(n_items, n_dims + 2)
    return x, rest[:, :n_dims], rest[:, n_dims], rest[:, n_dims + 1]


def pack(x: np.ndarray, beta: np.ndarray, cut_low: np.ndarray, log_gap: np.ndarray) -> np.ndarray:
    return np.concatenate([x.ravel(), np.column_stack([beta, cut_low, log_gap]).ravel()])


def _log_sigmoid(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log L(z) and L(z) with two transcendental passes (scipy's log_expit would add a third, and they are most of
    the cost of a pass over the votes). Below z = -30, log L(z) = z to double precision, which also keeps the log
    finite where L(z) underflows."""
    sig = expit(z)
    with np.errstate(divide="ignore"):
        return np.where(z < -30.0, z, np.log(sig)), sig


def _vote_terms(data: RollCalls, x, beta, cut_low, gap):
    """Per vote (in the data's order: no votes, then abstentions, then yes votes): log probability, its
    derivatives in A = a - eta and B = b - eta, the derivative of the abstentions' log(1 - exp(-gap)) in gap, and
    the curvature -d2 log p / d eta2."""
    no, abstain, yes = data.blocks
    # The vote matrix is 89% full, so the linear predictor is computed for every cell by one matrix product and
    # then read at the cells voted: far faster than gathering x and beta vote by vote.
    eta = (x @ beta.T).ravel()[data.cell]
    big_a = cut_low[data.item] - eta
    gap_k = gap[data.item[abstain]]
    log_p = np.empty_like(eta)
    d_a = np.zeros_like(eta)
    d_b = np.zeros_like(eta)
    curvature = np.empty_like(eta)
    # no: log L(A)
    log_p[no], sig = _log_sigmoid(big_a[no])
    d_a[no] = 1.0 - sig
    curvature[no] = sig * (1.0 - sig)
    # abstain: log L(B) + log L(-A) + log(1 - exp(-gap))
    big_b = big_a[abstain] + gap_k
    log_b, sig_b = _log_sigmoid(big_b)
    log_not_a, sig_not_a = _log_sigmoid(-big_a[abstain])
    log_p[abstain] = log_b + log_not_a + np.log(-np.expm1(-gap_k))
    d_a[abstain] = -(1.0 - sig_not_a)
    d_b[abstain] = 1.0 - sig_b
    curvature[abstain] = sig_b * (1.0 - sig_b) + sig_not_a * (1.0 - sig_not_a)
    # yes: log L(-B)
    log_p[yes], sig = _log_sigmoid(-(big_a[yes] + gap[data.item[yes]]))
    d_b[yes] = -(1.0 - sig)
    curvature[yes] = sig * (1.0 - sig)
    d_gap = np.zeros_like(eta)
    d_gap[abstain] = 1.0 / np.expm1(gap_k)
    return log_p, d_a, d_b, d_gap, curvature


def negative_log_posterior(theta: np.ndarray, data: RollCalls, n_dims: int = N_DIMS) -> tuple[float, np.ndarray]:
    """Minus the log posterior (up to a constant) and its gradient, for scipy.optimize.minimize(jac=True)."""
    n_s, n_i = data.n_states, data.n_items
    x, beta, cut_low, log_gap = _unpack(theta, n_s, n_i, n_dims)
    gap = np.exp(log_gap)
    log_p, d_a, d_b, d_gap, _ = _vote_terms(data, x, beta, cut_low, gap)
    d_eta = -(d_a + d_b)
    log_post = (log_p.sum() - 0.5 * (x**2).sum() - 0.5 * (beta**2).sum() / PRIOR_SD_DISCRIMINATION**2
                - 0.5 * (cut_low**2).sum() / PRIOR_SD_CUT**2 - 0.5 * (log_gap**2).sum() / PRIOR_SD_LOG_GAP**2)
    d_eta_matrix = np.zeros(n_s * n_i)
    d_eta_matrix[data.cell] = d_eta
    d_eta_matrix = d_eta_matrix.reshape(n_s, n_i)
    grad_x = d_eta_matrix @ beta
    grad_beta = d_eta_matrix.T @ x
    grad_a = np.bincount(data.item, d_a + d_b, n_i)
    grad_log_gap = np.bincount(data.item, d_b + d_gap, n_i) * gap
    grad = pack(grad_x - x, grad_beta - beta / PRIOR_SD_DISCRIMINATION**2, grad_a - cut_low / PRIOR_SD_CUT**2,
                grad_log_gap - log_gap / PRIOR_SD_LOG_GAP**2)
    return -float(log_post), -grad


def start(data: RollCalls, n_dims: int = N_DIMS) -> np.ndarray:
    """Deterministic starting values: SVD of the centred vote matrix for positions and discriminations, the
    observed shares of each vote for the cut points."""
    votes = data.vote_matrix()
    centred = np.nan_to_num(votes - np.nanmean(votes, axis=0), nan=0.0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    # The sign of a singular vector is up to LAPACK; fix it so the start (and so the fit) cannot flip.
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), range(u.shape[1])])
    u, vt = u * signs, vt * signs[:, None]
    x = u[:, :n_dims] * np.sqrt(data.n_states)
    beta = vt[:n_dims].T * s[:n_dims] / np.sqrt(data.n_states)
    counts = np.stack([np.bincount(data.item[data.vote == k], minlength=data.n_items) for k in range(3)], 1) + 0.5
    share = counts / counts.sum(1, keepdims=True)
    cut_low = np.log(share[:, 0] / (1 - share[:, 0]))
    below_b = share[:, 0] + share[:, 1]
    cut_high = np.log(below_b / (1 - below_b))
    return pack(x, beta, cut_low, np.log(cut_high - cut_low))


def fit(data: RollCalls, n_dims: int = N_DIMS, theta0: np.ndarray | None = None) -> Fit:
    """The MAP estimate, unrotated. Raises NotConverged if L-BFGS stops short."""
    # One BLAS thread: the matrix products are small, and OpenBLAS's threads, spinning on cores that other work
    # also wants, made the fit six times slower; one thread also sums in one fixed order.
    with threadpool_limits(limits=1, user_api="blas"):
        theta0 = start(data, n_dims) if theta0 is None else theta0
        result = optimize.minimize(negative_log_posterior, theta0, args=(data, n_dims), jac=True,
                                   method="L-BFGS-B", options={"maxiter": MAX_ITERATIONS, "maxfun": 2 * MAX_ITERATIONS,
                                                               "gtol": 1e-7, "ftol": 1e-15, "maxcor": 20})
    if not result.success:
        raise NotConverged(f"L-BFGS stopped after {result.nit} iterations: {result.message}")
    x, beta, cut_low, log_gap = _unpack(result.x, data.n_states, data.n_items, n_dims)
    return Fit(x.copy(), beta.copy(), cut_low.copy(), cut_low + np.exp(log_gap), -float(result.fun), int(result.nit))


def identify(estimate: Fit, data: RollCalls, anchors: tuple[str, ...] = SIGN_ANCHORS) -> Fit:
    """Rotate to the principal axes of the positions (dimension 1 the widest spread) and sign each axis by its
    anchor state (positive). eta = x . beta is unchanged, so the fit is the same."""
    missing = [a for a in anchors if a not in data.states]
    if missing:
        raise InputError("anchors", 0, "", f"anchor state {missing[0]} has no votes")
    x = estimate.ideal
    _, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
    rotation = vectors[:, ::-1]  # eigh sorts ascending
    x = x @ rotation
    for d, anchor in enumerate(anchors[: x.shape[1]]):
        if x[data.states.index(anchor), d] < 0:
            rotation[:, d] *= -1
    return Fit(estimate.ideal @ rotation, estimate.discrimination @ rotation, estimate.cut_low, estimate.cut_high,
               estimate.log_posterior, estimate.iterations)


def standard_errors(estimate: Fit, data: RollCalls) -> np.ndarray:
    """Laplace approximation of each state's position given the roll-call parameters: sqrt of the diagonal of the
    inverse of I + sum_j w_ij beta_j beta_j' (see the module docstring)."""
    n_dims = estimate.ideal.shape[1]
    gap = estimate.cut_high - estimate.cut_low
    *_, weight = _vote_terms(data, estimate.ideal, estimate.discrimination, estimate.cut_low, gap)
    beta = estimate.discrimination[data.item]
    info = np.empty((data.n_states, n_dims, n_dims))
    for d in range(n_dims):  # loops over the two dimensions only
        for e in range(d, n_dims):
            info[:, d, e] = info[:, e, d] = np.bincount(data.state, weight * beta[:, d] * beta[:, e], data.n_states)
    info += np.eye(n_dims)
    return np.sqrt(np.diagonal(np.linalg.inv(info), axis1=1, axis2=2))


# ---------------------------------------------------------------------------------------------------- output --
def _fixed(value: float) -> str:
    text = f"{value:.{DECIMALS}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def format_table(data: RollCalls, estimate: Fit, se: np.ndarray) -> str:
    """The output CSV as text: one row per state in ISO-code order, fixed decimals, LF line ends."""
    n_votes = np.bincount(data.state, minlength=data.n_states)
    lines = [",".join(COLUMNS)]
    for k, iso2 in enumerate(data.states):
        name = data.names[k]
        name = f'"{name}"' if any(c in name for c in ',"') else name
        lines.append(",".join([iso2, name, _fixed(estimate.ideal[k, 0]), _fixed(estimate.ideal[k, 1]),
                               _fixed(se[k, 0]), _fixed(se[k, 1]), str(int(n_votes[k]))]))
    return "\n".join(lines) + "\n"


def estimate_ideal_points(data: RollCalls) -> tuple[Fit, np.ndarray]:
    """Fit, identify and give standard errors: the identified fit and the states x 2 standard errors."""
    identified = identify(fit(data), data)
    return identified, standard_errors(identified, data)


# ---------------------------------------------------------------------------------------------------- checks --
def _rounded(table: list[dict]) -> list[tuple[str, str]]:
    return [(row["dim1"], row["dim2"]) for row in table]


def read_table(text: str) -> list[dict]:
    return list(csv.DictReader(text.splitlines()))


def shared_positions(table: list[dict], data: RollCalls) -> list[tuple[str, ...]]:
    """Groups of states printed at the same position whose votes are not identical (should be none)."""
    votes = np.nan_to_num(data.vote_matrix(), nan=9.0)
    groups: dict[tuple[str, str], list[int]] = {}
    for k, position in enumerate(_rounded(table)):
        groups.setdefault(position, []).append(k)
    return [tuple(table[k]["iso2"] for k in members) for members in groups.values()
            if len(members) > 1 and any(not np.array_equal(votes[members[0]], votes[m]) for m in members[1:])]


def separation(table: list[dict], west=WESTERN, east=SOVEREIGNTIST) -> tuple[float, float]:
    """(lowest dim1 among `west`, highest dim1 among `east`); dimension 1 separates them if the first is larger."""
    dim1 = {row["iso2"]: float(row["dim1"]) for row in table}
    return min(dim1[s] for s in west if s in dim1), max(dim1[s] for s in east if s in dim1)


def cyber_correlations(table: list[dict], wide: Path) -> dict[str, tuple[int, float]]:
    """Per cyber resolution: (states that voted, Pearson r of dim1 with the vote coded yes +1, abstain 0, no -1)."""
    dim1 = {row["iso2"]: float(row["dim1"]) for row in table}
    out = {}
    rows = list(_rows(wide, ("iso2",)))
    columns = [c for c in rows[0][1] if c not in ("country", "iso2")] if rows else []
    for column in sorted(columns):
        pairs = []
        for line, row in rows:
            if row[column] == "":
                continue
            if row[column] not in VOTE_CODE:
                raise InputError(wide, line, column, f"{row[column]!r} is not yes, no or abstain")
            if row["iso2"] in dim1:
                pairs.append((dim1[row["iso2"]], VOTE_CODE[row[column]] - 1))
        values = np.array(pairs, dtype=float)
        out[column] = (len(pairs), float(np.corrcoef(values[:, 0], values[:, 1])[0, 1]))
    return out


# ------------------------------------------------------------------------------------------------------- CLI --
def report(table: list[dict], data: RollCalls, estimate: Fit, cyber: Path | None, seconds: float) -> str:
    lines = [f"{data.n_states} states, {data.n_items} roll calls, {len(data.vote)} votes; L-BFGS "
             f"{estimate.iterations} iterations, log posterior {estimate.log_posterior:.2f}, {seconds:.1f} s"]
    shared = shared_positions(table, data)
    distinct = len(set(_rounded(table)))
    lines.append(f"distinct positions: {distinct} of {len(table)}; shared without identical votes: "
                 f"{', '.join('/'.join(g) for g in shared) or 'none'}")
    west, east = separation(table)
    lines.append(f"dimension 1: lowest of {'/'.join(WESTERN)} {west:+.3f}, highest of {'/'.join(SOVEREIGNTIST)} "
                 f"{east:+.3f} ({'separated' if west > east else 'NOT separated'})")
    if cyber is not None:
        for resolution, (n, r) in cyber_correlations(table, cyber).items():
            camp = "US-led" if resolution in US_LED_CYBER else "Russia-led"
            lines.append(f"  corr(dim1, vote on {resolution}, {camp}) = {r:+.3f} over {n} states")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=Path, default=DEFAULT_VOTES, help="votes: rcid, iso2, vote")
    parser.add_argument("--roll-calls", type=Path, default=DEFAULT_ROLL_CALLS, help="roll calls: rcid, unres, ...")
    parser.add_argument("--countries", type=Path, default=DEFAULT_COUNTRIES, help="countries: iso2, country")
    parser.add_argument("--exclude", action="append", default=[], metavar="RESOLUTION",
                        help="leave out the roll call on this resolution (e.g. A/RES/74/247); repeatable")
    parser.add_argument("--cyber", type=Path, default=DEFAULT_CYBER,
                        help="wide file of the cyber votes to correlate dimension 1 with")
    parser.add_argument("--out", type=Path, help="write the CSV here (default: print it)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        if args.out is not None and args.out.exists() and not args.force:  # say so before a minute of fitting
            raise InputError(args.out, 0, "", "already exists; not overwritten (pass --force to regenerate it)")
        data = read_roll_calls(args.votes, args.roll_calls, args.countries, tuple(args.exclude))
        estimate, se = estimate_ideal_points(data)
        text = format_table(data, estimate, se)
        summary = report(read_table(text), data, estimate, args.cyber, time.perf_counter() - began)
        if args.out is None:
            sys.stdout.write(text)
        else:
            _write_new(args.out, text, args.force)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except NotConverged as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return EXIT_NOT_CONVERGED
    print(summary, file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
