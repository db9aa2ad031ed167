"""`run.py analyze`: outcome chances with Wilson intervals, the heatmap, Sobol and Morris, from stored runs only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

import sim.runner
import sim.sweep.tasks
from sim.cli import main
from sim.sweep.analyze import analyze, wilson_interval
from sim.sweep.executors import SerialExecutor

from .conftest import ROOT
from .test_sweep_run import run_sweep, write_spec

CLASSROOM = ROOT / "scenarios" / "classroom.yaml"

GRID = """
uncertainties:
  treaty.participation_benefit: [0.1, 0.15, 0.2, 0.35]
levers:
  rules.decision: [consensus, majority_count]
replicates: 6
seed: 4
"""

# chair_influence does nothing while a neutral secretariat drafts (chair: compromise): a parameter of no effect.
SENSITIVITY = """
uncertainties:
  treaty.participation_benefit: {{low: 0.05, high: 0.6}}
levers:
  protocol.chair_influence: {{low: 0.0, high: 1.0}}
design: {design}
replicates: 1
seed: 21
common_random_numbers: true
"""


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("grid")
    return run_sweep(write_spec(out, GRID, scenario=CLASSROOM), out / "results", SerialExecutor())


@pytest.fixture
def no_model_runs(monkeypatch):
    """Any attempt to run the model fails the test: analysis must read stored results only."""

    def refuse(*args, **kwargs):
        raise AssertionError("the analysis ran the model")

    monkeypatch.setattr(sim.runner, "run_once", refuse)
    monkeypatch.setattr(sim.sweep.tasks, "run_once", refuse)


def test_wilson_interval_matches_scipy_and_known_values():
    """The 95% interval is Wilson's score interval: equal to scipy's, e.g. 5 of 10 gives [0.2366, 0.7634]."""
    counts, totals = np.array([0, 1, 5, 10, 37]), np.array([10, 10, 10, 10, 120])
    low, high = wilson_interval(counts, totals)
    for k, n, lo, hi in zip(counts, totals, low, high):
        expected = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
        assert lo == pytest.approx(expected.low, abs=1e-9) and hi == pytest.approx(expected.high, abs=1e-9)
    assert (low[2], high[2]) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    empty_low, empty_high = wilson_interval([0], [0])
    assert np.isnan(empty_low[0]) and np.isnan(empty_high[0])


def test_outcome_chances_per_value_agree_with_the_stored_runs(grid_sweep, no_model_runs):
    """For each value of each parameter, the chance of each outcome is the share among that value's runs, inside
    its interval, and the shares of a value add up to one."""
    report = analyze(grid_sweep, figures=False)
    runs = pd.read_parquet(grid_sweep.path / "runs.parquet")
    table = pd.read_csv(report.path / "outcomes_by_parameter.csv")
    assert set(table["parameter"]) == {"treaty.participation_benefit", "rules.decision"}
    for row in table.itertuples():
        subset = runs[runs[row.parameter].astype(str) == str(row.value)]
        assert row.runs == len(subset)
        assert row.count == (subset["outcome"] == row.outcome).sum()
        assert row.share == pytest.approx(row.count / row.runs)
        assert row.ci_low <= row.share <= row.ci_high
    sums = table.groupby(["parameter", "value"])["share"].sum()
    assert np.allclose(sums, 1.0)
    assert len(set(runs["outcome"])) > 1  # the fixture spans more than one outcome, or this test proves little


def test_two_parameters_give_a_heatmap_table_and_figure(grid_sweep):
    """With two varied parameters the chance of agreement is tabulated over both, and drawn."""
    report = analyze(grid_sweep)
    heat = pd.read_csv(report.path / "heatmap_agreement.csv")
    runs = pd.read_parquet(grid_sweep.path / "runs.parquet")
    assert len(heat) == 8 and (heat["runs"] == 6).all()
    for row in heat.itertuples():
        cell = runs[(runs["treaty.participation_benefit"] == row[1]) & (runs["rules.decision"] == row[2])]
        assert row.agreement == pytest.approx((cell["outcome"] == "agreement").mean())
    for name in ("heatmap_agreement.png", "outcomes_treaty-participation-benefit.png", "outcomes_rules-decision.png"):
        assert (report.path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_new_analysis_folder_every_time(grid_sweep):
    """Analysing again writes analysis-2 (then -3 ...) and leaves earlier analyses untouched."""
    first = analyze(grid_sweep, figures=False).path
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    second = analyze(grid_sweep, figures=False).path
    assert second != first and second.parent == first.parent and second.name.startswith("analysis-")
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sobol")
    spec = write_spec(out, SENSITIVITY.format(design="{kind: sobol, samples: 32}"), scenario=CLASSROOM)
    return run_sweep(spec, out / "results", SerialExecutor())


@pytest.fixture(scope="module")
def morris_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("morris")
    spec = write_spec(out, SENSITIVITY.format(design="{kind: morris, samples: 12, levels: 4}"), scenario=CLASSROOM)
    return run_sweep(spec, out / "results", SerialExecutor())


def test_sobol_indices_single_out_the_parameter_that_matters(sobol_sweep, no_model_runs):
    """On a Sobol design, SALib's first-order and total indices give the benefit of joining a large share of the
    variance of agreement and a parameter without effect none (with common random numbers, exactly none)."""
    report = analyze(sobol_sweep)
    table = pd.read_csv(report.path / "sobol_indices.csv").set_index(["response", "parameter"])
    agreement = table.loc["agreement"]
    assert agreement.loc["treaty.participation_benefit", "ST"] > 0.5
    assert agreement.loc["protocol.chair_influence", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert agreement.loc["protocol.chair_influence", "S1"] == pytest.approx(0.0, abs=1e-12)
    assert (report.path / "sobol.png").exists()


def test_morris_effects_single_out_the_parameter_that_matters(morris_sweep, no_model_runs):
    """On a Morris design, the elementary effect mu* of a parameter without effect is zero and that of the benefit
    of joining is not."""
    report = analyze(morris_sweep)
    table = pd.read_csv(report.path / "morris_effects.csv").set_index(["response", "parameter"])
    assert table.loc[("core_members_n", "protocol.chair_influence"), "mu_star"] == 0.0
    assert table.loc[("core_members_n", "treaty.participation_benefit"), "mu_star"] > 0.5
    assert (report.path / "morris.png").exists()


def test_failed_runs_are_counted_apart(tmp_path):
    """Failed runs are left out of the chances and counted per value in a `failed` column."""
    spec = write_spec(tmp_path, """
        levers:
          states.CAL.flexibility: [0.2, 1.5]
        replicates: 3
        """, scenario=CLASSROOM)
    folder = run_sweep(spec, tmp_path / "results", SerialExecutor())
    report = analyze(folder, figures=False)
    table = pd.read_csv(report.path / "outcomes_by_parameter.csv")
    bad = table[table["value"] == 1.5]
    assert (bad["runs"] == 0).all() and (bad["failed"] == 3).all() and bad["share"].isna().all()
    assert report.failed == 3
    assert json.loads((report.path / "manifest.json").read_text())["failed"] == 3


def test_cli_prints_the_tables_and_the_folder(grid_sweep, capsys):
    """`run.py analyze FOLDER` prints the chances per value and where the files went; a folder that is not a
    sweep is invalid input."""
    assert main(["analyze", str(grid_sweep.path), "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "By rules.decision (levers):" in out and "Chance of agreement by" in out and "Analysis: " in out
    assert main(["analyze", str(grid_sweep.path / "runs")]) == 3
    assert "not a sweep folder" in capsys.readouterr().err
