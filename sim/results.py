"""Results folders: one new folder per run or sweep, written completely or not at all, never overwritten.

A folder is built under a hidden temporary name (`.partial-...`) in the same parent and renamed into place only when
everything, the manifest last, has been written; a run that fails, or is stopped by Ctrl-C, SIGTERM or SIGHUP,
removes its temporary folder. The rename is one step that never replaces anything (renameat2 with
RENAME_NOREPLACE), so no kill can leave an empty folder under the final name. A folder without a manifest.json is
therefore never a finished result.
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import errno
import functools
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import sys
import uuid
from importlib import metadata
from pathlib import Path

import pandas as pd

from .loader import scenario_hash, scenario_to_yaml
from .runner import RunResult

__all__ = ["environment", "new_folder", "program", "write_run", "write_table", "write_json", "slug"]

DEPENDENCIES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "pyyaml", "matplotlib", "scipy", "salib",
                "dask", "distributed", "numba")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "run"


def program() -> str:
    """How to call this program again, for hints and reproduce lines: the console script when it was the way in,
    else `python3 run.py` (Debian and other systems without a `python` command have `python3`)."""
    return "treatysim" if Path(sys.argv[0]).name == "treatysim" else "python3 run.py"


@functools.lru_cache(maxsize=1)
def source_sha256() -> str:
    """SHA-256 of treatysim's own code: every .py file of the package, by path and content, in path order. The
    package's version number does not change with every change of the code; this digest does, so a manifest names
    the exact code that made it."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def other_code(recorded: dict | None) -> str | None:
    """"source SHA-256 then X..., now Y..." when an environment recorded earlier (`environment()`, in a sweep's or a
    calibration's record) names other code than this process runs, else None (also when it names none)."""
    then, now = (recorded or {}).get("treatysim_source_sha256"), source_sha256()
    return f"source SHA-256 then {then[:12]}..., now {now[:12]}..." if then and then != now else None


def numerics() -> dict:
    """What can change the last digits of numpy's exp, log and power from one machine to another, for the manifest:
    the processor's architecture, the C library, and the SIMD targets numpy was built for ("baseline") and uses on
    this processor ("dispatch"). On a processor with AVX-512 numpy computes float64 exp and log with its own SIMD code
    rather than the C library's, and the results can differ in the last bit (numpy issue 23523); the model draws
    its concession noise and ratification chances through exp and power, so a seed's numbers are only guaranteed to
    repeat where these agree (docs/ODD.md, 4, "Stochasticity")."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # pragma: no cover - numpy before 2.0
        from numpy.core import _multiarray_umath as umath
    features = getattr(umath, "__cpu_features__", {})
    libc = " ".join(part for part in platform.libc_ver() if part)
    return {
        "machine": platform.machine(),
        "libc": libc or None,
        "numpy_simd_baseline": list(getattr(umath, "__cpu_baseline__", [])),
        "numpy_simd_dispatch": [t for t in getattr(umath, "__cpu_dispatch__", []) if features.get(t)],
    }


def environment() -> dict:
    """Versions of Python, this package (and the digest of its code) and its dependencies, and what decides the
    last digits of numpy's transcendental functions on this machine (`numerics`), for the manifest."""
    versions = {}
    for name in ("treatysim",) + DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
        "treatysim_source_sha256": source_sha256(),
        "numerics": numerics(),
    }


def _timestamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")


class new_folder:
    """A temporary folder to fill; on a clean exit it is renamed to parent/name (or name-2, name-3, ...).

        with new_folder(parent, name) as building:
            write(building.path / "x.csv")
        building.final  # the finished folder
    """

    def __init__(self, parent: str | Path, name: str):
        self.parent = Path(parent)
        self.name = name
        self.final: Path | None = None
        self.parent.mkdir(parents=True, exist_ok=True)
        self.path = self.parent / f".partial-{name}-{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> "new_folder":
        self.path.mkdir()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return False
        try:
            self.final = _claim(self.parent, self.name, self.path)
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise
        return False


def _claim(parent: Path, name: str, temporary: Path) -> Path:
    for attempt in range(1, 10_000):
        final = parent / (name if attempt == 1 else f"{name}-{attempt}")
        try:
            rename_no_replace(temporary, final)
        except FileExistsError:
            continue
        return final
    raise RuntimeError(f"could not find a free folder name for {name} in {parent}")


_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
except (OSError, AttributeError):  # not glibc 2.28+ on Linux: the fallback below
    _renameat2 = None


