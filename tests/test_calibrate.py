"""`calibrate`: ABC-SMC against an observed file recovers known parameters, is reproducible and resumable, gives
the same posterior on Dask, refuses bad input with one line, and writes a complete folder (docs/calibration.md)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from sim import calibrate as calibrate_module
from sim.cli import main
from sim.loader import load_scenario, scenario_from_dict
from sim.runner import run_once

TRUTH = 0.7  # treaty.participation_benefit of the run that plays "what happened"
PRIOR = (0.1, 1.0)


def _scenario() -> dict:
    """Ten states spread along a line through the issue space, majority rule: whether the treaty is adopted and how
    many sign depends on the value of the treaty (participation_benefit). A run takes a few milliseconds."""
    states = []
    for i in range(10):
        x = i / 9
        states.append({"id": f"S{chr(65 + i)}", "ideal": {"attribution_transparency": round(0.05 + 0.9 * x, 3),
                                                "data_sovereignty": round(0.95 - 0.9 * x, 3),
                                                "enforcement": round(0.05 + 0.9 * x, 3)},
                       "capability": 1, "flexibility": 0.0})
    return {"metadata": {"title": "Synthetic spread"}, "states": states,
            "rules": {"decision": "majority_count", "threshold": 0.3}, "protocol": {"max_rounds": 20}}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The synthetic scenario and an observed file written from one run of it at the true parameter value."""
    folder = tmp_path_factory.mktemp("inputs")
    scenario_path = folder / "spread.yaml"
    scenario_path.write_text(yaml.safe_dump(_scenario(), sort_keys=False), encoding="utf-8")
    truth = scenario_from_dict({**_scenario(), "treaty": {"participation_benefit": TRUTH}})
    summary = run_once(truth, seed=12345).summary
    assert summary["adopted"], "the true run must adopt, or the synthetic test says nothing"
    observed = {
        "process": "spread", "title": "Synthetic spread talks", "sources": {"sim": "one run at the truth"},
        "outcome": {"result": "adopted_by_vote", "body": "the talks", "date": summary["adopted_date"],
                    "source": "sim"},
        "opening": {"date": summary["adopted_date"], "place": "nowhere",
                    "signatories": {"count": summary["signatories_at_opening"], "source": "sim"}},
        "decisions": [{"state": s, "stage": "opening", "decision": "signed" if s in summary["core_members"] else
                       "not_signed", "source": "sim"} for s in ("SA", "SJ")],
    }
    observed_path = folder / "spread-observed.yaml"
    observed_path.write_text(yaml.safe_dump(observed, sort_keys=False), encoding="utf-8")
    return scenario_path, observed_path


SMALL = ["--population-size", "24", "--populations", "3", "--predictive", "8", "--no-figures"]


def _calibrate(inputs, out, *extra, executor=("--executor", "serial")) -> tuple[int, object]:
    scenario, observed = inputs
    code = main(["calibrate", str(scenario), str(observed), "--param",
                 f"treaty.participation_benefit={PRIOR[0]}:{PRIOR[1]}", "--out", str(out), "--quiet",
                 *executor, *extra])
    folders = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")] if out.exists() else []
    return code, (folders[0] if len(folders) == 1 else folders)


def _posterior(folder) -> pd.DataFrame:
    return pd.read_parquet(folder / "posterior.parquet")


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    """One small serial calibration, the reference for the reproducibility tests."""
    code, folder = _calibrate(inputs, tmp_path_factory.mktemp("reference"), *SMALL)
    assert code == 0
    return folder


def test_known_parameter_is_recovered_inside_a_narrow_credible_interval(inputs, tmp_path):
    """Calibrating participation_benefit against facts simulated at 0.7 puts 0.7 inside the 90% credible interval,
    and that interval is at least a quarter narrower than the prior's (a posterior equal to the prior fails)."""
    code, folder = _calibrate(inputs, tmp_path, "--population-size", "60", "--populations", "4", "--predictive",
                              "10", "--no-figures", "--seed", "3")
    assert code == 0
    row = pd.read_csv(folder / "estimates.csv").iloc[0]
    assert row.q05 <= TRUTH <= row.q95, row.to_dict()
    prior_interval = 0.9 * (PRIOR[1] - PRIOR[0])
    assert row.q95 - row.q05 < 0.75 * prior_interval, row.to_dict()


