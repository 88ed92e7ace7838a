"""The figures of one run, every category.

The overview (the HTML report's): stage shares of every category, every category's amortization
relative to the study's value, the sensitivity of every category as a heat map, and the
amortization and tornado of climate change in its unit. ``every_category`` adds the amortization
and tornado of each other category in its own unit (for a caller who wants them all: 25 figures
for the default methods, a few seconds of rendering). Climate
change keeps the plain stems 'amortization' and 'tornado'; the others get '<stem>-<category slug>'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .outputs import Interpretation

GWP_KEY = "GWP100"


def _value(value) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float, np.number)) else str(value)


def _stem(stem: str, method: str) -> str:
    from .plots import slug

    return stem if GWP_KEY in method and method.startswith("TRACI") else f"{stem}-{slug(method)}"


def _wanted(method: str, every_category: bool) -> bool:
    return every_category or (GWP_KEY in method and method.startswith("TRACI"))


def run_figures(frame: pd.DataFrame, found: Interpretation, every_category: bool = False,
                view: str = "attributional") -> dict[str, Figure]:
    """Stem -> Figure of the results ``frame`` in ``view``; see the module doc. A trained-model
    functional unit has nothing to amortize: no amortization figures."""
    from . import plots  # matplotlib: imported only when figures are made

    figures: dict[str, Figure] = {"stages": plots.stage_shares_figure(frame, view=view)}
    amortized = "method" in found.amortization.columns and len(found.amortization) > 0
    if amortized:
        figures["amortization-every-category"] = plots.amortization_all_figure(found.amortization)
    if len(found.tornado):
        figures["sensitivity-every-category"] = plots.sensitivity_heatmap_figure(found.tornado)
    curves = found.amortization.rename(columns={"use_per_fu": "inference"}) if amortized else pd.DataFrame(columns=["method"])
    for method, curve in curves.groupby("method", sort=False):
        if not _wanted(method, every_category):
            continue
        unit = curve["unit"].iloc[0]
        point = found.break_even[found.break_even["method"] == method]
        queries = float(point["break_even_queries"].iloc[0]) if len(point) else None
        figures[_stem("amortization", method)] = plots.amortization_figure(
            curve, queries, unit, plots.category_title(method, unit))
    swings = found.tornado.rename(columns={"low_score": "score_low", "high_score": "score_high"})
    for method, swing in swings.groupby("method", sort=False):
        if not _wanted(method, every_category):
            continue
        unit = swing["unit"].iloc[0]
        labels = [f"{p} ({_value(lo)} - {_value(hi)})"
                  for p, lo, hi in zip(swing["parameter"], swing["low_value"], swing["high_value"])]
        figures[_stem("tornado", method)] = plots.tornado_figure(
            swing.assign(parameter=labels), float(swing["base_score"].iloc[0]), unit, plots.category_title(method, unit))
    return figures
