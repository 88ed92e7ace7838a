"""Writing a database bw_mllca owns, all or nothing.

``bw2data.Database.write`` deletes a database's old content before writing, and purges the database
if the write fails half way. Here the previous content is kept in memory and written back if
anything goes wrong, so a failed build leaves the previous database as it was; and a database of
the same name that bw_mllca did not write is never touched.

Against a process killed outright (SIGKILL, power loss), where nothing can be restored, the steps
are ordered so that every state on disk says what it is: the mark is set to "incomplete" first
(persisted), then the rows are written, then the datapackage is processed, and only then the mark
gets the fingerprint and the row counts. ``integrity`` reads that on the next open. The named
``kill_point`` calls between the steps are where the crash tests stop the process.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import bw2data as bd

from .. import integrity
from ..errors import BuildError, SetupConflict
from ..faults import kill_point
from ..locking import project_lock
from ..ownership import INCOMPLETE, MARK, owner_mark

logger = logging.getLogger(__name__)


def _snapshot(name: str) -> tuple[dict, dict] | None:
    if name not in bd.databases:
        return None
    return copy.deepcopy(dict(bd.databases[name])), bd.Database(name).load()


def _restore(name: str, snapshot: tuple[dict, dict] | None) -> None:
    if name in bd.databases:
        del bd.databases[name]
    if snapshot is None:
        return
    metadata, data = snapshot
    database = bd.Database(name)
    database.register(write_empty=False, **{k: v for k, v in metadata.items() if k != "backend"})
    try:
        database.write(data, process=False)
        database.process()
    except BaseException:
        # Not restored: keep it marked ours but incomplete, so the next build rewrites it.
        broken = copy.deepcopy(metadata)
        if isinstance(broken.get(MARK), dict):
            broken[MARK] = {**broken[MARK], "fingerprint": INCOMPLETE}
        bd.databases[name] = broken
        raise
    bd.databases[name] = metadata  # timestamps and marks exactly as they were


def _conflict(name: str, found: dict[str, Any] | None, owner: dict[str, Any]) -> str | None:
    """Why ``owner`` must not overwrite database ``name`` (marked ``found``), or None."""
    if found is None:
        return (f"database {name!r} exists and was not written by bw_mllca; it was left untouched. "
                "Rename it, or choose another name for bw_mllca's database.")
    if found.get("study") != owner.get("study"):
        # Ours, but for something else (the background, another study): never overwrite it.
        what = f"study {found['study']!r}" if found.get("study") else "bw_mllca's background or biosphere"
        return (f"database {name!r} holds {what}; it was left untouched. Give this study another "
                "name (or database), or delete the old database first.")
    if found.get("origin") and owner.get("origin") and found["origin"] != owner["origin"]:
        # Two study files with the same study name: said out loud, and the replaced one's
        # calculation is refused afterwards (its fingerprint and origin no longer match).
        logger.warning("database %r held study %r built from %s; the study from %s has the same name and "
                       "replaces it (give one of them another study.name to keep both)",
                       name, found["study"], found["origin"], owner["origin"])
    return None


def write_owned_database(
    name: str,
    make_data: Callable[[], dict[tuple[str, str], dict]],
    owner: dict[str, Any],
    **metadata: Any,
) -> str:
    """Write ``name`` from ``make_data()`` unless an identical, complete build of ours is there.

    Returns "written" or "unchanged". Raises SetupConflict if a user's database has this name, or
    one bw_mllca wrote for something else (``owner["study"]`` differs: the background, another
    study; a study file with the same study name replaces it with a warning), and BuildError (after restoring the
    previous content) if the write fails. If even the restore fails, or the process is killed,
    the database is left marked incomplete, so that the next build rewrites it. Holds the
    project's lock throughout.
    """
    with project_lock():
        if name in bd.databases:
            found = owner_mark(bd.databases[name])
            conflict = _conflict(name, found, owner)
            if conflict:
                raise SetupConflict(conflict)
            problem = integrity.rows_problem(name)
            if found.get("fingerprint") == owner.get("fingerprint") and problem is None:
                integrity.repair_datapackage(name)  # a Ctrl-C while it was processed
                if owner.get("origin") and found.get("origin") != owner["origin"]:
                    # The same content from another study file: it is now that file's build.
                    stored = bd.databases[name]
                    stored[MARK] = {**found, "origin": owner["origin"]}
                    bd.databases[name] = stored
                return "unchanged"
            if problem:
                logger.warning("database %r: %s; rebuilding it", name, problem)
        return _write(name, make_data, owner, metadata)


def _write(name: str, make_data: Callable[[], dict], owner: dict[str, Any], metadata: dict[str, Any]) -> str:
    data = make_data()  # everything that can be checked is checked before the first write
    previous = _snapshot(name)
    try:
        database = bd.Database(name)
        if name not in bd.databases:
            database.register(write_empty=False, **{MARK: {**owner, "fingerprint": INCOMPLETE}}, **metadata)
        else:
            stored = bd.databases[name]
            stored[MARK] = {**owner, "fingerprint": INCOMPLETE}
            bd.databases[name] = stored  # persisted before the first row changes
        kill_point("build:marked-incomplete")
        database.write(data, check_typos=False, process=False)
        kill_point("build:rows-written")
        database.process()
        kill_point("build:processed")
        counts = integrity.row_counts(name)
        expected = (len(data), sum(len(ds.get("exchanges", [])) for ds in data.values()))
        if counts != expected:
            raise BuildError(f"database {name!r}: wrote {counts[0]} activities and {counts[1]} exchanges, "
                             f"expected {expected[0]} and {expected[1]}")
        # The mark goes on last: a database interrupted before this point is restored above, or,
        # if the process was killed, found incomplete by the next open.
        stored = bd.databases[name]
        stored.update({MARK: {**owner, "activities": counts[0], "exchanges": counts[1]}, **metadata})
        bd.databases[name] = stored
        kill_point("build:complete")
    except BaseException as error:
        try:
            _restore(name, previous)
        except Exception as restore_error:  # pragma: no cover - reported, not hidden
            raise BuildError(
                f"writing database {name!r} failed ({error!r}) and restoring its previous content "
                f"failed too ({restore_error!r})"
            ) from error
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        raise BuildError(
            f"writing database {name!r} failed: {error}; the previous database was left as it was"
        ) from error
    return "written"
