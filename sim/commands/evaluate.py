"""evaluate: score the model's per-state forecasts out of sample against baselines fitted on training facts."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from . import ExitCode, UserError
from .options import load, output_folder, positive_int, seed

STAGES = ("adoption", "opening", "status")
# The inputs of today's out-of-sample check (docs/validation.md), relative to the checkout.
DEFAULT_TRAIN = "data/observed/budapest.yaml"
DEFAULT_TRAIN_SCENARIO = "scenarios/budapest.yaml"
DEFAULT_TEST = "data/observed/un_cybercrime.yaml"
DEFAULT_SCENARIO = "scenarios/un_cybercrime.yaml"
DEFAULT_VOTES = "data/unga/unga_cyber_votes_from_unvotes.csv"


def add_evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="score per-state forecasts out of sample against baselines fitted on training facts",
        description="Score the model's per-state forecasts of one process's facts (--test) with proper scoring "
                    "rules (Brier, log score, balanced accuracy, ROC AUC), beside baselines fitted only on another "
                    "process's facts (--train): base rate, majority, no change, a logistic regression on the UN "
                    "cyber votes and the compromise model. The model's forecast is the share of replicate runs of "
                    "--scenario in which each state took the decision. Prints the table and writes a new results "
                    "folder.")
    p.add_argument("--train", default=DEFAULT_TRAIN, metavar="FACTS.yaml",
                   help=f"observed-outcome file whose named states' decisions the baselines learn from (default "
                        f"{DEFAULT_TRAIN})")
    p.add_argument("--train-stage", choices=STAGES, default=None,
                   help="stage of the training decisions (default: the only stage the file has decisions at)")
    p.add_argument("--train-scenario", default=DEFAULT_TRAIN_SCENARIO, metavar="SCENARIO.yaml",
                   help=f"scenario of the training process, which places its states for the compromise model "
                        f"(default {DEFAULT_TRAIN_SCENARIO})")
    p.add_argument("--test", default=DEFAULT_TEST, metavar="FACTS.yaml",
                   help=f"observed-outcome file whose named states' decisions every forecaster is scored on "
                        f"(default {DEFAULT_TEST})")
    p.add_argument("--test-stage", choices=STAGES, default=None,
                   help="stage of the test decisions (default: the only stage the file has decisions at)")
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="SCENARIO.yaml",
                   help=f"scenario of the test process: the model that is scored, a calibrated one too (default "
                        f"{DEFAULT_SCENARIO})")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field of --scenario by dotted path (repeatable)")
    p.add_argument("--votes", default=DEFAULT_VOTES, metavar="VOTES.csv",
                   help=f"roll-call votes, one row per state and resolution (columns resolution, iso2, vote, "
                        f"country): the logistic baseline's features (default {DEFAULT_VOTES})")
    p.add_argument("--replicates", type=positive_int, default=30, metavar="R",
                   help="runs of --scenario whose shares are the model's forecasts (default 30)")
    p.add_argument("--seed", type=seed, default=0, metavar="S",
                   help="master seed from which the replicate seeds are spawned (default 0)")
    p.add_argument("--out", default="results", metavar="DIR",
                   help="folder in which the evaluation's new results folder is made (default: results)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON instead of the table")
    p.add_argument("--quiet", action="store_true", help="print only the results folder")
    p.set_defaults(handler=cmd_evaluate)


def _inputs(args):
    """Read every input before any run, so that a bad file stops the command at once (exit 3, or 2 for a stage
    that must be chosen)."""
    from ..datafiles import InputError
    from ..evaluate import EvaluationError, StageNeeded, read_facts, read_votes
    from ..loader import ScenarioError

    try:
        train = read_facts(args.train, args.train_stage, "--train-stage")
        test = read_facts(args.test, args.test_stage, "--test-stage")
        votes = read_votes(args.votes)
    except StageNeeded as exc:
        raise UserError(str(exc), ExitCode.USAGE) from exc
    except (ScenarioError, InputError, EvaluationError) as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    if Path(args.train).resolve() == Path(args.test).resolve() and train.stage is test.stage:
        raise UserError(f"--train and --test are the same facts ({args.test}, stage {test.stage.value}): the "
                        f"evaluation would not be out of sample", ExitCode.USAGE)
    train_scenario = load(args.train_scenario)
    scenario = load(args.scenario, args.overrides)
    # digests taken now, as the files were read, not after the runs
    digests = {path: _sha256(path) for path in (args.train, args.train_scenario, args.test, args.scenario,
                                                args.votes)}
    return train, test, votes, train_scenario, scenario, digests


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cmd_evaluate(args) -> int:
    from ..compare import replicate_seeds
    from ..evaluate import EvaluationError, RunsFailed, count_line, evaluate, markdown
    from ..loader import ScenarioError, scenario_hash, scenario_to_yaml
    from ..results import environment, file_digests, new_folder, slug, write_json

    started = time.perf_counter()
    train, test, votes, train_scenario, scenario, digests = _inputs(args)
    output_folder(args.out)
    seeds = replicate_seeds(args.seed, args.replicates)
    label = f"the model ({args.scenario}{''.join(f' --set {s}' for s in args.overrides)})"

    bar = None
    if not args.quiet and not args.json and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(seeds), desc="runs", unit="run", file=sys.stderr, leave=False)
    try:
        evaluation = evaluate(train, test, train_scenario, scenario, votes, seeds, model_label=label,
                              train_scenario_source=args.train_scenario, scenario_source=args.scenario,
                              progress=bar.update if bar is not None else None)
    except (ScenarioError, EvaluationError) as exc:
        raise UserError(str(exc), ExitCode.INVALID_INPUT) from exc
    except RunsFailed as exc:
        raise UserError(str(exc), ExitCode.RUNS_FAILED) from exc
    finally:
        if bar is not None:
            bar.close()
    table = markdown(evaluation.scores)

    import pandas as pd

    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    name = f"evaluate-{slug(Path(args.scenario).stem)[:40]}-s{args.seed}-{stamp}"
    inputs = {
        "train": {"source": args.train, "sha256": digests[args.train], "process": train.observed.process,
                  "stage": train.stage.value, "facts": len(train.joined)},
        "train_scenario": {"source": args.train_scenario, "sha256": digests[args.train_scenario],
                           "title": train_scenario.metadata.title, "scenario_sha256": scenario_hash(train_scenario)},
        "test": {"source": args.test, "sha256": digests[args.test], "process": test.observed.process,
                 "stage": test.stage.value, "facts": len(test.joined)},
        "scenario": {"source": args.scenario, "sha256": digests[args.scenario], "overrides": args.overrides,
                     "title": scenario.metadata.title, "scenario_sha256": scenario_hash(scenario)},
        "votes": {"source": args.votes, "sha256": digests[args.votes], "resolutions": list(votes.resolutions)},
    }
    with new_folder(args.out, name) as building:
        folder = building.path
        scores = pd.DataFrame(evaluation.scores)
        scores["training_facts"] = scores["training_facts"].astype("Int64")  # whole numbers; empty for the model
        scores.to_csv(folder / "scores.csv", index=False)
        (folder / "scores.md").write_text(table + "\n", encoding="utf-8")
        evaluation.forecasts.to_csv(folder / "forecasts.csv", index=False)
        evaluation.facts.to_csv(folder / "facts.csv", index=False)
        evaluation.runs.to_csv(folder / "runs.csv", index=False)
        if evaluation.failures:
            pd.DataFrame(evaluation.failures).to_csv(folder / "failures.csv", index=False)
        (folder / "scenario.yaml").write_text(scenario_to_yaml(scenario), encoding="utf-8")
        (folder / "train_scenario.yaml").write_text(scenario_to_yaml(train_scenario), encoding="utf-8")
        manifest = {
            "kind": "evaluate",
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "inputs": inputs,
            "replicates": args.replicates,
            "finished_runs": len(evaluation.runs),
            "master_seed": args.seed,
            "seeds": evaluation.seeds,
            "compromise": evaluation.compromise,
            "count": evaluation.count,
            "command": getattr(args, "argv", None),
            "wall_time_s": round(time.perf_counter() - started, 3),
            "environment": environment(),
            "files": file_digests(folder),
            "reproduce": _reproduce_line(args, train, test),
        }
        write_json(folder / "manifest.json", manifest)
    final = building.final

    if args.json:
        rows = [{key: _plain(value) for key, value in row.items()} for row in evaluation.scores]
        print(json.dumps({"scores": rows, "count": evaluation.count, "failures": evaluation.failures,
                          "results": str(final)}, indent=2))
    elif args.quiet:
        print(final)
    else:
        print(table)
        if evaluation.count is not None:
            print(count_line(evaluation.count))
        if evaluation.failures:
            print(f"{len(evaluation.failures)} of {args.replicates} runs raised; the forecasts are shares of the "
                  f"other {len(evaluation.runs)} (failures.csv)")
        print(f"Results: {final}")
    return ExitCode.RUNS_FAILED if evaluation.failures else ExitCode.OK


def _plain(value):
    """JSON for numpy numbers; nan (an undefined AUC) as null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and value != value else value


def _reproduce_line(args, train, test) -> str:
    import shlex

    from ..results import program

    parts = ["evaluate", "--train", args.train, "--train-stage", train.stage.value, "--train-scenario",
             args.train_scenario, "--test", args.test, "--test-stage", test.stage.value, "--scenario",
             args.scenario]
    for item in args.overrides:
        parts += ["--set", item]
    parts += ["--votes", args.votes, "--replicates", str(args.replicates), "--seed", str(args.seed)]
    return f"{program()} {shlex.join(parts)}"


EVALUATE = SimpleNamespace(add_parser=add_evaluate)