def rename_no_replace(source: Path, target: Path) -> None:
    """Rename `source` to `target` in one step, or raise FileExistsError if `target` exists (file or folder).

    os.rename would replace an empty folder, and mkdir-then-replace leaves an empty folder under the final name if
    killed between the two; Linux's renameat2(RENAME_NOREPLACE) does neither. Where it is missing (another OS, an
    old kernel or file system), a check then a rename: a folder made in between is replaced only if empty, and a
    non-empty one makes the rename fail.
    """
    if _renameat2 is not None:
        if _renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise FileExistsError(code, os.strerror(code), str(target))
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    try:
        os.rename(source, target)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        raise


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=_jsonable) + "\n", encoding="utf-8")


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_table(folder: Path, name: str, table: pd.DataFrame, csv: bool = True) -> list[str]:
    table.to_parquet(folder / f"{name}.parquet", index=False, engine="pyarrow")
    written = [f"{name}.parquet"]
    if csv:
        table.to_csv(folder / f"{name}.csv", index=False)
        written.append(f"{name}.csv")
    return written


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def scenario_copy_drift(path: Path, read_hash: str, recorded: dict, began: str, if_edited: str,
                        record: str) -> str | None:
    """Why a results folder's copy of its scenario (`path`, whose scenario as read now hashes to `read_hash`) is not
    the scenario its sweep or calibration began with, or None when it is.

    `recorded` holds what was recorded when it began: "sha256", the hash of the scenario as read then
    (`loader.scenario_hash`, defaults included), and "copy_sha256", the SHA-256 of the copy's bytes (folders made by
    older versions have only the first). A copy whose bytes are as they were but which this version of treatysim
    reads differently (a field added to the scenario format, or a default changed) is told apart from an edited
    one, since the remedy differs (`if_edited` says what to do with an edited copy; `record` names the file whose
    "environment" gives the versions it began with)."""
    if read_hash == recorded.get("sha256"):
        return None
    copy = recorded.get("copy_sha256")
    hashes = f"the scenario as read now has SHA-256 {read_hash[:12]}..., then {str(recorded.get('sha256'))[:12]}..."
    if copy is not None and file_sha256(path) == copy:
        return (f"{path}: unchanged since the {began}, but this version of treatysim reads it differently (a field "
                f"added to the scenario format or a default changed: {hashes}), so new runs could differ from the "
                f"stored ones; resume with the versions the {began} with ({record}, environment), or start anew")
    if copy is None:  # a folder from before the copy's own digest was recorded: the two cases look alike
        return (f"{path}: edited since the {began}, or read differently by this version of treatysim ({hashes}; "
                f"this folder does not record its copy's own digest); {if_edited}")
    return f"{path}: changed since the {began} ({hashes}); {if_edited}"


def file_digests(folder: Path) -> dict[str, dict]:
    """Size and SHA-256 of every file but the manifest; hidden files (a lock, a temporary file) are not results."""
    out = {}
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if path.is_file() and path.name != "manifest.json" and not hidden:
            out[str(path.relative_to(folder))] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    return out


def write_run(
    result: RunResult,
    parent: str | Path,
    *,
    source: str | None = None,
    overrides: list[str] | None = None,
    rounds_override: int | None = None,
    command: list[str] | None = None,
    figures: bool = True,
    animate: bool = False,
    vector: str | None = None,
    report: bool = False,
) -> Path:
    """Write a finished run to a new folder under `parent` and return its path."""
    scenario = result.scenario
    stem = Path(source).stem if source else slug(scenario.metadata.title)
    seed_text = str(result.seed)
    if len(seed_text) > 20:  # a 300-digit seed must not make the folder name too long for the file system
        seed_text = f"{seed_text[:8]}x{len(seed_text)}d{hashlib.sha256(seed_text.encode()).hexdigest()[:8]}"
    name = f"{slug(stem)}-s{seed_text}-{_timestamp()}"
    with new_folder(parent, name) as building:
        folder = building.path
        (folder / "scenario.yaml").write_text(scenario_to_yaml(scenario), encoding="utf-8")
        write_table(folder, "rounds", result.rounds)
        write_table(folder, "states", result.states)
        write_json(folder / "summary.json", result.summary)
        if figures or animate:
            from . import plots  # matplotlib is only imported when figures are wanted

            if figures:
                plots.write_run_figures(folder, result, vector=vector)
            if animate:
                plots.write_animation(folder / "negotiation.gif", result)
        manifest = {
            "kind": "run",
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "scenario": {
                "title": scenario.metadata.title,
                "source": source,
                "sha256": scenario_hash(scenario),
            },
            "seed": result.seed,
            "overrides": list(overrides or []),
            "rounds_override": rounds_override,
            "command": command,
            "wall_time_s": round(result.wall_time, 6),
            "outcome": result.summary["outcome"],
            "environment": environment(),
            "files": file_digests(folder),
            "reproduce": _reproduce_line(source, result.seed, overrides, rounds_override),
        }
        if report:  # written from the finished files, then listed in the manifest, which comes last
            from .report import run_report

            run_report(folder, result, manifest, manifest["files"])
            manifest["files"] = file_digests(folder)
        write_json(folder / "manifest.json", manifest)
    return building.final


def _reproduce_line(source, seed, overrides, rounds) -> str:
    parts = ["run", str(source or "scenario.yaml"), "--seed", str(seed)]
    if rounds:
        parts += ["--rounds", str(rounds)]
    for item in overrides or []:
        parts += ["--set", item]
    return f"{program()} {shlex.join(parts)}"


_WRITE_HINTS = {
    errno.ENOSPC: "the disk is full: free some space, or write elsewhere with --out",
    errno.EDQUOT: "the disk quota is used up: free some space, or write elsewhere with --out",
    errno.EROFS: "the file system is read-only: write elsewhere with --out",
    errno.EACCES: "not allowed to write there: write elsewhere with --out",
    errno.EPERM: "not allowed to write there: write elsewhere with --out",
    errno.ENAMETOOLONG: "a file name is too long for the file system: use a shorter --out path",
    errno.EFBIG: "a file is too large for the file system: write elsewhere with --out",
}
_WRITE_WORDS = {"No space left": errno.ENOSPC, "Read-only file system": errno.EROFS, "Permission denied": errno.EACCES,
                "File name too long": errno.ENAMETOOLONG, "Disk quota exceeded": errno.EDQUOT}


def write_failure(exc: BaseException) -> str | None:
    """'cannot write FILE: REASON; WHAT TO DO' for an OSError of the environment (a full or read-only disk), else
    None. pyarrow's errors carry no errno, only the system's words."""
    if not isinstance(exc, OSError):
        return None
    code = exc.errno if exc.errno in _WRITE_HINTS else next(
        (c for words, c in _WRITE_WORDS.items() if words in str(exc)), None)
    if code is None:
        return None
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot write{where}: {os.strerror(code)}; {_WRITE_HINTS[code]}"
