"""The sweep spec, the quick form, designs and run seeds (no model runs here)."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest

from sim.cli import main
from sim.loader import ScenarioError
from sim.sweep.design import build_design, run_seed
from sim.sweep.spec import load_spec, parse_vary, quick_spec

from .conftest import ROOT

WPCNT = ROOT / "scenarios" / "wpcnt.yaml"


@pytest.fixture
def spec_file(tmp_path):
    """Write a spec (dedented) next to nothing: its scenario path is absolute."""

    def write(body: str, name: str = "spec.yaml"):
        text = f"scenario: {WPCNT}\n" + textwrap.dedent(body).lstrip("\n")
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _line_of(path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_example_spec_loads_with_levers_and_uncertainties_apart():
    """The shipped example spec is valid; its parameters keep the section they were given in."""
    plan = load_spec(ROOT / "scenarios" / "sweeps" / "global_rules.yaml")
    sections = {p.path: p.section for p in plan.parameters}
    assert sections == {"rules.decision": "levers", "rules.threshold": "levers",
                        "protocol.concession_rate": "uncertainties"}
    assert plan.scenario.protocol.max_rounds == 60  # the spec's set: reached the base scenario
    assert len(build_design(plan)) == 27


def test_unknown_path_names_spec_file_line_and_field(spec_file):
    """A varied path the scenario does not have is refused at load, naming the spec's file, line and field."""
    path = spec_file("""
        levers:
          rules.threshold: {low: 0.5, high: 0.9, steps: 3}
          states.USA.flexibilty: {low: 0.1, high: 0.9, steps: 3}
        """)
    with pytest.raises(ScenarioError) as caught:
        load_spec(path)
    error = caught.value
    assert error.source == str(path)
    assert error.line == _line_of(path, "flexibilty")
    assert error.field == "levers[states.USA.flexibilty]"
    assert "did you mean 'flexibility'" in error.message


def test_unknown_state_in_path_is_refused(spec_file):
    """A path through a list entry that does not exist names the entry."""
    path = spec_file("""
        uncertainties:
          states.XXX.flexibility: [0.2, 0.4]
        """)
    with pytest.raises(ScenarioError, match=r"spec.yaml:3: uncertainties\[states.XXX.flexibility\]: .*no entry 'XXX'"):
        load_spec(path)


@pytest.mark.parametrize("body, needle, message", [
    ("levers:\n  rules.threshold: {low: 0.9, high: 0.5, steps: 3}\n", "rules.threshold", "empty range"),
    ("levers:\n  rules.threshold: {low: 0.5, high: 0.5, steps: 3}\n", "rules.threshold", "empty range"),
    ("levers:\n  rules.decision: []\n", "rules.decision", "empty list of values"),
    ("levers:\n  rules.decision: [consensus, consensus]\n", "rules.decision", "given twice"),
    ("replicates: 0\n", "replicates", "0 is less than 1"),
    ("replicates: -3\n", "replicates", "-3 is less than 1"),
    ("levers:\n  rules.threshold: {low: 0.5, high: 0.9}\n", "rules.threshold", "a grid needs the number of values"),
    ("levers:\n  rules.threshold: {low: 0.5, hgh: 0.9}\n", "hgh", "unknown key (did you mean 'high'?)"),
    ("levers:\n  rules.threshold: 0.7\n", "rules.threshold", "to fix a value for every run, put it under set:"),
    ("replicate: 3\n", "replicate", "unknown key (did you mean 'replicates'?)"),
    ("design: {kind: sobol, samples: 100}\nlevers:\n  rules.threshold: {low: 0.5, high: 0.9}\n", "design:",
     "not a power of 2"),
    ("design: {kind: lhs}\nlevers:\n  rules.threshold: {low: 0.5, high: 0.9}\n", "design:", "needs samples"),
    ("design: {kind: lhs, samples: 10}\n", "kind", "needs at least one parameter"),
    ("design: {kind: factorial}\n", "design:", "'factorial' is not one of: grid, lhs, sobol, morris"),
    ("levers:\n  rules.min_states: {low: 2, high: 4, steps: 5}\n", "rules.min_states", "would repeat whole numbers"),
    ("levers:\n  rules.decision: {low: 0, high: 1, steps: 2}\n", "rules.decision", "give values: [...]"),
    ("set:\n  rules.treshold: 0.5\n", "treshold", "did you mean 'threshold'"),
    ("levers:\n  states.USA.flexibility: [0.2, 0.4]\n  states.0.flexibility: [0.3]\n", "states.0.flexibility",
     "the same field as levers[states.USA.flexibility]"),
])
def test_bad_specs_give_one_error_naming_line_and_field(spec_file, body, needle, message):
    """Each kind of bad spec gives one ScenarioError naming the spec file, the line of the bad field and the
    field."""
    path = spec_file(body)
    with pytest.raises(ScenarioError) as caught:
        load_spec(path)
    error = caught.value
    assert error.source == str(path)
    assert error.line == _line_of(path, needle), str(error)
    assert message in str(error)
    assert str(error).startswith(f"{path}:{error.line}: ")


