"""Sweep tables an analyst can load and query (nullable types, one missing-value convention, a sweep id, query
names), a folder with no lock left behind, and an analysis that does not pool what a lever ignores and warns where
its numbers cannot be trusted."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli import main
from sim.sweep.analyze import analyze, format_report
from sim.sweep.executors import SerialExecutor
from sim.sweep.storage import SweepFolder, SweepFolderError, load_runs

from .conftest import SCENARIOS
from .test_sweep_run import run_sweep, write_spec

# Three states on one dimension under consensus: with CCC's ideal next to the others they agree within a few
# rounds; far off and unmoving, nothing passes in time. Each test checks the behaviour it relies on.
THREE = """
metadata: {title: Three states}
dimensions: [{name: attribution_transparency}]
rules: {decision: consensus}
protocol: {max_rounds: 12, stalemate_window: 3}
states:
  - {id: AAA, ideal: {attribution_transparency: 0.5}, capability: 1, flexibility: 0.2}
  - {id: BBB, ideal: {attribution_transparency: 0.55}, capability: 1, flexibility: 0.2}
  - {id: CCC, ideal: {attribution_transparency: 0.6}, capability: 1, flexibility: 0.0}
"""


@pytest.fixture
def three(write_yaml):
    return write_yaml(THREE, "three.yaml")


@pytest.fixture(scope="module")
def tiered_with_failures(tmp_path_factory):
    """WPCNT (three tiers) for 3 rounds, where a flexibility of 1.5 fails validation: rows with missing values."""
    out = tmp_path_factory.mktemp("tiered")
    spec = write_spec(out, """
        uncertainties:
          states.USA.flexibility: [0.3, 1.5]
        replicates: 2
        max_rounds: 3
    """, scenario=SCENARIOS / "wpcnt.yaml")
    return run_sweep(spec, out / "results", SerialExecutor())


def test_runs_table_has_nullable_types_and_one_missing_value(tiered_with_failures):
    """runs.parquet, read with plain pandas, gives boolean and Int64 columns (not object and float) and pd.NA for
    every missing value: the failed runs' outcome, rounds, tier flags and texts alike; no column is of object type."""
    table = pd.read_parquet(tiered_with_failures.path / "runs.parquet")
    tiers = [c for c in table.columns if c.endswith("_in_being")]
    assert len(tiers) == 3
    assert all(table[c].dtype == "boolean" for c in tiers)
    assert table["rounds"].dtype == "Int64" and table["adopted"].dtype == "boolean"
    assert not [c for c in table.columns if table[c].dtype == object]
    failed = table[table["error"].notna()]
    assert len(failed) == 2
    for column in ["outcome", "rounds", "adopted", "text_enforcement", *tiers]:
        assert failed[column].isna().all() and all(v is pd.NA for v in failed[column])
    done = table[table["error"].isna()]
    assert done[tiers].notna().all().all() and done["rounds"].notna().all()


def test_runs_table_carries_the_sweep_id_and_query_names(tiered_with_failures):
    """Every row names its sweep (so tables of several sweeps concatenate); load_runs gives the same table, with
    names that DataFrame.query accepts on request, and backticks work on the dotted names."""
    folder = tiered_with_failures
    table = pd.read_parquet(folder.path / "runs.parquet")
    assert (table["sweep"] == folder.id).all() and table.columns[0] == "sweep"
    loaded = load_runs(folder.path)
    pd.testing.assert_frame_equal(loaded, table)
    assert len(loaded.query("`states.USA.flexibility` == 0.3")) == 2
    friendly = load_runs(folder.path, query_names=True)
    assert "states__USA__flexibility" in friendly.columns
    assert len(friendly.query("states__USA__flexibility == 0.3 and rounds > 0")) == 2


def test_a_finished_sweep_leaves_no_lock_and_the_lock_still_excludes(tiered_with_failures):
    """No .lock file stays in a finished folder nor in its manifest; while one process holds the lock, another
    is refused, and once released the lock can be taken again."""
    folder = tiered_with_failures
    assert not (folder.path / ".lock").exists()
    manifest = json.loads((folder.path / "manifest.json").read_text(encoding="utf-8"))
    assert ".lock" not in manifest["files"]
    first, second = SweepFolder(folder.path), SweepFolder(folder.path)
    first.lock()
    try:
        with pytest.raises(SweepFolderError, match="another process"):
            second.lock()
    finally:
        first.unlock()
    assert not (folder.path / ".lock").exists()
    second.lock()
    second.unlock()


