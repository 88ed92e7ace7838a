"""The results workbook of a run (openpyxl): one sheet per part of an LCA report.

Numbers are written as numbers, units sit in the headers, header rows are frozen and columns are
sized to their content. Text is always written as text (``files.write_text_cell``): openpyxl would store a string
that starts with '=' as a formula, so every string cell is forced to the string type (Excel then
shows '=cmd()' as the characters it is, and never evaluates it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import bw2data as bd
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..interpretation.assessed import mark_not_assessed, not_assessed, not_assessed_table
from ..scope.study import Study
from .cells import number_format, split_method_column
from .files import write_text_cell

HEADER_FONT = Font(bold=True)
MAX_COLUMN_WIDTH = 60


def write_value(ws, row: int, column: int, value: Any):
    """Write one cell: numbers as numbers, everything else as text that can never be a formula."""
    cell = ws.cell(row=row, column=column)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return cell
    if isinstance(value, (bool, int, float)):  # a bool stays a boolean cell, not the text "True"
        cell.value = value
        return cell
    return write_text_cell(ws, row, column, str(value))


def write_table(ws, table: pd.DataFrame, start_row: int = 1) -> None:
    """A header row (bold, frozen) and the table's rows; column widths fitted to the content."""
    columns = [str(c) for c in table.columns]
    for j, name in enumerate(columns, start=1):
        write_value(ws, start_row, j, name).font = HEADER_FONT
    for i, record in enumerate(table.itertuples(index=False), start=start_row + 1):
        for j, value in enumerate(record, start=1):
            write_value(ws, i, j, value.item() if hasattr(value, "item") else value)
    ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
    for j, name in enumerate(columns, start=1):
        fmt = number_format(name, table.iloc[:, j - 1])
        for i in range(start_row + 1, start_row + 1 + len(table)) if fmt else ():
            ws.cell(row=i, column=j).number_format = fmt
    for j, name in enumerate(columns, start=1):
        values = [name, *(str(v) for v in table.iloc[:, j - 1].head(200))]
        ws.column_dimensions[get_column_letter(j)].width = min(MAX_COLUMN_WIDTH, max(len(v) for v in values) + 2)


def goal_and_scope_table(study: Study) -> pd.DataFrame:
    fu = study.goal.functional_unit
    rows = [
        ("study", study.study.name),
        ("intended application", study.goal.intended_application),
        ("audience", study.goal.audience),
        ("functional unit", fu.description),
        ("reference flow", fu.reference_flow),
        ("performance constraints", "; ".join(c.text() for c in fu.constraints)),
        ("approach", study.scope.approach),
        ("cut-off", study.scope.cut_off),
        ("background", study.study.background_choice.label),
    ]
    if study.use is not None:
        rows.append(("lifetime queries", study.use.total_queries))
    use_stages = "; inference; idle capacity" if study.use is not None else ""
    rows.append(("stages in the boundary", "; ".join(s.name for s in study.stages) + use_stages))
    rows += [(f"excluded: {e.stage}", e.reason) for e in study.scope.excluded]
    return pd.DataFrame(rows, columns=["item", "value"])


def inventory_table(study: Study) -> pd.DataFrame:
    """Per stage activity: accelerator-hours and IT energy per run, runs per FU, and how obtained."""
    rows = []
    for activity in bd.Database(study.database_name):
        if activity.get("mllca_role") != "stage":
            continue
        amounts = {exc.input.get("mllca_role"): exc["amount"] for exc in activity.technosphere()}
        rows.append({
            "stage": activity["mllca_stage"],
            "kind": activity.get("mllca_stage_kind"),
            "per": activity["unit"],
            "accelerator-hours": amounts.get("accelerator-hour", 0.0),
            "IT energy (kWh, before PUE)": amounts.get("it-energy", 0.0),
            "measured": bool(activity.get("mllca_measured", False)),
            "basis": activity.get("mllca_basis", ""),
        })
    return pd.DataFrame(rows)


def sources_table(study: Study) -> pd.DataFrame:
    sources = bd.databases[study.database_name].get("mllca_data_sources", [])
    return pd.DataFrame({"source": sources})


def lcia_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Scores per FU: a row per view and stage, a column per category with its unit in the header;
    a category not assessed is empty (NaN), not 0 (see the "Not assessed" sheet)."""
    labelled = frame.assign(column=frame["category"] + " (" + frame["unit"] + " per FU)")
    table = labelled.pivot_table(index=["view", "stage"], columns="column", values="score", aggfunc="sum",
                                 fill_value=0.0, sort=False)
    missing = labelled[labelled["method"].isin(list(not_assessed(frame)))]["column"].unique()
    table[list(missing)] = float("nan")
    return table.reset_index()


def write_results_workbook(
    path: str | Path,
    study: Study,
    frame: pd.DataFrame,
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write the workbook: goal and scope, inventory, LCIA by stage and component, then any
    ``extra`` sheets (significant issues, sensitivity, uncertainty, comparison...), then sources."""
    path = Path(path)
    workbook = Workbook()
    sheets: dict[str, pd.DataFrame] = {
        "Goal and scope": goal_and_scope_table(study),
        "Inventory": inventory_table(study),
        "LCIA by stage": lcia_table(frame),
        "LCIA by component": mark_not_assessed(frame),
    }
    if not_assessed(frame):
        sheets["Not assessed"] = not_assessed_table(frame)
    sheets.update(extra or {})
    sheets["Data sources"] = sources_table(study)
    first = True
    for title, table in sheets.items():
        ws = workbook.active if first else workbook.create_sheet()
        first = False
        ws.title = title[:31]
        write_table(ws, split_method_column(table.reset_index(drop=True)))
    workbook.save(path)
    return path
