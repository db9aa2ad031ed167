"""The dashboard's model and views (sim.app): controls that start at the scenario's values, overrides that do what
they say, panels that tell the truth about the model, and the lesson's claims (docs/classroom.md)."""

from __future__ import annotations

import importlib
import typing
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from .conftest import SCENARIOS, skip_without_app

skip_without_app()

from sim.app.live import LiveNegotiation, build_scenario, model_params, scenario_files, states_now  # noqa: E402
from sim.app.views import (issue_space_figure, over_time_figure, round_status, states_rows, why_stuck,  # noqa: E402
                           why_stuck_text)
from sim.loader import ScenarioError, load_scenario  # noqa: E402
from sim.runner import explain, rounds_table, run_once, states_table, summarise  # noqa: E402
from sim.schema import DECISION_RULES, Protocol, Rules  # noqa: E402

# Mesa's own SolaraViz trips Solara's hook checker when it is imported; that is Mesa's to fix, not ours.
pytestmark = pytest.mark.filterwarnings("ignore:.*ComponentsView.*:UserWarning")

CLASSROOM = SCENARIOS / "classroom.yaml"
WPCNT = SCENARIOS / "wpcnt.yaml"


def _values(params: dict) -> dict:
    """What SolaraViz passes to the model on Reset when no control was touched."""
    out = {}
    for name, spec in params.items():
        if hasattr(spec, "value"):
            out[name] = spec.value
        elif isinstance(spec, dict):
            out[name] = spec["value"]
        else:
            out[name] = spec
    return out


def _run(model) -> None:
    while model.running:
        model.step()


# ---------------------------------------------------------------------------------------------- controls --
def test_controls_start_at_the_scenarios_own_values(write_yaml):
    """The sliders and menus start at the values the scenario file sets, and offer the choices the schema allows."""
    path = write_yaml("""
        metadata: {title: Set rules}
        states:
          - {id: AAA, ideal: {attribution_transparency: 0.6, data_sovereignty: 0.4, enforcement: 0.5}, capability: 2}
          - {id: BBB, ideal: {attribution_transparency: 0.5, data_sovereignty: 0.5, enforcement: 0.5}, capability: 1}
        rules: {decision: majority_capability, threshold: 0.55}
        protocol: {activation: simultaneous}
    """)
    params = model_params(path)
    assert params["scenario"] == str(path)
    assert params["decision"]["value"] == "majority_capability"
    assert params["threshold"].value == pytest.approx(0.55)
    assert params["activation"]["value"] == "simultaneous"
    assert params["flexibility_scale"].value == 1.0
    assert params["decision"]["values"] == list(DECISION_RULES)
    assert params["activation"]["values"] == list(typing.get_args(Protocol.model_fields["activation"].annotation))


def test_controls_of_a_scenario_that_sets_nothing_show_the_schemas_defaults(write_yaml, minimal_yaml):
    """A scenario that leaves the rules out gets the schema's defaults on the controls, not a second copy."""
    params = model_params(write_yaml(minimal_yaml))
    assert params["decision"]["value"] == Rules().decision
    assert params["threshold"].value == Rules().threshold
    assert params["activation"]["value"] == Protocol().activation


def test_untouched_controls_run_the_scenario_as_written():
    """Reset with every control where it started rebuilds exactly the scenario: the run is the one `run_once` gives
    for the same seed."""
    model = LiveNegotiation(**_values(model_params(CLASSROOM)))
    assert model.scenario == load_scenario(CLASSROOM)
    _run(model)
    reference = run_once(load_scenario(CLASSROOM), seed=0)
    assert model.outcome == reference.summary["outcome"]
    pd.testing.assert_frame_equal(rounds_table(model), reference.rounds)


