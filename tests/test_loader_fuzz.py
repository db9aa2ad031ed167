"""Property-based: whatever YAML the loader is given, only the documented ScenarioError ever escapes."""

from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.loader import ScenarioError, load_raw, load_scenario, scenario_from_dict

from .conftest import SCENARIOS

SHIPPED = {path.name: load_raw(path).data for path in sorted(SCENARIOS.glob("*.yaml"))}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=20,
)


def paths_of(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths_of(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths_of(value, prefix + (index,))


def set_at(document, path, value):
    if not path:
        return value
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def delete_at(document, path):
    target = document
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=200), documents.map(lambda d: yaml.safe_dump(d))))
def test_random_yaml_text_gives_only_scenario_errors(tmp_path, text):
    """Random text and random YAML documents are either valid scenarios or refused with a ScenarioError."""
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert str(exc).startswith(str(path))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_shipped_scenarios_give_only_scenario_errors(data):
    """Replacing or deleting any part of a shipped scenario never crashes the loader with another error."""
    name = data.draw(st.sampled_from(sorted(SHIPPED)))
    document = copy.deepcopy(SHIPPED[name])
    all_paths = list(paths_of(document))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(all_paths))
        try:
            if path and data.draw(st.booleans()):
                document = delete_at(document, path)
            else:
                document = set_at(document, path, data.draw(documents))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced this place
        all_paths = list(paths_of(document))
    try:
        scenario_from_dict(document) if isinstance(document, dict) else scenario_from_dict({"x": document})
    except ScenarioError:
        pass
