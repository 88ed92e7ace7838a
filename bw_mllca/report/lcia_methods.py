"""The LCIA methods of a result: what each is, where it comes from, and where it is "not assessed".

A category scores 0 for a stage in two very different cases: the stage's flows have factors that
sum to 0, or none of the stage's elementary flows has a factor at all. The second is a gap of the
method for that part of the system (ISO 14044, 4.4.2.2: the category does not cover it), reported
as "not assessed", never as a measured zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import bw2data as bd
import numpy as np
import pandas as pd

from ..impact.method_info import method_columns, method_source, method_version
from ..impact.provenance import ORIGIN_COLUMN, method_origin
from ..impact.system import Method, StudySystem
from .lci import StageInventory

def methods_table(system: StudySystem, inventory: StageInventory, methods: Sequence[Method] | None = None) -> pd.DataFrame:
    """One row per method: family, category, indicator, unit, version, source, its number of
    factors, how many of the study's elementary flows it characterizes, then per stage a boolean
    "assessed: <stage>" (False: none of the stage's flows has a factor) and the stages it does not
    assess, as text."""
    rows = []
    emitted = (inventory.amounts != 0.0).any(axis=1)
    for method in methods or system.methods:
        factors = system.characterization[method] != 0.0
        assessed = {stage: bool((factors & inventory.flows_of(s)).any()) for s, stage in enumerate(inventory.stages)}
        row = {**method_columns(method), "unit": system.method_units[method], "version": method_version(method),
               "source": method_source(method), ORIGIN_COLUMN: method_origin(method), "factors": int(bd.methods[method].get("num_cfs", 0)),
               "inventory flows characterized": int(np.count_nonzero(factors & emitted)),
               "inventory flows": int(np.count_nonzero(emitted))}
        row.update({f"assessed: {stage}": value for stage, value in assessed.items()})
        row["not assessed for"] = "; ".join(stage for stage, value in assessed.items() if not value)
        rows.append(row)
    return pd.DataFrame(rows)


def not_assessed(table: pd.DataFrame) -> pd.DataFrame:
    """The (category, stage) pairs a ``methods_table`` marks as not assessed, with the reason."""
    rows = []
    for _, row in table.iterrows():
        for column in (c for c in table.columns if c.startswith("assessed: ")):
            if not row[column]:
                rows.append({"method family": row["method family"], "category": row["category"],
                             "indicator": row["indicator"], "stage": column.removeprefix("assessed: "),
                             "reason": "none of the stage's elementary flows has a factor in this method"})
    return pd.DataFrame(rows, columns=["method family", "category", "indicator", "stage", "reason"])
