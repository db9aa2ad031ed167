"""scripts/estimate_ideal_points.py: the two-dimensional ordinal item-response model of UN General Assembly votes,
and data/unga/ideal_points_2010_2019.csv that it writes."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.optimize import approx_fprime

from .conftest import ROOT, script_module

SCRIPT = ROOT / "scripts" / "estimate_ideal_points.py"
SHIPPED = ROOT / "data" / "unga" / "ideal_points_2010_2019.csv"


@pytest.fixture(scope="module")
def ip():
    """The estimation script as a module (it lives in scripts/, outside the package)."""
    with script_module(SCRIPT) as module:
        yield module


@pytest.fixture(scope="module")
def table():
    with SHIPPED.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def simulate(ip, n_states, n_items, seed, present=0.9):
    """Votes drawn from the model itself, with known positions."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_states, 2))
    beta = rng.normal(size=(n_items, 2)) * 1.5
    cut_low = rng.normal(size=n_items) - 1.5
    cut_high = cut_low + np.exp(rng.normal(size=n_items) * 0.3)
    state, item = (a.ravel() for a in np.meshgrid(np.arange(n_states), np.arange(n_items), indexing="ij"))
    keep = rng.random(state.size) < present
    state, item = state[keep], item[keep]
    p = ip.category_probabilities((x[state] * beta[item]).sum(1), cut_low[item], cut_high[item])
    vote = (rng.random(state.size)[:, None] > p.cumsum(1)).sum(1)
    ids = [f"S{k:03d}" for k in range(n_states)]
    return x, ip.roll_calls_from_arrays(ids, ids, list(range(n_items)), state, item, vote)


def test_category_probabilities_are_ordered_and_sum_to_one(ip):
    """P(no) + P(abstain) + P(yes) = 1, each positive; a higher eta moves mass from no to yes."""
    eta = np.linspace(-6, 6, 13)
    p = ip.category_probabilities(eta, np.full(13, -1.0), np.full(13, 0.5))
    assert np.allclose(p.sum(1), 1.0) and (p > 0).all()
    assert (np.diff(p[:, 0]) < 0).all() and (np.diff(p[:, 2]) > 0).all()


def test_gradient_matches_finite_differences(ip):
    """The analytic gradient of the log posterior is the derivative of the log posterior (to 1e-4 of its size)."""
    _, data = simulate(ip, 12, 15, seed=3)
    rng = np.random.default_rng(0)
    theta = ip.start(data) + rng.normal(size=12 * 2 + 15 * 4) * 0.3
    numeric = approx_fprime(theta, lambda t: ip.negative_log_posterior(t, data)[0], 1e-6)
    analytic = ip.negative_log_posterior(theta, data)[1]
    assert np.abs(numeric - analytic).max() < 1e-4 * max(1.0, np.abs(numeric).max())


def test_fit_recovers_known_positions_from_simulated_votes(ip):
    """On votes simulated from known positions (120 states, 200 roll calls), the estimate matches the truth up to
    the rotation the model cannot identify (r > 0.97 on both axes), and its Laplace standard errors are of the
    right size: the median |error| / se lies between 0.4 and 2 (0.67 if exact)."""
    truth, data = simulate(ip, 120, 200, seed=7)
    estimate = ip.identify(ip.fit(data), data, ("S000", "S001"))
    se = ip.standard_errors(estimate, data)
    rotation, _ = orthogonal_procrustes(estimate.ideal, truth)
    aligned = estimate.ideal @ rotation
    for d in range(2):
        assert np.corrcoef(aligned[:, d], truth[:, d])[0, 1] > 0.97
    z = np.abs(estimate.ideal - truth @ rotation.T) / se
    assert 0.4 < np.median(z) < 2.0


def test_identification_keeps_the_fit_and_gives_principal_axes(ip):
    """Rotating to principal axes leaves every eta = x . beta unchanged, makes the two dimensions uncorrelated with
    the wider spread first, and puts each anchor state on the positive side of its axis."""
    _, data = simulate(ip, 40, 60, seed=11)
    raw = ip.fit(data)
    for anchors in (("S000", "S001"), ("S005", "S009")):
        done = ip.identify(raw, data, anchors)
        assert np.allclose(done.ideal @ done.discrimination.T, raw.ideal @ raw.discrimination.T)
        cov = np.cov(done.ideal, rowvar=False)
        assert abs(cov[0, 1]) < 1e-9 and cov[0, 0] >= cov[1, 1]
        assert done.ideal[data.states.index(anchors[0]), 0] > 0
        assert done.ideal[data.states.index(anchors[1]), 1] > 0