def test_set_value_invalid_for_the_scenario_is_reported_at_the_spec_line(spec_file):
    """A fixed value the scenario cannot take is reported at the spec line that set it."""
    path = spec_file("set:\n  rules.threshold: 1.5\n")
    with pytest.raises(ScenarioError) as caught:
        load_spec(path)
    assert (caught.value.source, caught.value.line) == (str(path), 3)
    assert "1.5 is not between 0 and 1" in caught.value.message


def test_missing_scenario_file_is_reported_at_its_line(tmp_path):
    """A spec whose scenario file does not exist names the spec line of `scenario:`."""
    path = tmp_path / "spec.yaml"
    path.write_text("name: x\nscenario: nowhere.yaml\n")
    with pytest.raises(ScenarioError, match=r"spec.yaml:2: scenario: no such scenario file"):
        load_spec(path)


def test_scenario_file_given_as_spec_says_to_use_vary():
    """Passing a scenario where a spec is expected says how to sweep it."""
    with pytest.raises(ScenarioError, match="--vary"):
        load_spec(WPCNT)


def test_cli_bad_spec_exits_3_with_one_line(spec_file, capsys, tmp_path):
    """`run.py sweep` on a bad spec exits with INVALID_INPUT and prints one line naming file, line and field, and
    makes no results folder."""
    path = spec_file("replicates: 0\n")
    code = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 1 and re.match(rf"error: {re.escape(str(path))}:2: replicates: ", err[0])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ------------------------------------------------------------------------------------------------ quick form --
def test_parse_vary_forms():
    """--vary takes LO:HI:N ranges, LO:HI ranges and comma-separated values read as YAML scalars."""
    assert parse_vary("rules.threshold=0.5:0.9:5") == ("rules.threshold", {"low": 0.5, "high": 0.9, "steps": 5})
    assert parse_vary("rules.threshold=0.5:0.9") == ("rules.threshold", {"low": 0.5, "high": 0.9})
    assert parse_vary("rules.decision=consensus,majority_count") == ("rules.decision",
                                                                    ["consensus", "majority_count"])
    assert parse_vary("rules.threshold=0.5,0.67") == ("rules.threshold", [0.5, 0.67])


@pytest.mark.parametrize("text, message", [
    ("rules.threshold", "expected PATH=LO:HI:N"),
    ("rules.threshold=", "no values"),
    ("rules.threshold=0.5:0.9:0", "not a positive whole number"),
    ("rules.threshold=a:b:3", "must be numbers"),
    ("rules.threshold=1:2:3:4", "expected LO:HI:N"),
])
def test_bad_vary_is_refused_naming_the_flag(text, message):
    """A malformed --vary is refused with an error naming the flag."""
    with pytest.raises(ScenarioError) as caught:
        parse_vary(text)
    assert caught.value.source == "--vary" and message in caught.value.message


def test_quick_form_builds_a_grid_with_numeric_and_categorical_parameters():
    """The quick form makes a grid over every combination, first parameter slowest, values as given."""
    plan = quick_spec(WPCNT, ["states.USA.flexibility=0.2:0.6:3"], ["rules.decision=consensus,majority_count"],
                      replicates=4, seed=9)
    design = build_design(plan)
    assert list(design["states.USA.flexibility"]) == [0.2, 0.2, 0.4, 0.4, 0.6, 0.6]
    assert list(design["rules.decision"]) == ["consensus", "majority_count"] * 3
    assert [p.section for p in plan.parameters] == ["uncertainties", "levers"]
    assert plan.spec.replicates == 4 and plan.spec.seed == 9


