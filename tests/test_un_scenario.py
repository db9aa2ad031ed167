"""scenarios/un_cybercrime.yaml and the script that builds it from the UN General Assembly votes in data/unga."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest
import yaml

from sim.loader import load_scenario
from sim.runner import run_once

from .conftest import ROOT, SCENARIOS, script_module

SCRIPT = ROOT / "scripts" / "build_un_scenario.py"
VOTES = ROOT / "data" / "unga" / "unga_cyber_votes_from_unvotes.csv"
IDEAL_POINTS = ROOT / "data" / "unga" / "ideal_points_2010_2019.csv"
PROCESSES = ("un_cybercrime", "oewg_2021_2025", "budapest")
WIDE = ROOT / "data" / "unga" / "unga_cyber_votes_wide.csv"
SHIPPED = SCENARIOS / "un_cybercrime.yaml"


@pytest.fixture(scope="module")
def build():
    """The build script as a module (it lives in scripts/, outside the package)."""
    with script_module(SCRIPT) as module:
        yield module


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SHIPPED)


def run_script(*args, cwd=None):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("process", PROCESSES)
def test_build_script_regenerates_the_shipped_scenarios_byte_for_byte(tmp_path, process):
    """Running the build script on data/unga (from any working folder) reproduces each shipped scenario exactly:
    the files are generated, not edited by hand."""
    out = tmp_path / "out.yaml"
    done = run_script("--process", process, "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (SCENARIOS / f"{process}.yaml").read_bytes()


def test_every_country_that_voted_is_a_state_and_no_other(scenario):
    """The scenario has one state per country with at least one recorded vote, ids being the ISO codes of the data
    (Namibia `NA` and Norway `NO` survive YAML, which would read them as null-like text or false)."""
    with VOTES.open(newline="", encoding="utf-8") as handle:
        voted = {row["iso2"] for row in csv.DictReader(handle)}
    assert set(scenario.state_ids) == voted
    assert len(scenario.states) == 193
    assert {"NA", "NO"} <= set(scenario.state_ids)


def test_long_and_wide_vote_files_agree():
    """The two copies of the votes in data/unga hold the same votes (the build reads the long one)."""
    with VOTES.open(newline="", encoding="utf-8") as handle:
        long = {(r["iso2"], r["resolution"]): r["vote"] for r in csv.DictReader(handle)}
    with WIDE.open(newline="", encoding="utf-8") as handle:
        wide = {(r["iso2"], res): vote for r in csv.DictReader(handle)
                for res, vote in r.items() if res not in ("country", "iso2") and vote}
    assert long == wide


def test_latent_support_follows_the_vote_cast(build):
    """A state's latent support for a resolution is its linear predictor moved by the vote it cast: a yes puts it
    above the upper cut point, a no below the lower one, an abstention between them, no vote leaves the predictor;
    and the truncated logistic mean agrees with numerical integration (so a plausible wrong formula fails)."""
    item = build.Item("R", np.array([1.0, 0.0]), -1.0, 1.0)
    x = np.zeros((4, 2))
    support = build.latent_support(item, x, np.array([0, 1, 2, -1]))
    assert support[0] < -1.0 and -1.0 < support[1] < 1.0 and support[2] > 1.0 and support[3] == 0.0
    assert support[1] == pytest.approx(0.0, abs=1e-12)  # symmetric cut points: the abstention's mean is 0
    t = np.linspace(0.3, 40.0, 400001)
    density = np.exp(-t) / (1 + np.exp(-t)) ** 2
    numeric = np.trapezoid(t * density, t) / np.trapezoid(density, t)
    assert build._truncated_logistic_mean(np.array([0.3]), np.array([np.inf]))[0] == pytest.approx(numeric, rel=1e-4)


def test_positions_come_from_the_latent_space_and_the_votes(build):
    """The treaty positions rise with support for each camp: a state placed like the US gets low data sovereignty
    and high attribution transparency, one placed like Russia the reverse; two states with the same votes but
    different latent points get different positions; and a yes moves a state's position up from its no."""
    votes = build.read_votes(VOTES)
    codes = build.vote_codes(votes)
    points = build.read_ideal_points(IDEAL_POINTS, {c.iso2 for c in votes})
    x = np.array([points[c.iso2][0] for c in votes])
    mapping = build.fit_mapping(x, codes)
    ideal = build.positions(mapping, x, codes)
    row = {c.iso2: i for i, c in enumerate(votes)}
    us, ru = row["US"], row["RU"]
    assert ideal["data_sovereignty"][us] < 0.1 < 0.7 < ideal["data_sovereignty"][ru]
    assert ideal["attribution_transparency"][us] > 0.9 > 0.1 > ideal["attribution_transparency"][ru]
    assert ideal["enforcement"][us] < ideal["enforcement"][ru]
    # the same votes, other latent points: the positions differ
    same = [c.iso2 for c in votes if c.votes == votes[row["FR"]].votes and c.iso2 != "FR"]
    assert same and all(ideal["data_sovereignty"][row[i]] != ideal["data_sovereignty"][row["FR"]] for i in same)
    # a yes on 74/247 instead of a no raises India's data sovereignty and enforcement
    flipped = {r: v.copy() for r, v in codes.items()}
    flipped["A/RES/74/247"][row["IN"]] = 2 if codes["A/RES/74/247"][row["IN"]] != 2 else 0
    moved = build.positions(mapping, x, flipped)
    sign = 1 if codes["A/RES/74/247"][row["IN"]] != 2 else -1
    assert sign * (moved["enforcement"][row["IN"]] - ideal["enforcement"][row["IN"]]) > 0


