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
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from .messages import describe, printable, shown
from .schema import CHAIR_MODES, Scenario

__all__ = [
    "ScenarioError",
    "RawScenario",
    "load_scenario",
    "load_raw",
    "load_checked",
    "dump_yaml",
    "scenario_warnings",
    "parse_assignment",
    "scenario_from_dict",
    "scenario_hash",
    "scenario_to_yaml",
    "with_overrides",
]

PathKey = tuple  # a path into the raw document: ("states", 3, "ideal", "data_sovereignty")
Origin = tuple[str, int]  # (source, line); line 0 when unknown

MAX_DEPTH = 64
# Bounds on what one document may expand to. Aliases let a few hundred bytes stand for billions of values ("billion
# laughs"), so the expanded size is counted on the composed node graph, in time linear in the text, before anything
# is built. The shipped 193-state scenario has about 6,000 values; a 2,000-state one about 60,000.
MAX_VALUES = 1_000_000  # values (mappings, lists and scalars) once every alias is expanded
MAX_ALIAS_VALUES = 50_000  # of which reached through aliases
MAX_FILE_BYTES = 32 * 1024 * 1024
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


class _CoreLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Plain scalars resolved by the YAML 1.2 core schema, not PyYAML's YAML 1.1 one.

    YAML 1.1 reads `yes`, `no`, `on` and `off` as booleans (so the state id NO becomes false), `0x10`, `2_0` and `1:30`
    (base 60) as whole numbers and `010` as octal 8. The 1.2 core schema keeps all of these text, which the scenario's
    strict types then refuse where a number or a boolean is meant, naming what was given.
    """


_CoreLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+.0123456789")),
):
    _CoreLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)
_DECIMAL = re.compile(r"[-+]?[0-9]+")


class _Dumper(yaml.SafeDumper):
    """Writes what _CoreLoader reads back unchanged.

    Text that the 1.2 core schema would read as a number (`1e5`) is quoted, and text holding a YAML line break that
    a plain or single-quoted scalar would fold (U+0085 NEL, U+2028, U+2029) is written double-quoted, where it is
    escaped.
    """


_Dumper.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeDumper.yaml_implicit_resolvers.items()}
for _first, _resolvers in _CoreLoader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        _Dumper.yaml_implicit_resolvers.setdefault(_first, [])
        if (_tag, _regexp) not in _Dumper.yaml_implicit_resolvers[_first]:
            _Dumper.yaml_implicit_resolvers[_first].append((_tag, _regexp))


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(ch in text for ch in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_yaml(data: Any, width: int = 100) -> str:
    """YAML text that load_raw and parse_yaml read back as the same data."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=width)


class ScenarioError(ValueError):
    """A scenario (or an override of one) that cannot be used, with where it went wrong.

    `problems` holds every problem found in the same document, this one first; str() is one line that names the
    first and counts the others. Echoed text is escaped and shortened (sim.messages), so the line stays one line.
    """

    def __init__(self, source: str, line: int, field: str, message: str):
        self.source = str(source)
        self.line = int(line or 0)
        self.field = field
        self.message = message
        self.problems: list[ScenarioError] = [self]
        super().__init__(self.text())

    def text(self) -> str:
        """This problem alone, on one line: `FILE:LINE: FIELD: MESSAGE`."""
        source = printable(self.source, 200)
        where = source if not self.line else f"{source}:{self.line}"
        message = printable(self.message, 400)
        if not self.field or self.source == f"--set {self.field}":  # the option already names the field
            return f"{where}: {message}"
        return f"{where}: {printable(self.field, 160)}: {message}"

    def __str__(self) -> str:
        more = len(self.problems) - 1
        if more < 1:
            return self.text()
        counted = f"and {more} more problem{'s' if more > 1 else ''}"
        if all(p.from_file() for p in self.problems):
            return f"{self.text()} ({counted}; `validate` lists them all)"
        # `validate` reads files only: problems that come from the command line are named here
        others = "; ".join(p.text() for p in self.problems[1:4])
        if more > 3:
            others += "; ..." + ("; `validate` lists those in files" if any(p.from_file() for p in self.problems[4:])
                                 else "")
        return f"{self.text()} ({counted}: {others})"

    def from_file(self) -> bool:
        """Whether the problem lies in a file (not in an option such as --set)."""
        return not self.source.startswith("--")

    @classmethod
    def collected(cls, problems: list["ScenarioError"]) -> "ScenarioError":
        """One error standing for several: the first, with all of them in `problems`, the options' problems first
        in the order given, then the files', by file and line."""
        order = {id(p): n for n, p in enumerate(problems)}
        problems = sorted(problems, key=lambda p: (1, p.source, p.line, 0) if p.from_file()
                          else (0, "", 0, order[id(p)]))
        first = problems[0]
        first.problems = problems
        first.args = (first.text(),)
        return first


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
        # Problems found before validation that did not stop the reading (a variant's `set:` path that does not
        # exist): validate_raw reports them with the rest.
        self.problems: list[ScenarioError] = []

    def copy(self) -> "RawScenario":
        twin = RawScenario(copy.deepcopy(self.data), dict(self.origins), self.source)
        twin.problems = list(self.problems)
        return twin

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


