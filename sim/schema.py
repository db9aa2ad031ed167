"""The scenario format: one typed, frozen description of a negotiation.

This module is the only place where defaults live. The YAML loader, the CLI, the sweeps and the dashboard all read
them from here (``Scenario.model_fields`` or a validated ``Scenario``), never from a second copy.

Cross-references between sections (a coalition naming a state, a tier naming a dimension) are checked in
``sim.loader`` after these models have validated, because only there do we know the line each field came from.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

DEFAULT_DIMENSIONS = (
    ("attribution_transparency", "attribution kept national and confidential", "attribution shared and public"),
    ("data_sovereignty", "open cross-border data access and flows", "data kept under national control"),
    ("enforcement", "voluntary, political commitments", "binding obligations with sanctions"),
)

CHAIR_MODES = ("compromise", "rotation", "best_supported")
DECISION_RULES = ("consensus", "majority_count", "majority_capability", "plurilateral")
CAPABILITY_RANGE = (1e-6, 1e9)


def _unit(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{value!r} is not between 0 and 1")
    return value


def _signed_unit(value: float) -> float:
    if not -1.0 <= value <= 1.0:
        raise ValueError(f"{value!r} is not between -1 and 1")
    return value


def _at_most_half(value: float) -> float:
    if value > 0.5:
        raise ValueError(f"{value!r} is above 0.5 (larger steps would overshoot)")
    return value


def _non_negative(value: float) -> float:
    if value < 0:
        raise ValueError(f"{value!r} is negative")
    return value


def _positive(value: float) -> float:
    if not value > 0:
        raise ValueError(f"{value!r} is not greater than 0")
    return value


def _iso_date(value: str) -> str:
    import datetime

    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date written YYYY-MM-DD") from None
    return value


def finite(value: float) -> float:
    """Refuse NaN and infinities (YAML reads .nan and .inf as numbers)."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number")
    return value


def _usable_capability(value: float) -> float:
    if not CAPABILITY_RANGE[0] <= value <= CAPABILITY_RANGE[1]:
        raise ValueError(f"{value!r} is outside {CAPABILITY_RANGE[0]:g} to {CAPABILITY_RANGE[1]:g}: only ratios "
                         f"between states matter, so scale every capability into this range (values beyond it "
                         f"overflow or underflow the model's arithmetic)")
    return value


# Strict: a number is a YAML int or float, never a boolean (true is not 1) nor text ("0.5"); ints are taken where
# floats are meant.
Number = Annotated[float, Field(strict=True), AfterValidator(finite)]
# Each bound is enforced by its validator (for the message) and stated for the JSON Schema (for editors), so that
# the schema refuses what validate refuses.
Unit = Annotated[Number, AfterValidator(_unit), Field(json_schema_extra={"minimum": 0, "maximum": 1})]
SignedUnit = Annotated[Number, AfterValidator(_signed_unit), Field(json_schema_extra={"minimum": -1, "maximum": 1})]
NonNegative = Annotated[Number, AfterValidator(_non_negative), Field(json_schema_extra={"minimum": 0})]
Positive = Annotated[Number, AfterValidator(_positive), Field(json_schema_extra={"exclusiveMinimum": 0})]
Capability = Annotated[Number, AfterValidator(_usable_capability),  # its range starts above 0
                       Field(json_schema_extra={"minimum": CAPABILITY_RANGE[0], "maximum": CAPABILITY_RANGE[1]})]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
StateId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=32)]


class Strict(BaseModel):
    """Frozen, and refuses keys it does not know."""

    # strict: booleans and text are refused where numbers are meant, text where booleans are ("no" is not false).
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, validate_default=True)


class Dimension(Strict):
    name: Name = Field(description="Identifier used as a key in ideals, saliences, red lines and tiers.")
    label: str = Field("", description="Human-readable name (defaults to the name).")
    low: str = Field("", description="What a value of 0 means on this dimension.")
    high: str = Field("", description="What a value of 1 means on this dimension.")


