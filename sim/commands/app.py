"""app: serve the classroom dashboard (sim.app.page) with Solara until Ctrl-C."""

from __future__ import annotations

import ctypes
import ipaddress
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
# The distributions of the [app] extra (pyproject.toml) that the dashboard cannot start without.
APP_PACKAGES = ("solara", "solara-assets", "altair", "ipyvuetify", "networkx")
INSTALL_APP = 'python3 -m pip install -c constraints.txt -e ".[app]"'


def missing_app_packages() -> list[str]:
    """The dashboard's packages that are not installed here (the command line installs without them)."""
    from importlib import metadata

    missing = []
    for name in APP_PACKAGES:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


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
                        "network, with a warning; an empty address or 0 is refused)")
    p.add_argument("--scenarios", default="scenarios", metavar="DIR",
                   help="folder whose *.yaml files the dashboard's scenario menu lists (default: scenarios)")
    p.set_defaults(handler=cmd_app)


def _choose_scenario(given: str | None, folder: Path) -> Path:
    if given is not None:
        return Path(given)
    from ..app.live import scenario_files
    from ..results import program

    files = scenario_files(folder)
    if not files:
        raise UserError(f"{folder}: no scenario files (*.yaml) here; name one: {program()} app SCENARIO",
                        ExitCode.USAGE)
    preferred = [f for f in files if f.name == DEFAULT_SCENARIO]
    return (preferred or files)[0]


def _check_host(host: str, port: int) -> None:
    """Refuse an address that means "every interface" without saying so ("", 0, 0.0, ::0), and say loudly when the
    dashboard is opened to the network on purpose."""
    if host in ("0.0.0.0", "::"):
        print(f"warning: --host {host}: the dashboard is open to every machine that can reach this one on port "
              f"{port}, not only to this computer", file=sys.stderr, flush=True)
        return
    if not host.strip():
        raise UserError("--host '': an empty address listens on every interface; give --host 0.0.0.0 if that is "
                        "meant, or leave --host out (this computer only)", ExitCode.USAGE)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UserError(f"--host {host}: not an address of this computer ({exc.strerror})", ExitCode.USAGE) from None
    if any(ipaddress.ip_address(info[4][0].split("%")[0]).is_unspecified for info in found):
        raise UserError(f"--host {host}: means every interface (0.0.0.0); write --host 0.0.0.0 if that is meant, "
                        f"or leave --host out (this computer only)", ExitCode.USAGE)


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


def _port_taken(host: str, port: int) -> bool:
    try:
        _check_port_free(host, port)
    except UserError:
        return True
    return False


def _listens(pid: int, port: int) -> bool | None:
    """Whether process `pid` (or a child of it) listens on `port`; None when that cannot be known."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            connections = getattr(process, "net_connections", None) or process.connections  # psutil < 6
            for connection in connections(kind="inet"):
                if connection.status == psutil.CONN_LISTEN and connection.laddr and connection.laddr.port == port:
                    return True
    except (psutil.Error, OSError):
        return None
    return False


def _die_with_parent() -> None:
    """In the server's process, before it runs: ask Linux to send it SIGTERM when the `app` process dies, even by
    kill -9, so that no orphaned server keeps the port. Elsewhere it does nothing."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


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

    missing = missing_app_packages()
    if missing:
        raise UserError(f"the dashboard needs packages that are not installed: {', '.join(missing)}; install them "
                        f"in the checkout with: {INSTALL_APP}", ExitCode.USAGE)

    folder = Path(args.scenarios)
    path = _choose_scenario(args.scenario, folder)
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    _check_host(args.host, args.port)
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

    # SIGTERM and SIGHUP (a service manager, a closed terminal, a test harness) must stop the server too, not
    # orphan it; after kill -9 of this process, the server gets SIGTERM from the kernel (_die_with_parent).
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)}
    server = subprocess.Popen(command, env=env, preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        # Serving is not enough: another dashboard started at the same moment may be the one that answers. It must
        # be our server that listens on the port.
        while not (_serving(_url(probe_host, args.port)) and _listens(server.pid, args.port) is not False):
            if server.poll() is not None:
                if _port_taken(args.host, args.port):
                    raise UserError(f"--port {args.port}: another program took {args.host}:{args.port} while the "
                                    f"dashboard was starting; choose another port", ExitCode.USAGE)
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
        for signum, handler in previous.items():
            signal.signal(signum, handler)


APP = SimpleNamespace(add_parser=add_app)
