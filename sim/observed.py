"""What happened in a real negotiation, as data: the observed-outcome files under data/observed/.

One YAML file per process records its outcome and adoption date, the signatories at the opening for signature, the
decisions of named states, and counts of parties or ratifications over time; every fact names its source, a key
into the file's `sources`. The format is described in docs/observed-format.md. Calibration takes its targets from
these files and evaluation scores forecasts against them; neither may use anything the file lists as held out.

Loading shares the scenario loader's safe YAML reader, so a bad file gets one error line naming file, line and
field (`data/observed/x.yaml:12: decisions[3].state: ...`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .loader import (
    RawScenario,
    ScenarioError,
    _child_types,
    _data_path,
    _field_names,
    _suggest,
    format_path,
    parse_yaml,
    pydantic_message,
    read_text,
)

__all__ = [
    "Count",
    "CountAt",
    "Decision",
    "DecisionKind",
    "Observed",
    "ObservedError",
    "date_precision",
    "Stage",
    "load_observed",
    "observed_from_dict",
]

ISO2 = r"[A-Z]{2}"
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class ObservedError(ScenarioError):
    """An observed-outcome file that cannot be used, with the file, line and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _partial_date(value: Any) -> str:
    """A date known to the year (`2025`), the month (`2015-09`) or the day (`2024-12-24`). Such dates compare as
    text in time order (`2015-09` < `2015-09-01` < `2016`)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"a date must be written YYYY, YYYY-MM or YYYY-MM-DD in quotes, not {value!r}")
    text = str(value)
    match = _DATE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a date written YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"{text!r} has no month {month}")
    if day is not None and not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
        raise ValueError(f"{text!r} is not a day of that month")
    return text


def date_precision(date: str) -> str:
    """"year", "month" or "day": how much of a partial date is known."""
    return ("year", "month", "day")[date.count("-")]


Date = Annotated[str, BeforeValidator(_partial_date)]


class Range(_Strict):
    """A count known only within bounds ("about 110-119")."""

    at_least: int = Field(ge=0)
    at_most: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if self.at_most < self.at_least:
            raise ValueError(f"at_most {self.at_most} is below at_least {self.at_least}")
        return self


Count = Annotated[int, Field(ge=0)] | Range


class Sourced(_Strict):
    source: str = Field(description="key of the fact's source in `sources`")
    note: str | None = None


class CountFact(Sourced):
    """A number (exact, or a range) with its source."""

    count: Count


class CountAt(CountFact):
    """A count at a date: parties or ratifications over time."""

    date: Date



class Result(str, Enum):
    adopted_by_consensus = "adopted_by_consensus"
    adopted_without_vote = "adopted_without_vote"
    adopted_by_vote = "adopted_by_vote"
    adopted = "adopted"  # adopted, the manner not recorded in the sources
    not_adopted = "not_adopted"


class Adoption(Sourced):
    """A decision on the text by a named body."""

    result: Result
    body: str
    date: Date | None = None
    binding: bool | None = Field(None, description="whether the text creates binding obligations")



class Opening(_Strict):
    """The opening for signature."""

    date: Date
    end: Date | None = Field(None, description="last day of the opening ceremony, if longer than one day")
    place: str
    signatories: CountFact
    first_day: CountFact | None = Field(None, description="signatories on the first day")
    attendance: CountFact | None = Field(None, description="states present")


    @model_validator(mode="after")
    def _end_after_start(self) -> "Opening":
        if self.end is not None and self.end < self.date:
            raise ValueError(f"end {self.end} is before the date {self.date}")
        return self


class EntryIntoForce(Sourced):
    """The rule for entry into force, and when it happened."""

    ratifications_needed: int = Field(ge=1)
    delay_days: int | None = Field(None, ge=0, description="days from the last needed ratification to entry into "
                                                           "force")
    date: Date | None = Field(None, description="date it entered into force, if it has")



class Stage(str, Enum):
    adoption = "adoption"  # at the decision on the text
    opening = "opening"  # at the opening for signature
    status = "status"  # the state's standing status, as of its source (or of `date`)


class DecisionKind(str, Enum):
    joined_consensus = "joined_consensus"
    dissociated = "dissociated"  # let the text pass but dissociated from parts of it
    objected = "objected"
    signed = "signed"
    not_signed = "not_signed"
    party = "party"  # ratified or acceded; `date` is its entry into force for the state
    signed_not_party = "signed_not_party"


ALLOWED = {
    Stage.adoption: {DecisionKind.joined_consensus, DecisionKind.dissociated, DecisionKind.objected},
    Stage.opening: {DecisionKind.signed, DecisionKind.not_signed},
    Stage.status: {DecisionKind.party, DecisionKind.signed_not_party, DecisionKind.not_signed},
}


# What counts as joining, for binary scoring: a dissociating state let the consensus stand (UN practice).
JOINED = {DecisionKind.joined_consensus, DecisionKind.dissociated, DecisionKind.signed, DecisionKind.party}


class Decision(Sourced):
    """One named state's decision at one stage."""

    state: str = Field(pattern=f"^{ISO2}$", description="ISO 3166 two-letter code, as the scenario ids")
    stage: Stage
    decision: DecisionKind
    date: Date | None = None


    @model_validator(mode="after")
    def _fits_stage(self) -> "Decision":
        if self.decision not in ALLOWED[self.stage]:
            allowed = ", ".join(sorted(d.value for d in ALLOWED[self.stage]))
            raise ValueError(f"{self.decision.value} is not a decision at stage {self.stage.value} "
                             f"(allowed: {allowed})")
        return self


