"""sweep and analyze: batch parameter sweeps and their analysis (see docs/sweeps.md)."""

from __future__ import annotations

import signal
import sys
from types import SimpleNamespace

from . import ExitCode, UserError
from .options import check_executor, output_folder, positive_int, rounds, seed, start_workers

EXECUTORS = ("local", "serial", "dask")


# --------------------------------------------------------------------------------------------------------- sweep --
def add_sweep(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run a batch parameter sweep (a spec file, or a scenario with --vary)",
        description="Run a batch parameter sweep: `sweep SPEC.yaml`, or the quick form `sweep SCENARIO --vary "
                    "PATH=LO:HI:N ... --replicates R`. Runs stream to a new results folder; `sweep --resume "
                    "FOLDER` finishes an interrupted sweep. Exit 4 if some runs failed.",
        epilog="Spec format, storage layout and examples: docs/sweeps.md.")
    p.add_argument("spec", nargs="?", help="sweep spec YAML file, or a scenario file with --vary")
    p.add_argument("--resume", metavar="FOLDER", help="finish an interrupted sweep: run only what it lacks")
    quick = p.add_argument_group("quick form (with a scenario file)")
    quick.add_argument("--vary", action="append", default=[], metavar="PATH=LO:HI:N",
                       help="vary an uncertainty: PATH=LO:HI:N (N evenly spaced values), PATH=LO:HI (for "
                            "--design lhs/sobol/morris) or PATH=a,b,c (listed values); repeatable")
    quick.add_argument("--lever", action="append", default=[], metavar="PATH=LO:HI:N",
                       help="vary a lever (what negotiators choose), same forms as --vary; repeatable")
    quick.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                       help="fix a scenario field for every run (repeatable)")
    quick.add_argument("--replicates", type=positive_int, default=1, metavar="R",
                       help="runs per design point (default 1)")
    quick.add_argument("--seed", type=seed, default=0, metavar="S", help="master seed (default 0)")
    quick.add_argument("--design", choices=("grid", "lhs", "sobol", "morris"), default="grid",
                       help="design (default grid)")
    quick.add_argument("--samples", type=positive_int, metavar="N",
                       help="lhs points, sobol base sample N, morris trajectories")
    quick.add_argument("--common-random-numbers", action="store_true",
                       help="replicate r of every point gets the same seed (default: a seed per run)")
    quick.add_argument("--rounds", type=rounds, metavar="N",
                       help="maximum rounds per run (default: the scenario's)")
    quick.add_argument("--keep-rounds", action="store_true", help="also store per-round records")
    quick.add_argument("--name", help="name of the sweep (default: from the file name)")
    run = p.add_argument_group("where and how to run")
    run.add_argument("--workers", type=positive_int, metavar="N", help="worker processes (default: all cores)")
    run.add_argument("--executor", choices=EXECUTORS, default="local",
                     help="local process pool (default), serial (this process) or dask (a LocalCluster unless "
                          "--scheduler is given)")
    run.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler, e.g. tcp://HOST:8786")
    run.add_argument("--runs-per-task", type=positive_int, metavar="K",
                     help="runs sent to a worker at once (default: automatic)")
    run.add_argument("--out", default="results", metavar="DIR", help="folder for the new sweep folder "
                                                                     "(default: results)")
    run.add_argument("--flush-runs", type=positive_int, default=1000, metavar="N",
                     help="write a part file every N runs (default 1000; also every 10 s)")
    run.add_argument("--quiet", action="store_true", help="no progress; print only the results folder")
    p.set_defaults(handler=cmd_sweep)


def _check_usage(args) -> None:
    quick_given = bool(args.vary or args.lever or args.overrides or args.replicates != 1 or args.seed != 0
                       or args.design != "grid" or args.samples or args.rounds or args.keep_rounds or args.name
                       or args.common_random_numbers)
    if args.resume and args.spec:
        raise UserError("give either a spec file or --resume FOLDER, not both", ExitCode.USAGE)
    if args.resume and quick_given:
        raise UserError("--resume takes only --workers, --executor, --scheduler, --runs-per-task, --flush-runs and "
                        "--quiet: the rest is fixed by the sweep folder", ExitCode.USAGE)
    if not args.resume and not args.spec:
        raise UserError("give a sweep spec file, a scenario file (with --vary), or --resume FOLDER", ExitCode.USAGE)
    check_executor(args)


