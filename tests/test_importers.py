"""Importers: KTAB SMP and expected-utility (BDM) CSV tables become scenarios; bad rows name line and column."""

from __future__ import annotations

import re

import pytest

from sim.cli import ExitCode, main
from sim.importers import CsvError, import_bdm, import_ktab, read_bdm, read_ktab, to_ktab_csv
from sim.loader import load_scenario
from sim.runner import run_once

from .conftest import ROOT

KTAB = ROOT / "data" / "ktab"
EXAMPLES = sorted(p for p in KTAB.glob("*.csv") if not p.name.endswith(".ktab-history.csv"))
NAME = re.compile(r"^[a-z][a-z0-9_]*$")

GOOD_KTAB = """\
Small,"A small test case",2,2,
Actor,Description,Power,Policy Position,Policy Salience,Speed Position,Speed Salience,
AA,First actor,10,20,30,40,50,
BB,Second actor,5,80,60,10,20,
"""


def test_the_shipped_examples_are_the_ones_the_tests_need():
    """data/ktab holds the five KTAB example inputs, the two reference runs and KTAB's licence."""
    assert {p.name for p in EXAMPLES} == {"dummyData_3Dim.csv", "SOE-Pol-Comp.csv", "dummyData_6Dim.csv",
                                          "dummyData-a040.csv", "dummyData-a080.csv"}
    assert (KTAB / "LICENSE-KTAB").is_file()
    assert len(list(KTAB.glob("*.ktab-history.csv"))) == 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_ktab_examples_round_trip_through_the_scenario_file(path, tmp_path):
    """Importing a KTAB example and loading the written YAML gives back every number of the CSV: positions / 100
    as ideal points, saliences / 100, capability as given, names and dimension labels kept."""
    table = read_ktab(path)
    text, _ = import_ktab(path)
    out = tmp_path / "imported.yaml"
    out.write_text(text, encoding="utf-8")
    scenario = load_scenario(out)
    assert [d.label for d in scenario.dimensions] == table.dimensions
    assert all(NAME.match(d.name) for d in scenario.dimensions)
    assert len(scenario.states) == len(table.actors)
    for actor, state in zip(table.actors, scenario.states):
        assert state.id == actor.name and state.capability == pytest.approx(actor.capability, abs=1e-6)
        for d, p, s in zip(scenario.dimension_names, actor.positions, actor.saliences):
            assert state.ideal[d] * 100 == pytest.approx(p, abs=1e-4)
            assert state.salience[d] * 100 == pytest.approx(s, abs=1e-4)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_ktab_examples_round_trip_back_to_ktab_csv(path, tmp_path):
    """CSV -> scenario -> KTAB CSV -> actor table gives the same actors and numbers as the original file."""
    original = read_ktab(path)
    _, scenario = import_ktab(path)
    again = tmp_path / "again.csv"
    again.write_text(to_ktab_csv(scenario), encoding="utf-8")
    copy = read_ktab(again)
    assert [a.name for a in copy.actors] == [a.name for a in original.actors]
    for a, b in zip(original.actors, copy.actors):
        assert b.capability == pytest.approx(a.capability)
        assert b.positions == pytest.approx(a.positions, abs=1e-6)
        assert b.saliences == pytest.approx(a.saliences, abs=1e-6)


def test_dimension_names_are_sanitised_and_labels_keep_the_originals():
    """SOE-Pol-Comp's "Policy Position" becomes policy_position, with the original as its label."""
    _, scenario = import_ktab(KTAB / "SOE-Pol-Comp.csv")
    assert [(d.name, d.label) for d in scenario.dimensions] == [
        ("policy_position", "Policy Position"), ("competitive_position", "Competitive Position")]
    assert scenario.states[0].name == "Xi Jinping"


def test_imported_scenario_runs(tmp_path):
    """An imported KTAB scenario is an ordinary scenario: it runs to an outcome."""
    _, scenario = import_ktab(KTAB / "dummyData_3Dim.csv")
    assert run_once(scenario, seed=0).summary["outcome"]


def test_weight_by_salience_multiplies_capability_by_total_salience(tmp_path):
    """--weight-by-salience gives capability x total salience / 100."""
    path = tmp_path / "small.csv"
    path.write_text(GOOD_KTAB, encoding="utf-8")
    _, plain = import_ktab(path)
    _, weighted = import_ktab(path, weight_by_salience=True)
    assert [s.capability for s in plain.states] == [10, 5]
    assert [s.capability for s in weighted.states] == pytest.approx([10 * 0.8, 5 * 0.8])


def test_bdm_layout_is_rescaled_from_its_scale(tmp_path):
    """The expected-utility layout: one issue; positions mapped from [LOW, HIGH] onto [0, 1]."""
    path = tmp_path / "eu.csv"
    path.write_text("Actor,Capability,Position,Salience\nUSA,90,10,80\nCHN,80,0,90\nIND,40,6.5,50\n",
                    encoding="utf-8")
    _, scenario = import_bdm(path, scale=(0, 10))
    assert scenario.dimension_names == ["position"]
    assert [s.ideal["position"] for s in scenario.states] == pytest.approx([1.0, 0.0, 0.65])
    assert [s.capability for s in scenario.states] == [90, 80, 40]
    with pytest.raises(CsvError, match=r"eu\.csv:2: column 3 \(Position\): position 10 is outside \[0, 5\]"):
        read_bdm(path, scale=(0, 5))


