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
    assert caught.value.source == "--set"
    assert "unknown field 'treshold'" in caught.value.message and "'threshold'" in caught.value.message


def test_set_unknown_state_is_refused(write_yaml):
    """An unknown list entry names what exists."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(MINIMAL), ["states.USA.flexibility=0.5"])
    assert "no entry 'USA'" in caught.value.message


def test_set_out_of_range_value_is_blamed_on_the_override(write_yaml):
    """A bad value given with --set is reported against --set, not the file's line."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(MINIMAL), ["states.AAA.flexibility=1.5"])
    assert str(caught.value) == "--set: states[0].flexibility: 1.5 is not between 0 and 1"


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