def test_quick_form_set_problems_are_all_named_each_by_its_path_once():
    """Every bad `--set` of a quick sweep is reported in the one error, in the order typed, each as `--set PATH:
    MESSAGE` (the option already names the path)."""
    with pytest.raises(ScenarioError) as caught:
        quick_spec(WPCNT, ["rules.threshold=0.5:0.9:3"], overrides=["rules.treshold=0.5", "states.XXX.flexibility=1"])
    text = str(caught.value)
    assert text.startswith("--set rules.treshold: unknown field 'treshold'"), text
    assert "(and 1 more problem: --set states.XXX.flexibility: " in text and "set[" not in text


def test_quick_form_unknown_path_names_the_flag():
    """A bad path in --vary is reported against --vary with the loader's hint."""
    with pytest.raises(ScenarioError) as caught:
        quick_spec(WPCNT, ["rules.thresold=0.5:0.9:3"])
    assert caught.value.source == "--vary" and "did you mean 'threshold'" in caught.value.message


def test_quick_form_range_without_steps_needs_n_in_a_grid():
    """LO:HI without N is only for the samplers."""
    with pytest.raises(ScenarioError, match="PATH=LO:HI:N"):
        quick_spec(WPCNT, ["rules.threshold=0.5:0.9"])


# -------------------------------------------------------------------------------------------------- designs --
def _plan(spec_file, design: str, params: str, seed: int = 1):
    return load_spec(spec_file(f"design: {design}\nseed: {seed}\n{params}"))


PARAMS = """
uncertainties:
  states.USA.flexibility: {low: 0.1, high: 0.9}
  protocol.stalemate_window: {low: 5, high: 12}
levers:
  rules.decision: [consensus, majority_count, plurilateral]
"""


def test_integer_fields_are_sampled_as_whole_numbers_and_lists_as_their_values(spec_file):
    """In a sampled design a whole-number field gets whole numbers within its bounds, and a list parameter only
    its listed values, each about equally often."""
    plan = _plan(spec_file, "{kind: lhs, samples: 300}", PARAMS)
    design = build_design(plan)
    window = design["protocol.stalemate_window"]
    assert window.dtype == np.int64 and window.min() == 5 and window.max() == 12
    flexibility = design["states.USA.flexibility"]
    assert flexibility.between(0.1, 0.9).all()
    counts = design["rules.decision"].value_counts()
    assert set(counts.index) == {"consensus", "majority_count", "plurilateral"}
    assert counts.min() == counts.max() == 100  # a Latin hypercube puts exactly N/3 in each third


def test_sampled_designs_have_salib_sizes(spec_file):
    """Sobol designs have N(D+2) points (N(2D+2) with second order) and Morris N(D+1); both keep the sampler's
    raw numbers for the analysis."""
    sobol = build_design(_plan(spec_file, "{kind: sobol, samples: 8}", PARAMS))
    assert len(sobol) == 8 * (3 + 2)
    second = build_design(_plan(spec_file, "{kind: sobol, samples: 8, second_order: true}", PARAMS))
    assert len(second) == 8 * (2 * 3 + 2)
    morris = build_design(_plan(spec_file, "{kind: morris, samples: 5, levels: 4}", PARAMS))
    assert len(morris) == 5 * (3 + 1)
    assert {"x:states.USA.flexibility", "x:rules.decision"} <= set(morris.columns)


def test_designs_follow_the_master_seed(spec_file):
    """The same master seed gives the same design; another seed another one."""
    first = build_design(_plan(spec_file, "{kind: lhs, samples: 20}", PARAMS, seed=3))
    again = build_design(_plan(spec_file, "{kind: lhs, samples: 20}", PARAMS, seed=3))
    other = build_design(_plan(spec_file, "{kind: lhs, samples: 20}", PARAMS, seed=4))
    assert first.equals(again)
    assert not first["states.USA.flexibility"].equals(other["states.USA.flexibility"])


def test_run_seeds_are_spawned_children_of_the_master_seed():
    """A run's seed comes from SeedSequence(master).spawn(n)[run], whatever n is, and seeds differ between runs."""
    children = np.random.SeedSequence(2024).spawn(50)
    for run in (0, 7, 49):
        assert children[run].spawn_key == (run,)
        words = children[run].generate_state(2, dtype=np.uint32)
        assert run_seed(2024, run) == ((int(words[0]) << 31) ^ int(words[1])) & ((1 << 63) - 1)
    seeds = [run_seed(2024, r) for r in range(2000)]
    assert len(set(seeds)) == 2000
    assert all(0 <= s < 2 ** 63 for s in seeds)
    assert run_seed(2025, 0) != run_seed(2024, 0)
