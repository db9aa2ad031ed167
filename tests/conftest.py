"""Shared fixtures: paths of the shipped scenarios, a fixture that writes scenario files, and the skip of the
dashboard's tests where its [app] extra is not installed."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def skip_without_app() -> None:
    """Skip the calling test module when the dashboard's [app] extra is not installed (the command line installs
    without it; the README's test command and CI install it, so there these tests run)."""
    from sim.commands.app import INSTALL_APP, missing_app_packages

    missing = missing_app_packages()
    if missing:
        pytest.skip(f"the [app] extra is not installed ({', '.join(missing)}): {INSTALL_APP}",
                    allow_module_level=True)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    return SCENARIOS


@pytest.fixture
def write_yaml(tmp_path):
    """Write YAML text (dedented) to a file in a temporary folder and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


MINIMAL = """
metadata:
  title: Two states
states:
  - id: AAA
    ideal: {attribution_transparency: 0.6, data_sovereignty: 0.4, enforcement: 0.5}
    capability: 2
  - id: BBB
    ideal: {attribution_transparency: 0.5, data_sovereignty: 0.5, enforcement: 0.5}
    capability: 1
"""


@pytest.fixture
def minimal_yaml() -> str:
    """A valid two-state scenario in which every line is known (line 1 is `metadata:`)."""
    return MINIMAL


@contextlib.contextmanager
def script_module(path: Path):
    """A script under scripts/ (outside the package) imported as a module for the time of the block."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is being made
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)