def test_threshold_runs_under_consensus_are_not_pooled(tmp_path, three):
    """The threshold's table counts only the runs whose rule reads a threshold; the consensus runs are left out,
    with a note saying so."""
    spec = write_spec(tmp_path, """
        levers:
          rules.decision: [consensus, majority_count]
          rules.threshold: [0.5, 0.9]
        replicates: 2
    """, scenario=three)
    report = analyze(run_sweep(spec, tmp_path / "results", SerialExecutor()), figures=False)
    rows = report.by_parameter[report.by_parameter["parameter"] == "rules.threshold"]
    assert set(rows["runs"]) == {2}  # 2 replicates of majority_count at each threshold, not 4
    decision = report.by_parameter[report.by_parameter["parameter"] == "rules.decision"]
    assert set(decision["runs"]) == {4}
    assert any("rules.threshold: 4 runs under consensus left out" in n for n in report.notes)


def test_a_threshold_varied_under_consensus_alone_gets_a_note_not_a_table(tmp_path, three):
    """When every run's rule ignores the varied field, there is no table for it, and a note says why."""
    spec = write_spec(tmp_path, """
        levers:
          rules.threshold: [0.5, 0.9]
    """, scenario=three)
    report = analyze(run_sweep(spec, tmp_path / "results", SerialExecutor()), figures=False)
    assert "rules.threshold" not in set(report.by_parameter["parameter"])
    assert any(n.startswith("rules.threshold: does nothing under consensus") for n in report.notes)


def test_a_parameter_of_no_effect_and_repeated_points_are_flagged(tmp_path, three, capsys):
    """A field the model never reads (the title), under common random numbers, is named as having no effect; a
    Latin hypercube that draws the same values twice is flagged by `sweep` and by the analysis."""
    spec = write_spec(tmp_path, """
        uncertainties:
          metadata.title: [A, B]
        design: {kind: lhs, samples: 4}
        replicates: 2
        common_random_numbers: true
    """, scenario=three)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "results"), "--executor", "serial", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "warning: 2 of 4 design points repeat another point's values" in captured.err
    report = analyze(captured.out.strip(), figures=False)
    assert any("2 design points repeat another point's values" in n for n in report.notes)
    assert any(n.startswith("metadata.title: no effect") for n in report.notes)


def test_rounds_and_membership_are_summarised_when_the_outcome_does_not_vary(tmp_path, three):
    """With one outcome in every run, the report prints rounds and core members by value (with intervals) and the
    table is written; the means agree with the stored runs."""
    spec = write_spec(tmp_path, """
        uncertainties:
          states.AAA.flexibility: [0.1, 0.4]
        replicates: 3
    """, scenario=three)
    folder = run_sweep(spec, tmp_path / "results", SerialExecutor())
    runs = load_runs(folder.path)
    assert runs["outcome"].nunique() == 1  # the fixture: CCC near the others, so every run agrees
    report = analyze(folder, figures=False)
    text = format_report(report)
    assert "Rounds and core members" in text and "states.AAA.flexibility = 0.1" in text
    table = pd.read_csv(report.path / "responses_by_parameter.csv")
    rows = table[table["parameter"] == "states.AAA.flexibility"]
    row = rows[rows["value"].astype(float) == 0.1].iloc[0]
    assert row["rounds_mean"] == pytest.approx(runs.loc[runs["states.AAA.flexibility"] == 0.1, "rounds"].mean())
    assert row["rounds_low"] <= row["rounds_mean"] <= row["rounds_high"]


def test_sobol_on_a_small_sample_warns(tmp_path, three):
    """Sobol indices from a base sample of 16 come with a warning that names the sample size and asks for more."""
    spec = write_spec(tmp_path, """
        uncertainties:
          states.CCC.ideal.attribution_transparency: {low: 0.5, high: 1.0}
          states.AAA.flexibility: {low: 0.1, high: 0.4}
        design: {kind: sobol, samples: 16}
        common_random_numbers: true
    """, scenario=three)
    report = analyze(run_sweep(spec, tmp_path / "results", SerialExecutor()), figures=False)
    assert report.sensitivity is not None  # the fixture: the outcome varies with CCC's ideal
    warning = [n for n in report.notes if n.startswith("warning: sobol: a base sample of N = 16")]
    assert warning and "--samples 512" in warning[0]
    assert "warning: sobol" in format_report(report)