def test_the_fit_does_not_depend_on_the_order_of_the_votes(ip):
    """The same votes given in another order give the same data, hence the same fit."""
    _, data = simulate(ip, 20, 30, seed=5)
    order = np.random.default_rng(1).permutation(data.vote.size)
    again = ip.roll_calls_from_arrays(data.states, data.names, data.rcids, data.state[order], data.item[order],
                                      data.vote[order])
    for name in ("state", "item", "vote"):
        assert np.array_equal(getattr(data, name), getattr(again, name))


def test_states_with_identical_votes_share_a_position_and_others_do_not(ip):
    """Two states that cast the same votes get the same position; shared_positions reports only states that share
    a printed position without sharing their votes."""
    _, data = simulate(ip, 30, 40, seed=2)
    twin = data.state == 0
    copy = ip.roll_calls_from_arrays(data.states + ("TWIN",), data.names + ("TWIN",), data.rcids,
                                     np.concatenate([data.state, np.full(twin.sum(), 30)]),
                                     np.concatenate([data.item, data.item[twin]]),
                                     np.concatenate([data.vote, data.vote[twin]]))
    estimate = ip.identify(ip.fit(copy), copy, ("S000", "S001"))
    rows = ip.read_table(ip.format_table(copy, estimate, ip.standard_errors(estimate, copy)))
    assert (rows[0]["dim1"], rows[0]["dim2"]) == (rows[30]["dim1"], rows[30]["dim2"])
    assert ip.shared_positions(rows, copy) == []
    rows[5]["dim1"], rows[5]["dim2"] = rows[6]["dim1"], rows[6]["dim2"]
    assert ip.shared_positions(rows, copy) == [("S005", "S006")]


def test_shipped_positions_are_distinct_unless_votes_are_identical(ip, table):
    """In data/unga/ideal_points_2010_2019.csv no two states share a position unless their votes are identical,
    every one of the 193 states is there (Namibia as NA), and every standard error is positive."""
    data = ip.read_roll_calls(ip.DEFAULT_VOTES, ip.DEFAULT_ROLL_CALLS, ip.DEFAULT_COUNTRIES)
    assert [row["iso2"] for row in table] == list(data.states)
    assert len(table) == 193 and "NA" in {row["iso2"] for row in table}
    assert ip.shared_positions(table, data) == []
    assert all(float(row["se1"]) > 0 and float(row["se2"]) > 0 for row in table)


def test_dimension_one_separates_the_us_side_from_the_sovereigntist_side(ip, table):
    """US and Israel lie above Russia, China, Iran, Syria, North Korea, Cuba, Belarus, Venezuela and Nicaragua on
    dimension 1, and dim1 correlates negatively (r < -0.6) with yes on every Russia-led cyber resolution and
    positively with yes on the US-led ones."""
    west, east = ip.separation(table)
    assert west > east
    for resolution, (n, r) in ip.cyber_correlations(table, ip.DEFAULT_CYBER).items():
        assert n > 150
        if resolution in ip.US_LED_CYBER:
            assert r > 0.2, resolution
        else:
            assert r < -0.6, resolution


def test_bad_vote_is_one_line_naming_file_and_line_and_nothing_is_written(ip, tmp_path, capsys):
    """A vote that is not yes, no or abstain stops the script with exit code 3 and one error line naming the file,
    line and column; no output file appears."""
    votes = tmp_path / "votes.csv"
    votes.write_text("rcid,iso2,vote\n5049,US,yes\n5049,NA,maybe\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code = ip.main(["--votes", str(votes), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and not out.exists()
    assert len(err) == 1 and "votes.csv:3: vote: 'maybe' is not yes, no or abstain" in err[0]


def test_existing_output_is_not_overwritten_without_force(ip, tmp_path, capsys):
    """--out to an existing file without --force is refused (exit 3) and the file keeps its content."""
    out = tmp_path / "out.csv"
    out.write_text("keep me", encoding="utf-8")
    votes = tmp_path / "votes.csv"
    votes.write_text("rcid,iso2,vote\n5049,US,yes\n5049,RU,no\n5050,US,no\n5050,RU,yes\n", encoding="utf-8")
    assert ip.main(["--votes", str(votes), "--out", str(out)]) == 3
    assert out.read_text(encoding="utf-8") == "keep me"
    assert "already exists" in capsys.readouterr().err


@pytest.mark.slow
def test_script_regenerates_the_shipped_csv_byte_for_byte(ip, tmp_path):
    """Running the estimation on data/unga reproduces data/unga/ideal_points_2010_2019.csv exactly (about a minute
    on one core)."""
    out = tmp_path / "ideal_points.csv"
    assert ip.main(["--out", str(out)]) == 0
    assert out.read_bytes() == SHIPPED.read_bytes()
