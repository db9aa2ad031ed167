"""The install: the command line without the dashboard's stack, a constraints file that pins everything the extras
bring, README commands that make their own virtual environment, and hints that print a command that works."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from sim.cli import main
from sim.commands import app as app_command

from .conftest import ROOT, SCENARIOS

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DASHBOARD_ONLY = {"solara", "solara-assets", "altair", "ipyvuetify", "networkx"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin (NAME==VERSION)"
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_the_command_line_installs_without_the_dashboard_stack():
    """The base dependencies hold none of the dashboard's packages; the [app] extra holds all of them, and Mesa's
    own visualisation extra only there."""
    base = PYPROJECT["project"]["dependencies"]
    app = PYPROJECT["project"]["optional-dependencies"]["app"]
    assert not {_name(r) for r in base} & DASHBOARD_ONLY
    assert not any("[" in r for r in base if _name(r) == "mesa")
    assert {_name(r) for r in app} >= DASHBOARD_ONLY - {"networkx"}  # networkx comes with mesa[rec]
    assert any(r.startswith("mesa[rec]") for r in app)
    assert set(app_command.APP_PACKAGES) == DASHBOARD_ONLY


def test_constraints_pin_every_declared_dependency_exactly():
    """constraints.txt gives an exact version for every package that the base install and each extra name, so that
    numpy, pandas, pyarrow and the rest do not float between machines."""
    pins = _pins()
    declared = list(PYPROJECT["project"]["dependencies"])
    for extra in PYPROJECT["project"]["optional-dependencies"].values():
        declared += extra
    missing = sorted({_name(r) for r in declared} - set(pins))
    assert not missing, f"not pinned in constraints.txt: {missing}"
    for name in ("numpy", "pandas", "pyarrow", "scipy", "matplotlib", "dask", "distributed"):
        assert re.fullmatch(r"\d+(\.\d+)*", pins[name]), (name, pins[name])


def test_readme_commands_make_their_own_environment_and_use_the_constraints():
    """Both README install commands create a virtual environment (a stock Debian python3 refuses a global pip
    install) and install with -c constraints.txt; CI runs the second one verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    for command in block:
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
        assert "-c constraints.txt" in command
        assert re.search(r"(^|\s)python(\s|$)", command) is None
    assert "[app,test]" in block[1] and block[1].endswith("python3 -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert block[1] in ci.splitlines()


def test_app_says_how_to_install_the_dashboard_when_it_is_missing(monkeypatch, capsys):
    """With a dashboard package absent, `app` starts nothing, exits 2 and prints the missing package and the
    command that installs the [app] extra."""
    monkeypatch.setattr(app_command, "APP_PACKAGES", ("treatysim-no-such-package",))
    assert main(["app", str(SCENARIOS / "classroom.yaml")]) == 2
    err = capsys.readouterr().err
    assert "treatysim-no-such-package" in err
    assert 'python3 -m pip install -c constraints.txt -e ".[app]"' in err


def test_reproduce_lines_and_hints_name_a_command_that_exists(tmp_path, capsys, monkeypatch):
    """A run's reproduce line says `python3 run.py` (Debian has no `python`), or `treatysim` when the console
    script was used; and no message of the program or line of the docs says `python run.py`."""
    out = tmp_path / "results"
    assert main(["run", str(SCENARIOS / "classroom.yaml"), "--rounds", "2", "--no-figures", "--quiet",
                 "--out", str(out)]) == 0
    folder = Path(capsys.readouterr().out.strip())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reproduce"].startswith("python3 run.py run ")
    monkeypatch.setattr("sys.argv", [str(tmp_path / "bin" / "treatysim")])
    assert main(["run", str(SCENARIOS / "classroom.yaml"), "--rounds", "2", "--no-figures", "--quiet",
                 "--out", str(out)]) == 0
    folder = Path(capsys.readouterr().out.strip())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reproduce"].startswith("treatysim run ")
    stale = [str(path.relative_to(ROOT)) for pattern in ("sim/**/*.py", "docs/*.md", "README.md", "benchmarks/*")
             for path in ROOT.glob(pattern) if path.is_file()
             and re.search(r"\bpython run\.py", path.read_text(encoding="utf-8"))]
    assert not stale
