"""One-page HTML reports of a run and of a comparison (`run --report`, `compare --report`): report.html.

The page stands alone: its style is inline and its figures are embedded as data: URIs, so it opens from a mail
attachment or a USB stick with no network (no CDN, no script). It is written from what the results folder holds
(summary, explanation, figures, tables, provenance), never by running the model again.

The page is assembled with html.escape and f-strings rather than a template engine: one fixed layout does not need
another dependency, and every value from a file goes through escape() or DataFrame.to_html (which escapes).
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

import pandas as pd

__all__ = ["run_report", "compare_report", "REPORT_NAME"]

REPORT_NAME = "report.html"
MAX_ROUND_ROWS = 60  # a longer run's rounds table is thinned to about this many rows (first, last, evenly between)

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1b1b1b;
       max-width: 64rem; margin: 2rem auto; padding: 0 1.2rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
.outcome { display: inline-block; padding: 0.15rem 0.6rem; border-radius: 0.3rem; color: white; font-weight: 600; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.9rem; white-space: pre-wrap; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #555; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; } th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
.scroll { overflow-x: auto; } .meta td { text-align: left; } .significant { background: #fff4cc; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""


def _image(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def _table(frame: pd.DataFrame, float_format: str = "{:.3f}", classes: str = "") -> str:
    return ('<div class="scroll">' + frame.to_html(index=False, border=0, na_rep="", classes=classes or None,
                                                   float_format=float_format.format, escape=True) + "</div>")


def _meta(rows: list[tuple[str, object]]) -> str:
    cells = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in rows if v is not None)
    return f'<table class="meta">{cells}</table>'


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def _outcome_badge(outcome: str) -> str:
    from .plots import OUTCOME_LABELS, outcome_colour

    label = OUTCOME_LABELS.get(outcome, outcome.replace("_", " "))
    return f'<span class="outcome" style="background:{outcome_colour(outcome)}">{escape(label)}</span>'


def _provenance(manifest: dict, files: dict[str, dict]) -> str:
    env = manifest.get("environment") or {}
    packages = ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items())
    rows = [("created (UTC)", manifest.get("created_utc")), ("reproduce", manifest.get("reproduce")),
            ("seed", manifest.get("seed")), ("master seed", manifest.get("master_seed")),
            ("replicates", manifest.get("replicates")),
            ("overrides", " ".join(manifest.get("overrides") or []) or None),
            ("Python", f"{env.get('python', '')} ({env.get('platform', '')})"), ("packages", packages)]
    numerics = env.get("numerics")
    if numerics:
        rows.append(("numerics", f"{numerics.get('machine')}, {numerics.get('libc')}, numpy SIMD "
                     f"{' '.join(numerics.get('numpy_simd_dispatch') or []) or 'baseline only'}"))
    scenario = manifest.get("scenario")
    if scenario:
        rows[1:1] = [("scenario", f"{scenario.get('title')} ({scenario.get('source')})"),
                     ("scenario SHA-256", scenario.get("sha256"))]
    for side, info in (manifest.get("scenarios") or {}).items():
        rows.append((f"scenario {side.upper()}", f"{info.get('title')} ({info.get('source')}"
                     f"{' ' + ' '.join(info.get('overrides') or []) if info.get('overrides') else ''}) "
                     f"SHA-256 {info.get('sha256')}"))
    digests = pd.DataFrame([{"file": name, "bytes": d["bytes"], "sha256": d["sha256"]} for name, d in files.items()])
    return "<h2>Provenance</h2>" + _meta(rows) + (_table(digests) if len(digests) else "")


def _thin(rounds: pd.DataFrame) -> pd.DataFrame:
    if len(rounds) <= MAX_ROUND_ROWS:
        return rounds
    keep = sorted(set(round(i) for i in pd.Series(range(MAX_ROUND_ROWS)) * (len(rounds) - 1) / (MAX_ROUND_ROWS - 1)))
    return rounds.iloc[keep]


def run_report(folder: Path, result, manifest: dict, files: dict[str, dict]) -> Path:
    """Write report.html for a finished run into its (still temporary) results folder."""
    from .plots import figure_title
    from .summary_text import format_summary

    scenario, summary = result.scenario, result.summary
    parts = [f"<h1>{escape(scenario.metadata.title)}</h1>",
             f"<p>{_outcome_badge(summary['outcome'])} after {int(summary['rounds'])} rounds: "
             f"{escape(str(summary.get('reason', '')))} &middot; seed {escape(str(result.seed))}</p>"]
    if scenario.metadata.description:
        parts.append(f"<p>{escape(scenario.metadata.description)}</p>")
    parts.append("<h2>Summary and explanation</h2>")
    parts.append(f"<pre>{escape(format_summary(summary, scenario))}</pre>")
    captions = {"positions.png": "Positions over time, with the draft core and the milestones",
                "support.png": "Support for the draft and membership over time",
                "issue_space.png": "The issue space at the last round"}
    figures = [_image(folder / name, f"{caption} ({figure_title(scenario, summary, result.seed)})")
               for name, caption in captions.items() if (folder / name).is_file()]
    parts.append("<h2>Figures</h2>")
    parts += figures or ["<p>No figures: the run was written with --no-figures.</p>"]

    last = result.states[result.states["round"] == result.states["round"].max()]
    columns = ["state", "coalition", *[c for c in last.columns if c.startswith("position_")], "utility", "engaged",
               "support", "signed", "ratified", "tiers_joined"]
    states = last[[c for c in columns if c in last.columns]].rename(columns=lambda c: c.replace("position_", ""))
    parts.append(f"<h2>States at round {int(last['round'].iloc[0]) if len(last) else 0}</h2>")
    parts.append(_table(states))
    shown = [c for c in result.rounds.columns if c not in ("coalitions",)]
    rounds = _thin(result.rounds[shown])
    note = "" if len(rounds) == len(result.rounds) else f" ({len(rounds)} of {len(result.rounds)} rounds shown)"
    parts.append(f"<h2>Rounds{escape(note)}</h2>")
    parts.append(_table(rounds))
    parts.append("<p>Full tables: rounds.csv, states.csv (and Parquet) in this folder.</p>")
    parts.append(_provenance(manifest, files))
    target = folder / REPORT_NAME
    target.write_text(_page(f"{scenario.metadata.title} - seed {result.seed}", "\n".join(parts)), encoding="utf-8")
    return target


def compare_report(folder: Path, comparison, label_a: str, label_b: str, report_text: str, manifest: dict,
                   files: dict[str, dict]) -> Path:
    """Write report.html for a finished comparison into its (still temporary) results folder."""
    from .plots import OUTCOME_LABELS

    a, b = comparison.scenario_a.metadata.title, comparison.scenario_b.metadata.title
    parts = [f"<h1>{escape(a)} vs {escape(b)}</h1>",
             f"<p>B - A over {len(comparison.seeds)} paired runs, {comparison.confidence:.0%} intervals.<br>"
             f"A: {escape(label_a)}<br>B: {escape(label_b)}</p>"]
    shares = (comparison.runs.groupby("scenario")["outcome"].value_counts(normalize=True).unstack(fill_value=0.0)
              .rename(columns=lambda o: OUTCOME_LABELS.get(o, o)).reset_index())
    parts.append("<h2>Outcomes</h2>")
    parts.append(_table(shares, "{:.0%}"))
    parts.append("<h2>Report</h2>")
    parts.append(f"<pre>{escape(report_text)}</pre>")
    parts.append("<h2>Figures</h2>")
    for name, caption in (("differences.png", "Differences B - A with their intervals (filled: excludes 0)"),
                          ("outcomes.png", "Share of runs in each outcome")):
        if (folder / name).is_file():
            parts.append(_image(folder / name, caption))
    if not any((folder / n).is_file() for n in ("differences.png", "outcomes.png")):
        parts.append("<p>No figures: the comparison was written with --no-figures.</p>")
    diff = comparison.differences[["group", "measure", "a", "b", "difference", "low", "high", "significant"]]
    parts.append("<h2>Every difference</h2>")
    parts.append(_table(diff))
    parts.append(_provenance(manifest, files))
    target = folder / REPORT_NAME
    target.write_text(_page(f"{a} vs {b}", "\n".join(parts)), encoding="utf-8")
    return target
