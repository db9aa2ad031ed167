"""The negotiation model: reproducibility, the phases of a round, events, coalitions and outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.loader import load_raw, validate_raw, with_overrides
from sim.model import OUTCOMES, NegotiationModel
from sim.runner import run_once

from .conftest import SCENARIOS


def scenario(name: str, **overrides):
    raw = load_raw(SCENARIOS / f"{name}.yaml")
    return validate_raw(with_overrides(raw, {k.replace("__", "."): v for k, v in overrides.items()}))


@pytest.mark.parametrize("activation", ["random", "simultaneous"])
@pytest.mark.parametrize("name", ["classroom", "wpcnt", "global_stalemate"])
def test_same_seed_gives_identical_tables(name, activation):
    """One scenario and one seed give the same rounds, states and summary, run after run."""
    sc = scenario(name, protocol__activation=activation)
    a, b = run_once(sc, seed=11), run_once(sc, seed=11)
    pd.testing.assert_frame_equal(a.rounds, b.rounds)
    pd.testing.assert_frame_equal(a.states, b.states)
    assert a.summary == b.summary


@pytest.mark.parametrize("activation", ["random", "simultaneous"])
def test_different_seeds_differ_where_the_model_is_stochastic(activation):
    """Concession noise and ratification draws depend on the seed, so positions differ between seeds."""
    sc = scenario("wpcnt", protocol__activation=activation)
    a, b = run_once(sc, seed=1), run_once(sc, seed=2)
    assert not a.states["position_attribution_transparency"].equals(b.states["position_attribution_transparency"])


def test_without_noise_simultaneous_activation_is_deterministic_across_seeds():
    """With no concession noise and no decision noise, nothing before adoption is random under simultaneous
    activation; the decision noise alone makes seeds differ (the negative control)."""
    sc = scenario("classroom", protocol__activation="simultaneous", protocol__concession_noise=0,
                  protocol__decision_noise=0)
    pd.testing.assert_frame_equal(run_once(sc, seed=1).states, run_once(sc, seed=99).states)
    noisy = scenario("classroom", protocol__activation="simultaneous", protocol__concession_noise=0)
    assert not run_once(noisy, seed=1).states["utility"].equals(run_once(noisy, seed=99).states["utility"])


def test_random_activation_order_changes_the_path():
    """With noise switched off, random sequential activation still differs by seed: the order in which states
    concede matters because each reads the positions its partners hold at that moment."""
    sc = scenario("global_stalemate", protocol__concession_noise=0)
    a, b = run_once(sc, seed=1), run_once(sc, seed=2)
    assert not np.allclose(a.model.position, b.model.position)


def test_rounds_and_states_tables_have_the_documented_shape():
    """One row per round (from round 0) and one row per state per round, with the documented columns."""
    result = run_once(scenario("wpcnt"), seed=3)
    rounds, states = result.rounds, result.states
    assert rounds["round"].tolist() == list(range(result.summary["rounds"] + 1))
    assert len(states) == len(rounds) * 8
    for column in ["support_share", "core_members", "tier_attribution_sharing", "draft_enforcement", "dispersion",
                   "ratified", "in_force", "chair", "events"]:
        assert column in rounds
    for column in ["position_data_sovereignty", "utility", "support", "coalition", "tiers_joined",
                   "tier_joint_enforcement", "signed", "ratified", "engaged"]:
        assert column in states


def test_red_lines_are_never_crossed():
    """Over a whole run, no state's position leaves its red lines (Caldera: data sovereignty >= 0.7)."""
    for activation in ("random", "simultaneous"):
        result = run_once(scenario("classroom", protocol__activation=activation), seed=5)
        caldera = result.states[result.states["state"] == "CAL"]
        assert (caldera["position_data_sovereignty"] >= 0.7 - 1e-12).all()


def test_positions_start_at_the_opening_position():
    """A state with an opening position starts there; others start at their ideal."""
    sc = scenario("classroom", states__DEL__opening={"enforcement": 0.9})
    model = NegotiationModel(sc, seed=0)
    assert model.position[3].tolist() == [0.5, 0.55, 0.9]
    assert model.position[0].tolist() == [0.85, 0.2, 0.75]


