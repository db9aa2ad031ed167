"""Calibration targets (sim.targets): observed files and synthetic run results read into the same named facts."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.observed import observed_from_dict
from sim.targets import NO_ADOPTION_MONTHS, define_targets, observed_values, simulated_facts

OBSERVED = {
    "process": "test_talks",
    "title": "Test talks",
    "sources": {"s": "a source"},
    "outcome": {"result": "adopted_without_vote", "body": "Assembly", "date": "2021-06-30", "source": "s"},
    "text_agreed": {"result": "adopted_by_consensus", "body": "Committee", "date": "2021-03-01", "source": "s"},
    "opening": {"date": "2021-09-01", "place": "X", "signatories": {"count": {"at_least": 8, "at_most": 12},
                                                                   "source": "s"}},
    "parties": [{"date": "2021-12", "count": 3, "source": "s"}, {"date": "2023", "count": 40, "source": "s"}],
    "decisions": [
        {"state": "AA", "stage": "opening", "decision": "signed", "source": "s"},
        {"state": "BB", "stage": "opening", "decision": "not_signed", "source": "s"},
        {"state": "ZZ", "stage": "opening", "decision": "signed", "source": "s"},  # not in the scenario
        {"state": "AA", "stage": "status", "decision": "party", "source": "s"},
        {"state": "BB", "stage": "status", "decision": "not_signed", "source": "s"},
        {"state": "CC", "stage": "status", "decision": "signed_not_party", "source": "s"},
    ],
}
IDS = ["AA", "BB", "CC", "DD"]


def _rounds(dates, ratified):
    return pd.DataFrame({"round": range(len(dates)), "date": dates, "ratified": ratified})


def _summary(**changes):
    summary = {"adopted": True, "adopted_date": "2021-05-01", "adopted_by": "consensus",
               "signatories_at_opening": 9, "core_members": ["AA", "CC"], "ratified": ["AA"]}
    summary.update(changes)
    return summary


@pytest.fixture
def targets():
    return {t.name: t for t in define_targets(observed_from_dict(OBSERVED), IDS)}


def test_an_observed_file_gives_every_target_it_defines_with_values_and_scales(targets):
    """Each fact of the file becomes a named target: a range is observed as its midpoint with its half-width as
    the scale (at least a tenth of the count and at least 1), and named states outside the scenario are left out."""
    assert list(targets) == ["adopted", "adopted_without_vote", "adoption_month_offset", "signatories_at_opening",
                             "parties_at_2021_12", "parties_at_2023", "named_states_correct",
                             "named_status_correct"]
    values = observed_values(targets.values())
    assert values["adopted"] == 1 and values["adopted_without_vote"] == 1
    assert values["signatories_at_opening"] == 10 and targets["signatories_at_opening"].scale == 2
    assert targets["parties_at_2023"].scale == 4 and targets["parties_at_2021_12"].scale == 1
    assert targets["adoption_month_offset"].date == "2021-03-01"  # text_agreed comes before the outcome
    assert [s for s, _ in targets["named_states_correct"].decisions] == ["AA", "BB"]


def test_a_run_is_read_into_the_same_names(targets):
    """Adoption by consensus two months after the observed date; counts from the last round on or before each
    date (a partial date is the end of its month or year; the last round carried forward); named states matched
    from the signatories and the ratified."""
    rounds = _rounds(["2021-01-01", "2021-07-01", "2021-12-31", "2022-06-01"], [0, 2, 5, 9])
    facts = simulated_facts(_summary(), rounds, targets.values())
    assert facts["adopted"] == 1 and facts["adopted_without_vote"] == 1
    assert facts["adoption_month_offset"] == pytest.approx(2.0, abs=0.05)
    assert facts["signatories_at_opening"] == 9
    assert facts["parties_at_2021_12"] == 5  # 2021-12-31 is within the month
    assert facts["parties_at_2023"] == 9  # the run ended in 2022: its last count carries forward
    assert facts["named_states_correct"] == 1.0  # AA signed, BB did not
    assert facts["named_status_correct"] == 1.0  # AA party, BB outside, CC signed but not ratified


def test_a_fallback_vote_and_a_run_without_adoption(targets):
    """A text adopted by a fallback vote is not adopted without a vote; a run that adopts nothing gets the
    documented offset penalty, no signatories, and the named signers wrong."""
    voted = simulated_facts(_summary(adopted_by="majority_count"), _rounds(["2021-01-01"], [0]), targets.values())
    assert voted["adopted_without_vote"] == 0
    nothing = simulated_facts(_summary(adopted=False, adopted_date=None, adopted_by=None,
                                       signatories_at_opening=None, core_members=["AA"], ratified=[]),
                              _rounds(["2021-01-01"], [0]), targets.values())
    assert nothing["adopted"] == 0 and nothing["adopted_without_vote"] == 0
    assert nothing["adoption_month_offset"] == NO_ADOPTION_MONTHS
    assert nothing["signatories_at_opening"] == 0
    assert nothing["named_states_correct"] == 0.5  # BB's not signing is matched, AA's signing is not
    assert nothing["parties_at_2021_12"] == 0


def test_a_date_before_the_first_round_counts_nothing_and_earlier_adoption_is_negative(targets):
    """Before the talks began nothing is ratified; adopting before the observed date gives a negative offset."""
    rounds = _rounds(["2022-01-01", "2022-03-01"], [4, 6])
    facts = simulated_facts(_summary(adopted_date="2020-03-01"), rounds, targets.values())
    assert facts["parties_at_2021_12"] == 0
    assert facts["adoption_month_offset"] == pytest.approx(-12.0, abs=0.05)


def test_manner_unknown_or_not_adopted_defines_fewer_targets():
    """An outcome whose manner is not recorded defines no adopted_without_vote; one that was not adopted defines
    no offset; a file without dates, opening, counts or named states defines only `adopted`."""
    bare = {k: v for k, v in OBSERVED.items() if k in ("process", "title", "sources")}
    unknown = define_targets(observed_from_dict({**bare, "outcome": {"result": "adopted", "body": "B",
                                                                      "source": "s"}}))
    assert [t.name for t in unknown] == ["adopted"]
    failed = define_targets(observed_from_dict({**bare, "outcome": {"result": "not_adopted", "body": "B",
                                                                     "date": "2020", "source": "s"}}))
    assert [(t.name, t.observed) for t in failed] == [("adopted", 0.0)]


def test_the_target_check_runs_the_shipped_scenarios(capsys):
    """scripts/check_targets.py --shipped runs each shipped real scenario --draws times and prints every target
    with its count of runs; posterior folders and --shipped cannot be mixed; --set fixes a field in every run."""
    from pathlib import Path

    from .conftest import script_module

    script = Path(__file__).resolve().parents[1] / "scripts" / "check_targets.py"
    with script_module(script) as module:
        assert module.main(["--shipped", "--draws", "2", "--seed", "3"]) == 0
        table = capsys.readouterr().out.splitlines()
        assert "over 2 seeds of each shipped scenario (seed 3)" in table[0]
        rows = {line.split(" | ")[0].lstrip("| "): line for line in table[2:]}
        assert len(rows) == 9 and all("of 2" in rows[name] for name in (
            "UN: adopted without a vote", "OEWG: a consensus report", "Budapest: Russia and China outside, by preference"))
        with pytest.raises(SystemExit) as stop:
            module.main(["--shipped", "--un", "somewhere"])
        assert stop.value.code == 2
        # --set fixes a field in every run; a field the format does not have is one clear error
        assert module.main(["--shipped", "--draws", "1", "--set", "rules.signature_keenness=1"]) == 0
        capsys.readouterr()
        assert module.main(["--shipped", "--draws", "1", "--set", "rules.signature_eagerness=1"]) == 3
        assert "signature_eagerness" in capsys.readouterr().err
