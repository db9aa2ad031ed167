"""Messages in plain words, every problem listed, warnings for what cannot happen, and a JSON Schema that refuses
what validate refuses."""

from __future__ import annotations

import copy
import re
import textwrap

import pytest
import yaml

from sim.cli import ExitCode, main
from sim.loader import ScenarioError, load_raw, load_scenario, scenario_from_dict

from .conftest import MINIMAL

BASE = yaml.safe_load(textwrap.dedent(MINIMAL))
PYDANTIC_WORDS = re.compile(r"Input should|should match pattern|found using|does not match any of the expected|"
                            r"\^\[|Value error|validation error", re.I)


def changed(edit) -> dict:
    document = copy.deepcopy(BASE)
    edit(document)
    return document


def state(document, index=1) -> dict:
    return document["states"][index]


# Every bad value of the loader's field-level error cases: each must be refused by validate and by the JSON Schema.
# (Cross-references, such as a coalition naming an unknown state or a duplicate id, span sections and cannot be
# said in a JSON Schema; validate alone checks them.)
BAD_VALUES = {
    "ideal above 1": lambda d: state(d)["ideal"].update(data_sovereignty=1.7),
    "ideal below 0": lambda d: state(d)["ideal"].update(data_sovereignty=-0.2),
    "flexibility above 1": lambda d: state(d).update(flexibility=1.5),
    "reservation below -1": lambda d: state(d).update(reservation=-2),
    "ratification difficulty above 1": lambda d: state(d).update(ratification_difficulty=1.01),
    "negative salience": lambda d: state(d).update(salience={"enforcement": -1}),
    "capability 0": lambda d: state(d).update(capability=0),
    "negative capability": lambda d: state(d).update(capability=-1),
    "capability 1e308": lambda d: state(d).update(capability=1e308),
    "capability 5e-324": lambda d: state(d).update(capability=5e-324),
    "capability true": lambda d: state(d).update(capability=True),
    "capability as text": lambda d: state(d).update(capability="lots"),
    "capability as numeric text": lambda d: state(d).update(capability="0.5"),
    "at_table as text": lambda d: state(d).update(at_table="no"),
    "red line above 1": lambda d: state(d).update(red_lines={"enforcement": {"min": 1.2}}),
    "misspelt key": lambda d: state(d).update(flexibilty=0.4),
    "unknown section": lambda d: d.update(treaty_rules={}),
    "missing capability": lambda d: state(d).pop("capability"),
    "missing title": lambda d: d["metadata"].pop("title"),
    "one state only": lambda d: d["states"].pop(),
    "state id not an identifier": lambda d: state(d).update(id="1 AB"),
    "dimension name not a name": lambda d: d.update(dimensions=[{"name": "Bad Name"}]),
    "unknown decision rule": lambda d: d.update(rules={"decision": "unanimity"}),
    "threshold above 1": lambda d: d.update(rules={"threshold": 1.5}),
    "ratification rate below 0": lambda d: d.update(rules={"ratification_rate": -0.1}),
    "min_states 0": lambda d: d.update(rules={"min_states": 0}),
    "max_rounds 0": lambda d: d.update(protocol={"max_rounds": 0}),
    "max_rounds above 100000": lambda d: d.update(protocol={"max_rounds": 100_001}),
    "max_rounds true": lambda d: d.update(protocol={"max_rounds": True}),
    "max_rounds 2.5": lambda d: d.update(protocol={"max_rounds": 2.5}),
    "concession rate above 0.5": lambda d: d.update(protocol={"concession_rate": 0.7}),
    "stalemate epsilon 0": lambda d: d.update(protocol={"stalemate_epsilon": 0}),
    "unknown activation": lambda d: d.update(protocol={"activation": "parallel"}),
    "coalition name not a name": lambda d: d.update(coalitions=[{"name": "Open Net", "members": ["AAA"]}]),
    "coalition without members": lambda d: d.update(coalitions=[{"name": "club", "members": []}]),
    "cohesion above 1": lambda d: d.update(coalitions=[{"name": "club", "members": ["AAA"], "cohesion": 2}]),
    "trust above 1": lambda d: d.update(relations=[{"source": "AAA", "target": "BBB", "trust": 1.5}]),
    "tier entry threshold 0": lambda d: d.update(treaty={"tiers": [{"name": "deep", "at_least": {"enforcement": 0.8},
                                                                    "entry_threshold": 0}]}),
    "negative participation benefit": lambda d: d.update(treaty={"participation_benefit": -0.1}),
    "unknown event type": lambda d: d.update(events=[{"type": "incident", "round": 2}]),
    "event round 0": lambda d: d.update(events=[{"type": "walkout", "round": 0, "state": "AAA"}]),
    "severity above 1": lambda d: d.update(events=[{"type": "cyber_incident", "round": 2, "victims": ["AAA"],
                                                    "severity": 3}]),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_the_json_schema_refuses_what_validate_refuses(case):
    """Each bad value is refused by validate (a ScenarioError in plain words) and by the JSON Schema that editors
    use, so that an editor never accepts what validate refuses."""
    jsonschema = pytest.importorskip("jsonschema")
    from sim.schema import json_schema

    document = changed(BAD_VALUES[case])
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(document)
    assert not PYDANTIC_WORDS.search(str(caught.value)), str(caught.value)
    validator = jsonschema.Draft202012Validator(json_schema())
    assert list(validator.iter_errors(document)), f"the JSON Schema accepts {case}"


def test_the_json_schema_accepts_the_base_document():
    """The document the cases start from is valid for both (so each refusal comes from its own change)."""
    jsonschema = pytest.importorskip("jsonschema")
    from sim.schema import json_schema

    scenario_from_dict(BASE)
    jsonschema.validate(BASE, json_schema())


def test_validate_lists_every_problem_of_a_file(write_yaml, capsys):
    """Three problems in one file are three lines, each with its own line and field, sorted by line."""
    path = write_yaml(MINIMAL.replace("capability: 2", "capability: lots").replace(
        "data_sovereignty: 0.5, enforcement", "data_sovereignty: 1.7, enforcement") + "rules: {decision: unanimity}\n")
    assert main(["validate", str(path)]) == ExitCode.INVALID_INPUT
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"invalid: {path}:") for line in lines)
    fields = [line.split(": ")[2] for line in lines]
    assert fields == ["states[0].capability", "states[1].ideal.data_sovereignty", "rules.decision"]


