"""run, validate and schema: single runs and scenario checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

from . import ExitCode, UserError
from .options import load, output_folder, rounds, seed


# ----------------------------------------------------------------------------------------------------------- run --
def add_run(sub) -> None:
    p = sub.add_parser("run", help="run one scenario with one seed, print its summary and write its results",
                       description="Run one scenario with one seed. Prints a summary and writes a new results folder.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    p.add_argument("--rounds", type=rounds, default=None, help="maximum rounds (default: the scenario's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario field by dotted path, e.g. rules.threshold=0.67 or "
                        "states.USA.flexibility=0.5 (repeatable)")
    p.add_argument("--out", default="results", metavar="DIR",
                   help="folder in which the run's new results folder is made (default: results)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--vector", choices=("svg", "pdf"), default=None,
                   help="also write each figure as SVG or PDF (beside its 200 dpi PNG)")
    p.add_argument("--report", action="store_true",
                   help="also write report.html: summary, explanation, figures, tables and provenance on one "
                        "self-contained page")
    p.add_argument("--animate", action="store_true",
                   help="also write negotiation.gif, the issue-space map round by round")
    p.add_argument("--quiet", action="store_true", help="print only the results folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of text")
    p.set_defaults(handler=cmd_run)


def cmd_run(args) -> int:
    from ..results import write_run
    from ..runner import run_once
    from ..summary_text import format_summary

    scenario = load(args.scenario, args.overrides, max_rounds=args.rounds)
    output_folder(args.out)
    result = run_once(scenario, seed=args.seed, max_rounds=args.rounds)
    folder = write_run(result, args.out, source=args.scenario, overrides=args.overrides,
                       rounds_override=args.rounds, command=getattr(args, "argv", None),
                       figures=not args.no_figures, animate=args.animate, vector=args.vector,
                       report=args.report)
    if args.json:
        print(json.dumps({**result.summary, "results": str(folder)}, indent=2))
    elif args.quiet:
        print(folder)
    else:
        print(format_summary(result.summary, scenario))
        print(f"Results: {folder}")
    return ExitCode.OK


RUN = SimpleNamespace(add_parser=add_run)


# ------------------------------------------------------------------------------------------------------ validate --
def add_validate(sub) -> None:
    p = sub.add_parser("validate", help="check scenario files (exit 0 only if all are valid)",
                       description="Check scenario files. Prints one line per file; exit 0 only if all are valid.")
    p.add_argument("files", nargs="+", help="scenario YAML files")
    p.set_defaults(handler=cmd_validate)


def cmd_validate(args) -> int:
    from ..loader import ScenarioError, load_checked
    from ..messages import printable

    bad = crashed = 0
    for path in args.files:
        try:
            scenario, warnings = load_checked(path)
        except ScenarioError as exc:
            bad += 1
            for problem in exc.problems:  # every problem of the file, one line each
                print(f"invalid: {problem.text()}", file=sys.stderr)
        except Exception as exc:  # a bug: say so for this file, and still check the files after it
            crashed += 1
            print(f"internal error: {printable(path)}: {type(exc).__name__}: {printable(exc)} (run again with "
                  f"--traceback for details)", file=sys.stderr)
            if args.traceback:
                raise
        else:
            for warning in warnings:
                print(f"warning: {warning.text()}", file=sys.stderr)
            print(f"ok: {printable(path)} ({len(scenario.states)} states, {len(scenario.dimensions)} dimensions, "
                  f"{len(scenario.treaty.tiers)} tier{'' if len(scenario.treaty.tiers) == 1 else 's'})")
    if crashed:
        return ExitCode.FAILURE
    return ExitCode.INVALID_INPUT if bad else ExitCode.OK


VALIDATE = SimpleNamespace(add_parser=add_validate)


# -------------------------------------------------------------------------------------------------------- schema --
def add_schema(sub) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of the scenario format",
                       description="Print the JSON Schema of the scenario format (for editors).")
    p.add_argument("--out", metavar="FILE", help="write it to FILE instead (refuses to overwrite)")
    p.set_defaults(handler=cmd_schema)


def cmd_schema(args) -> int:
    from ..schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out:
        target = Path(args.out)
        if target.exists():
            raise UserError(f"{target}: already exists; not overwritten", ExitCode.USAGE)
        if not target.parent.is_dir():
            raise UserError(f"{target}: no such folder {target.parent}", ExitCode.USAGE)
        target.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return ExitCode.OK


SCHEMA = SimpleNamespace(add_parser=add_schema)
