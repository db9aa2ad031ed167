"""sim/observed.py and the observed-outcome files under data/observed/ (format: docs/observed-format.md)."""

from __future__ import annotations

import csv
import re
import typing

import pytest
from pydantic import BaseModel

from sim import observed as obs
from sim.observed import ObservedError, load_observed

from .conftest import ROOT

OBSERVED = ROOT / "data" / "observed"
TREATIES = ROOT / "data" / "treaties"

HEAD = """\
process: demo
title: Demo
sources:
  a: "Source A"
outcome: {result: adopted_by_consensus, body: Committee, date: "2024-08-09", source: a}
"""


def iso_by_name() -> dict[str, str]:
    with (ROOT / "data" / "unga" / "unga_countries.csv").open(newline="", encoding="utf-8") as handle:
        return {row["country"]: row["iso2"] for row in csv.DictReader(handle)}


def readme_row(fact: str) -> str:
    text = (TREATIES / "README.md").read_text(encoding="utf-8")
    return re.search(rf"^\| {re.escape(fact)} \| (.*?) \|", text, re.M).group(1)


@pytest.mark.parametrize("name", ["un_cybercrime", "oewg_2021_2025", "budapest"])
def test_shipped_files_load(name):
    """Each shipped observed-outcome file is valid, and its process name is its file name."""
    assert load_observed(OBSERVED / f"{name}.yaml").process == name


def test_un_file_names_only_the_states_the_treaties_readme_names():
    """The UN file's Hanoi decisions are exactly the states data/treaties/README.md names, with the decision it
    gives: the per-state list of Hanoi signatories is held out, so no other state may appear."""
    names = iso_by_name() | {"United States": "US", "United Kingdom": "GB"}
    alias = {"South Korea": "KR"}
    not_signing = [s.strip() for s in readme_row("named in reporting as not signing at Hanoi").split(",")]
    signing = re.match(r"(.*?);", readme_row("named in reporting as signing at Hanoi")).group(1).split(",")
    expected = {alias.get(n, names.get(n)): obs.DecisionKind.not_signed for n in not_signing}
    expected |= {names[n.strip()]: obs.DecisionKind.signed for n in signing}
    assert None not in expected
    un = load_observed(OBSERVED / "un_cybercrime.yaml")
    assert un.decisions_at("opening") == expected
    assert [d.stage for d in un.decisions] == [obs.Stage.opening] * len(expected)
    assert un.opening.signatories.count == 72 and un.opening.first_day.count == 65
    assert un.outcome.date == "2024-12-24" and un.text_agreed.date == "2024-08-09"


def test_budapest_parties_are_the_csv_rows():
    """budapest.yaml's party decisions are data/treaties/budapest_parties_partial.csv, row for row (state and date
    of entry into force), and the states the README names as outside are not parties."""
    with (TREATIES / "budapest_parties_partial.csv").open(newline="", encoding="utf-8") as handle:
        rows = [(r["iso2"], r["entry_into_force"] or None) for r in csv.DictReader(handle)]
    budapest = load_observed(OBSERVED / "budapest.yaml")
    parties = [(d.state, d.date) for d in budapest.decisions if d.decision is obs.DecisionKind.party]
    assert parties == rows
    status = budapest.decisions_at("status")
    assert {s: status[s].value for s in ("RU", "CN", "IN", "ZA", "IE")} == {
        "RU": "not_signed", "CN": "not_signed", "IN": "not_signed", "ZA": "signed_not_party",
        "IE": "signed_not_party"}
    assert [p.count for p in budapest.parties][:5] == [47, 64, 66, 75, 76]


def test_oewg_outcome_is_a_consensus_report_without_binding_obligations():
    """The OEWG file records the 11 Jul 2025 consensus report, not binding, and the US dissociating."""
    oewg = load_observed(OBSERVED / "oewg_2021_2025.yaml")
    assert oewg.outcome.result is obs.Result.adopted_by_consensus and oewg.outcome.binding is False
    assert oewg.outcome.date == "2025-07-11" and oewg.decisions_at("adoption")["US"] is obs.DecisionKind.dissociated


