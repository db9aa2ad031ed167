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
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PROJECTOR = {"width": 1366, "height": 768}  # the usual classroom projector
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


def _in_view(page, selector: str) -> dict:
    """The element's box, after checking that it lies wholly inside the window as the page first shows it."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on the page"
    assert box["x"] >= 0 and box["y"] >= 0, f"{selector} starts outside the window: {box}"
    assert box["x"] + box["width"] <= PROJECTOR["width"] + 1, f"{selector} runs off the right: {box}"
    assert box["y"] + box["height"] <= PROJECTOR["height"] + 1, f"{selector} is below the fold: {box}"
    return box


@pytest.fixture()
def projector_page(tmp_path):
    """The classroom dashboard served by `run.py app`, opened in headless Chromium at 1366x768."""
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
                page = browser.new_page(viewport=PROJECTOR)
                page.goto(url)
                expect(page.locator(".round-counter")).to_have_text("Round 0", timeout=60_000)
                expect(page.locator(".issue-space.map-round-0 img")).to_be_visible(timeout=30_000)
                yield page
            finally:
                browser.close()
    finally:
        _stop_server(server)
    assert server.returncode == 0, log.read_text()


@pytest.mark.browser
def test_dashboard_fits_a_projector_and_steps_within_a_second(projector_page):
    """At 1366x768, without scrolling: the round counter, the status line, the map (at least 45% of the page wide)
    and the "why" panel are all in view; Mesa's Play Interval, Render Interval and Use Threads controls and
    Solara's badge are not on the page; the sliders show their values; each press of Step shows the next round
    within a second, and the map then shows the last round."""
    from playwright.sync_api import expect

    page = projector_page
    assert page.evaluate("() => window.scrollY") == 0
    for selector in (".round-counter", ".round-status", ".why-panel"):
        _in_view(page, selector)
    expect(page.locator(".why-title")).to_have_text("How the talks work")
    map_box = _in_view(page, ".issue-space img")
    assert map_box["width"] >= 0.45 * PROJECTOR["width"], map_box
    for hidden in ("Play Interval", "Render Interval", "Use Threads", "runs on Solara", "Made with Solara"):
        assert page.get_by_text(hidden).count() == 0, f"{hidden!r} is shown"
    for label in ("Flexibility \u00d71.00", "Threshold: 0.67", "Seed: 0"):
        expect(page.get_by_text(label, exact=True)).to_be_visible()
    counter = page.locator(".round-counter")
    step = page.get_by_role("button", name="Step")
    for round_no in range(1, STEPS + 1):
        step.click()
        expect(counter).to_have_text(f"Round {round_no}", timeout=1_000)
    expect(page.locator(".why-title")).to_have_text("Why is it stuck?")
    _in_view(page, ".why-panel")
    expect(page.locator(f".issue-space.map-round-{STEPS} img")).to_be_visible(timeout=10_000)
    expect(page.locator(f".over-time.over-time-round-{STEPS} img")).to_be_attached(timeout=10_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-1366x768.png"))


@pytest.mark.browser
def test_dashboard_explains_the_stalemate_then_the_agreement_in_a_browser(projector_page):
    """In a real headless Chromium: the "why is it stuck?" panel names the blocking states (those the model finds
    objecting after the same rounds). Then the decision rule chosen by its plain name takes effect on Reset, with
    a "press Reset to apply" cue until then; the talks are adopted in the round the model says, and the panel,
    now titled for the agreement, names who stayed outside."""
    from playwright.sync_api import expect

    page = projector_page
    counter = page.locator(".round-counter")
    step = page.get_by_role("button", name="Step")
    for round_no in range(1, STEPS + 1):
        step.click()
        expect(counter).to_have_text(f"Round {round_no}", timeout=30_000)
    panel = page.locator(".why-panel")
    expect(panel).to_contain_text("Blocking:")
    blocking = _expected_objectors(STEPS)
    assert blocking, "the classroom talks should be stuck after a few rounds"
    for name in blocking:
        expect(panel).to_contain_text(name)
    expect(panel).to_contain_text("Dividing dimension:")
    expect(panel).to_contain_text("Pivotal concession:")
    expect(page.locator(".round-status")).to_contain_text("Consensus (no objection)")

    # The lesson's second run: the decision rule changed from its menu takes effect on Reset.
    adopted, outside = _adoption_round(decision="majority_count")
    assert adopted is not None and outside
    cue = page.locator(".reset-cue")
    expect(cue).to_have_count(0)
    page.get_by_label("Decision rule").click(force=True)
    page.get_by_role("option", name="Majority of states").click()
    expect(cue).to_contain_text("Decision rule")
    expect(cue).to_contain_text("Press Reset to apply")
    page.get_by_role("button", name="Reset").click()
    expect(counter).to_have_text("Round 0", timeout=30_000)
    expect(cue).to_have_count(0)
    expect(page.locator(".settings")).to_contain_text("Rule: Two-thirds of states")
    for round_no in range(1, adopted + 1):
        step.click()
        expect(counter).to_have_text(f"Round {round_no}", timeout=30_000)
    expect(page.locator(".round-status")).to_contain_text(f"Core adopted in round {adopted}")
    expect(page.locator(".why-title")).to_contain_text("what tipped it")
    expect(panel).to_contain_text(f"Adopted: in round {adopted}")
    for name in outside:
        expect(panel.locator("p", has_text="Left outside:")).to_contain_text(name)
    expect(page.locator(f".issue-space.map-round-{adopted} img")).to_be_visible(timeout=10_000)
    expect(page.locator(f".over-time.over-time-round-{adopted} img")).to_be_attached(timeout=10_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-adopted.png"))
