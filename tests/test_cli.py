"""The command line, through main(argv): run, validate, schema, --set, exit codes and the results folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

try:
    from numpy._core import _multiarray_umath
except ImportError:  # numpy before 2.0
    from numpy.core import _multiarray_umath

from sim.cli import ExitCode, main
from sim.loader import load_scenario

from .conftest import MINIMAL, ROOT, SCENARIOS

RUN_FILES = {"manifest.json", "scenario.yaml", "rounds.parquet", "rounds.csv", "states.parquet", "states.csv",
             "summary.json", "positions.png", "support.png", "issue_space.png"}


def run_folder(out):
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


def test_run_prints_summary_and_writes_a_complete_results_folder(tmp_path, capsys):
    """`run` prints outcome, members and the results path, and writes every documented file."""
    code = main(["run", str(SCENARIOS / "wpcnt.yaml"), "--seed", "3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "Outcome: AGREEMENT" in out and "members now 7/7" in out and "Tier attribution_sharing" in out
    assert "What tipped it:" in out
    assert "Entry into force: yes" in out
    folder = run_folder(tmp_path)
    assert f"Results: {folder}" in out
    assert {p.name for p in folder.iterdir()} == RUN_FILES
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["outcome"] == "agreement"
    assert len(manifest["scenario"]["sha256"]) == 64
    assert {"mesa", "numpy", "pandas", "pyarrow"} <= set(manifest["environment"]["packages"])
    numerics = manifest["environment"]["numerics"]  # what decides the last digits of exp and power here
    assert numerics["machine"] and numerics["numpy_simd_baseline"]
    cpu = _multiarray_umath.__cpu_features__
    assert all(cpu[target] for target in numerics["numpy_simd_dispatch"])  # only targets this processor has
    assert set(numerics["numpy_simd_dispatch"]) <= set(_multiarray_umath.__cpu_dispatch__)
    assert set(manifest["files"]) == RUN_FILES - {"manifest.json"}
    rounds = pd.read_parquet(folder / "rounds.parquet")
    pd.testing.assert_frame_equal(rounds, pd.read_csv(folder / "rounds.csv", keep_default_na=False), check_dtype=False)
    states = pd.read_parquet(folder / "states.parquet")
    assert len(states) == len(rounds) * 8
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["rounds"] == len(rounds) - 1


def test_results_are_reproducible_from_the_manifest(tmp_path):
    """Running the scenario as written in the results folder with the manifest's seed gives the same tables."""
    main(["run", str(SCENARIOS / "classroom.yaml"), "--seed", "5", "--out", str(tmp_path / "a"), "--no-figures"])
    first = run_folder(tmp_path / "a")
    seed = json.loads((first / "manifest.json").read_text())["seed"]
    main(["run", str(first / "scenario.yaml"), "--seed", str(seed), "--out", str(tmp_path / "b"), "--no-figures"])
    second = run_folder(tmp_path / "b")
    for table in ("rounds", "states"):
        pd.testing.assert_frame_equal(pd.read_parquet(first / f"{table}.parquet"),
                                      pd.read_parquet(second / f"{table}.parquet"))


def test_stalemate_summary_names_blockers_and_dimension(tmp_path, capsys):
    """For a stalemate the summary says who blocked and on which dimension."""
    main(["run", str(SCENARIOS / "classroom.yaml"), "--out", str(tmp_path), "--no-figures"])
    out = capsys.readouterr().out
    assert "Outcome: STALEMATE" in out
    assert "Held out (rounds objecting even with its mandate as close as its red lines allow): CAL" in out
    assert "Dividing dimension: data_sovereignty" in out
    assert "Nearest miss:" in out and "blocked by CAL" in out


