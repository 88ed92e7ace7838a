"""Opening a built study for calculation: under the project's lock, checked to be complete and current.

A results frame must come from the study as it is now. The database's mark holds the fingerprint
of the study it was built from (``foreground.study_fingerprint``): a study edited since its last
build, or a different study under the same name, is refused, never silently calculated with the
old inventory. Missing or damaged pieces name the command that fixes them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import bw2data as bd

from .. import integrity
from ..errors import ProjectStateError
from ..inventory.background import BACKGROUND
from ..inventory.biosphere import BIOSPHERE, OWN_BIOSPHERE
from ..locking import project_lock
from ..ownership import owner_mark
from ..scope.study import Study

SET_UP_DATABASES = (BIOSPHERE, OWN_BIOSPHERE, BACKGROUND)


def _build_command(study: Study | str) -> str:
    if isinstance(study, Study) and study.path is not None:
        return f"build the study first: `bw-mllca run {study.path}` or bw_mllca.build(study)"
    return "build the study first: bw_mllca.build(study)"


def check_current(study: Study) -> None:
    """Refuse a study whose database is not its current build."""
    from ..inventory.foreground import study_fingerprint

    name = study.database_name
    found = owner_mark(bd.databases[name])
    if found is None:
        raise ProjectStateError(f"database {name!r} in project {bd.projects.current!r} was not written by bw_mllca; "
                                f"it is not study {study.study.name!r}'s build")
    if found.get("study") != study.study.name:
        raise ProjectStateError(f"database {name!r} holds study {found.get('study')!r}, not {study.study.name!r}: "
                                "give the study its own study.database")
    if found.get("origin") and study.path is not None and found["origin"] != str(study.path):
        raise ProjectStateError(f"database {name!r} holds study {study.study.name!r} built from {found['origin']}, "
                                f"not from {study.path}: give one of them another study.name")
    if found.get("fingerprint") != study_fingerprint(study):
        raise ProjectStateError(f"database {name!r} was built from an earlier version of study {study.study.name!r} "
                                f"(or its background changed since): {_build_command(study)}")


@contextmanager
def open_study(study: Study | str, methods: Sequence[tuple[str, ...]]) -> Iterator[str]:
    """Hold the project's lock while a calculation reads ``study``'s database; yields its name."""
    name = study.database_name if isinstance(study, Study) else study
    with project_lock():
        integrity.ensure_indices()
        if BIOSPHERE not in bd.databases or not any(method in bd.methods for method in methods):
            raise ProjectStateError(f"project {bd.projects.current!r} is not set up for bw_mllca: "
                                    f"{integrity.setup_command()} first")
        if name not in bd.databases:
            raise ProjectStateError(f"database {name!r} is not in project {bd.projects.current!r}: {_build_command(study)}")
        for database in integrity.dependencies(name):
            repair = integrity.setup_command() if database in SET_UP_DATABASES or database != name else _build_command(study)
            integrity.check_database(database, repair)
        for method in methods:
            integrity.check_method(method)
        if isinstance(study, Study):
            check_current(study)
        yield name
