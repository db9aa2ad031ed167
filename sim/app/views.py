"""What the dashboard shows, drawn from a live model: figures (matplotlib, no Solara) and the panels' text.

Figures are built with matplotlib.figure.Figure rather than pyplot: the server draws for several browser sessions at
once, and pyplot's global figure registry is neither thread-safe nor freed unless every figure is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..model import NegotiationModel
from ..plots import coalition_colours, issue_space
from ..runner import explain, rounds_table
from ..summary_text import OUTCOME_TEXT
from .live import states_now

__all__ = ["dimension_label", "state_label", "round_status", "settings_in_use", "StuckReport", "why_stuck",
           "why_stuck_lines", "why_stuck_text", "states_rows",
           "issue_space_figure", "over_time_figure"]

# Sizes near the size shown on the page, so that matplotlib's point sizes read well there.
FIGURE_SIZE = (5.6, 3.8)  # two panels with their legends to the right
ISSUE_SPACE_SIZE = (5.6, 3.5)  # the map with its legend to the right
AT_LEAST, AT_MOST = "\u2265", "\u2264"
MAX_NAMED = 8  # beyond this many blocking states the panel names the first and counts the rest


def dimension_label(model: NegotiationModel, dim: str) -> str:
    for d in model.scenario.dimensions:
        if d.name == dim:
            return d.label or d.name.replace("_", " ")
    return dim


def state_label(model: NegotiationModel, state_id: str) -> str:
    """The state's display name, with its id when the two differ: 'Caldera (CAL)'."""
    name = model.scenario.states[model.index[state_id]].name
    return f"{name} ({state_id})" if name and name != state_id else state_id