class Event(Sourced):
    """A dated step of the process (a mandate, a session, a report), for the record and for timing targets."""

    date: Date
    event: str


class Chair(Sourced):
    state: str = Field(pattern=f"^{ISO2}$")
    since: Date | None = None


class DecisionRule(Sourced):
    """How the negotiating body decided: consensus, or a vote (a majority or two-thirds) when consensus fails."""

    rule: Literal["consensus", "consensus_with_fallback_vote", "majority", "two_thirds", "consensus_of_parties"]


class Observed(_Strict):
    """Everything recorded about one real process."""

    process: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="short name, e.g. un_cybercrime")
    title: str
    sources: dict[str, str] = Field(min_length=1, description="key -> citation")
    held_out: list[str] = Field(default_factory=list, description="facts deliberately not in the file, and why")
    decision_rule: DecisionRule | None = None
    chair: Chair | None = None
    events: list[Event] = Field(default_factory=list, description="dated steps of the process, in time order")
    outcome: Adoption = Field(description="the final decision on the text")
    text_agreed: Adoption | None = Field(None, description="the negotiating body's agreement, if before `outcome`")
    opening: Opening | None = None
    entry_into_force: EntryIntoForce | None = None
    decisions: list[Decision] = Field(default_factory=list)
    parties: list[CountAt] = Field(default_factory=list, description="number of parties over time")
    ratifications: list[CountAt] = Field(default_factory=list, description="number of ratifications over time")

    def decisions_at(self, stage: Stage | str) -> dict[str, DecisionKind]:
        """State -> decision at one stage."""
        stage = Stage(stage)
        return {d.state: d.decision for d in self.decisions if d.stage is stage}

    def joined_at(self, stage: Stage | str) -> dict[str, int]:
        """State -> 1 if it joined at this stage (signed; became a party; joined the consensus or let the text
        pass with a dissociation), else 0: the binary facts that forecasts are scored on. States without a recorded
        decision are absent, never counted as 0."""
        return {state: int(kind in JOINED) for state, kind in self.decisions_at(stage).items()}


