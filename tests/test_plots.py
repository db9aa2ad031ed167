"""Figures fit for a report or a slide: 200 dpi PNG (SVG or PDF on request), text of at least 9 pt, legends outside
the axes with a key for dot size, labels clear of each other and of the draft star, one colour per outcome, milestones
and events in the legend, titles that say what the figure shows, and compare's two figures."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sim import plots
from sim.cli import main
from sim.loader import load_scenario
from sim.runner import run_once

from .conftest import SCENARIOS

CLASSROOM = SCENARIOS / "classroom.yaml"

# Six states crowded round the middle of the map, so that their labels would collide where they are written.
CROWDED = """
metadata: {title: Crowded}
states:
  - {id: AAA, ideal: {attribution_transparency: 0.50, data_sovereignty: 0.50, enforcement: 0.5}, capability: 3}
  - {id: BBB, ideal: {attribution_transparency: 0.52, data_sovereignty: 0.51, enforcement: 0.5}, capability: 1}
  - {id: CCC, ideal: {attribution_transparency: 0.49, data_sovereignty: 0.53, enforcement: 0.5}, capability: 2}
  - {id: DDD, ideal: {attribution_transparency: 0.53, data_sovereignty: 0.48, enforcement: 0.5}, capability: 1}
  - {id: EEE, ideal: {attribution_transparency: 0.47, data_sovereignty: 0.49, enforcement: 0.5}, capability: 1}
  - {id: FFF, ideal: {attribution_transparency: 0.51, data_sovereignty: 0.47, enforcement: 0.5}, capability: 2}
"""


@pytest.fixture(scope="module")
def classroom_run():
    return run_once(load_scenario(CLASSROOM), seed=1, max_rounds=6)


def _texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


def _box(artist, renderer):
    return artist.get_window_extent(renderer)


def test_every_text_of_every_run_figure_is_at_least_9_pt(classroom_run):
    """Titles, labels, ticks, legends and state names are all 9 pt or more at the figure's print size, and no
    figure is wider than a slide or report page allows (7.5 in; the three-panel map 13.3 in)."""
    r = classroom_run
    figures = [plots.positions_figure(r.scenario, r.rounds, r.states, r.summary, r.seed),
               plots.support_figure(r.scenario, r.rounds, r.summary, r.seed),
               plots.issue_space_figure(r.scenario, r.rounds, r.states, 6, summary=r.summary, seed=r.seed)]
    for fig in figures:
        fig.canvas.draw()
        small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < 9]
        assert not small
        assert fig.get_size_inches()[0] <= 13.3
        plots.plt.close(fig)


def test_png_at_200_dpi_and_vector_on_request(tmp_path, capsys):
    """`run` writes each figure as a 200 dpi PNG; with --vector svg also as SVG, listed in the manifest."""
    out = tmp_path / "results"
    assert main(["run", str(CLASSROOM), "--rounds", "3", "--quiet", "--vector", "svg", "--out", str(out)]) == 0
    folder = Path(capsys.readouterr().out.strip())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for stem in ("positions", "support", "issue_space"):
        with Image.open(folder / f"{stem}.png") as image:
            assert round(image.info["dpi"][0]) == 200
        assert (folder / f"{stem}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
        assert f"{stem}.svg" in manifest["files"]


def test_issue_space_legend_is_outside_the_axes_and_keys_dot_size(classroom_run):
    """The map's legend lies wholly outside every panel, names the objectors' ring and gives a key for dot size."""
    r = classroom_run
    fig = plots.issue_space_figure(r.scenario, r.rounds, r.states, 6, summary=r.summary, seed=r.seed)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 1
    box = _box(legends[0], renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent(renderer))
    labels = [t.get_text() for t in legends[0].get_texts()]
    assert "objects" in labels and sum(label.startswith("capability ") for label in labels) >= 2
    plots.plt.close(fig)


def test_state_labels_avoid_each_other_and_the_star(write_yaml):
    """On a crowded map, where the labels as first written collide, the layout pass leaves no two state labels
    overlapping and none over the draft star."""
    scenario = load_scenario(write_yaml(CROWDED))
    result = run_once(scenario, seed=0, max_rounds=1)
    now = result.states[result.states["round"] == 0]
    draft = {d: 0.5 for d in scenario.dimension_names}
    pair = ("attribution_transparency", "data_sovereignty")

    def labels(layout: bool):
        fig = plots.plt.figure(figsize=(4.4, 4.4))
        ax = fig.add_subplot()
        plots.issue_space(ax, scenario, now, draft, pair, legend=False, label_layout=layout)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        boxes = [_box(t, renderer) for t in ax.texts if t.get_text() in scenario.state_ids]
        star = ax.transData.transform((draft[pair[0]], draft[pair[1]]))
        plots.plt.close(fig)
        return boxes, star

    before, _ = labels(False)
    assert any(a.overlaps(b) for a, b in combinations(before, 2))  # the fixture: they collide as written
    after, star = labels(True)
    assert len(after) == 6
    assert not [(a, b) for a, b in combinations(after, 2) if a.overlaps(b)]
    assert not any(box.contains(*star) for box in after)


def test_one_colour_per_outcome_and_none_with_two_meanings():
    """Each outcome has its own colour; no coalition shares the objectors' red or the no-coalition grey."""
    colours = list(plots.OUTCOME_COLOURS.values())
    assert len(set(colours)) == len(colours) == 6
    fills = set(plots.coalition_colours([f"c{i}" for i in range(12)]).values()) - {plots.NO_COALITION}
    assert plots.OBJECTS not in fills and plots.NO_COALITION not in plots.PALETTE
    assert plots.outcome_colour("agreement") == plots.OUTCOME_COLOURS["agreement"]