def test_stalemate_is_explained():
    """The classroom stalls under consensus; the summary names Caldera as the only blocker, data sovereignty as the
    dividing dimension, the near-miss text that the three others would sign, and says that no move of Caldera's
    mandate within its red line would tip it (it is a holdout)."""
    result = run_once(scenario("classroom"), seed=1)
    summary = result.summary
    assert summary["outcome"] == "stalemate"
    why = summary["explanation"]
    assert why["kind"] == "deadlock"
    assert why["dividing_dimension"] == "data_sovereignty"
    assert [b["state"] for b in why["blockers"]] == ["CAL"]
    assert why["holdouts"] == ["CAL"] and why["blockers"][0]["held_out"] > 0
    assert why["near_miss"]["would_sign"] == ["AUR", "BOR", "DEL"]
    assert [m["state"] for m in why["near_miss"]["misses"]] == ["CAL"]
    assert not why["tippable"] and why["pivotal_concession"] is None
    # without the red line Caldera can be won over by moving its mandate, and the explanation finds that move
    free = run_once(scenario("classroom", states__CAL__red_lines={}), seed=1).summary
    assert free["outcome"] == "stalemate" and free["explanation"]["tippable"]
    assert free["explanation"]["pivotal_concession"]["state"] == "CAL"


def test_the_pivotal_concession_is_the_cheapest_not_the_last_listed():
    """Under a two-thirds vote two objectors, NEAR and ZZZ (listed last), each prefer no treaty; silencing either
    one would carry the vote. The explanation picks NEAR, whose mandate has less far to travel (negative control:
    the last objector in the list, ZZZ, would need the larger move), and checks that the move tips it."""
    from sim.loader import scenario_from_dict

    def state(sid, ideal, reservation=0.0):
        return {"id": sid, "ideal": {"enforcement": ideal}, "capability": 1, "flexibility": 0.0,
                "reservation": reservation}

    doc = {"metadata": {"title": "two objectors"}, "dimensions": [{"name": "enforcement"}],
           "states": [state("AAA", 0.5), state("BBB", 0.55), state("NEAR", 0.2, 0.3), state("ZZZ", 0.95, 0.3)],
           "treaty": {"participation_benefit": 0.6, "norm_externality": 1.0},
           "rules": {"decision": "majority_count", "threshold": 0.66, "ratifications_needed": 2},
           "protocol": {"decision_noise": 0, "concession_noise": 0, "max_rounds": 30, "isolation_cost": 0,
                        "mandate_cost": 0.5}}
    result = run_once(scenario_from_dict(doc), seed=0)
    why = result.summary["explanation"]
    assert result.summary["outcome"] == "stalemate" and why["objectors"] == ["NEAR", "ZZZ"]
    assert why["tippable"] and why["states_to_win_over"] == ["NEAR"]
    assert why["pivotal_concession"]["state"] == "NEAR" and why["pivotal_concession"]["moves"]["enforcement"] > 0


def test_agreement_enters_into_force_when_enough_ratify():
    """WPCNT is adopted, then ratified by at least the five states needed, and the run stops there."""
    result = run_once(scenario("wpcnt"), seed=0)
    s = result.summary
    assert s["outcome"] == "agreement" and s["adopted"] and s["in_force"]
    assert s["ratifications"] >= 5 and s["in_force_round"] == s["rounds"] > s["adopted_round"]
    assert set(s["ratified"]) <= set(s["core_members"])


def test_signed_but_not_in_force_when_too_few_can_ratify():
    """A signatory whose legislature can never ratify (difficulty 1) still signs a treaty worth having, but with
    three ratifications needed from three signatories the window closes with the treaty not in force."""
    result = run_once(scenario("classroom", rules__decision="majority_count", rules__ratification_window_months=12,
                               states__DEL__ratification_difficulty=1.0), seed=0)
    s = result.summary
    assert s["adopted"] and "DEL" in s["core_members"] and "DEL" not in s["ratified"]
    assert s["outcome"] == "signed_not_in_force" and "window closed" in s["reason"]
    assert s["rounds"] == s["adopted_round"] + 12


