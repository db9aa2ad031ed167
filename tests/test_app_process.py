"""`run.py app` as a process: the address it binds, a server that dies with it, and two apps racing for a port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from sim.cli import ExitCode, main
from sim.commands.app import _check_host

from .conftest import ROOT, SCENARIOS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("host", ["", " ", "0", "0.0", "::0"])
def test_addresses_that_mean_every_interface_without_saying_so_are_refused(host, capsys):
    """--host "" and --host 0 (and the like) would listen on every interface: refused with exit 2 before any
    server starts, with a line saying to write 0.0.0.0 if that is meant."""
    assert main(["app", str(SCENARIOS / "classroom.yaml"), "--host", host, "--port", str(_free_port())]) == \
        ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "every interface" in err and "0.0.0.0" in err


def test_an_open_address_given_on_purpose_gets_a_warning(capsys):
    """--host 0.0.0.0 is allowed, with a warning line that the dashboard is open to the network."""
    _check_host("0.0.0.0", 8765)
    assert "warning: --host 0.0.0.0: the dashboard is open to every machine" in capsys.readouterr().err


def _start(port: int, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "run.py", "app", "scenarios/classroom.yaml", "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"{what} within {timeout:.0f} s")


def _reap(*processes) -> None:
    for process in processes:
        if isinstance(process, subprocess.Popen) and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGHUP])
def test_the_server_dies_with_the_app_process(tmp_path, how):
    """After kill -9 or SIGHUP of `run.py app`, its Solara server stops too and frees the port."""
    port = _free_port()
    log_path = tmp_path / "app.log"
    with log_path.open("w") as log:
        app = _start(port, log)
    try:
        _wait_for(lambda: "http://127.0.0.1" in log_path.read_text(errors="replace") or app.poll() is not None,
                  120, "the app printed no address")
        assert app.poll() is None, log_path.read_text()
        children = psutil.Process(app.pid).children(recursive=True)
        assert children
        app.send_signal(how)
        app.wait(timeout=30)
        _wait_for(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children), 30,
                  "the server did not stop after its parent")
        with socket.socket() as probe:  # the port is free again
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    finally:
        _reap(app)
        for child in psutil.Process().children(recursive=True):
            if child.pid != os.getpid() and "solara" in " ".join(child.cmdline()):
                child.kill()


def test_two_apps_started_on_one_port_at_once_one_wins_and_the_other_exits_2(tmp_path):
    """Both pass the early port check; the one whose server loses the bind does not print the winner's address as
    its own, and exits 2 (a port in use) with a line that names the port."""
    port = _free_port()
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    handles = [path.open("w") for path in logs]
    apps = [_start(port, handle) for handle in handles]
    try:
        _wait_for(lambda: any(a.poll() is not None for a in apps), 120, "neither app stopped")
        loser = next(i for i, a in enumerate(apps) if a.poll() is not None)
        winner = 1 - loser
        loser_text = logs[loser].read_text(errors="replace")
        assert apps[loser].returncode == ExitCode.USAGE, loser_text
        assert f"--port {port}" in loser_text and "Dashboard for" not in loser_text
        _wait_for(lambda: "Dashboard for" in logs[winner].read_text(errors="replace"), 60,
                  "the winner printed no address")
        assert apps[winner].poll() is None
    finally:
        for handle in handles:
            handle.close()
        for app in apps:
            if app.poll() is None:
                app.send_signal(signal.SIGTERM)
                try:
                    app.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    pass
        _reap(*apps)
