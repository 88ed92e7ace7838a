"""The foreground inventory out to, and back from, bw2io's Excel format.

The workbook is the one bw2io's ``write_lci_excel`` writes (its ``CSVFormatter`` lays out the
sections), with three additions so that a plain ``bw2io.ExcelImporter`` links every exchange by
itself: each exchange row names its input's ``database``, ``reference product`` and ``code``, and
carries ``input`` as 'database::code' (bw2io's ``csv_restore_tuples`` turns it back into the key,
so the exchange arrives linked). The goal and scope go on a second sheet whose first cell is 'skip'
(bw2io's mark for a sheet the importer ignores). Every text cell is written as text, so user text
such as '=cmd()' never becomes a formula.
"""

from __future__ import annotations

import re
from pathlib import Path

import bw2data as bd
import pandas as pd
from bw2io.export.csv import CSVFormatter
from openpyxl import Workbook
from openpyxl.styles import Font

from ..errors import BwMllcaError
from .files import write_text_cell

SHEET_NAME_LENGTH = 31  # Excel's limit
SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
SECTION_HEADS = {"Activity", "Database", "Exchanges", "Parameters", "Database parameters", "Project parameters"}


def sheet_name(database: str) -> str:
    """``database`` as an Excel sheet name: forbidden characters replaced, cut at a word boundary
    to 31 characters (a single longer word is cut where it must be)."""
    name = SHEET_FORBIDDEN.sub("-", database).strip("' ") or "inventory"
    if len(name) <= SHEET_NAME_LENGTH:
        return name
    cut = name[:SHEET_NAME_LENGTH + 1].rsplit(" ", 1)[0].rstrip(" ,;-(")
    return cut if 0 < len(cut) <= SHEET_NAME_LENGTH else name[:SHEET_NAME_LENGTH]


class _LinkedFormatter(CSVFormatter):
    """bw2io's formatter with each exchange's input named in full (database, code, product)."""

    def exchange_as_dict(self, exc):
        data = super().exchange_as_dict(exc)
        source = exc.input
        data["database"] = source["database"]
        data["code"] = source["code"]
        if source.get("reference product"):
            data["reference product"] = source["reference product"]
        data["input"] = f"{source['database']}::{source['code']}"
        return data


def goal_and_scope_rows(database: str) -> pd.DataFrame:
    """The goal and scope bw_mllca stored in the database's metadata, as (item, value) rows."""
    metadata = bd.databases[database]
    goal, scope = metadata.get("mllca_goal", {}), metadata.get("mllca_scope", {})
    rows = [("database", database), ("description", metadata.get("description", ""))]
    for key, value in {**goal, **scope}.items():
        if isinstance(value, dict):
            rows += [(f"{key}: {k}", str(v)) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            rows.append((key, "; ".join(str(v) for v in value)))
        else:
            rows.append((key, value))
    rows += [("data source", source) for source in metadata.get("mllca_data_sources", [])]
    return pd.DataFrame(rows, columns=["item", "value"])


def export_inventory(database: str, path: str | Path) -> Path:
    """Write ``database`` in bw2io's Excel format to ``path`` (.xlsx), goal and scope on a second
    sheet; returns the path."""
    if database not in bd.databases:
        raise BwMllcaError(f"database = {database!r} is not in project {bd.projects.current!r}")
    path = Path(path).resolve()
    if path.suffix.lower() != ".xlsx":
        raise BwMllcaError(f"export path = {str(path)!r}: expected a .xlsx file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name(database)
    bold = Font(bold=True)
    for r, row in enumerate(_LinkedFormatter(database).get_formatted_data(), start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = write_text_cell(sheet, r, c, value)
            if c == 1 and value in SECTION_HEADS:
                cell.font = bold
    scope = workbook.create_sheet("Goal and scope")
    write_text_cell(scope, 1, 1, "skip")  # bw2io's ExcelImporter ignores a sheet that starts so
    for r, (item, value) in enumerate(goal_and_scope_rows(database).itertuples(index=False), start=2):
        write_text_cell(scope, r, 1, item)
        write_text_cell(scope, r, 2, value)
    workbook.save(path)
    return path


def import_inventory(path: str | Path) -> str:
    """Import a workbook written by ``export_inventory`` into the current project with a plain
    bw2io ``ExcelImporter`` (its default strategies link every exchange).

    The project needs the databases the exchanges name (``setup_project``). Returns the database
    name; raises BwMllcaError naming the unlinked exchanges, writing nothing, if any stay unlinked.
    """
    from bw2io import ExcelImporter

    importer = ExcelImporter(str(path))
    importer.apply_strategies(verbose=False)
    missing = sorted({exc["input"][0] for ds in importer.data for exc in ds.get("exchanges", [])
                      if isinstance(exc.get("input"), tuple) and exc["input"][0] not in bd.databases
                      and exc["input"][0] != importer.db_name})
    if missing:
        raise BwMllcaError(f"{path}: exchanges name database(s) {missing} not in project {bd.projects.current!r}")
    unlinked = list(importer.unlinked)
    if unlinked:
        names = sorted({f"{exc.get('name')} ({exc.get('type')})" for exc in unlinked})
        raise BwMllcaError(f"{path}: {len(unlinked)} exchange(s) could not be linked: {names[:10]}")
    name = importer.db_name
    if name in bd.databases:
        raise BwMllcaError(f"database {name!r} already exists in project {bd.projects.current!r}; not overwritten")
    importer.write_database()
    return name
