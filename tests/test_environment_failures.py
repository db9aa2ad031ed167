"""Failures of the environment (a full or read-only disk, missing files, a terminal that cannot print a name, a
signal) give their documented exit code and one line saying what to do, and leave nothing that looks finished."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import ExitCode, main

from .conftest import MINIMAL, ROOT, SCENARIOS
from .test_sweep_run import write_spec

CLASSROOM = SCENARIOS / "classroom.yaml"
KTAB = ROOT / "data" / "ktab" / "dummyData_3Dim.csv"
SWEEP = "levers:\n  states.USA.flexibility: [0.2, 0.5]\nreplicates: 2\n"


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "somewhere/file.parquet")


# ------------------------------------------------------------------------------------ full disk while writing --
def test_run_on_a_disk_that_fills_up_exits_5_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    """A disk that fills while the results are written: exit 5 (CANNOT_WRITE), one line saying the disk is full and
    what to do, and neither a results folder nor a hidden temporary one is left."""
    monkeypatch.setattr("sim.results.write_table", _disk_full)
    out = tmp_path / "out"
    assert main(["run", str(CLASSROOM), "--out", str(out), "--no-figures"]) == ExitCode.CANNOT_WRITE == 5
    line = _one_line(capsys.readouterr().err)
    assert "No space left on device" in line and "free some space" in line
    assert _visible(out) == []


def test_compare_on_a_disk_that_fills_up_exits_5_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    """compare: the same, exit 5 and no folder."""
    monkeypatch.setattr("sim.results.write_table", _disk_full)
    out = tmp_path / "out"
    code = main(["compare", str(CLASSROOM), str(CLASSROOM), "--replicates", "2", "--rounds", "5", "--out", str(out),
                 "--quiet"])
    assert code == ExitCode.CANNOT_WRITE
    assert "No space left on device" in _one_line(capsys.readouterr().err)
    assert _visible(out) == []


def test_sweep_on_a_disk_that_fills_up_exits_5_with_the_resume_hint_and_its_end_event(tmp_path, monkeypatch,
                                                                                         capsys):
    """A sweep whose part file cannot be written: exit 5, one line with the resume command, and history.jsonl
    still gets its "end" event; no manifest is written."""
    import sim.sweep.storage as storage

    real = storage._write_atomic

    def full_for_parts(path, write):
        if path.parent.name == "runs":
            _disk_full()
        real(path, write)

    monkeypatch.setattr(storage, "_write_atomic", full_for_parts)
    out = tmp_path / "out"
    code = main(["sweep", str(write_spec(tmp_path, SWEEP)), "--out", str(out), "--executor", "serial", "--quiet"])
    assert code == ExitCode.CANNOT_WRITE
    line = _one_line(capsys.readouterr().err)
    assert "No space left on device" in line and "resume with: python3 run.py sweep --resume" in line
    (folder,) = [out / name for name in _visible(out)]
    history = [json.loads(x) for x in (folder / "history.jsonl").read_text().splitlines()]
    assert history[-1]["event"] == "end" and "OSError" in history[-1]["status"]
    assert not (folder / "manifest.json").exists()


# -------------------------------------------------------------------------- a real small or read-only disk --
@pytest.fixture
def mounted(tmp_path):
    """Mount a tmpfs (needs the right to mount, e.g. root in a container; skipped otherwise)."""
    mounts = []

    def mount(options: str) -> Path:
        target = tmp_path / f"mnt{len(mounts)}"
        target.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
        mounts.append(target)
        return target

    yield mount
    for target in mounts:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.mark.parametrize("command", ["run", "sweep", "compare", "import", "schema"])
@pytest.mark.parametrize("disk", ["size=256k", "ro,size=16m"])
def test_every_writing_command_refuses_a_full_or_read_only_disk_before_the_work(mounted, tmp_path, capsys,
                                                                                 command, disk):
    """On a disk with almost no space, or a read-only one, run, sweep, compare, import and schema stop with exit 5
    and one line saying what to do; the folder is checked before any run, and nothing is left on it."""
    target = mounted(disk)
    if command == "run":
        argv = ["run", str(CLASSROOM), "--out", str(target), "--no-figures"]
    elif command == "sweep":
        argv = ["sweep", str(write_spec(tmp_path, SWEEP)), "--out", str(target), "--executor", "serial"]
    elif command == "compare":
        argv = ["compare", str(CLASSROOM), str(CLASSROOM), "--replicates", "2", "--out", str(target)]
    elif command == "import":
        argv = ["import", "ktab", str(KTAB), "--out", str(target / "imported.yaml")]
    else:
        argv = ["schema", "--out", str(target / "schema.json")]
    code = main(argv)
    err = capsys.readouterr().err
    if command in ("import", "schema") and disk.startswith("size"):
        assert code == ExitCode.OK  # a file of a few kB fits: a small disk is no reason to refuse
        return
    assert code == ExitCode.CANNOT_WRITE, err
    line = _one_line(err)
    assert ("read-only" in line.lower() or "free" in line) and ("--out" in line)
    assert _visible(target) == []


# ----------------------------------------------------------------------------------------- missing files --
@pytest.mark.parametrize("argv, needle", [
    (["validate", "{missing}"], "no such file"),
    (["run", "{missing}"], "no such file"),
    (["compare", str(CLASSROOM), "{missing}"], "no such file"),
    (["sweep", "{missing}"], "no such file"),
    (["sweep", "--resume", "{missing}"], "no such folder"),
    (["analyze", "{missing}"], "no such folder"),
    (["import", "ktab", "{missing}"], "no such file"),
    (["import", "bdm", "{missing}"], "no such file"),
    (["app", "{missing}", "--port", "1"], "no such file"),
])
def test_every_command_given_a_missing_file_exits_3_with_one_line(tmp_path, capsys, argv, needle):
    """A missing input file or folder is exit 3 (INVALID_INPUT) and one line naming it."""
    missing = str(tmp_path / "nowhere.yaml")
    assert main([a.replace("{missing}", missing) for a in argv]) == ExitCode.INVALID_INPUT
    line = _one_line(capsys.readouterr().err)
    assert missing in line and needle in line


# ----------------------------------------------------------------------------------------- odd surroundings --
def test_a_300_digit_seed_runs_and_gets_a_folder_name_the_file_system_takes(tmp_path, capsys):
    """A 300-digit seed is a valid seed: the run finishes and its folder name is shortened, not refused after the
    run for being too long."""
    seed = "7" * 300
    out = tmp_path / "out"
    assert main(["run", str(CLASSROOM), "--seed", seed, "--out", str(out), "--no-figures", "--quiet",
                 "--rounds", "3"]) == ExitCode.OK
    (name,) = _visible(out)
    assert len(name) < 100
    assert json.loads((out / name / "manifest.json").read_text())["seed"] == int(seed)


def test_a_terminal_that_cannot_print_a_state_name_gets_it_escaped(write_yaml, tmp_path):
    """With PYTHONIOENCODING=ascii, a scenario titled 'Côte d'Ivoire talks' is printed escaped, not an internal
    error after the run."""
    path = write_yaml(MINIMAL.replace("title: Two states", "title: Côte d'Ivoire talks"))
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run([sys.executable, "run.py", "run", str(path), "--out", str(tmp_path / "out"),
                           "--no-figures", "--rounds", "5"], cwd=ROOT, env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert b"C\\xf4te" in done.stdout and b"internal error" not in done.stderr


# ------------------------------------------------------------------------------------------------ signals --
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_a_run_writes_leaves_no_partial_folder(tmp_path, how):
    """SIGTERM or SIGHUP while `run` writes its folder: exit 130, and neither the hidden `.partial-*` folder nor a
    visible one is left (as for Ctrl-C)."""
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen([sys.executable, "run.py", "run", "scenarios/classroom.yaml", "--animate",
                                "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(p.name.startswith(".partial-") for p in out.iterdir()):
            if process.poll() is not None:
                pytest.fail(f"the run ended before its folder was being written: {process.stderr.read()}")
            time.sleep(0.02)
        process.send_signal(how)
        process.wait(timeout=60)
        assert process.returncode == ExitCode.INTERRUPTED, process.stderr.read()
        assert _visible(out) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_an_empty_folder_under_the_final_name_is_never_replaced(tmp_path):
    """The finished folder is renamed into place in one step that never replaces anything, not even an empty
    folder: a folder already there under the name sends the result to name-2."""
    from sim.results import new_folder

    (tmp_path / "result").mkdir()
    with new_folder(tmp_path, "result") as building:
        (building.path / "x.txt").write_text("x")
    assert building.final == tmp_path / "result-2" and (tmp_path / "result-2" / "x.txt").is_file()
    assert list((tmp_path / "result").iterdir()) == []