BAD = [
    ("unknown key", HEAD + "outcomes: 3\n", 6, "outcomes", "unknown key (did you mean 'outcome'?)"),
    ("unknown source", HEAD + "events:\n  - {date: \"2020\", event: x, source: b}\n", 7, "events[0].source",
     "unknown source 'b'"),
    ("no such day", HEAD + "events:\n  - {date: \"2023-02-29\", event: x, source: a}\n", 7, "events[0].date",
     "not a day of that month"),
    ("bad date text", HEAD + "parties:\n  - {date: \"Sep 2015\", count: 4, source: a}\n", 7, "parties[0].date",
     "is not a date written YYYY, YYYY-MM or YYYY-MM-DD"),
    ("dates out of order", HEAD + "parties:\n  - {date: \"2016\", count: 4, source: a}\n"
     "  - {date: \"2015-09\", count: 5, source: a}\n", 8, "parties[1].date", "2015-09 is not after the previous "
     "date 2016"),
    ("range upside down", HEAD + "parties:\n  - {date: \"2016\", count: {at_least: 9, at_most: 3}, source: a}\n",
     7, "parties[0].count", "at_most 3 is below at_least 9"),
    ("decision at the wrong stage", HEAD + "decisions:\n  - {state: US, stage: opening, decision: party, "
     "source: a}\n", 7, "decisions[0]", "party is not a decision at stage opening"),
    ("two decisions at one stage", HEAD + "decisions:\n  - {state: US, stage: opening, decision: signed, "
     "source: a}\n  - {state: US, stage: opening, decision: not_signed, source: a}\n", 8, "decisions[1].state",
     "US already has a decision at stage opening (decisions[0], line 7)"),
    ("lower-case state", HEAD + "decisions:\n  - {state: us, stage: opening, decision: signed, source: a}\n", 7,
     "decisions[0].state", "is not allowed here"),
    ("text agreed after the outcome", HEAD + "text_agreed: {result: adopted_by_consensus, body: C, date: "
     "\"2025\", source: a}\n", 5, "outcome.date", "before the text was agreed"),
    ("not a mapping", "- 1\n- 2\n", 1, "", "must be a YAML mapping"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_file_gets_one_error_naming_file_line_and_field(write_yaml, case):
    """Each kind of bad observed-outcome file is refused with an error that names the file, the line and the field
    of the problem, and says what is wrong."""
    _, text, line, field, message = case
    path = write_yaml(text, "observed.yaml")
    with pytest.raises(ObservedError) as caught:
        load_observed(path)
    error = caught.value
    assert (error.source, error.line, error.field) == (str(path), line, field), str(error)
    assert message in error.message
    assert "\n" not in str(error)


def test_missing_file_is_an_observed_error(tmp_path):
    """A path that does not exist is reported as an ObservedError naming it, not a traceback."""
    with pytest.raises(ObservedError, match="no such file"):
        load_observed(tmp_path / "nope.yaml")


def _models(root: type[BaseModel]) -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for info in model.model_fields.values():
            stack = [info.annotation]
            while stack:
                kind = stack.pop()
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    todo.append(kind)
                stack.extend(typing.get_args(kind))
    return seen


def test_every_field_is_documented():
    """docs/observed-format.md names every field of every part of the format, and every allowed value of its
    enumerations."""
    doc = (ROOT / "docs" / "observed-format.md").read_text(encoding="utf-8")
    for model in _models(obs.Observed):
        for name in model.model_fields:
            assert f"`{name}`" in doc, f"{model.__name__}.{name}"
    for enum in (obs.Result, obs.Stage, obs.DecisionKind):
        for member in enum:
            assert f"`{member.value}`" in doc, member
    for rule in typing.get_args(obs.DecisionRule.model_fields["rule"].annotation):
        assert f"`{rule}`" in doc, rule


def test_joined_at_gives_binary_facts_for_named_states_only():
    """joined_at turns the named decisions into 0/1 facts (signed or party or joining the consensus, with or
    without a dissociation, is 1) and leaves unnamed states out rather than counting them as 0."""
    un = load_observed(OBSERVED / "un_cybercrime.yaml")
    hanoi = un.joined_at("opening")
    assert hanoi["AU"] == 1 and hanoi["GB"] == 1 and hanoi["US"] == 0 and len(hanoi) == 10
    budapest = load_observed(OBSERVED / "budapest.yaml").joined_at("status")
    assert budapest["FR"] == 1 and budapest["ZA"] == 0 and budapest["RU"] == 0 and "DE" in budapest
    assert "SE" not in budapest  # Sweden is past the letter M of the partial source: unknown, not outside
    assert load_observed(OBSERVED / "oewg_2021_2025.yaml").joined_at("adoption") == {"US": 1, "RU": 1}


def test_an_unquoted_date_reads_as_the_same_date(tmp_path):
    """Scenario and observed files are read by YAML 1.2 rules, so 2020-01-02 without quotes is the text of a date,
    exactly as "2020-01-02" is."""
    quoted = tmp_path / "quoted.yaml"
    bare = tmp_path / "bare.yaml"
    quoted.write_text(HEAD + 'events:\n  - {date: "2020-01-02", event: x, source: a}\n', encoding="utf-8")
    bare.write_text(HEAD + "events:\n  - {date: 2020-01-02, event: x, source: a}\n", encoding="utf-8")
    assert obs.load_observed(quoted).events == obs.load_observed(bare).events