# ------------------------------------------------------------------------------------------------- checks --
def _sourced_paths(value: Any, path: tuple) -> list[tuple[tuple, str]]:
    """(path, source key) of every sourced fact inside a validated model."""
    found = []
    if isinstance(value, Sourced):
        found.append((path + ("source",), value.source))
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found.extend(_sourced_paths(getattr(value, name), path + (name,)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_sourced_paths(item, path + (index,)))
    return found


def check_observed(observed: Observed, raw: RawScenario) -> None:
    """Cross-field rules: every source exists; one decision per state and stage; dates in order."""
    for path, key in _sourced_paths(observed, ()):
        if key not in observed.sources:
            raise _error(raw, path, f"unknown source {key!r}{_suggest(key, observed.sources)} "
                                    f"(sources: {', '.join(observed.sources)})")
    seen: dict[tuple[str, Stage], int] = {}
    for index, decision in enumerate(observed.decisions):
        key = (decision.state, decision.stage)
        if key in seen:
            first = raw.origin(("decisions", seen[key]))[1]
            raise _error(raw, ("decisions", index, "state"),
                         f"{decision.state} already has a decision at stage {decision.stage.value} "
                         f"(decisions[{seen[key]}], line {first})")
        seen[key] = index
    for name in ("events", "parties", "ratifications"):
        series = getattr(observed, name)
        for index in range(1, len(series)):
            earlier, later = series[index - 1].date, series[index].date
            # events may share a date; counts at one date would contradict each other
            if later < earlier or (later == earlier and name != "events"):
                raise _error(raw, (name, index, "date"), f"{later} is not after the previous date {earlier}")
    if observed.text_agreed and observed.text_agreed.date and observed.outcome.date:
        if observed.outcome.date < observed.text_agreed.date:
            raise _error(raw, ("outcome", "date"), f"the outcome {observed.outcome.date} is before the text was "
                                                   f"agreed ({observed.text_agreed.date})")


def _error(raw: RawScenario, path: tuple, message: str) -> ObservedError:
    source, line = raw.origin(path)
    return ObservedError(source, line, format_path(path), message)


def _from_pydantic(raw: RawScenario, exc: ValidationError) -> ObservedError:
    """The first problem (by line) of a pydantic error, as one line naming file, line and field."""
    problems = []
    for error in exc.errors():
        path, value = _data_path(raw, error["loc"])
        message = pydantic_message(error, value)
        if error["type"] == "extra_forbidden":
            parent_types: list[Any] = [Observed]
            for key in path[:-1]:
                parent_types = _child_types(parent_types, key) or []
            message += _suggest(str(path[-1]), _field_names(parent_types))
        source, line = raw.origin(path)
        problems.append((line, len(path), ObservedError(source, line, format_path(path), message)))
    problems.sort(key=lambda item: (item[0], item[1]))
    first = problems[0][2]
    if len(problems) > 1:
        first.message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return first


def _validate(raw: RawScenario) -> Observed:
    if not isinstance(raw.data, dict):
        kind = "empty" if raw.data is None else f"a {type(raw.data).__name__}"
        raise ObservedError(raw.source, 1, "", f"an observed-outcome file must be a YAML mapping, this one is {kind}")
    try:
        observed = Observed.model_validate(raw.data)
    except ValidationError as exc:
        raise _from_pydantic(raw, exc) from None
    check_observed(observed, raw)
    return observed


def load_observed(path: str | Path) -> Observed:
    """Read and validate an observed-outcome file. Raises ObservedError naming file, line and field."""
    path = Path(path)
    source = str(path)
    try:
        data, origins = parse_yaml(read_text(path, "observed-outcomes file"), source)
    except ScenarioError as exc:
        message = exc.message
        if "!!timestamp" in message:  # the shared reader allows no YAML dates; say how to write one instead
            message = 'a date must be written in quotes, e.g. "2024-12-24"'
        elif message.startswith("is a folder"):
            message = "is a folder, not an observed-outcome file"
        raise ObservedError(exc.source, exc.line, exc.field, message) from None
    return _validate(RawScenario(data, origins, source))


def observed_from_dict(data: Mapping, source: str = "<observed>") -> Observed:
    """Validate an observed-outcome document given as plain data; errors name fields but no lines."""
    return _validate(RawScenario(dict(data), {(): (source, 0)}, source))
