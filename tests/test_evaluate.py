"""evaluate: per-state forecasts scored out of sample (sim/evaluate.py, `run.py evaluate`): baselines learn from the
training facts only, every forecaster is scored on the test facts, and the results folder says how."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import sim.evaluate as evaluate_module
from sim.cli import ExitCode, main
from sim.evaluate import read_facts, read_votes, took_part
from sim.loader import load_scenario
from sim.observed import Stage

from .conftest import ROOT

# ------------------------------------------------------------------------------------------- synthetic inputs --
COUNTRIES = {"FR": "France", "DE": "Germany", "US": "United States", "RU": "Russia", "CN": "China",
             "IN": "India", "BR": "Brazil", "JP": "Japan"}
# Western states near each other, the sovereigntists far away: a like-minded core that agrees at once.
IDEALS = {"FR": (0.80, 0.20), "DE": (0.78, 0.22), "US": (0.85, 0.15), "JP": (0.75, 0.25), "BR": (0.6, 0.4),
          "IN": (0.45, 0.55), "RU": (0.1, 0.9), "CN": (0.1, 0.9)}
ISO3 = {"FR": "FRA", "DE": "DEU", "US": "USA", "RU": "RUS", "CN": "CHN", "IN": "IND", "BR": "BRA", "JP": "JPN"}
TRAIN = {"FR": "party", "DE": "party", "US": "party", "BR": "party", "IN": "not_signed", "RU": "not_signed",
         "CN": "not_signed"}
TEST = {"JP": "signed", "US": "not_signed", "BR": "signed", "IN": "not_signed"}
OPENING = "opening: {date: \"2025-10-25\", place: Hanoi, signatories: {count: 3, source: s}}\n"


def observed_yaml(process: str, stage: str, decisions: dict[str, str], extra: str = "") -> str:
    lines = [f"process: {process}", f"title: {process} talks", "sources:", "  s: a source",
             "outcome: {result: adopted, body: a conference, source: s}", "decisions:"]
    lines += [f"  - {{state: {state}, stage: {stage}, decision: {kind}, source: s}}"
              for state, kind in decisions.items()]
    return "\n".join(lines) + "\n" + extra


def scenario_yaml(ids: dict[str, str], states: list[str]) -> str:
    rows = []
    for code in states:
        at, ds = IDEALS[code]
        rows.append(f"  - {{id: {ids.get(code, code)}, name: {COUNTRIES[code]}, ideal: {{attribution_transparency: "
                    f"{at}, data_sovereignty: {ds}, enforcement: 0.6}}, capability: 2, flexibility: 0.6}}")
    return textwrap.dedent("""\
        metadata:
          title: Synthetic talks
        rules:
          decision: plurilateral
          threshold: 0.3
          min_states: 3
        protocol:
          max_rounds: 12
        states:
        """) + "\n".join(rows) + "\n"


def votes_csv(path: Path, rows=None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["resolution", "rcid", "country", "iso2", "vote"])
        for code, country in COUNTRIES.items():
            west = IDEALS[code][0] > 0.5
            writer.writerow(["R1", 1, country, code, "yes" if west else "no"])
            writer.writerow(["R2", 2, country, code, "no" if west else "yes"])
        for row in rows or []:
            writer.writerow(row)
    return path


@pytest.fixture
def inputs(tmp_path):
    """Synthetic training and test processes: facts, scenarios (the training one with three-letter ids, matched by
    name) and votes."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    paths = SimpleNamespace(folder=folder, out=tmp_path / "out")
    paths.train = folder / "train.yaml"
    paths.train.write_text(observed_yaml("train_talks", "status", TRAIN), encoding="utf-8")
    paths.test = folder / "test.yaml"
    paths.test.write_text(observed_yaml("test_talks", "opening", TEST, OPENING), encoding="utf-8")
    paths.train_scenario = folder / "train_scenario.yaml"
    paths.train_scenario.write_text(scenario_yaml(ISO3, ["FR", "DE", "US", "BR", "IN", "RU", "CN"]),
                                    encoding="utf-8")
    paths.scenario = folder / "scenario.yaml"
    paths.scenario.write_text(scenario_yaml({}, ["FR", "DE", "US", "JP", "BR", "IN", "RU"]), encoding="utf-8")
    paths.votes = votes_csv(folder / "votes.csv")
    return paths