KTAB_CASES = [
    # (what is wrong, file text, line, column)
    ("position not a number", GOOD_KTAB.replace("AA,First actor,10,20", "AA,First actor,10,twenty"), 3, 4),
    ("position above 100", GOOD_KTAB.replace("BB,Second actor,5,80", "BB,Second actor,5,180"), 4, 4),
    ("salience negative", GOOD_KTAB.replace(",40,50,", ",40,-5,"), 3, 7),
    ("saliences add up to more than 100", GOOD_KTAB.replace("80,60,10,20", "80,60,10,50"), 4, 7),
    ("capability zero", GOOD_KTAB.replace("BB,Second actor,5,", "BB,Second actor,0,"), 4, 3),
    ("missing value", GOOD_KTAB.replace("AA,First actor,10,20,30,40,50,", "AA,First actor,10,20,30,40"), 3, 7),
    ("extra value", GOOD_KTAB.replace("BB,Second actor,5,80,60,10,20,", "BB,Second actor,5,80,60,10,20,99"), 4, 8),
    ("duplicate actor", GOOD_KTAB.replace("BB,Second", "AA,Second"), 4, 1),
    ("actor count not a number", GOOD_KTAB.replace(",2,2,", ",two,2,"), 1, 3),
    ("wrong capability header", GOOD_KTAB.replace("Description,Power", "Description,Wealth"), 2, 3),
    ("header too short", GOOD_KTAB.replace(",Speed Salience,", ",,"), 2, 7),
]


@pytest.mark.parametrize("case, text, line, column", KTAB_CASES, ids=[c[0] for c in KTAB_CASES])
def test_bad_ktab_rows_give_their_line_and_column(tmp_path, case, text, line, column):
    """Malformed KTAB input is refused with one error naming the file, the line and the column."""
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CsvError) as info:
        read_ktab(path)
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith(f"{path}:{line}: column {column}")


def test_wrong_actor_count_names_the_line(tmp_path):
    """A file with more actor rows than its first line announces is refused at the first extra row."""
    path = tmp_path / "bad.csv"
    path.write_text(GOOD_KTAB + "CC,Third,1,50,50,50,50,\n", encoding="utf-8")
    with pytest.raises(CsvError, match=r"bad\.csv:5: the first line announces 2 actors but the file has 3"):
        read_ktab(path)


@pytest.mark.parametrize("text, line, column", [
    ("Actor,Power,Position\nA,1,2\n", 1, 4),
    ("Actor,Capability,Position,Salience\nA,1,50,50\nB,1,50\n", 3, 4),
    ("Actor,Capability,Position,Salience\nA,x,50,50\n", 2, 2),
    ("Actor,Capability,Position,Salience\nA,1,50,150\n", 2, 4),
])
def test_bad_bdm_rows_give_their_line_and_column(tmp_path, text, line, column):
    """Malformed expected-utility input is refused with the file, line and column."""
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CsvError) as info:
        read_bdm(path)
    assert (info.value.line, info.value.column) == (line, column)


def test_cli_imports_to_a_new_file_and_refuses_to_overwrite(tmp_path, capsys):
    """`run.py import ktab FILE --out NEW.yaml` writes a loadable scenario; run again, it refuses to overwrite."""
    out = tmp_path / "soe.yaml"
    assert main(["import", "ktab", str(KTAB / "SOE-Pol-Comp.csv"), "--out", str(out)]) == ExitCode.OK
    assert "13 states, 2 dimensions" in capsys.readouterr().out
    first = out.read_bytes()
    assert len(load_scenario(out).states) == 13
    assert main(["import", "ktab", str(KTAB / "dummyData_3Dim.csv"), "--out", str(out)]) == ExitCode.USAGE
    assert "already exists; not overwritten" in capsys.readouterr().err
    assert out.read_bytes() == first


def test_cli_bdm_with_scale_and_bad_input(tmp_path, capsys):
    """`run.py import bdm FILE --scale LOW HIGH` rescales; a bad row exits 3 naming line and column and writes
    nothing."""
    good = tmp_path / "eu.csv"
    good.write_text("Actor,Capability,Position,Salience\nA,3,2,50\nB,1,4,60\n", encoding="utf-8")
    out = tmp_path / "eu.yaml"
    assert main(["import", "bdm", str(good), "--scale", "0", "4", "--out", str(out)]) == ExitCode.OK
    assert [s.ideal["position"] for s in load_scenario(out).states] == [0.5, 1.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("Actor,Capability,Position,Salience\nA,3,2,50\nB,1,four,60\n", encoding="utf-8")
    target = tmp_path / "bad.yaml"
    assert main(["import", "bdm", str(bad), "--out", str(target)]) == ExitCode.INVALID_INPUT
    assert f"{bad}:3: column 3 (Position): position 'four' is not a number" in capsys.readouterr().err
    assert not target.exists()


def test_cli_prints_the_scenario_without_out(capsys):
    """Without --out the scenario YAML goes to standard output."""
    assert main(["import", "ktab", str(KTAB / "dummyData_3Dim.csv")]) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith("# Imported from the KTAB SMP CSV dummyData_3Dim.csv") and "SActor-06" in out
