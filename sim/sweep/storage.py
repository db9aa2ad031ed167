"""A sweep's folder: set up completely before the first run, filled by part files as runs finish, sealed by a
manifest.

    results/<sweep-id>/
      spec.yaml            the spec as written (for the quick form: as made from the command line)
      scenario.yaml        the base scenario every run starts from (extends and set: resolved)
      design.parquet/.csv  one row per design point
      sweep.json           what the sweep is: parameters, design, replicates, master seed, columns
      history.jsonl       one line per start and end of `run.py sweep` on this folder (appended, never rewritten)
      runs/part-NNNNNN.parquet     per-run rows, written as runs finish
      rounds/part-NNNNNN.parquet   per-round records (keep: rounds), same part numbers as runs/
      states/part-NNNNNN.parquet   per-state records (keep: states)
      runs.parquet, runs.csv       every run, sorted by run index, with the sweep's id (written at the end)
      failures.csv                 the runs that raised, if any
      manifest.json                written last: a sweep without it is not finished

Why this survives kill -9: a part file is written under a hidden temporary name and renamed into place, so a part
either exists whole or not at all; the rounds and states parts of a flush are renamed before its runs part, so a run
counts as done only once everything it produced is on disk. A resume deletes temporary files and the rounds and
states parts that have no runs part, then runs exactly the run indexes that no runs part holds. The folder is locked
(flock) while a process works on it, so two resumes cannot write the same runs; the lock file goes when it is
released.

Missing values have one convention: null in Parquet, an empty cell in CSV, and pd.NA in pandas, where load_runs
gives nullable types (Int64, boolean, Float64, string) and pd.read_parquet on runs.parquet does the same. A value is
missing when it is unknown (the run failed, or its design point has no such tier); an empty list of states is "".
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import re
import shlex
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..loader import RawScenario, dump_yaml, parse_yaml, scenario_hash
from ..messages import printable
from ..results import (environment, file_digests, file_sha256, new_folder, program, scenario_copy_drift, slug,
                       write_json)
from .spec import Parameter, SweepPlan
from .tasks import Run, RunContext, TaskResult, runs_schema

__all__ = ["SweepFolder", "PartWriter", "SweepFolderError", "load_runs", "nullable_frame", "query_name"]

PART = re.compile(r"^part-(\d{6,})\.parquet$")
KINDS = ("runs", "rounds", "states")


class SweepFolderError(Exception):
    """A folder that is not a sweep, is already finished, is busy, or has been damaged or edited."""


def _nullable(arrow_type: pa.DataType):
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_floating(arrow_type):
        return pd.Float64Dtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()  # missing is pd.NA, as in the other nullable types
    return None


def nullable_frame(table: pa.Table) -> pd.DataFrame:
    """A runs table as pandas with nullable types, so that a missing value is pd.NA in every column (rather than
    NaN in floats, None in an object column of booleans, and integers turned into floats)."""
    return table.to_pandas(types_mapper=_nullable)


def query_name(column: str) -> str:
    """The name of a column for DataFrame.query: a parameter's dotted path with `__` for each dot
    (rules.threshold -> rules__threshold). load_runs(..., query_names=True) renames every column so."""
    return column.replace(".", "__").replace(":", "_")


def load_runs(path: str | Path, query_names: bool = False) -> pd.DataFrame:
    """Every run of a sweep folder (finished or not), with nullable types and the `sweep` id column.

    Parameter columns are named by their dotted paths, as in the spec; DataFrame.query takes them in backticks
    (runs.query("`rules.decision` == 'consensus'")), or ask for query_names=True (rules__decision)."""
    folder = SweepFolder(path)
    frame = nullable_frame(folder.read_runs())
    if "sweep" not in frame.columns:
        frame.insert(0, "sweep", pd.array([folder.id] * len(frame), dtype=pd.StringDtype()))
    if query_names:
        frame = frame.rename(columns=query_name)
    return frame


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _stamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")


def _write_atomic(path: Path, write) -> None:
    """Write through a hidden temporary file in the same folder, then rename into place."""
    temporary = path.with_name(f".{path.name}.tmp")
    write(temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _spec_for_folder(text: str) -> str:
    """The spec as stored in the sweep folder: its scenario points at the copy beside it, so that
    `run.py sweep FOLDER/spec.yaml` reruns it from anywhere (the copy already holds the spec's `set` values, and
    applying them again changes nothing). A block-style spec keeps its text and comments; a flow-style one (whose
    `scenario:` is not at the start of a line) is written out again in block style."""
    changed, count = re.subn(r"^scenario:[^\n]*$",
                             lambda m: f"scenario: scenario.yaml  # copied here; was {m.group(0)[9:].strip()}",
                             text, count=1, flags=re.M)
    if count:
        return changed
    data, _ = parse_yaml(text, "spec")
    was = data.get("scenario")
    data["scenario"] = "scenario.yaml"
    return f"# the sweep's spec, written out in block style; its scenario was {printable(was)}\n" + dump_yaml(data)


class SweepFolder:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        info_path = self.path / "sweep.json"
        if not self.path.is_dir():
            raise SweepFolderError(f"{self.path}: no such folder")
        if not info_path.is_file():
            raise SweepFolderError(f"{self.path}: not a sweep folder (no sweep.json)")
        try:
            self.info = json.loads(info_path.read_text(encoding="utf-8"))
            self.parameters = [Parameter.from_description(p) for p in self.info["parameters"]]
            self.total = int(self.info["runs"])
            self.replicates = int(self.info["replicates"])
            self.seed = int(self.info["seed"])
            self.common_random_numbers = bool(self.info.get("common_random_numbers", False))
            self.info["dimensions"], self.info["tiers"]  # noqa: B018 - present, or the folder is damaged
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise SweepFolderError(f"{info_path}: damaged or edited, cannot be read ({type(exc).__name__}: {exc}); "
                                   f"the sweep cannot be resumed from this folder: start it again") from None
        self._design: pd.DataFrame | None = None
        self._lock_handle = None

    # ------------------------------------------------------------------------------------------------ create --
    @classmethod
    def create(cls, parent: str | Path, plan: SweepPlan, design: pd.DataFrame, command: list[str] | None,
               name: str | None = None) -> "SweepFolder":
        """Make a new folder with everything a run needs; it appears under its final name only when complete."""
        spec = plan.spec
        total = len(design) * spec.replicates
        sweep_name = f"{slug(name or plan.name)}-{_stamp()}"
        with new_folder(parent, sweep_name) as building:
            folder = building.path
            (folder / "spec.yaml").write_text(_spec_for_folder(plan.text), encoding="utf-8")
            (folder / "scenario.yaml").write_text(
                dump_yaml(plan.base.data), encoding="utf-8")
            copy_digest = file_sha256(folder / "scenario.yaml")
            design.to_parquet(folder / "design.parquet", index=False, engine="pyarrow")
            design.to_csv(folder / "design.csv", index=False)
            (folder / "runs").mkdir()
            for kind in ("rounds", "states"):
                if getattr(spec.keep, kind):
                    (folder / kind).mkdir()
            info = {
                "kind": "sweep",
                "name": plan.name,
                "created_utc": _now(),
                "spec": {"source": plan.source, "description": spec.description},
                "scenario": {"title": plan.scenario.metadata.title, "source": plan.scenario_source,
                             "sha256": scenario_hash(plan.scenario), "copy_sha256": copy_digest},
                "design": {**spec.design.model_dump(), "points": len(design)},
                "parameters": [p.describe() for p in plan.parameters],
                "replicates": spec.replicates,
                "seed": spec.seed,
                "runs": total,
                "run_index": "point * replicates + replicate",
                "common_random_numbers": spec.common_random_numbers,
                "run_seed": ("SeedSequence(seed).spawn(replicates)[replicate]" if spec.common_random_numbers else
                             "SeedSequence(seed).spawn(runs)[run]") + ", drawn as a 63-bit integer (sim.sweep.design)",
                "max_rounds": spec.max_rounds,
                "keep": spec.keep.model_dump(),
                "runs_per_task": spec.runs_per_task,
                "dimensions": plan.scenario.dimension_names,
                "tiers": [t.name for t in plan.scenario.treaty.tiers],
                "command": command,
                "environment": environment(),
            }
            write_json(folder / "sweep.json", info)
        return cls(building.final)

    # ------------------------------------------------------------------------------------------------- state --
    @property
    def id(self) -> str:
        return self.path.name

    @property
    def finished(self) -> bool:
        return (self.path / "manifest.json").is_file()

    @property
    def keep(self) -> dict:
        return self.info.get("keep") or {}

    def design(self) -> pd.DataFrame:
        if self._design is None:
            path = self.path / "design.parquet"
            try:
                self._design = pd.read_parquet(path)
            except (OSError, pa.ArrowException, ValueError) as exc:
                raise SweepFolderError(f"{path}: missing or damaged ({exc}); the sweep cannot be resumed from this "
                                       f"folder: start it again") from None
            if len(self._design) * self.replicates != self.total:
                raise SweepFolderError(f"{path}: holds {len(self._design)} points, but sweep.json says "
                                       f"{self.total} runs of {self.replicates} replicates; start the sweep again")
        return self._design

    def read_manifest(self) -> dict:
        path = self.path / "manifest.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SweepFolderError(f"{path}: damaged ({exc}); the runs are stored: delete manifest.json and "
                                   f"resume to write it again") from None

    def check_scenario(self) -> None:
        """The folder's scenario.yaml must be the one the sweep started with (its hash is in sweep.json): a resume
        on an edited copy would mix runs of two scenarios under one manifest."""
        from ..loader import ScenarioError, validate_raw

        path = self.path / "scenario.yaml"
        try:
            base = self._base()
            digest = scenario_hash(validate_raw(base))
        except (OSError, ScenarioError) as exc:
            raise SweepFolderError(f"{path}: missing or no longer valid ({exc}); restore it or start the sweep "
                                   f"again") from None
        drift = scenario_copy_drift(path, digest, self.info.get("scenario") or {}, "sweep started",
                                    "restore it, or start a new sweep from the changed scenario", "sweep.json")
        if drift:
            raise SweepFolderError(drift)

    def _base(self) -> RawScenario:
        path = self.path / "scenario.yaml"
        data, origins = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        return RawScenario(data, origins, str(path))

    def schema(self) -> pa.Schema:
        return runs_schema(self.parameters, self.info["dimensions"], self.info["tiers"])

    def context(self) -> RunContext:
        base = self._base()
        keep = self.keep
        return RunContext(base=base, parameters=tuple(self.parameters), dimensions=tuple(self.info["dimensions"]),
                          tiers=tuple(self.info["tiers"]), max_rounds=self.info.get("max_rounds"),
                          keep_rounds=bool(keep.get("rounds")), keep_states=bool(keep.get("states")))

    def parts(self, kind: str) -> dict[int, Path]:
        folder = self.path / kind
        out = {}
        if folder.is_dir():
            for path in folder.iterdir():
                match = PART.match(path.name)
                if match:
                    out[int(match.group(1))] = path
        return dict(sorted(out.items()))

    def clean_partial(self) -> list[str]:
        """Delete what a killed process left half-done: temporary files and parts without their runs part."""
        removed = []
        for path in self.path.iterdir():  # e.g. .manifest.json.tmp, .runs.csv.tmp of a killed finish
            if path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file():
                path.unlink()
                removed.append(path.name)
        runs = self.parts("runs")
        for kind in KINDS:
            folder = self.path / kind
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name.startswith(".") and path.name.endswith(".tmp"):
                    path.unlink()
                    removed.append(str(path.relative_to(self.path)))
            if kind != "runs":
                for seq, path in self.parts(kind).items():
                    if seq not in runs:
                        path.unlink()
                        removed.append(str(path.relative_to(self.path)))
        return removed

    def done(self) -> np.ndarray:
        """A mask over run indexes: True for runs that a runs part holds."""
        done = np.zeros(self.total, dtype=bool)
        for seq, path in self.parts("runs").items():
            try:
                runs = pq.read_table(path, columns=["run"]).column("run").to_numpy()
            except (OSError, pa.ArrowException, KeyError) as exc:
                raise SweepFolderError(f"{path}: damaged ({exc}); delete it and resume: its runs are run "
                                       f"again") from None
            if len(runs) and (runs.min() < 0 or runs.max() >= self.total):
                raise SweepFolderError(f"{path}: holds run indexes outside 0 to {self.total - 1}; delete it and "
                                       f"resume: its runs are run again")
            if done[runs].any() or len(np.unique(runs)) != len(runs):
                raise SweepFolderError(f"{path}: holds runs that another part already holds")
            done[runs] = True
        return done

    def next_part(self) -> int:
        numbers = [seq for kind in KINDS for seq in self.parts(kind)]
        return max(numbers, default=0) + 1

    def pending_runs(self, done: np.ndarray):
        """Runs still to do, in run order, each with its seed and parameter values."""
        from .design import run_seed

        design = self.design()
        columns = [p.path for p in self.parameters]
        values = list(design[columns].itertuples(index=False, name=None)) if columns else None
        for run in np.flatnonzero(~done):
            run = int(run)
            point, replicate = divmod(run, self.replicates)
            point_values = tuple(_plain(v) for v in values[point]) if values is not None else ()
            stream = replicate if self.common_random_numbers else run
            yield Run(run=run, point=point, replicate=replicate, seed=run_seed(self.seed, stream),
                      values=point_values)

    # --------------------------------------------------------------------------------------------- history --
    def log_event(self, entry: dict) -> None:
        with open(self.path / "history.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"time_utc": _now(), **entry}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def history(self) -> list[dict]:
        path = self.path / "history.jsonl"
        if not path.is_file():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
        return out

    def lock(self) -> None:
        """Take the folder's lock (a .lock file under flock), or say that another process holds it."""
        path = self.path / ".lock"
        while True:
            handle = open(path, "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise SweepFolderError(f"{self.path}: another process is working on this sweep") from None
            # The holder before us deletes the file as it lets go; a lock on a file no longer at the path would
            # not exclude the next process, which makes a new one, so take the lock again on the file that is there.
            try:
                same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock_handle = handle
                return
            handle.close()

    def unlock(self) -> None:
        """Release the lock and delete its file (deleted first, while still held: see lock())."""
        if self._lock_handle is not None:
            (self.path / ".lock").unlink(missing_ok=True)
            fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    # ------------------------------------------------------------------------------------------------ tables --
    def read_runs(self) -> pa.Table:
        """Every stored run row, sorted by run index (from runs.parquet once finished, else from the parts)."""
        final = self.path / "runs.parquet"
        if final.is_file():
            return pq.read_table(final)
        tables = []
        for path in self.parts("runs").values():
            try:
                tables.append(pq.read_table(path, schema=self.schema()))
            except (OSError, pa.ArrowException) as exc:
                raise SweepFolderError(f"{path}: damaged ({exc}); delete it and resume: its runs are run "
                                       f"again") from None
        if not tables:
            return self.schema().empty_table()
        return pa.concat_tables(tables).sort_by("run")

    def finish(self, totals: dict | None = None) -> dict:
        """Write the sorted tables and, last, the manifest. Returns the manifest."""
        table = self.read_runs()
        runs = table.column("run").to_numpy()
        if len(runs) != self.total or not np.array_equal(runs, np.arange(self.total)):
            missing = self.total - len(np.unique(runs))
            raise SweepFolderError(f"{self.path}: {missing} runs are missing; cannot finish")
        # The sweep's id in every row, so that the tables of several sweeps concatenate; and the pandas types in
        # the file's metadata, so that pd.read_parquet gives the nullable types of load_runs.
        frame = nullable_frame(table)
        frame.insert(0, "sweep", pd.array([self.id] * len(frame), dtype=pd.StringDtype()))
        table = pa.Table.from_pandas(frame, preserve_index=False)
        _write_atomic(self.path / "runs.parquet", lambda p: pq.write_table(table, p))
        _write_atomic(self.path / "runs.csv", lambda p: pa_csv.write_csv(table, p))
        errors = table.column("error")
        failed_mask = errors.is_valid()
        failed = int(failed_mask.to_numpy(zero_copy_only=False).sum())
        if failed:
            failures = table.filter(failed_mask)
            _write_atomic(self.path / "failures.csv", lambda p: pa_csv.write_csv(failures, p))
        outcomes = pd.Series(table.column("outcome").to_pylist()).value_counts(dropna=True)
        wall = pc.sum(table.column("wall_time_s")).as_py() or 0.0
        command = self.info.get("command") or []
        manifest = {
            "kind": "sweep",
            "id": self.id,
            "created_utc": self.info.get("created_utc"),
            "finished_utc": _now(),
            "spec": self.info["spec"],
            "scenario": self.info["scenario"],
            "design": self.info["design"],
            "parameters": self.info["parameters"],
            "replicates": self.replicates,
            "seed": self.seed,
            "runs": self.total,
            "failed": failed,
            "outcomes": {str(k): int(v) for k, v in outcomes.items()},
            "run_wall_time_s": round(float(wall), 6),
            "keep": self.keep,
            "history": self.history(),
            "environment": environment(),
            "files": {name: digest for name, digest in file_digests(self.path).items() if name != ".lock"},
            "reproduce": f"{program()} {shlex.join(command)}" if command else None,
        }
        if totals:
            manifest.update(totals)
        _write_atomic(self.path / "manifest.json", lambda p: write_json(p, manifest))
        return manifest


def _plain(value):
    """numpy scalars from the design table as plain Python values (they are sent to workers and stored)."""
    return value.item() if hasattr(value, "item") else value


class PartWriter:
    """Buffers finished runs and writes them as part files: every `flush_runs` runs or `flush_seconds` seconds."""

    def __init__(self, folder: SweepFolder, flush_runs: int = 1000, flush_seconds: float = 10.0,
                 flush_records: int = 200_000):
        self.folder = folder
        self.schema = folder.schema()
        self.flush_runs = max(1, int(flush_runs))
        self.flush_seconds = flush_seconds
        self.flush_records = flush_records
        self.seq = folder.next_part()
        self.rows: list[dict] = []
        self.rounds: list[pa.Table] = []
        self.states: list[pa.Table] = []
        self.records = 0
        self.last = time.monotonic()
        self.written = 0

    def add(self, result: TaskResult) -> None:
        self.rows.extend(result.rows)
        for bucket, table in ((self.rounds, result.rounds), (self.states, result.states)):
            if table is not None:
                bucket.append(table)
                self.records += table.num_rows
        if (len(self.rows) >= self.flush_runs or self.records >= self.flush_records
                or time.monotonic() - self.last >= self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.rows:
            return
        name = f"part-{self.seq:06d}.parquet"
        for kind, tables in (("rounds", self.rounds), ("states", self.states)):
            if tables:
                table = pa.concat_tables(tables, promote_options="permissive")
                _write_atomic(self.folder.path / kind / name, lambda p, t=table: pq.write_table(t, p))
        runs = pa.Table.from_pylist(self.rows, schema=self.schema)
        _write_atomic(self.folder.path / "runs" / name, lambda p: pq.write_table(runs, p))
        self.written += len(self.rows)
        self.seq += 1
        self.rows, self.rounds, self.states, self.records = [], [], [], 0