def test_flexibility_scale_multiplies_every_states_flexibility_capped_at_one():
    """flexibility_scale multiplies each state's flexibility and caps it at 1; 0 makes every state rigid; a
    negative scale is refused."""
    base = load_scenario(CLASSROOM)
    tripled = build_scenario(CLASSROOM, flexibility_scale=3.0)
    assert [s.flexibility for s in tripled.states] == pytest.approx([min(1.0, 3 * s.flexibility)
                                                                     for s in base.states])
    assert max(s.flexibility for s in tripled.states) == 1.0  # Deltora's 0.6 is capped
    assert all(s.flexibility == 0 for s in build_scenario(CLASSROOM, flexibility_scale=0.0).states)
    with pytest.raises(ValueError, match="flexibility_scale"):
        build_scenario(CLASSROOM, flexibility_scale=-1.0)


def test_rule_threshold_and_activation_controls_override_the_scenario():
    """The decision rule, threshold and activation controls replace the scenario's own; the rest is unchanged."""
    changed = build_scenario(CLASSROOM, decision="plurilateral", threshold=0.5, activation="simultaneous")
    base = load_scenario(CLASSROOM)
    assert changed.rules.decision == "plurilateral"
    assert changed.rules.threshold == 0.5
    assert changed.protocol.activation == "simultaneous"
    assert changed.states == base.states and changed.rules.min_states == base.rules.min_states


def test_threshold_slider_rounding_keeps_the_scenarios_value(write_yaml, minimal_yaml):
    """The threshold slider shows 2/3 as 0.67: a value within half its step of the scenario's keeps the scenario's
    own, so an untouched or returned slider changes nothing; a full step away is a change."""
    path = write_yaml(minimal_yaml)
    assert build_scenario(path, threshold=0.67).rules.threshold == Rules().threshold
    assert build_scenario(path, threshold=0.68).rules.threshold == 0.68


def test_a_bad_control_value_names_the_field():
    """A value the schema refuses is reported like any override, naming the field."""
    with pytest.raises(ScenarioError, match="rules.decision"):
        build_scenario(CLASSROOM, decision="unanimity")


def test_the_seed_control_changes_the_run_and_repeats_it():
    """The same seed repeats a run exactly; another seed draws other concession steps."""
    runs = {}
    for seed in (0, 0, 7):
        model = LiveNegotiation(scenario=str(CLASSROOM), seed=seed)
        for _ in range(5):
            model.step()
        runs.setdefault(seed, []).append(model.position.copy())
    np.testing.assert_array_equal(runs[0][0], runs[0][1])
    assert not np.allclose(runs[0][0], runs[7][0])


