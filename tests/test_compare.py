"""compare: paired runs of two scenarios over the same seeds, and the intervals for their differences."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sim.compare as compare_module
from sim.cli import ExitCode, main
from sim.compare import compare, newcombe_paired, paired_mean_interval, replicate_seeds, wilson
from sim.loader import load_scenario

from .conftest import MINIMAL, SCENARIOS

CLASSROOM = SCENARIOS / "classroom.yaml"
TWO_THIRDS = SCENARIOS / "variants" / "classroom_two_thirds.yaml"
COMPARE_FILES = {"manifest.json", "comparison.json", "report.txt", "scenario_a.yaml", "scenario_b.yaml",
                 "runs.parquet", "runs.csv", "membership.parquet", "membership.csv", "differences.parquet",
                 "differences.csv", "differences.png", "outcomes.png"}


def test_wilson_interval_matches_the_textbook_value():
    """Wilson's 95% interval for 5 of 10 is 0.2366 to 0.7634; for 0 of 10 it starts at 0."""
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 10)[0] == 0.0 and round(wilson(0, 10)[1], 4) == 0.2775


def test_newcombe_paired_interval_matches_a_published_example():
    """Newcombe's paired interval (method 10) for the Cavo et al. (2012) table in Fagerland, Lydersen and Laake,
    Statistical Analysis of Contingency Tables (2017), ch. 8: 59 both, 6 and 16 discordant, 80 neither gives
    -0.0621 (95% CI -0.1186 to -0.0046)."""
    difference, low, high = newcombe_paired(both=59, only_a=16, only_b=6, neither=80)
    assert (round(difference, 4), round(low, 4), round(high, 4)) == (-0.0621, -0.1186, -0.0046)


def test_newcombe_paired_is_antisymmetric_and_contains_zero_for_concordant_pairs():
    """Swapping A and B negates the interval; pairs that always agree give an interval around 0."""
    d, low, high = newcombe_paired(7, 3, 9, 11)
    d2, low2, high2 = newcombe_paired(7, 9, 3, 11)
    assert (d2, low2, high2) == pytest.approx((-d, -high, -low))
    for counts in [(10, 0, 0, 10), (20, 0, 0, 0), (0, 0, 0, 20)]:
        d, low, high = newcombe_paired(*counts)
        assert d == 0 and low < 0 < high


def test_paired_t_interval_by_hand_and_degenerate_case():
    """Differences 1, 2, 3 (mean 2, sd 1, n 3) give 2 -/+ 4.3027 / sqrt(3); identical differences collapse the
    interval onto their value."""
    mean, low, high = paired_mean_interval([0, 0, 0], [1, 2, 3])
    assert mean == 2 and (low, high) == pytest.approx((2 - 4.302653 / 3 ** 0.5, 2 + 4.302653 / 3 ** 0.5))
    assert paired_mean_interval([1, 5, 9], [1, 5, 9]) == (0.0, 0.0, 0.0)
    assert paired_mean_interval([1, 5, 9], [4, 8, 12]) == (3.0, 3.0, 3.0)
    with pytest.raises(ValueError):
        paired_mean_interval([1], [2])


def test_replicate_seeds_are_spawned_deterministically_from_the_master_seed():
    """The same master seed gives the same, distinct replicate seeds; another master seed gives others."""
    seeds = replicate_seeds(7, 20)
    assert seeds == replicate_seeds(7, 20) and len(set(seeds)) == 20
    assert replicate_seeds(8, 20) != seeds
    assert replicate_seeds(7, 5) == seeds[:5]


def test_a_scenario_compared_with_itself_shows_no_difference():
    """Same scenario, same seeds: identical runs, every difference exactly 0, every mean interval [0, 0], and no
    measure flagged significant."""
    scenario = load_scenario(SCENARIOS / "wpcnt.yaml")
    result = compare(scenario, scenario, replicates=6, master_seed=3)
    diff = result.differences
    assert not diff["significant"].any()
    assert (diff["difference"] == 0).all()
    means = diff[diff["kind"] == "mean"]
    assert (means["low"] == 0).all() and (means["high"] == 0).all()
    assert set(diff["group"]) >= {"outcome", "treaty", "run", "core text", "tier members", "membership"}
    runs_a = result.runs[result.runs["scenario"] == "A"].drop(columns="scenario").reset_index(drop=True)
    runs_b = result.runs[result.runs["scenario"] == "B"].drop(columns="scenario").reset_index(drop=True)
    assert runs_a.equals(runs_b)


def test_a_real_difference_is_found():
    """Consensus against a two-thirds rule in the classroom: the core is never adopted under consensus and always
    under two-thirds, a difference flagged significant; Caldera, which never joins, shows no membership change.
    Members are members of an adopted text: under consensus, where nothing is adopted, nobody is one (the states
    that would sign the last draft are not), so the three that join under two-thirds gain membership."""
    result = compare(load_scenario(CLASSROOM), load_scenario(TWO_THIRDS), replicates=5)
    diff = result.differences.set_index(["group", "measure"])
    adopted = diff.loc[("treaty", "adopted")]
    assert adopted["a"] == 0 and adopted["b"] == 1 and adopted["significant"] and adopted["low"] > 0
    assert diff.loc[("outcome", "stalemate"), "high"] < 0
    assert not diff.loc[("membership", "CAL"), "significant"]
    assert diff.loc[("run", "core_members"), "a"] == 0 and diff.loc[("run", "core_members"), "significant"]
    joined = [s for s in ("AUR", "BOR", "DEL") if diff.loc[("membership", s), "significant"]]
    assert joined == ["AUR", "BOR", "DEL"]


