"""What an interrupted write can leave in a project, found and repaired (or refused) on every open.

A bw_mllca write goes: mark "incomplete" -> rows -> processed datapackage (.zip) -> mark with the
fingerprint and the row counts. A process killed anywhere in between leaves a mark that says so,
so every open can tell the old or the new state from a damaged one:

- a database or method of ours still marked "incomplete", or whose rows do not match the counts
  in its mark: rebuilt by the next set-up or build; refused (naming that command) elsewhere;
- a processed datapackage that is missing or not a readable zip (Ctrl-C while it was written):
  re-processed from the rows if it is ours, refused with the bw2data command if it is the user's;
- bw2data's SQLite indices, which its large writes drop and re-add only at the end: re-created
  (refused, naming the rows, if the user's data now break the unique (database, code) key).
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import bw2data as bd

from .errors import ProjectStateError
from .ownership import INCOMPLETE, owner_mark

logger = logging.getLogger(__name__)

# bw2data's own index definitions (bw2data.backends.base.SQLiteBackend._add_indices)
INDICES = {
    "activitydataset_key": 'CREATE UNIQUE INDEX IF NOT EXISTS "activitydataset_key" ON "activitydataset" ("database", "code")',
    "exchangedataset_input": 'CREATE INDEX IF NOT EXISTS "exchangedataset_input" ON "exchangedataset" ("input_database", "input_code")',
    "exchangedataset_output": 'CREATE INDEX IF NOT EXISTS "exchangedataset_output" ON "exchangedataset" ("output_database", "output_code")',
}


def setup_command() -> str:
    project = bd.projects.current
    return f"run `bw-mllca --project {project!r} setup` (or bw_mllca.setup_project({project!r}))"


def ensure_indices() -> list[str]:
    """Re-create bw2data's indices that a killed large write left dropped; returns those re-created."""
    from bw2data.backends import sqlite3_lci_db

    present = {name for (name,) in sqlite3_lci_db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()}
    missing = [name for name in INDICES if name not in present]
    # A new project has none until its first large write; a project with rows and without them
    # was left so by a killed write (or an older bw2data).
    has_rows = bool(missing) and sqlite3_lci_db.execute_sql("SELECT 1 FROM activitydataset LIMIT 1").fetchone() is not None
    for name in missing:
        if name == "activitydataset_key":
            duplicates = sqlite3_lci_db.execute_sql(
                'SELECT "database", code, COUNT(*) FROM activitydataset GROUP BY "database", code '
                "HAVING COUNT(*) > 1 LIMIT 5").fetchall()
            if duplicates:
                raise ProjectStateError(
                    f"project {bd.projects.current!r} lost its unique (database, code) index in an interrupted "
                    f"write, and activities now share a key: {[(d, c) for d, c, _ in duplicates]}; delete the "
                    "duplicate activities (bw2data), then open the project again"
                )
        sqlite3_lci_db.execute_sql(INDICES[name])
        logger.log(logging.WARNING if has_rows else logging.DEBUG,
                   "project %r: re-created SQLite index %s (dropped by an interrupted write)", bd.projects.current, name)
    return missing


def row_counts(database: str) -> tuple[int, int]:
    """(activities, exchanges) stored for ``database``."""
    from bw2data.backends import sqlite3_lci_db

    activities = sqlite3_lci_db.execute_sql(
        'SELECT COUNT(*) FROM activitydataset WHERE "database" = ?', (database,)).fetchone()[0]
    exchanges = sqlite3_lci_db.execute_sql(
        "SELECT COUNT(*) FROM exchangedataset WHERE output_database = ?", (database,)).fetchone()[0]
    return int(activities), int(exchanges)


def datapackage_problem(path: Path) -> str | None:
    """Why the processed datapackage at ``path`` cannot be read, or None if it can."""
    try:
        with zipfile.ZipFile(path) as archive:
            if "datapackage.json" not in archive.namelist():
                return f"{path.name} has no datapackage.json"
            broken = archive.testzip()  # reads every member: checks each one's CRC
    except FileNotFoundError:
        return f"{path.name} is missing"
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return f"{path.name} is not a readable zip ({error})"
    return f"{path.name}: member {broken} is damaged" if broken else None


