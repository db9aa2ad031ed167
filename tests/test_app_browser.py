"""The dashboard as served by `run.py app`: the command's checks, and the page driven in a real headless Chromium."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import ROOT, SCENARIOS, skip_without_app

skip_without_app()

from sim.cli import main  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it when missing
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
STEPS = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ------------------------------------------------------------------------------------------------ the command --
def test_app_refuses_an_invalid_scenario_before_starting(write_yaml, capsys):
    """A scenario with a bad value stops `app` before any server starts: exit 3 and one line naming file, line and
    field."""
    path = write_yaml("""
        metadata: {title: Bad}
        states:
          - {id: AAA, ideal: {attribution_transparency: 0.6, data_sovereignty: 0.4, enforcement: 0.5}, capability: 2}
          - {id: BBB, ideal: {attribution_transparency: 1.5, data_sovereignty: 0.5, enforcement: 0.5}, capability: 1}
    """)
    assert main(["app", str(path), "--port", str(_free_port())]) == 3
    err = capsys.readouterr().err
    assert f"{path}:4" in err and "attribution_transparency" in err


def test_app_refuses_a_port_in_use(capsys):
    """A port another program listens on is refused with exit 2 and a line that names it."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["app", str(SCENARIOS / "classroom.yaml"), "--port", str(port)]) == 2
    assert f"--port {port}" in capsys.readouterr().err


def test_app_needs_a_scenario_when_the_folder_has_none(tmp_path, capsys):
    """Without a scenario argument `app` opens one from the scenarios folder; an empty folder is a usage error."""
    assert main(["app", "--scenarios", str(tmp_path), "--port", str(_free_port())]) == 2
    assert "no scenario files" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ the browser --
def _start_server(port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "run.py", "app", "scenarios/classroom.yaml", "--port", str(port)],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for_address(server: subprocess.Popen, log: Path, timeout: float = 120.0) -> str:
    """The address `run.py app` prints once its server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", log.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1)
        if server.poll() is not None:
            pytest.fail(f"run.py app exited with {server.returncode}:\n{log.read_text()}")
        time.sleep(0.25)
    pytest.fail(f"run.py app printed no address within {timeout:.0f} s:\n{log.read_text()}")


def _stop_server(server: subprocess.Popen) -> None:
    """Stop `run.py app` by its pid (it stops its Solara server in turn); its process group only as a fallback."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _adoption_round(**controls) -> tuple[int, list[str]]:
    """(round of adoption, names of the states left outside) of the classroom talks, seed 0, computed in-process."""
    from sim.app.live import LiveNegotiation

    model = LiveNegotiation(scenario=str(SCENARIOS / "classroom.yaml"), seed=0, **controls)
    while model.running and model.adopted_round is None:
        model.step()
    return model.adopted_round, [s.name for s in model.scenario.states if not model.signed[model.index[s.id]]]


def _expected_objectors(steps: int) -> list[str]:
    """Names of the states objecting after `steps` rounds of the classroom talks, seed 0, computed in-process."""
    from sim.app.live import LiveNegotiation

    model = LiveNegotiation(scenario=str(SCENARIOS / "classroom.yaml"), seed=0)
    for _ in range(steps):
        model.step()
    return [model.scenario.states[i].name for i in np.flatnonzero(model.engaged & ~model.support)]


@pytest.mark.browser
def test_dashboard_steps_and_explains_the_stalemate_in_a_browser(tmp_path):
    """In a real headless Chromium: the classroom dashboard loads at the address `run.py app` prints, each press of
    Step advances the round counter by one, and the "why is it stuck?" panel names the blocking states (those the
    model finds objecting after the same rounds); a screenshot is kept in test-artifacts/dashboard.png. Then the
    decision rule chosen from its menu takes effect on Reset, and the talks are adopted in the round the model
    says, with the panel naming who stayed outside."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright

    log = tmp_path / "app.log"
    server = _start_server(_free_port(), log)
    try:
        url = _wait_for_address(server, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.goto(url)
                counter = page.locator(".round-counter")
                expect(counter).to_have_text("Round 0", timeout=60_000)
                expect(page.locator(".why-stuck")).to_contain_text("No vote yet")
                step = page.get_by_role("button", name="Step")
                for round_no in range(1, STEPS + 1):
                    step.click()
                    expect(counter).to_have_text(f"Round {round_no}", timeout=30_000)
                panel = page.locator(".why-stuck")
                expect(panel).to_contain_text("Blocking:")
                blocking = _expected_objectors(STEPS)
                assert blocking, "the classroom talks should be stuck after a few rounds"
                for name in blocking:
                    expect(panel).to_contain_text(name)
                expect(panel).to_contain_text("Dividing dimension:")
                expect(panel).to_contain_text("Pivotal concession:")
                expect(page.locator(".round-status")).to_contain_text("Under consensus")
                page.wait_for_timeout(500)  # let the last figures arrive before the picture is taken
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

                # The lesson's second run: the decision rule changed from its menu takes effect on Reset.
                adopted, outside = _adoption_round(decision="majority_count")
                assert adopted is not None and outside
                page.get_by_label("Decision rule").click(force=True)
                page.get_by_role("option", name="majority_count").click()
                page.get_by_role("button", name="Reset").click()
                expect(counter).to_have_text("Round 0", timeout=30_000)
                expect(page.locator(".settings")).to_contain_text("Rule: majority count")
                for round_no in range(1, adopted + 1):
                    step.click()
                    expect(counter).to_have_text(f"Round {round_no}", timeout=30_000)
                expect(page.locator(".round-status")).to_contain_text(f"Core adopted in round {adopted}")
                expect(panel).to_contain_text("Not stuck")
                for name in outside:
                    expect(panel).to_contain_text(name)
            finally:
                browser.close()
    finally:
        _stop_server(server)
    assert server.returncode == 0, log.read_text()