def test_the_same_seed_gives_the_same_posterior_and_another_seed_another(inputs, tmp_path, reference):
    """Two runs of one command with one seed give identical posteriors (values, weights, distances); another
    seed gives another sample."""
    code, again = _calibrate(inputs, tmp_path / "again", *SMALL)
    assert code == 0
    pd.testing.assert_frame_equal(_posterior(again), _posterior(reference))
    code, other = _calibrate(inputs, tmp_path / "other", *SMALL, "--seed", "1")
    assert code == 0
    assert not _posterior(other)["treaty.participation_benefit"].equals(
        _posterior(reference)["treaty.participation_benefit"])


@pytest.mark.parametrize("stop_at", [10, 30, 60], ids=["in-generation-0", "in-generation-1", "in-generation-2"])
def test_an_interrupted_calibration_resumes_to_the_uninterrupted_posterior(inputs, tmp_path, reference,
                                                                           monkeypatch, capsys, stop_at):
    """Ctrl-C part-way through a generation exits 130 and leaves a folder without a manifest (not finished);
    `--resume FOLDER` finishes it, and its posterior equals that of the run that was never stopped."""
    real_run = calibrate_module.Simulator.run
    calls = {"n": 0}

    def interrupting(self, values, seed):
        calls["n"] += 1
        if calls["n"] == stop_at:
            raise KeyboardInterrupt
        return real_run(self, values, seed)

    monkeypatch.setattr(calibrate_module.Simulator, "run", interrupting)
    code, folder = _calibrate(inputs, tmp_path, *SMALL)
    assert code == 130
    assert f"resume with: python3 run.py calibrate --resume {folder}" in capsys.readouterr().err
    assert not (folder / "manifest.json").exists()
    assert not (folder / "posterior.parquet").exists()
    monkeypatch.setattr(calibrate_module.Simulator, "run", real_run)
    assert main(["calibrate", "--resume", str(folder), "--executor", "serial", "--quiet"]) == 0
    pd.testing.assert_frame_equal(_posterior(folder), _posterior(reference))
    assert main(["calibrate", "--resume", str(folder), "--quiet"]) == 0  # finished: nothing to do


