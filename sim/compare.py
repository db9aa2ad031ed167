"""Compare two scenarios (or a scenario and a variant) over the same seeds.

Both scenarios are run with the same replicate seeds, so each seed gives a pair of runs and the comparison is paired:
with common random numbers, the difference between the scenarios is measured with less noise than two independent
samples would give, and a scenario compared with itself gives identical pairs and a difference of exactly zero.

Differences are always B - A, with confidence intervals:
- chances (an outcome, adoption, entry into force, a state's membership): Newcombe's hybrid score interval for the
  difference of two paired proportions (Newcombe 1998, Statistics in Medicine 17:2635-2650, method 10), built from
  Wilson score intervals of each proportion;
- means (rounds, core members, the final core text, tier members): the paired t interval of the per-seed differences.
  When every difference is the same (for example all zero) the interval collapses onto it.
A difference is flagged significant when its interval excludes zero. No correction is made for the number of
measures compared: with dozens of measures, some intervals exclude zero by chance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from .model import OUTCOMES
from .runner import run_once
from .schema import Scenario

__all__ = [
    "Comparison",
    "compare",
    "newcombe_paired",
    "paired_mean_interval",
    "replicate_seeds",
    "run_pairs",
    "wilson",
]


# ------------------------------------------------------------------------------------------------- intervals --
def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence {confidence!r} is not between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion successes / n."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"cannot form a proportion from {successes} of {n}")
    z = _z(confidence)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # Clamp the rounding error that can put a bound a hair outside [0, 1] or past p itself.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def newcombe_paired(both: int, only_a: int, only_b: int, neither: int,
                    confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference p_B - p_A of two paired proportions and Newcombe's interval for it (method 10).

    both, only_a, only_b, neither count the pairs (seeds) in which the event happened in both runs, only in A's run,
    only in B's run, or in neither. The correlation between the pair members is the phi coefficient, with Newcombe's
    continuity correction: (ad - bc) is reduced by n/2 when positive and above n/2, set to 0 when between 0 and n/2.
    """
    counts = (both, only_a, only_b, neither)
    if min(counts) < 0:
        raise ValueError(f"negative count in {counts}")
    n = sum(counts)
    pa, pb = (both + only_a) / n, (both + only_b) / n
    la, ua = wilson(both + only_a, n, confidence)
    lb, ub = wilson(both + only_b, n, confidence)
    margins = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    phi = 0.0
    if margins > 0:
        cross = both * neither - only_a * only_b
        if cross > n / 2:
            cross -= n / 2
        elif cross >= 0:
            cross = 0.0
        phi = cross / math.sqrt(margins)
    difference = pb - pa
    # The lower bound of pB - pA combines how far pB can fall (pb - lb) and pA rise (ua - pa), and vice versa.
    lower = difference - math.sqrt(max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2))
    upper = difference + math.sqrt(max(0.0, (ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))
    return difference, max(-1.0, lower), min(1.0, upper)


def paired_mean_interval(a: Sequence[float], b: Sequence[float],
                         confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of the per-pair differences b - a and its paired t interval (needs at least two pairs).

    When the differences do not vary (every pair differs by the same amount, e.g. identical runs) the standard error
    is zero and the interval is that one value.
    """
    from scipy import stats  # imported here so that `run.py --help` never waits for scipy

    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if diff.ndim != 1 or len(diff) < 2:
        raise ValueError(f"a paired interval needs at least two pairs, got {diff.size}")
    mean = float(diff.mean())
    spread = float(diff.std(ddof=1))
    if spread == 0.0 or not np.isfinite(spread):
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2.0, len(diff) - 1)) * spread / math.sqrt(len(diff))
    return mean, mean - half, mean + half


# -------------------------------------------------------------------------------------------------- the runs --
def replicate_seeds(master_seed: int, replicates: int) -> list[int]:
    """The seed of each replicate, SeedSequence(master).spawn(replicates)[r], the same list on every machine.

    These are the seeds a sweep with common random numbers gives its replicates (sim.sweep.design.run_seeds), so a
    comparison and a sweep with the same master seed run the same seeds.
    """
    from .sweep.design import run_seeds

    if replicates < 1:
        raise ValueError(f"{replicates} replicates: at least one is needed")
    return run_seeds(int(master_seed), range(int(replicates)))


def _run_row(scenario: Scenario, replicate: int, seed: int, max_rounds: int | None) -> tuple[dict, list[dict]]:
    summary = run_once(scenario, seed, max_rounds=max_rounds).summary
    # Members are the signatories of an adopted text: a run that adopts nothing has none (the would-be signers of
    # its last draft are not members), and a tier's members are those of its opt-ins who signed the core.
    inside = set(summary["core_members"]) if summary["adopted"] else set()
    row = {
        "replicate": replicate,
        "seed": int(seed),
        "outcome": summary["outcome"],
        "rounds": summary["rounds"],
        "adopted": summary["adopted"],
        "in_force": summary["in_force"],
        "core_members": len(inside),
        "ratifications": summary["ratifications"],
    }
    for d in scenario.dimension_names:
        row[f"text_{d}"] = summary["core_text"][d]
    for t in scenario.treaty.tiers:
        row[f"tier_{t.name}"] = len(inside.intersection(summary["tiers"][t.name]["members"]))
    members = [{"replicate": replicate, "seed": int(seed), "state": sid, "member": sid in inside}
               for sid in scenario.state_ids]
    return row, members


def run_pairs(scenario_a: Scenario, scenario_b: Scenario, seeds: Sequence[int], max_rounds: int | None = None,
              progress: Callable[[], None] | None = None) -> tuple[dict, dict, list[dict]]:
    """Run both scenarios once per seed. A seed whose run raises in either scenario is dropped from both (the
    comparison stays paired) and reported in the failures.

    Returns ({"A": runs, "B": runs}, {"A": membership, "B": membership}, failures), the runs one row per
    replicate and the membership one row per (replicate, state).
    """
    runs: dict = {"A": [], "B": []}
    members: dict = {"A": [], "B": []}
    failures: list[dict] = []
    for replicate, seed in enumerate(seeds):
        pair = {}
        for label, scenario in (("A", scenario_a), ("B", scenario_b)):
            try:
                pair[label] = _run_row(scenario, replicate, seed, max_rounds)
            except Exception as exc:  # a failing run is reported, not allowed to sink the other pairs
                failures.append({"scenario": label, "replicate": replicate, "seed": int(seed),
                                 "error": f"{type(exc).__name__}: {exc}"})
            if progress is not None:
                progress()
        if len(pair) == 2:
            for label, (row, member_rows) in pair.items():
                runs[label].append(row)
                members[label].extend(member_rows)
    return ({k: pd.DataFrame(v) for k, v in runs.items()}, {k: pd.DataFrame(v) for k, v in members.items()},
            failures)


# ------------------------------------------------------------------------------------------------ comparison --
@dataclass
class Comparison:
    """Paired runs of two scenarios and the differences between them (B - A)."""

    scenario_a: Scenario
    scenario_b: Scenario
    seeds: list[int]
    confidence: float
    runs: pd.DataFrame  # one row per (scenario, replicate)
    membership: pd.DataFrame  # one row per (scenario, replicate, state)
    differences: pd.DataFrame  # one row per measure
    notes: list[str] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)  # runs that raised; their seeds are left out of both sides

    @property
    def significant(self) -> pd.DataFrame:
        return self.differences[self.differences["significant"]]


def _proportion_row(measure: str, group: str, a: np.ndarray, b: np.ndarray, confidence: float) -> dict:
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    both, only_a, only_b = int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum())
    neither = len(a) - both - only_a - only_b
    difference, low, high = newcombe_paired(both, only_a, only_b, neither, confidence)
    return {"group": group, "measure": measure, "kind": "chance", "a": float(a.mean()), "b": float(b.mean()),
            "difference": difference, "low": low, "high": high, "method": "Newcombe paired (method 10)"}


def _mean_row(measure: str, group: str, a: np.ndarray, b: np.ndarray, confidence: float) -> dict:
    difference, low, high = paired_mean_interval(a, b, confidence)
    return {"group": group, "measure": measure, "kind": "mean", "a": float(np.mean(a)), "b": float(np.mean(b)),
            "difference": difference, "low": low, "high": high, "method": "paired t"}


def compare(
    scenario_a: Scenario,
    scenario_b: Scenario,
    replicates: int = 30,
    master_seed: int = 0,
    max_rounds: int | None = None,
    confidence: float = 0.95,
    progress: Callable[[], None] | None = None,
) -> Comparison:
    """Run both scenarios over the same `replicates` seeds and measure how B differs from A."""
    if replicates < 2:
        raise ValueError(f"{replicates} replicates: a paired comparison needs at least 2")
    _z(confidence)
    all_seeds = replicate_seeds(master_seed, replicates)
    runs, members, failures = run_pairs(scenario_a, scenario_b, all_seeds, max_rounds, progress)
    runs_a, runs_b, members_a, members_b = runs["A"], runs["B"], members["A"], members["B"]
    if len(runs_a) < 2:
        raise RuntimeError(f"only {len(runs_a)} of {replicates} seeds ran in both scenarios; first failure: "
                           f"{failures[0]['error'] if failures else 'none'}")
    seeds = runs_a["seed"].tolist()
    rows: list[dict] = []
    for outcome in OUTCOMES:
        a, b = runs_a["outcome"].to_numpy() == outcome, runs_b["outcome"].to_numpy() == outcome
        if a.any() or b.any():
            rows.append(_proportion_row(outcome, "outcome", a, b, confidence))
    for measure in ("adopted", "in_force"):
        rows.append(_proportion_row(measure, "treaty", runs_a[measure].to_numpy(), runs_b[measure].to_numpy(),
                                    confidence))
    for measure in ("rounds", "core_members", "ratifications"):
        rows.append(_mean_row(measure, "run", runs_a[measure].to_numpy(), runs_b[measure].to_numpy(), confidence))

    notes = []
    if failures:
        notes.append(f"{len(failures)} run(s) raised; their {len(all_seeds) - len(seeds)} seed(s) are left out of "
                     f"both scenarios (see failures.csv)")
    dims_a, dims_b = scenario_a.dimension_names, scenario_b.dimension_names
    for d in [d for d in dims_a if d in dims_b]:
        rows.append(_mean_row(d, "core text", runs_a[f"text_{d}"].to_numpy(), runs_b[f"text_{d}"].to_numpy(),
                              confidence))
    only = sorted(set(dims_a) ^ set(dims_b))
    if only:
        notes.append(f"dimensions in only one scenario, not compared: {', '.join(only)}")
    tiers_a = [t.name for t in scenario_a.treaty.tiers]
    tiers_b = [t.name for t in scenario_b.treaty.tiers]
    zeros = np.zeros(len(seeds))
    for tier in tiers_a + [t for t in tiers_b if t not in tiers_a]:
        # A tier a scenario does not have has no members in any of its runs.
        a = runs_a[f"tier_{tier}"].to_numpy() if tier in tiers_a else zeros
        b = runs_b[f"tier_{tier}"].to_numpy() if tier in tiers_b else zeros
        rows.append(_mean_row(tier, "tier members", a, b, confidence))

    ids_b = set(scenario_b.state_ids)
    common = [sid for sid in scenario_a.state_ids if sid in ids_b]
    member_a = members_a.pivot(index="replicate", columns="state", values="member")
    member_b = members_b.pivot(index="replicate", columns="state", values="member")
    for sid in common:
        rows.append(_proportion_row(sid, "membership", member_a[sid].to_numpy(), member_b[sid].to_numpy(),
                                    confidence))
    only_states = sorted(set(scenario_a.state_ids) ^ ids_b)
    if only_states:
        notes.append(f"states in only one scenario, membership not compared: {', '.join(only_states)}")

    differences = pd.DataFrame(rows)
    differences["significant"] = (differences["low"] > 0) | (differences["high"] < 0)
    runs = pd.concat([runs_a.assign(scenario="A"), runs_b.assign(scenario="B")], ignore_index=True)
    runs = runs[["scenario"] + [c for c in runs.columns if c != "scenario"]]
    membership = pd.concat([members_a.assign(scenario="A"), members_b.assign(scenario="B")], ignore_index=True)
    membership = membership[["scenario", "replicate", "seed", "state", "member"]]
    return Comparison(scenario_a, scenario_b, seeds, confidence, runs, membership, differences, notes, failures)


# ---------------------------------------------------------------------------------------------------- report --
def _number(value: float, kind: str) -> str:
    if kind == "chance":
        return f"{value:.2f}"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def _signed(value: float, kind: str) -> str:
    if kind == "chance":
        text = f"{value:+.2f}"
    else:
        text = f"{value:+.3g}" if abs(value) < 1000 else f"{value:+.0f}"
    return "+0" if text in ("+0.00", "-0.00", "-0", "+0") else text


def format_report(comparison: Comparison, label_a: str, label_b: str, max_states: int = 20) -> str:
    """A plain-text report: outcome chances, means, tiers, and the states whose membership changed."""
    diff = comparison.differences
    n = len(comparison.seeds)
    level = f"{comparison.confidence:.0%}"
    lines = [
        f"A: {label_a}  ({comparison.scenario_a.metadata.title})",
        f"B: {label_b}  ({comparison.scenario_b.metadata.title})",
        f"{n} paired runs (the same {n} seeds for A and B); differences are B - A with {level} intervals; "
        f"* marks an interval that excludes 0.",
        "",
    ]

    def table(title: str, frame: pd.DataFrame, method: str) -> None:
        if frame.empty:
            return
        lines.append(f"{title:28s} {'A':>8s} {'B':>8s} {'B - A':>8s}   {level} interval ({method})")
        for row in frame.itertuples():
            star = " *" if row.significant else ""
            lines.append(f"  {row.measure:26s} {_number(row.a, row.kind):>8s} {_number(row.b, row.kind):>8s} "
                         f"{_signed(row.difference, row.kind):>8s}   [{_signed(row.low, row.kind)}, "
                         f"{_signed(row.high, row.kind)}]{star}")
        lines.append("")

    table("Outcome chances", diff[diff["group"] == "outcome"], "Newcombe, paired")
    table("Treaty", diff[diff["group"] == "treaty"], "Newcombe, paired")
    table("Per run (means)", diff[diff["group"] == "run"], "paired t")
    table("Final core text (means)", diff[diff["group"] == "core text"], "paired t")
    table("Tier members (means)", diff[diff["group"] == "tier members"], "paired t")
    members = diff[diff["group"] == "membership"]
    changed = members[members["significant"]]
    if members.empty:
        pass
    elif changed.empty:
        lines.append(f"Membership: no state's chance of being a core member differs significantly "
                     f"({len(members)} states compared).")
    else:
        ordered = changed.reindex(changed["difference"].abs().sort_values(ascending=False).index)
        shown = ordered.head(max_states)
        table(f"Membership ({len(changed)} of {len(members)} differ)", shown, "Newcombe, paired")
        if len(ordered) > len(shown):
            lines.append(f"  ... and {len(ordered) - len(shown)} more (see differences.csv)")
    for note in comparison.notes:
        lines.append(f"Note: {note}")
    significant = int(comparison.differences["significant"].sum())
    if lines[-1]:
        lines.append("")
    lines.append(f"Verdict: {significant} of {len(diff)} measures differ significantly."
                 if significant else f"Verdict: no significant difference in any of the {len(diff)} measures.")
    return "\n".join(lines)
