"""import: turn actor tables from other models (KTAB SMP, expected-utility/BDM) into scenario files."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from types import SimpleNamespace

from . import ExitCode, UserError


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def add_import(sub) -> None:
    p = sub.add_parser("import", help="convert a KTAB or expected-utility (BDM) actor table into a scenario",
                       description="Convert an actor table from another model into a scenario YAML file. "
                                   "Positions are rescaled to [0, 1]; bad rows are refused with their line and "
                                   "column.")
    kinds = p.add_subparsers(dest="layout", metavar="LAYOUT", required=True)
    ktab = kinds.add_parser("ktab", help="KTAB Spatial Model of Politics CSV",
                            description="Import a KTAB SMP CSV: a line with name, description, actor and "
                                        "dimension counts; a header; then actor, description, capability and a "
                                        "position (0-100) and salience (0-100) per dimension.")
    bdm = kinds.add_parser("bdm", help="expected-utility (BDM) CSV: Actor, Capability, Position, Salience",
                           description="Import the common expected-utility layout: a header Actor, Capability, "
                                       "Position, Salience and one row per actor, one issue.")
    for kind in (ktab, bdm):
        kind.add_argument("file", help="the CSV file")
        kind.add_argument("--out", metavar="FILE",
                          help="write the scenario here (refuses to overwrite; default: print it)")
        kind.add_argument("--weight-by-salience", action="store_true",
                          help="capability = capability x total salience / 100 (the weight KTAB and BDM give an "
                               "actor); without it a one-issue table's saliences have no effect")
        kind.set_defaults(handler=cmd_import)
    bdm.add_argument("--scale", nargs=2, type=_finite, default=(0.0, 100.0), metavar=("LOW", "HIGH"),
                     help="the positions' scale, mapped onto [0, 1] (default 0 100)")


def cmd_import(args) -> int:
    from ..importers import CsvError, import_bdm, import_ktab

    target = Path(args.out) if args.out else None
    if target is not None and target.exists():
        raise UserError(f"{target}: already exists; not overwritten", ExitCode.USAGE)
    try:
        if args.layout == "ktab":
            text, scenario = import_ktab(args.file, weight_by_salience=args.weight_by_salience)
        else:
            low, high = args.scale
            if not low < high:
                raise UserError(f"--scale: {low:g} {high:g} is not a scale (LOW must be below HIGH)", ExitCode.USAGE)
            text, scenario = import_bdm(args.file, (low, high), weight_by_salience=args.weight_by_salience)
    except CsvError as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    if target is None:
        sys.stdout.write(text)
        return ExitCode.OK
    if not target.parent.is_dir():
        raise UserError(f"{target}: the folder {target.parent} does not exist", ExitCode.USAGE)
    try:
        with target.open("x", encoding="utf-8") as out:  # "x": fails rather than replace a file made meanwhile
            try:
                out.write(text)
            except BaseException:
                out.close()
                target.unlink(missing_ok=True)
                raise
    except FileExistsError:
        raise UserError(f"{target}: already exists; not overwritten", ExitCode.USAGE) from None
    from ..results import program

    print(f"wrote {target} ({len(scenario.states)} states, {len(scenario.dimensions)} dimensions); "
          f"try: {program()} run {target}")
    return ExitCode.OK


IMPORT = SimpleNamespace(add_parser=add_import)