def default_dimensions() -> list[Dimension]:
    return [Dimension(name=n, low=lo, high=hi) for n, lo, hi in DEFAULT_DIMENSIONS]


class Bounds(Strict):
    min: Unit | None = Field(None, description="Lowest value the position may take on this dimension.")
    max: Unit | None = Field(None, description="Highest value the position may take on this dimension.")


class Uncertainty(Strict):
    ideal: dict[str, NonNegative] = Field(
        default_factory=dict, description="Standard deviation of the ideal point on each dimension named (e.g. the "
        "standard error of an estimate); the stated ideal is the mean.")
    capability: NonNegative = Field(0.0, description="Standard deviation of capability (drawn log-normal, so it "
                                                     "stays positive, with the stated capability as its mean).")
    flexibility: NonNegative = Field(0.0, description="Standard deviation of flexibility.")
    reservation: NonNegative = Field(0.0, description="Standard deviation of the reservation utility.")
    ratification_difficulty: NonNegative = Field(0.0, description="Standard deviation of the ratification "
                                                                  "difficulty.")


class State(Strict):
    id: StateId = Field(description="Short unique identifier, e.g. an ISO code.")
    name: str = Field("", description="Display name (defaults to the id).")
    ideal: dict[str, Unit] = Field(description="Ideal point: one value in [0, 1] per dimension.")
    salience: dict[str, NonNegative] | None = Field(
        None, description="Weight of each dimension (non-negative, not all zero); normalised to sum 1. "
        "Default: equal weights.")
    capability: Capability = Field(description="Weight in the talks (> 0); only ratios between states matter.")
    flexibility: Unit = Field(0.5, description="How readily the state concedes, in [0, 1].")
    reservation: SignedUnit = Field(
        0.0, description="Utility of no treaty, in [-1, 1]; the state supports a text only if joining beats it.")
    ratification_difficulty: Unit = Field(
        0.3, description="Domestic veto players, in [0, 1]: 0 ratifies easily, 1 never ratifies.")
    opening: dict[str, Unit] | None = Field(
        None, description="Opening bargaining position per dimension (default: the ideal point). "
        "Dimensions left out start at the ideal.")
    red_lines: dict[str, Bounds] = Field(
        default_factory=dict, description="Per dimension, bounds the bargaining position never crosses.")
    at_table: bool = Field(
        True, description="False for a state that only joins the talks through a `join` event.")
    uncertainty: Uncertainty | None = Field(
        None, description="Standard deviations of the state's values: each run draws them once from its seed "
        "(normal, held within each value's range and the state's red lines), so that replicates integrate over the "
        "uncertainty in the inputs. The stated values are the means.")


class Coalition(Strict):
    name: Name = Field(description="Identifier of the coalition.")
    members: list[StateId] = Field(min_length=1, description="States in the coalition at the start.")
    leader: StateId | None = Field(None, description="Leading state (default: the most capable member).")
    cohesion: Unit = Field(0.5, description="Trust among members, in [0, 1]: how strongly they pull together.")


class Relation(Strict):
    source: StateId = Field(description="The state whose trust is set.")
    target: StateId = Field(description="The state it trusts (or distrusts).")
    trust: Unit = Field(description="Trust of source toward target, in [0, 1].")
    mutual: bool = Field(True, description="Also set the trust of target toward source.")


class Core(Strict):
    at_least: dict[str, Unit] = Field(
        default_factory=dict, description="Floors the core text must meet (a single-package treaty puts its deep "
        "provisions here).")
    at_most: dict[str, Unit] = Field(default_factory=dict, description="Ceilings the core text must respect.")
    opening: dict[str, Unit] | None = Field(
        None, description="An opening draft of the core for round 1 (default: the weighted compromise).")


class Tier(Strict):
    name: Name = Field(description="Identifier of the tier.")
    description: str = Field("", description="What the tier's provisions are.")
    at_least: dict[str, Unit] = Field(
        default_factory=dict, description="The tier deepens the core: on these dimensions its text is at least this.")
    at_most: dict[str, Unit] = Field(
        default_factory=dict, description="On these dimensions the tier's text is at most this.")
    entry_threshold: Annotated[int, Field(ge=1)] = Field(
        2, description="Members needed (among core signatories) for the tier to come into being.")


