"""Figures of a run and of a comparison, drawn from their tables (never by re-running the model).

Used by `run.py run` (PNG figures, SVG or PDF on request, and the GIF animation), `run.py compare` (forest plot and
outcome shares), `run.py analyze` (its colours and style) and the dashboard (the issue-space map).

Figures are made for a report or a slide: drawn at their print size (7.5 in wide at most) with text of at least
9 pt, saved as 200 dpi PNG; legends sit outside the axes; one colour per outcome everywhere (OUTCOME_COLOURS), and
no colour means two things in one figure (red rings objectors and is no coalition's colour; milestones are black
and grey lines, not coalition colours).
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display is assumed anywhere

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from .schema import Scenario  # noqa: E402

__all__ = ["OUTCOME_COLOURS", "OUTCOME_LABELS", "STYLE", "DPI", "coalition_colours", "outcome_colour",
           "issue_space", "positions_figure", "support_figure", "issue_space_figure", "forest_figure",
           "outcome_shares_figure", "save_figure", "legend_outside", "write_run_figures", "write_compare_figures", "write_animation",
           "figure_title"]

DPI = 200
VECTOR_FORMATS = ("svg", "pdf")
# Text sizes in points at print size: nothing below 9.
STYLE = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
    "legend.fontsize": 9, "legend.title_fontsize": 9, "figure.titlesize": 12, "axes.spines.top": False,
    "axes.spines.right": False, "savefig.bbox": "tight", "savefig.pad_inches": 0.08,
}
LABEL_PT = 9

# One colour per outcome in every figure of the project (run titles, compare, analyze): green for entry into force,
# gold for signed but not in force, orange and red for stalemate and collapse, grey for a time-out.
OUTCOME_COLOURS = {
    "agreement": "#1a9641",
    "partial_agreement": "#a6d96a",
    "signed_not_in_force": "#e6b800",
    "stalemate": "#f07c2a",
    "collapse": "#b2182b",
    "timeout": "#8c8c8c",
}
OUTCOME_LABELS = {
    "agreement": "agreement", "partial_agreement": "partial agreement", "signed_not_in_force": "signed, not in force",
    "stalemate": "stalemate", "collapse": "collapse", "timeout": "time-out",
}
OTHER_OUTCOME = "#5e3c99"  # an outcome a newer model adds before it gets its own colour here

OBJECTS = "#d62728"  # the ring around a state that objects; no coalition has it
DRAFT = "black"
IN_FORCE = "#555555"
NO_COALITION = "#9a9a9a"
# Coalition fills: matplotlib's tab10 without its red (the objectors' ring) and its grey (no coalition).
PALETTE = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
LINESTYLES = ["-", "--", "-.", ":"]
# One 9 pt label line (with leading) on a positions panel of about 1.6 in of axes height, in data units of its
# 1.04-high y range; so many labels fit up the right edge.
LINE_LABEL_GAP = 1.04 * (LABEL_PT * 1.25 / 72) / 1.6
MAX_LINE_LABELS = int(1.1 / LINE_LABEL_GAP)
EVENT_MARKERS = ["v", "^", "D", "s", "P", "X"]


def outcome_colour(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, OTHER_OUTCOME)


def coalition_colours(names) -> dict[str, str]:
    """A stable colour per coalition name (by first appearance), grey for none."""
    colours: dict[str, str] = {"": NO_COALITION}
    for name in names:
        if isinstance(name, str) and name and name not in colours:
            colours[name] = PALETTE[(len(colours) - 1) % len(PALETTE)]
    return colours


def figure_title(scenario: Scenario, summary: dict | None = None, seed: int | None = None) -> str:
    """'Title - seed 3 - stalemate after 39 rounds': what a figure shows, for a caption-less slide."""
    parts = [scenario.metadata.title]
    seed = seed if seed is not None else (summary or {}).get("seed")
    if seed is not None:
        parts.append(f"seed {seed}")
    if summary and summary.get("outcome"):
        outcome = OUTCOME_LABELS.get(summary["outcome"], str(summary["outcome"]).replace("_", " "))
        rounds = summary.get("rounds")
        parts.append(f"{outcome} after {rounds} rounds" if rounds is not None else outcome)
    return textwrap.fill(" - ".join(parts), 80)


def save_figure(fig: Figure, folder: Path, stem: str, vector: str | None = None) -> list[str]:
    """Save as 200 dpi PNG, and as SVG or PDF too when asked; returns the file names written."""
    names = [f"{stem}.png"]
    fig.savefig(folder / names[0], dpi=DPI)
    if vector:
        if vector not in VECTOR_FORMATS:
            raise ValueError(f"figure format {vector!r} is not one of {', '.join(VECTOR_FORMATS)}")
        names.append(f"{stem}.{vector}")
        fig.savefig(folder / names[-1])
    plt.close(fig)
    return names


def legend_outside(ax, handles, ncol: int = 1, title: str | None = None):
    """A legend to the right of the axes, where it never covers data."""
    return ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                     frameon=False, ncol=ncol, title=title)


def _dims(scenario: Scenario) -> list[str]:
    return scenario.dimension_names


def _label(scenario: Scenario, dim: str) -> str:
    for d in scenario.dimensions:
        if d.name == dim:
            return d.label or d.name.replace("_", " ")
    return dim


def _events(rounds: pd.DataFrame) -> list[tuple[int, str]]:
    """(round, event type) for every scheduled event the rounds table records (its `events` column: types joined by
    ';' or ','); an older table without the column has none."""
    if "events" not in rounds.columns:
        return []
    out = []
    for round_no, text in zip(rounds["round"], rounds["events"]):
        if isinstance(text, str) and text.strip():
            for kind in text.replace(",", ";").split(";"):
                if kind.strip():
                    out.append((int(round_no), kind.strip()))
    return out


def _first_round(rounds: pd.DataFrame, column: str) -> int | None:
    if column not in rounds.columns:
        return None
    hits = rounds.loc[rounds[column].fillna(False).astype(bool), "round"]
    return int(hits.iloc[0]) if len(hits) else None


def _mark_milestones(ax, rounds: pd.DataFrame, event_kinds: list[str]) -> None:
    """Adoption (grey dashed), entry into force (black) and each event (a marker on the top edge, dotted line)."""
    adopted = _first_round(rounds, "adopted")
    if adopted is not None:
        ax.axvline(adopted, color="0.45", lw=1.2, ls="--", zorder=1)
    in_force = _first_round(rounds, "in_force")
    if in_force is not None:
        ax.axvline(in_force, color=IN_FORCE, lw=1.6, ls="-.", zorder=1)
    for round_no, kind in _events(rounds):
        ax.axvline(round_no, color="0.3", lw=0.8, ls=":", zorder=1)
        ax.plot([round_no], [1.0], marker=EVENT_MARKERS[event_kinds.index(kind) % len(EVENT_MARKERS)], color="0.15",
                markersize=7, transform=ax.get_xaxis_transform(), clip_on=False, zorder=6)


def _milestone_handles(rounds: pd.DataFrame) -> tuple[list, list[str]]:
    handles, kinds = [], []
    adopted, in_force = _first_round(rounds, "adopted"), _first_round(rounds, "in_force")
    if adopted is not None:
        handles.append(plt.Line2D([], [], color="0.45", lw=1.2, ls="--", label=f"core adopted (round {adopted})"))
    if in_force is not None:
        handles.append(plt.Line2D([], [], color=IN_FORCE, lw=1.6, ls="-.", label=f"entry into force (round {in_force})"))
    for round_no, kind in _events(rounds):
        if kind not in kinds:
            kinds.append(kind)
            rounds_of = [r for r, k in _events(rounds) if k == kind]
            handles.append(plt.Line2D([], [], color="0.15", ls="", marker=EVENT_MARKERS[(len(kinds) - 1) %
                                      len(EVENT_MARKERS)], markersize=7,
                                      label=f"{kind.replace('_', ' ')} (round {', '.join(map(str, rounds_of))})"))
    return handles, kinds


def _end_labels(ax, ends: list[tuple[float, float, str, str]], x_end: float) -> None:
    """State ids at the right end of their lines, spread apart vertically so that none overlaps another.

    Hand-written rather than adjustText: the labels move along one axis only and keep their order, which a few
    lines do exactly and quickly."""
    if not ends:
        return
    ends = sorted(ends, key=lambda e: e[1])
    gap = LINE_LABEL_GAP
    placed: list[float] = []
    for _, y, _, _ in ends:
        y = min(max(y, 0.0), 1.0)
        placed.append(max(y, placed[-1] + gap) if placed else y)
    overflow = placed[-1] - 1.0 if placed else 0.0
    if overflow > 0:  # pushed past the top: shift the stack down, keeping the gaps
        placed = [max(p - overflow, -0.02 + i * gap) for i, p in enumerate(placed)]
    for (x, y, state, colour), y_label in zip(ends, placed):
        ax.annotate(state, (x, y), xytext=(x_end, y_label), textcoords=("data", "data"), fontsize=LABEL_PT,
                    color=colour, va="center", ha="left", annotation_clip=False,
                    arrowprops=dict(arrowstyle="-", color=colour, lw=0.5, alpha=0.6, shrinkA=0, shrinkB=2))


def positions_figure(scenario: Scenario, rounds: pd.DataFrame, states: pd.DataFrame, summary: dict | None = None,
                     seed: int | None = None) -> Figure:
    """Each state's position over time, one panel per dimension (at most six): colour by the coalition it started
    in, a line style per state within a coalition and its id at the line's end (where the ids fit: up to
    MAX_LINE_LABELS states); the draft core
    dashed black; adoption, entry into force and scheduled events marked and in the legend."""
    dims = _dims(scenario)[:6]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(dims), 1, figsize=(7.5, 1.9 * len(dims) + 1.1), sharex=True, squeeze=False,
                                 layout="constrained")
        first = states[states["round"] == 0].set_index("state")["coalition"]
        colours = coalition_colours(list(first))
        style_of: dict[str, str] = {}
        seen: dict[str, int] = {}
        for state in first.index:
            coalition = first.get(state, "")
            style_of[state] = LINESTYLES[seen.get(coalition, 0) % len(LINESTYLES)]
            seen[coalition] = seen.get(coalition, 0) + 1
        label_states = len(first) <= MAX_LINE_LABELS
        last_round = float(rounds["round"].max())
        milestone_handles, kinds = _milestone_handles(rounds)
        for ax, dim in zip(axes[:, 0], dims):
            ends = []
            for state, rows in states.groupby("state", sort=False):
                live = rows[rows["engaged"].astype(bool)]
                if live.empty:
                    continue
                colour = colours.get(first.get(state, ""), NO_COALITION)
                ax.plot(live["round"], live[f"position_{dim}"], color=colour, lw=1.3, alpha=0.85,
                        ls=style_of.get(state, "-"))
                ends.append((float(live["round"].iloc[-1]), float(live[f"position_{dim}"].iloc[-1]), state, colour))
            ax.plot(rounds["round"], rounds[f"draft_{dim}"], color=DRAFT, lw=2.2, ls="--")
            ax.set_ylim(-0.02, 1.02)
            ax.set_ylabel(_label(scenario, dim))
            _mark_milestones(ax, rounds, kinds)
            if label_states:
                _end_labels(ax, ends, last_round + max(1.0, 0.02 * last_round))
        axes[-1, 0].set_xlabel("round")
        axes[-1, 0].set_xlim(rounds["round"].min(), last_round)
        handles = [plt.Line2D([], [], color=c, lw=2, label=n or "no coalition") for n, c in colours.items()
                   if n in set(first) or (n == "" and (first == "").any())]
        handles.append(plt.Line2D([], [], color=DRAFT, lw=2.2, ls="--", label="draft core"))
        handles += milestone_handles
        fig.legend(handles=handles, loc="outside lower center", ncol=min(3, len(handles)), frameon=False,
                   title="colour: coalition at the start" + ("; line style and label: state" if label_states
                                                               else ""))
        fig.suptitle(f"{figure_title(scenario, summary, seed)}\npositions over time")
    return fig


def support_figure(scenario: Scenario, rounds: pd.DataFrame, summary: dict | None = None,
                   seed: int | None = None) -> Figure:
    """Support for the draft and membership of the core and each tier over time."""
    with plt.rc_context(STYLE):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 5.6), sharex=True, layout="constrained")
        milestone_handles, kinds = _milestone_handles(rounds)
        top.plot(rounds["round"], rounds["support_share"], color="black", lw=2, label="support (capability share)")
        if scenario.rules.decision in ("majority_capability", "plurilateral"):  # thresholds on capability share
            top.axhline(scenario.rules.threshold, color="0.5", ls=":", lw=1.2,
                        label=f"threshold {scenario.rules.threshold:.2f}")
        top.plot(rounds["round"], rounds["dispersion"], color="tab:blue", lw=1.5, label="dispersion of positions")
        top.set_ylim(-0.02, 1.02)
        top.set_ylabel("share")
        top.set_title(f"Support ({scenario.rules.decision.replace('_', ' ')} rule)", loc="left")
        legend_outside(top, top.get_legend_handles_labels()[0] + milestone_handles)
        bottom.plot(rounds["round"], rounds["core_members"], color="black", lw=2, label="core")
        tier_colours = ["tab:purple", "tab:cyan", "tab:brown", "tab:pink", "tab:olive"]
        for i, tier in enumerate(scenario.treaty.tiers):
            column = f"tier_{tier.name}"
            if column in rounds.columns:
                bottom.plot(rounds["round"], rounds[column], lw=1.5, color=tier_colours[i % len(tier_colours)],
                            ls=LINESTYLES[(i // len(tier_colours)) % len(LINESTYLES)], label=f"tier {tier.name}")
        bottom.plot(rounds["round"], rounds["ratified"], color="tab:green", lw=1.5, ls="--", label="ratified")
        bottom.axhline(scenario.ratifications_needed(), color="tab:green", ls=":", lw=1,
                       label="ratifications for entry into force")
        bottom.plot(rounds["round"], rounds["engaged"], color="0.6", lw=1.2, label="states at the table")
        bottom.set_ylabel("states")
        bottom.set_xlabel("round")
        bottom.set_title("Membership", loc="left")
        legend_outside(bottom, bottom.get_legend_handles_labels()[0])
        for ax in (top, bottom):
            _mark_milestones(ax, rounds, kinds)
        fig.suptitle(figure_title(scenario, summary, seed))
    return fig


def _size_of(capability: np.ndarray, largest: float) -> np.ndarray:
    return 40 + 460 * capability / largest


def issue_space(ax, scenario: Scenario, states_now: pd.DataFrame, draft: dict[str, float], dims: tuple[str, str],
                title: str = "", colours: dict[str, str] | None = None, legend: bool = True,
                label_layout: bool = False) -> list:
    """Draw the issue space on two dimensions: states sized by capability and coloured by coalition, the draft
    core as a star, each tier's floor or ceiling as a line, objectors ringed in red; state ids beside their dots
    (up to 40 states), moved off each other and off the star by adjustText when label_layout. The legend (with a
    key for dot size) goes outside the axes on the right; returns its handles.

    label_layout is off by default here because the layout pass costs a few tenths of a second per drawing, which a
    live view redrawing every round may not afford; the run figures (issue_space_figure) turn it on."""
    handles, labels = _issue_space(ax, scenario, states_now, draft, dims, title, colours, legend)
    if label_layout and labels[0]:
        _spread_labels(ax, *labels)
    return handles


def _issue_space(ax, scenario, states_now, draft, dims, title, colours, legend):
    """issue_space without the label layout; returns the legend handles and (labels, xs, ys, star)."""
    x_dim, y_dim = dims
    capability = {s.id: s.capability for s in scenario.states}
    largest = max(capability.values())
    colours = colours or coalition_colours(states_now["coalition"])
    live = states_now[states_now["engaged"].astype(bool)]
    sizes = _size_of(np.array([capability[s] for s in live["state"]], dtype=float), largest)
    xs = live[f"position_{x_dim}"].to_numpy(dtype=float)
    strip = x_dim == y_dim  # a one-dimensional scenario: states spread up the page in a strip, in scenario order
    ys = np.linspace(0.1, 0.9, len(live)) if strip else live[f"position_{y_dim}"].to_numpy(dtype=float)
    ax.scatter(xs, ys, s=sizes, c=[colours.get(c, NO_COALITION) for c in live["coalition"]], alpha=0.8,
                      edgecolors="white", linewidths=0.8, zorder=3)
    objecting = ~live["support"].to_numpy(dtype=bool)
    ax.scatter(xs[objecting], ys[objecting], s=60 + sizes[objecting], facecolors="none", edgecolors=OBJECTS,
               linewidths=1.6, zorder=4)
    if strip:
        ax.axvline(draft[x_dim], color=DRAFT, lw=2, zorder=2)
    star_xy = (draft[x_dim], 0.5 if strip else draft[y_dim])
    ax.scatter([star_xy[0]], [star_xy[1]], marker="*", s=360, color=DRAFT, edgecolors="white",
                      linewidths=0.8, zorder=5)
    for tier in scenario.treaty.tiers:
        for bound, values in (("≥", tier.at_least), ("≤", tier.at_most)):
            for dim, value in values.items():
                style = dict(color="purple", ls="--", lw=1)
                if dim == x_dim:
                    ax.axvline(value, **style)
                    ax.text(value, 1.0, f" {tier.name} {bound}{value:g}", fontsize=LABEL_PT, color="purple",
                            rotation=90, va="top")
                elif dim == y_dim and not strip:
                    ax.axhline(value, **style)
                    ax.text(0.0, value, f"{tier.name} {bound}{value:g}", fontsize=LABEL_PT, color="purple",
                            va="bottom")
    texts = []
    if len(live) <= 40:
        texts = [ax.text(x, y, state, fontsize=LABEL_PT, zorder=6) for state, x, y in zip(live["state"], xs, ys)]
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(_label(scenario, x_dim))
    ax.set_ylabel("" if strip else _label(scenario, y_dim))
    if strip:
        ax.set_yticks([])
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, markersize=8, label=n or "no coalition")
               for n, c in colours.items() if n in set(live["coalition"])]
    handles += [plt.Line2D([], [], marker="*", ls="", color=DRAFT, markersize=13, label="draft core"),
                plt.Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor=OBJECTS,
                           markeredgewidth=1.6, markersize=10, label="objects")]
    handles += _size_key(sorted(capability.values()), largest)
    if legend:
        legend_outside(ax, handles)
    if title:
        ax.set_title(title)
    return handles, (texts, xs, ys, star_xy)


def _size_key(capabilities: list[float], largest: float) -> list:
    """Legend entries that read dot size: the smallest, a middle and the largest capability of the scenario."""
    picks = sorted({capabilities[0], capabilities[len(capabilities) // 2], capabilities[-1]})
    out = []
    for value in picks:
        size = float(_size_of(np.array([value]), largest)[0])
        out.append(plt.Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor="black",
                              markersize=np.sqrt(size), label=f"capability {value:g}"))
    return out


def _spread_labels(ax, texts, xs, ys, star_xy) -> None:
    """Move the state labels off each other, off the dots and off the draft star (adjustText, with the star given as
    one more point to avoid), with a thin line back to a dot whose label moved."""
    from adjustText import adjust_text

    try:
        adjust_text(texts, x=[*xs, star_xy[0]], y=[*ys, star_xy[1]], ax=ax,
                    arrowprops=dict(arrowstyle="-", color="0.5", lw=0.5))
    except Exception:  # pragma: no cover - a layout failure must not lose the figure: labels stay where they were
        pass


def _draft_at(rounds: pd.DataFrame, round_no: int, dims: list[str]) -> dict[str, float]:
    row = rounds[rounds["round"] == round_no].iloc[0]
    return {d: float(row[f"draft_{d}"]) for d in dims}


def _pairs(dims: list[str]) -> list[tuple[str, str]]:
    if len(dims) == 1:
        return [(dims[0], dims[0])]
    pairs = [(dims[a], dims[b]) for a in range(len(dims)) for b in range(a + 1, len(dims))]
    return pairs[:3]


def issue_space_figure(scenario: Scenario, rounds: pd.DataFrame, states: pd.DataFrame, round_no: int,
                       colours: dict[str, str] | None = None, summary: dict | None = None, seed: int | None = None,
                       label_layout: bool = True) -> Figure:
    """The issue-space map at a round, one panel per pair of dimensions (at most three), the legend beside the
    last panel."""
    dims = _dims(scenario)
    pairs = _pairs(dims)
    with plt.rc_context(STYLE):
        width = {1: 6.6, 2: 10.0, 3: 13.3}[len(pairs)]
        fig, axes = plt.subplots(1, len(pairs), figsize=(width, 4.4), squeeze=False, layout="constrained")
        now = states[states["round"] == round_no]
        colours = colours or coalition_colours(states["coalition"])
        draft = _draft_at(rounds, round_no, dims)
        labels = []
        for i, (ax, pair) in enumerate(zip(axes[0], pairs)):
            _, placed = _issue_space(ax, scenario, now, draft, pair, "", colours, i == len(pairs) - 1)
            labels.append((ax, placed))
        fig.suptitle(f"{figure_title(scenario, summary, seed)}\nissue space at round {round_no}")
        if label_layout:  # once the whole figure is laid out, so that the labels move in their final axes
            fig.canvas.draw()
            for ax, placed in labels:
                if placed[0]:
                    _spread_labels(ax, *placed)
    return fig


# ------------------------------------------------------------------------------------------------ compare --
FOREST_GROUPS = (("outcome", "Outcome chances (percentage points)"), ("treaty", "Treaty (percentage points)"),
                 ("run", "Per run (means)"), ("core text", "Final core text (means)"),
                 ("tier members", "Tier members (means)"), ("membership", "Core membership chances (points)"))


def forest_figure(differences: pd.DataFrame, label_a: str, label_b: str, confidence: float,
                  max_states: int = 20) -> Figure:
    """The differences B - A with their intervals, one panel per kind of measure (chances in percentage points);
    filled dots mark intervals that exclude zero. Membership is drawn for at most `max_states` states (those with
    the largest differences)."""
    panels = []
    for group, title in FOREST_GROUPS:
        rows = differences[differences["group"] == group]
        if group == "membership" and len(rows) > max_states:
            rows = rows.reindex(rows["difference"].abs().sort_values(ascending=False).index[:max_states])
            title = f"{title}: the {max_states} largest of {int((differences['group'] == group).sum())}"
        if len(rows):
            panels.append((group, title, rows))
    with plt.rc_context(STYLE):
        heights = [0.32 * len(rows) + 0.7 for _, _, rows in panels]
        fig, axes = plt.subplots(len(panels), 1, figsize=(7.5, sum(heights) + 1.0), squeeze=False,
                                 height_ratios=heights, layout="constrained")
        for ax, (group, title, rows) in zip(axes[:, 0], panels):
            scale = 100.0 if rows["kind"].iloc[0] == "chance" else 1.0
            y = np.arange(len(rows))[::-1]
            names = [OUTCOME_LABELS.get(m, str(m).replace("_", " ")) for m in rows["measure"]]
            colours = [outcome_colour(m) if group == "outcome" else "black" for m in rows["measure"]]
            for yi, (_, row), colour in zip(y, rows.iterrows(), colours):
                ax.plot([row["low"] * scale, row["high"] * scale], [yi, yi], color=colour, lw=2, solid_capstyle="butt")
                ax.plot([row["difference"] * scale], [yi], "o", color=colour, markersize=7,
                        markerfacecolor=colour if row["significant"] else "white", markeredgewidth=1.5)
            ax.axvline(0, color="0.4", lw=1, ls="--")
            ax.set_yticks(y)
            ax.set_yticklabels(names)
            ax.set_ylim(-0.6, len(rows) - 0.4)
            ax.set_title(title, loc="left")
            ax.grid(axis="x", alpha=0.3)
        handles = [plt.Line2D([], [], marker="o", color="black", markerfacecolor="black", lw=2,
                              label=f"{confidence:.0%} interval excludes 0"),
                   plt.Line2D([], [], marker="o", color="black", markerfacecolor="white", lw=2,
                              label="interval includes 0")]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
        fig.suptitle(f"B - A with {confidence:.0%} intervals\nA: {_short(label_a)}\nB: {_short(label_b)}",
                     fontsize=11)
    return fig


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else "..." + text[-(limit - 3):]


def outcome_shares_figure(runs: pd.DataFrame, label_a: str, label_b: str) -> Figure:
    """The share of runs ending in each outcome, A above B, as stacked bars in the outcome colours."""
    order = [o for o in OUTCOME_COLOURS if o in set(runs["outcome"])]
    order += sorted(o for o in set(runs["outcome"]) if o not in OUTCOME_COLOURS)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.5, 2.9), layout="constrained")
        for y, side, label in ((1, "A", label_a), (0, "B", label_b)):
            outcomes = runs.loc[runs["scenario"] == side, "outcome"]
            n = len(outcomes)
            left = 0.0
            for outcome in order:
                share = float((outcomes == outcome).mean()) if n else 0.0
                if share <= 0:
                    continue
                ax.barh(y, share, left=left, color=outcome_colour(outcome), edgecolor="white", height=0.6)
                if share >= 0.08:
                    ax.text(left + share / 2, y, f"{share:.0%}", ha="center", va="center", fontsize=LABEL_PT,
                            color="white" if outcome in ("agreement", "collapse", "stalemate") else "black")
                left += share
        ax.set_yticks([1, 0])
        ax.set_yticklabels([f"A (n={int((runs['scenario'] == 'A').sum())})",
                            f"B (n={int((runs['scenario'] == 'B').sum())})"])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel("share of paired runs")
        handles = [Patch(color=outcome_colour(o), label=OUTCOME_LABELS.get(o, o)) for o in order]
        legend_outside(ax, handles, title="outcome")
        ax.set_title(f"Outcomes\nA: {_short(label_a, 70)}\nB: {_short(label_b, 70)}", loc="left", fontsize=10)
    return fig


def write_compare_figures(folder: Path, comparison, label_a: str, label_b: str, vector: str | None = None) -> list[str]:
    written = save_figure(forest_figure(comparison.differences, label_a, label_b, comparison.confidence), folder,
                          "differences", vector)
    written += save_figure(outcome_shares_figure(comparison.runs, label_a, label_b), folder, "outcomes", vector)
    return written


# ---------------------------------------------------------------------------------------------------- a run --
def write_run_figures(folder: Path, result, vector: str | None = None) -> list[str]:
    scenario, rounds, states, summary = result.scenario, result.rounds, result.states, result.summary
    seed = getattr(result, "seed", None)
    figures = {
        "positions": positions_figure(scenario, rounds, states, summary, seed),
        "support": support_figure(scenario, rounds, summary, seed),
        "issue_space": issue_space_figure(scenario, rounds, states, int(rounds["round"].iloc[-1]), summary=summary,
                                          seed=seed),
    }
    written = []
    for stem, fig in figures.items():
        written += save_figure(fig, folder, stem, vector)
    return written


def write_animation(path: Path, result, frame_ms: int = 500) -> int:
    """The issue-space map round by round as a GIF: one frame per row of the rounds table (round 0 = opening).

    Frames are drawn at 100 dpi, so 9 pt labels are about 12 px high, readable on a projected slide; labels are
    placed without the layout pass, which would make them jump from frame to frame."""
    from PIL import Image

    scenario, rounds, states = result.scenario, result.rounds, result.states
    colours = coalition_colours(states["coalition"])
    frames = []
    size = None
    for round_no in rounds["round"]:
        fig = issue_space_figure(scenario, rounds, states, int(round_no), colours=colours,
                                 seed=getattr(result, "seed", None), label_layout=False)
        buffer = io.BytesIO()
        # A fixed canvas (no tight bounding box), so every frame has the same size.
        fig.savefig(buffer, format="png", dpi=100, bbox_inches=None)
        plt.close(fig)
        buffer.seek(0)
        image = Image.open(buffer).convert("RGB")
        size = size or image.size
        if image.size != size:
            image = image.resize(size)
        frames.append(image.convert("P", palette=Image.Palette.ADAPTIVE))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=frame_ms, loop=0, optimize=False,
                   disposal=2)
    return len(frames)