def test_the_text_opens_for_signature_months_after_adoption():
    """rules.signature_opens_months: after adoption nobody signs or ratifies until the opening; the signatories at
    the opening are those of a run that opens at once (the same states would sign), counted in the opening round;
    and the ratification window runs from the opening, not from adoption (the negative control: delay 0 signs in
    the round of adoption)."""
    base = scenario("classroom", rules__decision="majority_count", rules__ratification_window_months=12,
                    states__DEL__ratification_difficulty=1.0)
    delayed = scenario("classroom", rules__decision="majority_count", rules__ratification_window_months=12,
                       states__DEL__ratification_difficulty=1.0, rules__signature_opens_months=5)
    now, later = run_once(base, seed=0), run_once(delayed, seed=0)
    s, t = now.summary, later.summary
    assert s["opening_round"] == s["adopted_round"] and s["opening_date"] == s["adopted_date"]
    assert t["adopted_round"] == s["adopted_round"] and t["opening_round"] == t["adopted_round"] + 5
    rounds = later.rounds.set_index("round")
    gap = range(t["adopted_round"], t["opening_round"])
    assert all(rounds.loc[r, "core_members"] == 0 and rounds.loc[r, "ratified"] == 0 for r in gap)
    assert rounds.loc[t["opening_round"], "core_members"] == t["signatories_at_opening"] == s["signatories_at_opening"]
    assert t["explanation"]["signed_at_opening"] == s["explanation"]["signed_at_opening"]
    assert t["outcome"] == "signed_not_in_force" and t["rounds"] == t["opening_round"] + 12


def test_nobody_signs_a_treaty_no_legislature_could_ratify():
    """Two-level anticipation: with a ratification rate of 0 the treaty is worth nothing, so nobody signs it."""
    result = run_once(scenario("wpcnt", rules__ratification_rate=0.0, protocol__max_rounds=30), seed=0)
    assert not result.summary["adopted"] and result.summary["core_members"] == []


def test_partial_agreement_when_a_minority_joins():
    """A treaty in force among fewer states than broad_agreement_share is a partial agreement."""
    result = run_once(scenario("classroom", rules__decision="majority_count", rules__broad_agreement_share=1.0,
                               rules__ratifications_needed=2), seed=0)
    assert result.summary["outcome"] == "partial_agreement"
    assert len(result.summary["core_members"]) < 4


def test_timeout_when_rounds_run_out():
    """No adoption and no stalemate by the last round is a time-out."""
    result = run_once(scenario("global_stalemate"), seed=0, max_rounds=5)
    assert result.summary["outcome"] == "timeout" and result.summary["rounds"] == 5


def test_walkouts_collapse_the_talks():
    """When walk-outs leave fewer than collapse_share of the states, the talks collapse."""
    events = [{"type": "walkout", "round": 2, "state": s} for s in ("AUR", "BOR", "CAL")]
    result = run_once(scenario("classroom", events=events), seed=0)
    assert result.summary["outcome"] == "collapse" and result.summary["rounds"] == 2
    assert result.summary["walked_out"] == ["AUR", "BOR", "CAL"]
    why = result.summary["explanation"]  # a collapse is explained: who left, when and why
    assert why["kind"] == "collapse"
    assert [(d["state"], d["round"], d["reason"]) for d in why["departures"]] == [
        (s, 2, "scheduled walk-out") for s in ("AUR", "BOR", "CAL")]


