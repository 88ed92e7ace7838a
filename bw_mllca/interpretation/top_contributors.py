"""Contribution analysis below stage and component: top processes and top elementary flows.

ISO 14044 (4.5.3.2) contribution analysis, done with bw2analyzer's ``ContributionAnalysis`` on a
bw2calc LCA of the functional unit (bw2analyzer 0.11 reads bw2calc 2.x's ``dicts`` and
``characterized_inventory``). A process's score is what it emits itself (its direct, characterized
flows times its supply), so the processes of a category add up to its total, as do its flows.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import bw2data as bd
import pandas as pd

from ..impact.bw2calc_quiet import bw2calc as bc
from ..impact.calculate import DEFAULT_METHODS
from ..impact.method_info import method_columns
from ..impact.system import Method

PROCESS_COLUMNS = ["method family", "category", "indicator", "unit", "rank", "process", "location", "database",
                   "supply", "supply_unit", "score_per_fu", "share"]
FLOW_COLUMNS = ["method family", "category", "indicator", "unit", "rank", "flow", "compartment", "flow_unit",
                "amount_per_fu", "score_per_fu", "share"]


@dataclass(frozen=True)
class TopContributors:
    processes: pd.DataFrame
    flows: pd.DataFrame


def _functional_unit(database: str, view: str):
    for activity in bd.Database(database):
        if activity.get("mllca_role") == "functional unit" and activity.get("mllca_view") == view:
            return activity
    raise KeyError(f"database {database!r} has no functional unit of view {view!r}")


def top_contributors(database: str, methods: Sequence[Method] | None = None, limit: int = 10,
                     view: str = "attributional") -> TopContributors:
    """The ``limit`` largest processes and elementary flows (by absolute score) of each category,
    per FU of ``view``. ``share`` is the score over the category's total (NaN for a zero total)."""
    from bw2analyzer import ContributionAnalysis

    methods = list(methods or DEFAULT_METHODS)
    analysis = ContributionAnalysis()
    lca = bc.LCA({_functional_unit(database, view): 1.0}, methods[0])
    lca.lci()
    processes, flows = [], []
    for m, method in enumerate(methods):
        with warnings.catch_warnings():
            # a category that characterizes none of the flows: a zero total, reported as such
            warnings.filterwarnings("ignore", message="All values in characterization matrix are zero")
            if m == 0:
                lca.lcia()
            else:
                lca.switch_method(method)
                lca.lcia()
        total = float(lca.score)
        label = {**method_columns(method), "unit": bd.methods[method].get("unit", "")}
        share = (lambda score: score / total) if total != 0.0 else (lambda score: float("nan"))
        top = [t for t in analysis.annotated_top_processes(lca, limit=limit) if t[0] != 0.0]
        for rank, (score, supply, activity) in enumerate(top, start=1):
            processes.append({**label, "rank": rank, "process": activity["name"], "location": activity.get("location", ""),
                              "database": activity["database"], "supply": float(supply), "supply_unit": activity.get("unit", ""),
                              "score_per_fu": float(score), "share": share(float(score))})
        top = [t for t in analysis.annotated_top_emissions(lca, limit=limit) if t[0] != 0.0]
        for rank, (score, amount, flow) in enumerate(top, start=1):
            flows.append({**label, "rank": rank, "flow": flow["name"], "compartment": "::".join(flow.get("categories") or ()),
                          "flow_unit": flow.get("unit", ""), "amount_per_fu": float(amount),
                          "score_per_fu": float(score), "share": share(float(score))})
    return TopContributors(pd.DataFrame(processes, columns=PROCESS_COLUMNS), pd.DataFrame(flows, columns=FLOW_COLUMNS))
