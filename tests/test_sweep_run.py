"""Running sweeps: equal results on every executor, stored rows, failures recorded, progress, the CLI."""

from __future__ import annotations

import json
import textwrap

import pandas as pd
import pytest

import sim.sweep.tasks as tasks_module
from sim.cli import main
from sim.sweep import SweepFolder, build_design, execute, load_spec
from sim.sweep.design import run_seed
from sim.sweep.executors import PoolExecutor, SerialExecutor

from .conftest import ROOT

WPCNT = ROOT / "scenarios" / "wpcnt.yaml"
CLASSROOM = ROOT / "scenarios" / "classroom.yaml"


def write_spec(folder, body: str, scenario=WPCNT, name: str = "spec.yaml"):
    path = folder / name
    path.write_text(f"scenario: {scenario}\n" + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def run_sweep(spec_path, out, executor, **options) -> SweepFolder:
    plan = load_spec(spec_path)
    folder = SweepFolder.create(out, plan, build_design(plan), command=None)
    with executor:
        execute(folder, executor, progress=False, **options)
    return folder


def final_table(folder: SweepFolder) -> pd.DataFrame:
    """The stored table without wall times (the one column that measures the machine, not the model) and the
    sweep's id (which names the folder)."""
    return pd.read_parquet(folder.path / "runs.parquet").drop(columns=["wall_time_s", "sweep"])


SMALL = """
uncertainties:
  states.USA.flexibility: {low: 0.1, high: 0.7, steps: 3}
levers:
  rules.decision: [consensus, majority_count]
replicates: 4
seed: 11
"""


@pytest.fixture(scope="module")
def serial_small(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return run_sweep(write_spec(out, SMALL), out / "results", SerialExecutor(), runs_per_task=5)


def test_serial_and_process_pool_give_equal_tables(serial_small, tmp_path):
    """The same spec and master seed give the same table on one process and on a pool of two, with a different
    number of runs per task (so the runs finish in another order and are stored in other part files)."""
    pooled = run_sweep(write_spec(tmp_path, SMALL), tmp_path / "results", PoolExecutor(2), runs_per_task=3,
                       flush_runs=4)
    assert len(list((pooled.path / "runs").glob("part-*.parquet"))) > 1
    pd.testing.assert_frame_equal(final_table(serial_small), final_table(pooled))


def test_rows_hold_parameters_seeds_and_results(serial_small):
    """Every row has its run, point, replicate, the spawned seed, the point's parameter values and the run's
    results: outcome, rounds, entry into force, core and tier members, final text."""
    table = final_table(serial_small)
    design = serial_small.design()
    assert list(table["run"]) == list(range(24))
    assert list(table["point"]) == [r // 4 for r in range(24)]
    assert list(table["replicate"]) == [r % 4 for r in range(24)]
    assert list(table["seed"]) == [run_seed(11, r) for r in range(24)]
    merged = table.merge(design, on="point", suffixes=("", "_design"))
    assert (merged["rules.decision"] == merged["rules.decision_design"]).all()
    assert (merged["states.USA.flexibility"] == merged["states.USA.flexibility_design"]).all()
    assert table["error"].isna().all()
    assert table["outcome"].notna().all() and (table["rounds"] > 0).all()
    assert (table["core_members_n"] == table["core_members"].str.split(";").str.len()).all()
    for tier in ("attribution_sharing", "joint_enforcement", "evidence_access"):
        members = table[f"tier_{tier}_members"].fillna("")
        assert (table[f"tier_{tier}_n"] == members.map(lambda text: len(text.split(";")) if text else 0)).all()
    for dim in ("attribution_transparency", "data_sovereignty", "enforcement"):
        assert table[f"text_{dim}"].between(0, 1).all()
    in_force = table[table["in_force"]]
    assert (in_force["in_force_round"] >= in_force["adopted_round"]).all()


def test_replicates_are_not_copies(serial_small):
    """Replicates of one point get different seeds and so differ (unlike batch_run with a fixed seed)."""
    table = final_table(serial_small)
    first_point = table[table["point"] == 0]
    assert first_point["seed"].nunique() == 4
    assert first_point[["rounds", "text_attribution_transparency"]].drop_duplicates().shape[0] > 1


def test_run_matches_a_single_run_with_the_same_seed_and_settings(serial_small):
    """A sweep row reports exactly what run_once gives for that scenario and seed (the sweep adds no randomness)."""
    from sim.loader import load_scenario
    from sim.runner import run_once

    row = final_table(serial_small).iloc[13]
    scenario = load_scenario(WPCNT, [f"states.USA.flexibility={row['states.USA.flexibility']}",
                                     f"rules.decision={row['rules.decision']}"])
    summary = run_once(scenario, int(row["seed"])).summary
    assert row["outcome"] == summary["outcome"]
    assert row["rounds"] == summary["rounds"]
    assert row["core_members"] == ";".join(summary["core_members"])
    assert row["text_enforcement"] == summary["core_text"]["enforcement"]


def test_manifest_is_written_last_with_provenance(serial_small):
    """A finished sweep has a manifest with the design, seed, counts, environment and file digests, and its
    sorted tables as Parquet and CSV."""
    manifest = json.loads((serial_small.path / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["runs"] == 24 and manifest["failed"] == 0
    assert manifest["seed"] == 11 and manifest["replicates"] == 4
    assert sum(manifest["outcomes"].values()) == 24
    assert "runs.parquet" in manifest["files"] and "runs/part-000001.parquet" in manifest["files"]
    assert "numpy" in manifest["environment"]["packages"]
    csv = pd.read_csv(serial_small.path / "runs.csv")
    assert list(csv["run"]) == list(range(24))
    assert [e["event"] for e in serial_small.history()] == ["start", "end"]


def test_invalid_parameter_value_is_recorded_and_the_sweep_goes_on(tmp_path, capsys):
    """A value the scenario refuses fails only the runs that use it: they are stored with their parameters and
    the reason, the other runs complete, failures.csv lists them and the exit code is 4."""
    spec = write_spec(tmp_path, """
        levers:
          states.USA.flexibility: [0.4, 1.5, 0.6]
        replicates: 2
        """)
    code = main(["sweep", str(spec), "--out", str(tmp_path / "results"), "--executor", "serial"])
    captured = capsys.readouterr()
    assert code == 4
    assert "2 of 6 runs failed" in captured.err
    folder = SweepFolder(next((tmp_path / "results").iterdir()))
    table = pd.read_parquet(folder.path / "runs.parquet")
    failed = table[table["error"].notna()]
    assert list(failed["run"]) == [2, 3]
    assert (failed["states.USA.flexibility"] == 1.5).all()
    assert failed["outcome"].isna().all()
    assert failed["error"].str.contains("states[0].flexibility: 1.5 is not between 0 and 1", regex=False).all()
    assert table.loc[table["error"].isna(), "outcome"].notna().sum() == 4
    assert len(pd.read_csv(folder.path / "failures.csv")) == 2


def test_a_run_that_raises_is_recorded_with_its_error(serial_small, tmp_path, monkeypatch):
    """An exception inside a run (here one seed made to fail) is stored on that run's row; the rest match the
    sweep without the failure."""
    bad_seed = run_seed(11, 5)
    real = tasks_module.run_once

    def flaky(scenario, seed, max_rounds=None):
        if seed == bad_seed:
            raise FloatingPointError("diverged")
        return real(scenario, seed, max_rounds)

    monkeypatch.setattr(tasks_module, "run_once", flaky)
    folder = run_sweep(write_spec(tmp_path, SMALL), tmp_path / "results", SerialExecutor())
    table = final_table(folder)
    assert table.loc[5, "error"] == "FloatingPointError: diverged"
    assert table.loc[5, "states.USA.flexibility"] == 0.1 and table.loc[5, "seed"] == bad_seed
    expected = final_table(serial_small).drop(index=5)
    # The failed row's empty cells turn integer columns into floats in pandas; the values are what matters.
    pd.testing.assert_frame_equal(table.drop(index=5), expected, check_dtype=False)
    assert json.loads((folder.path / "manifest.json").read_text())["failed"] == 1


def test_quick_form_runs_a_grid_and_prints_plain_progress(tmp_path, capsys):
    """`sweep SCENARIO --vary PATH=LO:HI:N --vary PATH=a,b --replicates R` runs every combination R times; without
    a terminal, progress comes as plain lines with the rate."""
    code = main(["sweep", str(WPCNT), "--vary", "states.USA.flexibility=0.2:0.6:3",
                 "--lever", "rules.decision=consensus,majority_count", "--replicates", "2", "--seed", "5",
                 "--out", str(tmp_path), "--executor", "serial", "--keep-rounds"])
    captured = capsys.readouterr()
    assert code == 0
    assert "12/12 runs (100%)" in captured.err and "runs/s" in captured.err
    folder = SweepFolder(next(tmp_path.iterdir()))
    assert folder.path.name.startswith("wpcnt-sweep-")
    table = pd.read_parquet(folder.path / "runs.parquet")
    assert sorted(table["states.USA.flexibility"].unique()) == [0.2, 0.4, 0.6]
    assert set(table["rules.decision"]) == {"consensus", "majority_count"}
    rounds = pd.read_parquet(folder.path / "rounds")
    per_run = rounds.groupby("run")["round"].max().sort_index()
    assert list(per_run) == list(table["rounds"])  # one record per round, round 0 being the start
    assert "made from the command line" in (folder.path / "spec.yaml").read_text()


def test_scenario_without_vary_gives_replicates_of_the_scenario(tmp_path):
    """`sweep SCENARIO --replicates R` with nothing varied runs the scenario R times with R different seeds."""
    assert main(["sweep", str(WPCNT), "--replicates", "3", "--seed", "2", "--out", str(tmp_path),
                 "--executor", "serial", "--quiet"]) == 0
    table = pd.read_parquet(next(tmp_path.iterdir()) / "runs.parquet")
    assert list(table["point"]) == [0, 0, 0]
    assert list(table["seed"]) == [run_seed(2, r) for r in range(3)]


def test_quick_form_flags_are_refused_with_a_spec(tmp_path, capsys):
    """Options of the quick form with a spec file are a usage error (the spec is the one description)."""
    spec = write_spec(tmp_path, SMALL)
    assert main(["sweep", str(spec), "--replicates", "3", "--out", str(tmp_path / "r")]) == 2
    assert "only for the quick form" in capsys.readouterr().err


def test_progress_bar_on_a_terminal(tmp_path):
    """On a terminal the progress is a tqdm bar showing done/total and the rate."""
    import io

    from sim.sweep.progress import Progress

    stream = io.StringIO()
    bar = Progress(10, stream=stream, terminal=True)
    bar.update(4)
    bar.update(6, failed=1)
    bar.close()
    text = stream.getvalue()
    assert "10/10" in text and "run/s" in text and "failed=1" in text
