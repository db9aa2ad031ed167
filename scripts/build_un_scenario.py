"""Build scenarios/un_cybercrime.yaml from the UN General Assembly cyber votes in data/unga.

    python3 scripts/build_un_scenario.py --out scenarios/un_cybercrime.yaml --force
    python3 scripts/build_un_scenario.py --capabilities my_capabilities.csv --out scenarios/un_mine.yaml

Every UN member state that voted on at least one of the six 2018-2019 cyber resolutions becomes a state agent. The
mapping from votes to the scenario is deliberately simple, so that it can be argued with; it is written into the
header of the YAML it produces and into docs/scenarios.md:

    alignment a in [-1, 1]: the mean of two camp scores, each over the votes the state cast in that camp
        Russia-led resolutions (73/27, 73/187, 74/29, 74/247): yes +1, abstain 0, no -1
        US-led resolutions (73/266, 74/28):                     yes -1, abstain 0, no +1
        (a camp in which the state cast no vote is left out of the mean)
    ideal     attribution_transparency = 0.5 - 0.4 a;   data_sovereignty = 0.5 + 0.4 a
              enforcement = 0.5 + 0.2 v, v = +1 yes / 0 abstain or absent / -1 no on 74/247 (the resolution that
              launched negotiations for a binding UN cybercrime convention)
    salience  attribution_transparency = data_sovereignty = 0.25 + 0.15 |a|;  enforcement = 0.5 - 0.3 |a|
    flexibility = 0.5 - 0.3 |a|
    coalitions  a <= -0.5: us_led (leader US);  a >= 0.5: sovereigntist (leader RU);  cohesion 0.7
    capability  from the capabilities file (default data/un_capabilities.csv: IISS 2021 tiers and G20
                membership); every state not listed there has capability 1

The output is a pure function of the two input files: running the script twice gives the same bytes, and the test
suite checks that the shipped scenario is exactly what the script produces.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.datafiles import InputError, csv_rows as _rows, write_new as _write_new  # noqa: E402
DEFAULT_VOTES = ROOT / "data" / "unga" / "unga_cyber_votes_from_unvotes.csv"
DEFAULT_CAPABILITIES = ROOT / "data" / "un_capabilities.csv"

RUSSIA_LED = ("R/73/27", "R/73/187", "A/RES/74/29", "A/RES/74/247")
US_LED = ("R/73/266", "A/RES/74/28")
LAUNCH = "A/RES/74/247"  # set up the Ad Hoc Committee that drafted the convention
VOTE_SCORE = {"yes": 1, "abstain": 0, "no": -1}
DIMENSIONS = ("attribution_transparency", "data_sovereignty", "enforcement")

US_LED_CUTOFF = -0.5
SOVEREIGNTIST_CUTOFF = 0.5
LEADERS = {"us_led": "US", "sovereigntist": "RU"}
COHESION = 0.7


@dataclass(frozen=True)
class Country:
    iso2: str
    name: str
    votes: dict  # resolution -> "yes" | "no" | "abstain"


# --------------------------------------------------------------------------------------------------- reading --
def read_votes(path: Path) -> list[Country]:
    """Countries and their votes from the long file (one row per country and resolution), in file order."""
    known = set(RUSSIA_LED) | set(US_LED)
    countries: dict[str, Country] = {}
    for line, row in _rows(path, ("resolution", "country", "iso2", "vote")):
        if row["resolution"] not in known:
            raise InputError(path, line, "resolution", f"unknown resolution {row['resolution']!r} "
                                                       f"(known: {', '.join(sorted(known))})")
        if row["vote"] not in VOTE_SCORE:
            raise InputError(path, line, "vote", f"{row['vote']!r} is not yes, no or abstain")
        if not re.fullmatch(r"[A-Z]{2}", row["iso2"]):
            raise InputError(path, line, "iso2", f"{row['iso2']!r} is not a two-letter ISO code")
        country = countries.setdefault(row["iso2"], Country(row["iso2"], row["country"], {}))
        if country.name != row["country"]:
            raise InputError(path, line, "country", f"{row['iso2']} is named both {country.name!r} and "
                                                    f"{row['country']!r}")
        if row["resolution"] in country.votes:
            raise InputError(path, line, "resolution", f"{row['iso2']} votes twice on {row['resolution']}")
        country.votes[row["resolution"]] = row["vote"]
    if not countries:
        raise InputError(path, 0, "", "no votes in the file")
    return sorted(countries.values(), key=lambda c: c.name)


def read_capabilities(path: Path, ids: set[str]) -> dict[str, float]:
    """Capabilities by ISO code from a CSV with columns iso2, capability (and any others, e.g. basis)."""
    out: dict[str, float] = {}
    for line, row in _rows(path, ("iso2", "capability")):
        iso2 = row["iso2"]
        if iso2 not in ids:
            raise InputError(path, line, "iso2", f"{iso2!r} is not a country in the vote data")
        if iso2 in out:
            raise InputError(path, line, "iso2", f"{iso2} is listed twice")
        try:
            value = float(row["capability"])
        except ValueError:
            raise InputError(path, line, "capability", f"{row['capability']!r} is not a number") from None
        if not value > 0 or value != value or value == float("inf"):
            raise InputError(path, line, "capability", f"{row['capability']} is not a positive finite number")
        out[iso2] = value
    return out


# --------------------------------------------------------------------------------------------------- mapping --
def alignment(votes: dict) -> float:
    """-1 (with the US-led camp) to +1 (with the Russia-led camp); each camp's votes weigh half.

    There are four Russia-led and two US-led resolutions: a plain mean over all six would place a state that voted
    yes on everything at +1/3, an artefact of the agenda. Weighting each camp equally places it at 0.
    """
    camps = []
    for resolutions, sign in ((RUSSIA_LED, 1), (US_LED, -1)):
        cast = [sign * VOTE_SCORE[votes[r]] for r in resolutions if r in votes]
        if cast:
            camps.append(sum(cast) / len(cast))
    return sum(camps) / len(camps)


def ideal(a: float, votes: dict) -> dict[str, float]:
    launch = VOTE_SCORE.get(votes.get(LAUNCH, "abstain"), 0)
    return {"attribution_transparency": 0.5 - 0.4 * a, "data_sovereignty": 0.5 + 0.4 * a,
            "enforcement": 0.5 + 0.2 * launch}


def salience(a: float) -> dict[str, float]:
    bloc = 0.25 + 0.15 * abs(a)
    return {"attribution_transparency": bloc, "data_sovereignty": bloc, "enforcement": 1.0 - 2.0 * bloc}


def flexibility(a: float) -> float:
    return 0.5 - 0.3 * abs(a)


def coalition(a: float) -> str | None:
    if a <= US_LED_CUTOFF:
        return "us_led"
    if a >= SOVEREIGNTIST_CUTOFF:
        return "sovereigntist"
    return None


# --------------------------------------------------------------------------------------------------- writing --
def _number(value: float) -> str:
    value = round(float(value), 3) + 0.0  # + 0.0 turns -0.0 into 0.0
    return str(int(value)) if value == int(value) else repr(value)


def _text(text: str) -> str:
    """A YAML scalar for a string: plain when that reads back as the same string, otherwise double-quoted."""
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ._\-]*", text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _display(path: Path) -> str:
    """A path as written into the scenario: relative to the repository, or the bare file name (never a path of the
    machine that built it)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def _flow(mapping: dict) -> str:
    return "{" + ", ".join(f"{k}: {_number(v)}" for k, v in mapping.items()) + "}"


