"""LCIA of a built study: tidy results per functional unit, method, life-cycle stage and component."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bw2data as bd
import pandas as pd

from ..scope.study import Study
from .methods import TRACI
from .system import COMPONENTS, Method, StudySystem

WATER_METHOD: Method = ("bw_mllca", "water", "consumptive water use")
# the same water weighted with the AWARE factor of the country where it is consumed
WATER_SCARCITY_METHOD: Method = ("bw_mllca", "water", "AWARE scarcity-weighted water use")
DEFAULT_METHODS: tuple[Method, ...] = (*TRACI, WATER_METHOD, WATER_SCARCITY_METHOD)
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
    """The factorized system of a built study (``build`` it first).

    Refuses (ProjectStateError, naming the command that fixes it) a study that is not built, whose
    database is an older build of it or another study's, or that an interrupted write left
    incomplete; a damaged datapackage of ours is re-processed first (``opening.open_study``)."""
    from .opening import open_study

    if not isinstance(study, Study) and not (isinstance(study, str) and study in bd.databases):
        study = Study.from_file(study)
    chosen = list(methods or DEFAULT_METHODS)
    with open_study(study, chosen) as database:
        return StudySystem(database, chosen)


def results_frame(system: StudySystem, views: Sequence[str] | None = None) -> pd.DataFrame:
    """Score per FU, for each view, method, stage and component; rows sum to the FU's score.

    Two inventory indicators come as extra rows: electricity at the meter (kWh) per stage, under
    method 'inventory | electricity at the meter'. The stages' supplies are solved once, for every
    method and view (``StudySystem.stage_parts``).
    """
    views = system.views if views is None else views
    stages = system.stages
    parts, used, kwh = system.stage_parts(stages)
    labels = [(method_label(m), m[1] if len(m) > 1 else m[0], m[-1], system.method_units[m]) for m in system.methods]
    rows = []
    for view in views:
        fu = system.functional_unit(view)
        x = system.foreground_supplies([system.col[fu.id]])[:, 0]
        for s, stage in enumerate(stages):
            runs = float(x[system._position[system.col[stage.id]]])
            if runs == 0.0:
                continue
            for m, (label, category, indicator, unit) in enumerate(labels):
                for k, component in enumerate(COMPONENTS):
                    if used[s, k, m]:
                        rows.append([view, label, category, indicator, unit, stage.stage, stage.stage_kind,
                                     component, runs * parts[s, k, m]])
            rows.append([view, "inventory | electricity at the meter", "electricity at the meter",
                         "electricity at the meter", "kilowatt hour", stage.stage, stage.stage_kind,
                         "electricity", runs * kwh[s]])
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def calculate(
    study: Study | str | Path,
    methods: Sequence[Method] | None = None,
    views: Sequence[str] | None = None,
) -> pd.DataFrame:
    """LCIA results of a built study as a tidy DataFrame (see ``RESULT_COLUMNS``); scores per FU.

    ``methods``: TRACI v2.1 (9 categories) and consumptive water use by default; any registered
    method tuples. ``views``: 'attributional' (development amortized in) and/or 'consumer' for a
    functional unit of queries, 'training' for one trained model; default: every view of the study.
    """
    return results_frame(system_for(study, methods), views)


def totals(frame: pd.DataFrame, by: Sequence[str] = ("view", "method", "unit")) -> pd.DataFrame:
    """Sum a results frame over stages and components."""
    return frame.groupby(list(by), as_index=False, sort=False)["score"].sum()


def stage_table(frame: pd.DataFrame, view: str = "attributional") -> pd.DataFrame:
    """Scores per stage (rows) and method (columns) for one view."""
    part = frame[frame["view"] == view]
    return part.pivot_table(index="stage", columns="method", values="score", aggfunc="sum", fill_value=0.0, sort=False)
