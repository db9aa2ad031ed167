"""Hostile input: bounded loading, one escaped and shortened line per problem, strict types, odd path segments."""

from __future__ import annotations

import textwrap
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import ExitCode, main
from sim.loader import MAX_ALIAS_VALUES, ScenarioError, dump_yaml, load_scenario, parse_yaml, scenario_to_yaml
from sim.sweep.spec import quick_spec

from .conftest import MINIMAL


def laughs(levels: int, width: int = 10, indent: str = "") -> str:
    """The 'billion laughs' document: each anchor a list of `width` aliases of the one before."""
    lines = [f"{indent}l0: &l0 [lol]"]
    for i in range(1, levels):
        lines.append(f"{indent}l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def peak_mib(action) -> float:
    """Peak Python memory (MiB) that `action` allocates, by tracemalloc."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# ------------------------------------------------------------------------------------------ 1. alias bombs --
def test_billion_laughs_scenario_is_refused_with_one_line_and_exit_3(tmp_path, capsys):
    """Nine levels of ten aliases (10^8 values once expanded, about 400 bytes) are refused before anything is
    built: exit 3, one line naming the file and the line of the alias, and little memory."""
    path = tmp_path / "bomb.yaml"
    path.write_text(laughs(9), encoding="utf-8")
    assert len(path.read_bytes()) < 500
    code = None

    def run():
        nonlocal code
        code = main(["validate", str(path)])

    assert peak_mib(run) < 50
    err = capsys.readouterr().err
    assert code == ExitCode.INVALID_INPUT
    assert err.count("\n") == 1 and f"{path}:8: " in err and "aliases" in err and f"{MAX_ALIAS_VALUES:,}" in err


@pytest.mark.parametrize("where", ["set", "vary", "spec", "compare", "app"])
def test_alias_bomb_is_refused_through_every_door(tmp_path, capsys, where):
    """--set, --vary, a sweep spec, compare and app share the bounded loader: each refuses the bomb with exit 3."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(textwrap.dedent(MINIMAL), encoding="utf-8")
    # --set and --vary take one YAML value: nest the anchors inside a flow sequence.
    nested = "[&a0 [x,x,x,x,x,x,x,x,x,x]"
    for i in range(1, 8):
        nested += f", &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]"
    nested += "]"
    if where == "set":
        argv = ["run", str(scenario), "--set", f"metadata.sources={nested}", "--out", str(tmp_path / "out")]
    elif where == "vary":
        argv = ["sweep", str(scenario), "--vary", f"metadata.sources=[{nested}]", "--out", str(tmp_path / "out")]
    elif where == "spec":
        spec = tmp_path / "spec.yaml"
        spec.write_text(f"scenario: {scenario}\n" + laughs(9), encoding="utf-8")
        argv = ["sweep", str(spec), "--out", str(tmp_path / "out")]
    else:
        bomb = tmp_path / "bomb.yaml"
        bomb.write_text(textwrap.dedent(MINIMAL) + "x:\n" + laughs(9, indent="  "), encoding="utf-8")
        argv = (["compare", str(scenario), str(bomb), "--out", str(tmp_path / "out")] if where == "compare"
                else ["app", str(bomb), "--port", "1"])
    assert main(argv) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "aliases" in err, err
    assert not (tmp_path / "out").exists()


def test_a_few_honest_aliases_still_load(write_yaml):
    """Anchors and aliases as people use them (one shared ideal point) are still read, and expanded."""
    text = textwrap.dedent(MINIMAL).replace(
        "ideal: {attribution_transparency: 0.6, data_sovereignty: 0.4, enforcement: 0.5}",
        "ideal: &shared {attribution_transparency: 0.6, data_sovereignty: 0.4, enforcement: 0.5}").replace(
        "ideal: {attribution_transparency: 0.5, data_sovereignty: 0.5, enforcement: 0.5}", "ideal: *shared")
    scenario = load_scenario(write_yaml(text))
    assert scenario.states[0].ideal == scenario.states[1].ideal == {
        "attribution_transparency": 0.6, "data_sovereignty": 0.4, "enforcement": 0.5}


alias_documents = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(["seq", "map"]), st.booleans()), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(layers=alias_documents)
def test_alias_heavy_documents_load_within_bounds(layers):
    """Whatever the mix of anchors, aliases, sequences and mappings, parsing either returns data or refuses it with
    a ScenarioError, and never allocates more than a bounded amount of memory (here 150 MiB, about 20 times what
    the largest accepted expansion needs)."""
    lines = ["l0: &l0 [lol]"]
    for i, (width, kind, also_previous) in enumerate(layers, start=1):
        refs = [f"*l{i - 1}"] * width + ([f"*l{i - 2}"] if also_previous and i >= 2 else [])
        body = ("[" + ", ".join(refs) + "]" if kind == "seq"
                else "{" + ", ".join(f"k{j}: {ref}" for j, ref in enumerate(refs)) + "}")
        lines.append(f"l{i}: &l{i} {body}")
    text = "\n".join(lines) + "\n"
    outcome = {}

    def parse():
        try:
            outcome["data"] = parse_yaml(text, "gen.yaml")[0]
        except ScenarioError as exc:
            outcome["error"] = exc

    assert peak_mib(parse) < 150
    assert ("data" in outcome) != ("error" in outcome)
    if "error" in outcome:
        assert "\n" not in str(outcome["error"])