def test_reference_problems_are_all_listed_too(write_yaml, capsys):
    """Problems found across sections (unknown states in a coalition and in an event) are listed together."""
    path = write_yaml(MINIMAL + "coalitions:\n  - {name: club, members: [AAA, BBX]}\n"
                                "events:\n  - {type: walkout, round: 3, state: ZZZ}\n")
    assert main(["validate", str(path)]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert "unknown state 'BBX'" in err and "unknown state 'ZZZ'" in err and err.count("\n") == 2


def test_other_commands_report_the_first_problem_and_count_the_rest(write_yaml, capsys, tmp_path):
    """run prints one line: the first problem and how many more, pointing at validate."""
    path = write_yaml(MINIMAL.replace("capability: 2", "capability: lots").replace("capability: 1\n",
                                                                                   "capability: x\n"))
    assert main(["run", str(path), "--out", str(tmp_path)]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(and 1 more problem; `validate` lists them all)" in err


@pytest.mark.parametrize("text, words", [
    ("coalitions:\n  - {name: Open Net, members: [AAA]}\n",
     "'Open Net' is not allowed: coalition names are lower-case words such as open_net"),
    ("events:\n  - {type: incident, round: 2}\n",
     "event type 'incident' is not one of: cyber_incident, government_change, walkout, join, outside_pressure"),
    ("rules: {decision: unanimity}\n",
     "'unanimity' is not one of: consensus, majority_count, majority_capability, plurilateral"),
    ("protocol: {max_rounds: 0}\n", "0 is below the smallest allowed value, 1"),
    ("events:\n  - {round: 2, state: AAA}\n", "an event needs a type"),
])
def test_messages_are_plain_words_not_pydantic_or_regex_text(write_yaml, text, words):
    """Patterns, choices, event types and bounds are said in plain words, never as a regex or pydantic's text."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(MINIMAL + text))
    assert words in str(caught.value) and not PYDANTIC_WORDS.search(str(caught.value))


def test_state_id_pattern_is_said_in_words(write_yaml):
    """A bad state id is explained with examples, not a pattern."""
    with pytest.raises(ScenarioError, match=r"'1AB' is not allowed: state ids are a letter, then letters, digits, _ "
                                            r"or -, such as USA or KOR"):
        load_scenario(write_yaml(MINIMAL.replace("id: BBB", "id: 1AB")))


def test_red_line_messages_give_the_bound(write_yaml):
    """An ideal outside the state's own red line says where the red line lies."""
    path = write_yaml(MINIMAL.replace("    capability: 1\n", "    capability: 1\n    red_lines: {enforcement: "
                                                              "{min: 0.6, max: 0.8}}\n"))
    with pytest.raises(ScenarioError, match=r"states\[1\].ideal.enforcement: 0.5 lies outside the state's own red "
                                            r"line on enforcement \(which keeps it between 0.6 and 0.8\)"):
        load_scenario(path)


def test_an_event_after_the_last_round_is_a_warning(write_yaml, capsys, tmp_path):
    """An event scheduled after max_rounds is valid but never happens: validate says so in a warning (and exits
    0); run says so when --rounds cuts the talks short of it."""
    path = write_yaml(MINIMAL + "protocol: {max_rounds: 20}\nevents:\n  - {type: walkout, round: 15, state: AAA}\n"
                                "  - {type: walkout, round: 30, state: BBB}\n")
    assert main(["validate", str(path)]) == ExitCode.OK
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "events[1].round: round 30 is after the last round (protocol.max_rounds 20)" in \
        warnings[0] and f"{path}:" in warnings[0]
    assert main(["run", str(path), "--rounds", "10", "--out", str(tmp_path), "--no-figures", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "events[0].round: round 15 is after the last round (--rounds 10)" in err


def test_version_and_subcommand_usage(capsys):
    """--version prints the version; a bad option of a subcommand prints that subcommand's usage (exit 2)."""
    from sim import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"treatysim {__version__}"
    assert main(["validate", "x.yaml", "--bogus"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("usage: treatysim validate") and "unrecognized arguments: --bogus" in err
    assert main(["import", "bdm", "x.csv", "--bogus"]) == ExitCode.USAGE
    assert capsys.readouterr().err.startswith("usage: treatysim import bdm")


# --------------------------------------------------------------------------- capabilities that can be used --
@pytest.mark.parametrize("values, needle", [
    ((1e308, 1e308), "is outside 1e-06 to 1e+09"),
    ((5e-324, 5e-324), "is outside 1e-06 to 1e+09"),
    ((2.0 ** 1020, 2.0 ** 1021), "is outside 1e-06 to 1e+09"),
    ((1e-5, 1e5), "more than 1e+09 times smaller than the capability of BBB"),
])
def test_capabilities_the_model_cannot_use_are_refused(write_yaml, values, needle):
    """Only ratios matter, but magnitudes that overflow or underflow the arithmetic (1e308, 5e-324, 2^1020) and
    spreads that lose the smaller state in rounding are refused with the range, not run to a wrong result."""
    text = MINIMAL.replace("capability: 2", f"capability: {values[0]!r}").replace(
        "capability: 1\n", f"capability: {values[1]!r}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(text))
    assert needle in str(caught.value) and "capability" in caught.value.field


def test_capabilities_within_the_range_load(write_yaml):
    """The ends of the range and a spread of 1e9 are accepted."""
    text = MINIMAL.replace("capability: 2", "capability: 1e-06").replace("capability: 1\n", "capability: 1000\n")
    assert [s.capability for s in load_scenario(write_yaml(text)).states] == [1e-06, 1000]


# --------------------------------------------------------------------------------------- smaller points --
def test_vary_takes_a_yaml_list_of_mappings(tmp_path):
    """--vary 'PATH=[{...}, {...}]' varies a field whose values are mappings."""
    from sim.sweep.spec import quick_spec

    from .test_sweep_run import WPCNT

    plan = quick_spec(WPCNT, ["treaty.core.at_least=[{enforcement: 0.5}, {enforcement: 0.8}]"])
    (parameter,) = plan.parameters
    assert parameter.values == ({"enforcement": 0.5}, {"enforcement": 0.8}) and parameter.codec == "json"


class _NoScan(dict):
    """Origins that fail the test if an override walks all of them."""

    def __iter__(self):
        raise AssertionError("an override scanned every origin of the document")

    keys = items = __iter__


def test_an_override_does_not_scan_the_whole_document(write_yaml):
    """Applying an override costs in proportion to the value it replaces, not to the document: 2,000 overrides of
    a 2,000-state scenario used to take 28 s (benchmarks/bench_overrides.py measures it)."""
    from sim.loader import apply_override

    raw = load_raw(write_yaml(MINIMAL))
    raw.origins = _NoScan(raw.origins)
    apply_override(raw, "states.BBB.flexibility", 0.3)
    apply_override(raw, "states.AAA.ideal", {"attribution_transparency": 0.1, "data_sovereignty": 0.2,
                                             "enforcement": 0.3})
    assert ("states", 0, "ideal", "enforcement") not in dict.keys(raw.origins)
    assert dict.get(raw.origins, ("states", 0, "ideal")) == ("--set", 0)
