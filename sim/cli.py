"""Command line: `run.py COMMAND ...` or `treatysim COMMAND ...`. See docs/cli.md.

main(argv) is callable in-process (the tests use it) and returns an exit code; the parser is kept apart from the
commands, which live in sim.commands.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .commands import COMMANDS, ExitCode, UserError

__all__ = ["main", "build_parser", "ExitCode"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treatysim",
        description="Agent-based simulator of international cyber-treaty negotiations.",
        epilog="Exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid input, 4 some runs failed, 130 interrupted.",
    )
    parser.add_argument("--traceback", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage and 0 on --help
        return int(exc.code or 0)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.handler(args))
    except UserError as exc:
        if args.traceback:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return int(exc.code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:  # anything else is a bug: one line, the traceback on request
        if args.traceback:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (run again with --traceback for details)",
              file=sys.stderr)
        return int(ExitCode.FAILURE)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
