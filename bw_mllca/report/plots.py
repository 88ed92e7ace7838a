"""Plots of a study's results (matplotlib).

Each ``*_figure`` function takes a plain pandas table (the columns are listed in its docstring),
draws on ``ax`` (a new figure when None) and returns the Figure: in a notebook it shows inline,
in a report it is saved. The file writers (``stage_bars``, ``amortization_curve``, ``tornado``,
``comparison_bars``, ``pareto``) write ``<stem>.png`` and ``<stem>.svg`` into a folder and return
the two paths. Every title names the category and its unit, every axis its unit; long labels
are wrapped and the layout is constrained so nothing runs off the figure.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from .files import inside

# Figures are made without pyplot: no backend is chosen or switched for whoever imports us,
# and nothing is left open in pyplot's global figure list.
STAGE_COLOURS = matplotlib.colormaps["tab20"].colors
LABEL_WIDTH = 34  # characters per line of a wrapped tick label


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def save_figure(fig: Figure, folder: Path, stem: str) -> list[Path]:
    """Write ``fig`` as ``<stem>.png`` and ``<stem>.svg`` into ``folder``; returns the two paths."""
    paths = []
    for suffix in ("png", "svg"):
        path = inside(folder, f"{stem}.{suffix}")
        fig.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(path)
    return paths


def _short(method: str) -> str:
    parts = method.split(" | ")
    return parts[1] if len(parts) > 1 else method


def _wrap(text: str, width: int = LABEL_WIDTH) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def category_title(method: str, unit: str) -> str:
    """'climate change (kg CO2-Eq)' from a method label and its unit."""
    return f"{_short(method)} ({unit})" if unit else _short(method)


def slug(method: str) -> str:
    """A file-name stem for a category: 'climate-change-global-warming-potential-gwp100'."""
    parts = method.split(" | ")
    words = " ".join(dict.fromkeys(parts[1:] if len(parts) > 1 else parts))
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:60]


def stage_shares_figure(frame: pd.DataFrame, view: str = "attributional", ax: Axes | None = None) -> Figure:
    """Per category, one bar split by life-cycle stage, as % of the category's total.

    ``frame``: a ``calculate`` result (columns view, method, unit, stage, score).
    Categories have different units, so each bar is normalised to 100 %; totals (with their
    units) are in the labels.
    """
    part = frame[frame["view"] == view]
    table = part.pivot_table(index="method", columns="stage", values="score", aggfunc="sum", fill_value=0.0, sort=False)
    totals = table.sum(axis=1)
    units = part.groupby("method", sort=False)["unit"].first()
    shares = table.div(totals.replace(0.0, np.nan), axis=0).fillna(0.0) * 100
    fig, ax = _axes(ax, (10, 0.6 * len(shares) + 2.5))
    left = np.zeros(len(shares))
    labels = [f"{_wrap(_short(m))}\n{totals[m]:.3g} {units[m]} per FU" for m in shares.index]
    for index, stage in enumerate(shares.columns):
        values = shares[stage].to_numpy()
        ax.barh(labels, values, left=left, color=STAGE_COLOURS[index % len(STAGE_COLOURS)], label=_wrap(stage, 40))
        left += values
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the category's score per functional unit (%)")
    ax.set_ylabel("impact category (total per FU, in its unit)")
    ax.set_title(f"Contribution of life-cycle stages, every category ({view} view)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=8, frameon=False)
    ax.tick_params(axis="y", labelsize=8)
    return fig


def amortization_figure(curve: pd.DataFrame, break_even: float | None = None, unit: str = "",
                        category: str = "", ax: Axes | None = None) -> Figure:
    """Score per FU against lifetime queries (log x), with its inference-only floor.

    ``curve``: columns lifetime_queries, score (per FU), and optionally inference (the part that
    does not depend on lifetime queries). ``break_even``: lifetime queries where cumulative
    inference equals development, marked if given. ``category``: the title's category label.
    """
    fig, ax = _axes(ax, (7, 4.5))
    ax.plot(curve["lifetime_queries"], curve["score"], label="per FU, development amortized", color="C0")
    if "inference" in curve:
        ax.plot(curve["lifetime_queries"], curve["inference"], "--", color="C1", label="inference and idle only")
    if break_even is not None and np.isfinite(break_even):
        ax.axvline(break_even, color="C3", linestyle=":", label=f"break-even: {break_even:.3g} queries")
    ax.set_xscale("log")
    if (curve["score"] > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("lifetime queries (queries)")
    ax.set_ylabel(f"score per functional unit ({unit})" if unit else "score per functional unit")
    ax.set_title(_wrap(f"Amortization of development over lifetime use: {category}" if category
                       else "Amortization of development over lifetime use", 60))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def tornado_figure(table: pd.DataFrame, base: float, unit: str = "", category: str = "",
                   ax: Axes | None = None) -> Figure:
    """One-at-a-time sensitivity: a bar per parameter from its low-value to its high-value score.

    ``table``: columns parameter (the bar's label, e.g. with its range), score_low, score_high.
    """
    order = (table["score_high"] - table["score_low"]).abs().sort_values().index
    table = table.loc[order]
    fig, ax = _axes(ax, (8, 0.5 * len(table) + 2))
    labels = [_wrap(p) for p in table["parameter"]]
    low = table["score_low"].to_numpy() - base
    high = table["score_high"].to_numpy() - base
    ax.barh(labels, low, left=base, color="C0", label="parameter at its low value")
    ax.barh(labels, high, left=base, color="C3", label="parameter at its high value")
    ax.axvline(base, color="black", linewidth=1)
    ax.set_xlabel(f"score per functional unit ({unit})" if unit else "score per functional unit")
    ax.set_ylabel("parameter (low - high)")
    ax.set_title(_wrap(f"Sensitivity (one at a time): {category}" if category else "Sensitivity (one at a time)", 60))
    ax.legend(fontsize=8, loc="best")
    ax.tick_params(axis="y", labelsize=8)
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    return fig


def amortization_all_figure(curves: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Every category's amortization curve on one axis, each relative to its score at the study's
    lifetime queries (the categories have different units; the ratio has none).

    ``curves``: columns method, lifetime_queries, score (per FU); ``base_queries`` where the
    ratio is 1 is the curve's middle point (the study's value in ``interpret``).
    """
    fig, ax = _axes(ax, (8, 5))
    for index, (method, curve) in enumerate(curves.groupby("method", sort=False)):
        middle = curve["score"].iloc[len(curve) // 2]
        if middle == 0.0:
            continue
        ax.plot(curve["lifetime_queries"], curve["score"] / middle, color=STAGE_COLOURS[index % len(STAGE_COLOURS)],
                label=_wrap(_short(method) if _short(method) != "water" else method.split(" | ")[-1], 40))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("lifetime queries (queries)")
    ax.set_ylabel(_wrap("score per FU relative to the study's lifetime queries (ratio, 1 = the study)", 45))
    ax.set_title("Amortization over lifetime use, every category")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def sensitivity_heatmap_figure(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """One-at-a-time swing of every parameter in every category, as % of the category's score.

    ``table``: the tornado table (columns parameter, method, relative_swing).
    """
    grid = table.pivot_table(index="parameter", columns="method", values="relative_swing", aggfunc="first", sort=False) * 100
    fig, ax = _axes(ax, (0.75 * grid.shape[1] + 4.5, 0.45 * grid.shape[0] + 3.5))
    # swings span 0.1 % (WUE on climate change) to thousands of % (grid region): a log colour scale
    values = np.clip(grid.to_numpy(dtype=float), 0.1, None)
    image = ax.imshow(values, aspect="auto", cmap="viridis", norm=LogNorm(vmin=0.1, vmax=max(1.0, np.nanmax(values))))
    ax.set_xticks(np.arange(grid.shape[1]), [_wrap(_short(m) if _short(m) != "water" else m.split(" | ")[-1], 18)
                                             for m in grid.columns], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(np.arange(grid.shape[0]), [_wrap(p, 28) for p in grid.index], fontsize=8)
    ax.set_xlabel("impact category")
    ax.set_ylabel("parameter (low to high)")
    ax.set_title("Sensitivity: swing from low to high, every category (% of its score)")
    fig.colorbar(image, ax=ax, label="swing (% of the category's score per FU, log scale)")
    return fig


def comparison_figure(table: pd.DataFrame, unit: str = "", category: str = "", ax: Axes | None = None) -> Figure:
    """Systems side by side with uncertainty bars.

    ``table``: columns system, score, and optionally p5 and p95 (the Monte Carlo interval).
    """
    fig, ax = _axes(ax, (6, 4.5))
    x = np.arange(len(table))
    errors = None
    if {"p5", "p95"} <= set(table.columns):
        errors = np.vstack([table["score"] - table["p5"], table["p95"] - table["score"]]).clip(min=0)
    ax.bar(x, table["score"], yerr=errors, capsize=6, color=[f"C{i}" for i in range(len(table))])
    ax.set_xticks(x, [_wrap(s, 20) for s in table["system"]], rotation=15, ha="right")
    ax.set_xlabel("product system")
    ax.set_ylabel(f"score per functional unit ({unit})" if unit else "score per functional unit")
    title = "Comparison on the same functional unit" + (f": {category}" if category else "")
    ax.set_title(_wrap(title + (" (bars: 5th-95th percentile)" if errors is not None else ""), 60))
    return fig


def pareto_figure(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Quality against impact per system, the non-dominated systems joined.

    ``table``: columns system, quality, score, on_front (one quality metric and one impact), and
    optionally 'quality metric', 'impact' and 'unit'.
    """
    fig, ax = _axes(ax, (6, 4.5))
    ax.scatter(table["score"], table["quality"], color="C0")
    for _, row in table.iterrows():
        ax.annotate(_wrap(row["system"], 20), (row["score"], row["quality"]), textcoords="offset points",
                    xytext=(5, 5), fontsize=8)
    front = table[table["on_front"]].sort_values("score")
    ax.plot(front["score"], front["quality"], "-", color="C3", label="Pareto front")
    metric = table["quality metric"].iloc[0] if "quality metric" in table else "quality"
    impact = table["impact"].iloc[0] if "impact" in table else "impact"
    unit = table["unit"].iloc[0] if "unit" in table else ""
    ax.set_xlabel(f"{_short(impact)} per functional unit" + (f" ({unit})" if unit else ""))
    ax.set_ylabel(metric)
    ax.set_title(_wrap(f"Quality against impact: {_short(impact)}", 60))
    ax.legend(fontsize=8)
    return fig


# -- writers ---------------------------------------------------------------------------------------

def stage_bars(frame: pd.DataFrame, folder: Path, view: str = "attributional", stem: str = "stages") -> list[Path]:
    """``stage_shares_figure`` written as ``<stem>.png`` and ``.svg``."""
    return save_figure(stage_shares_figure(frame, view), folder, stem)


def amortization_curve(curve: pd.DataFrame, folder: Path, break_even: float | None = None,
                       unit: str = "", stem: str = "amortization", category: str = "") -> list[Path]:
    """``amortization_figure`` written as ``<stem>.png`` and ``.svg``."""
    return save_figure(amortization_figure(curve, break_even, unit, category), folder, stem)


def tornado(table: pd.DataFrame, folder: Path, base: float, unit: str = "", stem: str = "tornado",
            category: str = "") -> list[Path]:
    """``tornado_figure`` written as ``<stem>.png`` and ``.svg``."""
    return save_figure(tornado_figure(table, base, unit, category), folder, stem)


def comparison_bars(table: pd.DataFrame, folder: Path, unit: str = "", stem: str = "comparison",
                    category: str = "") -> list[Path]:
    """``comparison_figure`` written as ``<stem>.png`` and ``.svg``."""
    return save_figure(comparison_figure(table, unit, category), folder, stem)


def pareto(table: pd.DataFrame, folder: Path, stem: str = "pareto") -> list[Path]:
    """``pareto_figure`` written as ``<stem>.png`` and ``.svg``."""
    return save_figure(pareto_figure(table), folder, stem)
