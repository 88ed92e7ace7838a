"""Writing a database bw_mllca owns, all or nothing.

``bw2data.Database.write`` deletes a database's old content before writing, and purges the database
if the write fails half way. Here the previous content is kept in memory and written back if
anything goes wrong, so a failed build leaves the previous database as it was; and a database of
the same name that bw_mllca did not write is never touched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import bw2data as bd

from ..errors import BuildError, SetupConflict
from ..ownership import MARK, owner_mark


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
            broken[MARK] = {**broken[MARK], "fingerprint": "incomplete"}
        bd.databases[name] = broken
        raise
    bd.databases[name] = metadata  # timestamps and marks exactly as they were


def write_owned_database(
    name: str,
    make_data: Callable[[], dict[tuple[str, str], dict]],
    owner: dict[str, Any],
    **metadata: Any,
) -> str:
    """Write ``name`` from ``make_data()`` unless an identical build of ours is already there.

    Returns "written" or "unchanged". Raises SetupConflict if a user's database has this name, or
    one bw_mllca wrote for something else (``owner["study"]`` differs: the background, another
    study), and BuildError (after restoring the previous content) if the write fails. If even the
    restore fails, the database is left marked incomplete, so that the next build rewrites it.
    """
    if name in bd.databases:
        found = owner_mark(bd.databases[name])
        if found is None:
            raise SetupConflict(
                f"database {name!r} exists and was not written by bw_mllca; it was left untouched. "
                "Rename it, or choose another name for bw_mllca's database."
            )
        if found.get("study") != owner.get("study"):
            # Ours, but for something else (the background, another study): never overwrite it.
            what = f"study {found['study']!r}" if found.get("study") else "bw_mllca's background or biosphere"
            raise SetupConflict(
                f"database {name!r} holds {what}; it was left untouched. Give this study another "
                "name (or database), or delete the old database first."
            )
        if found.get("fingerprint") == owner.get("fingerprint"):
            return "unchanged"
    data = make_data()  # everything that can be checked is checked before the first write
    previous = _snapshot(name)
    try:
        database = bd.Database(name)
        if name not in bd.databases:
            # Marked ours but incomplete, so a build killed half way is rebuilt, not taken for a user's.
            database.register(write_empty=False, **{MARK: {**owner, "fingerprint": "incomplete"}}, **metadata)
        database.write(data, check_typos=False)
        # The mark goes on last: a database interrupted before this point is restored above.
        stored = bd.databases[name]
        stored.update({MARK: owner, **metadata})
        bd.databases[name] = stored
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