class Treaty(Strict):
    core: Core = Field(default_factory=Core)
    tiers: list[Tier] = Field(default_factory=list, description="Optional provisions states opt into.")
    participation_benefit: NonNegative = Field(
        0.35, description="Value of the treaty to a member if every state at the table were a party; scales with the "
        "share of expected parties, counted as the decision rule counts (states or capability).")
    implementation_cost: NonNegative = Field(
        0.2, description="Cost of implementing a tier's deeper provisions, per unit of depth, for a state of no "
        "capability; falls linearly to 0 for the most capable state.")
    public_good_share: Unit = Field(
        0.0, description="Share of the treaty's value that reaches states that do not join (a public-good "
        "spill-over, so states can free-ride); 0 makes the treaty a club good.")
    norm_externality: Unit = Field(
        0.5, description="Share of a text's loss that its norms impose on states that stay out, while the treaty is "
        "in being; it is why a state may object to a text it would not sign.")


class Fallback(Strict):
    round: Annotated[int, Field(ge=1)] = Field(
        description="If consensus has not adopted the text by this round, the chair puts it to a vote.")
    decision: Literal["majority_count", "majority_capability"] = Field(
        "majority_count", description="The rule of the fallback vote.")
    threshold: Unit = Field(2 / 3, description="Share of those present and voting that must vote yes.")


class Rules(Strict):
    decision: Literal["consensus", "majority_count", "majority_capability", "plurilateral"] = Field(
        "consensus", description="How the core is adopted.")
    threshold: Unit = Field(
        2 / 3, description="Share of engaged states (majority_count) or of their capability (majority_capability, "
        "plurilateral) that must support.")
    min_states: Annotated[int, Field(ge=1)] = Field(
        2, description="plurilateral: number of supporting states needed besides the capability share.")
    ratifications_needed: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Ratifications for entry into force (default: half the states, rounded up).")
    ratification_rate: Unit = Field(
        0.3, description="Chance per round that a signatory with no domestic obstacles and a text at its ideal "
        "ratifies.")
    ratification_tolerance: Positive = Field(
        0.3, description="Distance between text and ideal at which the ratification chance falls by a factor e.")
    ratification_window_months: Positive = Field(
        60, description="Months after adoption within which signatories can ratify; a signatory that has not "
        "ratified by then never does.")
    signature_opens_months: Annotated[int, Field(ge=0, le=600)] = Field(
        0, description="Months from adoption to the opening for signature (the UN convention: agreed in Aug 2024, "
        "opened for signature in Hanoi in Oct 2025, 14). Until then nobody signs or ratifies; the signatories at "
        "the opening are counted then, and the ratification window runs from it.")
    signature_rate: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, description="Chance per round that a state that would sign an open text signs it that round (1: every "
        "such state signs as soon as it can; with signature_keenness above 0, the chance of a state of average "
        "gain). Below 1, signing is spread over the rounds after the opening, as domestic authorisation to sign "
        "takes time: the signatories at the opening are those that sign in its round.")
    signature_keenness: Annotated[float, Field(ge=0, le=5)] = Field(
        0.0, description="With signature_rate below 1, how much a state's gain from the treaty speeds its "
        "signature: a state that would sign does so in a round with chance 1 - (1 - signature_rate)^((g / m)^k), "
        "g its gain over no treaty (0 if it has none: it never signs), m the mean gain of the states that would sign "
        "and k this keenness, so that the keenest sign first (0: every such state alike; 1: a hazard proportional "
        "to the gain).")
    entry_into_force_delay_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        0, description="Days from the ratification that reaches ratifications_needed to entry into force (the UN "
        "convention: 90).")
    fallback: Fallback | None = Field(
        None, description="Under consensus, an optional vote the chair calls when consensus has failed by a round.")
    broad_agreement_share: Unit = Field(
        0.75, description="A treaty in force is an `agreement` if its core members are at least this share of "
        "the states that took part; otherwise a `partial_agreement`.")