def test_a_resume_refuses_an_edited_scenario_and_names_a_changed_reading(inputs, tmp_path, monkeypatch, capsys):
    """A resume under other code than the calibration began with (calibration.json records an older digest) warns
    in one line; an interrupted calibration whose folder copy of the scenario was edited cannot be resumed (one
    line, exit 3); one whose copy is as it was, but which this version reads as another scenario (calibration.json
    records the hash an older reading gave), is refused with a line that says so."""
    real_run = calibrate_module.Simulator.run
    calls = {"n": 0}

    def interrupting(self, values, seed):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real_run(self, values, seed)

    monkeypatch.setattr(calibrate_module.Simulator, "run", interrupting)
    code, folder = _calibrate(inputs, tmp_path, *SMALL)
    assert code == 130
    monkeypatch.setattr(calibrate_module.Simulator, "run", real_run)
    capsys.readouterr()
    plan_path, copy = folder / "calibration.json", folder / "scenario.yaml"
    plan, text = json.loads(plan_path.read_text(encoding="utf-8")), copy.read_text(encoding="utf-8")
    other_code = {**plan, "environment": {**plan["environment"], "treatysim_source_sha256": "f" * 64}}
    plan_path.write_text(json.dumps(other_code), encoding="utf-8")
    monkeypatch.setattr(calibrate_module.Simulator, "run", interrupting)  # stops again at once: only the warning
    calls["n"] = 4
    assert main(["calibrate", "--resume", str(folder), "--executor", "serial", "--quiet"]) == 130
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("warning:")] == [
        line for line in err.splitlines() if "code differs from the code the calibration began with" in line]
    assert "code differs from the code the calibration began with" in err
    monkeypatch.setattr(calibrate_module.Simulator, "run", real_run)
    plan["scenario"]["scenario_sha256"] = "0" * 64
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    assert main(["calibrate", "--resume", str(folder), "--executor", "serial", "--quiet"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unchanged since the calibration began, but this version" in err
    assert "(calibration.json, environment)" in err and plan["environment"]["packages"]
    copy.write_text(text.replace("title: Synthetic spread", "title: Edited spread", 1), encoding="utf-8")
    assert main(["calibrate", "--resume", str(folder), "--executor", "serial", "--quiet"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "changed since the calibration began" in err and "cannot be resumed" in err
    assert not (folder / "manifest.json").exists()


@pytest.mark.slow
def test_a_local_pool_of_two_gives_the_serial_posterior(inputs, tmp_path, reference):
    """Two worker processes give the posterior of this process alone: nothing depends on the number of workers."""
    code, folder = _calibrate(inputs, tmp_path, *SMALL, executor=("--workers", "2"))
    assert code == 0
    pd.testing.assert_frame_equal(_posterior(folder), _posterior(reference))


@pytest.mark.cluster
def test_a_real_scheduler_and_workers_give_the_serial_posterior(inputs, tmp_path, reference):
    """A Dask scheduler and two one-thread workers started as separate processes on 127.0.0.1 run the calibration
    given with --scheduler; the posterior equals the serial one. Both are stopped by their process ids."""
    from .test_sweep_dask import dask_cluster

    with dask_cluster(tmp_path) as address:
        code, folder = _calibrate(inputs, tmp_path / "out", *SMALL, executor=("--scheduler", address))
        assert code == 0
        pd.testing.assert_frame_equal(_posterior(folder), _posterior(reference))


# ------------------------------------------------------------------------------------------------ bad input --
@pytest.mark.parametrize("option, words, code", [
    (["--param", "treaty.participation_benfit=0.1:0.5"], ["--param", "participation_benfit",
                                                           "did you mean 'participation_benefit'"], 3),
    (["--param", "treaty.participation_benefit=0.5:0.1"], ["--param", "LO must be below HI"], 3),
    (["--param", "treaty.participation_benefit=0.1"], ["--param", "expected LO:HI"], 3),
    (["--param", "states.SD.flexibility=0:2"], ["--param", "states.SD.flexibility", "2.0"], 3),
    (["--param", "rules.decision=0:1"], ["--param", "rules.decision", "not numbers"], 3),
    (["--param", "flexibility_scale=0.5:2", "--param", "states.SB.flexibility=0:1"],
     ["--param", "flexibility_scale", "states.SB.flexibility"], 3),
    (["--param", "flexibility_scale=0.5:2", "--target", "signatories_at_open"],
     ["--target", "signatories_at_open", "did you mean 'signatories_at_opening'"], 3),
    (["--param", "flexibility_scale=0.5:2", "--resume", "x"], ["--resume takes only"], 2),
    ([], ["--param", "at least one"], 3),
])
def test_bad_options_are_one_line_naming_the_option(inputs, tmp_path, capsys, option, words, code):
    """A bad prior, an unknown target or a wrong mix of options is one error line that names the option and the
    field, with exit 3 (invalid input) or 2 (usage), and no folder is made."""
    scenario, observed = inputs
    assert main(["calibrate", str(scenario), str(observed), "--out", str(tmp_path / "out"), *option]) == code
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and error.startswith("error: "), error
    for word in words:
        assert word in error, error
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("param, expected", [
    ("treaty.participation_benfit=0.1:0.5", "error: --param: treaty.participation_benfit: unknown field "
                                            "'participation_benfit' in treaty (did you mean 'participation_benefit'?)"),
    ("rules.threshold=0.5:2", "error: --param: rules.threshold: 2.0 is not between 0 and 1"),
])
def test_a_bad_prior_names_its_path_once_and_a_value_only_where_one_is_wrong(inputs, tmp_path, capsys, param,
                                                                            expected):
    """A path that does not exist is wrong whatever the range, so the error gives no value; a value out of range
    is named once, with the path the user typed."""
    scenario, observed = inputs
    assert main(["calibrate", str(scenario), str(observed), "--out", str(tmp_path / "out"), "--param", param]) == 3
    assert capsys.readouterr().err.strip() == expected


def test_a_bad_observed_file_is_one_line_with_file_line_and_field(inputs, tmp_path, capsys):
    """An observed file with an unquoted date or an unknown field is refused (exit 3) with FILE:LINE: FIELD."""
    scenario, observed = inputs
    bad = tmp_path / "bad.yaml"
    text = observed.read_text(encoding="utf-8").replace("place: nowhere", "place: nowhere\n  venue: x")
    bad.write_text(text, encoding="utf-8")
    assert main(["calibrate", str(scenario), str(bad), "--param", "flexibility_scale=0.5:2"]) == 3
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    line = text.splitlines().index("  venue: x") + 1
    assert f"{bad}:{line}: opening.venue" in error, error
    missing = tmp_path / "missing.yaml"
    assert main(["calibrate", str(scenario), str(missing), "--param", "flexibility_scale=0.5:2"]) == 3
    assert str(missing) in capsys.readouterr().err


def test_a_folder_that_is_no_calibration_cannot_be_resumed(tmp_path, capsys):
    """--resume on a folder without calibration.json is invalid input (exit 3), named in one line."""
    assert main(["calibrate", "--resume", str(tmp_path)]) == 3
    assert "not a calibration folder" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ the folder --
def test_the_folder_holds_posterior_diagnostics_figures_calibrated_scenario_and_manifest(inputs, tmp_path):
    """A finished folder has the posterior with weights summing to 1, per-population diagnostics, the predictive
    runs, the three figures, a calibrated scenario that loads and holds the posterior median, and a manifest
    (written last) with the command, seed, versions and the inputs' hashes; no temporary file is left."""
    code, folder = _calibrate(inputs, tmp_path, "--population-size", "12", "--populations", "2", "--predictive",
                              "6", "--param", "flexibility_scale=0.5:1.5")
    assert code == 0
    names = {p.name for p in folder.iterdir()}
    for name in ("posterior.parquet", "posterior.csv", "populations.csv", "populations.json", "estimates.csv",
                 "predictive.parquet", "targets.csv", "calibrated.yaml", "scenario.yaml", "observed.yaml",
                 "calibration.json", "abc.db", "manifest.json", "posterior_marginals.png", "posterior_pairs.png",
                 "predicted_vs_observed.png"):
        assert name in names, name
    assert not [n for n in names if n.startswith(".")]
    posterior = _posterior(folder)
    assert len(posterior) == 12 and posterior["weight"].sum() == pytest.approx(1.0)
    assert {"treaty.participation_benefit", "flexibility_scale", "distance", "sim:adopted"} <= set(posterior)
    populations = pd.read_csv(folder / "populations.csv")
    assert list(populations.columns[:6]) == ["population", "epsilon", "accepted", "simulations", "acceptance_rate",
                                             "effective_sample_size"]
    assert list(populations.population) == [0, 1] and populations.epsilon.iloc[1] < populations.epsilon.iloc[0]
    assert len(pd.read_parquet(folder / "predictive.parquet")) == 6
    estimates = pd.read_csv(folder / "estimates.csv").set_index("path")
    text = (folder / "calibrated.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Calibrated by") and "posterior median" in text.splitlines()[1]
    calibrated = load_scenario(folder / "calibrated.yaml")
    assert calibrated.treaty.participation_benefit == pytest.approx(
        estimates.loc["treaty.participation_benefit", "median"])
    scale = estimates.loc["flexibility_scale", "median"]
    assert calibrated.states[0].flexibility == 0.0  # 0 times any scale
    assert scale > 0
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "calibration" and manifest["seed"] == 0
    assert manifest["scenario"]["sha256"] and manifest["observed"]["sha256"]
    assert "pyabc" in manifest["environment"]["packages"]
    assert set(manifest["files"]) >= {"posterior.parquet", "calibrated.yaml", "abc.db"}
    assert manifest["command"][0] == "calibrate" and "calibrate" in manifest["reproduce"]


def test_epsilon_is_the_median_distance_and_falls_even_when_most_runs_tie():
    """Epsilon for the next population is the weighted median of the last one's distances; when that median is the
    largest distance (half the runs tie there, as discrete targets make them), it is the largest distance below."""
    epsilon = calibrate_module._epsilon_class()
    epsilon._update(1, pd.DataFrame({"distance": [1.0, 2.0, 3.0, 4.0, 9.0], "w": [1.0] * 5}))
    assert epsilon(1) == pytest.approx(3.0)
    epsilon._update(2, pd.DataFrame({"distance": [1.0, 2.0, 5.0, 5.0, 5.0, 5.0], "w": [1.0] * 6}))
    assert epsilon(2) == pytest.approx(2.0)
    epsilon._update(3, pd.DataFrame({"distance": [4.0, 4.0], "w": [1.0, 1.0]}))
    assert epsilon(3) == 4.0  # nothing below: it stays
