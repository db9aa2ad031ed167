"""What a worker does: run a batch of runs and turn each into one row (plus optional per-round records).

This module is imported by every worker process (local pool or Dask), so it imports only what a run needs. Several
runs go in one task so that scheduling does not dominate runs that take a few milliseconds; replicates of one design
point are consecutive, so a task builds each point's scenario once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa

from ..loader import RawScenario, ScenarioError, validate_raw, with_overrides
from ..runner import run_once
from .spec import Parameter

__all__ = ["RunContext", "Run", "Task", "TaskResult", "run_task", "runs_schema", "failed_row"]


@dataclass(frozen=True)
class RunContext:
    """What every run of a sweep shares; sent to each worker."""

    base: RawScenario
    parameters: tuple[Parameter, ...]
    dimensions: tuple[str, ...]
    tiers: tuple[str, ...]
    max_rounds: int | None = None
    keep_rounds: bool = False
    keep_states: bool = False


@dataclass(frozen=True)
class Run:
    run: int
    point: int
    replicate: int
    seed: int
    values: tuple  # the stored (encoded) value of each parameter, in RunContext.parameters order


@dataclass(frozen=True)
class Task:
    runs: tuple[Run, ...]


@dataclass
class TaskResult:
    rows: list[dict]
    rounds: object = None  # a pyarrow Table, or None
    states: object = None
    failed: int = 0
    runs: list[int] = field(default_factory=list)


def runs_schema(parameters, dimensions, tiers) -> pa.Schema:
    """The columns of the per-run table, fixed for the whole sweep so that every part file agrees."""
    types = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "str": pa.string(), "json": pa.string()}
    fields = [pa.field("run", pa.int64()), pa.field("point", pa.int64()), pa.field("replicate", pa.int64()),
              pa.field("seed", pa.int64())]
    fields += [pa.field(p.path, types[p.codec]) for p in parameters]
    fields += [
        pa.field("outcome", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("rounds", pa.int64()),
        pa.field("adopted", pa.bool_()),
        pa.field("adopted_round", pa.int64()),
        pa.field("in_force", pa.bool_()),
        pa.field("in_force_round", pa.int64()),
        pa.field("ratifications", pa.int64()),
        pa.field("ratifications_needed", pa.int64()),
        pa.field("states_at_table", pa.int64()),
        pa.field("states_in_talks", pa.int64()),
        pa.field("core_members_n", pa.int64()),
        pa.field("core_members", pa.string()),
        pa.field("supporters_n", pa.int64()),
        pa.field("walked_out", pa.string()),
    ]
    for tier in tiers:
        fields += [pa.field(f"tier_{tier}_in_being", pa.bool_()), pa.field(f"tier_{tier}_n", pa.int64()),
                   pa.field(f"tier_{tier}_members", pa.string())]
    fields += [pa.field(f"text_{d}", pa.float64()) for d in dimensions]
    fields += [pa.field("dividing_dimension", pa.string()), pa.field("wall_time_s", pa.float64()),
               pa.field("error", pa.string())]
    return pa.schema(fields)


def _head(context: RunContext, run: Run) -> dict:
    row = {"run": run.run, "point": run.point, "replicate": run.replicate, "seed": run.seed}
    for p, value in zip(context.parameters, run.values):
        row[p.path] = value
    return row


def failed_row(context: RunContext, run: Run, error: str, wall: float = 0.0) -> dict:
    return {**_head(context, run), "error": error, "wall_time_s": wall}


def _joined(ids) -> str:
    return ";".join(ids)


def summary_row(context: RunContext, run: Run, summary: dict, wall: float) -> dict:
    row = _head(context, run)
    row.update(
        outcome=summary["outcome"],
        reason=summary["reason"],
        rounds=summary["rounds"],
        adopted=summary["adopted"],
        adopted_round=summary["adopted_round"],
        in_force=summary["in_force"],
        in_force_round=summary["in_force_round"],
        ratifications=summary["ratifications"],
        ratifications_needed=summary["ratifications_needed"],
        states_at_table=summary["states_at_table"],
        states_in_talks=summary["states_in_talks"],
        core_members_n=len(summary["core_members"]),
        core_members=_joined(summary["core_members"]),
        supporters_n=len(summary["supporters"]),
        walked_out=_joined(summary["walked_out"]),
    )
    for tier in context.tiers:
        info = summary["tiers"].get(tier)
        if info is None:
            continue  # a point that changed the tiers; the columns stay empty
        row[f"tier_{tier}_in_being"] = info["in_being"]
        row[f"tier_{tier}_n"] = len(info["members"])
        row[f"tier_{tier}_members"] = _joined(info["members"])
    for d in context.dimensions:
        row[f"text_{d}"] = summary["core_text"].get(d)
    explanation = summary.get("explanation") or {}
    row["dividing_dimension"] = explanation.get("dividing_dimension")
    row["wall_time_s"] = wall
    row["error"] = None
    return row


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ScenarioError):
        where = f"{exc.field}: " if exc.field else ""
        return f"invalid scenario: {where}{exc.message}"
    return f"{type(exc).__name__}: {exc}"


def run_task(context: RunContext, task: Task) -> TaskResult:
    """Run every run of a task. A run that raises becomes a row with its error; the others go on."""
    rows: list[dict] = []
    rounds_tables, states_tables = [], []
    failed = 0
    scenarios: dict[int, object] = {}
    for run in task.runs:
        start = time.perf_counter()
        try:
            scenario = scenarios.get(run.point)
            if scenario is None:
                overrides = {p.path: p.decode(v) for p, v in zip(context.parameters, run.values)}
                scenario = validate_raw(with_overrides(context.base, overrides))
                scenarios.clear()  # only the current point is kept: memory stays flat
                scenarios[run.point] = scenario
            result = run_once(scenario, run.seed, context.max_rounds)
            row = summary_row(context, run, result.summary, result.wall_time)
            if context.keep_rounds:
                rounds_tables.append(_with_run(result.rounds, run.run))
            if context.keep_states:
                states_tables.append(_with_run(result.states, run.run))
        except Exception as exc:  # a failed run is data, not the end of the sweep
            failed += 1
            row = failed_row(context, run, _describe(exc), time.perf_counter() - start)
        rows.append(row)
    return TaskResult(rows=rows, rounds=_concat(rounds_tables), states=_concat(states_tables), failed=failed,
                      runs=[r.run for r in task.runs])


def _with_run(frame, run: int) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.add_column(0, "run", pa.array([run] * len(frame), pa.int64()))


def _concat(tables: list) -> pa.Table | None:
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")
