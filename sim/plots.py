"""Figures of a run, drawn from its tables (never by re-running the model).

Used by `run.py run` (PNG figures and the GIF animation) and by the dashboard (the issue-space map).
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display is assumed anywhere

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .schema import Scenario  # noqa: E402

__all__ = ["coalition_colours", "issue_space", "positions_figure", "support_figure", "issue_space_figure",
           "write_run_figures", "write_animation"]

NO_COALITION = "#9a9a9a"
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def coalition_colours(names) -> dict[str, str]:
    """A stable colour per coalition name (by first appearance), grey for none."""
    colours: dict[str, str] = {"": NO_COALITION}
    for name in names:
        if name and name not in colours:
            colours[name] = PALETTE[(len(colours) - 1) % len(PALETTE)]
    return colours


def _dims(scenario: Scenario) -> list[str]:
    return scenario.dimension_names


def _label(scenario: Scenario, dim: str) -> str:
    for d in scenario.dimensions:
        if d.name == dim:
            return d.label or d.name.replace("_", " ")
    return dim


def positions_figure(scenario: Scenario, rounds: pd.DataFrame, states: pd.DataFrame) -> Figure:
    """Each state's position over time, one panel per dimension, with the draft core text in black."""
    dims = _dims(scenario)
    fig, axes = plt.subplots(len(dims), 1, figsize=(8, 2.4 * len(dims) + 0.6), sharex=True, squeeze=False)
    first = states[states["round"] == 0].set_index("state")["coalition"]
    colours = coalition_colours(list(first))
    for ax, dim in zip(axes[:, 0], dims):
        for state, rows in states.groupby("state", sort=False):
            live = rows[rows["engaged"]]
            ax.plot(live["round"], live[f"position_{dim}"], color=colours[first.get(state, "")], lw=1, alpha=0.75)
        ax.plot(rounds["round"], rounds[f"draft_{dim}"], color="black", lw=2, ls="--", label="draft core")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(_label(scenario, dim), fontsize=9)
        _mark_milestones(ax, rounds)
    axes[0, 0].set_title("Positions over time (colour: coalition at the start; dashed: draft core)")
    handles = [plt.Line2D([], [], color=c, lw=2, label=n or "no coalition") for n, c in colours.items()
               if n in set(first) or (n == "" and (first == "").any())]
    handles.append(plt.Line2D([], [], color="black", lw=2, ls="--", label="draft core"))
    axes[0, 0].legend(handles=handles, fontsize=7, loc="upper right", ncol=min(4, len(handles)))
    axes[-1, 0].set_xlabel("round")
    fig.tight_layout()
    return fig


def _mark_milestones(ax, rounds: pd.DataFrame) -> None:
    adopted = rounds.loc[rounds["adopted"], "round"]
    if len(adopted):
        ax.axvline(adopted.iloc[0], color="green", lw=1, ls=":")
    in_force = rounds.loc[rounds["in_force"], "round"]
    if len(in_force):
        ax.axvline(in_force.iloc[0], color="darkgreen", lw=1.5)


