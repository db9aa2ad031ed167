"""Load scenario files safely, apply overrides, and report bad input with its file, line and field.

Loading never constructs Python objects from YAML tags: the document is composed into nodes and only the core YAML
types (mappings, sequences, strings, numbers, booleans, null) are built from them. Every value remembers the file and
line it came from, so that a validation error can say `scenarios/x.yaml:14: states[3].ideal.data_sovereignty: 1.7 is
not between 0 and 1`.

A scenario file may extend another one (`extends: base.yaml`) and patch it with `set:`, a mapping from dotted paths
to values, the same paths that `run.py run --set PATH=VALUE` takes.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from .schema import CHAIR_MODES, Scenario

__all__ = [
    "ScenarioError",
    "RawScenario",
    "load_scenario",
    "load_raw",
    "parse_assignment",
    "scenario_from_dict",
    "scenario_hash",
    "scenario_to_yaml",
    "with_overrides",
]

PathKey = tuple  # a path into the raw document: ("states", 3, "ideal", "data_sovereignty")
Origin = tuple[str, int]  # (source, line); line 0 when unknown

MAX_DEPTH = 64
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_SCALAR_BUILDER = yaml.constructor.SafeConstructor()


class ScenarioError(ValueError):
    """A scenario (or an override of one) that cannot be used, with where it went wrong."""

    def __init__(self, source: str, line: int, field: str, message: str):
        self.source = str(source)
        self.line = int(line or 0)
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source if not self.line else f"{self.source}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


def format_path(path: Iterable) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


class RawScenario:
    """A scenario document before validation, with the origin of every value."""

    def __init__(self, data: dict, origins: dict[PathKey, Origin], source: str):
        self.data = data
        self.origins = origins
        self.source = source

    def copy(self) -> "RawScenario":
        return RawScenario(copy.deepcopy(self.data), dict(self.origins), self.source)

    def origin(self, path: PathKey) -> Origin:
        path = tuple(path)
        while path:
            if path in self.origins:
                return self.origins[path]
            path = path[:-1]
        return self.origins.get((), (self.source, 0))

    def error(self, path: PathKey, message: str) -> ScenarioError:
        source, line = self.origin(path)
        return ScenarioError(source, line, format_path(path), message)


# --------------------------------------------------------------------------------------------------------- YAML --


def _yaml_error(source: str, exc: yaml.YAMLError) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else problem
    return ScenarioError(source, line, "", f"not valid YAML: {text}")


def _build(node: yaml.Node, path: PathKey, origins: dict, source: str, stack: tuple) -> Any:
    line = node.start_mark.line + 1
    if len(path) > MAX_DEPTH:
        raise ScenarioError(source, line, format_path(path), f"nested more than {MAX_DEPTH} levels deep")
    if id(node) in stack:
        raise ScenarioError(source, line, format_path(path), "a YAML alias refers to itself")
    if node.tag not in _SAFE_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise ScenarioError(source, line, format_path(path),
                            f"YAML tag {tag} is not allowed (scenario files hold plain data only)")
    if isinstance(node, yaml.ScalarNode):
        try:
            return _SCALAR_BUILDER.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:  # e.g. an int too odd to parse
            raise ScenarioError(source, line, format_path(path), f"bad value: {exc}") from None
    stack = stack + (id(node),)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, child in enumerate(node.value):
            child_path = path + (index,)
            origins[child_path] = (source, child.start_mark.line + 1)
            items.append(_build(child, child_path, origins, source, stack))
        return items
    mapping: dict = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise ScenarioError(source, key_node.start_mark.line + 1, format_path(path),
                                "YAML merge keys (<<) are not allowed")
        key = _build(key_node, path, {}, source, stack)
        key_line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise ScenarioError(source, key_line, format_path(path), f"a key must be a plain name, not {key!r}")
        key = str(key) if not isinstance(key, str) else key
        if key in mapping:
            first = origins.get(path + (key,), (source, 0))[1]
            raise ScenarioError(source, key_line, format_path(path + (key,)),
                                f"duplicate key (first given at line {first})")
        origins[path + (key,)] = (source, key_line)
        mapping[key] = _build(value_node, path + (key,), origins, source, stack)
    return mapping


def parse_yaml(text: str, source: str) -> tuple[Any, dict[PathKey, Origin]]:
    """Parse one YAML document into plain data and a map of where each value came from."""
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        loader = loader_cls(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(source, exc) from None
    origins: dict[PathKey, Origin] = {(): (source, 1)}
    if node is None:
        return None, origins
    try:
        return _build(node, (), origins, source, ()), origins
    except RecursionError:
        raise ScenarioError(source, 0, "", "the document is nested too deeply") from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), 0, "", "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), 0, "", "is a folder, not a scenario file") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), 0, "", f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ScenarioError(str(path), 0, "", exc.strerror or str(exc)) from None


def load_raw(path: str | Path, _seen: tuple = ()) -> RawScenario:
    """Read a scenario file (following `extends`) into a RawScenario, without validating it."""
    path = Path(path)
    source = str(path)
    if path.resolve() in _seen:
        raise ScenarioError(source, 0, "extends", "scenarios extend each other in a circle")
    data, origins = parse_yaml(_read_text(path), source)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(source, 1, "", f"a scenario must be a YAML mapping, this document is {kind}")
    if "extends" not in data:
        if "scenario" in data and "states" not in data:
            raise ScenarioError(source, origins[("scenario",)][1], "scenario",
                                "this looks like a sweep specification, not a scenario: run it with "
                                "`run.py sweep`")
        if "set" in data:
            raise ScenarioError(source, origins[("set",)][1], "set", "`set` is only allowed together with `extends`")
        return RawScenario(data, origins, source)

    base_name = data.pop("extends")
    patches = data.pop("set", None) or {}
    if not isinstance(base_name, str):
        raise ScenarioError(source, origins[("extends",)][1], "extends", "must be the path of a scenario file")
    if not isinstance(patches, dict):
        raise ScenarioError(source, origins[("set",)][1], "set", "must be a mapping from dotted paths to values")
    base_path = path.parent / base_name
    if not base_path.is_file():
        raise ScenarioError(source, origins[("extends",)][1], "extends", f"no such scenario file: {base_path}")
    base = load_raw(base_path, _seen + (path.resolve(),))
    # Top-level sections given in the variant replace the base's; metadata is merged key by key.
    for key, value in data.items():
        if key == "metadata" and isinstance(value, dict) and isinstance(base.data.get("metadata"), dict):
            for meta_key, meta_value in value.items():
                base.data["metadata"][meta_key] = meta_value
                _move_origins(base.origins, ("metadata", meta_key), origins, ("metadata", meta_key))
        else:
            base.data[key] = value
            _move_origins(base.origins, (key,), origins, (key,))
    for dotted, value in patches.items():
        apply_override(base, dotted, value, origins.get(("set", dotted), (source, 0)))
    base.source = source
    return base


def _move_origins(target: dict, target_prefix: PathKey, source_map: dict, source_prefix: PathKey) -> None:
    n = len(target_prefix)
    for key in [k for k in target if k[:n] == target_prefix]:
        del target[key]
    m = len(source_prefix)
    for key, origin in source_map.items():
        if key[:m] == source_prefix:
            target[target_prefix + key[m:]] = origin


# ---------------------------------------------------------------------------------------------------- overrides --


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types an annotation may hold (Annotated, Optional and unions unwrapped)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out = []
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [annotation]


def _child_types(types_here: list[Any], key: Any) -> list[Any] | None:
    """Types of the child `key` of a value that may be any of `types_here`; None if no type allows it."""
    found: list[Any] = []
    for kind in types_here:
        origin = typing.get_origin(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if isinstance(key, str) and key in kind.model_fields:
                found.extend(_unwrap(kind.model_fields[key].annotation))
        elif origin is dict and isinstance(key, str):
            found.extend(_unwrap(typing.get_args(kind)[1]))
        elif origin is list and isinstance(key, int):
            found.extend(_unwrap(typing.get_args(kind)[0]))
        elif kind is Any:
            found.append(Any)
    return found or None


def _field_names(types_here: list[Any]) -> list[str]:
    names: list[str] = []
    for kind in types_here:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names.extend(kind.model_fields)
    return names


def _list_index(items: list, key: str) -> int | None:
    if key.lstrip("-").isdigit():
        index = int(key)
        return index if -len(items) <= index < len(items) else None
    for field in ("id", "name"):  # an id match wins over a display name that happens to be equal
        for index, item in enumerate(items):
            if isinstance(item, dict) and item.get(field) == key:
                return index
    return None


def _resolve(raw: RawScenario, dotted: str, origin: Origin) -> tuple[list, Any, PathKey]:
    """Walk a dotted path; returns (parents, last key, concrete path). Creates absent sections the schema allows."""
    if not isinstance(dotted, str) or not dotted or any(not part for part in dotted.split(".")):
        raise ScenarioError(origin[0], origin[1], str(dotted), "not a dotted path such as rules.threshold")
    parts = dotted.split(".")
    current: Any = raw.data
    types_here: list[Any] = [Scenario]
    path: PathKey = ()
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(current, list):
            index = _list_index(current, part)
            if index is None:
                known = [str(item.get("id") or item.get("name")) for item in current if isinstance(item, dict)]
                hint = _suggest(part, known)
                raise ScenarioError(origin[0], origin[1], dotted,
                                    f"{format_path(path) or 'the scenario'} has no entry {part!r}{hint}")
            key: Any = index if index >= 0 else len(current) + index
        elif isinstance(current, dict):
            key = part
        else:
            raise ScenarioError(origin[0], origin[1], dotted,
                                f"{format_path(path)} is a single value, it has no field {part!r}")
        child_types = _child_types(types_here, key)
        if child_types is None:
            hint = _suggest(part, _field_names(types_here))
            raise ScenarioError(origin[0], origin[1], dotted,
                                f"unknown field {part!r} in {format_path(path) or 'the scenario'}{hint}")
        if last:
            return current, key, path + (key,)
        if isinstance(current, dict) and key not in current:
            if any(isinstance(t, type) and issubclass(t, BaseModel) for t in child_types) or any(
                    typing.get_origin(t) is dict for t in child_types):
                current[key] = {}
            else:
                raise ScenarioError(origin[0], origin[1], dotted, f"{format_path(path + (key,))} is not set")
        current = current[key]
        types_here = child_types
        path = path + (key,)
    raise AssertionError("unreachable")


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def apply_override(raw: RawScenario, dotted: str, value: Any, origin: Origin = ("--set", 0)) -> PathKey:
    """Set the field at a dotted path (list entries are named by id, name or index) to a value, in place."""
    container, key, path = _resolve(raw, dotted, origin)
    container[key] = copy.deepcopy(value)
    _move_origins(raw.origins, path, {(): origin}, ())
    return path


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split `PATH=VALUE` as given to --set; the value is read as YAML (so 0.5, true, [a, b] and names work)."""
    if "=" not in text:
        raise ScenarioError("--set", 0, text, "expected PATH=VALUE, for example rules.threshold=0.67")
    dotted, _, value_text = text.partition("=")
    value, _ = parse_yaml(value_text, f"--set {dotted}") if value_text.strip() else (None, None)
    return dotted.strip(), value


