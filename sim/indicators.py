"""Country indicators for the scenario builders: population, GDP and internet use of the UN member states, read from
data/indicators/un_member_indicators.csv (built by scripts/build_indicators.py; sources and gaps in
data/indicators/README.md). An empty cell means the source has no value: it is read as None, never as zero, so that
a builder must decide, visibly, what to assume in its place."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from sim.datafiles import InputError, csv_rows

__all__ = ["COLUMNS", "DEFAULT_INDICATORS", "CountryIndicators", "apply_overrides", "read_indicators", "uncovered"]

DEFAULT_INDICATORS = Path(__file__).resolve().parents[1] / "data" / "indicators" / "un_member_indicators.csv"
COLUMNS = ("iso2", "country", "source_iso2", "population", "gdp_usd", "gdp_year", "gdp_2020_current_usd",
           "internet_users_pct", "internet_year")
_CODE = re.compile(r"[A-Z]{2}")
_YEARS = (1960, 2030)


@dataclass(frozen=True)
class CountryIndicators:
    """One state's row. gdp_usd is in constant 2015 US$ of gdp_year; gdp_2020_current_usd in current US$ of 2020;
    internet_users_pct in [0, 100], from the Factbook edition of internet_year; None where the source has none."""
    iso2: str
    country: str
    source_iso2: str
    population: int
    gdp_usd: float | None
    gdp_year: int | None
    gdp_2020_current_usd: float | None
    internet_users_pct: float | None
    internet_year: int | None


def _number(path, line, column, text, *, high=math.inf, zero=False, integer=False):
    """A finite positive number (or zero, if allowed) of at most `high`, or None for an empty cell."""
    if text == "":
        return None
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise InputError(path, line, column, f"{text!r} is not {kind}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero) or value > high:
        low = "0" if zero else "above 0"
        span = f"{low} to {high:g}" if high != math.inf else low
        raise InputError(path, line, column, f"{text!r} is out of range ({span})")
    return value


def _year(path, line, column, text):
    if text == "":
        return None
    if not re.fullmatch(r"\d{4}", text) or not _YEARS[0] <= int(text) <= _YEARS[1]:
        raise InputError(path, line, column, f"{text!r} is not a year in {_YEARS[0]}-{_YEARS[1]}")
    return int(text)


# Column -> parser of one cell (None for an empty one).
_PARSERS = {
    "population": lambda p, n, c, t: _number(p, n, c, t, integer=True),
    "gdp_usd": _number,
    "gdp_year": _year,
    "gdp_2020_current_usd": _number,
    "internet_users_pct": lambda p, n, c, t: _number(p, n, c, t, high=100.0, zero=True),
    "internet_year": _year,
}
_PAIRS = (("gdp_usd", "gdp_year"), ("internet_users_pct", "internet_year"))


def _check(path, line, state: CountryIndicators) -> CountryIndicators:
    """The rules that span columns: a population in every row; a value and its year together or not at all."""
    if state.population is None:
        raise InputError(path, line, "population", "empty (every state needs a population)")
    for value, year in _PAIRS:
        if (getattr(state, value) is None) != (getattr(state, year) is None):
            present, absent = (value, year) if getattr(state, year) is None else (year, value)
            raise InputError(path, line, absent, f"empty while {present} is {getattr(state, present)!r}")
    return state


def read_indicators(path: Path = DEFAULT_INDICATORS) -> dict[str, CountryIndicators]:
    """The rows by ISO code, in file order. Errors name file, line and column: a code that is not two capital
    letters or repeats, a number that is not one or is out of range, a value without its year or a year without
    its value, and a missing population (every row must have one)."""
    path = Path(path)
    table: dict[str, CountryIndicators] = {}
    for line, row in csv_rows(path, COLUMNS):
        for column in ("iso2", "source_iso2"):
            if not _CODE.fullmatch(row[column]):
                raise InputError(path, line, column, f"{row[column]!r} is not a two-letter ISO code")
        if row["iso2"] in table:
            raise InputError(path, line, "iso2", f"{row['iso2']} appears twice")
        if not row["country"]:
            raise InputError(path, line, "country", "empty")
        values = {column: parse(path, line, column, row[column]) for column, parse in _PARSERS.items()}
        table[row["iso2"]] = _check(path, line, CountryIndicators(
            iso2=row["iso2"], country=row["country"], source_iso2=row["source_iso2"], **values))
    return table


def apply_overrides(table: dict[str, CountryIndicators], path: Path) -> dict[str, CountryIndicators]:
    """A copy of the table in which the cells of an override file replace the sourced values. The file has the
    column iso2 and any of the value columns; an empty cell keeps the sourced value. A state's year must be given
    with its value where the source had none (the pair rule is checked after the merge). Errors name the override
    file's line and column: an unknown column or state, a bad value."""
    path = Path(path)
    merged = dict(table)
    for line, row in csv_rows(path, ("iso2",)):
        unknown = [column for column in row if column != "iso2" and column not in _PARSERS]
        if unknown:
            raise InputError(path, 1, unknown[0], f"not a value column (columns: {', '.join(_PARSERS)})")
        if row["iso2"] not in merged:
            raise InputError(path, line, "iso2", f"{row['iso2']!r} has no row in the indicators")
        changes = {column: _PARSERS[column](path, line, column, text) for column, text in row.items()
                   if column != "iso2" and text != ""}
        merged[row["iso2"]] = _check(path, line, replace(merged[row["iso2"]], **changes))
    return merged


def uncovered(table: dict[str, CountryIndicators], codes) -> list[str]:
    """The codes (in the order given) that have no row in the table."""
    return [code for code in codes if code not in table]