def support_figure(scenario: Scenario, rounds: pd.DataFrame) -> Figure:
    """Support for the draft and membership of the core and each tier over time."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    top.plot(rounds["round"], rounds["support_share"], color="black", lw=2, label="support (capability share)")
    if scenario.rules.decision in ("majority_capability", "plurilateral"):  # thresholds on capability share
        top.axhline(scenario.rules.threshold, color="grey", ls=":", lw=1,
                    label=f"threshold {scenario.rules.threshold:.2f}")
    top.plot(rounds["round"], rounds["dispersion"], color="tab:orange", lw=1.5, label="dispersion of positions")
    top.set_ylim(-0.02, 1.02)
    top.set_title(f"Support and membership ({scenario.rules.decision.replace('_', ' ')})")
    top.legend(fontsize=8, loc="best")
    bottom.plot(rounds["round"], rounds["core_members"], color="black", lw=2, label="core")
    for tier in scenario.treaty.tiers:
        bottom.plot(rounds["round"], rounds[f"tier_{tier.name}"], lw=1.5, label=f"tier {tier.name}")
    bottom.plot(rounds["round"], rounds["ratified"], color="darkgreen", lw=1.5, ls="--", label="ratified")
    bottom.axhline(scenario.ratifications_needed(), color="darkgreen", ls=":", lw=1,
                   label="ratifications for entry into force")
    bottom.plot(rounds["round"], rounds["engaged"], color="grey", lw=1, label="states at the table")
    bottom.set_ylabel("states")
    bottom.set_xlabel("round")
    bottom.legend(fontsize=8, loc="best", ncol=2)
    for ax in (top, bottom):
        _mark_milestones(ax, rounds)
    fig.tight_layout()
    return fig


def issue_space(ax, scenario: Scenario, states_now: pd.DataFrame, draft: dict[str, float], dims: tuple[str, str],
                title: str = "", colours: dict[str, str] | None = None) -> None:
    """Draw the issue space on two dimensions: states sized by capability and coloured by coalition, the draft
    core as a star, each tier's floor or ceiling as a line, objectors circled in red."""
    x_dim, y_dim = dims
    capability = {s.id: s.capability for s in scenario.states}
    colours = colours or coalition_colours(states_now["coalition"])
    live = states_now[states_now["engaged"]]
    sizes = np.array([capability[s] for s in live["state"]], dtype=float)
    sizes = 40 + 460 * sizes / max(capability.values())
    xs = live[f"position_{x_dim}"].to_numpy()
    strip = x_dim == y_dim  # a one-dimensional scenario: states spread up the page in a strip, in scenario order
    ys = np.linspace(0.1, 0.9, len(live)) if strip else live[f"position_{y_dim}"].to_numpy()
    ax.scatter(xs, ys, s=sizes, c=[colours.get(c, NO_COALITION) for c in live["coalition"]], alpha=0.75,
               edgecolors="white", zorder=3)
    objecting = ~live["support"].to_numpy(dtype=bool)
    ax.scatter(xs[objecting], ys[objecting], s=40 + sizes[objecting], facecolors="none", edgecolors="red",
               linewidths=1.5, zorder=4)
    if len(live) <= 40:
        for state, x, y in zip(live["state"], xs, ys):
            ax.annotate(state, (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points")
    if strip:
        ax.axvline(draft[x_dim], color="black", lw=2, zorder=2)
    ax.scatter([draft[x_dim]], [0.5 if strip else draft[y_dim]], marker="*", s=320, color="black", zorder=5,
               label="draft core")
    for tier in scenario.treaty.tiers:
        for bound, values in (("≥", tier.at_least), ("≤", tier.at_most)):
            for dim, value in values.items():
                style = dict(color="purple", ls="--", lw=1)
                if dim == x_dim:
                    ax.axvline(value, **style)
                    ax.text(value, 1.0, f" {tier.name} {bound}{value:g}", fontsize=7, color="purple",
                            rotation=90, va="top")
                elif dim == y_dim and not strip:
                    ax.axhline(value, **style)
                    ax.text(0.0, value, f"{tier.name} {bound}{value:g}", fontsize=7, color="purple", va="bottom")
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(_label(scenario, x_dim))
    ax.set_ylabel("" if strip else _label(scenario, y_dim))
    if strip:
        ax.set_yticks([])
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=n or "no coalition")
               for n, c in colours.items() if n in set(live["coalition"])]
    handles += [plt.Line2D([], [], marker="*", ls="", color="black", markersize=12, label="draft core"),
                plt.Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor="red",
                           label="objects")]
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    if title:
        ax.set_title(title, fontsize=10)


def _draft_at(rounds: pd.DataFrame, round_no: int, dims: list[str]) -> dict[str, float]:
    row = rounds[rounds["round"] == round_no].iloc[0]
    return {d: float(row[f"draft_{d}"]) for d in dims}


def _pairs(dims: list[str]) -> list[tuple[str, str]]:
    if len(dims) == 1:
        return [(dims[0], dims[0])]
    pairs = [(dims[a], dims[b]) for a in range(len(dims)) for b in range(a + 1, len(dims))]
    return pairs[:3]


def issue_space_figure(scenario: Scenario, rounds: pd.DataFrame, states: pd.DataFrame, round_no: int,
                       colours: dict[str, str] | None = None) -> Figure:
    """The issue-space map at a round, one panel per pair of dimensions (at most three)."""
    dims = _dims(scenario)
    pairs = _pairs(dims)
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.2 * len(pairs), 5), squeeze=False)
    now = states[states["round"] == round_no]
    colours = colours or coalition_colours(states["coalition"])
    draft = _draft_at(rounds, round_no, dims)
    for ax, pair in zip(axes[0], pairs):
        issue_space(ax, scenario, now, draft, pair, colours=colours)
    fig.suptitle(f"{scenario.metadata.title} - round {round_no}", fontsize=11)
    fig.tight_layout()
    return fig


def write_run_figures(folder: Path, result) -> list[str]:
    scenario, rounds, states = result.scenario, result.rounds, result.states
    figures = {
        "positions.png": positions_figure(scenario, rounds, states),
        "support.png": support_figure(scenario, rounds),
        "issue_space.png": issue_space_figure(scenario, rounds, states, int(rounds["round"].iloc[-1])),
    }
    for name, fig in figures.items():
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
    return list(figures)


def write_animation(path: Path, result, frame_ms: int = 500) -> int:
    """The issue-space map round by round as a GIF: one frame per row of the rounds table (round 0 = opening)."""
    from PIL import Image

    scenario, rounds, states = result.scenario, result.rounds, result.states
    colours = coalition_colours(states["coalition"])
    frames = []
    for round_no in rounds["round"]:
        fig = issue_space_figure(scenario, rounds, states, int(round_no), colours=colours)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=70)
        plt.close(fig)
        buffer.seek(0)
        frames.append(Image.open(buffer).convert("P", palette=Image.Palette.ADAPTIVE))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=frame_ms, loop=0, optimize=False,
                   disposal=2)
    return len(frames)
