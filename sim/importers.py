"""Importers: actor tables from other models of negotiation, turned into treatysim scenarios.

Two layouts are read:

- KTAB's Spatial Model of Politics (SMP) CSV: a first line `name, description, actors, dimensions`; a header
  `Actor, Description, Power|Influence, <dim> Position, <dim> Salience, ...`; then one row per actor with its
  capability and, per dimension, a position in [0, 100] and a salience in [0, 100] (at most 100 summed over the
  actor's dimensions). These are the rules KTAB's own reader (SMPModel::readCSVStream) enforces.
- The common expected-utility (BDM) layout: a header `Actor, Capability, Position, Salience` and one row per actor,
  one issue. Positions are on a scale given by the caller (default 0-100), saliences on 0-100.

The mapping into a scenario: a position p on a scale [lo, hi] becomes the ideal point (p - lo) / (hi - lo) on
[0, 1]; a salience s becomes s / 100 (treatysim normalises each state's saliences to sum 1, so only their ratios
across dimensions matter); capability is the capability (power, influence) column. Dimension names are reduced to
the schema's pattern (lower case letters, digits and underscores) and the original names kept as labels. Every
other setting takes the schema's defaults.

With `weight_by_salience`, capability becomes capability x (the actor's total salience / 100), the weight that
KTAB and BDM give an actor on an issue. Without it, a one-issue table's saliences have no effect in treatysim.

Bad input is refused with one `ImportError` naming file, line and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path


from .loader import ScenarioError, dump_yaml, scenario_from_dict
from .schema import Scenario

__all__ = [
    "Actor",
    "ActorTable",
    "CsvError",
    "import_bdm",
    "import_ktab",
    "read_bdm",
    "read_ktab",
    "scenario_document",
    "scenario_yaml",
    "to_ktab_csv",
]

KTAB_SCALE = (0.0, 100.0)
SALIENCE_MAX = 100.0
_CAPABILITY_NAMES = ("power", "influence", "capability", "clout", "resources")


class CsvError(ValueError):
    """Input that cannot be imported, with where it is: file, line (1-based) and column (1-based, with its name)."""

    def __init__(self, source: str, line: int, column: int | None, message: str, column_name: str = ""):
        self.source, self.line, self.column, self.message = str(source), int(line or 0), column, message
        self.column_name = column_name
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        if self.column is not None:
            named = f" ({self.column_name})" if self.column_name else ""
            where += f": column {self.column}{named}"
        return f"{where}: {self.message}"


@dataclass
class Actor:
    name: str
    description: str
    capability: float
    positions: list[float]  # on the table's scale
    saliences: list[float]  # 0-100
    line: int = 0


@dataclass
class ActorTable:
    """An actor table as read, before any mapping: the numbers on their own scales."""

    title: str
    description: str
    dimensions: list[str]
    actors: list[Actor]
    source: str
    layout: str  # "ktab" or "bdm"
    scale: tuple[float, float] = KTAB_SCALE
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------- reading --
def _records(text: str, source: str):
    """(line, fields) for each non-blank CSV record, fields stripped of surrounding spaces."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            fields = [f.strip() for f in row]
            if any(fields):
                yield line, fields
    except csv.Error as exc:
        raise CsvError(source, reader.line_num, None, f"not valid CSV: {exc}") from None