# ------------------------------------------------------------------------------------ 3. Unicode digits --
def test_unicode_digit_path_segment_is_an_error_not_a_crash(write_yaml, capsys):
    """'²' is a digit to str.isdigit() but not to int(): as a path segment it is an unknown entry (exit 3), in
    --set, in a variant's set: and in --vary; and validate goes on to check the files after it."""
    base = write_yaml(MINIMAL)
    variant = write_yaml(f"extends: {base.name}\nset:\n  states.².flexibility: 0.3\n", name="variant.yaml")
    with pytest.raises(ScenarioError, match=r"states has no entry '²'"):
        load_scenario(base, ["states.².flexibility=0.3"])
    with pytest.raises(ScenarioError, match=r"variant.yaml:3: states.².flexibility: states has no entry '²'"):
        load_scenario(variant)
    with pytest.raises(ScenarioError, match=r"no entry '²'"):
        quick_spec(base, ["states.².flexibility=0.1:0.5:3"])
    assert main(["validate", str(variant), str(base)]) == ExitCode.INVALID_INPUT
    captured = capsys.readouterr()
    assert "no entry '²'" in captured.err and f"ok: {base}" in captured.out


def test_ascii_index_still_addresses_a_list_entry(write_yaml):
    """Plain (and signed) decimal indexes still name entries."""
    scenario = load_scenario(write_yaml(MINIMAL), ["states.1.flexibility=0.3", "states.-2.flexibility=0.7"])
    assert [s.flexibility for s in scenario.states] == [0.7, 0.3]


# ------------------------------------------------------------------------------ 4. one escaped short line --
def test_a_control_character_gives_one_line_with_its_line_number(write_yaml, capsys):
    """A raw control character (BEL) in a string is one error line that gives the line it is on."""
    path = write_yaml(MINIMAL.replace("title: Two states", "title: Two\x07states"))
    assert main(["validate", str(path)]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}:2: " in err and "\\x07" in err and "\x07" not in err