# ---------------------------------------------------------------------------------------------------- validation --

_MESSAGES = {
    "missing": "is required but missing",
    "extra_forbidden": "unknown key",
}


def _pydantic_message(error: dict, raw_value: Any) -> str:
    kind = error["type"]
    message = error["msg"]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    return f"{message[0].lower()}{message[1:]} (got {raw_value!r})"


def _data_path(raw: RawScenario, loc: tuple) -> tuple[PathKey, Any]:
    """Translate a pydantic location into a path in the document (dropping union tags and validator names)."""
    current: Any = raw.data
    path: PathKey = ()
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
            path += (part,)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path += (part,)
        elif isinstance(part, str) and ("[" in part or (isinstance(current, dict) and current.get("type") == part)):
            continue  # a validator name or the tag of a tagged union: not a place in the document
        else:
            path += (part,)  # a missing key: reported under its parent's line
            current = None
    return path, current


def _from_pydantic(raw: RawScenario, exc: ValidationError) -> ScenarioError:
    problems = []
    for error in exc.errors():
        path, value = _data_path(raw, error["loc"])
        message = _pydantic_message(error, value)
        if error["type"] == "extra_forbidden":
            parent_types: list[Any] = [Scenario]
            for key in path[:-1]:
                parent_types = _child_types(parent_types, key) or []
            message += _suggest(str(path[-1]), _field_names(parent_types))
        source, line = raw.origin(path)
        problems.append((line, path, ScenarioError(source, line, format_path(path), message)))
    problems.sort(key=lambda item: (item[0], len(item[1])))
    first = problems[0][2]
    if len(problems) > 1:
        first.message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return first