def _read_text(path: str | Path) -> tuple[str, str]:
    path = Path(path)
    source = str(path)
    try:
        return path.read_text(encoding="utf-8-sig"), source
    except FileNotFoundError:
        raise CsvError(source, 0, None, "no such file") from None
    except IsADirectoryError:
        raise CsvError(source, 0, None, "is a folder, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise CsvError(source, 0, None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise CsvError(source, 0, None, exc.strerror or str(exc)) from None


def _trailing_empty(fields: list[str], used: int, source: str, line: int, header: list[str]) -> None:
    for index in range(used, len(fields)):
        if fields[index]:
            name = header[index] if index < len(header) else ""
            raise CsvError(source, line, index + 1, f"unexpected value {fields[index]!r} after the last expected "
                                                    f"column ({used} columns expected)", name)


def _number(fields: list[str], index: int, source: str, line: int, header: list[str], what: str) -> float:
    name = header[index] if index < len(header) else ""
    if index >= len(fields) or not fields[index]:
        raise CsvError(source, line, index + 1, f"missing {what}", name)
    text = fields[index]
    try:
        value = float(text)
    except ValueError:
        raise CsvError(source, line, index + 1, f"{what} {text!r} is not a number", name) from None
    if not math.isfinite(value):
        raise CsvError(source, line, index + 1, f"{what} {text!r} is not a finite number", name)
    return value


def _check_range(value: float, low: float, high: float, source: str, line: int, column: int, name: str,
                 what: str) -> None:
    if not low <= value <= high:
        raise CsvError(source, line, column, f"{what} {value:g} is outside [{low:g}, {high:g}]", name)


def _actor_row(fields: list[str], line: int, source: str, header: list[str], n_dims: int,
               positions_at: list[int], saliences_at: list[int], capability_at: int, description_at: int | None,
               scale: tuple[float, float], seen: dict[str, int]) -> Actor:
    name = fields[0] if fields else ""
    if not name:
        raise CsvError(source, line, 1, "missing actor name", header[0] if header else "")
    if name in seen:
        raise CsvError(source, line, 1, f"actor {name!r} is listed twice (first at line {seen[name]})",
                       header[0])
    capability = _number(fields, capability_at, source, line, header, "capability")
    if capability <= 0:
        raise CsvError(source, line, capability_at + 1, f"capability {capability:g} must be greater than 0 "
                                                        f"(every state needs some weight in the talks)",
                       header[capability_at])
    positions, saliences = [], []
    for d in range(n_dims):
        p = _number(fields, positions_at[d], source, line, header, "position")
        _check_range(p, scale[0], scale[1], source, line, positions_at[d] + 1, header[positions_at[d]], "position")
        s = _number(fields, saliences_at[d], source, line, header, "salience")
        _check_range(s, 0.0, SALIENCE_MAX, source, line, saliences_at[d] + 1, header[saliences_at[d]], "salience")
        positions.append(p)
        saliences.append(s)
        if sum(saliences) > SALIENCE_MAX + 1e-9:
            raise CsvError(source, line, saliences_at[d] + 1, f"the actor's saliences add up to {sum(saliences):g},"
                                                              f" more than {SALIENCE_MAX:g}", header[saliences_at[d]])
    if sum(saliences) <= 0:
        raise CsvError(source, line, saliences_at[0] + 1, "every salience of the actor is 0: at least one "
                                                          "dimension must matter", header[saliences_at[0]])
    used = max(positions_at + saliences_at + [capability_at]) + 1
    _trailing_empty(fields, used, source, line, header)
    seen[name] = line
    description = fields[description_at] if description_at is not None and description_at < len(fields) else ""
    return Actor(name, description, capability, positions, saliences, line)


def read_ktab(path: str | Path) -> ActorTable:
    """Read a KTAB SMP CSV file, checking it as KTAB does; errors name file, line and column."""
    text, source = _read_text(path)
    records = list(_records(text, source))
    if not records:
        raise CsvError(source, 0, None, "the file is empty")
    line, first = records[0]
    if len(first) < 4:
        raise CsvError(source, line, len(first) + 1, "the first line must be: scenario name, description, "
                                                     "number of actors, number of dimensions")
    title, description = first[0], first[1]
    counts = []
    for index, what in ((2, "number of actors"), (3, "number of dimensions")):
        try:
            counts.append(int(first[index]))
        except ValueError:
            raise CsvError(source, line, index + 1, f"{what} {first[index]!r} is not a whole number") from None
        if counts[-1] < 1:
            raise CsvError(source, line, index + 1, f"{what} must be at least 1, not {counts[-1]}")
    n_actors, n_dims = counts
    if len(records) < 2:
        raise CsvError(source, line, None, "the header line (Actor, Description, Power, ...) is missing")
    line, header = records[1]
    expected = 3 + 2 * n_dims
    if len(header) < expected or any(not h for h in header[:expected]):
        missing = next((i for i in range(expected) if i >= len(header) or not header[i]), expected - 1)
        raise CsvError(source, line, missing + 1, f"the header must name {expected} columns: actor, description, "
                                                  f"capability, then a position and a salience for each of the "
                                                  f"{n_dims} dimensions")
    _trailing_empty(header, expected, source, line, header)
    if header[2].lower() not in _CAPABILITY_NAMES:
        raise CsvError(source, line, 3, f"expected the capability column (Power or Influence), not {header[2]!r}",
                       header[2])
    positions_at = [3 + 2 * d for d in range(n_dims)]
    saliences_at = [4 + 2 * d for d in range(n_dims)]
    dimensions = [header[i] for i in positions_at]
    rows = records[2:]
    if len(rows) != n_actors:
        where = rows[n_actors][0] if len(rows) > n_actors else (rows[-1][0] if rows else line)
        raise CsvError(source, where, None, f"the first line announces {n_actors} actors but the file has "
                                            f"{len(rows)} actor rows")
    seen: dict[str, int] = {}
    actors = [_actor_row(fields, row_line, source, header, n_dims, positions_at, saliences_at, 2, 1, KTAB_SCALE,
                         seen) for row_line, fields in rows]
    return ActorTable(title, description, dimensions, actors, source, "ktab", KTAB_SCALE)


def read_bdm(path: str | Path, scale: tuple[float, float] = (0.0, 100.0)) -> ActorTable:
    """Read the expected-utility layout: a header `Actor, Capability, Position, Salience` and one row per actor."""
    low, high = float(scale[0]), float(scale[1])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"position scale [{low:g}, {high:g}] is empty: the low end must be below the high end")
    text, source = _read_text(path)
    records = list(_records(text, source))
    if not records:
        raise CsvError(source, 0, None, "the file is empty")
    line, header = records[0]
    expected = ["actor", "capability", "position", "salience"]
    for index, want in enumerate(expected):
        got = header[index].lower() if index < len(header) else ""
        ok = got in _CAPABILITY_NAMES if want == "capability" else got == want
        if not ok:
            raise CsvError(source, line, index + 1, f"the header must be Actor, Capability, Position, Salience; "
                                                    f"column {index + 1} is {header[index] if got else 'missing'!r}",
                           header[index] if got else "")
    _trailing_empty(header, 4, source, line, header)
    if len(records) < 2:
        raise CsvError(source, line, None, "no actor rows after the header")
    seen: dict[str, int] = {}
    actors = [_actor_row(fields, row_line, source, header, 1, [2], [3], 1, None, (low, high), seen)
              for row_line, fields in records[1:]]
    title = Path(source).stem
    return ActorTable(title, "", [header[2]], actors, source, "bdm", (low, high))


