"""The CLI's commands. Each module has add_parser(subparsers), which registers the command and its handler.

Command modules import heavy dependencies (matplotlib, dask, solara) inside their handlers, so that the CLI starts
fast and `validate` never waits for a plotting or cluster library.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit codes of every command (documented in docs/cli.md)."""

    OK = 0
    FAILURE = 1  # an internal error: a bug
    USAGE = 2  # bad command-line usage (argparse)
    INVALID_INPUT = 3  # a scenario, spec or data file that cannot be used
    RUNS_FAILED = 4  # a sweep or comparison finished, but some runs raised
    CANNOT_WRITE = 5  # the output cannot be written: disk full, read-only, not allowed, a name too long
    INTERRUPTED = 130  # Ctrl-C, SIGTERM or SIGHUP


class UserError(Exception):
    """An error the user can fix; printed as one line, with its exit code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.INVALID_INPUT):
        super().__init__(message)
        self.code = code


from . import app, calibrate, compare, evaluate, importers, single, sweep  # noqa: E402

# Order here is the order in `--help`.
COMMANDS = [single.RUN, single.VALIDATE, single.SCHEMA, sweep.SWEEP, sweep.ANALYZE, compare.COMPARE, evaluate.EVALUATE,
            calibrate.CALIBRATE, importers.IMPORT, app.APP]
