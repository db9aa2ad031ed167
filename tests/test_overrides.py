"""Overrides by dotted path (--set, sweeps) and scenario files that extend a base scenario."""

from __future__ import annotations

import pytest

from sim.loader import ScenarioError, load_raw, load_scenario, parse_assignment, scenario_to_yaml, validate_raw, \
    with_overrides

from .conftest import MINIMAL


def test_set_by_dotted_path_changes_only_that_field(write_yaml):
    """rules.threshold=0.5 sets the threshold; everything else keeps its value."""
    path = write_yaml(MINIMAL)
    base = load_scenario(path)
    changed = load_scenario(path, ["rules.threshold=0.5"])
    assert changed.rules.threshold == 0.5
    assert changed.model_copy(update={"rules": base.rules}) == base


def test_set_names_list_entries_by_id(write_yaml):
    """states.BBB.flexibility addresses the state with id BBB."""
    scenario = load_scenario(write_yaml(MINIMAL), ["states.BBB.flexibility=0.9", "states.AAA.ideal.enforcement=1"])
    assert scenario.states[1].flexibility == 0.9
    assert scenario.states[0].ideal["enforcement"] == 1.0


def test_set_accepts_indices_and_yaml_values(write_yaml):
    """List entries can be named by index, and values are read as YAML (lists, words, numbers)."""
    scenario = load_scenario(write_yaml(MINIMAL), [
        "states.0.capability=5", "rules.decision=plurilateral", "protocol.activation=simultaneous",
        "coalitions=[{name: pair, members: [AAA, BBB]}]"])
    assert scenario.states[0].capability == 5
    assert scenario.rules.decision == "plurilateral"
    assert scenario.coalitions[0].members == ["AAA", "BBB"]


def test_set_unknown_field_is_refused_with_suggestion(write_yaml):
    """An unknown path is a clear error that suggests the close name."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(MINIMAL), ["rules.treshold=0.5"])
    assert caught.value.source == "--set rules.treshold"
    assert "unknown field 'treshold'" in caught.value.message and "'threshold'" in caught.value.message
    assert str(caught.value).startswith("--set rules.treshold: unknown field")  # the option names the field once


def test_set_unknown_state_is_refused(write_yaml):
    """An unknown list entry names what exists."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(MINIMAL), ["states.USA.flexibility=0.5"])
    assert "no entry 'USA'" in caught.value.message


def test_set_out_of_range_value_is_blamed_on_the_override(write_yaml):
    """A bad value given with --set is reported against --set, not the file's line."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(MINIMAL), ["states.AAA.flexibility=1.5"])
    assert str(caught.value) == "--set states.AAA.flexibility: states[0].flexibility: 1.5 is not between 0 and 1"


def test_every_problem_of_the_set_options_is_named_in_the_one_error_line(write_yaml):
    """`validate` reads files, not --set: so the one error line names the other --set problems itself, each by the
    path the user typed, instead of sending the user to `validate`."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(MINIMAL), ["states.AAA.capability=-4", "rules.threshold=7"])
    text = str(caught.value)
    assert "\n" not in text and "validate" not in text
    assert "--set states.AAA.capability: states[0].capability: -4.0 is outside 1e-06 to 1e+09" in text
    assert "--set rules.threshold: 7.0 is not between 0 and 1" in text
    assert len(caught.value.problems) == 2


def test_a_set_path_that_does_not_exist_hides_no_other_problem(write_yaml):
    """A --set path that does not exist is kept with the other problems: those of the variant's own `set:` and the
    later --set options. The options' come first (paths that do not exist in the order typed, then bad values),
    then the file's, by line."""
    write_yaml(MINIMAL, "base.yaml")
    variant = write_yaml("extends: base.yaml\nset:\n  states.AAA.flexiblity: 0.3\n  rules.threshold: 2\n",
                         "variant.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(variant, ["rules.bogus=1", "states.BBB.capability=-1", "protocol.nothing=3"])
    found = [(p.source, p.line) for p in caught.value.problems]
    assert found == [("--set rules.bogus", 0), ("--set protocol.nothing", 0), ("--set states.BBB.capability", 0),
                     (str(variant), 3), (str(variant), 4)]


def test_file_problems_alone_point_to_validate(write_yaml):
    """Several problems in the file itself: the line names the first and counts the rest, which `validate` lists."""
    bad = MINIMAL.replace("capability: 2", "capability: -2").replace("capability: 1", "capability: 0")
    assert bad != MINIMAL
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(bad))
    assert str(caught.value).endswith("more problem; `validate` lists them all)")


def test_set_refuses_yaml_tags_in_values(write_yaml):
    """Override values are plain data too."""
    with pytest.raises(ScenarioError):
        parse_assignment("metadata.title=!!python/object/apply:os.system [ls]")


def test_assignment_needs_an_equals_sign():
    """PATH without =VALUE is a usage error."""
    with pytest.raises(ScenarioError):
        parse_assignment("rules.threshold")


def test_overrides_do_not_change_the_loaded_document(write_yaml):
    """with_overrides works on a copy, so one loaded file can serve many variants (as sweeps do)."""
    raw = load_raw(write_yaml(MINIMAL))
    validate_raw(with_overrides(raw, {"rules.threshold": 0.3}))
    assert "rules" not in raw.data


def test_extends_and_set_build_a_variant(write_yaml):
    """A variant extends a base file and patches it; its own errors name its own lines."""
    write_yaml(MINIMAL, "base.yaml")
    variant = write_yaml("""
        # what if AAA softened?
        extends: base.yaml
        metadata: {title: Softer AAA}
        set:
          states.AAA.ideal.data_sovereignty: 0.45
          rules.decision: majority_count
        """, "variant.yaml")
    scenario = load_scenario(variant)
    assert scenario.metadata.title == "Softer AAA"
    assert scenario.states[0].ideal["data_sovereignty"] == 0.45
    assert scenario.rules.decision == "majority_count"
    bad = write_yaml("extends: base.yaml\nset:\n  states.AAA.flexibility: 7\n", "bad.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    assert (caught.value.source, caught.value.line) == (str(bad), 3)


def test_a_variant_with_a_path_that_does_not_exist_still_has_all_its_problems_listed(write_yaml):
    """A `set:` path that does not exist does not hide the variant's other problems: validation goes on without
    it, and the one error holds every problem, each with its own line."""
    write_yaml(MINIMAL, "base.yaml")
    bad = write_yaml("extends: base.yaml\nset:\n  states.AAA.flexiblity: 0.3\n  rules.threshold: '0.5'\n"
                     "  states.ZZZ.flexibility: 0.3\n", "bad.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    found = [(p.line, p.message) for p in caught.value.problems]
    assert [line for line, _ in found] == [3, 4, 5]
    assert "did you mean 'flexibility'" in found[0][1] and "expected a number" in found[1][1]
    assert "no entry 'ZZZ'" in found[2][1]


def test_extends_in_a_circle_is_refused(write_yaml):
    """Two files that extend each other are refused rather than looping."""
    write_yaml("extends: b.yaml\n", "a.yaml")
    b = write_yaml("extends: a.yaml\n", "b.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(b)
    assert "circle" in caught.value.message


def test_scenario_as_run_loads_back_identically(scenarios_dir, tmp_path):
    """The scenario written into a results folder (every default spelled out) loads back to the same scenario."""
    for path in sorted(scenarios_dir.glob("*.yaml")):
        scenario = load_scenario(path)
        copy = tmp_path / path.name
        copy.write_text(scenario_to_yaml(scenario))
        assert load_scenario(copy) == scenario, path.name