def _yaml_error(source: str, exc: yaml.YAMLError, text: str) -> ScenarioError:
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow, e.g. a control character
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else 0
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return ScenarioError(source, line, "", f"not valid YAML: the character {printable(char)} (U+{ord(char):04X}) "
                                               f"is not allowed in a YAML file; write it as an escape in a "
                                               f"double-quoted string")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else problem
    return ScenarioError(source, line, "", f"not valid YAML: {text}")


def _expanded_size(root: yaml.Node) -> tuple[int, int, yaml.Node | None]:
    """(values once expanded, distinct nodes, the most expanded aliased node), in time linear in the node graph.

    A node met again is an alias: its size is taken from the memo instead of being walked again. A node still being
    walked when met again is an alias of itself; it counts 0 here and _build refuses it with its own message.
    """
    memo: dict[int, int] = {}
    biggest: tuple[int, yaml.Node | None] = (0, None)
    # An explicit stack rather than recursion: a document nested 100,000 levels deep must not overflow it.
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, children_done = stack.pop()
        key = id(node)
        if not children_done:
            if key in memo:
                if memo[key] > biggest[0]:
                    biggest = (memo[key], node)
                continue
            if isinstance(node, yaml.ScalarNode) or depth > MAX_DEPTH:
                memo[key] = 1
                continue
            memo[key] = 0  # being walked
            stack.append((node, depth, True))
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
            stack.extend((child, depth + 1, False) for child in reversed(children))
            continue
        children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        # A child met twice under this node counts twice: sizes come from the memo, once each child is done.
        total = 1 + sum(memo.get(id(child), 0) for child in children)
        memo[key] = min(total, 10 * MAX_VALUES)  # capped: the exact count of a bomb is of no interest
    return memo.get(id(root), 1), len(memo), biggest[1]


def _check_size(root: yaml.Node, source: str) -> None:
    total, distinct, biggest = _expanded_size(root)
    where = biggest.start_mark.line + 1 if biggest is not None else 1
    if total - distinct > MAX_ALIAS_VALUES:
        raise ScenarioError(source, where, "", f"YAML aliases here expand the document to more than "
                                               f"{MAX_ALIAS_VALUES:,} repeated values (at most {MAX_ALIAS_VALUES:,} "
                                               f"are allowed; write the values out or use fewer aliases)")
    if total > MAX_VALUES:
        raise ScenarioError(source, 1, "", f"the document holds more than {MAX_VALUES:,} values, the most a "
                                           f"scenario or spec may hold")


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.tag == "tag:yaml.org,2002:int":
        # Only decimal digits (ASCII): int() would also take '2_0' and other scripts' digits.
        if not _DECIMAL.fullmatch(node.value):
            raise ValueError(f"{shown(node.value)} is not a whole number")
        return int(node.value)
    return _SCALAR_BUILDER.construct_object(node, deep=True)


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
            return _scalar(node)
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
            raise ScenarioError(source, key_line, format_path(path), f"a key must be a plain name, not {shown(key)}")
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
    try:
        loader = _CoreLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(source, exc, text) from None
    origins: dict[PathKey, Origin] = {(): (source, 1)}
    if node is None:
        return None, origins
    _check_size(node, source)
    try:
        return _build(node, (), origins, source, ()), origins
    except RecursionError:
        raise ScenarioError(source, 0, "", "the document is nested too deeply") from None