def test_deadline_pressure_brings_consensus_on_the_eve_of_the_deadline():
    """End-game behaviour: with the mandate ending at round 20 the classroom times out; with pressure building over
    the last 6 rounds (the cost of objecting rising to 0.3 at the deadline) Caldera stops blocking before the end and
    the text is adopted by consensus, Caldera letting it pass. The stalemate waits for the pressure to come."""
    ended = run_once(scenario("classroom", protocol__deadline_round=20), seed=0).summary
    assert ended["outcome"] == "timeout" and ended["rounds"] == 20
    late = run_once(scenario("classroom", protocol__deadline_round=60, protocol__max_rounds=80,
                             protocol__endgame_rounds=6, protocol__endgame_pressure=0.3), seed=0).summary
    assert late["adopted"] and late["adopted_by"] == "consensus" and 54 <= late["adopted_round"] <= 60
    assert "CAL" in late["explanation"]["let_pass_without_signing"]
    assert late["explanation"]["last_aboard"][0]["state"] == "CAL"


def test_rounds_carry_calendar_dates():
    """Round r falls r * round_months months after the start date (calendar months, the day clamped to the month's
    length); entry into force adds its delay in days."""
    result = run_once(scenario("wpcnt", protocol__start_date="2021-01-31", protocol__round_months=1,
                               rules__entry_into_force_delay_days=90), seed=0)
    model, s = result.model, result.summary
    assert model.date_of(0) == "2021-01-31" and model.date_of(1) == "2021-02-28" and model.date_of(12) == "2022-01-31"
    assert result.rounds["date"].iloc[0] == "2021-01-31"
    assert s["adopted_date"] == model.date_of(s["adopted_round"])
    import datetime
    assert (datetime.date.fromisoformat(s["in_force_date"])
            - datetime.date.fromisoformat(model.date_of(s["in_force_round"]))).days == 90
    two = run_once(scenario("wpcnt", protocol__start_date="2020-01-01", protocol__round_months=2.5), seed=0).model
    assert two.date_of(2) == "2020-06-01" and two.date_of(1) == "2020-03-16"


def test_a_mandate_deadline_ends_the_talks_and_calls_the_fallback_vote():
    """The classroom stalls under consensus; with a deadline at round 6 the talks end there as a time-out (the
    mandate ended), and with a fallback vote scheduled after the deadline the vote is held at the deadline instead,
    adopting the text over Caldera's objection."""
    ended = run_once(scenario("classroom", protocol__deadline_round=6), seed=0).summary
    assert ended["outcome"] == "timeout" and ended["rounds"] == 6 and "mandate ended" in ended["reason"]
    voted = run_once(scenario("classroom", protocol__deadline_round=6,
                              rules__fallback={"round": 20, "decision": "majority_count", "threshold": 0.66}),
                     seed=0).summary
    assert voted["adopted"] and voted["adopted_round"] == 6 and voted["adopted_by"] == "majority_count"
    assert "CAL" in voted["explanation"]["voted_against"]
    # without a deadline the fallback waits for its round
    later = run_once(scenario("classroom", rules__fallback={"round": 20, "decision": "majority_count",
                                                             "threshold": 0.66}), seed=0).summary
    assert later["adopted_round"] == 20


def test_endogenous_walkout_after_patience_runs_out():
    """With walkout_patience set, a state whose utility stays more than walkout_margin below its reservation for that
    many failed votes leaves; the others, merely objecting, stay."""
    result = run_once(scenario("classroom", protocol__walkout_patience=3, states__CAL__reservation=0.3), seed=0)
    states = result.states
    last = states[states["round"] == result.summary["rounds"]].set_index("state")["engaged"]
    assert not last["CAL"] and last[["AUR", "BOR", "DEL"]].all()
    assert result.summary["walked_out"] == ["CAL"]


def test_walkout_patience_does_not_empty_a_polarised_table():
    """In the polarised global scenario only the most dissatisfied walk out, not every objector at once."""
    result = run_once(scenario("global_stalemate", protocol__walkout_patience=20), seed=0)
    assert 0 < len(result.summary["walked_out"]) < 24 // 2


