"""The model card's table of every impact category, in both views, with its full interval."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..interpretation.assessed import not_assessed
from ..interpretation.uncertainty_scope import SCOPE_FULL

VIEW_LABELS = {
    "attributional": "attributional LCA view (development and embodied hardware amortized)",
    "consumer": "consumer view (use only, no development)",
    "training": "per trained model (development stages and their embodied hardware)",
}


def category_rows(frame: pd.DataFrame, uncertainty: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """One row per method of the results ``frame``: family, category, indicator, unit, the total
    per FU in each view, and the 5th-95th percentile of the Monte Carlo over background and
    foreground parameters where ``uncertainty`` has it (with a ``scope`` column, its full scope)."""
    totals = frame.groupby(["method", "unit", "view"], sort=False)["score"].sum(min_count=1).unstack("view")
    missing = not_assessed(frame)  # no data: "not assessed", never a 0
    if uncertainty is not None and "scope" in uncertainty:
        uncertainty = uncertainty[uncertainty["scope"] == SCOPE_FULL]
    interval = (uncertainty.set_index("method") if uncertainty is not None and len(uncertainty)
                else pd.DataFrame(columns=["p5", "p95"]))
    rows = []
    for (method, unit), row in totals.iterrows():
        parts = method.split(" | ")
        entry: dict[str, Any] = {"method family": parts[0], "category": parts[1] if len(parts) > 1 else "",
                                 "indicator": parts[-1], "unit": unit}
        for view in VIEW_LABELS:
            if view in row:
                entry[f"{view} per FU"] = float(row[view]) if pd.notna(row[view]) and method not in missing else None
        if method in interval.index and {"p5", "p95"} <= set(interval.columns):
            entry["p5"], entry["p95"] = float(interval.loc[method, "p5"]), float(interval.loc[method, "p95"])
        rows.append(entry)
    return rows


def category_markdown(rows: list[dict[str, Any]]) -> list[str]:
    """The rows as a markdown table, the views labelled."""
    views = [view for view in VIEW_LABELS if rows and f"{view} per FU" in rows[0]]
    lines = ["", "Every impact category, per functional unit:", "",
             "| category | unit | " + " | ".join(VIEW_LABELS[view] for view in views) + " | 90 % interval (Monte Carlo, "
             "background and foreground parameters) |", "| --- | --- | " + "--- | " * len(views) + "--- |"]

    def number(value) -> str:
        return "not assessed" if value is None else f"{value:.4g}"

    for row in rows:
        name = row["category"] if row["indicator"] in (row["category"], "") else f"{row['category']}: {row['indicator']}"
        interval = f"{row['p5']:.4g} - {row['p95']:.4g}" if "p5" in row else "not sampled"
        values = " | ".join(number(row[f"{view} per FU"]) for view in views)
        lines.append(f"| {name} ({row['method family']}) | {row['unit']} | {values} | {interval} |")
    return lines
