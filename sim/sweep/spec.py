"""The sweep specification: a YAML file saying which scenario to start from, what to vary and how to sample it.

    name: global-rules
    scenario: ../global_stalemate.yaml      # relative to this file
    set: {protocol.max_rounds: 60}          # fixed changes for every run (same paths as --set)
    uncertainties:                          # what the world might be
      states.USA.flexibility: {low: 0.05, high: 0.5}
    levers:                                 # what negotiators choose
      rules.decision: [consensus, majority_count, plurilateral]
      rules.threshold: {low: 0.5, high: 0.9, steps: 5}
    design: {kind: grid}                    # grid, lhs, sobol or morris (with samples: N)
    replicates: 20
    seed: 2024
    keep: {rounds: false}

Every error names the spec file, the line and the field, like scenario errors do (sim.loader). A varied path is
checked against the base scenario when the spec is loaded, by applying the parameter's first value to it, so a typo
in a path stops the sweep before any run starts. Whether each sampled value is valid is only known per run: a run
whose scenario does not validate is recorded as failed with the reason, and the sweep goes on.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag,
                      ValidationError, model_validator)

from ..schema import finite as _finite
from ..loader import (RawScenario, ScenarioError, apply_override, dump_yaml, load_raw, parse_assignment, parse_yaml,
                      pydantic_message, read_text, validate_raw)
from ..schema import Scenario

__all__ = ["Parameter", "SweepSpec", "load_spec", "quick_spec", "parse_vary", "DESIGN_KINDS"]

DESIGN_KINDS = ("grid", "lhs", "sobol", "morris")
MAX_ROUNDS = 100_000  # as protocol.max_rounds and --rounds
# What one sweep folder may hold, checked before any folder is made: the design table and the done-mask are held in
# memory, and runs.parquet is written in one piece at the end. Larger studies are split into several sweeps.
MAX_POINTS = 1_000_000
MAX_RUNS = 10_000_000
SECTIONS = ("uncertainties", "levers")


# ------------------------------------------------------------------------------------------------ the format --
def _at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError(f"{value} is less than 1 (each design point needs at least one run)")
    return value


def _positive_count(value: int) -> int:
    if value < 1:
        raise ValueError(f"{value} is not a positive count")
    return value


Count = Annotated[int, Field(strict=True), AfterValidator(_positive_count)]
Number = Annotated[Union[int, float], Field(union_mode="left_to_right"), AfterValidator(_finite)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RangeSpec(_Strict):
    """A numeric range: sampled between low and high, or `steps` evenly spaced values (both ends included) in a
    grid."""

    low: Number
    high: Number
    steps: Annotated[Count, Field(le=MAX_POINTS)] | None = Field(
        None, description="Values in a grid design (both ends included).")
    integer: bool | None = Field(None, description="Whole numbers only (default: when the field holds one).")

    @model_validator(mode="after")
    def _not_empty(self) -> "RangeSpec":
        if not self.low < self.high:
            raise ValueError(f"empty range: low {self.low} is not below high {self.high} "
                             f"(to fix a value, use set: or values: [{self.low}])")
        if not math.isfinite(float(self.high) - float(self.low)):
            raise ValueError(f"range too wide: high - low ({self.high} - {self.low}) is not a finite number")
        return self


class ValuesSpec(_Strict):
    """A list of values, tried in turn (a grid) or drawn with equal chance (the samplers)."""

    values: list[Any] = Field(description="The values, any type the field takes (names, numbers, mappings).")

    @model_validator(mode="after")
    def _distinct(self) -> "ValuesSpec":
        if not self.values:
            raise ValueError("empty list of values: give at least one")
        seen: list[str] = []
        for value in self.values:
            key = json.dumps(value, sort_keys=True, default=str)
            if key in seen:
                raise ValueError(f"value {value!r} is given twice")
            seen.append(key)
        return self


def _parameter_kind(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return "<values>"
    if isinstance(value, dict):
        return "<values>" if "values" in value else "<range>"
    if isinstance(value, (ValuesSpec, RangeSpec)):
        return "<values>" if isinstance(value, ValuesSpec) else "<range>"
    return None


def _list_to_values(value: Any) -> Any:
    return {"values": list(value)} if isinstance(value, (list, tuple)) else value


def _not_a_parameter(value: Any) -> Any:
    if not isinstance(value, (list, tuple, dict, ValuesSpec, RangeSpec)):
        raise ValueError(f"expected {{low: .., high: ..}}, {{values: [..]}} or a list of values, got {value!r} "
                         f"(to fix a value for every run, put it under set:)")
    return value


ParameterSpec = Annotated[
    Union[Annotated[RangeSpec, Tag("<range>")], Annotated[ValuesSpec, Tag("<values>")]],
    Discriminator(_parameter_kind),
]


class DesignSpec(_Strict):
    kind: Literal["grid", "lhs", "sobol", "morris"] = Field(
        "grid", description="grid: every combination; lhs: Latin hypercube; sobol: Saltelli/Sobol' sequence for "
        "Sobol indices; morris: Morris trajectories for elementary effects.")
    samples: Annotated[Count, Field(le=MAX_POINTS)] | None = Field(
        None, description="lhs: design points; sobol: base sample N (a power of 2; points = N(D+2), or N(2D+2) "
        "with second_order); morris: trajectories (points = N(D+1)).")
    steps: Annotated[Count, Field(le=MAX_POINTS)] | None = Field(
        None, description="grid: values for every range that gives no steps of its own.")
    levels: Annotated[int, Field(strict=True, ge=2)] = Field(4, description="morris: grid levels per parameter.")
    second_order: bool = Field(False, description="sobol: also sample for second-order indices.")


class KeepSpec(_Strict):
    rounds: bool = Field(False, description="Also store one row per round of every run (rounds/ part files).")
    states: bool = Field(False, description="Also store one row per state per round of every run (large).")


class SweepSpec(_Strict):
    """The whole sweep: base scenario, varied parameters, design, replicates, master seed, what to keep."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=60)] | None = None
    description: str = ""
    scenario: str = Field(description="Base scenario file, relative to the spec file.")
    set: dict[str, Any] = Field(default_factory=dict, description="Fixed changes applied to every run.")
    uncertainties: dict[str, Annotated[ParameterSpec, BeforeValidator(_not_a_parameter)]] = Field(
        default_factory=dict)
    levers: dict[str, Annotated[ParameterSpec, BeforeValidator(_not_a_parameter)]] = Field(default_factory=dict)
    design: DesignSpec = Field(default_factory=DesignSpec)
    replicates: Annotated[int, Field(strict=True, le=MAX_RUNS), AfterValidator(_at_least_one)] = 1
    seed: Annotated[int, Field(strict=True, ge=0)] = 0
    common_random_numbers: bool = Field(
        False, description="true: replicate r of every design point gets the same seed, so that points differ only "
        "by their parameters (common random numbers); false: every run gets a seed of its own.")
    max_rounds: Annotated[Count, Field(le=MAX_ROUNDS)] | None = Field(
        None, description="Rounds before a time-out (default: the scenario's).")
    keep: KeepSpec = Field(default_factory=KeepSpec)
    runs_per_task: Count | None = Field(None, description="Runs sent to a worker at once (default: automatic).")

    @model_validator(mode="before")
    @classmethod
    def _lists_are_values(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for section in SECTIONS:
                if isinstance(data.get(section), dict):
                    data[section] = {k: _list_to_values(v) for k, v in data[section].items()}
        return data


# ------------------------------------------------------------------------------------------- the checked plan --
@dataclass(frozen=True)
class Parameter:
    """One varied field, checked against the base scenario."""

    path: str  # dotted path, as --set takes it
    section: str  # "uncertainties" or "levers"
    kind: str  # "range" or "values"
    low: float | None = None
    high: float | None = None
    steps: int | None = None
    integer: bool = False
    values: tuple = ()
    codec: str = "float"  # how its values are stored in a column: float, int, bool, str or json
    line: int = 0

    def describe(self) -> dict:
        out = {"path": self.path, "section": self.section, "kind": self.kind, "codec": self.codec}
        if self.kind == "range":
            out.update(low=self.low, high=self.high, steps=self.steps, integer=self.integer)
        else:
            out["values"] = list(self.values)
        return out

    @classmethod
    def from_description(cls, data: dict) -> "Parameter":
        data = dict(data)
        if "values" in data:
            data["values"] = tuple(data["values"])
        return cls(**data)

    def grid_values(self, default_steps: int | None) -> list:
        if self.kind == "values":
            return list(self.values)
        steps = self.steps or default_steps
        if self.integer:
            span = int(self.high) - int(self.low) + 1
            if steps > span:
                raise ValueError(f"{steps} steps between {int(self.low)} and {int(self.high)} would repeat whole "
                                 f"numbers; use at most {span}")
            if steps == 1:
                return [int(self.low)]
            return [int(round(self.low + (self.high - self.low) * i / (steps - 1))) for i in range(steps)]
        if steps == 1:
            return [float(self.low)]
        # Rounded to 12 significant digits so that 0.15..0.45 in 3 steps gives 0.3, not 0.30000000000000004;
        # both ends stay exact.
        # low * (1 - t) + high * t rather than low + (high - low) * t: no intermediate can overflow.
        return [float(f"{self.low * (1 - i / (steps - 1)) + self.high * (i / (steps - 1)):.12g}")
                for i in range(steps)]

    def encode(self, value: Any) -> Any:
        """The value as stored in a table column."""
        if self.codec == "json":
            return json.dumps(value, sort_keys=True)
        if self.codec == "float":
            return float(value)
        if self.codec == "int":
            return int(value)
        return value

    def decode(self, stored: Any) -> Any:
        if self.codec == "json":
            return json.loads(stored)
        if self.codec == "float":
            return float(stored)
        if self.codec == "int":
            return int(stored)
        if self.codec == "bool":
            return bool(stored)
        return str(stored)


@dataclass
class SweepPlan:
    """A loaded, checked sweep: everything needed to make the design and run it."""

    spec: SweepSpec
    source: str  # the spec file ("--vary" for the quick form)
    text: str  # the spec as written (saved with the results)
    base: RawScenario  # the base scenario with `set` applied: every run starts from it
    scenario: Scenario  # the base validated
    scenario_source: str
    parameters: list[Parameter] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name or Path(self.source).stem


# -------------------------------------------------------------------------------------------------- loading --
def _field_text(path: tuple) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif "." in str(part):  # a dotted scenario path used as a key: keep it in one piece
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _error(raw: RawScenario, path: tuple, message: str) -> ScenarioError:
    source, line = raw.origin(path)
    return ScenarioError(source, line, _field_text(path), message)


def _names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


_MODELS_AT = {(): SweepSpec, ("design",): DesignSpec, ("keep",): KeepSpec}


def _from_pydantic(raw: RawScenario, exc: ValidationError) -> ScenarioError:
    problems = []
    for error in exc.errors():
        path: tuple = ()
        current: Any = raw.data
        for part in error["loc"]:
            if isinstance(part, str) and part.startswith("<") and part.endswith(">"):
                continue  # the tag of the parameter union, not a place in the file
            if isinstance(part, str) and "[" in part:
                continue  # a validator name
            path += (part,)
            current = current.get(part) if isinstance(current, dict) else (
                current[part] if isinstance(current, list) and isinstance(part, int) and part < len(current)
                else None)
        kind, message = error["type"], error["msg"]
        if kind == "extra_forbidden":
            model = _MODELS_AT.get(path[:-1])
            if model is None and len(path) == 3 and path[0] in SECTIONS:
                model = ValuesSpec if isinstance(current, dict) and "values" in current else RangeSpec
                names = ["values"] if model is ValuesSpec else _names(RangeSpec)
            else:
                names = _names(model) if model else []
            close = difflib.get_close_matches(str(path[-1]), names, n=1)
            message = "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
        elif kind == "string_pattern_mismatch" and path == ("name",):
            message = (f"{current!r} is not allowed: a sweep name is letters, digits, _, . or -, starting with a "
                       f"letter or digit")
        else:
            message = pydantic_message(error, current, path)
        source, line = raw.origin(path)
        # On one line, a misspelt key explains the missing one it was meant to be: report it first.
        rank = 0 if kind == "extra_forbidden" else 1
        problems.append((line, rank, len(path), ScenarioError(source, line, _field_text(path), message)))
    problems.sort(key=lambda item: item[:3])
    first = problems[0][3]
    first.problems = [item[3] for item in problems]  # in the order above: misspelt keys first on a line
    return first


def _value_at(document: Any, dotted: str) -> tuple[bool, Any]:
    """The value a validated scenario holds at a dotted path (list entries by id, name or index)."""
    current = document
    for part in dotted.split("."):
        if isinstance(current, list):
            index = None
            if re.fullmatch(r"[-+]?[0-9]+", part) and -len(current) <= int(part) < len(current):
                index = int(part)
            else:
                for i, item in enumerate(current):
                    if isinstance(item, dict) and part in (item.get("id"), item.get("name")):
                        index = i
                        break
            if index is None:
                return False, None
            current = current[index]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return False, None
    return True, current


def _codec(values: list) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "float"
    if all(isinstance(v, str) for v in values):
        return "str"
    return "json"


def read_spec(path: str | Path) -> tuple[str, dict, dict]:
    """Read a spec file: its text, its data and where each value came from."""
    path = Path(path)
    source = str(path)
    text = read_text(path, "sweep spec")
    data, origins = parse_yaml(text, source)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(source, 1, "", f"a sweep spec must be a YAML mapping, this document is {kind}")
    return text, data, origins


def load_spec(path: str | Path) -> SweepPlan:
    """Load and check a sweep spec file. Raises ScenarioError naming file, line and field."""
    text, data, origins = read_spec(path)
    if "states" in data and "scenario" not in data:
        raise ScenarioError(str(path), 1, "", "this is a scenario file, not a sweep spec: give the parameters to "
                                              "vary with --vary PATH=LO:HI:N (or write a spec, see docs/sweeps.md)")
    raw = RawScenario(data, origins, str(path))
    return _plan(raw, text, Path(path).parent)


def _plan(raw: RawScenario, text: str, folder: Path) -> SweepPlan:
    try:
        spec = SweepSpec.model_validate(raw.data)
    except ValidationError as exc:
        raise _from_pydantic(raw, exc) from None
    scenario_path = Path(spec.scenario)
    if not scenario_path.is_absolute():
        scenario_path = folder / scenario_path
    if not scenario_path.is_file():
        raise _error(raw, ("scenario",), f"no such scenario file: {scenario_path}")
    base = load_raw(scenario_path)  # errors in the scenario itself name the scenario file
    scenario_source = base.source

    # Fixed changes first: their origin is the spec line, so a bad value is reported there.
    claimed: dict[tuple, str] = {}
    wrong: list[ScenarioError] = []
    for dotted, value in spec.set.items():
        try:
            concrete = apply_override(base, dotted, value, raw.origin(("set", dotted)))
        except ScenarioError as exc:
            source, line = raw.origin(("set", dotted))
            named = source == f"--set {dotted}"  # a --set option already names its path
            wrong.append(ScenarioError(source, line, "" if named else f"set[{dotted}]", exc.message))
            continue
        claimed[concrete] = f"set[{dotted}]"
    if wrong:
        raise ScenarioError.collected(wrong)
    scenario = validate_raw(base)  # a bad value under set: is reported at its spec line (its origin)
    document = scenario.model_dump(mode="python")

    parameters: list[Parameter] = []
    for section in SECTIONS:
        for dotted, given in getattr(spec, section).items():
            where = (section, dotted)
            line = raw.origin(where)[1]
            first = given.values[0] if isinstance(given, ValuesSpec) else given.low
            probe = base.copy()
            try:
                concrete = apply_override(probe, dotted, first, raw.origin(where))
            except ScenarioError as exc:
                raise _error(raw, where, exc.message) from None
            if concrete in claimed:
                raise _error(raw, where, f"the same field as {claimed[concrete]}")
            claimed[concrete] = f"{section}[{dotted}]"
            if isinstance(given, ValuesSpec):
                parameters.append(Parameter(dotted, section, "values", values=tuple(given.values),
                                            codec=_codec(given.values), line=line))
                continue
            found, current = _value_at(document, dotted)
            if given.integer is not None:
                integer = given.integer
            elif found and current is not None:
                integer = isinstance(current, int) and not isinstance(current, bool)
            else:
                integer = isinstance(given.low, int) and isinstance(given.high, int)
            if found and isinstance(current, (str, bool, list, dict)):
                raise _error(raw, where, f"holds {type(current).__name__} values, not numbers: "
                                         f"give values: [...] instead of low/high")
            if integer and not (float(given.low).is_integer() and float(given.high).is_integer()):
                raise _error(raw, where, f"takes whole numbers, but low {given.low} or high {given.high} is not one")
            steps = given.steps or spec.design.steps
            if spec.design.kind == "grid" and steps is None:
                raise _error(raw, where, "a grid needs the number of values: give steps: N here "
                                         "(or design.steps for every range)")
            low = int(given.low) if integer else float(given.low)
            high = int(given.high) if integer else float(given.high)
            parameter = Parameter(dotted, section, "range", low=low, high=high, steps=given.steps, integer=integer,
                                  codec="int" if integer else "float", line=line)
            if spec.design.kind == "grid":
                try:
                    parameter.grid_values(spec.design.steps)
                except ValueError as exc:
                    raise _error(raw, where, str(exc)) from None
            parameters.append(parameter)

    design = spec.design
    if design.kind != "grid":
        if not parameters:
            raise _error(raw, ("design", "kind"), f"a {design.kind} design needs at least one parameter under "
                                                  f"uncertainties or levers")
        if design.samples is None:
            raise _error(raw, ("design",), f"a {design.kind} design needs samples: N")
        if design.kind == "sobol" and design.samples & (design.samples - 1):
            lower = 1 << (design.samples.bit_length() - 1)
            raise _error(raw, ("design", "samples"), f"{design.samples} is not a power of 2, which Sobol' "
                                                     f"sequences need (e.g. {lower} or {lower * 2})")
    points = design_points(spec, parameters)
    if points > MAX_POINTS:
        raise _error(raw, ("design",) if design.kind != "grid" else (), f"the design has {points:,} points, more "
                     f"than the {MAX_POINTS:,} one sweep may hold: use fewer values or samples, or split the sweep")
    if points * spec.replicates > MAX_RUNS:
        raise _error(raw, ("replicates",), f"{points:,} points x {spec.replicates:,} replicates = "
                     f"{points * spec.replicates:,} runs, more than the {MAX_RUNS:,} one sweep may hold: split it "
                     f"into several sweeps (with other seeds)")
    return SweepPlan(spec=spec, source=raw.source, text=text, base=base, scenario=scenario,
                     scenario_source=scenario_source, parameters=parameters)


def design_points(spec: SweepSpec, parameters: list[Parameter]) -> int:
    """The number of design points the spec makes, counted without making them."""
    design, n = spec.design, len(parameters)
    if design.kind == "grid":
        points = 1
        for p in parameters:
            points *= len(p.values) if p.kind == "values" else (p.steps or design.steps or 1)
        return points
    if design.kind == "lhs":
        return design.samples
    if design.kind == "sobol":
        return design.samples * ((2 * n + 2) if design.second_order else (n + 2))
    return design.samples * (n + 1)


# ------------------------------------------------------------------------------------------------ quick form --
def parse_vary(text: str, flag: str = "--vary") -> tuple[str, dict | list]:
    """`PATH=LO:HI:N` (a range with N grid values), `PATH=LO:HI` (a range for the samplers) or `PATH=a,b,c`."""
    if "=" not in text:
        raise ScenarioError(flag, 0, text, "expected PATH=LO:HI:N or PATH=a,b,c, for example "
                                           "rules.threshold=0.5:0.9:5 or rules.decision=consensus,majority_count")
    dotted, _, rest = text.partition("=")
    dotted, rest = dotted.strip(), rest.strip()
    if not rest:
        raise ScenarioError(flag, 0, dotted, "no values after '='")

    def scalar(item: str) -> Any:
        value, _ = parse_yaml(item, f"{flag} {dotted}")
        return value

    if rest.startswith("["):  # a YAML list of values, which may hold mappings: PATH=[{a: 1}, {a: 2}]
        values = scalar(rest)
        if not isinstance(values, list) or not values:
            raise ScenarioError(flag, 0, dotted, f"{rest!r}: expected a YAML list of values such as [a, b] or "
                                                 f"[{{enforcement: 0.5}}, {{enforcement: 0.8}}]")
        return dotted, values
    if ":" in rest and "," not in rest:
        parts = rest.split(":")
        if len(parts) not in (2, 3):
            raise ScenarioError(flag, 0, dotted, f"{rest!r}: expected LO:HI:N, for example 0.5:0.9:5")
        numbers = [scalar(p) for p in parts]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
            raise ScenarioError(flag, 0, dotted, f"{rest!r}: LO, HI and N must be numbers")
        if len(numbers) == 3 and not (isinstance(numbers[2], int) and numbers[2] >= 1):
            raise ScenarioError(flag, 0, dotted, f"N = {parts[2]} is not a positive whole number of values")
        out: dict = {"low": numbers[0], "high": numbers[1]}
        if len(numbers) == 3:
            out["steps"] = numbers[2]
        return dotted, out
    values = [scalar(item.strip()) for item in rest.split(",") if item.strip()]
    if not values:
        raise ScenarioError(flag, 0, dotted, "no values given")
    return dotted, values


def quick_spec(scenario: str | Path, vary: list[str], levers: list[str] = (), *, replicates: int = 1,
               seed: int = 0, overrides: list[str] = (), design: str = "grid", samples: int | None = None,
               max_rounds: int | None = None, keep_rounds: bool = False, name: str | None = None,
               common_random_numbers: bool = False) -> SweepPlan:
    """A sweep from command-line options (`run.py sweep SCENARIO --vary ...`), checked like a spec file."""
    document: dict[str, Any] = {"name": name or f"{Path(scenario).stem}-sweep", "scenario": str(scenario)}
    origins: dict = {(): ("--vary", 0)}
    fixed = {}
    for item in overrides:
        dotted, value = parse_assignment(item)
        fixed[dotted] = value
        origins[("set", dotted)] = (f"--set {dotted}", 0)
    if fixed:
        document["set"] = fixed
    for section, flag, items in (("uncertainties", "--vary", vary), ("levers", "--lever", levers)):
        chosen: dict[str, Any] = {}
        for item in items:
            dotted, given = parse_vary(item, flag)
            if dotted in chosen:
                raise ScenarioError(flag, 0, dotted, "given twice")
            chosen[dotted] = given
            origins[(section, dotted)] = (flag, 0)
        if chosen:
            document[section] = chosen
    document["design"] = {"kind": design}
    origins[("design",)] = ("--design", 0)
    if samples is not None:
        document["design"]["samples"] = samples
        origins[("design", "samples")] = ("--samples", 0)
    document["replicates"] = replicates
    origins[("replicates",)] = ("--replicates", 0)
    document["seed"] = seed
    if common_random_numbers:
        document["common_random_numbers"] = True
    if max_rounds is not None:
        document["max_rounds"] = max_rounds
    if keep_rounds:
        document["keep"] = {"rounds": True}
    raw = RawScenario(copy.deepcopy(document), origins, "--vary")
    # Ranges in the quick form without N are only for the samplers; say which flag to fix.
    for section in SECTIONS:
        for dotted, given in document.get(section, {}).items():
            if design == "grid" and isinstance(given, dict) and "steps" not in given:
                raise ScenarioError("--vary", 0, dotted, "a grid needs the number of values: PATH=LO:HI:N")
    text = ("# made from the command line\n"
            + dump_yaml(document))
    return _plan(raw, text, Path("."))