def _check_dims(raw: RawScenario, path: PathKey, mapping: Mapping | None, dims: list[str], complete: bool) -> None:
    if mapping is None:
        return
    for key in mapping:
        if key not in dims:
            raise raw.error(path + (key,), f"unknown dimension {key!r}{_suggest(key, dims)} "
                                           f"(dimensions: {', '.join(dims)})")
    if complete:
        missing = [d for d in dims if d not in mapping]
        if missing:
            raise raw.error(path, f"missing dimension{'s' if len(missing) > 1 else ''} {', '.join(missing)}")


def _check_state_ref(raw: RawScenario, path: PathKey, state_id: str, ids: Iterable[str]) -> None:
    ids = list(ids)
    if state_id not in ids:
        raise raw.error(path, f"unknown state {state_id!r}{_suggest(state_id, ids)}")


def check_references(scenario: Scenario, raw: RawScenario) -> None:
    """Checks that span sections; each failure names the offending field."""
    dims = scenario.dimension_names
    seen_dims: dict[str, int] = {}
    for i, dim in enumerate(scenario.dimensions):
        if dim.name in seen_dims:
            raise raw.error(("dimensions", i, "name"), f"duplicate dimension {dim.name!r}")
        seen_dims[dim.name] = i

    ids: dict[str, int] = {}
    for i, state in enumerate(scenario.states):
        base = ("states", i)
        if state.id in ids:
            first_line = raw.origin(("states", ids[state.id], "id"))[1]
            raise raw.error(base + ("id",), f"duplicate state id {state.id!r} (first at line {first_line})")
        ids[state.id] = i
        _check_dims(raw, base + ("ideal",), state.ideal, dims, complete=True)
        _check_dims(raw, base + ("salience",), state.salience, dims, complete=False)
        if state.salience is not None and sum(state.salience.get(d, 0.0) for d in dims) <= 0:
            raise raw.error(base + ("salience",), "salience sums to zero: at least one dimension must matter")
        _check_dims(raw, base + ("opening",), state.opening, dims, complete=False)
        _check_dims(raw, base + ("red_lines",), state.red_lines, dims, complete=False)
        for dim, bounds in state.red_lines.items():
            where = base + ("red_lines", dim)
            if bounds.min is not None and bounds.max is not None and bounds.min > bounds.max:
                raise raw.error(where, f"min {bounds.min} is above max {bounds.max}")
            for label, point in (("ideal", state.ideal), ("opening", state.opening or {})):
                if dim in point and not _inside(point[dim], bounds):
                    raise raw.error(base + (label, dim),
                                    f"{point[dim]} lies outside the state's own red line on {dim}")
    present = [s for s in scenario.states if s.at_table]
    if len(present) < 2:
        raise raw.error(("states",), "at least two states must be at the table at the start")

    member_of: dict[str, str] = {}
    names: set[str] = set()
    for i, coalition in enumerate(scenario.coalitions):
        base = ("coalitions", i)
        if coalition.name in names:
            raise raw.error(base + ("name",), f"duplicate coalition {coalition.name!r}")
        names.add(coalition.name)
        for j, member in enumerate(coalition.members):
            _check_state_ref(raw, base + ("members", j), member, ids)
            if member in member_of:
                raise raw.error(base + ("members", j),
                                f"{member} is already a member of coalition {member_of[member]!r}")
            member_of[member] = coalition.name
        if coalition.leader is not None and coalition.leader not in coalition.members:
            raise raw.error(base + ("leader",), f"leader {coalition.leader!r} is not a member of the coalition")

    for i, relation in enumerate(scenario.relations):
        base = ("relations", i)
        _check_state_ref(raw, base + ("source",), relation.source, ids)
        _check_state_ref(raw, base + ("target",), relation.target, ids)
        if relation.source == relation.target:
            raise raw.error(base + ("target",), "a state's trust in itself cannot be set")

    core = scenario.treaty.core
    _check_dims(raw, ("treaty", "core", "at_least"), core.at_least, dims, complete=False)
    _check_dims(raw, ("treaty", "core", "at_most"), core.at_most, dims, complete=False)
    _check_dims(raw, ("treaty", "core", "opening"), core.opening, dims, complete=False)
    _check_floor_ceiling(raw, ("treaty", "core"), core.at_least, core.at_most)
    tier_names: set[str] = set()
    for i, tier in enumerate(scenario.treaty.tiers):
        base = ("treaty", "tiers", i)
        if tier.name in tier_names:
            raise raw.error(base + ("name",), f"duplicate tier {tier.name!r}")
        tier_names.add(tier.name)
        _check_dims(raw, base + ("at_least",), tier.at_least, dims, complete=False)
        _check_dims(raw, base + ("at_most",), tier.at_most, dims, complete=False)
        if not tier.at_least and not tier.at_most:
            raise raw.error(base, "a tier must deepen at least one dimension (give at_least or at_most)")
        _check_floor_ceiling(raw, base, tier.at_least, tier.at_most)
        if tier.entry_threshold > len(scenario.states):
            raise raw.error(base + ("entry_threshold",),
                            f"{tier.entry_threshold} members needed but the scenario has {len(scenario.states)} states")

    n = len(scenario.states)
    rules = scenario.rules
    if rules.ratifications_needed is not None and rules.ratifications_needed > n:
        raise raw.error(("rules", "ratifications_needed"),
                        f"{rules.ratifications_needed} ratifications needed but the scenario has {n} states")
    if rules.decision == "plurilateral" and rules.min_states > n:
        raise raw.error(("rules", "min_states"), f"{rules.min_states} states needed but the scenario has {n}")

    chair = scenario.protocol.chair
    if chair not in CHAIR_MODES and chair not in ids:
        raise raw.error(("protocol", "chair"),
                        f"{chair!r} is neither a chair mode ({', '.join(CHAIR_MODES)}) nor a state id"
                        f"{_suggest(chair, list(CHAIR_MODES) + list(ids))}")

    for i, event in enumerate(scenario.events):
        base = ("events", i)
        for field in ("victims", "accused", "states"):
            for j, state_id in enumerate(getattr(event, field, None) or []):
                _check_state_ref(raw, base + (field, j), state_id, ids)
        if hasattr(event, "state"):
            _check_state_ref(raw, base + ("state",), event.state, ids)
        if event.type == "cyber_incident" and event.dimension not in dims:
            raise raw.error(base + ("dimension",), f"unknown dimension {event.dimension!r}"
                                                   f"{_suggest(event.dimension, dims)}")
        if event.type == "government_change":
            _check_dims(raw, base + ("ideal",), event.ideal, dims, complete=False)
            _check_dims(raw, base + ("salience",), event.salience, dims, complete=False)
            if event.salience is not None:
                state = scenario.states[ids[event.state]]
                before = state.salience if state.salience is not None else {d: 1.0 for d in dims}
                if sum({**{d: before.get(d, 0.0) for d in dims}, **event.salience}.values()) <= 0:
                    raise raw.error(base + ("salience",), "the new salience sums to zero: at least one dimension "
                                                          "must matter")
        if event.type == "join" and scenario.states[ids[event.state]].at_table:
            raise raw.error(base + ("state",),
                            f"{event.state} is at the table from the start (give it at_table: false to join later)")


