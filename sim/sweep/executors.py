"""Where the runs execute: in this process, in a local process pool (the default), or on Dask.

Every executor takes tasks (batches of runs) and yields their results in whatever order they finish; the storage
sorts by run index, so the order never shows in the results. At most a few tasks per worker are in flight at once,
so memory stays flat however many runs the sweep has.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .tasks import RunContext, Task, TaskResult, run_task

__all__ = ["Executor", "SerialExecutor", "PoolExecutor", "DaskExecutor", "make_executor", "WorkerError",
           "available_cores"]

IN_FLIGHT_PER_WORKER = 3


class WorkerError(RuntimeError):
    """A task failed as a whole (a worker died or could not run it), as opposed to a run raising."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Executor:
    name = "executor"
    workers = 1

    def map(self, context: RunContext, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        raise NotImplementedError

    def close(self, cancel: bool = False) -> None:
        pass

    def describe(self) -> str:
        return f"{self.name}, {self.workers} worker{'s' if self.workers != 1 else ''}"

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.close(cancel=exc_type is not None)
        return False


class SerialExecutor(Executor):
    """Runs every task in this process, one after the other (debugging, profiling, tiny sweeps)."""

    name = "serial"

    def map(self, context, tasks):
        for task in tasks:
            yield run_task(context, task)


# ------------------------------------------------------------------------------------------------ local pool --
_CONTEXT: RunContext | None = None


def _init_worker(context: RunContext, parent: int) -> None:
    global _CONTEXT
    # Ctrl-C is the parent's to handle: it stores what has finished and stops the pool in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _CONTEXT = context
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()


def _watch_parent(parent: int, every: float = 1.0) -> None:
    """Exit when the sweep process is gone (kill -9 gives the pool no chance to stop its workers, which would
    otherwise wait for work forever)."""
    while True:
        time.sleep(every)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # pragma: no cover - the pid was reused by another user's process
            os._exit(1)


def _run_in_worker(task: Task) -> TaskResult:
    return run_task(_CONTEXT, task)


class PoolExecutor(Executor):
    """A pool of local processes (all cores by default). The shared context is sent once per worker."""

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = int(workers or available_cores())
        self.pool: ProcessPoolExecutor | None = None

    def map(self, context, tasks):
        import multiprocessing

        # forkserver: workers are forked from a clean server process that has already imported the model, so they
        # start fast without inheriting this process's threads (fork) or re-importing everything (spawn).
        mp = multiprocessing.get_context("forkserver")
        mp.set_forkserver_preload(["sim.sweep.tasks"])
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp, initializer=_init_worker,
                                        initargs=(context, os.getpid()))
        tasks = iter(tasks)
        in_flight = set()
        limit = self.workers * IN_FLIGHT_PER_WORKER

        def fill() -> None:
            while len(in_flight) < limit:
                task = next(tasks, None)
                if task is None:
                    return
                in_flight.add(self.pool.submit(_run_in_worker, task))

        fill()
        while in_flight:
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                in_flight.discard(future)
                try:
                    result = future.result()
                except Exception as exc:
                    raise WorkerError(f"a worker failed: {type(exc).__name__}: {exc}") from exc
                yield result
            fill()

    def close(self, cancel: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=cancel)
            self.pool = None


# ------------------------------------------------------------------------------------------------------ Dask --
class DaskExecutor(Executor):
    """Dask distributed: an existing scheduler (tcp://HOST:PORT), or a LocalCluster made for this sweep.

    Workers must be able to import `sim` (install the package on them: pip install -e . or pip install .).
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None, timeout: float = 30.0):
        from distributed import Client, LocalCluster

        self.scheduler = scheduler
        self.cluster = None
        if scheduler:
            _check_reachable(scheduler)
            self.client = Client(scheduler, timeout=f"{timeout}s")
        else:
            self.cluster = LocalCluster(n_workers=int(workers or available_cores()), threads_per_worker=1,
                                        processes=True, dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except BaseException:
            self.close()
            raise
        info = self.client.scheduler_info(n_workers=-1) if _takes_n_workers(self.client) else \
            self.client.scheduler_info()
        self.workers = sum(int(w.get("nthreads", 1)) for w in info["workers"].values()) or 1

    def describe(self) -> str:
        where = self.scheduler or "a local cluster"
        return f"dask at {where}, {self.workers} worker thread{'s' if self.workers != 1 else ''}"

    def map(self, context, tasks):
        from distributed import as_completed

        shared = self.client.scatter(context, broadcast=True)
        tasks = iter(tasks)
        pending = as_completed()
        limit = self.workers * IN_FLIGHT_PER_WORKER
        count = 0

        def submit_next() -> bool:
            task = next(tasks, None)
            if task is None:
                return False
            pending.add(self.client.submit(run_task, shared, task, pure=False))
            return True

        while count < limit and submit_next():
            count += 1
        for future in pending:
            try:
                result = future.result()
            except Exception as exc:
                raise WorkerError(f"a Dask task failed: {type(exc).__name__}: {exc}") from exc
            future.release()
            submit_next()
            yield result

    def close(self, cancel: bool = False) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail at once on a TCP address nothing listens on (the Dask client would retry until its timeout)."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or not parts.port:
        return  # another transport: let Dask judge it
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
        pass


def _takes_n_workers(client) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters


def make_executor(kind: str = "local", workers: int | None = None, scheduler: str | None = None) -> Executor:
    if scheduler or kind == "dask":
        return DaskExecutor(scheduler=scheduler, workers=workers)
    if kind == "serial":
        return SerialExecutor()
    if kind == "local":
        return PoolExecutor(workers)
    raise ValueError(f"unknown executor {kind!r}")
