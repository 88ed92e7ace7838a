"""Data quality per dataset (ISO 14044, 4.2.3.6): source, year, geography, technology, pedigree.

The datasets are those the study's foreground links to (grid electricity, hardware manufacture and
end of life, platform) and the foreground's own stages. The pedigree score is the Weidema &
Wesnaes (1996) matrix as ecoinvent uses it: reliability, completeness, temporal, geographical and
technological correlation, each 1 (best) to 5. The inventory tables state each exchange's pedigree
in its notes; a dataset's is the mean of the pedigrees stated within three links of it. A stage's
is set by rule: measured energy (1, 2, 1, 1, 1), energy derived from hours and power or a stated
estimate (4, 3, 1, 1, 1); the stage is this system, so its correlations are 1.
"""

from __future__ import annotations

import re
from collections import Counter

import bw2data as bd
import numpy as np
import pandas as pd

PEDIGREE = re.compile(r"pedigree \((\d),\s*(\d),\s*(\d),\s*(\d),\s*(\d)\)")
YEAR = re.compile(r"\((\d{4})\)")
ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
DEPTH = 3
MEASURED_PEDIGREE = (1, 2, 1, 1, 1)
ESTIMATED_PEDIGREE = (4, 3, 1, 1, 1)
COLUMNS = ["dataset", "kind", "source", "year", "geography", "technology", "reliability", "completeness",
           "temporal", "geographical", "technological", "pedigree_score", "pedigree_basis"]


def _stated(activity, depth: int = DEPTH) -> tuple[list[tuple[int, ...]], Counter]:
    """Pedigrees and years stated in the exchange comments within ``depth`` links of ``activity``."""
    pedigrees: list[tuple[int, ...]] = []
    years: Counter = Counter()
    seen, frontier = {activity.id}, [activity]
    for _ in range(depth):
        following = []
        for node in frontier:
            for exc in node.exchanges():
                comment = exc.get("comment") or ""
                pedigrees += [tuple(int(v) for v in m) for m in PEDIGREE.findall(comment)]
                years.update(int(y) for y in YEAR.findall(comment))
                if exc["type"] == "technosphere" and exc.input.id not in seen:
                    seen.add(exc.input.id)
                    following.append(exc.input)
        frontier = following
    return pedigrees, years


def _row(dataset: str, kind: str, source: str, year, geography: str, technology: str,
         pedigree: tuple[float, ...] | None, basis: str) -> dict:
    scores = dict(zip(COLUMNS[6:11], pedigree)) if pedigree else dict.fromkeys(COLUMNS[6:11], np.nan)
    return {"dataset": dataset, "kind": kind, "source": source, "year": year, "geography": geography,
            "technology": technology, **scores,
            "pedigree_score": float(np.mean(pedigree)) if pedigree else np.nan, "pedigree_basis": basis}


def data_quality(database: str) -> pd.DataFrame:
    """One row per linked background dataset and per foreground stage (``COLUMNS``); a pedigree
    not stated anywhere is NaN with the reason in ``pedigree_basis``."""
    rows, linked = [], {}
    for activity in bd.Database(database):
        for exc in activity.technosphere():
            if exc.get("mllca_component") and exc.input["database"] != database:
                linked.setdefault(exc.input.id, (exc.input, exc["mllca_component"]))
        if activity.get("mllca_role") == "stage":
            measured = bool(activity.get("mllca_measured", False))
            rows.append(_row(activity["mllca_stage"], "foreground stage", activity.get("mllca_basis", ""), np.nan,
                             "", activity.get("mllca_stage_kind", ""),
                             MEASURED_PEDIGREE if measured else ESTIMATED_PEDIGREE,
                             "rule: measured energy" if measured else "rule: estimated energy"))
    for node, component in linked.values():
        pedigrees, years = _stated(node)
        mean = tuple(float(v) for v in np.mean(pedigrees, axis=0).round(2)) if pedigrees else None
        source = (node.get("comment") or "").removeprefix("Source: ")
        # the dataset's vintage: the latest year its own source names, else the most common one
        # its exchanges cite
        own = [int(y) for y in ANY_YEAR.findall(source)]
        year = max(own) if own else (years.most_common(1)[0][0] if years else np.nan)
        rows.append(_row(node["name"], f"background: {component}", source, year, node.get("location", ""),
                         node.get("mllca_category", node.get("reference product", "")), mean,
                         f"mean of {len(pedigrees)} stated exchange pedigrees" if pedigrees
                         else "not stated in the dataset's exchanges"))
    return pd.DataFrame(rows, columns=COLUMNS)