def test_walking_out_after_adoption_withdraws_signature_and_ratification():
    """A signatory that walks out after adoption is no longer a member, nor counted as ratified."""
    result = run_once(scenario("wpcnt", rules__ratification_rate=1.0, protocol__rounds_after_entry_into_force=10,
                               events=[{"type": "walkout", "round": 6, "state": "AUS"}]), seed=0)
    s = result.summary
    assert s["adopted_round"] < 6 < s["rounds"]
    ratified = result.states[result.states["state"] == "AUS"].set_index("round")["ratified"]
    assert ratified.loc[5] and not ratified.loc[6]  # it had ratified, and leaving withdrew it
    assert "AUS" in s["walked_out"] and "AUS" not in s["core_members"] and "AUS" not in s["ratified"]
    assert all("AUS" not in tier["members"] for tier in s["tiers"].values())


def test_events_after_the_last_round_do_not_hold_off_a_stalemate():
    """An event scheduled after max_rounds can never happen, so the classroom still ends in stalemate."""
    result = run_once(scenario("classroom", events=[{"type": "outside_pressure", "round": 150}]), seed=0)
    assert result.summary["outcome"] == "stalemate" and result.summary["rounds"] < 60


def test_government_change_salience_is_on_the_scenarios_scale():
    """New salience values replace the state's own weights on the scenario's scale before normalising: AUR's
    weights (0.5, 0.3, 0.2) with enforcement set to 0.5 become (0.5, 0.3, 0.5) / 1.3."""
    model = NegotiationModel(scenario("classroom", events=[
        {"type": "government_change", "round": 1, "state": "AUR", "salience": {"enforcement": 0.5}}]), seed=0)
    model.step()
    assert model.salience[0] == pytest.approx(np.array([0.5, 0.3, 0.5]) / 1.3)


def test_leader_of_a_merged_away_coalition_can_defect():
    """After a merger the old leader is an ordinary member and defects when it drifts too far."""
    sc = scenario("classroom", coalitions=[{"name": "a", "members": ["AUR", "BOR"], "leader": "AUR"},
                                           {"name": "c", "members": ["DEL", "CAL"], "leader": "DEL"}],
                  protocol__merge_distance=0.9, protocol__defection_distance=0.2)
    model = NegotiationModel(sc, seed=0)
    model.step()
    assert model.coalitions[-1].name == "a+c" and model.coalitions[-1].leader == 0
    for _ in range(3):
        model.step()
    assert model.coalition_of(2) is None  # Caldera, far from the merged centre, has left


def test_stalemate_waits_for_scheduled_events():
    """A run does not end in stalemate while a scheduled event could still move it: pressure at round 60 lets
    Caldera concede and the classroom reaches agreement."""
    events = [{"type": "outside_pressure", "round": 60, "states": ["CAL"], "flexibility_boost": 0.6}]
    result = run_once(scenario("classroom", events=events, protocol__max_rounds=150), seed=0)
    assert result.summary["rounds"] > 60
    assert result.summary["adopted"]


def test_cyber_incident_raises_victims_attribution_and_cuts_trust():
    """Victims' salience and ideal on attribution rise at the incident's round; their trust in the accused falls."""
    events = [{"type": "cyber_incident", "round": 3, "victims": ["AUR", "DEL"], "accused": ["CAL"],
               "severity": 0.5, "shift": 0.1}]
    model = NegotiationModel(scenario("classroom", events=events,
                                      relations=[{"source": "DEL", "target": "CAL", "trust": 0.8}]), seed=0)
    before_sal, before_ideal = model.salience.copy(), model.ideal.copy()
    before_trust = model.trust[3, 2]
    for _ in range(3):
        model.step()
    assert model.salience[0, 0] > before_sal[0, 0] and model.salience[3, 0] > before_sal[3, 0]
    assert model.salience[1].tolist() == before_sal[1].tolist()
    assert model.ideal[3, 0] == pytest.approx(before_ideal[3, 0] + 0.1)
    assert model.trust[3, 2] == pytest.approx(before_trust - 0.5)
    assert model.log.events[3] == "cyber_incident"


