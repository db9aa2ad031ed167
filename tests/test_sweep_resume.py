"""Interrupted sweeps: kill -9 and Ctrl-C lose only unfinished work, and a resume completes the exact table."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import psutil
import pytest

from sim.cli import main
from sim.sweep import SweepFolder, SweepFolderError, execute
from sim.sweep.executors import SerialExecutor

from .conftest import ROOT
from .test_sweep_run import final_table, run_sweep, write_spec

LONG = """
uncertainties:
  states.USA.flexibility: {low: 0.1, high: 0.7, steps: 4}
levers:
  rules.decision: [consensus, majority_count]
replicates: 75
seed: 3
"""  # 600 runs: a few seconds, long enough to be killed part way
LONGER = LONG.replace("replicates: 75", "replicates: 150")  # 1200 runs, for a signal after a fixed wait

WITH_ROUNDS = """
levers:
  states.USA.flexibility: [0.2, 0.5]
replicates: 12
seed: 8
keep: {rounds: true}
"""


def _parts(folder) -> list:
    return sorted((folder / "runs").glob("part-*.parquet")) if (folder / "runs").is_dir() else []


def test_sigkill_part_way_then_resume_gives_exactly_the_uninterrupted_rows(tmp_path):
    """`run.py sweep` killed with SIGKILL after some part files are written leaves no manifest and no stray
    workers; `--resume` runs only the missing runs, and the final table equals that of a sweep never
    interrupted: no duplicate and no lost run."""
    spec = write_spec(tmp_path, LONG)
    out = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "run.py", "sweep", str(spec), "--out", str(out), "--workers", "2", "--runs-per-task", "5",
         "--flush-runs", "20", "--quiet"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers = []
    try:
        deadline = time.monotonic() + 120
        folder = None
        while time.monotonic() < deadline:
            found = [p for p in out.iterdir() if not p.name.startswith(".")] if out.is_dir() else []
            if found and len(_parts(found[0])) >= 2:
                folder = found[0]
                break
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.01)
        assert folder is not None, "no part files appeared"
        workers = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        # The pool's workers notice that the sweep process is gone and exit by themselves.
        gone, alive = psutil.wait_procs(workers, timeout=15)
        assert not alive, f"workers left running: {[p.pid for p in alive]}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for worker in workers:
            if worker.is_running():
                worker.kill()
        process.stderr.close()

    sweep = SweepFolder(folder)
    assert not sweep.finished
    stored = int(sweep.done().sum())
    assert 0 < stored < sweep.total == 600

    assert main(["sweep", "--resume", str(folder), "--quiet", "--workers", "2"]) == 0
    assert sweep.finished
    resumed = final_table(sweep)
    assert resumed["run"].is_unique and list(resumed["run"]) == list(range(600))
    history = sweep.history()
    assert history[-2]["pending"] == 600 - stored  # the resume ran only what was missing

    reference = run_sweep(write_spec(tmp_path, LONG, name="again.yaml"), tmp_path / "reference", SerialExecutor(),
                          runs_per_task=64)
    pd.testing.assert_frame_equal(resumed, final_table(reference))


class Interrupting(SerialExecutor):
    """Serial execution that is interrupted (as by Ctrl-C) after a number of tasks."""

    def __init__(self, after: int):
        self.after = after

    def map(self, context, tasks):
        for count, result in enumerate(super().map(context, tasks)):
            if count == self.after:
                raise KeyboardInterrupt
            yield result


@pytest.fixture(scope="module")
def reference_with_rounds(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    return run_sweep(write_spec(out, WITH_ROUNDS), out / "results", SerialExecutor())


def test_ctrl_c_stores_finished_runs_and_resume_completes_them(tmp_path, reference_with_rounds):
    """On Ctrl-C the runs already back are stored; a resume after it, with half-written files left behind (a
    temporary part file and a rounds part whose runs part never came), gives the same runs and per-round
    records as an uninterrupted sweep."""
    plan_path = write_spec(tmp_path, WITH_ROUNDS)
    from sim.sweep import build_design, load_spec

    plan = load_spec(plan_path)
    folder = SweepFolder.create(tmp_path / "results", plan, build_design(plan), command=None)
    with pytest.raises(KeyboardInterrupt):
        execute(folder, Interrupting(after=3), progress=False, runs_per_task=2, flush_runs=1000)
    assert folder.done().sum() == 6 and not folder.finished  # three tasks of two runs were back and stored
    assert folder.history()[-1]["status"] == "interrupted"

    (folder.path / "runs" / ".part-000009.parquet.tmp").write_bytes(b"half a file")
    shutil.copy(folder.path / "rounds" / "part-000001.parquet", folder.path / "rounds" / "part-000007.parquet")

    execute(folder, SerialExecutor(), progress=False, runs_per_task=5)
    assert not (folder.path / "runs" / ".part-000009.parquet.tmp").exists()
    assert not (folder.path / "rounds" / "part-000007.parquet").exists()
    pd.testing.assert_frame_equal(final_table(folder), final_table(reference_with_rounds))
    rounds = pd.read_parquet(folder.path / "rounds").sort_values(["run", "round"], ignore_index=True)
    expected = pd.read_parquet(reference_with_rounds.path / "rounds").sort_values(["run", "round"],
                                                                                   ignore_index=True)
    pd.testing.assert_frame_equal(rounds, expected)


def test_a_resume_under_other_code_warns_once_and_the_history_says_which_code_ran(tmp_path, capsys,
                                                                                    reference_with_rounds):
    """sweep.json records the digest of treatysim's code the sweep started with; a resume under other code (here
    the record is of an older digest) finishes the sweep but warns, in one line, that the stored runs and the new
    ones may differ, and each start in history.jsonl names the code that ran; the same code resumes silently."""
    import json

    from sim.results import source_sha256
    from sim.sweep import build_design, load_spec

    def interrupted(name):
        (tmp_path / name).mkdir()
        plan = load_spec(write_spec(tmp_path / name, WITH_ROUNDS))
        folder = SweepFolder.create(tmp_path / name / "results", plan, build_design(plan), command=None)
        with pytest.raises(KeyboardInterrupt):
            execute(folder, Interrupting(after=3), progress=False, runs_per_task=2, flush_runs=1000)
        return folder

    same = interrupted("same")
    assert same.info["environment"]["treatysim_source_sha256"] == source_sha256()
    assert main(["sweep", "--resume", str(same.path), "--executor", "serial", "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err

    other = interrupted("other")
    info_path = other.path / "sweep.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info["environment"]["treatysim_source_sha256"] = "f" * 64
    info_path.write_text(json.dumps(info), encoding="utf-8")
    assert main(["sweep", "--resume", str(other.path), "--executor", "serial", "--quiet"]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "code differs from the code the sweep started with" in warnings[0]
    assert "the 6 runs stored" in warnings[0]
    starts = [e for e in SweepFolder(other.path).history() if e.get("event") == "start"]
    assert [e["treatysim_source_sha256"] for e in starts] == [source_sha256()] * 2
    pd.testing.assert_frame_equal(final_table(SweepFolder(other.path)), final_table(reference_with_rounds))


def test_a_sweep_folder_is_worked_on_by_one_process_at_a_time(reference_with_rounds, tmp_path):
    """While one process holds a sweep folder, another cannot start on it."""
    folder = SweepFolder(reference_with_rounds.path)
    other = SweepFolder(reference_with_rounds.path)
    folder.lock()
    try:
        with pytest.raises(SweepFolderError, match="another process"):
            other.lock()
    finally:
        folder.unlock()
    other.lock()
    other.unlock()


def test_resume_of_a_finished_sweep_does_nothing(reference_with_rounds, capsys):
    """Resuming a finished sweep reports it and changes nothing."""
    before = (reference_with_rounds.path / "manifest.json").read_bytes()
    assert main(["sweep", "--resume", str(reference_with_rounds.path)]) == 0
    assert "already finished" in capsys.readouterr().err
    assert (reference_with_rounds.path / "manifest.json").read_bytes() == before


def test_resume_of_a_folder_that_is_not_a_sweep_is_refused(tmp_path, capsys):
    """--resume on any other folder is invalid input with one clear line."""
    assert main(["sweep", "--resume", str(tmp_path)]) == 3
    assert "not a sweep folder" in capsys.readouterr().err


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    """SIGTERM stops the sweep after storing what has finished, with exit code 130 and the resume command."""
    spec = write_spec(tmp_path, LONGER)
    process = subprocess.Popen(
        [sys.executable, "run.py", "sweep", str(spec), "--out", str(tmp_path / "out"), "--executor", "serial",
         "--runs-per-task", "5", "--flush-runs", "1000"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            folder = [p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")] \
                if (tmp_path / "out").is_dir() else []
            if folder and (folder[0] / "history.jsonl").exists():
                break
            time.sleep(0.02)
        time.sleep(1.5)  # long enough for some runs to finish even on a loaded machine
        os.kill(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert "resume with: python3 run.py sweep --resume" in err
    sweep = SweepFolder(folder[0])
    assert 0 < sweep.done().sum() < sweep.total  # what finished before the signal was stored (in one part)
