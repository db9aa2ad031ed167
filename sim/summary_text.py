"""The short text summary of a run that `run.py run` prints."""

from __future__ import annotations

from .schema import Scenario

OUTCOME_TEXT = {
    "agreement": "AGREEMENT - the treaty entered into force with broad membership",
    "partial_agreement": "PARTIAL AGREEMENT - the treaty entered into force among a minority of the states",
    "signed_not_in_force": "SIGNED, NOT IN FORCE - adopted, but too few ratifications",
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
        f"  after {summary['rounds']} rounds ({summary['end_date']}): {summary['reason']}",
    ]
    text = ", ".join(f"{d} {v:.2f}" for d, v in summary["core_text"].items())
    if summary["adopted"]:
        by = "by consensus" if summary["adopted_by"] == "consensus" else f"by a vote ({summary['adopted_by']})"
        lines.append(f"Core adopted {by} in round {summary['adopted_round']} ({summary['adopted_date']}): {text}")
        lines.append(f"Signed at the opening by {summary['signatories_at_opening']}/{total}; "
                     f"members now {_members(summary['core_members'], total)}")
    else:
        lines.append(f"Last draft of the core: {text}")
        lines.append(f"Would sign it {_members(summary['core_members'], total)}")
    for name, tier in summary["tiers"].items():
        state = "" if tier["in_being"] is None else (" - in being" if tier["in_being"] else " - not in being")
        lines.append(f"Tier {name} (needs {tier['entry_threshold']}){state}: "
                     f"members {_members(tier['members'], total)}")
    if summary["adopted"]:
        force = (f"yes, in round {summary['in_force_round']} ({summary['in_force_date']})" if summary["in_force"]
                 else "no")
        lines.append(f"Entry into force: {force} ({summary['ratifications']} ratifications, "
                     f"{summary['ratifications_needed']} needed)")
    if summary["walked_out"]:
        lines.append(f"Walked out: {', '.join(summary['walked_out'])}")
    why = summary.get("explanation") or {}
    if why.get("kind") == "adoption":
        lines.extend(_adoption_lines(why, total))
    elif why:
        lines.extend(_deadlock_lines(why))
    return "\n".join(lines)


def _adoption_lines(why: dict, total: int) -> list[str]:
    lines = []
    if why["last_aboard"]:
        moved = "; ".join(f"{m['state']} stopped objecting in round {m['stopped_objecting_in_round']}, moved by "
                          f"{m['moved_by']}" for m in why["last_aboard"][:3])
        lines.append(f"What tipped it: {moved}")
    else:
        lines.append("What tipped it: the text the chair tabled passed at once: no state had to change its mind")
    if why["let_pass_without_signing"]:
        lines.append(f"Let it pass without signing: {_members(why['let_pass_without_signing'], total)}")
    if why["voted_against"]:
        lines.append(f"Voted against: {_members(why['voted_against'], total)}")
    return lines


def _deadlock_lines(why: dict) -> list[str]:
    lines = []
    holding = [b for b in why["blockers"] if b["held_out"]]
    if holding:
        names = ", ".join(f"{b['state']} ({b['held_out']})" for b in holding[:6])
        more = f", ... (+{len(holding) - 6})" if len(holding) > 6 else ""
        lines.append(f"Held out (rounds objecting even with its mandate as close as its red lines allow): "
                     f"{names}{more}")
    others = [b for b in why["blockers"] if not b["held_out"]]
    if others:
        names = ", ".join(f"{b['state']} ({b['objections']})" for b in others[:6])
        more = f", ... (+{len(others) - 6})" if len(others) > 6 else ""
        lines.append(f"{'Also objecting' if holding else 'Blocked by'} (rounds objecting): {names}{more}")
    if not why["blockers"]:
        lines.append("Nobody objected: no text found enough states that would sign it (each would rather have "
                     "no treaty)")
    if why["dividing_dimension"]:
        lines.append(f"Dividing dimension: {why['dividing_dimension']}")
    near = why.get("near_miss")
    if near and near["misses"]:
        text = ", ".join(f"{d} {v:.2f}" for d, v in near["text"].items())
        missing = ", ".join(m["state"] for m in near["misses"][:8])
        lines.append(f"Nearest miss: {text}, blocked by {missing}")
    pivot = why["pivotal_concession"]
    if pivot:
        moves = ", ".join(f"{d} {v:+.2f}" for d, v in pivot["moves"].items())
        others = [s for s in why["states_to_win_over"] if s != pivot["state"]]
        also = f" (after winning over {', '.join(others)})" if others else ""
        lines.append(f"Cheapest concession: {pivot['state']} moving its mandate {moves or 'no further'}{also} "
                     f"would tip it")
    elif why["blockers"] and not why["tippable"]:
        lines.append("No concession of the objectors' mandates within their red lines would tip it")
    for d in why.get("departures", []):
        lines.append(f"Left the table: {d['state']} in round {d['round']} ({d['reason']})")
    return lines
