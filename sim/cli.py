"""Command line: `run.py COMMAND ...` or `treatysim COMMAND ...`. See docs/cli.md.

main(argv) is callable in-process (the tests use it) and returns an exit code; the parser is kept apart from the
commands, which live in sim.commands.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence

from . import __version__
from .commands import COMMANDS, ExitCode, UserError
from .messages import printable
from .results import write_failure

__all__ = ["main", "build_parser", "ExitCode"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treatysim",
        description="Agent-based simulator of international cyber-treaty negotiations.",
        epilog="Exit codes: " + ", ".join(f"{int(code)} {code.name.lower().replace('_', ' ')}" for code in ExitCode)
        + " (docs/cli.md).",
    )
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of an error (the exit code stays the same)")
    parser.add_argument("--version", action="version", version=f"treatysim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _chosen_parser(parser: argparse.ArgumentParser, args) -> argparse.ArgumentParser:
    """The (sub)command parser that the arguments reached: `run`, or `ktab` under `import`."""
    current = parser
    while True:
        actions = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions or getattr(args, actions[0].dest, None) not in actions[0].choices:
            return current
        current = actions[0].choices[getattr(args, actions[0].dest)]


def _tolerant_streams() -> None:
    """A terminal that cannot show a character (PYTHONIOENCODING=ascii, a Latin-1 console) gets it escaped
    (\\xe9), rather than a crash after the work is done."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and stream.errors == "strict":
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot be reconfigured: leave it
                pass


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: temporary folders are removed, a sweep stores what has finished."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _terminate(signum, frame):
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_streams()
    parser = build_parser()
    try:
        # Known arguments first, so that an unknown option is reported with the usage of the command it was given
        # to, not the top-level usage.
        args, extra = parser.parse_known_args(argv)
        if extra:
            _chosen_parser(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse exits 2 on bad usage and 0 on --help
        return int(exc.code or 0)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, _terminate)
    try:
        return int(args.handler(args))
    except UserError as exc:
        if args.traceback:
            traceback.print_exc()
        print(f"error: {printable(exc)}", file=sys.stderr)
        return int(exc.code)
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc.args[0]})" if isinstance(exc, Terminated) else "interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:  # anything else is a bug: one line, the traceback on request
        if args.traceback:
            traceback.print_exc()
        failure = write_failure(exc)
        if failure is not None:  # the environment, not a bug: a full or read-only disk
            print(f"error: {printable(failure)}", file=sys.stderr)
            return int(ExitCode.CANNOT_WRITE)
        print(f"internal error: {type(exc).__name__}: {printable(exc)} (run again with --traceback for details)",
              file=sys.stderr)
        return int(ExitCode.FAILURE)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
