"""Calibration targets: what happened (an observed-outcome file) and what one run says, as named numbers.

`define_targets(observed, state_ids)` reads an observed file (sim.observed) into targets, each a name, the observed
value and a scale; `simulated_facts(summary, rounds, targets)` turns one run's summary and rounds table
(sim.runner) into the same names. A distance between a run and the record divides each difference by its target's
scale (sim.calibrate), so the scales say how much a miss matters:

| target | observed | simulated | scale |
|---|---|---|---|
| adopted | 1 unless the outcome is `not_adopted` | 1 if the core was adopted | 0.5 |
| adopted_without_vote | 1 for `adopted_by_consensus` or `adopted_without_vote`, 0 for `adopted_by_vote` (of `text_agreed`, else `outcome`; absent when the manner is not recorded or nothing was adopted) | 1 if adopted under the consensus rule (summary `adopted_by`), 0 by a fallback vote, another rule, or no adoption | 0.5 |
| adoption_month_offset | 0 (needs the date of `text_agreed`, else of `outcome`) | months from that date to the run's adoption date (negative: earlier); NO_ADOPTION_MONTHS if the run adopts nothing | 12 |
| signatories_at_opening | `opening.signatories.count` | summary `signatories_at_opening` (0 without adoption) | count |
| parties_at_<date> | each `parties` count | `ratified` in the last round dated on or before the date (the last round carried forward) | count |
| ratifications_at_<date> | each `ratifications` count | as parties_at | count |
| named_states_correct | 1 (every state named at stage `opening` matched) | share of those states whose decision the run matches: signed = a core member at the end (a signatory) | 0.25 |
| named_status_correct | 1 (every state named at stage `status`) | share matched: party = ratified, signed_not_party = signed but not ratified, not_signed = not a signatory | 0.25 |

A count's scale is the larger of the half-width of its range (`{at_least, at_most}`, observed as the midpoint), a
tenth of the observed count, and 1. Named states that the scenario does not hold are left out; a named target with
none left is not defined. A partial date (`2025`, `2015-09`) is read as the end of its year or month for counts
(every round dated within it counts as on or before it) and as its middle for the adoption offset.
"""

from __future__ import annotations

import datetime as _dt
import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from .observed import DecisionKind, Observed, Range, Result, Stage

__all__ = ["Target", "define_targets", "simulated_facts", "observed_values", "NO_ADOPTION_MONTHS",
           "DAYS_PER_MONTH"]

NO_ADOPTION_MONTHS = 120.0  # the offset given to a run that adopts nothing: ten years, ten times the offset's scale
DAYS_PER_MONTH = 365.25 / 12
BINARY_SCALE = 0.5
SHARE_SCALE = 0.25
MONTHS_SCALE = 12.0

_CONSENSUS_RESULTS = {Result.adopted_by_consensus, Result.adopted_without_vote}


@dataclass(frozen=True)
class Target:
    """One named fact: its observed value, the scale of a miss, and what a run is read for."""

    name: str
    kind: str  # adopted | adopted_without_vote | month_offset | signatories | count_at | named
    observed: float
    scale: float
    field: str  # where the observed value comes from, e.g. opening.signatories.count
    date: str | None = None  # the date of an adoption offset or of a count
    decisions: tuple[tuple[str, str], ...] = field(default=())  # (state, decision) for named targets

    def describe(self) -> dict:
        return {"name": self.name, "observed": self.observed, "scale": self.scale, "field": self.field,
                "date": self.date, "states": len(self.decisions) or None}


def _count(value: int | Range) -> tuple[float, float]:
    """Observed value and half-width of a count."""
    if isinstance(value, Range):
        return (value.at_least + value.at_most) / 2.0, (value.at_most - value.at_least) / 2.0
    return float(value), 0.0


def _count_scale(observed: float, half_width: float) -> float:
    return max(half_width, 0.1 * observed, 1.0)


def _end_of(date: str) -> str:
    """The last day of a partial date, as YYYY-MM-DD."""
    parts = date.split("-")
    if len(parts) == 1:
        return f"{parts[0]}-12-31"
    if len(parts) == 2:
        return f"{date}-{calendar.monthrange(int(parts[0]), int(parts[1]))[1]:02d}"
    return date


def _middle_of(date: str) -> _dt.date:
    parts = [int(p) for p in date.split("-")]
    if len(parts) == 1:
        return _dt.date(parts[0], 7, 1)
    if len(parts) == 2:
        return _dt.date(parts[0], parts[1], 15)
    return _dt.date(*parts)


