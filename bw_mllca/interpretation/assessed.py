"""Categories a study's inventory cannot score: "not assessed", never a misleading 0.

A category is not assessed when every contribution to it, in every view, stage and component, is
exactly 0: no elementary flow of the inventory (foreground and background) carries a
characterization factor of its method. Ozone depletion is the usual case: the public background
has no ozone-depleting emissions, so a 0 would read as "no impact" where there are no data.
Reports show such a category as NaN with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INVENTORY_PREFIX = "inventory |"  # inventory indicators (kWh at the meter), not impact categories


def not_assessed(frame: pd.DataFrame) -> dict[str, str]:
    """Method label -> the reason it is not assessed, for every category of ``frame`` scored 0 throughout."""
    reasons = {}
    for method, group in frame.groupby("method", sort=False):
        if str(method).startswith(INVENTORY_PREFIX):
            continue
        if len(group) and bool((group["score"] == 0.0).all()):
            category = group["category"].iloc[0]
            reasons[str(method)] = (
                f"not assessed: no flow of this study's inventory has a characterization factor for "
                f"{category} (no data, not a zero impact)"
            )
    return reasons


def mark_not_assessed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``note`` column; the scores of not-assessed categories are NaN, the note says why."""
    reasons = not_assessed(frame)
    marked = frame.copy()
    marked["note"] = marked["method"].map(reasons).fillna("")
    marked.loc[marked["method"].isin(list(reasons)), "score"] = np.nan
    return marked


def not_assessed_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per not-assessed category: method, category, unit, reason."""
    reasons = not_assessed(frame)
    first = frame[frame["method"].isin(list(reasons))].drop_duplicates("method")
    return pd.DataFrame({"method": first["method"], "category": first["category"], "unit": first["unit"],
                         "reason": first["method"].map(reasons)}).reset_index(drop=True)
