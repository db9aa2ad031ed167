"""Sweep folders under attack: racing resumes, edited or damaged folders, and specs that ask for too much."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli import ExitCode, main
from sim.sweep import SweepFolder, SweepFolderError, build_design, execute, load_spec
from sim.sweep.executors import SerialExecutor

from .test_sweep_run import final_table, write_spec

SMALL = """
levers:
  states.USA.flexibility: [0.2, 0.5]
replicates: 3
seed: 5
"""


@pytest.fixture
def finished(tmp_path):
    """A small finished sweep folder (6 runs)."""
    plan = load_spec(write_spec(tmp_path, SMALL))
    folder = SweepFolder.create(tmp_path / "results", plan, build_design(plan), command=None)
    with SerialExecutor() as executor:
        execute(folder, executor, progress=False)
    return folder


@pytest.fixture
def unfinished(tmp_path):
    """A sweep folder made but never run."""
    plan = load_spec(write_spec(tmp_path, SMALL))
    return SweepFolder.create(tmp_path / "results", plan, build_design(plan), command=None)


def _stamps(folder: SweepFolder) -> dict:
    return {name: ((folder.path / name).stat().st_mtime_ns, (folder.path / name).read_bytes())
            for name in ("manifest.json", "runs.parquet", "runs.csv")}


def test_a_resume_that_gets_the_lock_after_another_finished_does_nothing(unfinished):
    """Two resumes race: both looked before either finished. The one that gets the lock second sees the finished
    manifest under the lock, reports `already finished`, and rewrites none of manifest.json, runs.parquet and
    runs.csv."""
    first, second = SweepFolder(unfinished.path), SweepFolder(unfinished.path)
    assert not first.finished and not second.finished  # both looked: nothing finished yet
    with SerialExecutor() as executor:
        execute(first, executor, progress=False)
    before = _stamps(unfinished)
    with SerialExecutor() as executor:
        report = execute(second, executor, progress=False)
    assert report.already_finished and report.ran == 0
    assert _stamps(unfinished) == before


def test_the_cli_says_already_finished_when_it_loses_the_race(unfinished, monkeypatch, capsys):
    """`sweep --resume` that saw an unfinished folder but finds it finished once it holds the lock exits 0 with
    `already finished` and leaves the tables alone."""
    with SerialExecutor() as executor:
        execute(SweepFolder(unfinished.path), executor, progress=False)
    before = _stamps(unfinished)
    looks = []

    def finished_late(self):  # the first look (before the lock) happened before the other process finished
        looks.append(1)
        return len(looks) > 1 and (self.path / "manifest.json").is_file()

    monkeypatch.setattr(SweepFolder, "finished", property(finished_late))
    assert main(["sweep", "--resume", str(unfinished.path), "--executor", "serial"]) == ExitCode.OK
    assert "already finished" in capsys.readouterr().err
    assert _stamps(unfinished) == before


def test_an_edited_scenario_in_the_folder_is_refused_on_resume(unfinished, capsys):
    """A scenario.yaml edited after the sweep started no longer matches the hash in sweep.json: resume refuses
    it (exit 3) before any run, rather than run part of the sweep on another scenario."""
    path = unfinished.path / "scenario.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  title: " in text
    path.write_text(text.replace("  title: ", "  title: Edited ", 1), encoding="utf-8")
    assert main(["sweep", "--resume", str(unfinished.path), "--executor", "serial"]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "scenario.yaml: changed since the sweep started" in err
    assert not list((unfinished.path / "runs").glob("part-*"))


def test_a_scenario_read_differently_by_another_version_is_told_apart_from_an_edited_one(unfinished, capsys):
    """A copy whose bytes are as they were, but which this version reads as another scenario (as when a field is
    added to the format or a default changes: here sweep.json records the hash an older reading gave), is refused
    with a line that says so and names where the versions it started with are recorded, not as an edited file; a
    folder from before the copy's own digest was recorded still refuses, saying that it cannot tell the two apart."""
    info_path = unfinished.path / "sweep.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    assert info["scenario"]["copy_sha256"]
    info["scenario"]["sha256"] = "0" * 64  # what an older version's reading of the same bytes hashed to
    info_path.write_text(json.dumps(info), encoding="utf-8")
    assert main(["sweep", "--resume", str(unfinished.path), "--executor", "serial"]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unchanged since the sweep started, but this version of treatysim reads it differently" in err
    assert "(sweep.json, environment)" in err and info["environment"]["packages"]
    assert "changed since the sweep started (" not in err
    del info["scenario"]["copy_sha256"]
    info_path.write_text(json.dumps(info), encoding="utf-8")
    assert main(["sweep", "--resume", str(unfinished.path), "--executor", "serial"]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "scenario.yaml: edited since the sweep started, or read differently by this version" in err
    assert not list((unfinished.path / "runs").glob("part-*"))


def test_a_temporary_manifest_left_by_a_kill_is_not_listed(unfinished):
    """A `.manifest.json.tmp` left by a kill during the manifest write is removed by the resume and is not listed
    among the manifest's files (nor is the lock file)."""
    (unfinished.path / ".manifest.json.tmp").write_text("{half", encoding="utf-8")
    with SerialExecutor() as executor:
        execute(unfinished, executor, progress=False)
    files = json.loads((unfinished.path / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert not (unfinished.path / ".manifest.json.tmp").exists()
    assert not any(name.startswith(".") or "/." in name for name in files)
    assert all((unfinished.path / name).is_file() for name in files)


@pytest.mark.parametrize("damage, needle", [
    (lambda f: (f.path / "sweep.json").write_text("{not json", encoding="utf-8"), "sweep.json: damaged"),
    (lambda f: (f.path / "sweep.json").write_text("{}", encoding="utf-8"), "sweep.json: damaged"),
    (lambda f: (f.path / "design.parquet").unlink(), "design.parquet: missing or damaged"),
    (lambda f: (f.path / "scenario.yaml").unlink(), "scenario.yaml: missing or no longer valid"),
    (lambda f: (f.path / "runs" / "part-000001.parquet").write_bytes(b"PAR1 truncated"),
     "part-000001.parquet: damaged"),
])
def test_a_tampered_folder_is_one_line_and_exit_3(unfinished, capsys, damage, needle):
    """A bad sweep.json, a missing design or scenario, or a truncated part is one line naming the file, with what
    to do, and exit 3 (not an internal error)."""
    damage(unfinished)
    assert main(["sweep", "--resume", str(unfinished.path), "--executor", "serial"]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err


def test_resume_after_the_checks_still_gives_the_table(unfinished, finished):
    """The new checks do not stand in the way of an honest resume: same table as an uninterrupted sweep."""
    with SerialExecutor() as executor:
        execute(unfinished, executor, progress=False)
    pd.testing.assert_frame_equal(final_table(unfinished), final_table(finished))
    with pytest.raises(SweepFolderError, match="another process"):
        other = SweepFolder(unfinished.path)
        unfinished.lock()
        try:
            other.lock()
        finally:
            unfinished.unlock()


@pytest.mark.parametrize("extra, needle", [
    (["--vary", "states.USA.flexibility=0.1:0.5:100000000"], "is above the largest allowed value, 1000000"),
    (["--vary", "states.USA.flexibility=0.1:0.5", "--design", "lhs", "--samples", "1000000000"],
     "--samples: design.samples: 1000000000 is above the largest allowed value, 1000000"),
    (["--replicates", str(10**12)], "is above the largest allowed value, 10000000"),
    (["--vary", "states.USA.flexibility=0.1:0.5:1000", "--vary", "states.JPN.flexibility=0.1:0.5:1000",
      "--replicates", "20"], "1,000,000 points x 20 replicates = 20,000,000 runs, more than the 10,000,000"),
    (["--vary", "states.USA.flexibility=0.1:0.5:1000", "--vary", "states.JPN.flexibility=0.1:0.5:1001"],
     "the design has 1,001,000 points, more than the 1,000,000"),
])
def test_sweeps_too_large_to_hold_are_refused_before_any_folder(tmp_path, capsys, extra, needle):
    """Steps, samples, replicates and their product are bounded: beyond the limit, one line giving the limit and
    exit 3, and no folder is made (no MemoryError after a folder that cannot be resumed)."""
    from .test_sweep_run import WPCNT

    out = tmp_path / "out"
    assert main(["sweep", str(WPCNT), *extra, "--out", str(out), "--executor", "serial"]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert not out.exists() or not any(out.iterdir())


def test_spec_max_rounds_has_the_same_cap_as_rounds(tmp_path):
    """A spec's max_rounds is capped at 100,000, as --rounds and protocol.max_rounds are."""
    from sim.loader import ScenarioError

    with pytest.raises(ScenarioError, match=r"max_rounds: 100001 is above the largest allowed value, 100000"):
        load_spec(write_spec(tmp_path, "max_rounds: 100001\n"))


def test_a_range_as_wide_as_the_floats_is_refused_and_grids_stay_finite(tmp_path):
    """{low: -1e308, high: 1e308} has a width that overflows: refused, rather than NaN and inf grid points; and
    a wide but finite range gives finite points with both ends exact."""
    from sim.loader import ScenarioError
    from sim.sweep.spec import Parameter

    with pytest.raises(ScenarioError, match="range too wide"):
        load_spec(write_spec(tmp_path, "levers:\n  rules.threshold: {low: -1e308, high: 1e308, steps: 2}\n"))
    wide = Parameter("x", "levers", "range", low=-1.7e308, high=1.7e308, steps=5)
    values = wide.grid_values(None)
    assert values[0] == -1.7e308 and values[-1] == 1.7e308 and all(abs(v) < float("inf") for v in values)


def test_a_flow_style_spec_stored_in_the_folder_can_be_rerun(tmp_path, capsys):
    """A spec written in flow style ({scenario: ..., levers: ...}) is stored so that `sweep FOLDER/spec.yaml`
    reruns it: its scenario then points at the copy beside it."""
    from .test_sweep_run import WPCNT

    spec = tmp_path / "flow.yaml"
    spec.write_text(f"{{scenario: {WPCNT}, levers: {{states.USA.flexibility: [0.2, 0.5]}}, replicates: 2}}\n",
                    encoding="utf-8")
    assert main(["sweep", str(spec), "--out", str(tmp_path / "a"), "--executor", "serial", "--quiet"]) == 0
    first = SweepFolder(capsys.readouterr().out.strip())
    stored = first.path / "spec.yaml"
    assert main(["sweep", str(stored), "--out", str(tmp_path / "b"), "--executor", "serial", "--quiet"]) == 0
    second = SweepFolder(capsys.readouterr().out.strip())
    pd.testing.assert_frame_equal(final_table(first), final_table(second))