def _slug(date: str) -> str:
    return date.replace("-", "_")


def define_targets(observed: Observed, state_ids: Iterable[str] | None = None) -> list[Target]:
    """Every target the observed file defines, in a fixed order; named states outside `state_ids` (the scenario's
    states, if given) are left out."""
    ids = set(state_ids) if state_ids is not None else None
    out: list[Target] = []
    decision = observed.text_agreed or observed.outcome
    where = "text_agreed" if observed.text_agreed else "outcome"
    adopted = observed.outcome.result is not Result.not_adopted and decision.result is not Result.not_adopted
    out.append(Target("adopted", "adopted", 1.0 if adopted else 0.0, BINARY_SCALE, "outcome.result"))
    if adopted and decision.result is not Result.adopted:
        out.append(Target("adopted_without_vote", "adopted_without_vote",
                          1.0 if decision.result in _CONSENSUS_RESULTS else 0.0, BINARY_SCALE, f"{where}.result"))
    dated = next(((name, a) for name, a in (("text_agreed", observed.text_agreed), ("outcome", observed.outcome))
                  if a is not None and a.date is not None), None)
    if adopted and dated is not None:
        out.append(Target("adoption_month_offset", "month_offset", 0.0, MONTHS_SCALE, f"{dated[0]}.date",
                          date=dated[1].date))
    if observed.opening is not None:
        value, half = _count(observed.opening.signatories.count)
        out.append(Target("signatories_at_opening", "signatories", value, _count_scale(value, half),
                          "opening.signatories.count"))
    for series in ("parties", "ratifications"):
        for index, fact in enumerate(getattr(observed, series)):
            value, half = _count(fact.count)
            out.append(Target(f"{series}_at_{_slug(fact.date)}", "count_at", value, _count_scale(value, half),
                              f"{series}[{index}].count", date=fact.date))
    for stage, name in ((Stage.opening, "named_states_correct"), (Stage.status, "named_status_correct")):
        named = tuple(sorted((state, kind.value) for state, kind in observed.decisions_at(stage).items()
                             if ids is None or state in ids))
        if named:
            out.append(Target(name, "named", 1.0, SHARE_SCALE, f"decisions (stage {stage.value})",
                              decisions=named))
    return out


def observed_values(targets: Iterable[Target]) -> dict[str, float]:
    return {t.name: float(t.observed) for t in targets}


def _months_between(earlier: _dt.date, later: _dt.date) -> float:
    return (later - earlier).days / DAYS_PER_MONTH


def _named_share(decisions: tuple[tuple[str, str], ...], members: set[str], ratified: set[str]) -> float:
    matched = 0
    for state, decision in decisions:
        if decision == DecisionKind.signed.value:
            matched += state in members
        elif decision == DecisionKind.not_signed.value:
            matched += state not in members
        elif decision == DecisionKind.party.value:
            matched += state in ratified
        elif decision == DecisionKind.signed_not_party.value:
            matched += state in members and state not in ratified
    return matched / len(decisions)


def _count_at(rounds: pd.DataFrame, date: str) -> float:
    dates = rounds["date"].astype(str)
    on_or_before = rounds.loc[dates <= _end_of(date), "ratified"]
    return float(on_or_before.iloc[-1]) if len(on_or_before) else 0.0


def simulated_facts(summary: Mapping, rounds: pd.DataFrame, targets: Iterable[Target]) -> dict[str, float]:
    """The value of each target in one run, from its summary and rounds table (sim.runner)."""
    adopted = bool(summary["adopted"])
    members = set(summary["core_members"]) if adopted else set()
    ratified = set(summary["ratified"])
    out: dict[str, float] = {}
    for target in targets:
        if target.kind == "adopted":
            value = float(adopted)
        elif target.kind == "adopted_without_vote":
            value = float(adopted and summary["adopted_by"] == "consensus")
        elif target.kind == "month_offset":
            value = (_months_between(_middle_of(target.date), _dt.date.fromisoformat(summary["adopted_date"]))
                     if adopted and summary.get("adopted_date") else NO_ADOPTION_MONTHS)
        elif target.kind == "signatories":
            value = float(summary["signatories_at_opening"] or 0) if adopted else 0.0
        elif target.kind == "count_at":
            value = _count_at(rounds, target.date)
        elif target.kind == "named":
            value = _named_share(target.decisions, members, ratified)
        else:  # pragma: no cover - define_targets makes no other kind
            raise ValueError(f"unknown target kind {target.kind!r}")
        out[target.name] = float(value)
    return out
