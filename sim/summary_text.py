"""The short text summary of a run that `run.py run` prints."""

from __future__ import annotations

from .schema import Scenario

OUTCOME_TEXT = {
    "agreement": "AGREEMENT - the treaty entered into force with broad membership",
    "partial_agreement": "PARTIAL AGREEMENT - the treaty entered into force among a minority of the states",
    "signed_not_in_force": "SIGNED, NOT IN FORCE - adopted, but too few ratifications by the last round",
    "stalemate": "STALEMATE - no adoption and no movement",
    "collapse": "COLLAPSE - too few states left at the table",
    "timeout": "TIME-OUT - the last round came without adoption",
}


def _members(ids: list[str], total: int, limit: int = 12) -> str:
    if not ids:
        return f"0/{total}"
    shown = ", ".join(ids[:limit]) + (f", ... (+{len(ids) - limit})" if len(ids) > limit else "")
    return f"{len(ids)}/{total}: {shown}"


def format_summary(summary: dict, scenario: Scenario) -> str:
    total = summary["states_in_talks"]
    lines = [
        f"{scenario.metadata.title}  (seed {summary['seed']}, {scenario.protocol.activation} activation, "
        f"{scenario.rules.decision.replace('_', ' ')} rule)",
        f"Outcome: {OUTCOME_TEXT.get(summary['outcome'], summary['outcome'])}",
        f"  after {summary['rounds']} rounds: {summary['reason']}",
    ]
    text = ", ".join(f"{d} {v:.2f}" for d, v in summary["core_text"].items())
    if summary["adopted"]:
        lines.append(f"Core adopted in round {summary['adopted_round']}: {text}")
        lines.append(f"Core members {_members(summary['core_members'], total)}")
    else:
        lines.append(f"Last draft of the core: {text}")
        lines.append(f"Would support it {_members(summary['supporters'], total)}")
    for name, tier in summary["tiers"].items():
        state = "" if tier["in_being"] is None else (" - in being" if tier["in_being"] else " - not in being")
        lines.append(f"Tier {name} (needs {tier['entry_threshold']}){state}: "
                     f"members {_members(tier['members'], total)}")
    if summary["adopted"]:
        force = (f"yes, in round {summary['in_force_round']}" if summary["in_force"] else "no")
        lines.append(f"Entry into force: {force} ({summary['ratifications']} ratifications, "
                     f"{summary['ratifications_needed']} needed)")
    if summary["walked_out"]:
        lines.append(f"Walked out: {', '.join(summary['walked_out'])}")
    why = summary.get("explanation")
    if why:
        holding = [b for b in why["blockers"] if b["held_out"]]
        if holding:
            names = ", ".join(f"{b['state']} ({b['held_out']})" for b in holding[:6])
            more = f", ... (+{len(holding) - 6})" if len(holding) > 6 else ""
            lines.append(f"Held out (rounds objecting even to the draft as if adopted): {names}{more}")
        others = [b for b in why["blockers"] if not b["held_out"]]
        if others:
            names = ", ".join(f"{b['state']} ({b['objections']})" for b in others[:6])
            more = f", ... (+{len(others) - 6})" if len(others) > 6 else ""
            label = "Also objecting" if holding else "Blocked by (rounds objecting)"
            lines.append(f"{label}, as too few would join: {names}{more}" if holding else f"{label}: {names}{more}")
        if why["dividing_dimension"]:
            lines.append(f"Dividing dimension: {why['dividing_dimension']}")
        pivot = why["pivotal_concession"]
        if pivot:
            moves = ", ".join(f"{d} {v:+.2f}" for d, v in pivot["moves"].items())
            others = [s for s in why["states_to_win_over"] if s != pivot["state"]]
            also = f" (after winning over {', '.join(others)})" if others else ""
            if moves:
                lines.append(f"Pivotal concession: {pivot['state']} moving {moves}{also} would tip the vote")
            else:
                lines.append(f"Pivotal state: {pivot['state']} would back the draft as it stands{also}")
        elif not why["tippable"]:
            lines.append("No concession within the objectors' red lines and reservation values would tip the vote")
    return "\n".join(lines)
