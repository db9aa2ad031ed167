"""What the dashboard shows, drawn from a live model: figures (matplotlib, no Solara) and the panels' text.

Figures are built with matplotlib.figure.Figure rather than pyplot: the server draws for several browser sessions at
once, and pyplot's global figure registry is neither thread-safe nor freed unless every figure is closed.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from matplotlib.ticker import MaxNLocator

from ..model import NegotiationModel
from ..plots import coalition_colours, issue_space
from ..runner import explain, rounds_table, states_table, summarise
from ..schema import DECISION_RULES
from ..summary_text import OUTCOME_TEXT
from .live import THRESHOLD_STEP, states_now

__all__ = ["RULE_NAMES", "rule_name", "rule_choice", "dimension_label", "state_label", "round_status",
           "settings_in_use", "pending_changes", "StuckReport", "why_stuck", "why_title", "why_stuck_lines",
           "why_stuck_text", "explanation_lines", "tier_lines", "states_rows", "issue_space_figure",
           "over_time_figure", "figure_png", "fast_png", "map_png", "FIGURE_DPI", "ISSUE_SPACE_SIZE", "FIGURE_SIZE"]

# Figures are drawn at the size and resolution they are shown at on a 1366x768 projector (one figure pixel per
# screen pixel at 100 dpi), with fixed margins: matplotlib's constrained layout doubled the time to draw a round.
FIGURE_DPI = 100
ISSUE_SPACE_SIZE = (6.3, 4.3)  # the map, with its legend to the right
FIGURE_SIZE = (5.6, 3.9)  # two panels over time, with their legends to the right

# Plain-language names of the decision rules: the one place the dashboard's menu, status line, settings line and
# figure titles take them from. {share} is the rule's threshold in words.
RULE_NAMES = {
    "consensus": "Consensus (no objection)",
    "majority_count": "Majority of states",
    "majority_capability": "Majority of capability",
    "plurilateral": "Plurilateral (enough willing states)",
}
RULE_NAMES_WITH_SHARE = {
    "consensus": "Consensus (no objection)",
    "majority_count": "{share} of states",
    "majority_capability": "{share} of capability",
    "plurilateral": "{min_states}+ states with {share_lower} of capability",
}
assert set(RULE_NAMES) == set(DECISION_RULES) == set(RULE_NAMES_WITH_SHARE)
# Shares a class knows by name; any other threshold is said as a percentage.
SHARE_WORDS = {1 / 2: "Half", 3 / 5: "Three-fifths", 2 / 3: "Two-thirds", 3 / 4: "Three-quarters",
               4 / 5: "Four-fifths", 1.0: "All"}
AT_LEAST, AT_MOST = "\u2265", "\u2264"
MAX_NAMED = 8  # beyond this many blocking states the panel names the first and counts the rest


def _share_words(threshold: float) -> str:
    for share, words in SHARE_WORDS.items():
        if abs(threshold - share) <= THRESHOLD_STEP / 2:  # the slider's 0.67 is two-thirds
            return words
    return f"{threshold:.0%}"


def rule_name(decision: str, threshold: float | None = None, min_states: int = 2) -> str:
    """A decision rule in plain words: 'Consensus (no objection)', 'Two-thirds of states'; without a threshold, the
    rule's name alone ('Majority of states'). An unknown rule is shown as it is named."""
    if threshold is None:
        return RULE_NAMES.get(decision, decision)
    share = _share_words(threshold)
    template = RULE_NAMES_WITH_SHARE.get(decision, decision)
    return template.format(share=share, share_lower=share.lower() if not share[0].isdigit() else share,
                           min_states=min_states)


def rule_choice(label: str) -> str:
    """The rule's identifier from its plain name in the menu (the inverse of rule_name without a threshold)."""
    for decision, name in RULE_NAMES.items():
        if name == label:
            return decision
    raise ValueError(f"{label!r} is not one of the decision rules: {', '.join(RULE_NAMES.values())}")


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
    rule = _rule_of(model)
    return counter, (f"{rule}: the draft has {supporters} of {int(live.sum())} states "
                     f"({share:.0%} of capability) behind it.")


def _rule_of(model: NegotiationModel) -> str:
    rules = model.scenario.rules
    return rule_name(rules.decision, rules.threshold, rules.min_states)