def test_scenario_menu_lists_top_level_yaml_files(tmp_path):
    """The menu lists the *.yaml files at the top of the folder, by name; sub-folders and other files are left out."""
    for name in ("b.yaml", "a.yaml", "notes.txt", "variants/c.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("metadata: {title: x}\n", encoding="utf-8")
    assert [p.name for p in scenario_files(tmp_path)] == ["a.yaml", "b.yaml"]
    assert scenario_files(tmp_path / "missing") == []


def test_scenario_menu_of_the_page_follows_the_environment(tmp_path, monkeypatch):
    """The page's menu lists the folder `run.py app` names, puts a scenario opened from elsewhere first, opens the
    one asked for in the address when it is in the menu, and otherwise the one `run.py app` opened."""
    page = importlib.import_module("sim.app.page")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (folder / name).write_text("metadata: {title: x}\n", encoding="utf-8")
    elsewhere = tmp_path / "mine.yaml"
    elsewhere.write_text("metadata: {title: x}\n", encoding="utf-8")
    monkeypatch.setenv(page.SCENARIOS_ENV, str(folder))
    monkeypatch.setenv(page.SCENARIO_ENV, str(folder / "b.yaml"))
    menu = page.scenario_menu()
    assert list(menu) == ["a.yaml", "b.yaml"]
    assert page.first_choice(menu) == "b.yaml"
    assert page.first_choice(menu, "a.yaml") == "a.yaml"
    assert page.first_choice(menu, "../../etc/passwd") == "b.yaml"
    monkeypatch.setenv(page.SCENARIO_ENV, str(elsewhere))
    menu = page.scenario_menu()
    assert list(menu) == [str(elsewhere), "a.yaml", "b.yaml"]
    assert page.first_choice(menu) == str(elsewhere)


def test_page_components_follow_the_rules_of_hooks():
    """Solara's hook checker finds nothing wrong in the page's components (it runs when they are defined)."""
    page = importlib.import_module("sim.app.page")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.reload(page)
    assert not [w for w in caught if "sim/app/page.py" in str(w.message) or "sim\\app\\page.py" in str(w.message)]


# ------------------------------------------------------------------------------------------------- views --
@pytest.mark.parametrize("path", [CLASSROOM, WPCNT])
def test_states_now_is_the_current_round_of_the_states_table(path):
    """states_now, read from the model's arrays, equals the current round's rows of sim.runner.states_table."""
    model = LiveNegotiation(scenario=str(path), seed=2)
    for _ in range(4):
        model.step()
    now = states_now(model)
    table = states_table(model)
    last = table[table["round"] == model.round].reset_index(drop=True)
    pd.testing.assert_frame_equal(now, last[now.columns], check_dtype=False)


def test_why_stuck_names_the_objectors_the_dividing_dimension_and_the_pivot():
    """After a few rounds of the classroom talks the panel names every state that objects to the draft, the
    dimension on which the objectors are furthest from it, and the pivotal state's concession."""
    model = LiveNegotiation(scenario=str(CLASSROOM), seed=0)
    assert why_stuck(model).kind == "opening"
    for _ in range(3):
        model.step()
    report = why_stuck(model)
    objecting = [model.ids[i] for i in np.flatnonzero(model.engaged & (model.declaration == -1))]
    assert report.kind == "stuck" and objecting and sorted(report.blocking) == sorted(objecting)
    weights = [model.capability[model.index[s]] for s in report.blocking]
    assert weights == sorted(weights, reverse=True)  # the weightiest blockers are named first
    text = why_stuck_text(model)
    blocking = next(line for line in text.splitlines() if line.startswith("Blocking:"))
    for state in model.scenario.states:
        assert (state.name in blocking) == (state.id in objecting)
    why = explain(model)
    label = next(d.label for d in model.scenario.dimensions if d.name == why["dividing_dimension"])
    assert f"Dividing dimension: {label}" in text
    if why["pivotal_concession"]:
        pivot = why["pivotal_concession"]["state"]
        pivot_name = model.scenario.states[model.index[pivot]].name
        assert f"{pivot_name} ({pivot}) tips the vote" in text
    else:  # Caldera's red line: no move of its mandate tips it
        assert not why["tippable"] and "the draft itself has to change" in text
    counter, _ = round_status(model)
    assert counter == "Round 3"


def test_after_adoption_the_panel_says_who_signed_and_who_stayed_out():
    """Once the core is adopted the panel stops explaining a deadlock and names the signatories and the states left
    outside."""
    model = LiveNegotiation(scenario=str(CLASSROOM), decision="majority_count", seed=0)
    _run(model)
    assert model.adopted_round is not None
    report = why_stuck(model)
    assert report.kind == "adopted"
    text = why_stuck_text(model)
    outside = [s.name for s in model.scenario.states if not model.signed[model.index[s.id]]]
    assert outside and all(name in text.split("Left outside:")[1] for name in outside)


def test_after_a_collapse_the_panel_says_who_walked_out(write_yaml):
    """When the talks collapse the panel names the states that left the table instead of explaining a vote."""
    path = write_yaml("""
        metadata: {title: "One issue; two rigid states"}
        dimensions: [{name: enforcement}]
        states:
          - {id: AAA, name: Aland, ideal: {enforcement: 0.9}, capability: 2, flexibility: 0.1}
          - {id: BBB, name: Bonia, ideal: {enforcement: 0.1}, capability: 1, flexibility: 0.1, reservation: 0.5}
        treaty: {participation_benefit: 0.6, norm_externality: 1.0}
        rules: {ratifications_needed: 1}
        protocol: {walkout_patience: 2}
    """)
    model = LiveNegotiation(scenario=str(path), seed=0)
    _run(model)
    assert model.outcome == "collapse"
    assert why_stuck(model).kind == "collapse"
    text = why_stuck_text(model)
    # Bonia, furthest from a draft weighted toward the more capable Aland, leaves; Aland alone cannot negotiate
    assert text.startswith("Why the talks collapsed\nCollapsed:") and "Bonia" in text and "Aland" not in text
    issue_space_figure(model, ("enforcement", "enforcement"))  # one dimension: the map still draws


def test_states_table_rows_match_the_model():
    """The states panel shows each state's current position and whether it backs the draft."""
    model = LiveNegotiation(scenario=str(CLASSROOM), seed=1)
    model.step()
    header, rows = states_rows(model)
    assert len(rows) == model.n and len(header) == len(rows[0])
    for i, row in enumerate(rows):
        assert [float(v) for v in row[1:1 + model.k]] == pytest.approx(model.position[i], abs=0.005)
        assert row[1 + model.k] == ("yes" if model.support[i] else "no")


def test_issue_space_figure_draws_every_state_at_its_position_and_the_draft():
    """The issue-space map puts one dot per state at its position on the chosen dimensions and the draft as a star."""
    model = LiveNegotiation(scenario=str(WPCNT), seed=0)
    model.step()
    dims = ("data_sovereignty", "enforcement")
    fig = issue_space_figure(model, dims)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    cols = [model.dimensions.index(d) for d in dims]
    dots = ax.collections[0].get_offsets()
    np.testing.assert_allclose(np.asarray(dots), model.position[model.engaged][:, cols])
    star = [c for c in ax.collections if np.allclose(np.asarray(c.get_offsets()), [model.draft[cols]])]
    assert star
    assert ax.get_xlabel() == "Data sovereignty"


def test_over_time_figure_plots_the_rounds_table():
    """The over-time panel plots support for the draft and the core's members from round 1, and dispersion from
    round 0, as the rounds table records them."""
    model = LiveNegotiation(scenario=str(WPCNT), seed=0)
    for _ in range(6):
        model.step()
    rounds = rounds_table(model)
    top, bottom = over_time_figure(model).axes
    lines = {line.get_label(): line for line in top.get_lines() + bottom.get_lines()}
    support = lines["support for\nthe draft"]
    np.testing.assert_allclose(support.get_ydata(), rounds["support_share"][1:])
    np.testing.assert_allclose(lines["dispersion\nof positions"].get_ydata(), rounds["dispersion"])
    core = lines["core"] if "core" in lines else lines["core: backers,\nthen members"]
    np.testing.assert_allclose(core.get_ydata(), rounds["core_members"][1:])
    for name in model.tier_names:
        tier = next(line for label, line in lines.items() if label.startswith(f"tier {name}"))
        np.testing.assert_allclose(tier.get_ydata(), rounds[f"tier_{name}"][1:])


# -------------------------------------------------------------------------------------- the lesson's claims --
SEEDS = range(5)


def _outcomes(**controls) -> list[tuple[str, list[str]]]:
    out = []
    for seed in SEEDS:
        model = LiveNegotiation(scenario=str(CLASSROOM), seed=seed, **controls)
        _run(model)
        out.append((model.outcome, [model.ids[i] for i in np.flatnonzero(model.signed)]))
    return out


def test_lesson_classroom_stalls_as_written():
    """docs/classroom.md, step 1: as written (consensus), the classroom talks end in stalemate, nothing adopted."""
    assert all(outcome == "stalemate" and not signed for outcome, signed in _outcomes())


def test_lesson_more_flexibility_unsticks_it_without_caldera_signing():
    """docs/classroom.md, step 3: tripling every state's flexibility (Caldera 0.15 -> 0.45) brings adoption by
    consensus in most runs: Caldera lets the text pass, and the other three sign it."""
    runs = _outcomes(flexibility_scale=3.0)
    agreed = [signed for outcome, signed in runs if outcome == "agreement"]
    assert len(agreed) >= 4 and all(signed == ["AUR", "BOR", "DEL"] for signed in agreed)


def test_lesson_a_majority_rule_unsticks_it_without_caldera():
    """docs/classroom.md, step 3: a two-thirds majority of states adopts a treaty that Caldera stays out of."""
    for outcome, signed in _outcomes(decision="majority_count"):
        assert outcome == "agreement" and signed == ["AUR", "BOR", "DEL"]


def test_lesson_caldera_alone_more_flexible_unsticks_it():
    """docs/classroom.md, step 3: Caldera alone at flexibility 0.6 (`--set states.CAL.flexibility=0.6`) is enough
    for the text to be adopted by consensus."""
    scenario = load_scenario(CLASSROOM, ["states.CAL.flexibility=0.6"])
    for seed in SEEDS:
        result = run_once(scenario, seed)
        assert result.summary["adopted"] and result.summary["adopted_by"] == "consensus"


def test_lesson_a_tier_alone_does_not_unstick_consensus():
    """docs/classroom.md, step 3: an opt-in attribution tier leaves the consensus deadlock as it was (the core must
    still not be objected to by Caldera); with the majority rule as well, the tier gets its members."""
    tier = ("treaty.tiers=[{name: attribution_protocol, at_least: {attribution_transparency: 0.8}, "
            "entry_threshold: 2}]")
    for seed in SEEDS:
        assert run_once(load_scenario(CLASSROOM, [tier]), seed).summary["outcome"] == "stalemate"
        both = run_once(load_scenario(CLASSROOM, [tier, "rules.decision=majority_count"]), seed).summary
        assert both["outcome"] == "agreement"
        assert {"AUR", "BOR"} <= set(both["tiers"]["attribution_protocol"]["members"])


def _lesson_files(folder) -> dict[str, object]:
    """Write the lesson files docs/classroom.md shows (a `lesson/NAME.yaml` line, then a yaml block) into folder."""
    import re
    import shutil

    from .conftest import ROOT

    text = (ROOT / "docs" / "classroom.md").read_text(encoding="utf-8")
    blocks = re.findall(r"`lesson/([\w.]+\.yaml)`\s*```yaml\n(.*?)```", text, re.S)
    (folder / "scenarios").mkdir()
    shutil.copy(CLASSROOM, folder / "scenarios" / "classroom.yaml")
    (folder / "lesson").mkdir()
    files = {}
    for name, body in blocks:
        body = "\n".join(line[3:] if line.startswith("   ") else line for line in body.splitlines())
        files[name] = folder / "lesson" / name
        files[name].write_text(body + "\n", encoding="utf-8")
    return files


def test_lesson_files_in_the_doc_give_the_results_the_doc_quotes(tmp_path):
    """The three lesson files docs/classroom.md tells teachers to write load, and with seed 0 give the results its
    table quotes; so do the dashboard's flexibility and rule controls. (A model change that moves these numbers
    must update the lesson too.)"""
    files = _lesson_files(tmp_path)
    assert sorted(files) == ["1_as_written.yaml", "2_caldera_flexible.yaml", "3_attribution_tier.yaml"]

    def run(path, **controls):
        model = LiveNegotiation(scenario=str(path), seed=0, **controls)
        _run(model)
        return model.outcome, model.round, model.adopted_round, model.in_force_round, int(model.signed.sum())

    assert run(files["1_as_written.yaml"]) == ("stalemate", 34, None, None, 0)
    assert run(files["2_caldera_flexible.yaml"]) == ("signed_not_in_force", 60, 8, None, 3)
    assert run(files["3_attribution_tier.yaml"]) == ("stalemate", 34, None, None, 0)
    assert run(files["1_as_written.yaml"], flexibility_scale=3.0) == ("agreement", 23, 9, 23, 3)
    assert run(files["1_as_written.yaml"], decision="majority_count") == ("agreement", 14, 1, 14, 3)


# ------------------------------------------------------------------------------- plain words and the why panel --
def test_every_decision_rule_has_one_plain_name_used_everywhere():
    """Each decision rule has a plain-language name (one table); the menu offers exactly those, each maps back to
    its rule, and the status and settings lines say the rule with its share in words, never its identifier."""
    from sim.app.views import RULE_NAMES, rule_choice, rule_name, settings_in_use

    assert set(RULE_NAMES) == set(DECISION_RULES)
    assert len(set(RULE_NAMES.values())) == len(RULE_NAMES)
    for decision, name in RULE_NAMES.items():
        assert rule_choice(name) == decision
    assert rule_name("consensus", 2 / 3) == "Consensus (no objection)"
    assert rule_name("majority_count", 2 / 3) == "Two-thirds of states"
    assert rule_name("majority_count", 0.67) == "Two-thirds of states"  # the slider's rounding of 2/3
    assert rule_name("majority_capability", 0.55) == "55% of capability"
    assert rule_name("plurilateral", 0.5, 3) == "3+ states with half of capability"
    with pytest.raises(ValueError, match="Consensus"):
        rule_choice("majority_count")
    for decision in DECISION_RULES:
        model = LiveNegotiation(scenario=str(CLASSROOM), decision=decision)
        model.step()
        shown = round_status(model)[1] + settings_in_use(model) + over_time_figure(model).axes[0].get_title()
        assert rule_name(decision, model.scenario.rules.threshold) in shown
        assert "_" not in decision or decision not in shown


def test_reset_cue_names_the_controls_that_differ_from_the_run_on_screen():
    """A control moved away from the running model's value is named (it applies on Reset); untouched controls, a
    threshold within half a slider step, or a model rebuilt from the same values leave no cue."""
    from sim.app.page import control_values
    from sim.app.views import pending_changes

    values = control_values(model_params(CLASSROOM))
    model = LiveNegotiation(scenario=str(CLASSROOM))
    assert pending_changes(model, values) == []
    assert pending_changes(model, {**values, "threshold": values["threshold"] + 0.004}) == []
    changed = {**values, "decision": "majority_count", "seed": 3, "flexibility_scale": 2.0}
    assert pending_changes(model, changed) == ["Flexibility", "Decision rule", "Seed"]
    assert pending_changes(model, {**values, "threshold": 0.8}) == ["Threshold"]
    assert pending_changes(LiveNegotiation(**changed), changed) == []


def test_why_panel_title_follows_the_talks(write_yaml):
    """The panel's title says what it explains: the opening, a deadlock while running, a stalemate at the end, an
    adoption (then an agreement once in force), a collapse."""
    from sim.app.views import why_title

    model = LiveNegotiation(scenario=str(CLASSROOM), seed=0)
    assert why_title(model) == "How the talks work"
    model.step()
    assert why_title(model) == "Why is it stuck?"
    _run(model)
    assert model.outcome == "stalemate" and why_title(model) == "Why it stalled"
    model = LiveNegotiation(scenario=str(CLASSROOM), decision="majority_count", seed=0)
    while model.adopted_round is None:
        model.step()
    assert why_title(model) == "Adopted: what tipped it"
    _run(model)
    assert model.in_force_round is not None and why_title(model) == "Agreement: what tipped it"


def _adopted(**controls):
    model = LiveNegotiation(scenario=str(CLASSROOM), seed=0, **controls)
    while model.adopted_round is None and model.running:
        model.step()
    assert model.adopted_round is not None
    return model


def test_after_adoption_the_panel_says_what_moved_the_last_objector_aboard():
    """When the classroom is adopted after rounds of objection (every state three times as flexible), the panel
    names the round of adoption, every signatory, the state that stopped objecting last and what moved it, and
    the state that let the text pass without signing."""
    model = _adopted(flexibility_scale=3.0)
    why = summarise(model)["explanation"]
    assert why["kind"] == "adoption" and why["last_aboard"]
    text = why_stuck_text(model)
    assert f"Adopted: in round {model.adopted_round}" in text
    for i in np.flatnonzero(model.signed):
        assert model.scenario.states[i].name in text.split("Left outside:")[0]
    tipped = next(line for line in text.splitlines() if line.startswith("What tipped it:"))
    last = why["last_aboard"][0]
    assert f"({last['state']}) stopped objecting in round {last['stopped_objecting_in_round']}" in tipped
    assert last["moved_by"] in tipped
    assert "Let it pass: Caldera (CAL) did not object but did not sign." in text


def test_an_agreement_explanation_from_the_run_is_shown_key_by_key(monkeypatch):
    """When the run's summary carries an explanation of kind "agreement", the panel shows each of its keys in words
    (ids as state names, dimensions by label, shares as percentages), whatever the keys are, instead of its own
    guess at what tipped it."""
    import sim.app.views as views

    model = _adopted(decision="majority_count")
    explanation = {"kind": "agreement", "tipping_round": 7, "last_aboard": ["DEL", "BOR"],
                   "moves": {"data_sovereignty": -0.125}, "capability_share": 0.8125, "unused": []}
    real = views.summarise
    monkeypatch.setattr(views, "summarise", lambda m: {**real(m), "explanation": explanation})
    text = why_stuck_text(model)
    assert "Tipping round: 7." in text
    assert "Last aboard: Deltora (DEL) and Borealis (BOR)." in text
    assert "Moves: data sovereignty -0.12." in text or "Moves: data sovereignty -0.13." in text
    assert "Capability share: 81%." in text
    assert "What tipped it:" not in text and "Unused" not in text and "Kind" not in text


def test_new_keys_of_a_deadlock_explanation_are_shown_too(monkeypatch):
    """A key the stalemate explanation gains (from a newer model) appears in the panel in words."""
    import sim.app.views as views

    model = LiveNegotiation(scenario=str(CLASSROOM), seed=0)
    model.step()
    real = views.explain
    monkeypatch.setattr(views, "explain", lambda m: {**real(m), "closest_round": 1, "near_miss_share": 0.5})
    text = why_stuck_text(model)
    assert "Closest round: 1." in text and "Near miss share: 50%." in text


def test_the_panel_says_who_joined_each_tier(write_yaml):
    """With a tier, the panel names the states that would join it before adoption and those that joined it after,
    with the members it needs and whether it came into being, as the model records them."""
    path = write_yaml(f"""
        extends: {CLASSROOM.resolve()}
        set:
          rules.decision: majority_count
          treaty.tiers:
            - name: attribution_protocol
              description: attribution shared and public
              at_least: {{attribution_transparency: 0.8}}
              entry_threshold: 2
    """)
    model = LiveNegotiation(scenario=str(path), seed=0)
    model.step()

    def tier_line(text):
        return next(line for line in text.splitlines() if line.startswith("Tier attribution protocol"))

    line = tier_line(why_stuck_text(model))
    assert "(attribution shared and public)" in line and "needs 2" in line
    while model.adopted_round is None and model.running:
        model.step()
    line = tier_line(why_stuck_text(model))
    members = {model.ids[i] for i in np.flatnonzero(model.tiers[:, 0])}
    for state in model.scenario.states:
        assert (state.name in line) == (state.id in members)
    assert ("so it is in being" in line) == bool(model.tier_alive[0])


@pytest.mark.parametrize("path", [CLASSROOM, "one_dimension"])
def test_map_drawn_over_a_cached_background_matches_a_full_draw(path, write_yaml):
    """The map drawn each round over a cached background (frame, ticks, axis labels) is the picture a full draw
    gives, pixel for pixel up to one level of anti-aliasing where a line meets the frame, on the first round and on
    later rounds that reuse the background."""
    import io

    from PIL import Image

    from sim.app.views import figure_png, map_png

    if path == "one_dimension":
        path = write_yaml("""
            metadata: {title: One issue}
            dimensions: [{name: enforcement}]
            states:
              - {id: AAA, ideal: {enforcement: 0.9}, capability: 2}
              - {id: BBB, ideal: {enforcement: 0.2}, capability: 1}
        """)
    model = LiveNegotiation(scenario=str(path), seed=0)
    pair = (model.dimensions[0], model.dimensions[-1])
    for _ in range(3):
        fast = np.asarray(Image.open(io.BytesIO(map_png(model, pair))).convert("RGBA"))
        full = np.asarray(Image.open(io.BytesIO(figure_png(issue_space_figure(model, pair)))).convert("RGBA"))
        assert fast.shape == full.shape
        assert np.abs(fast.astype(int) - full.astype(int)).max() <= 2
        model.step()