def read_text(path: Path, kind: str = "scenario file") -> str:
    """The text of an input file, or a ScenarioError saying why it cannot be read (missing, a folder, too large,
    not UTF-8, a symlink loop, not allowed)."""
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(str(path), 0, "", f"is larger than {MAX_FILE_BYTES // 2**20} MB, the most a {kind} "
                                                  f"may be")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), 0, "", "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), 0, "", f"is a folder, not a {kind}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), 0, "", f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ScenarioError(str(path), 0, "", exc.strerror or str(exc)) from None


_read_text = read_text


def load_raw(path: str | Path, _seen: tuple = ()) -> RawScenario:
    """Read a scenario file (following `extends`) into a RawScenario, without validating it."""
    path = Path(path)
    source = str(path)
    text = _read_text(path)  # first: a missing file or a symlink loop is reported as such
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, on Python before 3.13
        raise ScenarioError(source, 0, "", f"cannot follow the path ({exc})") from None
    if resolved in _seen:
        raise ScenarioError(source, 0, "extends", "scenarios extend each other in a circle")
    data, origins = parse_yaml(text, source)
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
    base = load_raw(base_path, _seen + (resolved,))
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
        try:
            apply_override(base, dotted, value, origins.get(("set", dotted), (source, 0)))
        except ScenarioError as exc:  # kept for validation, which lists it with the document's other problems
            base.problems.append(exc)
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


_ID_INDEX: dict[int, tuple[list, dict]] = {}  # id(list) -> (the list, {entry id: index}); see _list_index


def _list_index(items: list, key: str) -> int | None:
    if _DECIMAL.fullmatch(key):  # ASCII digits only: '²'.isdigit() is true but int('²') fails
        index = int(key)
        return index if -len(items) <= index < len(items) else None
    # Entries named by id are looked up in an index of the list, so that 2,000 overrides of a 2,000-state scenario
    # do not scan the states 2,000 times. A hit is checked against the entry (an override may have changed it);
    # anything else falls back to the scan below, which also finds display names.
    cached = _ID_INDEX.get(id(items))
    if cached is not None and cached[0] is items:
        index = cached[1].get(key)
        if index is not None and index < len(items) and isinstance(items[index], dict) \
                and items[index].get("id") == key:
            return index
    if len(_ID_INDEX) > 64:  # only the lists of the documents being loaded matter
        _ID_INDEX.clear()
    ids: dict = {}
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            ids.setdefault(item["id"], index)
    _ID_INDEX[id(items)] = (items, ids)
    if key in ids:
        return ids[key]
    for field in ("name",):  # an id match wins over a display name that happens to be equal
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


def _paths_under(value: Any, prefix: PathKey) -> Iterable[PathKey]:
    """Every path inside a value (itself included), as origins are keyed."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths_under(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths_under(child, prefix + (index,))


def apply_override(raw: RawScenario, dotted: str, value: Any, origin: Origin = ("--set", 0)) -> PathKey:
    """Set the field at a dotted path (list entries are named by id, name or index) to a value, in place."""
    container, key, path = _resolve(raw, dotted, origin)
    old = container[key] if (isinstance(container, dict) and key in container) or isinstance(container, list) else None
    # The origins of what is replaced are found by walking the old value, not by scanning every origin of the
    # document: 2,000 overrides of a 2,000-state scenario otherwise take time in proportion to their product.
    for inner in _paths_under(old, path):
        raw.origins.pop(inner, None)
    container[key] = copy.deepcopy(value)
    raw.origins[path] = origin
    return path


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split `PATH=VALUE` as given to --set; the value is read as YAML (so 0.5, true, [a, b] and names work)."""
    if "=" not in text:
        raise ScenarioError("--set", 0, text, "expected PATH=VALUE, for example rules.threshold=0.67")
    dotted, _, value_text = text.partition("=")
    value, _ = parse_yaml(value_text, f"--set {dotted}") if value_text.strip() else (None, None)
    return dotted.strip(), value