def test_government_change_brings_a_new_ideal():
    """A new government's ideal replaces the old, and its position restarts there."""
    events = [{"type": "government_change", "round": 2, "state": "CAL",
               "ideal": {"data_sovereignty": 0.75, "attribution_transparency": 0.5}, "flexibility": 0.6}]
    model = NegotiationModel(scenario("classroom", events=events), seed=0)
    model.step()
    model.step()
    assert model.ideal[2].tolist() == [0.5, 0.75, 0.3]
    assert model.flexibility[2] == 0.6
    # it concedes during round 2 after the change, so it is near (not at) the new ideal
    assert np.abs(model.position[2] - model.ideal[2]).max() < 0.1


def test_join_event_brings_a_state_to_the_table():
    """Taiwan, not at the table in WPCNT, joins at round 3 and takes part from then on."""
    result = run_once(scenario("wpcnt", events=[{"type": "join", "round": 3, "state": "TWN"}]), seed=0)
    twn = result.states[result.states["state"] == "TWN"].set_index("round")["engaged"]
    assert not twn.loc[2] and twn.loc[3]
    assert result.summary["states_in_talks"] == 8


def test_outside_pressure_raises_flexibility():
    """Outside pressure adds to flexibility, capped at 1."""
    model = NegotiationModel(scenario("classroom", events=[
        {"type": "outside_pressure", "round": 1, "flexibility_boost": 0.5}]), seed=0)
    model.step()
    assert model.flexibility.tolist() == [0.8, 0.9, 0.65, 1.0]


def test_coalition_members_that_drift_away_defect():
    """A member whose position is further than defection_distance from its coalition's centre leaves it."""
    model = NegotiationModel(scenario("classroom", protocol__defection_distance=0.05,
                                      states__BOR__opening={"attribution_transparency": 0.2,
                                                            "data_sovereignty": 0.9}), seed=0)
    model.step()
    assert model.coalition_of(1) is None and model.coalition_of(0) == "open_net"


def test_close_coalitions_merge():
    """Two coalitions whose centres are within merge_distance merge under the more capable leader."""
    sc = scenario("classroom", coalitions=[{"name": "a", "members": ["AUR"]}, {"name": "b", "members": ["BOR"]}],
                  protocol__merge_distance=0.3)
    model = NegotiationModel(sc, seed=0)
    model.step()
    assert model.coalition_of(0) == model.coalition_of(1) == "a+b"
    assert model.coalitions[-1].leader == 0
    assert model.trust[0, 1] == model.trust[1, 0] == 0.5


@pytest.mark.parametrize("chair", ["compromise", "rotation", "best_supported", "AUR"])
def test_every_chair_mode_runs_and_records_the_chair(chair):
    """Each chair mode produces drafts; a state chair is recorded by its id, the secretariat otherwise."""
    result = run_once(scenario("classroom", protocol__chair=chair), seed=0)
    chairs = set(result.rounds["chair"].iloc[1:])
    if chair == "AUR":
        assert chairs == {"AUR"}
    elif chair == "compromise":
        assert chairs == {"secretariat"}
    elif chair == "rotation":
        assert chairs == {"AUR"}  # the only coalition leader
    else:  # best_supported: the secretariat's text or a leader's
        assert chairs <= {"secretariat", "AUR"}
    assert result.summary["outcome"] in OUTCOMES


def test_a_state_chair_tables_the_passable_text_it_likes_best():
    """Under a two-thirds rule the chair searches the texts the rule would adopt: with Aurelia in the chair the
    adopted text is worth at least as much to Aurelia as the secretariat's, and more to Aurelia than to the
    secretariat's Nash product would give it whenever they differ."""
    for seed in range(4):
        neutral = run_once(scenario("classroom", rules__decision="majority_count"), seed=seed).model
        chaired = run_once(scenario("classroom", rules__decision="majority_count", protocol__chair="AUR"),
                           seed=seed).model
        assert neutral.adopted_round is not None and chaired.adopted_round is not None
        aur = chaired.index["AUR"]
        loss = [np.sqrt((m.salience[aur] * (m.draft - m.ideal[aur]) ** 2).sum()) for m in (neutral, chaired)]
        assert loss[1] <= loss[0] + 1e-9