def test_milestones_and_events_are_marked_and_in_the_legend(classroom_run):
    """Adoption, entry into force and each scheduled event of the rounds table (its `events` column) are drawn in
    the positions figure and named in its legend with their rounds; a table without an `events` column draws."""
    r = classroom_run
    rounds = r.rounds.copy()
    rounds["adopted"] = rounds["round"] >= 2
    rounds["in_force"] = rounds["round"] >= 4
    rounds["events"] = ["", "cyber_incident", "", "government_change;cyber_incident", "", "", ""][:len(rounds)]
    fig = plots.positions_figure(r.scenario, rounds, r.states, r.summary, r.seed)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "core adopted (round 2)" in labels and "entry into force (round 4)" in labels
    assert "cyber incident (round 1, 3)" in labels and "government change (round 3)" in labels
    plots.plt.close(fig)
    fig = plots.positions_figure(r.scenario, rounds.drop(columns="events"), r.states, r.summary, r.seed)
    plots.plt.close(fig)


def test_titles_name_the_scenario_the_seed_and_the_outcome(classroom_run):
    """Each run figure's title names the scenario, the seed and the outcome with its rounds."""
    r = classroom_run
    expected = f"{r.scenario.metadata.title} - seed {r.seed} - "
    for fig in (plots.positions_figure(r.scenario, r.rounds, r.states, r.summary, r.seed),
                plots.support_figure(r.scenario, r.rounds, r.summary, r.seed)):
        title = fig.get_suptitle().replace("\n", " ")
        assert title.startswith(expected)
        assert f"{plots.OUTCOME_LABELS[r.summary['outcome']]} after {r.summary['rounds']} rounds" in title
        plots.plt.close(fig)


def test_compare_draws_a_forest_plot_and_outcome_shares(tmp_path, capsys):
    """`compare` writes differences.png (a forest plot: one row per measure, filled where the interval excludes
    zero) and outcomes.png (stacked shares in the outcome colours), and lists them in its manifest."""
    out = tmp_path / "results"
    assert main(["compare", str(CLASSROOM), str(CLASSROOM), "--set-b", "rules.decision=majority_count",
                 "--replicates", "4", "--rounds", "5", "--quiet", "--out", str(out)]) in (0, 4)
    folder = Path(capsys.readouterr().out.strip())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in ("differences.png", "outcomes.png"):
        assert name in manifest["files"]
        with Image.open(folder / name) as image:
            assert round(image.info["dpi"][0]) == 200

    differences = pd.read_parquet(folder / "differences.parquet")
    fig = plots.forest_figure(differences, "A", "B", 0.95)
    rows = sum(len(ax.get_yticks()) for ax in fig.axes)
    assert rows == len(differences)
    filled = [line for ax in fig.axes for line in ax.lines if line.get_marker() == "o"
              and line.get_markerfacecolor() != "white"]
    assert len(filled) == int(differences["significant"].sum())
    plots.plt.close(fig)

    runs = pd.read_parquet(folder / "runs.parquet")
    fig = plots.outcome_shares_figure(runs, "A", "B")
    bars = fig.axes[0].patches
    for outcome in set(runs["outcome"]):
        expected = matplotlib.colors.to_rgba(plots.OUTCOME_COLOURS[outcome])
        assert any(np.allclose(bar.get_facecolor(), expected) for bar in bars)
    widths = {}
    for bar in bars:
        widths.setdefault(round(bar.get_y() + bar.get_height() / 2), []).append(bar.get_width())
    assert all(sum(w) == pytest.approx(1.0) for w in widths.values())
    plots.plt.close(fig)