def argv(paths, *more) -> list[str]:
    return ["evaluate", "--train", str(paths.train), "--train-scenario", str(paths.train_scenario),
            "--test", str(paths.test), "--scenario", str(paths.scenario), "--votes", str(paths.votes),
            "--replicates", "3", "--out", str(paths.out), *more]


def only_folder(out: Path) -> Path:
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------------------------------------ the command --
def test_evaluate_prints_the_table_and_writes_a_complete_results_folder(inputs, capsys):
    """`evaluate` prints one Markdown row per forecaster (the model and the five baselines) scored on every test
    fact, and writes scores (CSV and Markdown), per-state forecasts, the facts, the runs and a manifest that gives
    every input's SHA-256, the seeds and the versions, and lists every other file with its digest."""
    assert main(argv(inputs, "--seed", "4")) == ExitCode.OK
    out = capsys.readouterr().out
    assert sum(line.startswith("| ") for line in out.splitlines()) == 7  # the header and six forecasters
    assert "| the model (" in out and "| compromise model | 7 | 4 |" in out
    folder = only_folder(inputs.out)
    assert out.strip().endswith(f"Results: {folder}")
    assert {p.name for p in folder.iterdir()} == {"manifest.json", "scores.csv", "scores.md", "forecasts.csv",
                                                  "facts.csv", "runs.csv", "scenario.yaml", "train_scenario.yaml"}
    assert (folder / "scores.md").read_text(encoding="utf-8").strip() in out
    scores = read_rows(folder / "scores.csv")
    assert [r["key"] for r in scores] == ["model", "base_rate", "majority", "no_change", "logistic_votes",
                                          "compromise"]
    assert all(r["n"] == "4" for r in scores)
    forecasts = read_rows(folder / "forecasts.csv")
    assert [r["state"] for r in forecasts] == sorted(TEST)
    assert [int(r["outcome"]) for r in forecasts] == [int(TEST[s] == "signed") for s in sorted(TEST)]
    assert all(0 <= float(r[key]) <= 1 for r in forecasts for key in ("model", "compromise"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for role in ("train", "train_scenario", "test", "scenario", "votes"):
        source = manifest["inputs"][role]["source"]
        assert manifest["inputs"][role]["sha256"] == hashlib.sha256(Path(source).read_bytes()).hexdigest()
    assert manifest["inputs"]["test"]["stage"] == "opening" and manifest["inputs"]["train"]["stage"] == "status"
    assert manifest["master_seed"] == 4 and len(manifest["seeds"]) == 3 == manifest["finished_runs"]
    assert "numpy" in manifest["environment"]["packages"]
    assert set(manifest["files"]) == {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert "--test-stage opening" in manifest["reproduce"] and "--seed 4" in manifest["reproduce"]
    joined = [int(r["joined"]) for r in read_rows(folder / "runs.csv")]
    count = manifest["count"]
    assert count["fact"] == "signatories at the opening" and count["observed"] == 3 and count["runs"] == 3
    assert count["model_mean"] == pytest.approx(np.mean(joined)) and count["scenario_states"] == 7
    assert min(joined) <= count["model_5th"] <= count["model_95th"] <= max(joined)
    assert (f"Signatories at the opening: 3 observed; the model's runs: mean {np.mean(joined):.1f} of 7 states, "
            f"5-95% {count['model_5th']}-{count['model_95th']} (3 runs)") in out


def test_the_count_check_reads_the_stages_aggregate_fact():
    """The aggregate fact beside the runs is the signatories at the opening (opening), the latest number of
    parties, a range kept as a range (status), and none at adoption; the runs' 5th and 95th percentiles are
    counts that runs gave."""
    from sim.observed import observed_from_dict

    observed = observed_from_dict({
        "process": "p", "title": "t", "sources": {"s": "x"},
        "outcome": {"result": "adopted", "body": "b", "source": "s"},
        "opening": {"date": "2020", "place": "X", "signatories": {"count": 5, "source": "s"}},
        "parties": [{"date": "2021", "count": 7, "source": "s"},
                    {"date": "2022", "count": {"at_least": 9, "at_most": 11}, "source": "s"}]})
    assert evaluate_module.observed_count(observed, Stage.opening) == ("signatories at the opening", 5)
    assert evaluate_module.observed_count(observed, Stage.status) == ("parties (2022)", [9, 11])
    assert evaluate_module.observed_count(observed, Stage.adoption) is None
    facts = SimpleNamespace(observed=observed, stage=Stage.status)
    runs = pd.DataFrame({"joined": list(range(1, 21))})
    count = evaluate_module.count_check(facts, runs, 30)
    assert (count["model_mean"], count["model_5th"], count["model_95th"]) == (10.5, 1, 20)
    assert evaluate_module.count_line(count) == ("Parties (2022): 9-11 observed; the model's runs: mean 10.5 of 30 "
                                                 "states, 5-95% 1-20 (20 runs)")


def test_the_model_forecast_is_the_share_of_runs_in_which_the_state_signed(inputs, monkeypatch):
    """The model's forecast of a state is the share of replicate runs in which it took the decision: with runs
    that alternate between the state signing and not, the share over 4 runs is 0.5."""
    calls = []

    def took(model, stage):
        calls.append(stage)
        signed = np.zeros(model.n, bool)
        signed[model.index["JP"]] = len(calls) % 2 == 0
        return signed

    monkeypatch.setattr(evaluate_module, "took_part", took)
    assert main(argv(inputs, "--replicates", "4", "--quiet")) == ExitCode.OK
    forecasts = {r["state"]: float(r["model"]) for r in read_rows(only_folder(inputs.out) / "forecasts.csv")}
    assert forecasts == {"BR": 0.0, "IN": 0.0, "JP": 0.5, "US": 0.0}
    assert calls == [Stage.opening] * 4


def forecasts_without_outcomes(out: Path) -> list[dict]:
    rows = read_rows(only_folder(out) / "forecasts.csv")
    return [{k: v for k, v in row.items() if k != "outcome"} for row in rows]


def test_test_outcomes_never_move_a_forecast_and_training_outcomes_do(inputs):
    """Held out means held out: flipping every test outcome changes the scores but leaves every forecast of every
    forecaster unchanged, while flipping training outcomes changes the forecasts of the baselines that learn."""
    assert main(argv(inputs, "--quiet")) == ExitCode.OK
    before = forecasts_without_outcomes(inputs.out)
    scores_before = read_rows(only_folder(inputs.out) / "scores.csv")

    flipped_test = {s: "not_signed" if kind == "signed" else "signed" for s, kind in TEST.items()}
    inputs.test.write_text(observed_yaml("test_talks", "opening", flipped_test), encoding="utf-8")
    again = inputs.folder.parent / "again"
    assert main(argv(inputs, "--quiet", "--out", str(again))) == ExitCode.OK
    assert forecasts_without_outcomes(again) == before
    assert read_rows(only_folder(again) / "scores.csv") != scores_before

    flipped_train = {s: "not_signed" if kind == "party" else "party" for s, kind in TRAIN.items()}
    inputs.train.write_text(observed_yaml("train_talks", "status", flipped_train), encoding="utf-8")
    third = inputs.folder.parent / "third"
    assert main(argv(inputs, "--quiet", "--out", str(third))) == ExitCode.OK
    changed = forecasts_without_outcomes(third)
    for key in ("base_rate", "majority", "logistic_votes", "compromise"):
        assert [r[key] for r in changed] != [r[key] for r in before], key
    assert [r["model"] for r in changed] == [r["model"] for r in before]


def test_baselines_are_handed_no_test_outcomes(inputs, monkeypatch):
    """Every baseline is called with a split whose test side has the test states' ids and inputs but no outcomes
    at all, and the test outcomes are read only after every forecast is made."""
    seen = []
    order = []
    for key, (label, baseline) in list(evaluate_module.BASELINES.items()):
        def spy(split, baseline=baseline, key=key):
            seen.append((key, hasattr(split.test, "outcomes"), split.test.ids))
            order.append("forecast")
            return baseline(split)
        monkeypatch.setitem(evaluate_module.BASELINES, key, (label, spy))
    real_score = evaluate_module.scoring.score

    def score(outcomes, forecasts, *args):
        order.append("score")
        return real_score(outcomes, forecasts, *args)

    monkeypatch.setattr(evaluate_module.scoring, "score", score)
    assert main(argv(inputs, "--quiet")) == ExitCode.OK
    assert [key for key, _, _ in seen] == list(evaluate_module.BASELINES)
    assert all(not has_outcomes and ids == tuple(sorted(TEST)) for _, has_outcomes, ids in seen)
    assert order == ["forecast"] * 5 + ["score"] * 6


def test_the_compromise_model_uses_each_processs_own_scenario(inputs):
    """The compromise model's training distances come from the training scenario (three-letter ids, matched by
    name through the votes file) and its test distances from the test scenario: facts.csv gives each fact's
    distance, the same as sim.scoring.compromise_distances gives for the state in its own scenario."""
    assert main(argv(inputs, "--quiet")) == ExitCode.OK
    facts = read_rows(only_folder(inputs.out) / "facts.csv")
    assert {(r["role"], r["state"]) for r in facts} == {("train", s) for s in TRAIN} | {("test", s) for s in TEST}
    assert all(r["placed"] == "True" for r in facts)
    for role, path in (("train", inputs.train_scenario), ("test", inputs.scenario)):
        scenario = load_scenario(path)
        _, distance = evaluate_module._distances(scenario)
        codes = evaluate_module.placement(scenario, COUNTRIES)
        for row in facts:
            if row["role"] == role:
                assert float(row["distance"]) == pytest.approx(distance[codes[row["state"]]])
    # RU and CN, far from the training compromise, stayed out: the fitted chance falls with the distance
    compromise = {r["state"]: float(r["compromise"]) for r in read_rows(only_folder(inputs.out) / "forecasts.csv")}
    assert compromise["IN"] < compromise["JP"]


def test_training_facts_the_training_scenario_does_not_place_are_left_to_the_other_baselines(inputs, capsys):
    """A training state missing from the training scenario still counts for the base rate and the vote
    regression, but the compromise model, which has no distance for it, is fitted on the others: the table says
    how many training facts each forecaster learned from."""
    inputs.train_scenario.write_text(scenario_yaml(ISO3, ["FR", "DE", "US", "IN", "RU"]), encoding="utf-8")
    assert main(argv(inputs)) == ExitCode.OK
    out = capsys.readouterr().out
    assert "| base rate | 7 | 4 |" in out and "| compromise model | 5 | 4 |" in out and "| no change | 0 | 4 |" in out
    facts = read_rows(only_folder(inputs.out) / "facts.csv")
    assert {r["state"] for r in facts if r["role"] == "train" and r["placed"] == "False"} == {"BR", "CN"}


def test_a_second_evaluation_never_overwrites_the_first(inputs):
    """Two evaluations into one folder make two results folders."""
    assert main(argv(inputs, "--quiet")) == ExitCode.OK
    assert main(argv(inputs, "--quiet")) == ExitCode.OK
    assert len([p for p in inputs.out.iterdir() if p.is_dir()]) == 2


def test_runs_that_raise_are_recorded_and_exit_4(inputs, monkeypatch, capsys):
    """A run that raises is left out of the shares and recorded in failures.csv (exit 4); when every run raises
    there is nothing to score: exit 4 and no results folder."""
    real = evaluate_module.run_once
    count = {"runs": 0}

    def flaky(scenario, seed):
        count["runs"] += 1
        if count["runs"] == 2:
            raise RuntimeError("a bug in run 2")
        return real(scenario, seed)

    monkeypatch.setattr(evaluate_module, "run_once", flaky)
    assert main(argv(inputs)) == ExitCode.RUNS_FAILED
    assert "1 of 3 runs raised" in capsys.readouterr().out
    folder = only_folder(inputs.out)
    failures = read_rows(folder / "failures.csv")
    assert len(failures) == 1 and failures[0]["replicate"] == "1" and "a bug in run 2" in failures[0]["error"]
    assert len(read_rows(folder / "runs.csv")) == 2

    def broken(scenario, seed):
        raise RuntimeError("always")

    monkeypatch.setattr(evaluate_module, "run_once", broken)
    empty = inputs.folder.parent / "empty"
    assert main(argv(inputs, "--out", str(empty))) == ExitCode.RUNS_FAILED
    assert "all 3 runs raised" in capsys.readouterr().err
    assert not any(p for p in empty.iterdir() if not p.name.startswith(".write-test"))


def test_the_manifests_reproduce_line_gives_the_same_forecasts(inputs):
    """The reproduce line in the manifest, run again, gives the same per-state forecasts and scores (the same
    seeds, stages and inputs)."""
    import shlex

    assert main(argv(inputs, "--seed", "9", "--quiet")) == ExitCode.OK
    first = only_folder(inputs.out)
    line = json.loads((first / "manifest.json").read_text(encoding="utf-8"))["reproduce"]
    words = shlex.split(line)
    again = inputs.folder.parent / "again"
    assert main(words[words.index("evaluate"):] + ["--out", str(again), "--quiet"]) == ExitCode.OK
    second = only_folder(again)
    for name in ("forecasts.csv", "scores.csv", "runs.csv"):
        assert (second / name).read_bytes() == (first / name).read_bytes(), name


def test_an_interrupted_evaluation_leaves_no_folder(inputs, monkeypatch, capsys):
    """Ctrl-C during the runs exits 130 and leaves nothing that looks like a result."""
    def interrupted(scenario, seed):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate_module, "run_once", interrupted)
    assert main(argv(inputs)) == ExitCode.INTERRUPTED
    assert "interrupted" in capsys.readouterr().err
    assert not any(p for p in inputs.out.iterdir() if not p.name.startswith(".write-test"))


# ------------------------------------------------------------------------------------------------- bad input --
def test_a_test_state_missing_from_the_scenario_names_the_fact(inputs, capsys):
    """A test fact about a state the scenario does not have is one line naming the facts file, the line and the
    field of the decision (exit 3), before any run."""
    inputs.scenario.write_text(scenario_yaml({}, ["FR", "DE", "US", "BR", "IN", "RU"]), encoding="utf-8")
    assert main(argv(inputs)) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err.strip()
    line = 1 + next(i for i, text in enumerate(inputs.test.read_text().splitlines()) if "state: JP" in text)
    assert err == (f"error: {inputs.test}:{line}: decisions[0].state: JP is not a state of {inputs.scenario} "
                   f"(matched by id, or by name through the votes file)")
    assert not inputs.out.exists() or not any(inputs.out.iterdir())


def test_a_file_with_decisions_at_two_stages_needs_the_stage_chosen(inputs, capsys):
    """Decisions at two stages and no --test-stage is a usage error (exit 2) naming the option; with the option
    the chosen stage is scored; a stage without decisions is invalid input (exit 3)."""
    text = observed_yaml("test_talks", "opening", TEST)
    text += "".join(f"  - {{state: {s}, stage: adoption, decision: joined_consensus, source: s}}\n" for s in TEST)
    inputs.test.write_text(text, encoding="utf-8")
    assert main(argv(inputs)) == ExitCode.USAGE
    assert "has decisions at the stages adoption, opening: choose one with --test-stage" in capsys.readouterr().err
    assert main(argv(inputs, "--test-stage", "adoption", "--quiet")) == ExitCode.OK
    manifest = json.loads((only_folder(inputs.out) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["test"]["stage"] == "adoption"
    assert main(argv(inputs, "--test-stage", "status")) == ExitCode.INVALID_INPUT
    assert "no named state's decision at the stage status" in capsys.readouterr().err


@pytest.mark.parametrize("rows, message", [
    ([["R3", 3, "France", "FR", "maybe"]], ":18: vote: 'maybe' is not yes, no or abstain"),
    ([["R1", 1, "France", "FR", "yes"]], ":18: vote: FR already has a vote on R1"),
    ([["R3", 3, "France", "FRA", "yes"]], ":18: iso2: 'FRA' is not an ISO 3166 two-letter code"),
])
def test_a_bad_votes_file_names_its_line_and_column(inputs, capsys, rows, message):
    """A bad row of the votes file is one line naming the file, the line and the column (exit 3)."""
    votes_csv(inputs.votes, rows)
    assert main(argv(inputs)) == ExitCode.INVALID_INPUT
    assert capsys.readouterr().err.strip() == f"error: {inputs.votes}{message}"


def test_bad_facts_and_scenarios_exit_3_and_the_same_facts_twice_exit_2(inputs, capsys):
    """A bad facts file or scenario gives its one-line error (exit 3); training and testing on the same facts is
    refused as not out of sample (exit 2); a missing facts file is invalid input."""
    inputs.test.write_text(observed_yaml("test_talks", "opening", {"JP": "party"}), encoding="utf-8")
    assert main(argv(inputs)) == ExitCode.INVALID_INPUT
    assert "decisions[0]: party is not a decision at stage opening" in capsys.readouterr().err
    inputs.test.write_text(observed_yaml("test_talks", "opening", TEST), encoding="utf-8")
    assert main(argv(inputs, "--train", str(inputs.test))) == ExitCode.USAGE
    assert "would not be out of sample" in capsys.readouterr().err
    assert main(argv(inputs, "--set", "rules.threshold=7")) == ExitCode.INVALID_INPUT
    assert "rules.threshold" in capsys.readouterr().err
    assert main(argv(inputs, "--train", str(inputs.folder / "missing.yaml"))) == ExitCode.INVALID_INPUT
    assert "missing.yaml" in capsys.readouterr().err
    assert not inputs.out.exists() or not any(p.is_dir() for p in inputs.out.iterdir())


# ----------------------------------------------------------------------------------------- the parts, alone --
def fake_run(adopted_round, signed, declaration, engaged, ratified, opening_round="adoption"):
    log = SimpleNamespace(signed=signed, declaration=declaration, engaged=engaged)
    opening = adopted_round if opening_round == "adoption" else opening_round
    return SimpleNamespace(n=len(ratified), adopted_round=adopted_round, opening_round=opening, log=log,
                           ratified=np.array(ratified))


def test_took_part_reads_the_decision_of_each_stage():
    """opening: signed in the round the text opened for signature (the round of adoption, or later when the
    opening is delayed; nobody when the run ended first); adoption: at the table and not objecting (support or
    silence) in the round of adoption; status: a party (ratified) at the end; nobody in a run that adopted
    nothing."""
    run = fake_run(1, signed=[[0, 0, 0], [1, 0, 1]], declaration=[[0, 0, 0], [1, 0, -1]],
                   engaged=[[1, 1, 1], [1, 1, 0]], ratified=[0, 0, 1])
    assert took_part(run, Stage.opening).tolist() == [True, False, True]
    delayed = fake_run(1, signed=[[0, 0, 0], [0, 0, 0], [0, 1, 1]], declaration=[[0, 0, 0]] * 3,
                       engaged=[[1, 1, 1]] * 3, ratified=[0, 0, 0], opening_round=2)
    assert took_part(delayed, Stage.opening).tolist() == [False, True, True]
    ended_first = fake_run(1, signed=[[0, 0, 0], [0, 0, 0]], declaration=[[0, 0, 0]] * 2,
                           engaged=[[1, 1, 1]] * 2, ratified=[0, 0, 0], opening_round=5)
    assert not took_part(ended_first, Stage.opening).any()
    assert took_part(run, Stage.adoption).tolist() == [True, True, False]
    assert took_part(run, Stage.status).tolist() == [False, False, True]
    nothing = fake_run(None, signed=[[1, 1, 1]], declaration=[[1, 1, 1]], engaged=[[1, 1, 1]], ratified=[1, 1, 1])
    assert not any(took_part(nothing, stage).any() for stage in Stage)


def test_placement_matches_by_id_or_by_name(inputs):
    """A two-letter id is the state's code; another id is matched by the state's name among the votes file's
    countries; a state matched by neither is left out; two states that are one country are an error."""
    names = read_votes(inputs.votes).names
    scenario = load_scenario(inputs.train_scenario)  # three-letter ids
    placed = evaluate_module.placement(scenario, names)
    assert {code: scenario.states[i].id for code, i in placed.items()} == {c: ISO3[c] for c in TRAIN}
    assert evaluate_module.placement(scenario, {}) == {}
    direct = load_scenario(inputs.scenario)  # two-letter ids, matched without names
    assert {code: direct.states[i].id for code, i in evaluate_module.placement(direct, {}).items()} == {
        s.id: s.id for s in direct.states}
    twice = scenario.model_copy(update={"states": [scenario.states[0], scenario.states[0].model_copy(
        update={"id": "FRX"})]})
    with pytest.raises(evaluate_module.EvaluationError, match="states FRA and FRX are both FR"):
        evaluate_module.placement(twice, names)


# -------------------------------------------------------------------------------------------- the shipped data --
def test_the_default_evaluation_trains_on_budapest_and_tests_on_the_ten_named_un_states(tmp_path, monkeypatch,
                                                                                         capsys):
    """Without options, the baselines learn from the 55 Budapest states of data/observed (50 parties) and every
    forecaster is scored on the 10 UN states that reporting names (2 signed at Hanoi); the constant baselines'
    scores are the hand-checkable ones: 'no change' (nobody signs) has Brier 0.2, the base rate
    (8 (50/55)^2 + 2 (5/55)^2) / 10; the vote features are the six cyber resolutions, a vote and an absence
    column each."""
    monkeypatch.chdir(ROOT)
    assert main(["evaluate", "--replicates", "2", "--out", str(tmp_path), "--json"]) == ExitCode.OK
    result = json.loads(capsys.readouterr().out)
    rows = {r["key"]: r for r in result["scores"]}
    assert list(rows) == ["model", "base_rate", "majority", "no_change", "logistic_votes", "compromise"]
    assert all(r["n"] == 10 for r in rows.values())
    assert rows["base_rate"]["training_facts"] == 55 and rows["no_change"]["training_facts"] == 0
    assert 0 < rows["compromise"]["training_facts"] <= 55
    assert rows["no_change"]["brier"] == 0.2 and rows["no_change"]["roc_auc"] == 0.5
    assert math.isclose(rows["base_rate"]["brier"], (8 * (50 / 55) ** 2 + 2 * (5 / 55) ** 2) / 10)
    folder = Path(result["results"])
    forecasts = read_rows(folder / "forecasts.csv")
    assert sum(int(r["outcome"]) for r in forecasts) == 2 and {r["state"] for r in forecasts} >= {"AU", "GB", "US"}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["votes"]["resolutions"] and len(manifest["inputs"]["votes"]["resolutions"]) == 6
    train = read_facts(ROOT / "data" / "observed" / "budapest.yaml")
    assert train.stage is Stage.status and len(train.joined) == 55 and sum(train.joined.values()) == 50
    from sim.commands.evaluate import DEFAULT_VOTES

    votes = read_votes(ROOT / DEFAULT_VOTES)
    assert len(votes.votes) == 193 and "NA" in votes.votes  # Namibia's code is kept as text


def test_the_validation_doc_shows_the_table_as_the_command_writes_it():
    """docs/validation.md's out-of-sample table is the command's: the same header and one row per forecaster, in
    the command's order, with the model's label as the default evaluation gives it (the scores themselves are
    the shipped scenario's and are not pinned here)."""
    from sim.commands.evaluate import DEFAULT_SCENARIO
    from sim.evaluate import BASELINES, markdown

    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    section = text.split("## Forecasts scored out of sample", 1)[1].split("\n## ", 1)[0]
    header = "\n".join(markdown([]).splitlines()[:2])
    assert header in section
    rows = [line.split(" | ")[0].lstrip("| ") for line in section.split(header, 1)[1].strip().splitlines()
            if line.startswith("| ")]
    assert rows == [f"the model ({DEFAULT_SCENARIO})"] + [label for label, _ in BASELINES.values()]