def test_agents_are_mesa_agents_viewing_model_arrays():
    """Every state is a Mesa agent whose attributes read the model's arrays."""
    model = NegotiationModel(scenario("classroom"), seed=0)
    assert len(model.agents) == 4
    agent = model.state_agents[2]
    assert agent.state_id == "CAL" and agent.name == "Caldera"
    assert agent.position.tolist() == model.position[2].tolist()
    assert agent.coalition is None and model.state_agents[0].coalition == "open_net"


def test_core_floor_binds_the_draft():
    """A core floor holds every draft at or above it (a single-package treaty)."""
    result = run_once(scenario("classroom", treaty__core__at_least={"enforcement": 0.8}), seed=0)
    assert (result.rounds["draft_enforcement"].iloc[1:] >= 0.8 - 1e-12).all()


def test_tiers_form_only_with_enough_members():
    """A tier comes into being only if at least entry_threshold signatories opt in; otherwise it has no members."""
    result = run_once(scenario("wpcnt"), seed=0)
    tiers = result.summary["tiers"]
    for name, tier in tiers.items():
        assert tier["in_being"] == (len(tier["members"]) >= tier["entry_threshold"])
        assert set(tier["members"]) <= set(result.summary["core_members"])
    assert tiers["attribution_sharing"]["members"] == ["USA", "AUS", "NZL"]


def test_any_number_of_dimensions():
    """Nothing assumes three dimensions: a one- and a five-dimension scenario run."""
    for k in (1, 5):
        dims = [{"name": f"d{i}"} for i in range(k)]
        states = [{"id": f"S{j}", "ideal": {f"d{i}": (i + j) % 3 / 2 for i in range(k)}, "capability": j + 1}
                  for j in range(4)]
        sc = validate_raw(with_overrides(load_raw(SCENARIOS / "classroom.yaml"), {
            "dimensions": dims, "states": states, "coalitions": [], "treaty": {"tiers": [
                {"name": "deep", "at_least": {"d0": 0.9}}]}}))
        result = run_once(sc, seed=0)
        assert result.summary["outcome"] in OUTCOMES
        assert len(result.summary["core_text"]) == k


def test_run_can_go_on_after_entry_into_force():
    """With rounds_after_entry_into_force, the run stops that many rounds after entry into force, and ratifications
    keep coming meanwhile."""
    plain = run_once(scenario("wpcnt"), seed=0).summary
    longer = run_once(scenario("wpcnt", protocol__rounds_after_entry_into_force=10), seed=0).summary
    assert longer["in_force_round"] == plain["in_force_round"]
    assert longer["rounds"] == plain["rounds"] + 10
    assert longer["ratifications"] >= plain["ratifications"]
    assert longer["outcome"] == "agreement"


def test_finished_models_are_freed():
    """A model no longer referenced is garbage-collected (Mesa 3.3.1 would otherwise keep every model alive, and a
    long sweep's memory would grow without bound)."""
    import gc
    import weakref

    result = run_once(scenario("wpcnt"), seed=0)
    ref = weakref.ref(result.model)
    del result
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("rule", ["consensus", "plurilateral"])
def test_the_treatys_value_counts_the_world_not_the_table(rule):
    """A treaty is worth the share of the world that joins it: a non-member leaving the table leaves the members'
    value as it was. Normalised over the states at the table (the plausible wrong version), a walk-out would make
    the same membership worth N/(N-1) times more."""
    from sim.model import decisions

    model = NegotiationModel(scenario("classroom", rules__decision=rule), seed=0)
    text = model.ideal[:1]  # Auroria's ideal: three of the four states would sign it
    before = decisions.evaluate(model, text)
    outside = np.flatnonzero(~before.members[:, 0])
    assert 0 < len(outside) < model.n and before.value[0] > 0
    leaver = int(outside[0])
    model.engaged[leaver] = False
    model.table_changed()
    after = decisions.evaluate(model, text)
    assert np.array_equal(after.members[:, 0], before.members[:, 0])
    assert after.value[0] == pytest.approx(before.value[0], rel=1e-12)
    weights = model.weights(rule)  # the vote weights do count the table alone
    assert weights[model.engaged].sum() == pytest.approx(1.0) and weights[leaver] == 0.0


