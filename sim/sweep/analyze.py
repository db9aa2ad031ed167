"""Analysis of a sweep's stored results (never reruns the model).

- The chance of each outcome, with a 95% Wilson interval, for each value of each varied parameter (a numeric
  parameter with many distinct values, as from a Latin hypercube, is cut into quantile bins).
- A heatmap of the chance of agreement when exactly two parameters vary.
- First-order and total Sobol indices (design: sobol) or Morris elementary effects (design: morris), computed by
  SALib on numeric responses averaged over each point's replicates: the agreement indicator (outcome is agreement),
  entry into force, rounds, and the number of core members; with a warning when the sample is too small to trust.
- Rounds, core membership and entry into force by value of each parameter (with 95% t intervals), which say
  something when the outcome itself does not vary.
- Analysis by lever: a value of a rules field that the run's decision rule does not read (the threshold under
  consensus) is not pooled with the values that do something; notes name parameters with no effect or no
  detectable effect, and design points that repeat another point's values.

Everything is written as CSV tables and PNG figures into a new analysis/ folder of the sweep (analysis-2, ... when
one exists already); the tables are also returned for printing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..results import environment, file_digests, new_folder, program, slug, write_json
from .design import design_seed, duplicate_points, salib_problem, unit_column
from .storage import SweepFolder, nullable_frame

__all__ = ["AnalysisError", "AnalysisReport", "analyze", "wilson_interval", "outcome_chances", "format_report",
           "RESPONSES"]

MAX_LEVELS = 12  # a numeric parameter with more distinct values than this is binned
RESPONSES = {
    "agreement": "outcome is agreement (share of replicates)",
    "in_force": "treaty entered into force (share of replicates)",
    "rounds": "rounds until the run ended (mean)",
    "core_members_n": "states in the core (mean)",
}
KNOWN_OUTCOMES = ("agreement", "partial_agreement", "signed_not_in_force", "stalemate", "collapse", "timeout")
# Rules fields that only some decision rules read (sim/schema.py, Rules: the threshold is a share for majority_count,
# majority_capability and plurilateral; min_states is plurilateral's). Under another rule their values change
# nothing, and pooling those runs with the rest would blur the effect they have where they apply.
READ_ONLY_UNDER = {
    "rules.threshold": ("majority_count", "majority_capability", "plurilateral"),
    "rules.min_states": ("plurilateral",),
}
# Below these, the indices are mostly sampling noise: Sobol' estimates need base samples in the hundreds to
# thousands (Saltelli et al. 2010 use 500 and more); Morris screening, 10 or more trajectories (Campolongo et al.
# 2007 use 10 to 20).
SMALL_SOBOL = 512
SMALL_MORRIS = 10


class AnalysisError(Exception):
    pass


@dataclass
class AnalysisReport:
    path: Path
    sweep: str
    runs: int
    expected: int
    failed: int
    overall: pd.DataFrame
    by_parameter: pd.DataFrame
    responses: pd.DataFrame | None = None
    outcome_varies: bool = True
    heatmap: pd.DataFrame | None = None
    sensitivity: pd.DataFrame | None = None
    sensitivity_kind: str | None = None
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ statistics --
def wilson_interval(count, total, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial share (statsmodels' proportion_confint when installed)."""
    count = np.asarray(count, dtype=float)
    total = np.asarray(total, dtype=float)
    try:
        from statsmodels.stats.proportion import proportion_confint
    except ImportError:
        from scipy.stats import norm

        # The Wilson score interval (Wilson 1927), as statsmodels computes it; scipy gives the normal quantile.
        z = norm.ppf(0.5 + confidence / 2.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = count / total
            denominator = 1.0 + z * z / total
            centre = (share + z * z / (2.0 * total)) / denominator
            half = z * np.sqrt(share * (1.0 - share) / total + z * z / (4.0 * total * total)) / denominator
        low, high = centre - half, centre + half
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            low, high = proportion_confint(count, total, alpha=1.0 - confidence, method="wilson")
    # At 0 of n and n of n the bound is exactly 0 or 1; rounding would otherwise leave it a hair off.
    low = np.where(count == 0, 0.0, low)
    high = np.where(count == total, 1.0, high)
    low = np.where(total > 0, np.clip(low, 0.0, 1.0), np.nan)
    high = np.where(total > 0, np.clip(high, 0.0, 1.0), np.nan)
    return low, high


def _outcome_order(outcomes) -> list[str]:
    present = [o for o in pd.unique(pd.Series(list(outcomes))) if isinstance(o, str)]
    return [o for o in KNOWN_OUTCOMES if o in present] + sorted(o for o in present if o not in KNOWN_OUTCOMES)


def outcome_chances(runs: pd.DataFrame, by: str | None, outcomes: list[str]) -> pd.DataFrame:
    """Long table: (group,) outcome, runs, count, share, ci_low, ci_high, failed; shares among completed runs."""
    completed = runs[runs["error"].isna()]
    if by is None:
        groups = [("all", completed, runs)]
    else:
        groups = [(value, completed[completed[by] == value], rows) for value, rows in runs.groupby(by, sort=True,
                                                                                                  observed=True)]
    records = []
    for value, done, everything in groups:
        counts = done["outcome"].value_counts()
        n = len(done)
        for outcome in outcomes:
            k = int(counts.get(outcome, 0))
            records.append({"value": value, "outcome": outcome, "runs": n, "count": k,
                            "share": k / n if n else np.nan, "failed": len(everything) - n})
    table = pd.DataFrame.from_records(records)
    if table.empty:
        return table
    low, high = wilson_interval(table["count"], table["runs"])
    table["ci_low"], table["ci_high"] = low, high
    return table


def _levels(runs: pd.DataFrame, parameter, bins: int) -> tuple[pd.Series, list]:
    """The grouping of runs by a parameter's value: the values themselves, or quantile bins when there are many."""
    column = runs[parameter.path]
    distinct = column.dropna().unique()
    if parameter.kind == "values" or parameter.codec not in ("float", "int") or len(distinct) <= MAX_LEVELS:
        order = list(parameter.values) if parameter.kind == "values" else sorted(distinct)
        encoded = [parameter.encode(v) for v in order] if parameter.kind == "values" else order
        present = [v for v in encoded if v in set(distinct)]
        return column, present
    cut = pd.qcut(column.astype(float), q=bins, duplicates="drop")
    labels = [f"[{iv.left:.4g}, {iv.right:.4g}]" for iv in cut.cat.categories]
    binned = cut.cat.rename_categories(labels).astype(object)
    return binned, labels


# ----------------------------------------------------------------------------------------------- sensitivity --
def _responses(runs: pd.DataFrame) -> pd.DataFrame:
    completed = runs[runs["error"].isna()]
    frame = pd.DataFrame({
        "point": completed["point"],
        "agreement": (completed["outcome"] == "agreement").astype(float),
        "in_force": completed["in_force"].astype(float),
        "rounds": completed["rounds"].astype(float),
        "core_members_n": completed["core_members_n"].astype(float),
    })
    return frame.groupby("point").mean()


def _sensitivity(folder: SweepFolder, runs: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame | None, str]:
    kind = folder.info["design"]["kind"]
    design = folder.design()
    means = _responses(runs).reindex(design["point"])
    missing = int(means["agreement"].isna().sum())
    if missing:
        notes.append(f"{kind} indices not computed: {missing} design points have no completed run "
                     f"(they need every point)")
        return None, kind
    problem = salib_problem(folder.parameters)
    seed = design_seed(folder.seed)
    frames = []
    for response in RESPONSES:
        y = means[response].to_numpy(dtype=float)
        if np.allclose(y, y[0]):
            notes.append(f"{kind}: {response} does not vary across the design ({y[0]:.4g} everywhere); no indices")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if kind == "sobol":
                from SALib.analyze import sobol

                result = sobol.analyze(problem, y, calc_second_order=bool(folder.info["design"]["second_order"]),
                                       seed=seed)
                frame = pd.DataFrame({"parameter": problem["names"], "S1": result["S1"],
                                      "S1_conf": result["S1_conf"], "ST": result["ST"], "ST_conf": result["ST_conf"]})
            else:
                from SALib.analyze import morris

                x = design[[unit_column(p.path) for p in folder.parameters]].to_numpy(dtype=float)
                result = morris.analyze(problem, x, y, num_levels=int(folder.info["design"]["levels"]), seed=seed)
                frame = pd.DataFrame({"parameter": problem["names"], "mu": result["mu"],
                                      "mu_star": result["mu_star"], "sigma": result["sigma"],
                                      "mu_star_conf": result["mu_star_conf"]})
        frame.insert(0, "response", response)
        frames.append(frame)
    if not frames:
        return None, kind
    table = pd.concat(frames, ignore_index=True)
    _small_sample_notes(folder, kind, table, notes)
    return table, kind


def _small_sample_notes(folder: SweepFolder, kind: str, table: pd.DataFrame, notes: list[str]) -> None:
    samples = int(folder.info["design"].get("samples") or 0)
    if kind == "sobol":
        indices = table[["S1", "ST"]].to_numpy(dtype=float)
        widest = float(np.nanmax(table[["S1_conf", "ST_conf"]].to_numpy(dtype=float)))
        outside = bool(np.any((indices < -0.05) | (indices > 1.05)))
        if samples < SMALL_SOBOL or outside:
            notes.append(f"warning: sobol: a base sample of N = {samples} is too small to trust these indices "
                         f"(they range from {np.nanmin(indices):.2f} to {np.nanmax(indices):.2f}, where 0 to 1 is "
                         f"possible, with 95% half-widths up to {widest:.2f}); rerun with --samples "
                         f"{max(SMALL_SOBOL, 2 * samples)} or more before reading them")
    elif samples < SMALL_MORRIS:
        notes.append(f"warning: morris: {samples} trajectories are too few to rank the parameters reliably "
                     f"(use {SMALL_MORRIS} or more: --samples {SMALL_MORRIS})")


# ---------------------------------------------------------------------------------------------- by lever --
def _decision_rules(folder: SweepFolder, runs: pd.DataFrame) -> pd.Series | None:
    """The decision rule of each run: its design point's, or the base scenario's when the rule is not varied."""
    if "rules.decision" in runs.columns:
        return runs["rules.decision"].astype(object)
    from ..loader import ScenarioError, validate_raw

    try:
        rule = validate_raw(folder.context().base).rules.decision
    except ScenarioError:  # the runs say why; the analysis then pools as it must
        return None
    return pd.Series(rule, index=runs.index, dtype=object)


def _effect_note(done: pd.DataFrame, path: str) -> str | None:
    """A note when a parameter's values make no difference, or none that the runs can detect."""
    if done[path].nunique(dropna=True) < 2:
        return None
    counts = pd.crosstab(done[path], done["outcome"])
    shares = counts.div(counts.sum(axis=1), axis=0).to_numpy(dtype=float)
    means = done.groupby(path, observed=True)[["rounds", "core_members_n"]].mean().to_numpy(dtype=float,
                                                                                          na_value=np.nan)
    if np.allclose(shares, shares[0]) and np.allclose(means, means[0], equal_nan=True):
        return (f"{path}: no effect: every value gives the same outcome shares, mean rounds and mean core "
                f"membership")
    if counts.shape[1] >= 2:
        from scipy.stats import chi2_contingency

        p_value = float(chi2_contingency(counts.to_numpy()).pvalue)
        if p_value >= 0.05:
            return (f"{path}: no detectable effect on the outcome (chi-square test of outcome by value, "
                    f"p = {p_value:.2f})")
    return None


def _mean_interval(values: pd.Series) -> tuple[float, float, float]:
    from scipy import stats

    x = values.dropna().to_numpy(dtype=float)
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if len(x) < 2 or np.allclose(x, x[0]):
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return mean, mean - half, mean + half


def response_summary(done: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Mean rounds and core members (95% t intervals) and the share in force, overall or by a column's values."""
    groups = [("all", done)] if by is None else list(done.groupby(by, sort=True, observed=True))
    records = []
    for value, rows in groups:
        record = {"value": value, "runs": len(rows)}
        for column in ("rounds", "core_members_n"):
            mean, low, high = _mean_interval(rows[column])
            record.update({f"{column}_mean": mean, f"{column}_low": low, f"{column}_high": high})
        record["in_force_share"] = float(rows["in_force"].astype(float).mean()) if len(rows) else np.nan
        records.append(record)
    return pd.DataFrame.from_records(records)


# ------------------------------------------------------------------------------------------------- figures --
def _plt():
    from .. import plots  # the project's figure style and outcome colours (and the Agg backend)

    return plots.plt


def _title(sweep: str, runs: int, what: str) -> str:
    return f"{what}\nsweep {sweep}, n = {runs} runs"


def _chances_figure(table: pd.DataFrame, parameter: str, levels: list, folder: Path, stem: str, title: str,
                    vector: str | None) -> list[str]:
    from ..plots import OUTCOME_LABELS, STYLE, legend_outside, outcome_colour, save_figure

    plt = _plt()
    with plt.rc_context(STYLE):
        return save_figure(_draw_chances(plt, table, parameter, levels, title, OUTCOME_LABELS, outcome_colour,
                                         legend_outside), folder, stem, vector)


def _draw_chances(plt, table, parameter, levels, title, labels, colour_of, legend_outside):
    fig, ax = plt.subplots(figsize=(min(7.5, max(5.0, 0.7 * len(levels) + 3.5)), 3.8), layout="constrained")
    positions = np.arange(len(levels))
    outcomes = list(dict.fromkeys(table["outcome"]))
    width = 0.8 / max(1, len(outcomes))
    for j, outcome in enumerate(outcomes):
        rows = table[table["outcome"] == outcome].set_index("value").reindex(levels)
        share = rows["share"].to_numpy(dtype=float)
        below = np.clip(share - rows["ci_low"].to_numpy(dtype=float), 0.0, None)
        above = np.clip(rows["ci_high"].to_numpy(dtype=float) - share, 0.0, None)
        offset = (j - (len(outcomes) - 1) / 2) * width
        ax.errorbar(positions + offset, share, yerr=[below, above], fmt="o", capsize=3, color=colour_of(outcome),
                    label=labels.get(outcome, outcome))
    ax.set_xticks(positions)
    ax.set_xticklabels([str(v) for v in levels], rotation=30 if len(levels) > 5 else 0, ha="right"
                       if len(levels) > 5 else "center")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(parameter)
    ax.set_ylabel("chance (95% Wilson interval)")
    legend_outside(ax, ax.get_legend_handles_labels()[0], title="outcome")
    ax.grid(alpha=0.3)
    ax.set_title(title, loc="left")
    return fig


def _heatmap_figure(grid: pd.DataFrame, counts: pd.DataFrame, title: str, folder: Path, stem: str,
                    vector: str | None) -> list[str]:
    from ..plots import STYLE, save_figure

    plt = _plt()
    with plt.rc_context(STYLE):
        return save_figure(_draw_heatmap(plt, grid, counts, title), folder, stem, vector)


def _draw_heatmap(plt, grid, counts, title):
    fig, ax = plt.subplots(figsize=(min(7.5, max(4.5, 0.8 * grid.shape[1] + 3)), max(3.5, 0.55 * grid.shape[0] + 2.2)),
                           layout="constrained")
    image = ax.imshow(grid.to_numpy(dtype=float), vmin=0, vmax=1, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(grid.shape[1]))
    ax.set_xticklabels([str(c) for c in grid.columns], rotation=30, ha="right")
    ax.set_yticks(range(grid.shape[0]))
    ax.set_yticklabels([str(i) for i in grid.index])
    ax.set_xlabel(grid.columns.name)
    ax.set_ylabel(grid.index.name)
    values = grid.to_numpy(dtype=float)
    for (i, j), share in np.ndenumerate(values):
        if share == share:
            ax.text(j, i, f"{share:.0%}\n(n={int(counts.iat[i, j])})", ha="center", va="center", fontsize=9,
                    color="white" if share < 0.6 else "black")
    fig.colorbar(image, ax=ax, label="chance of agreement")
    ax.set_title(title, loc="left")
    return fig


def _sensitivity_figure(table: pd.DataFrame, kind: str, folder: Path, stem: str, title: str,
                        vector: str | None) -> list[str]:
    from ..plots import STYLE, save_figure

    plt = _plt()
    with plt.rc_context(STYLE):
        return save_figure(_draw_sensitivity(plt, table, kind, title), folder, stem, vector)


def _draw_sensitivity(plt, table, kind, title):
    responses = list(dict.fromkeys(table["response"]))
    columns = min(2, len(responses))
    rows_n = -(-len(responses) // columns)
    fig, axes = plt.subplots(rows_n, columns, figsize=(7.5, 3.2 * rows_n + 0.6), squeeze=False, layout="constrained")
    for ax in axes.flat[len(responses):]:
        ax.set_visible(False)
    for ax, response in zip(axes.flat, responses):
        rows = table[table["response"] == response]
        names = list(rows["parameter"])
        positions = np.arange(len(names))
        if kind == "sobol":
            ax.bar(positions - 0.2, rows["S1"], 0.4, yerr=rows["S1_conf"], capsize=3, label="first order (S1)")
            ax.bar(positions + 0.2, rows["ST"], 0.4, yerr=rows["ST_conf"], capsize=3, label="total (ST)")
            ax.set_ylabel("Sobol index")
        else:
            ax.bar(positions, rows["mu_star"], 0.6, yerr=rows["mu_star_conf"], capsize=3, label="mu*")
            ax.plot(positions, rows["sigma"], "kD", label="sigma")
            ax.set_ylabel("elementary effect")
        ax.set_xticks(positions)
        ax.set_xticklabels(names, rotation=30, ha="right")
        ax.set_title(response, loc="left")
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].legend()
    fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------------------------------- main --
def analyze(folder: SweepFolder | str | Path, bins: int = 5, figures: bool = True,
            vector: str | None = None) -> AnalysisReport:
    """Analyse a sweep folder's stored runs and write the tables and figures to a new analysis folder in it."""
    if not isinstance(folder, SweepFolder):
        folder = SweepFolder(folder)
    runs = nullable_frame(folder.read_runs())
    notes: list[str] = []
    if runs.empty:
        raise AnalysisError(f"{folder.path}: no runs stored yet")
    if not folder.finished:
        notes.append(f"the sweep is not finished: {len(runs)} of {folder.total} runs stored "
                     f"(finish it with {program()} sweep --resume {folder.path})")
    failed = int(runs["error"].notna().sum())
    if failed:
        notes.append(f"{failed} runs failed; chances are among the {len(runs) - failed} completed runs "
                     f"(failures per value in the `failed` column)")
    outcomes = _outcome_order(runs["outcome"].dropna())

    overall = outcome_chances(runs, None, outcomes).drop(columns="value")
    outcome_varies = len(outcomes) > 1
    duplicates = duplicate_points(folder.design(), folder.parameters)
    if duplicates and folder.info["design"]["kind"] in ("grid", "lhs"):
        shown = ", ".join(f"point {p} = point {q}" for p, q in list(duplicates.items())[:3])
        notes.append(f"{len(duplicates)} design points repeat another point's values ({shown}"
                     f"{', ...' if len(duplicates) > 3 else ''}): their runs are pooled as more replicates of one "
                     f"setting")
    rules = _decision_rules(folder, runs)
    parts, response_parts, levels_of = [], [response_summary(runs[runs["error"].isna()], None)], {}
    response_parts[0].insert(0, "parameter", "all")
    grouped = runs.copy()
    for parameter in folder.parameters:
        column, levels = _levels(runs, parameter, bins)
        grouped[parameter.path] = column
        levels_of[parameter.path] = levels
        subset = grouped
        readers = READ_ONLY_UNDER.get(parameter.path)
        if readers and rules is not None:
            reads = rules.isin(readers).to_numpy(dtype=bool)
            ignoring = sorted(set(rules[~reads]))
            if not reads.any():
                notes.append(f"{parameter.path}: does nothing under {', '.join(ignoring)} (the rule of every run): "
                             f"no table for it")
                continue
            if not reads.all():
                notes.append(f"{parameter.path}: {int((~reads).sum())} runs under {', '.join(ignoring)} left out of "
                             f"its table (that rule does not read it)")
                subset = grouped[reads]
        note = _effect_note(subset[subset["error"].isna()], parameter.path)
        if note:
            notes.append(note)
        table = outcome_chances(subset, parameter.path, outcomes)
        if table.empty:
            continue
        table.insert(0, "parameter", parameter.path)
        table.insert(1, "section", parameter.section)
        parts.append(table)
        summary = response_summary(subset[subset["error"].isna()], parameter.path)
        summary.insert(0, "parameter", parameter.path)
        response_parts.append(summary)
    by_parameter = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["parameter", "section", "value", "outcome", "runs", "count", "share", "failed", "ci_low",
                 "ci_high"])
    responses = pd.concat(response_parts, ignore_index=True)
    if not outcome_varies and outcomes:
        notes.append(f"every completed run ends in {outcomes[0]}: see rounds and core membership by value "
                     f"(responses_by_parameter.csv)")

    heatmap = counts = None
    if len(folder.parameters) == 2:
        first, second = (p.path for p in folder.parameters)
        completed = grouped[grouped["error"].isna()].copy()
        completed["agreement"] = (completed["outcome"] == "agreement").astype(float)
        heatmap = completed.pivot_table(index=first, columns=second, values="agreement", aggfunc="mean",
                                        observed=True)
        counts = completed.pivot_table(index=first, columns=second, values="agreement", aggfunc="size",
                                       observed=True)
        heatmap = heatmap.reindex(index=[v for v in levels_of[first] if v in heatmap.index],
                                  columns=[v for v in levels_of[second] if v in heatmap.columns])
        counts = counts.reindex(index=heatmap.index, columns=heatmap.columns).fillna(0)
    elif len(folder.parameters) > 2:
        notes.append("no heatmap: it is drawn when exactly two parameters vary")

    sensitivity, kind = None, folder.info["design"]["kind"]
    if kind in ("sobol", "morris"):
        sensitivity, kind = _sensitivity(folder, runs, notes)

    with new_folder(folder.path, "analysis") as building:
        out = building.path
        written = []
        overall.to_csv(out / "outcomes.csv", index=False)
        by_parameter.to_csv(out / "outcomes_by_parameter.csv", index=False)
        responses.to_csv(out / "responses_by_parameter.csv", index=False)
        written += ["outcomes.csv", "outcomes_by_parameter.csv", "responses_by_parameter.csv"]
        if heatmap is not None:
            long = heatmap.stack(future_stack=True).rename("agreement").reset_index()
            long["runs"] = counts.stack(future_stack=True).to_numpy()
            long.to_csv(out / "heatmap_agreement.csv", index=False)
            written.append("heatmap_agreement.csv")
        if sensitivity is not None:
            name = "sobol_indices.csv" if kind == "sobol" else "morris_effects.csv"
            sensitivity.to_csv(out / name, index=False)
            written.append(name)
        if figures:
            completed = int(runs["error"].isna().sum())
            for parameter in folder.parameters:
                rows = by_parameter[by_parameter["parameter"] == parameter.path]
                if rows.empty:
                    continue
                n = int(rows.drop_duplicates("value")["runs"].sum())
                written += _chances_figure(rows, parameter.path, levels_of[parameter.path], out,
                                           f"outcomes_{slug(parameter.path)}",
                                           _title(folder.id, n, f"Chance of each outcome by {parameter.path}"), vector)
            if heatmap is not None and heatmap.size:
                written += _heatmap_figure(heatmap, counts, _title(folder.id, completed, "Chance of agreement"), out,
                                           "heatmap_agreement", vector)
            if sensitivity is not None:
                label = "Sobol indices" if kind == "sobol" else "Morris elementary effects"
                written += _sensitivity_figure(sensitivity, kind, out, "sobol" if kind == "sobol" else "morris",
                                               _title(folder.id, completed, label), vector)
        write_json(out / "manifest.json", {
            "kind": "analysis",
            "sweep": folder.id,
            "runs": len(runs),
            "expected_runs": folder.total,
            "failed": failed,
            "sweep_finished": folder.finished,
            "design": kind,
            "responses": RESPONSES if sensitivity is not None else None,
            "notes": notes,
            "environment": environment(),
            "files": file_digests(out),
        })
    return AnalysisReport(path=building.final, sweep=folder.id, runs=len(runs), expected=folder.total,
                          failed=failed, overall=overall, by_parameter=by_parameter, responses=responses,
                          outcome_varies=outcome_varies, heatmap=heatmap,
                          sensitivity=sensitivity, sensitivity_kind=kind if sensitivity is not None else None,
                          notes=notes, files=written)


def _pct(share, low, high) -> str:
    if share != share:
        return "-"
    return f"{share:6.1%} [{low:.0%}, {high:.0%}]"


def format_report(report: AnalysisReport) -> str:
    """The analysis as text for the terminal."""
    lines = [f"Sweep {report.sweep}: {report.runs} of {report.expected} runs stored, {report.failed} failed"]
    lines.append("")
    lines.append("Chance of each outcome (95% Wilson interval):")
    for row in report.overall.itertuples():
        lines.append(f"  {row.outcome:<20} {_pct(row.share, row.ci_low, row.ci_high)}  ({row.count}/{row.runs})")
    for parameter, rows in report.by_parameter.groupby("parameter", sort=False):
        lines.append("")
        lines.append(f"By {parameter} ({rows['section'].iloc[0]}):")
        outcomes = list(dict.fromkeys(rows["outcome"]))
        lines.append("  " + f"{'value':<18}" + "".join(f"{o:>22}" for o in outcomes) + f"{'runs':>7}")
        for value, group in rows.groupby("value", sort=False):
            cells = []
            for outcome in outcomes:
                r = group[group["outcome"] == outcome].iloc[0]
                cells.append(f"{_pct(r.share, r.ci_low, r.ci_high):>22}")
            shown = f"{value:.6g}" if isinstance(value, float) else str(value)
            lines.append("  " + f"{shown:<18}" + "".join(cells) + f"{int(group['runs'].iloc[0]):>7}")
    if report.responses is not None and not report.outcome_varies:
        lines.append("")
        lines.append("Rounds and core members (mean [95% t interval]) and share in force:")
        for row in report.responses.itertuples():
            shown = f"{row.value:.6g}" if isinstance(row.value, float) else str(row.value)
            where = "all runs" if row.parameter == "all" else f"{row.parameter} = {shown}"
            lines.append(f"  {where:<40} rounds {row.rounds_mean:6.1f} [{row.rounds_low:.1f}, {row.rounds_high:.1f}]"
                         f"  core {row.core_members_n_mean:5.1f} [{row.core_members_n_low:.1f}, "
                         f"{row.core_members_n_high:.1f}]  in force {row.in_force_share:.0%}  ({row.runs} runs)")
    if report.heatmap is not None:
        lines.append("")
        lines.append(f"Chance of agreement by {report.heatmap.index.name} (rows) and {report.heatmap.columns.name} "
                     f"(columns):")
        lines.append(report.heatmap.to_string(float_format=lambda v: f"{v:.2f}"))
    if report.sensitivity is not None:
        lines.append("")
        if report.sensitivity_kind == "sobol":
            lines.append("Sobol indices (first order S1, total ST, with 95% half-widths):")
            columns = ["response", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
        else:
            lines.append("Morris elementary effects (mu*, sigma):")
            columns = ["response", "parameter", "mu", "mu_star", "sigma", "mu_star_conf"]
        lines.append(report.sensitivity[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for note in report.notes:
        lines.append(note if note.startswith("warning: ") else f"note: {note}")
    return "\n".join(lines)