def test_set_overrides_fields_and_are_recorded(tmp_path, capsys):
    """--set changes the run (two-thirds majority unsticks the classroom) and lands in the manifest."""
    code = main(["run", str(SCENARIOS / "classroom.yaml"), "--set", "rules.decision=majority_count",
                 "--set", "states.CAL.flexibility=0.2", "--out", str(tmp_path), "--no-figures"])
    assert code == 0
    folder = run_folder(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["overrides"] == ["rules.decision=majority_count", "states.CAL.flexibility=0.2"]
    ran = load_scenario(folder / "scenario.yaml")
    assert ran.rules.decision == "majority_count" and ran.states[2].flexibility == 0.2
    assert json.loads((folder / "summary.json").read_text())["adopted"]


def test_rounds_option_limits_the_run(tmp_path):
    """--rounds caps the number of rounds."""
    main(["run", str(SCENARIOS / "global_stalemate.yaml"), "--rounds", "4", "--out", str(tmp_path), "--no-figures"])
    summary = json.loads((run_folder(tmp_path) / "summary.json").read_text())
    assert summary["rounds"] == 4 and summary["outcome"] == "timeout"


def test_a_second_run_never_overwrites_the_first(tmp_path):
    """Two identical runs in the same second get two folders."""
    args = ["run", str(SCENARIOS / "classroom.yaml"), "--out", str(tmp_path), "--no-figures", "--quiet"]
    assert main(args) == 0 and main(args) == 0
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert len(folders) == 2 and all((tmp_path / f / "manifest.json").exists() for f in folders)


def test_bad_scenario_gives_one_line_and_exit_code_3(write_yaml, tmp_path, capsys):
    """A bad scenario prints one line naming file, line and field (no traceback) and exits with INVALID_INPUT,
    writing nothing."""
    path = write_yaml(MINIMAL.replace("data_sovereignty: 0.5, enforcement", "data_sovereignty: 1.7, enforcement"))
    code = main(["run", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == ExitCode.INVALID_INPUT == 3
    assert err.strip().count("\n") == 0
    assert f"{path}:" in err and "states[1].ideal.data_sovereignty: 1.7 is not between 0 and 1" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_bad_override_exits_3(capsys, tmp_path):
    """An unknown --set path is invalid input."""
    code = main(["run", str(SCENARIOS / "classroom.yaml"), "--set", "rules.quorum=3", "--out", str(tmp_path)])
    assert code == 3 and "unknown field 'quorum'" in capsys.readouterr().err


def test_traceback_flag_shows_the_exception_and_keeps_the_exit_code(write_yaml, capsys):
    """--traceback prints the traceback of the error, and the exit code is still the documented one (3 here)."""
    path = write_yaml("metadata: {title: x}\n")
    assert main(["--traceback", "run", str(path)]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "UserError" in err
    assert err.rstrip().splitlines()[-1].startswith("error: ")


def test_usage_errors_exit_2(capsys):
    """Bad arguments are usage errors."""
    assert main(["run"]) == ExitCode.USAGE
    assert main(["run", str(SCENARIOS / "classroom.yaml"), "--seed", "-1"]) == ExitCode.USAGE
    assert main(["frobnicate"]) == ExitCode.USAGE


def test_failed_run_leaves_no_results_folder(tmp_path, monkeypatch, capsys):
    """If writing the results fails half way, no folder that looks finished is left behind (nor a partial one)."""
    import sim.plots

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sim.plots, "write_run_figures", broken)
    code = main(["run", str(SCENARIOS / "classroom.yaml"), "--out", str(tmp_path)])
    assert code == ExitCode.FAILURE
    assert "disk full" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_validate_reports_each_file(write_yaml, capsys):
    """validate exits 0 when all files are valid, 3 when any is not, with one line per file."""
    good = str(SCENARIOS / "wpcnt.yaml")
    assert main(["validate", good, str(SCENARIOS / "classroom.yaml")]) == 0
    assert capsys.readouterr().out.count("ok: ") == 2
    bad = write_yaml(MINIMAL.replace("capability: 2", "capability: -2"))
    assert main(["validate", good, str(bad)]) == 3
    captured = capsys.readouterr()
    assert "ok: " in captured.out and f"invalid: {bad}:" in captured.err


def test_every_shipped_scenario_validates(capsys):
    """All scenario files shipped in scenarios/ (and its variants) are valid."""
    files = sorted(str(p) for p in SCENARIOS.rglob("*.yaml") if "sweeps" not in p.parts)
    assert files
    assert main(["validate", *files]) == 0, capsys.readouterr().err


def test_schema_is_json_schema_of_the_format(capsys, tmp_path):
    """schema prints a JSON Schema naming every section; --out refuses to overwrite."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"metadata", "dimensions", "states", "coalitions", "relations", "treaty", "rules", "protocol",
            "events"} <= set(schema["properties"])
    target = tmp_path / "schema.json"
    assert main(["schema", "--out", str(target)]) == 0
    assert main(["schema", "--out", str(target)]) == ExitCode.USAGE


def test_schema_accepts_the_shipped_scenarios():
    """The printed JSON Schema validates the shipped scenarios (editors can rely on it)."""
    jsonschema = pytest.importorskip("jsonschema")
    from sim.schema import json_schema

    schema = json_schema()
    for path in sorted(SCENARIOS.glob("*.yaml")):
        jsonschema.validate(load_scenario(path).model_dump(mode="json"), schema)


def test_run_py_and_console_script_agree(tmp_path):
    """`python3 run.py` is the same entry point as the console script: exit codes pass through."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "validate", str(SCENARIOS / "classroom.yaml")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0 and "ok:" in done.stdout
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "validate", str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 3 and "no such file" in done.stderr


def test_json_summary(tmp_path, capsys):
    """--json prints the summary as JSON with the results folder."""
    main(["run", str(SCENARIOS / "classroom.yaml"), "--json", "--no-figures", "--out", str(tmp_path)])
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "stalemate" and data["results"].startswith(str(tmp_path))


def test_out_that_is_a_file_is_a_usage_error_before_any_work(tmp_path, capsys, monkeypatch):
    """--out naming a file is refused at once (exit 2), without running the model."""
    import sim.runner

    target = tmp_path / "taken"
    target.write_text("x")
    monkeypatch.setattr(sim.runner, "run_once", lambda *a, **k: pytest.fail("ran the model"))
    assert main(["run", str(SCENARIOS / "classroom.yaml"), "--out", str(target)]) == ExitCode.USAGE
    assert "is a file, not a folder" in capsys.readouterr().err


def test_schema_out_into_a_missing_folder_is_a_usage_error(tmp_path, capsys):
    """schema --out into a folder that does not exist says so (exit 2), not an internal error."""
    assert main(["schema", "--out", str(tmp_path / "nope" / "schema.json")]) == ExitCode.USAGE
    assert "no such folder" in capsys.readouterr().err


def test_closed_pipe_is_not_an_internal_error(tmp_path):
    """Output piped into a reader that stops early (like `head`) ends quietly."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "schema"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    process.stdout.read(10)
    process.stdout.close()
    process.wait(timeout=60)
    assert b"internal error" not in process.stderr.read()


def test_validate_explains_a_sweep_spec_is_not_a_scenario(capsys):
    """Handing a sweep specification to validate says what it is."""
    spec = next((SCENARIOS / "sweeps").glob("*.yaml"))
    assert main(["validate", str(spec)]) == ExitCode.INVALID_INPUT
    assert "sweep specification" in capsys.readouterr().err


def test_variant_with_a_missing_base_names_its_own_line(write_yaml, capsys):
    """A variant whose `extends` names a missing file is reported at the variant's `extends` line."""
    variant = write_yaml("# what if\nextends: nowhere.yaml\n")
    assert main(["validate", str(variant)]) == ExitCode.INVALID_INPUT
    assert f"{variant}:2: extends: no such scenario file" in capsys.readouterr().err
