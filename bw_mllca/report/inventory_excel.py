"""The foreground inventory out to, and back from, bw2io's Excel format.

bw2io's exporter writes every cell with ``write_string`` / ``write_number``, so user text such as
'=cmd()' stays text. Its exchange rows carry name, unit, location (and categories for biosphere
flows) but not the input's database: on import, links are made by matching those fields within
the workbook's own database, then in the background, then in biosphere3 and bw_mllca's own flows.
"""

from __future__ import annotations

from pathlib import Path

import bw2data as bd

from ..errors import BwMllcaError
from ..inventory.background import BACKGROUND
from ..inventory.biosphere import BIOSPHERE, OWN_BIOSPHERE


def export_inventory(database: str, path: str | Path) -> Path:
    """Write ``database`` in bw2io's Excel format to ``path`` (.xlsx); returns the path."""
    from bw2io.export.excel import write_lci_excel

    if database not in bd.databases:
        raise BwMllcaError(f"database = {database!r} is not in project {bd.projects.current!r}")
    path = Path(path).resolve()
    if path.suffix.lower() != ".xlsx":
        raise BwMllcaError(f"export path = {str(path)!r}: expected a .xlsx file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = Path(write_lci_excel(database, dirpath=str(path.parent)))
    written.replace(path)
    return path


def import_inventory(path: str | Path, background: str = BACKGROUND) -> str:
    """Import a workbook written by ``export_inventory`` into the current project.

    The project needs biosphere3 and ``background`` (``setup_project``). Returns the database
    name; raises BwMllcaError naming the unlinked exchanges, writing nothing, if any stay unlinked.
    """
    from bw2io import ExcelImporter

    importer = ExcelImporter(str(path))
    importer.apply_strategies(verbose=False)
    importer.match_database(fields=("name", "unit", "location"))
    importer.match_database(background, fields=("name", "unit", "location"))
    importer.match_database(BIOSPHERE, fields=("name", "unit", "categories"))
    importer.match_database(OWN_BIOSPHERE, fields=("name", "unit", "categories"))
    unlinked = list(importer.unlinked)
    if unlinked:
        names = sorted({f"{exc.get('name')} ({exc.get('type')})" for exc in unlinked})
        raise BwMllcaError(f"{path}: {len(unlinked)} exchange(s) could not be linked: {names[:10]}")
    name = importer.db_name
    if name in bd.databases:
        raise BwMllcaError(f"database {name!r} already exists in project {bd.projects.current!r}; not overwritten")
    importer.write_database()
    return name
