"""Input CSV files and generated data files, for the scripts that build data and scenarios from sources
(scripts/build_un_scenario.py, scripts/estimate_ideal_points.py): one error type that names file, line and column,
a CSV reader that checks its header and row lengths, and an atomic writer that never replaces a file unless told."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

__all__ = ["InputError", "csv_rows", "write_new"]


class InputError(ValueError):
    """A bad input file, reported as `file:line: column: message`."""

    def __init__(self, source: Path | str, line: int, column: str, message: str):
        where = f"{source}:{line}" if line else str(source)
        super().__init__(f"{where}: {column}: {message}" if column else f"{where}: {message}")


def csv_rows(path: Path, required: tuple[str, ...]):
    """(line number, row) pairs of a CSV file whose header must hold the required columns; values stripped. Read
    with the csv module, so that Namibia's code `NA` stays a string."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(path, 0, "", exc.strerror or str(exc)) from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(path, 1, missing[0], f"missing column (the header has: {', '.join(header)})")
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise InputError(path, reader.line_num, "", f"expected {len(header)} fields")
            yield reader.line_num, {key: value.strip() for key, value in row.items()}


def write_new(path: Path, text: str, force: bool) -> None:
    """Write atomically; refuse to replace an existing file unless forced."""
    if path.exists() and not force:
        raise InputError(path, 0, "", "already exists; not overwritten (pass --force to regenerate it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
