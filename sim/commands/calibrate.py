"""calibrate: ABC-SMC calibration of a scenario against an observed-outcome file (see docs/calibration.md)."""

from __future__ import annotations

import json
import shlex
import signal
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from . import ExitCode, UserError
from .options import check_executor, output_folder, positive_int, rounds, seed, start_workers
from .sweep import EXECUTORS

PLAN = "calibration.json"
DATABASE = "abc.db"
RESUME_OPTIONS = ("--workers", "--executor", "--scheduler", "--quiet")


def add_calibrate(sub) -> None:
    p = sub.add_parser(
        "calibrate", help="calibrate a scenario against what happened (ABC-SMC with pyabc)",
        description="Likelihood-free calibration: uniform priors on scenario fields (--param PATH=LO:HI), targets "
                    "from an observed-outcome file, ABC-SMC with pyabc. Writes a new results folder with the "
                    "posterior, diagnostics, figures and a calibrated scenario; `calibrate --resume FOLDER` "
                    "finishes an interrupted calibration.",
        epilog="Targets, distance, reproducibility and running on a cluster: docs/calibration.md.")
    p.add_argument("scenario", nargs="?", help="scenario YAML file")
    p.add_argument("observed", nargs="?", help="observed-outcome YAML file (data/observed/)")
    p.add_argument("--param", dest="params", action="append", default=[], metavar="PATH=LO:HI",
                   help="a uniform prior on a scenario field, e.g. treaty.participation_benefit=0.1:0.6 or "
                        "states.US.flexibility=0:1, or flexibility_scale=0.5:1.5 (every state's flexibility times "
                        "the scale, capped at 1); repeatable")
    p.add_argument("--target", dest="targets", action="append", default=[], metavar="NAME",
                   help="a target to fit, e.g. signatories_at_opening (repeatable; default: every target the "
                        "observed file and the scenario define)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="fix a scenario field for every run (repeatable)")
    p.add_argument("--seed", type=seed, default=0, help="master seed (default 0)")
    p.add_argument("--population-size", type=positive_int, default=200, metavar="N",
                   help="accepted particles per population (default 200)")
    p.add_argument("--populations", type=positive_int, default=8, metavar="N",
                   help="at most this many populations (default 8)")
    p.add_argument("--min-epsilon", type=float, default=0.0, metavar="E",
                   help="stop once a population's epsilon is at most E (default 0)")
    p.add_argument("--max-simulations", type=positive_int, default=None, metavar="N",
                   help="stop after the population in which the simulations reach N")
    p.add_argument("--predictive", type=positive_int, default=100, metavar="N",
                   help="posterior predictive runs for the predicted-against-observed figure (default 100)")
    p.add_argument("--rounds", type=rounds, default=None, metavar="N", help="maximum rounds per run")
    p.add_argument("--resume", metavar="FOLDER", help="finish an interrupted calibration")
    p.add_argument("--workers", type=positive_int, metavar="N", help="worker processes (default: all cores)")
    p.add_argument("--executor", choices=EXECUTORS, default="local",
                   help="local process pool (default), serial (this process) or dask (a LocalCluster unless "
                        "--scheduler is given)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--out", default="results", metavar="DIR",
                   help="folder in which the new calibration folder is made (default: results)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--quiet", action="store_true", help="no progress; print only the results folder")
    p.set_defaults(handler=cmd_calibrate)


def _check_usage(args) -> None:
    if args.resume:
        given = [flag for flag, value in (
            ("SCENARIO", args.scenario), ("--param", args.params), ("--target", args.targets),
            ("--set", args.overrides), ("--seed", args.seed != 0), ("--population-size", args.population_size != 200),
            ("--populations", args.populations != 8), ("--min-epsilon", args.min_epsilon != 0.0),
            ("--max-simulations", args.max_simulations), ("--predictive", args.predictive != 100),
            ("--rounds", args.rounds), ("--no-figures", args.no_figures)) if value]
        if given:
            raise UserError(f"--resume takes only {', '.join(RESUME_OPTIONS)}: {', '.join(given)} are fixed by the "
                            f"calibration folder", ExitCode.USAGE)
    elif not args.scenario or not args.observed:
        raise UserError("give a scenario file and an observed-outcome file (or --resume FOLDER)", ExitCode.USAGE)
    if not args.min_epsilon >= 0:
        raise UserError(f"--min-epsilon {args.min_epsilon}: not a number of 0 or more", ExitCode.USAGE)
    check_executor(args)


def _plan(args):
    """Scenario, observed file, priors and targets, each checked: a bad one is one line and exit 3."""
    from ..calibrate import Settings, check_parameters, choose_targets
    from ..loader import ScenarioError, load_raw, validate_raw, with_overrides
    from ..observed import load_observed
    from ..targets import define_targets

    try:
        raw = with_overrides(load_raw(args.scenario), args.overrides)
        scenario = validate_raw(raw)
        observed = load_observed(args.observed)
        parameters = check_parameters(raw, args.params)
        targets = choose_targets(define_targets(observed, [s.id for s in scenario.states]), args.targets,
                                 args.observed)
    except ScenarioError as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    settings = Settings(seed=args.seed, population_size=args.population_size, populations=args.populations,
                        min_epsilon=args.min_epsilon, max_simulations=args.max_simulations, max_rounds=args.rounds,
                        predictive=args.predictive)
    return raw, scenario, observed, parameters, targets, settings


def _create_folder(args, raw, scenario, observed, parameters, targets, settings) -> Path:
    from dataclasses import asdict

    from ..calibrate import utc_now
    from ..loader import scenario_hash, scenario_to_yaml
    from ..results import _timestamp, environment, file_sha256, new_folder, slug, write_json

    name = f"calibrate-{slug(Path(args.scenario).stem)}-{_timestamp()}"
    with new_folder(args.out, name) as building:
        folder = building.path
        (folder / "scenario.yaml").write_text(scenario_to_yaml(scenario), encoding="utf-8")
        (folder / "observed.yaml").write_bytes(Path(args.observed).read_bytes())
        write_json(folder / PLAN, {
            "kind": "calibration",
            "created_utc": utc_now(),
            "scenario": {"source": args.scenario, "sha256": file_sha256(args.scenario),
                         "title": scenario.metadata.title, "scenario_sha256": scenario_hash(scenario),
                         "copy_sha256": file_sha256(folder / "scenario.yaml")},
            "observed": {"source": args.observed, "sha256": file_sha256(args.observed), "process": observed.process},
            "overrides": list(args.overrides),
            "parameters": [p.describe() for p in parameters],
            "targets": [t.describe() for t in targets],
            "settings": asdict(settings),
            "no_figures": bool(args.no_figures),
            "command": getattr(args, "argv", None),
            "environment": environment(),
        })
    return building.final


def _read_folder(path: str):
    """A calibration folder's plan, rebuilt from its own copies of the inputs; a damaged one is exit 3."""
    from ..calibrate import Parameter, Settings
    from ..loader import ScenarioError, load_raw, scenario_hash, validate_raw
    from ..observed import load_observed
    from ..results import file_sha256, scenario_copy_drift
    from ..targets import define_targets

    folder = Path(path)
    plan_path = folder / PLAN
    if not plan_path.is_file():
        raise UserError(f"{folder}: not a calibration folder (no {PLAN})", ExitCode.INVALID_INPUT)
    try:
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        raw = load_raw(folder / "scenario.yaml")
        scenario = validate_raw(raw)
        observed = load_observed(folder / "observed.yaml")
        recorded = {"sha256": plan["scenario"]["scenario_sha256"], "copy_sha256": plan["scenario"].get("copy_sha256")}
        drift = scenario_copy_drift(folder / "scenario.yaml", scenario_hash(scenario), recorded, "calibration began",
                                    "it cannot be resumed", PLAN)
        if drift:
            raise UserError(drift, ExitCode.INVALID_INPUT)
        if file_sha256(folder / "observed.yaml") != plan["observed"]["sha256"]:
            raise UserError(f"{folder / 'observed.yaml'}: changed since the calibration began; it cannot be "
                            f"resumed", ExitCode.INVALID_INPUT)
        parameters = [Parameter(p["path"], float(p["low"]), float(p["high"]), bool(p["integer"]), p["name"])
                      for p in plan["parameters"]]
        by_name = {t.name: t for t in define_targets(observed, [s.id for s in scenario.states])}
        targets = [by_name[t["name"]] for t in plan["targets"]]
        settings = Settings(**plan["settings"])
    except ScenarioError as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{plan_path}: damaged ({type(exc).__name__}: {exc})", ExitCode.INVALID_INPUT) from exc
    return folder, plan, raw, scenario, observed, parameters, targets, settings


class _Lock:
    """flock on FOLDER/.lock while a process works on the folder: two resumes cannot write one database."""

    def __init__(self, folder: Path):
        self.path = folder / ".lock"
        self.handle = None

    def __enter__(self):
        import fcntl

        self.handle = open(self.path, "w")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise UserError(f"{self.path.parent}: another calibrate is working on this folder",
                            ExitCode.INVALID_INPUT) from None
        return self

    def __exit__(self, *exc):
        self.handle.close()
        self.path.unlink(missing_ok=True)
        return False


def _progress(say, calibration, started: float) -> None:
    table = calibration.diagnostics()
    row = table.iloc[-1]
    say(f"population {int(row.population)}: epsilon {row.epsilon:.4g}, {int(row.accepted)} accepted of "
        f"{int(row.simulations)} simulations (acceptance {row.acceptance_rate:.1%}), ESS "
        f"{row.effective_sample_size:.0f}; {int(table.simulations.sum())} simulations in all, "
        f"{time.monotonic() - started:.0f} s")


def cmd_calibrate(args) -> int:
    from ..calibrate import Calibration, SimulationError, Simulator, make_mapper
    from ..results import program
    from ..targets import observed_values

    _check_usage(args)
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    if args.resume:
        folder, plan, raw, scenario, observed, parameters, targets, settings = _read_folder(args.resume)
        if (folder / "manifest.json").exists():
            say(f"{folder}: already finished; nothing to do")
            print(folder)
            return ExitCode.OK
        from ..results import other_code

        changed = other_code(plan.get("environment"))
        if changed:
            print(f"warning: {folder}: treatysim's code differs from the code the calibration began with "
                  f"({changed}); the populations stored and those made now may differ", file=sys.stderr)
        figures = not plan.get("no_figures", False)
    else:
        raw, scenario, observed, parameters, targets, settings = _plan(args)
        output_folder(args.out)
        figures = not args.no_figures
        folder = None
    # The workers come before the folder: an unreachable scheduler leaves no unfinished calibration behind.
    mapper = start_workers(make_mapper, args)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    started = time.monotonic()
    try:
        if folder is None:
            folder = _create_folder(args, raw, scenario, observed, parameters, targets, settings)
        resume = f"{program()} calibrate --resume {shlex.quote(str(folder))}"
        with _Lock(folder):
            simulator = Simulator(raw, parameters, targets, settings.max_rounds)
            calibration = Calibration(folder / DATABASE, simulator, observed_values(targets), settings, mapper)
            say(f"calibrating {', '.join(p.path for p in parameters)} against {', '.join(t.name for t in targets)}"
                f" on {mapper.describe()}; results: {folder}")
            done, reason = calibration.finished()
            while not done:
                calibration.step()
                _progress(say, calibration, started)
                done, reason = calibration.finished()
            say(f"stopped: {reason}; {settings.predictive} posterior predictive runs")
            from ..calibrate_output import write_outputs

            summary = write_outputs(folder, calibration, scenario, observed, figures=figures,
                                    command=getattr(args, "argv", None), reason=reason)
    except KeyboardInterrupt:
        if folder is None:
            raise
        print(f"interrupted: {_stored(folder)} populations stored; resume with: {resume}", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except SimulationError as exc:
        raise UserError(f"{exc}; {_stored(folder)} populations stored; resume with: {resume}",
                        ExitCode.RUNS_FAILED) from exc
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        mapper.close()
    if args.quiet:
        print(folder)
        return ExitCode.OK
    for row in summary["estimates"]:
        print(f"{row['path']}: median {row['median']:.4g}, 90% interval {row['q05']:.4g} to {row['q95']:.4g} "
              f"(prior {row['prior_low']:g} to {row['prior_high']:g})")
    print(f"Results: {folder}")
    return ExitCode.OK


def _stored(folder: Path) -> int:
    import sqlite3

    database = folder / DATABASE
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            return int(connection.execute("select count(*) from populations where t >= 0").fetchone()[0])
    except sqlite3.Error:
        return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the populations stored so far are kept and the calibration can be resumed."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


CALIBRATE = SimpleNamespace(add_parser=add_calibrate)