def test_no_two_states_share_a_position_unless_their_votes_are_identical(scenario):
    """The issue's rule: identical ideal points only for identical voting records (here: none are shared)."""
    ideals = [tuple(s.ideal.values()) for s in scenario.states]
    assert len(set(ideals)) == len(ideals) == 193


def test_position_errors_follow_the_ideal_point_errors(build, tmp_path):
    """Each state's uncertainty is the delta-method error from its ideal point's standard errors: doubling every
    standard error doubles every position's error, and zero errors give (the floor of) zero."""
    votes = build.read_votes(VOTES)
    codes = build.vote_codes(votes)
    points = build.read_ideal_points(IDEAL_POINTS, {c.iso2 for c in votes})
    x = np.array([points[c.iso2][0] for c in votes])
    se = np.array([points[c.iso2][1] for c in votes])
    mapping = build.fit_mapping(x, codes)
    one = build.position_errors(mapping, x, se, codes)
    two = build.position_errors(mapping, x, 2 * se, codes)
    zero = build.position_errors(mapping, x, 0 * se, codes)
    for d in build.DIMENSIONS:
        np.testing.assert_allclose(two[d], 2 * one[d], rtol=1e-6)
        assert (one[d] > 0).all() and (zero[d] == 0).all()


def test_coalitions_rules_and_header(scenario):
    """Clear alignment gives the coalitions (leaders US and RU); consensus and 40 ratifications are the rules; the
    header states that capability is an assumption and names the override."""
    coalitions = {c.name: c for c in scenario.coalitions}
    assert coalitions["us_led"].leader == "US" and "GB" in coalitions["us_led"].members
    assert coalitions["sovereigntist"].leader == "RU" and "CN" in coalitions["sovereigntist"].members
    assert "BR" not in coalitions["us_led"].members + coalitions["sovereigntist"].members
    assert scenario.rules.decision == "consensus" and scenario.ratifications_needed() == 40
    header = SHIPPED.read_text(encoding="utf-8").split("\nmetadata:", 1)[0]
    assert "ASSUMPTION" in header and "--capabilities" in header


