"""Figures of a calibration, drawn from its tables: posterior marginals, posterior pairs, and predicted against
observed for every target (from the posterior predictive runs). Same style as the run figures (sim.plots)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from .plots import PALETTE, STYLE, plt, save_figure

__all__ = ["write_figures"]

SHARES = {"adopted", "adopted_without_vote", "named"}  # target kinds whose values lie in [0, 1]
PRIOR = "#9a9a9a"
POSTERIOR = PALETTE[0]
OBSERVED = "black"


def _title(what: str, title: str) -> str:
    """The figure's subject on the first line, the calibration's scenario and record below, wrapped to the width."""
    return what + "\n" + "\n".join(textwrap.wrap(title, 90))


def _marginals(posterior: pd.DataFrame, parameters, title: str):
    n = len(parameters)
    columns = min(n, 3)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(7.5, 2.4 * rows + 0.6), squeeze=False)
    weights = posterior["weight"].to_numpy()
    for ax, p in zip(axes.flat, parameters):
        values = posterior[p.path].to_numpy()
        ax.hist(values, bins=20, range=(p.low, p.high), weights=weights, density=True, color=POSTERIOR, alpha=0.75,
                label="posterior")
        ax.axhline(1.0 / (p.high - p.low), color=PRIOR, linestyle="--", label="prior")
        q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95], weights=weights, method="inverted_cdf")
        ax.axvline(q50, color=OBSERVED, linewidth=1.2, label="median")
        ax.axvspan(q05, q95, color=POSTERIOR, alpha=0.12, label="90% interval")
        ax.set_xlim(p.low, p.high)
        ax.set_xlabel(p.path)
        ax.set_ylabel("density")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(_title("Posterior marginals", title))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def _pairs(posterior: pd.DataFrame, parameters, title: str):
    n = len(parameters)
    size = min(7.5, max(5.5, 1.9 * n + 0.6))
    fig, axes = plt.subplots(n, n, figsize=(size, size), squeeze=False)
    weights = posterior["weight"].to_numpy()
    for i, pi in enumerate(parameters):
        for j, pj in enumerate(parameters):
            ax = axes[i, j]
            if i == j:
                ax.hist(posterior[pi.path], bins=20, range=(pi.low, pi.high), weights=weights, color=POSTERIOR,
                        alpha=0.75)
                ax.set_xlim(pi.low, pi.high)
                ax.set_yticks([])
            elif i > j:
                ax.scatter(posterior[pj.path], posterior[pi.path], s=6 + 300 * weights, color=POSTERIOR, alpha=0.5,
                           linewidths=0)
                ax.set_xlim(pj.low, pj.high)
                ax.set_ylim(pi.low, pi.high)
            else:
                ax.set_visible(False)
            if i == n - 1:
                ax.set_xlabel(pj.path, fontsize=9)
            if j == 0 and i > 0:
                ax.set_ylabel(pi.path, fontsize=9)
    fig.suptitle(_title("Posterior pairs (dot size: weight)", title))
    fig.tight_layout()
    return fig


def _predicted(predictive: pd.DataFrame, targets, title: str):
    n = len(targets)
    columns = min(n, 3)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(7.5, 2.3 * rows + 0.6), squeeze=False)
    for ax, t in zip(axes.flat, targets):
        values = predictive[t.name].to_numpy(float)
        if t.kind in SHARES:
            low, high = -0.05, 1.05
        else:
            low = min(values.min(), t.observed - t.scale)
            high = max(values.max(), t.observed + t.scale)
        ax.hist(values, bins=20, range=(low, high), color=POSTERIOR, alpha=0.75, label="predicted")
        ax.axvline(t.observed, color=OBSERVED, linewidth=1.5, label="observed")
        ax.axvspan(t.observed - t.scale, t.observed + t.scale, color=OBSERVED, alpha=0.08, label="observed ± scale")
        ax.set_xlim(low, high)
        ax.set_xlabel(t.name)
        ax.set_ylabel("runs")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(_title(f"Predicted ({len(predictive)} posterior predictive runs) against observed", title))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def write_figures(folder: Path, posterior: pd.DataFrame, predictive: pd.DataFrame, parameters, targets,
                  title: str) -> list[str]:
    names: list[str] = []
    with plt.rc_context(STYLE):
        names += save_figure(_marginals(posterior, parameters, title), folder, "posterior_marginals")
        if len(parameters) >= 2:
            names += save_figure(_pairs(posterior, parameters, title), folder, "posterior_pairs")
        names += save_figure(_predicted(predictive, targets, title), folder, "predicted_vs_observed")
    return names