def settings_in_use(model: NegotiationModel) -> str:
    """The settings the running model was built with (the controls may already show the next run's)."""
    protocol = model.scenario.protocol
    scale = getattr(model, "controls", {}).get("flexibility_scale", 1.0)
    flexibility = "as in the scenario" if scale == 1.0 else f"x{scale:.2f}"
    return (f"Rule: {_rule_of(model)} | flexibility: {flexibility} | activation: {protocol.activation} | "
            f"seed: {model.seed}")


def pending_changes(model: NegotiationModel, controls: dict) -> list[str]:
    """The controls whose value differs from the run on screen, by their label: they apply when Reset is pressed.

    `controls` holds the values Reset would build the next model with (LiveNegotiation's keyword arguments); a
    threshold within half a slider step of the running one is no change (sim.app.live.build_scenario keeps it)."""
    rules, protocol = model.scenario.rules, model.scenario.protocol
    running = {"flexibility_scale": getattr(model, "controls", {}).get("flexibility_scale", 1.0),
               "decision": rules.decision, "activation": protocol.activation, "seed": model.seed}
    changed = []
    if "scenario" in controls and str(controls["scenario"]) != str(getattr(model, "source", controls["scenario"])):
        changed.append("Scenario")
    labels = {"flexibility_scale": "Flexibility", "decision": "Decision rule", "activation": "Activation",
              "seed": "Seed"}
    for name, label in labels.items():
        if controls.get(name) is not None and controls[name] != running[name]:
            changed.append(label)
    threshold = controls.get("threshold")
    if threshold is not None and abs(float(threshold) - rules.threshold) > THRESHOLD_STEP / 2:
        changed.append("Threshold")
    return changed


# ------------------------------------------------------------------------------------------- the "why" panel --
# Keys of sim.runner.explain that the stalemate lines below put in words; any other key a newer model adds is shown
# generically (explanation_lines), so the panel never hides part of an explanation.
STUCK_KEYS = {"objectors", "holdouts", "blockers", "dividing_dimension", "dimension_pressure", "states_to_win_over",
              "tippable", "pivotal_concession", "kind", "rule", "near_miss", "concessions", "departures"}


@dataclass
class StuckReport:
    """The "why" panel's content. kind: opening, adopted, collapse or stuck."""

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
    near_miss: dict = field(default_factory=dict)  # the text closest to passing, who would sign it, who it misses
    # The run's own explanation of an agreement (its summary's "explanation" when of kind "agreement"), or the keys
    # of a deadlock's explanation that the fields above do not hold.
    explanation: dict = field(default_factory=dict)


def why_stuck(model: NegotiationModel) -> StuckReport:
    """Who blocks the current draft, the dimension that divides them and the concession that would tip the vote;
    after adoption, the run's own explanation of the agreement when it gives one."""
    if model.round == 0:
        return StuckReport("opening", 0)
    if model.adopted_round is not None:
        why = summarise(model).get("explanation")
        agreed = dict(why) if isinstance(why, dict) and why.get("kind") in ("adoption", "agreement") else {}
        return StuckReport("adopted", model.round, explanation=agreed)
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
        still_rounds=int(model.still_rounds), near_miss=dict(why.get("near_miss") or {}),
        explanation={k: v for k, v in why.items() if k not in STUCK_KEYS})


def why_title(model: NegotiationModel, report: StuckReport | None = None) -> str:
    """The panel's title, which follows the state of the talks."""
    report = report or why_stuck(model)
    if report.kind == "opening":
        return "How the talks work"
    if report.kind == "adopted":
        return "Agreement: what tipped it" if model.in_force_round is not None else "Adopted: what tipped it"
    if report.kind == "collapse":
        return "Why the talks collapsed"
    if model.outcome == "stalemate":
        return "Why it stalled"
    if model.outcome is not None:
        return "Why there is no treaty"
    return "Why is it stuck?"


def _names(model: NegotiationModel, ids) -> str:
    names = [state_label(model, s) for s in list(ids)[:MAX_NAMED]]
    if len(ids) > MAX_NAMED:
        names.append(f"{len(ids) - MAX_NAMED} more")
    return _join(names) if names else "nobody"