def test_capability_is_economic_size_from_the_indicators(scenario):
    """Capability is 10 sqrt(GDP / the largest GDP) from data/indicators: the United States 10, the order of the
    others that of their GDP, nobody below the floor, and the two states without GDP (North Korea, Venezuela) at
    the median."""
    from sim.indicators import read_indicators
    gdp = {i: v.gdp_usd for i, v in read_indicators().items()}
    cap = {s.id: s.capability for s in scenario.states}
    assert cap["US"] == 10 and cap["CN"] == pytest.approx(10 * (gdp["CN"] / gdp["US"]) ** 0.5, abs=1e-3)
    known = sorted((i for i in cap if gdp.get(i)), key=lambda i: gdp[i])
    assert [cap[i] for i in known] == sorted(cap[i] for i in known)
    assert min(cap.values()) >= 0.1
    median = sorted(cap[i] for i in known)[len(known) // 2]
    assert cap["KP"] == cap["VE"] == pytest.approx(median, abs=1e-3)


def test_capability_override_file_replaces_the_assumption(tmp_path):
    """--capabilities FILE sets the listed states' capability; every other state keeps its GDP-based value; the
    header names the file by its name only (no path of the machine that built it)."""
    override = tmp_path / "mine.csv"
    override.write_text("iso2,capability\nUS,20\nIN,7.5\n", encoding="utf-8")
    out = tmp_path / "un.yaml"
    done = run_script("--capabilities", override, "--out", out)
    assert done.returncode == 0, done.stderr
    states = {s["id"]: s for s in yaml.safe_load(out.read_text(encoding="utf-8"))["states"]}
    assert states["US"]["capability"] == 20 and states["IN"]["capability"] == 7.5
    shipped = {s.id: s.capability for s in load_scenario(SHIPPED).states}
    assert states["CN"]["capability"] == shipped["CN"] and shipped["US"] == 10
    text = out.read_text(encoding="utf-8")
    assert "mine.csv" in text and str(tmp_path) not in text


@pytest.mark.parametrize("content, where", [
    ("iso2,capability\nUS,20\nXX,3\n", ":3: iso2: 'XX' is not a country"),
    ("iso2,capability\nUS,-2\n", ":2: capability: -2 is not a positive"),
    ("iso2,capability\nUS,lots\n", ":2: capability: 'lots' is not a number"),
    ("iso2,capability\nUS,2\nUS,3\n", ":3: iso2: US is listed twice"),
    ("country,capability\nUS,2\n", ":1: iso2: missing column"),
])
def test_bad_capability_file_is_refused_with_its_line(tmp_path, content, where):
    """A bad override file stops the build with one error naming the file, the line and the column."""
    bad = tmp_path / "caps.csv"
    bad.write_text(content, encoding="utf-8")
    done = run_script("--capabilities", bad, "--out", tmp_path / "un.yaml")
    assert done.returncode == 3
    assert f"{bad}{where}" in done.stderr
    assert not (tmp_path / "un.yaml").exists()


def test_bad_vote_is_refused_with_its_line(tmp_path):
    """A vote that is not yes, no or abstain names its file and line."""
    votes = tmp_path / "votes.csv"
    votes.write_text("resolution,rcid,country,iso2,vote\nR/73/27,1,Russia,RU,yes\nR/73/27,1,Peru,PE,maybe\n",
                     encoding="utf-8")
    done = run_script("--votes", votes)
    assert done.returncode == 3 and f"{votes}:3: vote: 'maybe'" in done.stderr


def test_build_refuses_to_overwrite_without_force(tmp_path):
    """An existing --out file is left untouched unless --force is given."""
    out = tmp_path / "un.yaml"
    out.write_text("keep me", encoding="utf-8")
    done = run_script("--out", out)
    assert done.returncode == 3 and "not overwritten" in done.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    assert run_script("--out", out, "--force").returncode == 0
    assert out.read_bytes() == SHIPPED.read_bytes()


def test_un_scenario_runs_to_an_outcome(scenario):
    """The 193-state scenario runs to a recorded outcome, and every state is still counted at the end."""
    result = run_once(scenario, seed=0)
    assert result.summary["outcome"] in ("agreement", "partial_agreement", "signed_not_in_force", "stalemate",
                                         "collapse", "timeout")
    assert result.summary["states_in_talks"] == 193
