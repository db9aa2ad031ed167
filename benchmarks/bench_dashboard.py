"""How fast the classroom dashboard draws a round, in a real browser at 1366x768 (the usual projector).

Starts `run.py app` on a free port, opens the page in headless Chromium (Debian's /usr/bin/chromium driven by
Playwright; --chromium PATH for another), and measures:

- step: from the click on Step to the page showing the next round everywhere above the fold: the round counter, a new
  issue-space map drawn for that round and the "why" panel's text for that round; then also the over-time figure
  below the fold;
- play: the pace of rounds while playing (▶), from the first round shown to the last;
- server: the wall and CPU time the server spends drawing one round's map, over-time figure and panels
  (sim.app.views), in this process.

Figures go to stdout as a table; quote medians. Usage:
    python benchmarks/bench_dashboard.py [--steps 20] [--play-rounds 20] [--scenario scenarios/classroom.yaml]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}

# The page shows round `n` above the fold: the counter says so, the map's panel shows the picture drawn for that
# round (its class map-round-N says which), and so does the why panel (why-round-N).
ROUND_SHOWN = """(n) => {
    const counter = document.querySelector('.round-counter');
    return counter && counter.textContent.trim() === 'Round ' + n
        && document.querySelector('.issue-space.map-round-' + n + ' img') !== null
        && document.querySelector('.why-panel.why-round-' + n) !== null;
}"""
OVER_TIME_SHOWN = "(n) => document.querySelector('.over-time.over-time-round-' + n + ' img') !== null"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _summary(name: str, seconds: list[float]) -> str:
    ms = sorted(1000 * s for s in seconds)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {ms[0]:.0f} | {p90:.0f} | {ms[-1]:.0f} |"


def server_side(scenario: str, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """(wall, CPU) seconds to draw one round's map, over-time figure and panels, as the page does, in this process.
    CPU time counts only this thread's work, so it varies less than wall time with what else the machine runs."""
    from sim.app.live import LiveNegotiation
    from sim.app.views import figure_png, map_png, over_time_figure, round_status, states_rows, why_stuck_lines

    model = LiveNegotiation(scenario=scenario)
    pair = tuple(model.dimensions[:2]) if model.k > 1 else (model.dimensions[0],) * 2
    parts = {"map": lambda: map_png(model, pair), "over time": lambda: figure_png(over_time_figure(model)),
             "panels": lambda: (why_stuck_lines(model), states_rows(model), round_status(model))}
    wall: dict[str, list[float]] = {name: [] for name in parts}
    cpu: dict[str, list[float]] = {name: [] for name in parts}
    for _ in range(rounds):
        if not model.running:
            break
        model.step()
        for name, draw in parts.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            draw()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.thread_time() - start_cpu)
    return wall, cpu


def browser(scenario: str, steps: int, play_rounds: int, chromium: str) -> tuple[list[float], list[float], list]:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "app.log"
        server = subprocess.Popen([sys.executable, "run.py", "app", scenario, "--port", str(port)], cwd=ROOT,
                                  stdout=log.open("w"), stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while not re.search(r"^Dashboard for .*: http://", log.read_text(), re.M):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"run.py app did not start:\n{log.read_text()}")
                time.sleep(0.25)
            with sync_playwright() as playwright:
                chrome = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
                page = chrome.new_page(viewport=VIEWPORT)
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_function("() => document.querySelector('.map-round-0 img')", timeout=120_000)
                page.wait_for_function(OVER_TIME_SHOWN, arg=0, timeout=30_000)
                step_button = page.get_by_role("button", name="Step")
                step_times, below_fold = [], []
                for n in range(1, steps + 1):
                    start = time.perf_counter()
                    step_button.click()
                    page.wait_for_function(ROUND_SHOWN, arg=n, polling="raf", timeout=30_000)
                    step_times.append(time.perf_counter() - start)
                    page.wait_for_function(OVER_TIME_SHOWN, arg=n, polling="raf", timeout=30_000)
                    below_fold.append(time.perf_counter() - start)
                    page.wait_for_timeout(100)
                # Play from a fresh start and time the rounds as they appear.
                page.get_by_role("button", name="Reset").click()
                page.wait_for_function("() => document.querySelector('.round-counter').textContent.trim() "
                                       "=== 'Round 0'", timeout=30_000)
                page.wait_for_timeout(1000)
                page.get_by_role("button", name="\u25b6").click()
                shown = []
                for n in range(1, play_rounds + 1):
                    # At least round n: two rounds that reach the browser within one frame show only the last.
                    page.wait_for_function("(n) => parseInt(document.querySelector('.round-counter').textContent"
                                           ".replace('Round ', '')) >= n", arg=n, polling="raf", timeout=30_000)
                    shown.append((time.perf_counter(), int(page.locator(".round-counter").text_content()[6:])))
                page.get_by_role("button", name="\u275a\u275a").click()
                chrome.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    first, last = shown[0], shown[-1]
    pace = [(last[0] - first[0]) / (last[1] - first[1])] if last[1] > first[1] else []
    return step_times, pace, below_fold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/classroom.yaml")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--play-rounds", type=int, default=20)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    wall, cpu = server_side(args.scenario, args.steps)
    steps, pace, below = browser(args.scenario, args.steps, args.play_rounds, args.chromium)
    print(f"dashboard, {args.scenario}, viewport {VIEWPORT['width']}x{VIEWPORT['height']}, {os.cpu_count()} CPUs, "
          f"load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after (figures above ~1 per CPU "
          f"are inflated by other work)")
    print("| measure | n | median ms | min ms | p90 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(_summary("Step to the round drawn above the fold (counter, map, why panel)", steps))
    print(_summary("Step to the over-time figure too (below the fold)", below))
    print(_summary(f"one round while playing (mean over rounds 1 to {args.play_rounds})", pace))
    for name in wall:
        print(_summary(f"server, wall time: {name}", wall[name]))
        print(_summary(f"server, CPU time: {name}", cpu[name]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