# ------------------------------------------------------------------------------------------------- mapping --
def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`, ... if taken; the result is added to `taken`."""
    candidate, suffix = name, 2
    while candidate in taken:
        candidate, suffix = f"{name}_{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def _dimension_name(label: str, taken: set[str]) -> str:
    """A name matching ^[a-z][a-z0-9_]*$ (at most 64 characters), unique among `taken`."""
    name = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"dim_{name}" if name else "dim"
    return _unique(name[:60], taken)


def _state_id(name: str, taken: set[str]) -> str:
    """An id matching ^[A-Za-z][A-Za-z0-9_-]*$ (at most 32 characters), unique among `taken`."""
    ident = re.sub(r"[^A-Za-z0-9_\-]+", "_", name).strip("_")
    if not ident or not ident[0].isalpha():
        ident = f"A{ident}"
    return _unique(ident[:28], taken)


def scenario_document(table: ActorTable, weight_by_salience: bool = False, decimals: int = 6) -> dict:
    """The scenario, as plain data, for an actor table."""
    low, high = table.scale
    dim_names: set[str] = set()
    dims = [_dimension_name(label, dim_names) for label in table.dimensions]
    ids: set[str] = set()
    states = []
    for actor in table.actors:
        capability = actor.capability
        if weight_by_salience:
            capability = capability * sum(actor.saliences) / SALIENCE_MAX
        state = {
            "id": _state_id(actor.name, ids),
            "name": actor.description or actor.name,
            "ideal": {d: round((p - low) / (high - low), decimals) for d, p in zip(dims, actor.positions)},
            "salience": {d: round(s / SALIENCE_MAX, decimals) for d, s in zip(dims, actor.saliences)},
            "capability": round(capability, decimals) or capability,
        }
        states.append(state)
    kind = "KTAB Spatial Model of Politics" if table.layout == "ktab" else "expected-utility (BDM)"
    description = table.description or f"Actors imported from an {kind} table."
    return {
        "metadata": {
            "title": table.title or Path(table.source).stem,
            "description": description,
            "sources": [f"{kind} input {Path(table.source).name}"],
        },
        "dimensions": [
            {"name": d, "label": label, "low": f"{low:g} on the source scale", "high": f"{high:g} on the source scale"}
            for d, label in zip(dims, table.dimensions)
        ],
        "states": states,
    }


def scenario_yaml(table: ActorTable, weight_by_salience: bool = False) -> tuple[str, Scenario]:
    """The scenario file's text (with a header saying where every number came from) and the validated scenario."""
    document = scenario_document(table, weight_by_salience)
    try:
        scenario = scenario_from_dict(document, source=table.source)
    except ScenarioError as exc:  # the checks above should make this unreachable; say so plainly if not
        raise CsvError(table.source, 0, None, f"the imported scenario is not valid: {exc}") from None
    low, high = table.scale
    kind = "KTAB SMP CSV" if table.layout == "ktab" else "expected-utility (BDM) CSV"
    weight = ("capability x total salience / 100 (KTAB/BDM effective weight)" if weight_by_salience
              else "the capability column as given")
    header = [
        f"# Imported from the {kind} {Path(table.source).name} by `run.py import {table.layout}`.",
        f"# Positions: (p - {low:g}) / ({high:g} - {low:g}), from the source scale [{low:g}, {high:g}] to [0, 1].",
        "# Salience: the source salience / 100 (treatysim normalises each state's saliences to sum 1).",
        f"# Capability: {weight}.",
        "# Dimension names are reduced to lower case letters, digits and underscores; labels keep the originals.",
        "# Everything else (flexibility, reservation, ratification, rules, protocol) takes the schema's defaults.",
    ]
    body = dump_yaml(document, width=120)
    return "\n".join(header) + "\n" + body, scenario


def import_ktab(path: str | Path, weight_by_salience: bool = False) -> tuple[str, Scenario]:
    return scenario_yaml(read_ktab(path), weight_by_salience)


def import_bdm(path: str | Path, scale: tuple[float, float] = (0.0, 100.0),
               weight_by_salience: bool = False) -> tuple[str, Scenario]:
    return scenario_yaml(read_bdm(path, scale), weight_by_salience)


# -------------------------------------------------------------------------------------------------- export --
def to_ktab_csv(scenario: Scenario, title: str | None = None, description: str | None = None) -> str:
    """A scenario as a KTAB SMP CSV (positions x 100, saliences rescaled to sum 100 at most), e.g. to run KTAB on
    the same inputs. Inverse of `import ktab` for an imported scenario: saliences stored as s/100 come back as s."""
    dims = scenario.dimensions
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([title or scenario.metadata.title, description if description is not None
                     else scenario.metadata.description.strip(), len(scenario.states), len(dims)])
    row = ["Actor", "Description", "Power"]
    for d in dims:
        label = d.label or d.name
        row += [label, f"{label} Salience"]
    writer.writerow(row)
    for state in scenario.states:
        raw = [(state.salience or {}).get(d.name, 0.0) if state.salience is not None else 1.0 for d in dims]
        total = sum(raw)
        # KTAB needs saliences summing to at most 100; scale down only when they would exceed it.
        factor = SALIENCE_MAX if total <= 1.0 + 1e-9 else SALIENCE_MAX / total
        fields = [state.id, state.name, _fmt(state.capability)]
        for d, s in zip(dims, raw):
            fields += [_fmt(state.ideal[d.name] * 100.0), _fmt(s * factor)]
        writer.writerow(fields)
    return out.getvalue()


def _fmt(value: float) -> str:
    return f"{round(value, 6):.10g}"