HEADER = """\
# UN Convention against Cybercrime: the Ad Hoc Committee talks, every UN member state that voted on the 2018-2019
# cyber resolutions at the table.
# GENERATED by scripts/build_un_scenario.py from {votes} and {capabilities};
# do not edit by hand: change the script or pass --capabilities FILE, then regenerate.
# The process: General Assembly resolution 74/247 (27 Dec 2019) set up the Ad Hoc Committee; it negotiated by
# consensus; the General Assembly adopted the text without a vote on 24 Dec 2024; the convention enters into force
# after the 40th ratification.
# How the votes become positions (see docs/scenarios.md):
# - alignment a in [-1, 1] = mean of two camp scores, each the mean over the votes the state cast in that camp:
#   Russia-led 73/27, 73/187, 74/29, 74/247: yes +1, abstain 0, no -1; US-led 73/266, 74/28: yes -1, abstain 0,
#   no +1 (a camp with no vote cast is left out). Each camp weighs half, so yes-to-everything is 0.
# - ideal: attribution_transparency = 0.5 - 0.4a; data_sovereignty = 0.5 + 0.4a; enforcement = 0.5 + 0.2v with
#   v = +1 yes, 0 abstain or absent, -1 no on 74/247 (the vote to negotiate a binding UN cybercrime convention).
# - salience: attribution_transparency = data_sovereignty = 0.25 + 0.15|a|; enforcement = 0.5 - 0.3|a|
#   (committed states care most about the bloc divide, swing states about enforcement and cooperation).
# - flexibility = 0.5 - 0.3|a|.
# - coalitions: a <= -0.5 us_led (leader US); a >= 0.5 sovereigntist (leader RU, which tabled the resolutions);
#   cohesion 0.7; the others belong to no coalition.
# - capability is NOT in the vote data. ASSUMPTION: {capabilities} gives 10 / 6 / 3 to the tier 1 / 2 / 3 states
#   of IISS "Cyber Capabilities and National Power" (2021) and 2 to the other G20 members; every other state has 1.
#   Replace it with: python3 scripts/build_un_scenario.py --capabilities FILE --out OUT.yaml
# - reservation, ratification difficulty and every protocol setting not written below take the schema's defaults.
# The comment after each state gives its alignment a.
"""


