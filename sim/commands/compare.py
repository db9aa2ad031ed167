"""compare: run two scenarios over the same seeds and report how the second differs from the first."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path
from types import SimpleNamespace

from . import ExitCode, UserError
from .options import rounds, load, output_folder, positive_int, seed


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.5 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not a confidence level between 0.5 and 1 (e.g. 0.95)")
    return value


def _replicates(text: str) -> int:
    value = positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"{value}: a paired comparison needs at least 2 replicates")
    return value


def add_compare(sub) -> None:
    p = sub.add_parser(
        "compare", help="run two scenarios over the same seeds and report their differences with intervals",
        description="Run scenarios A and B with the same replicate seeds (spawned from --seed) and report the "
                    "difference B - A in outcome chances, rounds, membership, the final core text and tier "
                    "membership, with confidence intervals (Newcombe's paired interval for chances, paired t for "
                    "means). Writes a new results folder.")
    p.add_argument("scenario_a", metavar="A", help="first scenario YAML file (the baseline)")
    p.add_argument("scenario_b", metavar="B", help="second scenario YAML file (e.g. a variant of A)")
    p.add_argument("--replicates", type=_replicates, default=30, metavar="R",
                   help="paired runs per scenario (default 30)")
    p.add_argument("--seed", type=seed, default=0, metavar="S",
                   help="master seed from which the replicate seeds are spawned (default 0)")
    p.add_argument("--rounds", type=rounds, default=None, help="maximum rounds (default: each scenario's)")
    p.add_argument("--set-a", dest="set_a", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field of A by dotted path (repeatable)")
    p.add_argument("--set-b", dest="set_b", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field of B by dotted path (repeatable)")
    p.add_argument("--confidence", type=_confidence, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--out", default="results", metavar="DIR",
                   help="folder in which the comparison's new results folder is made (default: results)")
    p.add_argument("--no-figures", action="store_true",
                   help="skip the figures (differences.png: a forest plot of B - A; outcomes.png: outcome shares)")
    p.add_argument("--vector", choices=("svg", "pdf"), default=None,
                   help="also write each figure as SVG or PDF (beside its 200 dpi PNG)")
    p.add_argument("--report", action="store_true",
                   help="also write report.html: outcomes, the report, figures, every difference and provenance on "
                        "one self-contained page")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON instead of text")
    p.add_argument("--quiet", action="store_true", help="print only the results folder")
    p.set_defaults(handler=cmd_compare)


def cmd_compare(args) -> int:
    from ..compare import compare, format_report
    from ..loader import scenario_hash, scenario_to_yaml
    from ..results import environment, file_digests, new_folder, slug, write_json, write_table

    scenario_a = load(args.scenario_a, args.set_a, max_rounds=args.rounds)
    scenario_b = load(args.scenario_b, args.set_b, max_rounds=args.rounds)
    output_folder(args.out)
    label_a = args.scenario_a + "".join(f" --set-a {s}" for s in args.set_a)
    label_b = args.scenario_b + "".join(f" --set-b {s}" for s in args.set_b)

    bar = None
    if not args.quiet and not args.json and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=2 * args.replicates, desc="runs", unit="run", file=sys.stderr, leave=False)
    try:
        comparison = compare(scenario_a, scenario_b, replicates=args.replicates, master_seed=args.seed,
                             max_rounds=args.rounds, confidence=args.confidence,
                             progress=bar.update if bar is not None else None)
    except RuntimeError as exc:  # too few pairs survived failing runs
        raise UserError(str(exc), ExitCode.RUNS_FAILED) from exc
    finally:
        if bar is not None:
            bar.close()
    report = format_report(comparison, label_a, label_b)

    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = f"compare-{slug(Path(args.scenario_a).stem)[:28]}-vs-{slug(Path(args.scenario_b).stem)[:28]}-{stamp}"
    summary = {
        "kind": "compare",
        "a": {"source": args.scenario_a, "overrides": args.set_a, "title": scenario_a.metadata.title,
              "sha256": scenario_hash(scenario_a)},
        "b": {"source": args.scenario_b, "overrides": args.set_b, "title": scenario_b.metadata.title,
              "sha256": scenario_hash(scenario_b)},
        "replicates": args.replicates,
        "paired_runs": len(comparison.seeds),
        "master_seed": args.seed,
        "seeds": comparison.seeds,
        "confidence": args.confidence,
        "rounds_override": args.rounds,
        "significant": comparison.significant[["group", "measure", "a", "b", "difference", "low", "high"]]
        .to_dict(orient="records"),
        "measures": len(comparison.differences),
        "notes": comparison.notes,
        "failures": comparison.failures,
    }
    with new_folder(args.out, name) as building:
        folder = building.path
        (folder / "scenario_a.yaml").write_text(scenario_to_yaml(scenario_a), encoding="utf-8")
        (folder / "scenario_b.yaml").write_text(scenario_to_yaml(scenario_b), encoding="utf-8")
        write_table(folder, "runs", comparison.runs)
        write_table(folder, "membership", comparison.membership)
        write_table(folder, "differences", comparison.differences)
        if comparison.failures:
            import pandas as pd

            write_table(folder, "failures", pd.DataFrame(comparison.failures))
        write_json(folder / "comparison.json", summary)
        if not args.no_figures:
            from ..plots import write_compare_figures

            write_compare_figures(folder, comparison, label_a, label_b, vector=args.vector)
        (folder / "report.txt").write_text(report + "\n", encoding="utf-8")
        manifest = {
            "kind": "compare",
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "scenarios": {"a": summary["a"], "b": summary["b"]},
            "replicates": args.replicates,
            "master_seed": args.seed,
            "command": getattr(args, "argv", None),
            "environment": environment(),
            "files": file_digests(folder),
            "reproduce": _reproduce_line(args),
        }
        if args.report:  # written from the finished files, then listed in the manifest, which comes last
            from ..report import compare_report

            compare_report(folder, comparison, label_a, label_b, report, manifest, manifest["files"])
            manifest["files"] = file_digests(folder)
        write_json(folder / "manifest.json", manifest)
    final = building.final

    if args.json:
        print(json.dumps({**summary, "results": str(final)}, indent=2, default=float))
    elif args.quiet:
        print(final)
    else:
        print(report)
        print(f"Results: {final}")
    return ExitCode.RUNS_FAILED if comparison.failures else ExitCode.OK


def _reproduce_line(args) -> str:
    from ..results import program

    parts = [f"{program()} compare", args.scenario_a, args.scenario_b, f"--replicates {args.replicates}",
             f"--seed {args.seed}", f"--confidence {args.confidence}"]
    if args.rounds:
        parts.append(f"--rounds {args.rounds}")
    parts += [f"--set-a '{s}'" for s in args.set_a] + [f"--set-b '{s}'" for s in args.set_b]
    return " ".join(parts)


COMPARE = SimpleNamespace(add_parser=add_compare)
