"""LCIA of a built study: tidy results per functional unit, method, life-cycle stage and component."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bw2data as bd
import pandas as pd

from ..scope.study import Study
from .methods import TRACI
from .system import Method, StudySystem

WATER_METHOD: Method = ("bw_mllca", "water", "consumptive water use")
DEFAULT_METHODS: tuple[Method, ...] = (*TRACI, WATER_METHOD)
VIEWS = ("attributional", "consumer")

RESULT_COLUMNS = ["view", "method", "category", "indicator", "unit", "stage", "stage_kind", "component", "score"]


def method_label(method: Method) -> str:
    return " | ".join(method)


def _database_of(study: Study | str | Path) -> str:
    if isinstance(study, Study):
        return study.database_name
    if isinstance(study, str) and study in bd.databases:
        return study
    return Study.from_file(study).database_name


def system_for(study: Study | str | Path, methods: Sequence[Method] | None = None) -> StudySystem:
    """The factorized system of a built study (``build`` it first)."""
    return StudySystem(_database_of(study), list(methods or DEFAULT_METHODS))


def results_frame(system: StudySystem, views: Sequence[str] = VIEWS) -> pd.DataFrame:
    """Score per FU, for each view, method, stage and component; rows sum to the FU's score.

    Two inventory indicators come as extra rows: electricity at the meter (kWh) per stage, under
    method 'inventory | electricity at the meter'.
    """
    rows = []
    for view in views:
        fu = system.functional_unit(view)
        x = system.supply({fu.id: 1.0})
        for stage in system.stages:
            runs = float(x[system.col[stage.id]])
            if runs == 0.0:
                continue
            for method in system.methods:
                parts = system.stage_components(stage, method)
                for component, unit_score in parts.items():
                    value = runs * unit_score
                    rows.append([view, method_label(method), method[1] if len(method) > 1 else method[0],
                                 method[-1], system.method_units[method], stage.stage, stage.stage_kind,
                                 component, value])
            kwh = runs * system.electricity_kwh(stage)
            rows.append([view, "inventory | electricity at the meter", "electricity at the meter",
                         "electricity at the meter", "kilowatt hour", stage.stage, stage.stage_kind,
                         "electricity", kwh])
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def calculate(
    study: Study | str | Path,
    methods: Sequence[Method] | None = None,
    views: Sequence[str] = VIEWS,
) -> pd.DataFrame:
    """LCIA results of a built study as a tidy DataFrame (see ``RESULT_COLUMNS``); scores per FU.

    ``methods``: TRACI v2.1 (9 categories) and consumptive water use by default; any registered
    method tuples. ``views``: 'attributional' (development amortized in) and/or 'consumer'.
    """
    return results_frame(system_for(study, methods), views)


def totals(frame: pd.DataFrame, by: Sequence[str] = ("view", "method", "unit")) -> pd.DataFrame:
    """Sum a results frame over stages and components."""
    return frame.groupby(list(by), as_index=False, sort=False)["score"].sum()


def stage_table(frame: pd.DataFrame, view: str = "attributional") -> pd.DataFrame:
    """Scores per stage (rows) and method (columns) for one view."""
    part = frame[frame["view"] == view]
    return part.pivot_table(index="stage", columns="method", values="score", aggfunc="sum", fill_value=0.0, sort=False)