def test_keys_with_newlines_and_terminal_escapes_are_echoed_escaped(write_yaml, capsys):
    """A key holding a newline and an ANSI escape sequence is shown escaped: the error stays one line and sends no
    escape sequence to the terminal."""
    path = write_yaml(MINIMAL + '"\\x1b[31mred\\nline\\u202e": 1\n')
    assert main(["validate", str(path)]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "\u202e" not in err
    assert "\\x1b[31mred\\nline\\u202e: unknown key" in err


def test_huge_values_are_shortened_in_the_message(write_yaml, capsys):
    """A 100,000-number list where a number is meant is echoed as a short picture, not a line of 700 kB."""
    path = write_yaml(MINIMAL.replace("capability: 1\n", "capability: [" + ", ".join(["1.25"] * 100_000) + "]\n"))
    assert main(["validate", str(path)]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 600
    assert "states[1].capability: expected a number, got a list [1.25, 1.25" in err and "..." in err


def test_long_text_values_and_file_names_are_shortened(tmp_path, capsys):
    """A 100,000-character state id and a file name with a newline give one short, escaped line."""
    path = tmp_path / "bad\nname.yaml"
    path.write_text(textwrap.dedent(MINIMAL).replace("id: AAA", "id: " + "A" * 100_000), encoding="utf-8")
    assert main(["validate", str(path)]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 800 and "bad\\nname.yaml" in err


# --------------------------------------------------------------------------------------- 9. strict types --
@pytest.mark.parametrize("field, text, given", [
    ("capability", "true", "got true"),
    ("capability", '"0.5"', "got the text '0.5'"),
    ("capability", "2_0", "got the text '2_0'"),
    ("capability", "0x10", "got the text '0x10'"),
    ("capability", "1:30", "got the text '1:30'"),
    ("flexibility", "yes", "got the text 'yes'"),
    ("at_table", '"no"', "expected true or false, got the text 'no'"),
    ("at_table", "no", "expected true or false, got the text 'no'"),
    ("at_table", "1", "expected true or false, got 1"),
])
def test_booleans_and_text_are_refused_where_numbers_or_booleans_are_meant(write_yaml, field, text, given):
    """Strict types: a boolean is not 1, text is not a number, YAML 1.1's 0x10, 2_0, 1:30 and yes/no are text;
    the message names what was given."""
    given_line = f"    capability: {text}\n" if field == "capability" else f"    capability: 1\n    {field}: {text}\n"
    body = MINIMAL.replace("    capability: 1\n", given_line)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(body))
    assert caught.value.field == f"states[1].{field}" and given in caught.value.message


def test_whole_number_fields_refuse_booleans_from_set(write_yaml):
    """protocol.max_rounds=true is refused (it used to become 1)."""
    with pytest.raises(ScenarioError, match=r"protocol.max_rounds: expected a whole number, got true"):
        load_scenario(write_yaml(MINIMAL), ["protocol.max_rounds=true"])


def test_yaml_12_reads_norway_as_text_and_010_as_ten(write_yaml):
    """Plain scalars follow the YAML 1.2 core schema: the state id NO stays 'NO', 010 is ten (not octal 8) and
    1e-3 is a number."""
    text = MINIMAL.replace("id: BBB", "id: NO").replace("    capability: 1\n", "    capability: 1e-3\n")
    scenario = load_scenario(write_yaml(text), ["protocol.max_rounds=010"])
    assert scenario.state_ids == ["AAA", "NO"]
    assert scenario.states[1].capability == 0.001 and scenario.protocol.max_rounds == 10


@pytest.mark.parametrize("text", ["1e5", "no", "NO", "0x10", "010", "x\x85y", "a\u2028b", "true", "~", "1:30"])
def test_text_survives_the_round_trip_through_yaml(text):
    """Text that looks like a number or a boolean, or holds a YAML line break (U+0085), is written so that it is
    read back unchanged."""
    data, _ = parse_yaml(dump_yaml({"value": text, "list": [text]}), "round-trip")
    assert data == {"value": text, "list": [text]}


def test_scenario_with_nel_in_its_title_round_trips_through_results_yaml(write_yaml, tmp_path):
    """The results' scenario.yaml loads back to the same scenario, U+0085 in the title included."""
    scenario = load_scenario(write_yaml(MINIMAL.replace("title: Two states", 'title: "Two\\x85states"')))
    copy_path = tmp_path / "copy.yaml"
    copy_path.write_text(scenario_to_yaml(scenario), encoding="utf-8")
    assert load_scenario(copy_path) == scenario and scenario.metadata.title == "Two\x85states"


def test_symlink_loop_is_invalid_input_not_a_crash(tmp_path, capsys):
    """A scenario path that is a symlink loop is one line and exit 3."""
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    assert main(["validate", str(loop)]) == ExitCode.INVALID_INPUT
    assert main(["run", str(loop), "--out", str(tmp_path / "out")]) == ExitCode.INVALID_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "symbolic links" in err

