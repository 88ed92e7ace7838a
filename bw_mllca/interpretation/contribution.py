"""Significant issues (ISO 14044, 4.5.2): which life-cycle stage carries which impact category."""

from __future__ import annotations

import numpy as np
import pandas as pd

ISSUE_COLUMNS = ["method", "category", "unit", "rank", "stage", "stage_kind", "score", "share", "dominant"]


def _view(frame: pd.DataFrame, view: str) -> pd.DataFrame:
    part = frame[frame["view"] == view]
    if part.empty:
        raise ValueError(f"view = {view!r}: not in the results frame (views there: {sorted(set(frame['view']))})")
    return part


def significant_issues(frame: pd.DataFrame, view: str = "attributional") -> pd.DataFrame:
    """Per category, the stages ranked by their share of the FU's score.

    ``frame`` is a results frame of ``bw_mllca.calculate``. Columns: method, category, unit, rank
    (1 = largest absolute contribution), stage, stage_kind, score (method unit per FU), share
    (score / FU total; NaN when the total is 0) and dominant (rank 1 of a non-zero total).
    """
    part = _view(frame, view)
    by = part.groupby(["method", "category", "unit", "stage", "stage_kind"], sort=False, as_index=False)["score"].sum()
    total = by.groupby("method", sort=False)["score"].transform("sum")
    by["share"] = np.where(total != 0.0, by["score"] / total.where(total != 0.0, 1.0), np.nan)
    by["magnitude"] = by["score"].abs()
    by = by.sort_values(["method", "magnitude"], ascending=[True, False], kind="stable")
    by["rank"] = by.groupby("method", sort=False).cumcount() + 1
    by["dominant"] = (by["rank"] == 1) & (total.loc[by.index] != 0.0)
    order = {m: i for i, m in enumerate(dict.fromkeys(part["method"]))}
    by = by.sort_values(["method", "rank"], key=lambda c: c.map(order) if c.name == "method" else c, kind="stable")
    return by[ISSUE_COLUMNS].reset_index(drop=True)


def dominance_table(frame: pd.DataFrame, view: str = "attributional") -> pd.DataFrame:
    """One row per category: its total, the stage that dominates it (with its share), and the runner-up."""
    issues = significant_issues(frame, view)
    rows = []
    for method, group in issues.groupby("method", sort=False):
        first = group.iloc[0]
        second = group.iloc[1] if len(group) > 1 else None
        total = float(group["score"].sum())
        rows.append({
            "method": method, "category": first["category"], "unit": first["unit"], "total": total,
            "dominant_stage": first["stage"] if total != 0.0 else None,
            "dominant_kind": first["stage_kind"] if total != 0.0 else None,
            "dominant_share": float(first["share"]),
            "runner_up": second["stage"] if second is not None and total != 0.0 else None,
            "runner_up_share": float(second["share"]) if second is not None else np.nan,
        })
    return pd.DataFrame(rows)
