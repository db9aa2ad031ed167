"""app: serve the classroom dashboard (sim.app.page) with Solara until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from . import ExitCode, UserError
from .options import port

DEFAULT_PORT = 8765  # Solara's own default
DEFAULT_SCENARIO = "classroom.yaml"  # the file the lesson in docs/classroom.md uses, opened when none is given
STARTUP_TIMEOUT_S = 120.0


def add_app(sub) -> None:
    p = sub.add_parser(
        "app", help="start the classroom dashboard in the browser",
        description="Serve the classroom dashboard (Mesa's SolaraViz) and print its address; runs until Ctrl-C. "
                    "Only this machine can reach it unless --host says otherwise.")
    p.add_argument("scenario", nargs="?", default=None,
                   help=f"scenario YAML file to open (default: {DEFAULT_SCENARIO} in the scenarios folder, "
                        "else its first file)")
    p.add_argument("--port", type=port, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 opens it to the "
                        "network)")
    p.add_argument("--scenarios", default="scenarios", metavar="DIR",
                   help="folder whose *.yaml files the dashboard's scenario menu lists (default: scenarios)")
    p.set_defaults(handler=cmd_app)


def _choose_scenario(given: str | None, folder: Path) -> Path:
    if given is not None:
        return Path(given)
    from ..app.live import scenario_files

    files = scenario_files(folder)
    if not files:
        raise UserError(f"{folder}: no scenario files (*.yaml) here; name one: run.py app SCENARIO",
                        ExitCode.USAGE)
    preferred = [f for f in files if f.name == DEFAULT_SCENARIO]
    return (preferred or files)[0]


def _check_port_free(host: str, port: int) -> None:
    """Fail early with a clear line, rather than after the server has started and died."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the server will: a port left in TIME_WAIT by a server just stopped is free to listen on again.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc}); "
                            f"choose another port", ExitCode.USAGE) from None


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(server: subprocess.Popen) -> None:
    """Stop the server: it usually got the terminal's Ctrl-C already; otherwise ask, then insist."""
    for action, wait_s in ((None, 2.0), (server.terminate, 10.0), (server.kill, 10.0)):
        if server.poll() is not None:
            return
        if action is not None:
            action()
        try:
            server.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def cmd_app(args) -> int:
    from ..loader import ScenarioError, load_scenario

    folder = Path(args.scenarios)
    path = _choose_scenario(args.scenario, folder)
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    _check_port_free(args.host, args.port)

    env = dict(os.environ)
    env["TREATYSIM_SCENARIO"] = str(path.resolve())
    env["TREATYSIM_SCENARIOS"] = str(folder.resolve())
    # The package must be importable by the server even when it is not installed (run.py from a checkout).
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    # A classroom server should not report to anyone: Solara's usage telemetry is off unless asked for.
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # Solara's "This website runs on Solara" badge sits over the bottom right of the page, on the content.
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # Two warnings a teacher can do nothing about: Mesa's own components break a Solara rule of hooks (checked when
    # they are defined; tests/test_app_model.py checks ours), and plain http on a local address disables
    # cross-site cookies, which the dashboard does not use.
    env.setdefault("SOLARA_CHECK_HOOKS", "off")
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"),
                                                 "ignore:Cookies with samesite=none require https") if w)
    command = [sys.executable, "-m", "solara", "run", "sim.app.page", "--host", args.host, "--port", str(args.port),
               "--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    probe_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else ("::1" if args.host == "::" else args.host)
    url = _url(args.host, args.port)

    # SIGTERM (a service manager, a test harness) must stop the server too, not orphan it.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    server = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _serving(_url(probe_host, args.port)):
            if server.poll() is not None:
                raise UserError(f"the dashboard server stopped while starting (exit code {server.returncode}); "
                                f"see the messages above", ExitCode.FAILURE)
            if time.monotonic() > deadline:
                raise UserError(f"the dashboard server did not answer within {STARTUP_TIMEOUT_S:.0f} s",
                                ExitCode.FAILURE)
            time.sleep(0.3)
        print(f"Dashboard for {scenario.metadata.title!r}: {url}", flush=True)
        print("Open it in a browser. Press Ctrl-C to stop.", flush=True)
        code = server.wait()
        if code != 0:
            raise UserError(f"the dashboard server stopped (exit code {code}); see the messages above",
                            ExitCode.FAILURE)
        return ExitCode.OK
    except KeyboardInterrupt:
        print("Stopping the dashboard.", flush=True)
        return ExitCode.OK
    finally:
        _stop(server)
        signal.signal(signal.SIGTERM, previous)


APP = SimpleNamespace(add_parser=add_app)