def _inside(value: float, bounds) -> bool:
    return (bounds.min is None or value >= bounds.min) and (bounds.max is None or value <= bounds.max)


def _check_floor_ceiling(raw: RawScenario, base: PathKey, at_least: Mapping, at_most: Mapping) -> None:
    for dim, floor in at_least.items():
        if dim in at_most and at_most[dim] < floor:
            raise raw.error(base + ("at_most", dim), f"ceiling {at_most[dim]} is below the floor {floor}")


def validate_raw(raw: RawScenario) -> Scenario:
    try:
        scenario = Scenario.model_validate(raw.data)
    except ValidationError as exc:
        raise _from_pydantic(raw, exc) from None
    check_references(scenario, raw)
    return scenario


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | Iterable[str] = ()) -> Scenario:
    """Load, override and validate a scenario file. Raises ScenarioError naming file, line and field."""
    raw = load_raw(path)
    return validate_raw(with_overrides(raw, overrides))


def with_overrides(raw: RawScenario, overrides: Mapping[str, Any] | Iterable[str] = ()) -> RawScenario:
    """A copy of `raw` with overrides applied: a mapping {path: value} or `PATH=VALUE` strings."""
    raw = raw.copy()
    items = overrides.items() if isinstance(overrides, Mapping) else (parse_assignment(t) for t in overrides)
    for dotted, value in items:
        apply_override(raw, dotted, value, ("--set", 0))
    return raw


def scenario_from_dict(data: Mapping, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data (as from YAML); errors name fields but no lines."""
    raw = RawScenario(copy.deepcopy(dict(data)), {(): (source, 0)}, source)
    return validate_raw(raw)


def scenario_document(scenario: Scenario) -> dict:
    return scenario.model_dump(mode="json")


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as run, every default written out, loadable again."""
    return yaml.safe_dump(scenario_document(scenario), sort_keys=False, allow_unicode=True, width=100)


def scenario_hash(scenario: Scenario) -> str:
    canonical = json.dumps(scenario_document(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
