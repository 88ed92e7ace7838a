"""Plots of a study's results (matplotlib, written as PNG and SVG).

Each function takes a plain pandas table (the columns are listed in its docstring), draws one
figure, writes ``<stem>.png`` and ``<stem>.svg`` into ``folder`` and returns the two paths.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .files import inside

# Figures are made without pyplot: no backend is chosen or switched for whoever imports us,
# and nothing is left open in pyplot's global figure list.
STAGE_COLOURS = matplotlib.colormaps["tab20"].colors


def _figure(figsize: tuple[float, float]):
    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _save(fig, folder: Path, stem: str) -> list[Path]:
    paths = []
    for suffix in ("png", "svg"):
        path = inside(folder, f"{stem}.{suffix}")
        fig.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(path)
    return paths


def _short(method: str) -> str:
    parts = method.split(" | ")
    return parts[1] if len(parts) > 1 else method


def stage_bars(frame: pd.DataFrame, folder: Path, view: str = "attributional", stem: str = "stages") -> list[Path]:
    """Per category, one bar split by life-cycle stage, as % of the category's total.

    ``frame``: a ``calculate`` result (columns view, method, unit, stage, score).
    Categories have different units, so each bar is normalised to 100 %; totals are in the labels.
    """
    part = frame[frame["view"] == view]
    table = part.pivot_table(index="method", columns="stage", values="score", aggfunc="sum", fill_value=0.0, sort=False)
    totals = table.sum(axis=1)
    units = part.groupby("method", sort=False)["unit"].first()
    shares = table.div(totals.replace(0.0, np.nan), axis=0).fillna(0.0) * 100
    fig, ax = _figure((10, 0.55 * len(shares) + 1.8))
    left = np.zeros(len(shares))
    labels = [f"{_short(m)}\n{totals[m]:.3g} {units[m]}" for m in shares.index]
    for index, stage in enumerate(shares.columns):
        values = shares[stage].to_numpy()
        ax.barh(labels, values, left=left, color=STAGE_COLOURS[index % len(STAGE_COLOURS)], label=stage)
        left += values
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the category's score per functional unit (%)")
    ax.set_title(f"Contribution of life-cycle stages ({view} view)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
    ax.tick_params(axis="y", labelsize=8)
    return _save(fig, folder, stem)


def amortization_curve(curve: pd.DataFrame, folder: Path, break_even: float | None = None,
                       unit: str = "", stem: str = "amortization") -> list[Path]:
    """Score per FU against lifetime queries (log x), with its inference-only floor.

    ``curve``: columns lifetime_queries, score (per FU), and optionally inference (the part that
    does not depend on lifetime queries). ``break_even``: lifetime queries where cumulative
    inference equals development, marked if given.
    """
    fig, ax = _figure((7, 4.5))
    ax.plot(curve["lifetime_queries"], curve["score"], label="per FU, development amortized", color="C0")
    if "inference" in curve:
        ax.plot(curve["lifetime_queries"], curve["inference"], "--", color="C1", label="inference and idle only")
    if break_even is not None and np.isfinite(break_even):
        ax.axvline(break_even, color="C3", linestyle=":", label=f"break-even: {break_even:.3g} queries")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("lifetime queries")
    ax.set_ylabel(f"score per functional unit ({unit})" if unit else "score per functional unit")
    ax.set_title("Amortization of development over lifetime use")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, folder, stem)


def tornado(table: pd.DataFrame, folder: Path, base: float, unit: str = "", stem: str = "tornado") -> list[Path]:
    """One-at-a-time sensitivity: a bar per parameter from its low-value to its high-value score.

    ``table``: columns parameter (the bar's label, e.g. with its range), score_low, score_high.
    """
    order = (table["score_high"] - table["score_low"]).abs().sort_values().index
    table = table.loc[order]
    fig, ax = _figure((8, 0.45 * len(table) + 1.5))
    labels = list(table["parameter"])
    low = table["score_low"].to_numpy() - base
    high = table["score_high"].to_numpy() - base
    ax.barh(labels, low, left=base, color="C0", label="parameter at its low value")
    ax.barh(labels, high, left=base, color="C3", label="parameter at its high value")
    ax.axvline(base, color="black", linewidth=1)
    ax.set_xlabel(f"score per functional unit ({unit})" if unit else "score per functional unit")
    ax.set_title("Sensitivity (one at a time)")
    ax.legend(fontsize=8, loc="lower right")
    ax.tick_params(axis="y", labelsize=8)
    return _save(fig, folder, stem)


def comparison_bars(table: pd.DataFrame, folder: Path, unit: str = "", stem: str = "comparison") -> list[Path]:
    """Systems side by side with uncertainty bars.

    ``table``: columns system, score, and optionally p5 and p95 (the Monte Carlo interval).
    """
    fig, ax = _figure((6, 4))
    x = np.arange(len(table))
    errors = None
    if {"p5", "p95"} <= set(table.columns):
        errors = np.vstack([table["score"] - table["p5"], table["p95"] - table["score"]]).clip(min=0)
    ax.bar(x, table["score"], yerr=errors, capsize=6, color=[f"C{i}" for i in range(len(table))])
    ax.set_xticks(x, table["system"], rotation=15, ha="right")
    ax.set_ylabel(f"score per functional unit ({unit})" if unit else "score per functional unit")
    ax.set_title("Comparison on the same functional unit" + (" (bars: 5th-95th percentile)" if errors is not None else ""))
    return _save(fig, folder, stem)


def pareto(table: pd.DataFrame, folder: Path, stem: str = "pareto") -> list[Path]:
    """Quality against impact per system, the non-dominated systems joined.

    ``table``: columns system, quality, score, on_front (one quality metric and one impact).
    """
    fig, ax = _figure((6, 4.5))
    ax.scatter(table["score"], table["quality"], color="C0")
    for _, row in table.iterrows():
        ax.annotate(row["system"], (row["score"], row["quality"]), textcoords="offset points", xytext=(5, 5), fontsize=8)
    front = table[table["on_front"]].sort_values("score")
    ax.plot(front["score"], front["quality"], "-", color="C3", label="Pareto front")
    metric = table["quality metric"].iloc[0] if "quality metric" in table else "quality"
    impact = table["impact"].iloc[0] if "impact" in table else "impact"
    ax.set_xlabel(f"{_short(impact)} per functional unit")
    ax.set_ylabel(metric)
    ax.set_title("Quality against impact")
    ax.legend(fontsize=8)
    return _save(fig, folder, stem)