class Protocol(Strict):
    activation: Literal["random", "simultaneous"] = Field(
        "random", description="random: agents act one by one in a new random order each phase; simultaneous: all "
        "act on the same snapshot.")
    chair: str = Field(
        "compromise", description="compromise (neutral secretariat), rotation (among coalition leaders), "
        "best_supported (the best-supported of the candidate drafts) or a state id.")
    chair_influence: Unit = Field(0.3, description="How far a chairing state pulls the draft toward its position.")
    max_rounds: Annotated[int, Field(ge=1, le=100_000)] = Field(100, description="Rounds before a time-out.")
    start_date: Annotated[str, AfterValidator(_iso_date)] = Field(
        "2020-01-01", description="Calendar date of round 0 (YYYY-MM-DD); outputs carry dates from it.")
    round_months: Positive = Field(1.0, description="Length of one round in months.")
    deadline_round: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Round at which the negotiating mandate ends: a fallback vote, if any, is held then at the "
        "latest; without adoption the talks end (outcome timeout, reason: the mandate ended).")
    endgame_rounds: Annotated[int, Field(ge=0, le=100_000)] = Field(
        0, description="Rounds before deadline_round in which deadline pressure builds (0 = none).")
    endgame_pressure: NonNegative = Field(
        0.0, description="Extra cost of objecting at the deadline, reached linearly over the endgame rounds: "
        "blocking a text on the eve of the mandate's end costs more.")
    objection_cost: NonNegative = Field(
        0.02, description="Cost to a state of objecting to a text (blocking consensus or voting no).")
    isolation_cost: NonNegative = Field(
        0.05, description="Extra cost of objecting, times the share of the other states that do not object "
        "(standing alone is costly).")
    mandate_cost: NonNegative = Field(
        0.2, description="Extra cost of objecting to a text that the state's own mandate has come all the way to "
        "(times the share of the way from its ideal to the text that its mandate has come).")
    decision_noise: NonNegative = Field(
        0.03, description="Spread of each state's random utility shock to the value of no treaty, drawn once per "
        "run (0 = deterministic decisions).")
    reciprocity: Unit = Field(
        0.5, description="How strictly a state matches the others' concessions toward it (0 = concedes "
        "unconditionally, 1 = tit for tat).")
    stalemate_window: Annotated[int, Field(ge=1)] = Field(
        10, description="Rounds without adoption in which no position moves more than stalemate_epsilon.")
    stalemate_epsilon: Positive = Field(1e-3, description="Movement below which a position counts as still.")
    concession_rate: Annotated[Unit, AfterValidator(_at_most_half), Field(json_schema_extra={"maximum": 0.5})] = Field(
        0.3, description="Step size: the share of its net pull a state moves in one round, in [0, 0.5] (with noise, "
        "each round's step is capped at 0.5 so that no state overshoots).")
    domestic_anchor: Unit = Field(
        0.3, description="Pull of domestic constituencies back toward the ideal point, for inflexible states.")
    concession_noise: NonNegative = Field(
        0.2, description="Log-normal spread of each state's concession step each round (0 = deterministic).")
    defection_distance: Positive = Field(
        0.35, description="A member further than this from its coalition's centre defects.")
    merge_distance: NonNegative = Field(
        0.1, description="Coalitions whose centres come closer than this merge (0 = never).")
    base_trust: Unit = Field(0.0, description="Trust between states with no coalition or relation in common.")
    walkout_patience: Annotated[int, Field(ge=0)] = Field(
        0, description="Failed votes in a row after which a state that would be worse off with the draft than "
        "with no treaty, by more than walkout_margin, walks out (0 = never).")
    walkout_margin: NonNegative = Field(
        0.1, description="How much worse than no treaty the draft must leave a state (judged as if adopted) to "
        "count toward walking out.")
    rounds_after_entry_into_force: Annotated[int, Field(ge=0)] = Field(
        0, description="Rounds the run goes on after entry into force, so that more states can accede and ratify "
        "(still ending at max_rounds).")
    collapse_share: Unit = Field(
        0.5, description="The talks collapse when fewer than this share of the states that took part remain.")


