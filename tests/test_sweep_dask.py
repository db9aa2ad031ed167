"""Sweeps on Dask: a real scheduler and workers started as separate processes, and a LocalCluster."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from sim.cli import main
from sim.sweep import SweepFolder

from .conftest import ROOT
from .test_sweep_run import SMALL, final_table, run_sweep, write_spec
from sim.sweep.executors import SerialExecutor

pytestmark = pytest.mark.cluster


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the scheduler exited with code {process.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def dask_cluster(folder):
    """A real Dask scheduler and a worker process with two one-thread workers, started as separate processes on
    127.0.0.1 in `folder`; yields the scheduler's address and stops both by their process ids."""
    port = _free_port()
    # The workers import `sim` as an installed package would be imported, from a folder that is not the checkout;
    # PYTHONPATH covers a checkout that was not installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    scheduler = worker = None
    try:
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(port, scheduler)
        worker = subprocess.Popen(
            [sys.executable, "-m", "dask", "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "2", "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1"],
            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield f"tcp://127.0.0.1:{port}"
    finally:
        _stop(worker)
        _stop(scheduler)


@pytest.fixture(scope="module")
def serial_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return run_sweep(write_spec(out, SMALL), out / "results", SerialExecutor())


def test_sweep_on_a_real_scheduler_and_workers_gives_the_serial_table(tmp_path, serial_reference):
    """A scheduler and a worker (two processes, one thread each) started as separate processes on 127.0.0.1 run a
    sweep given with --scheduler; the table equals the serial one. Both are stopped by their process ids."""
    with dask_cluster(tmp_path) as address:
        spec = write_spec(tmp_path, SMALL)
        code = main(["sweep", str(spec), "--scheduler", address, "--out", str(tmp_path / "out"),
                     "--runs-per-task", "3", "--quiet"])
        assert code == 0
        folder = SweepFolder(next((tmp_path / "out").iterdir()))
        assert "dask at tcp://127.0.0.1" in folder.history()[0]["executor"]
        pd.testing.assert_frame_equal(final_table(folder), final_table(serial_reference))


def test_local_dask_cluster_gives_the_serial_table(tmp_path, serial_reference):
    """`--executor dask` without a scheduler makes a LocalCluster for the sweep; the table equals the serial one."""
    spec = write_spec(tmp_path, SMALL)
    code = main(["sweep", str(spec), "--executor", "dask", "--workers", "2", "--out", str(tmp_path / "out"),
                 "--quiet"])
    assert code == 0
    folder = SweepFolder(next((tmp_path / "out").iterdir()))
    pd.testing.assert_frame_equal(final_table(folder), final_table(serial_reference))


def test_unreachable_scheduler_is_one_clear_error(tmp_path, capsys):
    """A scheduler address nobody answers on gives exit 3 and one line naming the address."""
    spec = write_spec(tmp_path, SMALL)
    port = _free_port()
    code = main(["sweep", str(spec), "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 3
    assert f"tcp://127.0.0.1:{port}" in err and "cannot connect" in err