def test_tiers_and_states_in_only_one_scenario(write_yaml):
    """A tier only B has counts as 0 members in A; states only one scenario has are noted, not compared."""
    a = load_scenario(write_yaml(MINIMAL, "a.yaml"))
    b_text = MINIMAL + """\
  - id: CCC
    ideal: {attribution_transparency: 0.55, data_sovereignty: 0.45, enforcement: 0.5}
    capability: 1
treaty:
  tiers:
    - name: deep
      at_least: {enforcement: 0.8}
"""
    b = load_scenario(write_yaml(b_text, "b.yaml"))
    result = compare(a, b, replicates=3)
    tier = result.differences.set_index(["group", "measure"]).loc[("tier members", "deep")]
    assert tier["a"] == 0
    assert any("CCC" in note for note in result.notes)
    assert "CCC" not in set(result.differences[result.differences["group"] == "membership"]["measure"])


def test_tier_members_are_core_members_who_opted_in():
    """A tier's members, as compare counts them, signed the adopted core: with signatures spread over the rounds
    after the opening and runs cut short, states that would opt in but have not signed yet are not counted."""
    scenario = load_scenario(TWO_THIRDS, ["treaty.tiers=[{name: deep, at_least: {enforcement: 0.6}}]",
                                          "rules.signature_rate=0.3"])
    runs = compare(scenario, scenario, replicates=10, max_rounds=2).runs
    assert (runs["tier_deep"] <= runs["core_members"]).all()
    assert (runs["tier_deep"] > 0).any() and (runs["core_members"] < 3).any()  # the case arises, and tiers exist


def test_a_failing_run_drops_its_seed_from_both_sides(monkeypatch):
    """If a run raises, its seed is left out of A and B alike (the comparison stays paired) and reported."""
    scenario = load_scenario(CLASSROOM)
    seeds = replicate_seeds(0, 4)
    real = compare_module.run_once

    def flaky(scn, seed, max_rounds=None):
        if seed == seeds[1] and scn is not scenario:
            raise RuntimeError("boom")
        return real(scn, seed, max_rounds=max_rounds)

    monkeypatch.setattr(compare_module, "run_once", flaky)
    other = load_scenario(TWO_THIRDS)
    result = compare(scenario, other, replicates=4)
    assert result.seeds == [seeds[0], seeds[2], seeds[3]]
    assert result.failures == [{"scenario": "B", "replicate": 1, "seed": seeds[1], "error": "RuntimeError: boom"}]
    assert (result.runs.groupby("scenario").size() == 3).all()
    assert any("left out" in note for note in result.notes)


def test_cli_compare_self_reports_no_difference_and_writes_a_folder(tmp_path, capsys):
    """`run.py compare A A` prints the verdict "no significant difference" and writes a complete results folder
    whose manifest lists every file and whose seeds are those spawned from --seed."""
    path = str(SCENARIOS / "classroom.yaml")
    code = main(["compare", path, path, "--replicates", "4", "--seed", "5", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "Verdict: no significant difference" in out
    folders = [p for p in tmp_path.iterdir()]
    assert len(folders) == 1 and folders[0].name.startswith("compare-classroom-vs-classroom-")
    assert {p.name for p in folders[0].iterdir()} == COMPARE_FILES
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    assert set(manifest["files"]) == COMPARE_FILES - {"manifest.json"}
    summary = json.loads((folders[0] / "comparison.json").read_text())
    assert summary["seeds"] == replicate_seeds(5, 4) and summary["significant"] == []


def test_cli_compare_with_overrides_and_json(tmp_path, capsys):
    """--set-b changes only B; --json prints the significant differences and the results folder."""
    path = str(SCENARIOS / "classroom.yaml")
    code = main(["compare", path, path, "--replicates", "3", "--set-b", "rules.decision=majority_count",
                 "--json", "--out", str(tmp_path)])
    assert code == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["b"]["overrides"] == ["rules.decision=majority_count"]
    assert any(row["measure"] == "adopted" for row in data["significant"])
    assert data["results"].startswith(str(tmp_path))


@pytest.mark.parametrize("argv, code", [
    (["--replicates", "1"], ExitCode.USAGE),
    (["--confidence", "1.5"], ExitCode.USAGE),
    (["--set-b", "rules.nonsense=1"], ExitCode.INVALID_INPUT),
])
def test_cli_compare_refuses_bad_arguments(tmp_path, capsys, argv, code):
    """Too few replicates, a confidence outside (0.5, 1) and a bad override are refused before any run, and no
    results folder is made."""
    path = str(SCENARIOS / "classroom.yaml")
    assert main(["compare", path, path, "--out", str(tmp_path / "out"), *argv]) == code
    assert not (tmp_path / "out").exists()


def test_membership_table_has_one_row_per_run_and_state():
    """The membership table records, per scenario, replicate and state, whether the state was a core member."""
    scenario = load_scenario(SCENARIOS / "wpcnt.yaml")
    result = compare(scenario, scenario, replicates=2)
    assert len(result.membership) == 2 * 2 * len(scenario.states)
    assert result.membership["member"].dtype == np.bool_