def rows_problem(database: str) -> str | None:
    """Why database ``database`` of ours is not a complete build, or None (a user's: always None)."""
    found = owner_mark(bd.databases[database])
    if found is None:
        return None
    if found.get("fingerprint") == INCOMPLETE:
        return "its last write was interrupted"
    if "activities" in found:  # marks written before row counts were recorded have none
        counts = row_counts(database)
        if counts != (found["activities"], found["exchanges"]):
            return (f"it holds {counts[0]} activities and {counts[1]} exchanges, but its last complete write "
                    f"had {found['activities']} and {found['exchanges']}")
    return None


def repair_datapackage(database: str) -> bool:
    """Re-process database ``database`` if it is ours and its datapackage is damaged; refuse if it
    is the user's. Returns whether it was re-processed."""
    problem = datapackage_problem(bd.Database(database).dirpath_processed() / bd.Database(database).filename_processed())
    if problem is None:
        return False
    if owner_mark(bd.databases[database]) is None:
        raise ProjectStateError(
            f"database {database!r}: its processed datapackage {problem}; it is not bw_mllca's, so it was not "
            f"touched: re-process it with bw2data.Database({database!r}).process()"
        )
    bd.Database(database).process()
    logger.warning("database %r: re-processed its datapackage (%s)", database, problem)
    return True


def check_database(database: str, repair: str) -> None:
    """Refuse a damaged database of ours (naming ``repair``); re-process a damaged datapackage."""
    if database not in bd.databases:
        raise ProjectStateError(f"database {database!r} is not in project {bd.projects.current!r}: {repair}")
    problem = rows_problem(database)
    if problem:
        raise ProjectStateError(f"database {database!r} in project {bd.projects.current!r} is incomplete ({problem}): {repair}")
    repair_datapackage(database)


def dependencies(database: str) -> list[str]:
    """``database`` and every database it depends on, each once, dependencies first."""
    seen: list[str] = []

    def visit(name: str) -> None:
        if name in seen:
            return
        for other in (bd.databases.get(name) or {}).get("depends", []):
            visit(other)
        seen.append(name)

    visit(database)
    return seen


def method_problem(method: tuple[str, ...], count_factors: bool = True) -> str | None:
    """Why method ``method`` of ours is damaged beyond re-processing, or None (``count_factors``:
    also compare its stored factors with its mark)."""
    found = owner_mark(bd.methods[method])
    if found is None:
        return None
    if found.get("fingerprint") == INCOMPLETE:
        return "its last write was interrupted"
    if count_factors and "factors" in found:
        try:
            stored = len(bd.Method(method).load())
        except (OSError, EOFError, ValueError) as error:
            return f"its factors cannot be read ({error})"
        if stored != found["factors"]:
            return f"it holds {stored} factors, but its last complete write had {found['factors']}"
    return None


def check_method(method: tuple[str, ...]) -> None:
    """Refuse a missing or damaged method (naming the set-up command); re-process a damaged
    datapackage of ours."""
    if method not in bd.methods:
        raise ProjectStateError(f"method {method!r} is not registered in project {bd.projects.current!r}: {setup_command()} first")
    problem = method_problem(method)
    if problem:
        raise ProjectStateError(f"method {method!r} in project {bd.projects.current!r} is incomplete ({problem}): {setup_command()}")
    store = bd.Method(method)
    damaged = datapackage_problem(store.filepath_processed())
    if damaged is None:
        return
    if owner_mark(bd.methods[method]) is None:
        raise ProjectStateError(f"method {method!r}: its processed datapackage {damaged}; it is not bw_mllca's, so it "
                                f"was not touched: re-process it with bw2data.Method({method!r}).process()")
    from .impact.methods import _ResolvedMethod

    _ResolvedMethod(method).process()
    logger.warning("method %r: re-processed its datapackage (%s)", method, damaged)