# ---------------------------------------------------------------------------------------------------- validation --

_NOUNS = {"dimensions": "dimension", "dimension": "dimension", "coalitions": "coalition", "tiers": "tier"}
_PATTERNS = {
    r"^[a-z][a-z0-9_]*$": "{noun} names are lower-case words such as open_net (a letter, then letters, digits or _)",
    r"^[A-Za-z][A-Za-z0-9_\-]*$": "state ids are a letter, then letters, digits, _ or -, such as USA or KOR",
}


def _choices(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a, b, c"."""
    names = re.findall(r"'([^']*)'", expected)
    return ", ".join(names) if names else expected


def pydantic_message(error: dict, value: Any, path: PathKey = ()) -> str:
    """One pydantic error in plain words, naming what was given (shortened and escaped)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, ")
    if kind == "assertion_error":
        return error["msg"].removeprefix("Assertion failed, ")
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in ("float_type", "float_parsing"):
        hint = " (numbers are written in decimal, such as 0.5 or 12, without quotes)" if isinstance(value, str) else ""
        return f"expected a number, got {describe(value)}{hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {describe(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {describe(value)}"
    if kind == "string_type":
        return f"expected text, got {describe(value)}"
    if kind == "string_pattern_mismatch":
        rule = _PATTERNS.get(ctx.get("pattern", ""))
        if rule is None:
            return f"{shown(value)} is not allowed here"
        words = [p for p in path if isinstance(p, str)]
        noun = next((_NOUNS[w] for w in reversed(words) if w in _NOUNS), None)
        text = rule.format(noun=noun) if noun else rule.replace("{noun} names", "names")
        return f"{shown(value)} is not allowed: {text}"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "literal_error":
        return f"{shown(value)} is not one of: {_choices(str(ctx.get('expected', '')))}"
    if kind == "union_tag_invalid":
        noun = "event type" if path[:1] == ("events",) else "type"
        return f"{noun} {shown(ctx.get('tag'))} is not one of: {_choices(str(ctx.get('expected_tags', '')))}"
    if kind == "union_tag_not_found":
        noun = "an event" if path[:1] == ("events",) else "an entry"
        return f"{noun} needs a {_choices(str(ctx.get('discriminator', 'type')))}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value lines), got {describe(value)}"
    if kind == "list_type":
        return f"expected a list, got {describe(value)}"
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"needs at least {n} entr{'y' if n == 1 else 'ies'}, has {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"has more than {ctx.get('max_length')} entries"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"{shown(value)} is below the smallest allowed value, {bound}"
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"{shown(value)} is above the largest allowed value, {bound}"
    message = error["msg"]
    return f"{message[0].lower()}{message[1:]} (got {describe(value)})"


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
        message = pydantic_message(error, value, path)
        if error["type"] == "extra_forbidden":
            parent_types: list[Any] = [Scenario]
            for key in path[:-1]:
                parent_types = _child_types(parent_types, key) or []
            message += _suggest(str(path[-1]), _field_names(parent_types))
        problems.append(raw.error(path, message))
    return ScenarioError.collected(problems)


class _Problems:
    """Collects the problems of one document, so that validate can list them all."""

    def __init__(self, raw: RawScenario):
        self.raw = raw
        self.found: list[ScenarioError] = []

    def add(self, path: PathKey, message: str) -> None:
        self.found.append(self.raw.error(path, message))

    def raise_any(self) -> None:
        if self.found:
            raise ScenarioError.collected(self.found)


def _check_dims(problems: _Problems, path: PathKey, mapping: Mapping | None, dims: list[str],
                complete: bool) -> None:
    if mapping is None:
        return
    for key in mapping:
        if key not in dims:
            problems.add(path + (key,), f"unknown dimension {shown(key)}{_suggest(key, dims)} "
                                        f"(dimensions: {', '.join(dims)})")
    if complete:
        missing = [d for d in dims if d not in mapping]
        if missing:
            problems.add(path, f"missing dimension{'s' if len(missing) > 1 else ''} {', '.join(missing)}")


def _check_state_ref(problems: _Problems, path: PathKey, state_id: str, ids: Iterable[str]) -> bool:
    ids = list(ids)
    if state_id not in ids:
        problems.add(path, f"unknown state {shown(state_id)}{_suggest(state_id, ids)}")
        return False
    return True


def _bounds_text(bounds) -> str:
    if bounds.min is not None and bounds.max is not None:
        return f"between {bounds.min} and {bounds.max}"
    return f"at least {bounds.min}" if bounds.min is not None else f"at most {bounds.max}"


# Capabilities enter sums and products of the model; only their ratios matter, but a magnitude (schema.py) or a
# spread beyond these makes the arithmetic overflow, underflow or lose the smaller states (docs/scenario-format.md).
MAX_CAPABILITY_RATIO = 1e9


def check_references(scenario: Scenario, raw: RawScenario) -> None:
    """Checks that span sections; every failure names the offending field, and all are reported together."""
    problems = _Problems(raw)
    dims = scenario.dimension_names
    seen_dims: dict[str, int] = {}
    for i, dim in enumerate(scenario.dimensions):
        if dim.name in seen_dims:
            problems.add(("dimensions", i, "name"), f"duplicate dimension {shown(dim.name)}")
        seen_dims.setdefault(dim.name, i)

    ids: dict[str, int] = {}
    for i, state in enumerate(scenario.states):
        base = ("states", i)
        if state.id in ids:
            first_line = raw.origin(("states", ids[state.id], "id"))[1]
            problems.add(base + ("id",), f"duplicate state id {shown(state.id)} (first at line {first_line})")
        else:
            ids[state.id] = i
        _check_dims(problems, base + ("ideal",), state.ideal, dims, complete=True)
        _check_dims(problems, base + ("salience",), state.salience, dims, complete=False)
        if state.salience is not None and sum(state.salience.get(d, 0.0) for d in dims) <= 0:
            problems.add(base + ("salience",), "salience sums to zero: at least one dimension must matter")
        _check_dims(problems, base + ("opening",), state.opening, dims, complete=False)
        _check_dims(problems, base + ("red_lines",), state.red_lines, dims, complete=False)
        if state.uncertainty is not None:
            _check_dims(problems, base + ("uncertainty", "ideal"), state.uncertainty.ideal, dims, complete=False)
        for dim, bounds in state.red_lines.items():
            where = base + ("red_lines", dim)
            if bounds.min is not None and bounds.max is not None and bounds.min > bounds.max:
                problems.add(where, f"min {bounds.min} is above max {bounds.max}")
                continue
            for label, point in (("ideal", state.ideal), ("opening", state.opening or {})):
                if dim in point and not _inside(point[dim], bounds):
                    problems.add(base + (label, dim), f"{point[dim]} lies outside the state's own red line on {dim} "
                                                      f"(which keeps it {_bounds_text(bounds)})")
    present = [s for s in scenario.states if s.at_table]
    if len(present) < 2:
        problems.add(("states",), "at least two states must be at the table at the start")
    capabilities = [s.capability for s in scenario.states]
    smallest = min(range(len(capabilities)), key=capabilities.__getitem__)
    largest = max(range(len(capabilities)), key=capabilities.__getitem__)
    if capabilities[largest] / capabilities[smallest] > MAX_CAPABILITY_RATIO:
        problems.add(("states", smallest, "capability"),
                     f"{capabilities[smallest]} is more than {MAX_CAPABILITY_RATIO:g} times smaller than the "
                     f"capability of {scenario.states[largest].id} ({capabilities[largest]}); only ratios matter, "
                     f"and at this spread the smaller state's weight is lost in rounding")

    member_of: dict[str, str] = {}
    names: set[str] = set()
    for i, coalition in enumerate(scenario.coalitions):
        base = ("coalitions", i)
        if coalition.name in names:
            problems.add(base + ("name",), f"duplicate coalition {shown(coalition.name)}")
        names.add(coalition.name)
        for j, member in enumerate(coalition.members):
            if not _check_state_ref(problems, base + ("members", j), member, ids):
                continue
            if member in member_of:
                problems.add(base + ("members", j), f"{member} is already a member of coalition "
                                                    f"{shown(member_of[member])}")
            member_of.setdefault(member, coalition.name)
        if coalition.leader is not None and coalition.leader not in coalition.members:
            problems.add(base + ("leader",), f"leader {shown(coalition.leader)} is not a member of the coalition")

    for i, relation in enumerate(scenario.relations):
        base = ("relations", i)
        _check_state_ref(problems, base + ("source",), relation.source, ids)
        _check_state_ref(problems, base + ("target",), relation.target, ids)
        if relation.source == relation.target:
            problems.add(base + ("target",), "a state's trust in itself cannot be set")

    core = scenario.treaty.core
    _check_dims(problems, ("treaty", "core", "at_least"), core.at_least, dims, complete=False)
    _check_dims(problems, ("treaty", "core", "at_most"), core.at_most, dims, complete=False)
    _check_dims(problems, ("treaty", "core", "opening"), core.opening, dims, complete=False)
    _check_floor_ceiling(problems, ("treaty", "core"), core.at_least, core.at_most)
    tier_names: set[str] = set()
    for i, tier in enumerate(scenario.treaty.tiers):
        base = ("treaty", "tiers", i)
        if tier.name in tier_names:
            problems.add(base + ("name",), f"duplicate tier {shown(tier.name)}")
        tier_names.add(tier.name)
        _check_dims(problems, base + ("at_least",), tier.at_least, dims, complete=False)
        _check_dims(problems, base + ("at_most",), tier.at_most, dims, complete=False)
        if not tier.at_least and not tier.at_most:
            problems.add(base, "a tier must deepen at least one dimension (give at_least or at_most)")
        _check_floor_ceiling(problems, base, tier.at_least, tier.at_most)
        if tier.entry_threshold > len(scenario.states):
            problems.add(base + ("entry_threshold",), f"{tier.entry_threshold} members needed but the scenario has "
                                                      f"{len(scenario.states)} states")

    n = len(scenario.states)
    rules = scenario.rules
    if rules.ratifications_needed is not None and rules.ratifications_needed > n:
        problems.add(("rules", "ratifications_needed"),
                     f"{rules.ratifications_needed} ratifications needed but the scenario has {n} states")
    if rules.decision == "plurilateral" and rules.min_states > n:
        problems.add(("rules", "min_states"), f"{rules.min_states} states needed but the scenario has {n}")

    chair = scenario.protocol.chair
    if chair not in CHAIR_MODES and chair not in ids:
        problems.add(("protocol", "chair"),
                     f"{shown(chair)} is neither a chair mode ({', '.join(CHAIR_MODES)}) nor a state id"
                     f"{_suggest(chair, list(CHAIR_MODES) + list(ids))}")

    for i, event in enumerate(scenario.events):
        base = ("events", i)
        for field in ("victims", "accused", "states"):
            for j, state_id in enumerate(getattr(event, field, None) or []):
                _check_state_ref(problems, base + (field, j), state_id, ids)
        known_state = _check_state_ref(problems, base + ("state",), event.state, ids) if hasattr(event, "state") \
            else False
        if event.type == "cyber_incident" and event.dimension not in dims:
            problems.add(base + ("dimension",), f"unknown dimension {shown(event.dimension)}"
                                                f"{_suggest(event.dimension, dims)}")
        if event.type == "government_change":
            _check_dims(problems, base + ("ideal",), event.ideal, dims, complete=False)
            _check_dims(problems, base + ("salience",), event.salience, dims, complete=False)
            if event.salience is not None and known_state:
                state = scenario.states[ids[event.state]]
                before = state.salience if state.salience is not None else {d: 1.0 for d in dims}
                if sum({**{d: before.get(d, 0.0) for d in dims}, **event.salience}.values()) <= 0:
                    problems.add(base + ("salience",), "the new salience sums to zero: at least one dimension "
                                                       "must matter")
        if event.type == "join" and known_state and scenario.states[ids[event.state]].at_table:
            problems.add(base + ("state",),
                         f"{event.state} is at the table from the start (give it at_table: false to join later)")
    problems.raise_any()


def _inside(value: float, bounds) -> bool:
    return (bounds.min is None or value >= bounds.min) and (bounds.max is None or value <= bounds.max)


def _check_floor_ceiling(problems: _Problems, base: PathKey, at_least: Mapping, at_most: Mapping) -> None:
    for dim, floor in at_least.items():
        if dim in at_most and at_most[dim] < floor:
            problems.add(base + ("at_most", dim), f"ceiling {at_most[dim]} is below the floor {floor}")


def validate_raw(raw: RawScenario) -> Scenario:
    """The validated scenario, or one ScenarioError with every problem found (those kept in `raw.problems` too)."""
    problems = list(raw.problems)
    scenario = None
    try:
        scenario = Scenario.model_validate(raw.data)
        check_references(scenario, raw)
    except ValidationError as exc:
        problems += _from_pydantic(raw, exc).problems
    except ScenarioError as exc:
        problems += exc.problems
    if problems:
        raise ScenarioError.collected(problems)
    return scenario


def scenario_warnings(scenario: Scenario, raw: RawScenario | None = None,
                      max_rounds: int | None = None) -> list[ScenarioError]:
    """Things that are valid but surely not meant: an event after the last round never happens."""
    last = max_rounds if max_rounds is not None else scenario.protocol.max_rounds
    source = raw.source if raw is not None else "<scenario>"
    out = []
    for i, event in enumerate(scenario.events):
        if event.round > last:
            path = ("events", i, "round")
            where = raw.origin(path) if raw is not None else (source, 0)
            limit = "--rounds" if max_rounds is not None else "protocol.max_rounds"
            out.append(ScenarioError(where[0], where[1], format_path(path),
                                     f"round {event.round} is after the last round ({limit} {last}): this "
                                     f"{event.type} never happens"))
    return out


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | Iterable[str] = ()) -> Scenario:
    """Load, override and validate a scenario file. Raises ScenarioError naming file, line and field."""
    return load_checked(path, overrides)[0]


def load_checked(path: str | Path, overrides: Mapping[str, Any] | Iterable[str] = (),
                 max_rounds: int | None = None) -> tuple[Scenario, list[ScenarioError]]:
    """Like load_scenario, and also the warnings (scenario_warnings) about the scenario as loaded."""
    raw = with_overrides(load_raw(path), overrides)
    scenario = validate_raw(raw)
    return scenario, scenario_warnings(scenario, raw, max_rounds)


def with_overrides(raw: RawScenario, overrides: Mapping[str, Any] | Iterable[str] = ()) -> RawScenario:
    """A copy of `raw` with overrides applied: a mapping {path: value} or `PATH=VALUE` strings."""
    raw = raw.copy()
    items = overrides.items() if isinstance(overrides, Mapping) else (parse_assignment(t) for t in overrides)
    for dotted, value in items:
        try:
            apply_override(raw, dotted, value, (f"--set {dotted}", 0))
        except ScenarioError as exc:  # kept for validate_raw, which reports it with every other problem
            raw.problems.append(exc)
    return raw


def scenario_from_dict(data: Mapping, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data (as from YAML); errors name fields but no lines."""
    raw = RawScenario(copy.deepcopy(dict(data)), {(): (source, 0)}, source)
    return validate_raw(raw)


def scenario_document(scenario: Scenario) -> dict:
    return scenario.model_dump(mode="json")


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as run, every default written out, loadable again."""
    return dump_yaml(scenario_document(scenario))


def scenario_hash(scenario: Scenario) -> str:
    canonical = json.dumps(scenario_document(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