def build(votes_path: Path, capabilities_path: Path) -> str:
    """The scenario YAML, as text, for these input files."""
    countries = read_votes(votes_path)
    ids = {c.iso2 for c in countries}
    for leader in LEADERS.values():
        if leader not in ids:
            raise InputError(votes_path, 0, "iso2", f"coalition leader {leader} has no votes in the file")
    capability = read_capabilities(capabilities_path, ids)
    members: dict[str, list[str]] = {"us_led": [], "sovereigntist": []}
    lines = [HEADER.format(votes=_display(votes_path), capabilities=_display(capabilities_path))]
    lines.append("""\
metadata:
  title: UN Convention against Cybercrime - Ad Hoc Committee
  description: >
    The global talks that produced the UN Convention against Cybercrime, with every UN member state that voted on
    the 2018-2019 cyber resolutions at the table. Positions come from those roll-call votes; capability is an
    assumption. Consensus rule; the treaty enters into force after 40 ratifications.
  sources:
    - "Voeten, E. United Nations General Assembly Voting Data, Harvard Dataverse, hdl:1902.1/12379, as packaged in the unvotes data set (resolutions 73/27, 73/266, 73/187, 74/28, 74/29, 74/247)"
    - "UN General Assembly resolution 74/247 (27 Dec 2019): Countering the use of information and communications technologies for criminal purposes"
    - "UN General Assembly resolution 79/243 (24 Dec 2024): United Nations Convention against Cybercrime"
    - "IISS, Cyber Capabilities and National Power: A Net Assessment (2021)"

dimensions:
  - {name: attribution_transparency, label: Attribution transparency, low: attribution kept national and confidential, high: attribution shared and public}
  - {name: data_sovereignty, label: Data sovereignty, low: open cross-border data access and flows, high: data kept under national control}
  - {name: enforcement, label: Enforcement, low: voluntary political commitments, high: binding obligations with sanctions}

states:""")
    for c in countries:
        a = alignment(c.votes)
        group = coalition(a)
        if group:
            members[group].append(c.iso2)
        lines.append(
            f"  - {{id: {_text(c.iso2)}, name: {_text(c.name)}, ideal: {_flow(ideal(a, c.votes))}, "
            f"salience: {_flow(salience(a))}, capability: {_number(capability.get(c.iso2, 1.0))}, "
            f"flexibility: {_number(flexibility(a))}}}  # a={a:+.3f}")
    lines.append("\ncoalitions:")
    for name, ids_in in members.items():
        if LEADERS[name] not in ids_in:
            raise InputError(votes_path, 0, "", f"{LEADERS[name]} should lead {name} but its votes place it "
                                                f"outside that coalition")
        lines.append(f"  - name: {name}\n    leader: {LEADERS[name]}\n    cohesion: {_number(COHESION)}")
        lines.append(f"    members: [{', '.join(_text(i) for i in ids_in)}]")
    lines.append("""
# The process as it ran: the Ad Hoc Committee from GA resolution 74/247 (27 Dec 2019), rounds of two months (its
# formal sessions and intersessional consultations), Algeria in the chair, consensus with votes on contested
# provisions at the concluding session (July-Aug 2024, round 27), the mandate ending then (round 28); signatories
# ratify within five years; the convention enters into force 90 days after the 40th ratification (art. 65).
rules:
  decision: consensus
  ratifications_needed: 40
  entry_into_force_delay_days: 90
  fallback: {round: 27, decision: majority_count, threshold: 0.666667}

protocol:
  activation: random
  chair: DZ
  start_date: "2019-12-27"
  round_months: 2
  deadline_round: 28
  max_rounds: 60
""")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=Path, default=DEFAULT_VOTES,
                        help="long vote file: resolution, country, iso2, vote "
                             "(default data/unga/unga_cyber_votes_from_unvotes.csv)")
    parser.add_argument("--capabilities", type=Path, default=DEFAULT_CAPABILITIES,
                        help="CSV with columns iso2, capability (default data/un_capabilities.csv)")
    parser.add_argument("--out", type=Path, help="write the scenario here (default: print it)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = parser.parse_args(argv)
    try:
        text = build(args.votes, args.capabilities)
        if args.out is None:
            sys.stdout.write(text)
        else:
            _write_new(args.out, text, args.force)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
