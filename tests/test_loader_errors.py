"""Bad scenario input is refused with one clear message that names the file, the line and the field."""

from __future__ import annotations

import re

import pytest

from sim.loader import ScenarioError, load_scenario

from .conftest import MINIMAL


def error_of(path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value


def line_of(path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle` in the file."""
    hits = [i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def test_minimal_scenario_loads(write_yaml):
    """The two-state scenario used below is valid, so each test's error comes from its own change."""
    scenario = load_scenario(write_yaml(MINIMAL))
    assert scenario.state_ids == ["AAA", "BBB"]
    assert scenario.rules.decision == "consensus"


def test_value_out_of_range_names_file_line_and_field(write_yaml):
    """An ideal value above 1 is reported as `file:line: states[i].ideal.dim: value is not between 0 and 1`."""
    path = write_yaml(MINIMAL.replace("data_sovereignty: 0.5, enforcement", "data_sovereignty: 1.7, enforcement"))
    err = error_of(path)
    assert str(err) == f"{path}:{line_of(path, '1.7')}: states[1].ideal.data_sovereignty: 1.7 is not between 0 and 1"


def test_value_out_of_range_in_block_style_points_at_its_own_line(write_yaml):
    """In block style each value has its own line, and the error names that line, not the state's."""
    path = write_yaml("""
        metadata: {title: t}
        states:
          - id: AAA
            capability: 1
            ideal:
              attribution_transparency: 0.5
              data_sovereignty: -0.2
              enforcement: 0.5
          - id: BBB
            capability: 1
            ideal: {attribution_transparency: 0.5, data_sovereignty: 0.5, enforcement: 0.5}
        """)
    err = error_of(path)
    assert (err.line, err.field) == (7, "states[0].ideal.data_sovereignty")
    assert "-0.2 is not between 0 and 1" in err.message


def test_unknown_key_is_refused_with_a_suggestion(write_yaml):
    """A misspelt key is an error (not silently ignored) and the message suggests the right name."""
    path = write_yaml(MINIMAL.replace("    capability: 2", "    capability: 2\n    flexibilty: 0.4"))
    err = error_of(path)
    assert err.field == "states[0].flexibilty"
    assert err.line == line_of(path, "flexibilty")
    assert "unknown key" in err.message and "'flexibility'" in err.message


def test_unknown_top_level_section_is_refused(write_yaml):
    """Unknown sections are refused too."""
    path = write_yaml(MINIMAL + "treaty_rules: {}\n")
    err = error_of(path)
    assert err.field == "treaty_rules" and err.line == line_of(path, "treaty_rules")


def test_duplicate_state_ids_are_refused(write_yaml):
    """Two states with one id: the second is reported, with the line of the first."""
    path = write_yaml(MINIMAL.replace("id: BBB", "id: AAA"))
    err = error_of(path)
    assert err.field == "states[1].id"
    assert err.line == line_of(path, "id: AAA", 2)
    assert f"first at line {line_of(path, 'id: AAA', 1)}" in err.message


def test_coalition_naming_unknown_state_is_refused(write_yaml):
    """A coalition member that is not a state is named, with a close match suggested."""
    path = write_yaml(MINIMAL + "coalitions:\n  - name: club\n    members: [AAA, BBX]\n")
    err = error_of(path)
    assert err.field == "coalitions[0].members[1]"
    assert err.line == line_of(path, "members:")
    assert "unknown state 'BBX'" in err.message and "'BBB'" in err.message


def test_event_naming_unknown_state_is_refused(write_yaml):
    """An event naming an unknown state is refused at the event's field."""
    path = write_yaml(MINIMAL + "events:\n  - type: walkout\n    round: 3\n    state: ZZZ\n")
    err = error_of(path)
    assert (err.field, err.line) == ("events[0].state", line_of(path, "state: ZZZ"))
    assert "unknown state 'ZZZ'" in err.message


def test_incident_naming_unknown_victim_is_refused(write_yaml):
    """Victims of an incident must be states."""
    path = write_yaml(MINIMAL + "events:\n  - type: cyber_incident\n    round: 2\n    victims: [AAA, QQQ]\n")
    err = error_of(path)
    assert err.field == "events[0].victims[1]"


def test_tier_naming_unknown_dimension_is_refused(write_yaml):
    """A tier deepening a dimension the scenario does not have is refused, listing the dimensions."""
    path = write_yaml(MINIMAL + "treaty:\n  tiers:\n    - name: deep\n      at_least: {attribution: 0.8}\n")
    err = error_of(path)
    assert (err.field, err.line) == ("treaty.tiers[0].at_least.attribution", line_of(path, "at_least"))
    assert "unknown dimension 'attribution'" in err.message
    assert "attribution_transparency" in err.message


def test_salience_summing_to_zero_is_refused(write_yaml):
    """A state must care about at least one dimension."""
    path = write_yaml(MINIMAL.replace(
        "    capability: 1\n",
        "    capability: 1\n    salience: {attribution_transparency: 0, data_sovereignty: 0, enforcement: 0}\n"))
    err = error_of(path)
    assert err.field == "states[1].salience"
    assert err.line == line_of(path, "salience")
    assert "sums to zero" in err.message


def test_negative_salience_is_refused(write_yaml):
    """Salience weights are non-negative."""
    path = write_yaml(MINIMAL.replace(
        "    capability: 1\n", "    capability: 1\n    salience: {attribution_transparency: -1}\n"))
    err = error_of(path)
    assert err.field == "states[1].salience.attribution_transparency" and "negative" in err.message


def test_missing_dimension_in_ideal_is_refused(write_yaml):
    """Every state states an ideal on every dimension."""
    path = write_yaml(MINIMAL.replace("data_sovereignty: 0.4, ", ""))
    err = error_of(path)
    assert err.field == "states[0].ideal" and "missing dimension data_sovereignty" in err.message


def test_missing_required_field_is_reported(write_yaml):
    """A state without capability is refused at the state's line."""
    path = write_yaml(MINIMAL.replace("    capability: 1\n", ""))
    err = error_of(path)
    assert err.field == "states[1].capability"
    assert err.line == line_of(path, "id: BBB")
    assert "missing" in err.message


def test_wrong_type_is_reported_with_the_value(write_yaml):
    """A word where a number belongs is refused, echoing the value."""
    path = write_yaml(MINIMAL.replace("capability: 2", "capability: lots"))
    err = error_of(path)
    assert err.field == "states[0].capability" and "'lots'" in err.message


def test_bad_decision_rule_lists_the_choices(write_yaml):
    """The decision rule is one of the documented rules."""
    path = write_yaml(MINIMAL + "rules:\n  decision: unanimity\n")
    err = error_of(path)
    assert err.field == "rules.decision" and "consensus" in err.message and "'unanimity'" in err.message


def test_ideal_outside_own_red_line_is_refused(write_yaml):
    """A red line the state's own ideal point violates is a contradiction."""
    path = write_yaml(MINIMAL.replace("    capability: 2\n",
                                      "    capability: 2\n    red_lines: {data_sovereignty: {min: 0.5}}\n"))
    err = error_of(path)
    assert err.field == "states[0].ideal.data_sovereignty" and "red line" in err.message


def test_unknown_chair_is_refused(write_yaml):
    """The chair is a documented mode or a state id."""
    path = write_yaml(MINIMAL + "protocol:\n  chair: AAB\n")
    err = error_of(path)
    assert err.field == "protocol.chair" and "'AAA'" in err.message


def test_too_many_ratifications_are_refused(write_yaml):
    """Entry into force cannot need more ratifications than there are states."""
    path = write_yaml(MINIMAL + "rules:\n  ratifications_needed: 40\n")
    err = error_of(path)
    assert err.field == "rules.ratifications_needed" and "40" in err.message


def test_duplicate_yaml_key_is_refused(write_yaml):
    """A key given twice in one mapping is an error, not a silent overwrite."""
    path = write_yaml(MINIMAL.replace("    capability: 2\n", "    capability: 2\n    capability: 3\n"))
    err = error_of(path)
    assert err.field == "states[0].capability" and "duplicate key" in err.message
    assert err.line == line_of(path, "capability: 3")


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['echo hacked']",
    "!!python/object:collections.OrderedDict {}",
    "!!python/name:os.system",
    "!custom 5",
    "!!binary aGVsbG8=",
])
def test_yaml_tags_are_refused(write_yaml, tag):
    """Loading never constructs objects from YAML tags: any non-plain tag is refused with its line."""
    path = write_yaml(MINIMAL.replace("title: Two states", f"title: {tag}"))
    err = error_of(path)
    assert err.line == 2 and "not allowed" in err.message
    assert err.field == "metadata.title"


def test_invalid_yaml_syntax_names_the_line(write_yaml):
    """A syntax error gives the line where the parser stopped."""
    path = write_yaml("metadata:\n  title: [unclosed\nstates: []\n")
    err = error_of(path)
    assert err.line >= 2 and "not valid YAML" in err.message


def test_document_that_is_not_a_mapping_is_refused(write_yaml):
    """An empty file or a list is not a scenario."""
    assert "empty" in error_of(write_yaml("")).message
    assert "list" in error_of(write_yaml("- a\n- b\n")).message


def test_missing_file_is_a_scenario_error(tmp_path):
    """A path that does not exist is reported as such."""
    err = error_of(tmp_path / "nope.yaml")
    assert "no such file" in err.message


def test_join_event_for_a_state_already_at_the_table_is_refused(write_yaml):
    """A state joining the talks must start away from the table."""
    path = write_yaml(MINIMAL + "events:\n  - {type: join, round: 2, state: BBB}\n")
    err = error_of(path)
    assert err.field == "events[0].state" and "at_table" in err.message


def test_message_format_is_one_line():
    """The error's text is `file:line: field: message` on one line."""
    err = ScenarioError("scenarios/x.yaml", 14, "states[3].ideal.data_sovereignty", "1.7 is not between 0 and 1")
    assert str(err) == "scenarios/x.yaml:14: states[3].ideal.data_sovereignty: 1.7 is not between 0 and 1"
    assert re.fullmatch(r"[^\n]+", str(err))
