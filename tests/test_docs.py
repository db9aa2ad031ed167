"""The documentation stays true to the code."""

from __future__ import annotations

import re

from sim import docgen
from sim.cli import build_parser

from .conftest import ROOT


def test_scenario_format_fields_match_the_schema():
    """docs/scenario-format.md holds exactly the field tables the schema generates (run
    `python3 -m sim.docgen --write` after changing sim/schema.py)."""
    document = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    assert docgen.render(document) == document


def test_every_command_is_documented_in_the_cli_doc():
    """Each command of the CLI has a section in docs/cli.md."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        assert re.search(rf"^## `?{name}\b", text, re.M), name


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one():
    """The README's quick start is two commands, and .ci/run runs the second one verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", quick, re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