class _Event(Strict):
    round: Annotated[int, Field(ge=1)] = Field(description="Round at whose start the event happens.")


class CyberIncident(_Event):
    type: Literal["cyber_incident"]
    victims: list[StateId] = Field(min_length=1, description="States attacked.")
    accused: list[StateId] = Field(default_factory=list, description="States the attack is attributed to.")
    dimension: Name = Field("attribution_transparency", description="Dimension whose salience rises for victims.")
    severity: Unit = Field(0.5, description="Rise in the victims' salience of the dimension, and cut in their "
                                            "trust toward the accused.")
    shift: Unit = Field(0.1, description="Victims' ideal and position move up by this much on the dimension.")


class GovernmentChange(_Event):
    type: Literal["government_change"]
    state: StateId = Field(description="The state whose government changes.")
    ideal: dict[str, Unit] = Field(default_factory=dict, description="New ideal values (dimensions left out keep "
                                                                     "theirs).")
    salience: dict[str, NonNegative] | None = Field(None, description="New salience values (others kept).")
    flexibility: Unit | None = Field(None, description="New flexibility.")
    reservation: SignedUnit | None = Field(None, description="New reservation utility.")
    reset_position: bool = Field(True, description="The new government starts from its ideal point.")


class Walkout(_Event):
    type: Literal["walkout"]
    state: StateId = Field(description="The state that leaves the talks.")


class Join(_Event):
    type: Literal["join"]
    state: StateId = Field(description="A state with at_table: false that joins the talks.")


class OutsidePressure(_Event):
    type: Literal["outside_pressure"]
    states: list[StateId] | None = Field(None, description="States pressed (default: all).")
    flexibility_boost: Unit = Field(0.2, description="Added to flexibility (capped at 1).")


Event = Annotated[
    Union[CyberIncident, GovernmentChange, Walkout, Join, OutsidePressure],
    Field(discriminator="type"),
]


class Metadata(Strict):
    title: str = Field(description="Shown in summaries, figures and the dashboard.")
    description: str = Field("", description="What the scenario is about.")
    sources: list[str] = Field(default_factory=list, description="Where its numbers come from.")


class Scenario(Strict):
    """A whole negotiation: who negotiates, what they want, and how the talks are run."""

    metadata: Metadata = Field(description="Title, description and sources of the scenario.")
    dimensions: list[Dimension] = Field(
        default_factory=default_dimensions, min_length=1,
        description="The issue space: named dimensions on [0, 1] (default: attribution_transparency, "
        "data_sovereignty, enforcement).")
    states: list[State] = Field(min_length=2, description="The negotiating states.")
    coalitions: list[Coalition] = Field(default_factory=list, description="Initial coalitions (disjoint).")
    relations: list[Relation] = Field(default_factory=list,
                                      description="Trust between pairs of states, overriding coalition trust.")
    treaty: Treaty = Field(default_factory=Treaty, description="The core text and its optional tiers.")
    rules: Rules = Field(default_factory=Rules, description="Decision rule and entry into force.")
    protocol: Protocol = Field(default_factory=Protocol, description="How the talks are run.")
    events: list[Event] = Field(default_factory=list, description="Scheduled shocks.")

    # Convenience views used by the model; computed, not stored.
    @property
    def dimension_names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    @property
    def state_ids(self) -> list[str]:
        return [s.id for s in self.states]

    def ratifications_needed(self) -> int:
        if self.rules.ratifications_needed is not None:
            return self.rules.ratifications_needed
        return (len(self.states) + 1) // 2


def json_schema() -> dict:
    """The JSON Schema of the scenario format, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "treatysim scenario"
    return schema