def _value_words(model: NegotiationModel, key: str, value) -> str:
    """One value of an explanation in words: state ids and dimension names by their labels, shares as percentages."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if value in model.index:
            return state_label(model, value)
        if value in model.dimensions:
            return dimension_label(model, value).lower()
        return value.replace("_", " ") if value.isidentifier() else value
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if any(word in key for word in ("share", "fraction", "probability")):
            return f"{value:.0%}"
        return f"{value:+.2f}" if any(word in key for word in ("move", "concession", "shift")) else f"{value:.2f}"
    if isinstance(value, dict):
        parts = [f"{_value_words(model, key, k)} {_value_words(model, f'{key}.{k}', v)}" for k, v in value.items()]
        return ", ".join(parts) if parts else "none"
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, str) and v in model.index for v in value):
            return _names(model, value)
        words = [_value_words(model, key, v) for v in value[:MAX_NAMED]]
        if len(value) > MAX_NAMED:
            words.append(f"{len(value) - MAX_NAMED} more")
        return "; ".join(words) if words else "none"
    return str(value)


def explanation_lines(model: NegotiationModel, explanation: dict) -> list[tuple[str, str]]:
    """An explanation dict shown generically, one (label, sentence) per key: the label is the key in words
    ('tipping_round' -> 'Tipping round:'), the sentence its value in words. Empty values are left out."""
    lines = []
    for key, value in explanation.items():
        if key == "kind" or value is None or (hasattr(value, "__len__") and not isinstance(value, str)
                                              and len(value) == 0):
            continue
        label = key.replace("_", " ").strip().capitalize() + ":"
        lines.append((label, _value_words(model, key, value) + "."))
    return lines


def tier_lines(model: NegotiationModel) -> list[tuple[str, str]]:
    """Who joined each tier (after adoption) or would join it (before), against the members it needs."""
    lines = []
    adopted = model.adopted_round is not None
    for j, name in enumerate(model.tier_names):
        tier = model.scenario.treaty.tiers[j]
        title = f"Tier {name.replace('_', ' ')}" + (f" ({tier.description})" if tier.description else "") + ":"
        members = [model.ids[i] for i in np.flatnonzero(model.tiers[:, j])]
        needed = int(model.tier_threshold[j])
        if adopted:
            state = "in being" if model.tier_alive[j] else "not in being"
            joined = f"{_names(model, members)} joined" if members else "nobody joined"
            lines.append((title, f"{joined}; it needs {needed} members, so it is {state}."))
        else:
            would = (f"{_names(model, members)} {'would' if members else ''} join").replace("  ", " ")
            lines.append((title, f"{would if members else 'nobody would join yet'} (it needs {needed})."))
    return lines


def adoption_lines(model: NegotiationModel, why: dict) -> list[tuple[str, str]]:
    """The run's explanation of an adoption (sim.model.explanation) in words: what moved the last objectors aboard,
    who let the text pass without signing, and who voted against it."""
    lines = []
    movers = why.get("last_aboard") or []
    if movers:
        parts = [f"{state_label(model, m['state'])} stopped objecting in round {m['stopped_objecting_in_round']}, "
                 f"moved by {m['moved_by']}" for m in movers[:MAX_NAMED]]
        lines.append(("What tipped it:", "; ".join(parts) + "."))
    else:
        lines.append(("What tipped it:", "the text the chair tabled passed at once: no state had to change its "
                                         "mind."))
    if why.get("let_pass_without_signing"):
        lines.append(("Let it pass:", f"{_names(model, why['let_pass_without_signing'])} did not object but did "
                                      f"not sign."))
    if why.get("voted_against"):
        lines.append(("Voted against:", f"{_names(model, why['voted_against'])}."))
    return lines


def _agreement_lines(model: NegotiationModel, report: StuckReport) -> list[tuple[str, str]]:
    adopted = model.adopted_round
    members = [model.ids[i] for i in np.flatnonzero(model.signed)]
    left_out = [model.ids[i] for i in np.flatnonzero(model.ever_engaged & ~model.signed)]
    lines = [("Adopted:", f"in round {adopted} under the rule {_rule_of(model).lower()}, signed by "
                          f"{_names(model, members)}.")]
    if report.explanation.get("kind") == "adoption":
        lines += adoption_lines(model, report.explanation)
    elif report.explanation:
        lines += explanation_lines(model, report.explanation)
    elif adopted > 1:
        # No explanation from the run: say who came aboard in the round the vote tipped.
        table = states_table(model)
        before = set(table.loc[(table["round"] == adopted - 1) & table["support"], "state"])
        then = table.loc[(table["round"] == adopted) & table["support"], "state"]
        last = [s for s in then if s not in before]
        if last:
            lines.append(("What tipped it:", f"{_names(model, last)} came aboard in round {adopted}, after "
                                             f"{adopted - 1} round{'s' if adopted > 2 else ''} of talks."))
    else:
        lines.append(("What tipped it:", "nothing had to: the first draft was adopted."))
    if left_out:
        lines.append(("Left outside:", f"{_names(model, left_out)}."))
    needed = model.scenario.ratifications_needed()
    if model.in_force_round is not None:
        lines.append(("In force:", f"from round {model.in_force_round}, with {int(model.ratified.sum())} "
                                   f"ratifications ({needed} needed)."))
    else:
        lines.append(("Ratified:", f"{int(model.ratified.sum())} of the {needed} needed for entry into force."))
    return lines


def why_stuck_lines(model: NegotiationModel, report: StuckReport | None = None) -> list[tuple[str, str]]:
    """The panel as (label, sentence) pairs, in words a class can read aloud; the label may be empty."""
    report = report or why_stuck(model)
    if report.kind == "opening":
        return [("No vote yet.", "Each round the chair drafts a text, every state says whether it would join, "
                                 "and the rule decides. Press Step to see who objects.")]
    if report.kind == "adopted":
        return _agreement_lines(model, report) + tier_lines(model)
    left = [state_label(model, model.ids[i]) for i in np.flatnonzero(model.ever_engaged & ~model.engaged)]
    if report.kind == "collapse":
        return [("Collapsed:", f"{_join(left)} left the table, and too few states remain to negotiate.")]
    lines = []
    if report.blocking:
        verb = "objects" if len(report.blocking) == 1 else "object"
        lines.append(("Blocking:", f"{_names(model, report.blocking)} {verb} to the current draft."))
        counts = ", ".join(f"{s} {report.objections.get(s, 0)}" for s in report.blocking[:MAX_NAMED])
        lines.append(("", f"Rounds each has objected so far: {counts} (of {report.round})."))
        if report.holdouts and len(report.holdouts) < len(report.blocking):
            lines.append(("Holding out:", f"{_names(model, report.holdouts)} would object even with a mandate as "
                                          f"close to the draft as its red lines allow; the others could be won "
                                          f"over."))
    else:
        lines.append(("Blocking:", "nobody objects, but no text yet has enough states that would sign it, each "
                                   "rather having no treaty."))
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
        near_miss_line(model, report.near_miss, lines)
        lines.append(("Pivotal concession:", "none. No move within the objectors' red lines and reservation "
                                             "values would tip the vote: the draft itself has to change."))
    lines += explanation_lines(model, report.explanation)
    if left:
        lines.append(("Left the table:", f"{_join(left)}."))
    if report.still_rounds:
        window = model.scenario.protocol.stalemate_window
        lines.append(("", f"Nobody has moved for {report.still_rounds} of the {window} rounds that make a "
                          f"stalemate."))
    lines += tier_lines(model)
    return lines


def near_miss_line(model: NegotiationModel, near: dict, lines: list[tuple[str, str]]) -> None:
    """The text closest to passing, who would sign it and who it misses (from the run's explanation)."""
    if not near.get("misses"):
        return
    text = ", ".join(f"{dimension_label(model, d).lower()} {v:.2f}" for d, v in near["text"].items())
    missing = [m["state"] for m in near["misses"]]
    signers = f"{_names(model, near['would_sign'])} would sign it" if near["would_sign"] else "nobody would sign it"
    lines.append(("Nearest miss:", f"{text}: {signers}, but {_names(model, missing)} "
                                   f"{'objects' if len(missing) == 1 else 'object'}."))


def why_stuck_text(model: NegotiationModel) -> str:
    """The panel as plain text: its title, then one paragraph per line."""
    report = why_stuck(model)
    return "\n".join([why_title(model, report)] + [f"{label} {sentence}".strip()
                                                   for label, sentence in why_stuck_lines(model, report)])


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
    fig = Figure(figsize=ISSUE_SPACE_SIZE)
    # Fixed margins (see FIGURE_DPI): room for the axis labels, and on the right for the legend.
    fig.subplots_adjust(left=0.1, right=0.74, bottom=0.12, top=0.93)
    ax = fig.add_subplot()
    draft = {d: float(v) for d, v in zip(model.dimensions, model.draft)}
    issue_space(ax, model.scenario, states_now(model), draft, dims,
                title=f"Round {model.round}: positions and the draft core", colours=colours_of(model))
    # The legend goes beside the map, where it never hides a state.
    legend = ax.get_legend()
    if legend is not None:
        handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
        legend.remove()
        ax.legend(handles, labels, fontsize=9, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    ax.tick_params(labelsize=9)
    ax.xaxis.label.set_fontsize(10)
    ax.yaxis.label.set_fontsize(10)
    ax.title.set_fontsize(11)
    return fig


def over_time_figure(model: NegotiationModel) -> Figure:
    """Support for the draft and dispersion of positions (top); members of the core and of each tier (bottom)."""
    rounds = rounds_table(model)
    rules = model.scenario.rules
    fig = Figure(figsize=FIGURE_SIZE)
    fig.subplots_adjust(left=0.11, right=0.72, bottom=0.11, top=0.92, hspace=0.12)  # fixed: see FIGURE_DPI
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
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    top.set_title(f"Over time. Rule: {_rule_of(model)}", fontsize=10)

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
    bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for ax in (top, bottom):
        ax.tick_params(labelsize=8)
        ax.xaxis.label.set_fontsize(9)
        ax.yaxis.label.set_fontsize(9)
        ax.set_xlim(0, max(10, model.round))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.25)
    return fig


# ------------------------------------------------------------------------------------------------ drawing --
def figure_png(figure: Figure) -> bytes:
    """A figure as PNG at the resolution it is shown at."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI)
    return buffer.getvalue()


# Backgrounds of figures (frames, ticks, grids and axis labels) already drawn, by everything that shapes them.
# Drawing the ticks and their labels is most of the time matplotlib takes for the map, and they do not change from
# round to round, so each round draws only the rest over a copy of the background (matplotlib's "blitting"). The
# over-time figure gains little from it (its legends and lines are most of its time) and is drawn in full.
# Hand-written because matplotlib offers blitting for its interactive canvases only; a test checks that the picture
# is the one a full draw gives.
_BACKGROUNDS: OrderedDict = OrderedDict()
_BACKGROUNDS_LOCK = threading.Lock()
_BACKGROUNDS_KEPT = 64  # a few per open page (one per pair of dimensions shown); each is about 1 MB


def _static_parts(ax) -> list:
    return [ax.patch, *ax.spines.values(), ax.xaxis, ax.yaxis]


def _background_key(fig: Figure) -> tuple:
    axes = tuple((ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xlabel(), ax.get_ylabel(),
                  tuple(ax.get_xticks()), tuple(ax.get_yticks()), ax.xaxis.get_visible(), ax.yaxis.get_visible(),
                  tuple(t.get_text() for t in ax.get_yticklabels()))
                 for ax in fig.axes)
    return (tuple(fig.get_size_inches()), fig.dpi, axes)


def fast_png(fig: Figure) -> bytes:
    """A figure as PNG (as figure_png gives it), drawn over a cached background when one fits."""
    fig.set_dpi(FIGURE_DPI)
    canvas = FigureCanvasAgg(fig)
    static = [part for ax in fig.axes for part in _static_parts(ax)]
    dynamic = [a for a in fig.get_children() if a is not fig.patch and a not in fig.axes]
    for ax in fig.axes:
        dynamic += [a for a in ax.get_children() if not any(a is s for s in static)]
    key = _background_key(fig)
    with _BACKGROUNDS_LOCK:
        background = _BACKGROUNDS.get(key)
        if background is not None:
            _BACKGROUNDS.move_to_end(key)
    if background is None:
        shown = [(a, a.get_visible()) for a in dynamic]
        for artist, _ in shown:
            artist.set_visible(False)
        titles = [(ax.title, ax.title.get_position()) for ax in fig.axes]
        canvas.draw()  # which moves hidden titles out of the way: they go back where a full draw puts them
        for title, at in titles:
            title.set_position(at)
        background = canvas.copy_from_bbox(fig.bbox)
        for artist, visible in shown:
            artist.set_visible(visible)
        with _BACKGROUNDS_LOCK:
            _BACKGROUNDS[key] = background
            while len(_BACKGROUNDS) > _BACKGROUNDS_KEPT:
                _BACKGROUNDS.popitem(last=False)
    canvas.get_renderer()
    canvas.restore_region(background)
    for artist in sorted(dynamic, key=lambda a: a.get_zorder()):  # stable: equal zorders keep their order
        if artist.get_visible():
            fig.draw_artist(artist)
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, format="png")
    return buffer.getvalue()


def map_png(model: NegotiationModel, dims: tuple[str, str]) -> bytes:
    """The issue-space map (issue_space_figure) as PNG."""
    return fast_png(issue_space_figure(model, dims))
