"""Run what a sweep folder still lacks, on any executor, storing rows as they come."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from ..results import source_sha256
from .executors import Executor
from .progress import Progress
from .storage import PartWriter, SweepFolder
from .tasks import Task

__all__ = ["SweepReport", "execute", "choose_runs_per_task"]

MAX_RUNS_PER_TASK = 64
TASKS_PER_WORKER = 16


@dataclass
class SweepReport:
    folder: SweepFolder
    total: int
    done_before: int
    ran: int = 0
    failed: int = 0  # over the whole sweep, once finished
    finished: bool = False
    elapsed: float = 0.0
    manifest: dict = field(default_factory=dict)
    removed: list = field(default_factory=list)
    already_finished: bool = False  # another process finished the sweep before this one got the lock

    @property
    def rate(self) -> float:
        return self.ran / self.elapsed if self.elapsed > 0 else 0.0


def choose_runs_per_task(pending: int, workers: int, requested: int | None = None) -> int:
    """Runs per task: enough tasks to balance the workers, few enough that scheduling costs little."""
    if requested:
        return int(requested)
    return max(1, min(MAX_RUNS_PER_TASK, math.ceil(pending / max(1, workers * TASKS_PER_WORKER))))


def _tasks(runs, size: int):
    runs = iter(runs)
    while True:
        batch = tuple(islice(runs, size))
        if not batch:
            return
        yield Task(runs=batch)


def execute(folder: SweepFolder, executor: Executor, *, runs_per_task: int | None = None, flush_runs: int = 1000,
            flush_seconds: float = 10.0, progress: bool = True, progress_interval: float = 10.0,
            stream=None, context: dict | None = None) -> SweepReport:
    """Run every run the folder does not hold yet; then write the sorted table and the manifest."""
    folder.lock()
    try:
        # Checked again under the lock: a second `--resume` that looked before the first finished must not
        # finish the sweep a second time (rewriting its manifest and tables).
        if folder.finished:
            manifest = folder.read_manifest()
            return SweepReport(folder=folder, total=folder.total, done_before=folder.total,
                               failed=int(manifest.get("failed") or 0), finished=True, manifest=manifest,
                               already_finished=True)
        folder.check_scenario()
        folder.design()
        removed = folder.clean_partial()
        done = folder.done()
        pending = int((~done).sum())
        report = SweepReport(folder=folder, total=folder.total, done_before=int(done.sum()), removed=removed)
        size = choose_runs_per_task(pending, executor.workers, runs_per_task or folder.info.get("runs_per_task"))
        folder.log_event({"event": "start", "executor": executor.describe(), "pending": pending,
                            "runs_per_task": size, "treatysim_source_sha256": source_sha256(), **(context or {})})
        writer = PartWriter(folder, flush_runs=flush_runs, flush_seconds=flush_seconds)
        bar = Progress(folder.total, initial=report.done_before, label=folder.id, stream=stream, enabled=progress,
                       interval=progress_interval)
        start = time.monotonic()
        status = "interrupted"
        try:
            if pending:
                for result in executor.map(folder.context(), _tasks(folder.pending_runs(done), size)):
                    writer.add(result)
                    report.ran += len(result.rows)
                    bar.update(len(result.rows), result.failed)
            status = "complete"
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            status = f"stopped: {type(exc).__name__}: {exc}"
            raise
        finally:
            # Whatever has come back is whole: store it even when stopping on Ctrl-C or a worker failure. A flush
            # that fails (a full disk) still leaves the "end" event in the history, if that can be written.
            try:
                writer.flush()
            except OSError as exc:
                status = f"stopped: {type(exc).__name__}: {exc}"
                raise
            finally:
                bar.close()
                report.elapsed = time.monotonic() - start
                try:
                    folder.log_event({"event": "end", "status": status, "ran": report.ran,
                                      "elapsed_s": round(report.elapsed, 3)})
                except OSError:
                    pass  # the disk is full or read-only: the error that brought us here is reported
        report.manifest = folder.finish()
        report.failed = int(report.manifest["failed"])
        report.finished = True
        return report
    finally:
        folder.unlock()


def stored_failures(folder: SweepFolder, limit: int = 3) -> list[tuple[int, str]]:
    """The first failed runs (run index, error) of a folder's stored rows."""
    table = folder.read_runs()
    errors = table.column("error").to_pylist()
    runs = table.column("run").to_numpy()
    out = []
    for i in np.flatnonzero([e is not None for e in errors])[:limit]:
        out.append((int(runs[i]), errors[i]))
    return out
