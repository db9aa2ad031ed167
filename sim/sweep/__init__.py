"""Batch parameter sweeps: a spec, a design, seeded runs on any executor, streamed storage, analysis.

    plan = load_spec("scenarios/sweeps/global_rules.yaml")
    folder = SweepFolder.create("results", plan, build_design(plan), command=None)
    with make_executor("local") as executor:
        report = execute(folder, executor)
    runs = pandas.read_parquet(folder.path / "runs.parquet")

Each stage lives in its own module (spec, design, tasks, executors, storage, engine, analyze) and the analysis only
reads what storage wrote; see docs/sweeps.md.
"""

from .design import build_design, run_seed
from .engine import SweepReport, execute
from .executors import DaskExecutor, PoolExecutor, SerialExecutor, WorkerError, make_executor
from .spec import SweepPlan, SweepSpec, load_spec, quick_spec
from .storage import SweepFolder, SweepFolderError, load_runs

__all__ = [
    "SweepPlan", "SweepSpec", "load_spec", "quick_spec",
    "build_design", "run_seed",
    "SweepFolder", "SweepFolderError", "load_runs",
    "SerialExecutor", "PoolExecutor", "DaskExecutor", "make_executor", "WorkerError",
    "SweepReport", "execute",
]