def _plan(args):
    from ..loader import ScenarioError
    from ..sweep.spec import load_spec, quick_spec, read_spec

    try:
        _, data, _ = read_spec(args.spec)
        is_spec = not ("states" in data or "metadata" in data or "extends" in data)
        quick_options = [flag for flag, given in (
            ("--vary", args.vary), ("--lever", args.lever), ("--replicates", args.replicates != 1),
            ("--seed", args.seed != 0), ("--set", args.overrides), ("--design", args.design != "grid"),
            ("--samples", args.samples), ("--rounds", args.rounds), ("--keep-rounds", args.keep_rounds),
            ("--name", args.name), ("--common-random-numbers", args.common_random_numbers)) if given]
        if is_spec:
            if quick_options:
                raise UserError(f"{', '.join(quick_options)}: only for the quick form (a scenario file); "
                                f"{args.spec} is a sweep spec: write them in it", ExitCode.USAGE)
            return load_spec(args.spec)
        # A scenario file: the quick form (with no --vary, replicates of the scenario as it is).
        return quick_spec(args.spec, args.vary, args.lever, replicates=args.replicates, seed=args.seed,
                          overrides=args.overrides, design=args.design, samples=args.samples,
                          max_rounds=args.rounds, keep_rounds=args.keep_rounds, name=args.name,
                          common_random_numbers=args.common_random_numbers)
    except ScenarioError as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: what has finished is stored and the sweep can be resumed."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def cmd_sweep(args) -> int:
    from ..sweep.design import build_design, duplicate_points
    from ..sweep.engine import execute, stored_failures
    from ..sweep.executors import WorkerError, make_executor
    from ..results import other_code, program, write_failure
    from ..sweep.storage import SweepFolder, SweepFolderError

    _check_usage(args)
    say = (lambda *a: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    folder = plan = design = None
    if args.resume:
        try:
            folder = SweepFolder(args.resume)
        except SweepFolderError as exc:
            raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
        if not folder.finished:
            try:  # before the executor starts: an edited or damaged folder is refused at once
                folder.check_scenario()
                folder.design()
                stored = int(folder.done().sum())
            except SweepFolderError as exc:
                raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
            # Not a refusal: the code changes far more often than its results do.
            changed = other_code(folder.info.get("environment"))
            if changed and stored:
                print(f"warning: {folder.path}: treatysim's code differs from the code the sweep started with "
                      f"({changed}); the {stored} runs stored and those made now may differ (history.jsonl "
                      f"records which code started each part of the sweep)", file=sys.stderr)
        if folder.finished:
            say(f"{folder.id}: already finished; nothing to do")
            print(folder.path)
            try:
                manifest = folder.read_manifest()
            except SweepFolderError as exc:
                raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
            return ExitCode.RUNS_FAILED if manifest.get("failed") else ExitCode.OK
    else:
        plan = _plan(args)
        output_folder(args.out)
        try:
            design = build_design(plan)
        except ValueError as exc:  # SALib refusing a design it cannot make
            raise UserError(f"{plan.source}: design: {exc}", ExitCode.INVALID_INPUT) from exc
        repeats = duplicate_points(design, plan.parameters)
        if repeats and plan.spec.design.kind in ("grid", "lhs"):  # Sobol and Morris samples repeat by design
            shown = ", ".join(f"point {p} = point {q}" for p, q in list(repeats.items())[:3])
            print(f"warning: {len(repeats)} of {len(design)} design points repeat another point's values ({shown}"
                  f"{', ...' if len(repeats) > 3 else ''}); their runs count as more replicates of one setting",
                  file=sys.stderr)
    # The executor comes before the folder: an unreachable scheduler leaves no unfinished sweep behind.
    executor = start_workers(make_executor, args)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    try:
        with executor:
            if folder is None:
                folder = SweepFolder.create(args.out, plan, design, command=getattr(args, "argv", None))
                say(f"sweep {folder.id}: {folder.total} runs ({len(design)} points x {plan.spec.replicates} "
                    f"replicates, {plan.spec.design.kind} design)")
            say(f"running on {executor.describe()}; results: {folder.path}")
            report = execute(folder, executor, runs_per_task=args.runs_per_task, flush_runs=args.flush_runs,
                             progress=not args.quiet, context={"command": getattr(args, "argv", None)})
    except KeyboardInterrupt:
        if folder is None:
            raise
        done = int(folder.done().sum())
        print(f"interrupted: {done} of {folder.total} runs stored; resume with: "
              f"{program()} sweep --resume {folder.path}", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except WorkerError as exc:
        done = int(folder.done().sum())
        raise UserError(f"{exc}; {done} of {folder.total} runs stored; resume with: "
                        f"{program()} sweep --resume {folder.path}", ExitCode.RUNS_FAILED) from exc
    except SweepFolderError as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    except OSError as exc:

        failure = write_failure(exc)
        if failure is None or folder is None:
            raise
        try:
            done = f"{int(folder.done().sum())} of {folder.total} runs stored"
        except (OSError, SweepFolderError):
            done = "the runs stored so far are kept"
        raise UserError(f"{failure}; {done}; once it can be written, resume with: "
                        f"{program()} sweep --resume {folder.path}", ExitCode.CANNOT_WRITE) from exc
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

    manifest = report.manifest
    if report.already_finished:
        say(f"{folder.id}: already finished (by another process); nothing to do")
        print(folder.path)
        return ExitCode.RUNS_FAILED if manifest.get("failed") else ExitCode.OK
    if not args.quiet:
        outcomes = ", ".join(f"{name} {count}" for name, count in manifest["outcomes"].items()) or "none"
        print(f"Sweep {folder.id}: {report.total} runs ({report.ran} this time, {report.rate:.1f} runs/s); "
              f"outcomes: {outcomes}; failed: {report.failed}")
    if report.failed:
        for run, error in stored_failures(folder):
            print(f"failed run {run}: {error}", file=sys.stderr)
        print(f"{report.failed} of {report.total} runs failed (see failures.csv)", file=sys.stderr)
    print(folder.path if args.quiet else f"Results: {folder.path}")
    return ExitCode.RUNS_FAILED if report.failed else ExitCode.OK


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()



SWEEP = SimpleNamespace(add_parser=add_sweep)


# ------------------------------------------------------------------------------------------------------- analyze --
def add_analyze(sub) -> None:
    p = sub.add_parser(
        "analyze", help="analyse a sweep's stored results: outcome chances, heatmap, Sobol or Morris",
        description="Analyse a sweep folder without rerunning anything: the chance of each outcome (95 percent Wilson "
                    "intervals) for each value of each varied parameter, a heatmap when two parameters vary, and "
                    "Sobol indices or Morris effects for those designs. Writes CSV tables and PNG figures to a new "
                    "analysis/ folder inside the sweep folder.")
    p.add_argument("folder", help="a sweep folder, e.g. results/<sweep-id>")
    p.add_argument("--bins", type=positive_int, default=5, metavar="N",
                   help="bins for a numeric parameter with more than 12 distinct values (default 5)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--vector", choices=("svg", "pdf"), default=None,
                   help="also write each figure as SVG or PDF (beside its 200 dpi PNG)")
    p.add_argument("--quiet", action="store_true", help="print only the analysis folder")
    p.set_defaults(handler=cmd_analyze)


def cmd_analyze(args) -> int:
    from ..sweep.analyze import AnalysisError, analyze, format_report
    from ..sweep.storage import SweepFolder, SweepFolderError

    try:
        folder = SweepFolder(args.folder)
        report = analyze(folder, bins=args.bins, figures=not args.no_figures, vector=args.vector)
    except (SweepFolderError, AnalysisError) as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    if args.quiet:
        print(report.path)
    else:
        print(format_report(report))
        print(f"Analysis: {report.path}")
    return ExitCode.OK


ANALYZE = SimpleNamespace(add_parser=add_analyze)
