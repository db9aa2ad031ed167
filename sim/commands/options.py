"""Argument types and scenario loading shared by the commands."""

from __future__ import annotations

import argparse

from . import ExitCode, UserError


def whole_number(minimum: int | None = None, maximum: int | None = None, meaning: str = ""):
    """An argparse type for an integer within [minimum, maximum]; `meaning` explains the range when it is broken."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{value} {meaning}")
        return value

    return parse


positive_int = whole_number(1, meaning="is not positive")
seed = whole_number(0, meaning="is negative (seeds are 0 or more)")
port = whole_number(1, 65535, meaning="is not a port number (1-65535)")
rounds = whole_number(1, 100_000, meaning="is not a number of rounds between 1 and 100000")


def load(path: str, overrides: list[str] | None = None, max_rounds: int | None = None):
    """Load and validate a scenario with --set overrides; a bad one becomes a one-line UserError (exit 3).

    Warnings (an event after the last round) are printed to stderr, one line each."""
    import sys

    from ..loader import ScenarioError, load_checked

    try:
        scenario, warnings = load_checked(path, overrides or [], max_rounds=max_rounds)
    except ScenarioError as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    for warning in warnings:
        print(f"warning: {warning.text()}", file=sys.stderr)
    return scenario


MIN_FREE_BYTES = 16 * 2**20  # a run's folder with figures is about 1 MB; a sweep's first parts need a few


def output_folder(path: str, option: str = "--out"):
    """Make sure the folder in which results folders are made exists, is a folder, can be written and has some
    free space, before any work is done (exit 2 for a file, 5 for a folder that cannot take the output)."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{option} {path}: is a file, not a folder", ExitCode.USAGE)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot write here ({exc.strerror or exc}); choose another folder with "
                        f"{option}", ExitCode.CANNOT_WRITE) from exc
    if free < MIN_FREE_BYTES:
        raise UserError(f"{option} {path}: only {free // 1024} kB free on this disk (at least "
                        f"{MIN_FREE_BYTES // 2**20} MB needed); free some space, or choose another folder with "
                        f"{option}", ExitCode.CANNOT_WRITE)
    return folder


def check_executor(args) -> None:
    """--executor, --workers and --scheduler, as sweep and calibrate take them: a wrong mix is a usage error."""
    if args.scheduler and args.executor not in ("local", "dask"):
        raise UserError(f"--scheduler runs on Dask; it cannot be combined with --executor {args.executor}",
                        ExitCode.USAGE)
    if args.executor == "serial" and args.workers and args.workers > 1:
        raise UserError("--executor serial runs in this process: --workers does not apply", ExitCode.USAGE)


def start_workers(make, args):
    """`make(executor, workers, scheduler)` (a sweep's executor or a calibration's mapper) from the arguments, with
    a scheduler nobody answers or no worker joining in time turned into a one-line UserError (exit 3)."""
    try:
        return make(args.executor, args.workers, args.scheduler)
    except TimeoutError as exc:
        where = f"--scheduler {args.scheduler}" if args.scheduler else "the local Dask cluster"
        raise UserError(f"{where}: no worker joined in time ({exc})", ExitCode.INVALID_INPUT) from exc
    except OSError as exc:
        raise UserError(f"--scheduler {args.scheduler}: cannot connect ({exc})", ExitCode.INVALID_INPUT) from exc
