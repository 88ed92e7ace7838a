"""Exceptions raised by bw_mllca. Each message names the field (or flow, or database) and the value."""

from __future__ import annotations


class BwMllcaError(Exception):
    """Base class: a problem the user can fix, reported in one readable message."""


class SetupConflict(BwMllcaError):
    """The project holds a database or method of one of our names that bw_mllca did not write."""


class InventoryDataError(BwMllcaError):
    """A row of inventories/ or methods/ is malformed or does not link to biosphere3."""


class StudyError(BwMllcaError):
    """A study file is invalid. ``problems`` lists (field path, value, message) triples."""

    def __init__(self, problems: list[tuple[str, object, str]], source: str = "study"):
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"]
        for path, value, message in problems:
            lines.append(f"  - {path} = {value!r}: {message}")
        super().__init__("\n".join(lines))


class BuildError(BwMllcaError):
    """Writing the foreground failed; the previous database was left as it was."""


class UnknownMethod(BwMllcaError, ValueError):
    """An LCIA method was asked for (by name or alias) that the project does not hold."""


class LinkError(StudyError, BuildError):
    """A study's link to a user's database names no activity, several, or one in another unit.

    Found while building (the project is needed to resolve a link): a study problem, reported with
    its field and value like any other, and a failed build that wrote nothing."""


class ProjectStateError(BwMllcaError):
    """The project is not ready for what was asked (not set up, study not built, or left damaged
    by an interrupted write that bw_mllca cannot repair itself); the message names the repair."""


class ProjectBusy(BwMllcaError):
    """Another process held the project's lock for longer than the time-out."""


class EcoinventMappingError(BwMllcaError, ValueError):
    """An ecoinvent version, system model, gateway or region that the ecoinvent mapping does not know,
    or a stand-in database that cannot be written; the message names the value and the accepted ones."""