def _join(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# --------------------------------------------------------------------------------------------- round status --
def round_status(model: NegotiationModel) -> tuple[str, str]:
    """(counter, one line on where the talks stand) for the banner above the figures."""
    counter = f"Round {model.round}"
    if model.outcome is not None:
        return counter, f"{OUTCOME_TEXT.get(model.outcome, model.outcome)} ({model.end_reason})."
    if model.round == 0:
        return counter, (f"Opening positions of {int(model.engaged.sum())} states. Press Step for one round, "
                         f"or play to watch (at most {model.max_rounds} rounds).")
    needed = model.scenario.ratifications_needed()
    if model.adopted_round is not None:
        return counter, (f"Core adopted in round {model.adopted_round} by {int(model.signed.sum())} states; "
                         f"{int(model.ratified.sum())} of {needed} ratifications needed for entry into force.")
    live = model.engaged
    supporters = int((model.support & live).sum())
    share = float(model.capability[model.support & live].sum() / model.capability[live].sum())
    rule = model.scenario.rules.decision.replace("_", " ")
    return counter, (f"Under {rule}, the draft has {supporters} of {int(live.sum())} states "
                     f"({share:.0%} of capability) behind it.")


def settings_in_use(model: NegotiationModel) -> str:
    """The settings the running model was built with (slider positions are not shown until dragged)."""
    rules, protocol = model.scenario.rules, model.scenario.protocol
    rule = rules.decision.replace("_", " ")
    if rules.decision != "consensus":
        rule += f" at {rules.threshold:.2f}"
    scale = getattr(model, "controls", {}).get("flexibility_scale", 1.0)
    flexibility = "as in the scenario" if scale == 1.0 else f"x{scale:.2f}"
    return (f"Rule: {rule} | flexibility: {flexibility} | activation: {protocol.activation} | seed: {model.seed}")


# ----------------------------------------------------------------------------------------- why is it stuck? --
@dataclass
class StuckReport:
    """The "why is it stuck?" panel's content. kind: opening, adopted, collapse or stuck."""

    kind: str
    round: int
    blocking: list[str] = field(default_factory=list)  # ids of the states objecting now, most capable first
    objections: dict[str, int] = field(default_factory=dict)  # rounds each has objected, over the whole run
    holdouts: list[str] = field(default_factory=list)  # objectors who would object even to the draft as if adopted
    dividing_dimension: str | None = None
    dimension_share: float = 0.0  # the dividing dimension's share of the objectors' weighted distance
    win_over: list[str] = field(default_factory=list)  # states to win over, cheapest first; the last is pivotal
    pivotal: str | None = None
    pivotal_moves: dict[str, float] = field(default_factory=dict)
    pivotal_fraction: float | None = None
    tippable: bool = True
    still_rounds: int = 0


def why_stuck(model: NegotiationModel) -> StuckReport:
    """Who blocks the current draft, the dimension that divides them and the concession that would tip the vote."""
    if model.round == 0:
        return StuckReport("opening", 0)
    if model.adopted_round is not None:
        return StuckReport("adopted", model.round)
    if model.outcome == "collapse":
        return StuckReport("collapse", model.round)
    why = explain(model)
    pressure = why["dimension_pressure"]
    total = sum(pressure.values())
    dim = why["dividing_dimension"]
    pivot = why["pivotal_concession"]
    # The weightiest blockers first: with many objectors only the first few are named.
    blocking = sorted(why["objectors"], key=lambda s: (-model.capability[model.index[s]], s))
    return StuckReport(
        kind="stuck", round=model.round, blocking=blocking,
        objections={b["state"]: b["objections"] for b in why["blockers"]},
        holdouts=sorted(why["holdouts"], key=lambda s: (-model.capability[model.index[s]], s)),
        dividing_dimension=dim, dimension_share=(pressure[dim] / total) if dim and total > 0 else 0.0,
        win_over=list(why["states_to_win_over"]),
        pivotal=pivot["state"] if pivot else None, pivotal_moves=dict(pivot["moves"]) if pivot else {},
        pivotal_fraction=pivot["fraction_of_gap"] if pivot else None, tippable=bool(why["tippable"]),
        still_rounds=int(model.still_rounds))


def why_stuck_lines(model: NegotiationModel, report: StuckReport | None = None) -> list[tuple[str, str]]:
    """The panel as (label, sentence) pairs, in words a class can read aloud; the label may be empty."""
    report = report or why_stuck(model)
    if report.kind == "opening":
        return [("No vote yet.", "Each round the chair drafts a text, every state says whether it would join, "
                                 "and the rule decides. Press Step to see who objects.")]
    if report.kind == "adopted":
        members = [state_label(model, model.ids[i]) for i in np.flatnonzero(model.signed)]
        left_out = [state_label(model, model.ids[i]) for i in np.flatnonzero(model.ever_engaged & ~model.signed)]
        lines = [("Not stuck:", f"the core was adopted in round {model.adopted_round}, signed by {_join(members)}.")]
        if left_out:
            lines.append(("Left outside:", f"{_join(left_out)}."))
        return lines
    left = [state_label(model, model.ids[i]) for i in np.flatnonzero(model.ever_engaged & ~model.engaged)]
    if report.kind == "collapse":
        return [("Collapsed:", f"{_join(left)} left the table, and too few states remain to negotiate.")]
    lines = []
    if report.blocking:
        names = [state_label(model, s) for s in report.blocking[:MAX_NAMED]]
        if len(report.blocking) > MAX_NAMED:
            names.append(f"{len(report.blocking) - MAX_NAMED} more")
        verb = "objects" if len(report.blocking) == 1 else "object"
        lines.append(("Blocking:", f"{_join(names)} {verb} to the current draft."))
        counts = ", ".join(f"{s} {report.objections.get(s, 0)}" for s in report.blocking[:MAX_NAMED])
        lines.append(("", f"Rounds each has objected so far: {counts} (of {report.round})."))
        if report.holdouts and len(report.holdouts) < len(report.blocking):
            names = [state_label(model, s) for s in report.holdouts[:MAX_NAMED]]
            if len(report.holdouts) > MAX_NAMED:
                names.append(f"{len(report.holdouts) - MAX_NAMED} more")
            lines.append(("Holding out:", f"{_join(names)} would object even if the draft were adopted; the "
                                          f"others object because too few would join them."))
    else:
        lines.append(("Blocking:", "nobody objects, yet the rule does not adopt the draft."))
    if report.dividing_dimension:
        lines.append(("Dividing dimension:", f"{dimension_label(model, report.dividing_dimension)}: the objectors "
                                             f"are furthest from the draft here ({report.dimension_share:.0%} of "
                                             f"their weighted distance)."))
    if report.pivotal:
        moves = ", ".join(f"{dimension_label(model, d).lower()} {v:+.2f}" for d, v in report.pivotal_moves.items())
        others = [state_label(model, s) for s in report.win_over if s != report.pivotal]
        if len(others) > MAX_NAMED:
            first = f"once {len(others)} other states are won over, "
        else:
            first = f"once {_join(others)} {'is' if len(others) == 1 else 'are'} won over, " if others else ""
        lines.append(("Pivotal concession:", f"{first}{state_label(model, report.pivotal)} tips the vote by "
                                             f"moving {moves} ({report.pivotal_fraction:.0%} of its way to the "
                                             f"draft)."))
    elif not report.tippable:
        lines.append(("Pivotal concession:", "none. No move within the objectors' red lines and reservation "
                                             "values would tip the vote: the draft itself has to change."))
    if left:
        lines.append(("Left the table:", f"{_join(left)}."))
    if report.still_rounds:
        window = model.scenario.protocol.stalemate_window
        lines.append(("", f"Nobody has moved for {report.still_rounds} of the {window} rounds that make a "
                          f"stalemate."))
    return lines


def why_stuck_text(model: NegotiationModel) -> str:
    """The panel as plain text, one paragraph per line."""
    return "\n".join(f"{label} {sentence}".strip() for label, sentence in why_stuck_lines(model))


def states_rows(model: NegotiationModel) -> tuple[list[str], list[list[str]]]:
    """(header, rows): where each state stands now, whether it backs the draft, its flexibility and red lines."""
    now = states_now(model)
    dims = model.dimensions
    header = ["State", *(dimension_label(model, d) for d in dims), "Backs the draft", "Flexi\u00adbility", "Red lines"]
    rows = []
    for i, row in now.iterrows():
        if not row["engaged"]:
            backs = "left the table" if model.ever_engaged[i] else "not at the table"
        elif model.adopted_round is not None and row["signed"]:
            backs = "signed" + (", ratified" if row["ratified"] else "")
        elif model.round == 0:
            backs = "no vote yet"
        else:
            backs = "yes" if row["support"] else "no"
        red_lines = [f"{dimension_label(model, d).lower()} {AT_LEAST if floor else AT_MOST} {v:g}"
                     for d, bounds in model.scenario.states[i].red_lines.items()
                     for floor, v in ((True, bounds.min), (False, bounds.max)) if v is not None]
        name = model.scenario.states[i].name or row["state"]
        rows.append([name,
                     *(f"{row[f'position_{d}']:.2f}" for d in dims), backs, f"{model.flexibility[i]:.2f}",
                     "; ".join(red_lines) or "-"])
    return header, rows


# ---------------------------------------------------------------------------------------------------- figures --
def colours_of(model: NegotiationModel) -> dict[str, str]:
    """Colours by coalition in the order coalitions appeared, so a state keeps its colour from round to round."""
    return coalition_colours([c.name for c in model.coalitions])


def issue_space_figure(model: NegotiationModel, dims: tuple[str, str]) -> Figure:
    """The issue space now, on two dimensions (sim.plots.issue_space on the model's current round)."""
    fig = Figure(figsize=ISSUE_SPACE_SIZE, layout="constrained")
    ax = fig.add_subplot()
    draft = {d: float(v) for d, v in zip(model.dimensions, model.draft)}
    issue_space(ax, model.scenario, states_now(model), draft, dims,
                title=f"Round {model.round}: positions and the draft core", colours=colours_of(model))
    # The legend goes beside the map, where it never hides a state.
    legend = ax.get_legend()
    if legend is not None:
        handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
        legend.remove()
        ax.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    ax.tick_params(labelsize=7)
    ax.xaxis.label.set_fontsize(8)
    ax.yaxis.label.set_fontsize(8)
    ax.title.set_fontsize(9)
    return fig


def over_time_figure(model: NegotiationModel) -> Figure:
    """Support for the draft and dispersion of positions (top); members of the core and of each tier (bottom)."""
    rounds = rounds_table(model)
    rules = model.scenario.rules
    fig = Figure(figsize=FIGURE_SIZE, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    x = rounds["round"]
    voted = rounds[rounds["round"] >= 1]  # round 0 holds the opening positions: no draft has been put to them
    top.plot(voted["round"], voted["support_share"], color="black", lw=2, marker=".", label="support for\nthe draft")
    top.plot(x, rounds["dispersion"], color="tab:orange", lw=1.5, label="dispersion\nof positions")
    if rules.decision == "consensus":
        top.axhline(1.0, color="grey", ls=":", lw=1, label="needed:\neveryone")
    elif rules.decision in ("majority_capability", "plurilateral"):
        top.axhline(rules.threshold, color="grey", ls=":", lw=1, label=f"needed: {rules.threshold:.0%}")
    if model.adopted_round is not None:
        top.axvline(model.adopted_round, color="green", ls=":", lw=1, label="core adopted")
        bottom.axvline(model.adopted_round, color="green", ls=":", lw=1)
    top.set_ylim(-0.03, 1.05)
    top.set_ylabel("share of capability")
    top.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    top.set_title(f"Over time ({rules.decision.replace('_', ' ')} rule)", fontsize=9)

    bottom.plot(voted["round"], voted["core_members"], color="black", lw=2, marker=".",
                label="core" if model.adopted_round is None else "core: backers,\nthen members")
    for j, name in enumerate(model.tier_names):
        bottom.plot(voted["round"], voted[f"tier_{name}"], lw=1.5,
                    label=f"tier {name}\n(needs {model.tier_threshold[j]})")
    if model.adopted_round is not None:
        bottom.plot(x, rounds["ratified"], color="darkgreen", ls="--", lw=1.5, label="ratified")
    if rules.decision == "majority_count":
        needed = rules.threshold * rounds["engaged"]
        bottom.plot(x, needed, color="grey", ls=":", lw=1, label=f"needed: {rules.threshold:.0%}\nof states")
    bottom.plot(x, rounds["engaged"], color="grey", lw=1, label="at the table")
    bottom.set_ylim(-0.3, int(model.ever_engaged.sum()) + 0.5)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_ylabel("states")
    bottom.set_xlabel("round")
    bottom.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for ax in (top, bottom):
        ax.tick_params(labelsize=7)
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
        ax.set_xlim(0, max(10, model.round))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.25)
    return fig