def test_signature_rate_spreads_signing_over_the_rounds_after_the_opening():
    """At rules.signature_rate p < 1 (and signature_keenness 0) each state that would sign does so with chance p a
    round: about p of them sign
    in the opening round, the rest later, and in the end the same states have signed as at p = 1, where everyone
    willing signs at the opening (the control)."""
    from scipy.stats import binomtest

    willing = opened = 0
    for seed in range(8):
        at_once = run_once(scenario("wpcnt"), seed=seed).summary
        assert at_once["signatories_at_opening"] == len(at_once["core_members"])
        result = run_once(scenario("wpcnt", rules__signature_rate=0.4, rules__signature_keenness=0), seed=seed)
        spread = result.summary
        assert sorted(spread["core_members"]) == sorted(at_once["core_members"])
        signing = result.rounds["core_members"].to_numpy()
        opening = spread["opening_round"]
        assert signing[opening] == spread["signatories_at_opening"] and signing[-1] == len(spread["core_members"])
        assert (np.diff(signing[opening:]) >= 0).all()
        willing += len(spread["core_members"])
        opened += spread["signatories_at_opening"]
    assert opened < willing
    assert binomtest(opened, willing, 0.4).pvalue > 0.001


def _gains_at_the_opening(keenness: float, seeds) -> tuple[list[float], list[float]]:
    """Gains over no treaty of the states that signed at the opening and of those that would sign but had not yet."""
    early, late = [], []
    for seed in seeds:
        model = NegotiationModel(scenario("global_stalemate", rules__decision="majority_count",
                                          rules__signature_rate=0.5, rules__signature_keenness=keenness), seed=seed)
        while model.running and model.opening_signatories is None:
            model.step()
        if model.opening_signatories is None:
            continue
        gain = model.utility - model.reservation_now
        early += gain[model.signed].tolist()
        late += gain[model.would_sign & ~model.signed].tolist()
    return early, late


def test_keener_states_sign_sooner():
    """rules.signature_keenness: a state that would sign signs in a round with chance 1 - (1 - p)^(g / m) (g its gain
    over no treaty, m the mean gain of the states that would sign), so the states that sign at the opening gain more
    than those that sign later. Negative control: with keenness 0 every such state signs with chance p, and the two
    groups gain alike."""
    from scipy.stats import mannwhitneyu

    early, late = _gains_at_the_opening(1.0, range(16))
    assert len(early) > 20 and len(late) > 20
    assert mannwhitneyu(early, late, alternative="greater").pvalue < 0.001
    early, late = _gains_at_the_opening(0.0, range(16))
    assert mannwhitneyu(early, late, alternative="greater").pvalue > 0.05


def test_a_state_of_average_gain_signs_at_the_signature_rate():
    """The chance a round for a state whose gain is the mean gain of the states that would sign is the signature
    rate p; twice the mean gain gives the chance of two rounds, half of it that of half a round, no gain no hurry;
    keenness 0 gives p to everyone."""
    from sim.model import decisions

    gain = np.array([0.2, 0.0, 0.1, 0.1, 0.05, 0.15, 0.1, 0.1])  # mean 0.1
    for keenness, expected in ((1.0, [1 - 0.6 ** 2, 0.0, 0.4, 0.4, 1 - 0.6 ** 0.5, 1 - 0.6 ** 1.5, 0.4, 0.4]),
                               (0.0, [0.4] * 8)):
        model = NegotiationModel(scenario("wpcnt", rules__signature_rate=0.4, rules__signature_keenness=keenness),
                                 seed=0)
        model.would_sign = np.ones(model.n, bool)
        model.utility = model.reservation_now + gain
        assert np.allclose(np.broadcast_to(decisions.signature_chance(model), (8,)), expected)
