"""Links from a study to activities of the user's own databases (ecoinvent, a company database).

A study links by ``[database, code]`` or, as Brightway practitioners search, by a table
``{name = ..., database = ..., location = ..., reference_product = ..., unit = ...}``: the name is
required, every other field narrows the search (all fields compare case- and space-insensitively).
``resolve_link`` returns the one activity that matches, with its location and unit; when none or
several match, the error lists the closest candidates. A link stands for a unit of the study's own
(one accelerator, one kWh at the meter): a linked activity in another unit (a graphics card per
kilogram) needs ``conversion_factor``, the linked unit's amount per one of ours.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass

import pandas as pd

from ..errors import LinkError
from .study import DATABASE_PREFIX, ActivityLink, Study

Link = tuple[str, str] | ActivityLink
Key = tuple[str, str]

MAX_CANDIDATES = 5  # candidates named in an error message

# The unit each kind of link stands for, as Brightway writes it, and how a message names it.
ONE_ACCELERATOR = ("unit", "one accelerator")
ONE_KWH_AT_METER = ("kilowatt hour", "one kWh of electricity at the datacenter meter")


@dataclass(frozen=True)
class LinkedActivity:
    """The activity a link resolved to, and how many of its units one unit of the study's is."""

    key: Key
    name: str
    location: str
    reference_product: str
    unit: str
    amount_per_unit: float  # linked activity's units per unit the link stands for (1 when units agree)

    @property
    def label(self) -> str:
        return f"{self.name!r} ({self.location}, per {self.unit}) in database {self.key[0]!r}"


@dataclass(frozen=True)
class _Row:
    database: str
    code: str
    name: str
    location: str
    product: str
    unit: str

    def describe(self) -> str:
        product = f", product {self.product!r}" if self.product and self.product != self.name else ""
        return f"{self.name!r} ({self.location}, {self.unit}{product}; code {self.code!r} in {self.database!r})"


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _same_unit(a: str, b: str) -> bool:
    from bw2io.units import normalize_units  # "kWh" and "kilowatt hour" are one unit

    return _fold(normalize_units(a)) == _fold(normalize_units(b))


@functools.lru_cache(maxsize=32)
def _rows(project: str, database: str, modified: str | None) -> tuple[_Row, ...]:
    """The process activities of one database (cached until the database is modified)."""
    import bw2data as bd
    from bw2data.backends import ActivityDataset as AD

    processes = set(bd.labels.process_node_types)
    query = AD.select(AD.code, AD.name, AD.location, AD.product, AD.type, AD.data).where(AD.database == database)
    return tuple(_Row(database, code, name or "", location or "", product or "", str(data.get("unit") or ""))
                 for code, name, location, product, kind, data in query.tuples() if kind is None or kind in processes)


def _searched_databases(link: ActivityLink) -> list[str]:
    """The named database, or every database a study may link to (not biosphere, not a study's own)."""
    import bw2data as bd

    if link.database is not None:
        return [link.database]
    # Biosphere databases hold flows, not processes (they would be filtered out row by row anyway).
    return sorted(name for name in bd.databases if not name.startswith(DATABASE_PREFIX) and "biosphere" not in name.casefold())


def _stamp(databases: list[str]) -> tuple[tuple[str, str | None], ...]:
    import bw2data as bd

    return tuple((name, str(bd.databases[name].get("modified")) if name in bd.databases else None) for name in databases)


def missing_database(database: str) -> str:
    """Why ``database`` cannot be used: not in the current project, with the closest names."""
    import bw2data as bd

    near = difflib.get_close_matches(database, list(bd.databases), n=3, cutoff=0.4)
    known = f"closest: {', '.join(map(repr, near))}" if near else f"databases: {', '.join(map(repr, sorted(bd.databases)[:8]))}"
    return f"no such database {database!r} in project {bd.projects.current!r}; {known}"


def _candidates(rows: list[_Row]) -> str:
    shown = "; ".join(row.describe() for row in rows[:MAX_CANDIDATES])
    more = f" and {len(rows) - MAX_CANDIDATES} more" if len(rows) > MAX_CANDIDATES else ""
    return shown + more


def _match(link: ActivityLink, rows: tuple[_Row, ...]) -> list[_Row] | str:
    """The rows matching every given field, or a message naming the closest candidates."""
    named = [row for row in rows if _fold(row.name) == _fold(link.name)]
    matches = [row for row in named
               if (link.location is None or _fold(row.location) == _fold(link.location))
               and (link.reference_product is None or _fold(row.product) == _fold(link.reference_product))
               and (link.unit is None or _same_unit(row.unit, link.unit))]
    if len(matches) == 1:
        return matches
    if len(matches) > 1:
        return (f"{len(matches)} activities match; add location, reference_product or unit to choose one: "
                + _candidates(matches))
    if named:
        return f"no activity of this name has the location, reference product and unit given; with this name: {_candidates(named)}"
    by_name: dict[str, list[_Row]] = {}
    for row in rows:
        by_name.setdefault(_fold(row.name), []).append(row)
    near = difflib.get_close_matches(_fold(link.name), list(by_name), n=MAX_CANDIDATES, cutoff=0.5)
    if not near:
        return "no activity of this name (and none with a similar one)"
    return "no activity of this name; closest: " + _candidates([by_name[n][0] for n in near])


@functools.lru_cache(maxsize=256)
def _resolve(project: str, link: Link, stamp: tuple) -> _Row | str:
    """The one row ``link`` names, or the reason there is none (cached per project and database state)."""
    if isinstance(link, tuple):
        database, code = link
        if stamp[0][1] is None:
            return missing_database(database)
        row = next((r for r in _rows(project, database, stamp[0][1]) if r.code == code), None)
        return row if row is not None else f"no activity with code {code!r} in database {database!r}"
    missing = [name for name, modified in stamp if modified is None]
    if missing:
        return missing_database(missing[0])
    if not stamp:
        return "the project has no database to link to"
    rows = tuple(row for name, modified in stamp for row in _rows(project, name, modified))
    found = _match(link, rows)
    return found[0] if isinstance(found, list) else found


def resolve_link(link: Link, field: str, stands_for: tuple[str, str] = ONE_ACCELERATOR, source: str = "study") -> LinkedActivity:
    """The activity ``link`` names in the current project, its unit checked against ``stands_for``
    (Brightway unit, wording). Raises LinkError (a StudyError) naming ``field``, the link and the candidates."""
    import bw2data as bd

    databases = [link[0]] if isinstance(link, tuple) else _searched_databases(link)
    found = _resolve(bd.projects.current, link, _stamp(databases))
    value = list(link) if isinstance(link, tuple) else link.model_dump(exclude_none=True)
    if isinstance(found, str):
        raise LinkError([(field, value, found)], source)
    unit, wording = stands_for
    factor = link.conversion_factor if isinstance(link, ActivityLink) else None
    if factor is None and not _same_unit(found.unit, unit):
        how = ("add conversion_factor" if isinstance(link, ActivityLink)
               else "write the link as a table {database, name, ..., conversion_factor}")
        raise LinkError([(field, value, f"{found.describe()} is per {found.unit}, but this link stands for {wording} "
                                         f"({unit}): {how} = {found.unit} per {wording}")], source)
    return LinkedActivity((found.database, found.code), found.name, found.location, found.product, found.unit,
                          float(factor) if factor is not None else 1.0)


def activity_locations(database: str, name: str, reference_product: str = "") -> frozenset[str]:
    """The locations at which ``database`` has a process of this name (and reference product, if
    given), compared as links compare them (case- and space-insensitively)."""
    import bw2data as bd

    modified = str(bd.databases[database].get("modified")) if database in bd.databases else None
    return _locations(bd.projects.current, database, modified, _fold(name), _fold(reference_product))


@functools.lru_cache(maxsize=64)
def _locations(project: str, database: str, modified: str | None, name: str, product: str) -> frozenset[str]:
    return frozenset(row.location for row in _rows(project, database, modified)
                     if _fold(row.name) == name and (not product or _fold(row.product) == product))


def describe_link(link: Link) -> str:
    """A link as a report names it: the activity it resolves to in the current project, else the
    link as written (a report never fails on a link)."""
    import bw2data as bd

    databases = [link[0]] if isinstance(link, tuple) else _searched_databases(link)
    found = _resolve(bd.projects.current, link, _stamp(databases))
    if not isinstance(found, str):
        return f"{found.name!r} ({found.location}) in database {found.database!r}"
    if isinstance(link, tuple):
        return f"{link[1]!r} in database {link[0]!r}"
    where = f", {link.location}" if link.location else ""
    return f"{link.name!r}{where}" + (f" in database {link.database!r}" if link.database else "")


def study_links(study: Study) -> list[tuple[str, Link, tuple[str, str]]]:
    """Every link of a study: (field path, link, what it stands for)."""
    links: list[tuple[str, Link, tuple[str, str]]] = []
    for name, hardware in study.hardware.items():
        if hardware.manufacture_activity is not None:
            links.append((f"hardware.{name}.manufacture_activity", hardware.manufacture_activity, ONE_ACCELERATOR))
    for name, datacenter in study.datacenters.items():
        if datacenter.electricity_activity is not None:
            links.append((f"datacenters.{name}.electricity_activity", datacenter.electricity_activity, ONE_KWH_AT_METER))
    return links


def linked_activities_table(study: Study) -> pd.DataFrame:
    """What each link of a (built) study resolved to: field, database, code, name, location, unit
    and the linked units per unit of the study's (the workbook's "Linked activities" sheet)."""
    rows = []
    for field, link, stands_for in study_links(study):
        found = resolve_link(link, field, stands_for, f"study {study.study.name!r}")
        rows.append((field, found.key[0], found.key[1], found.name, found.location, found.reference_product, found.unit,
                     stands_for[1], found.amount_per_unit))
    return pd.DataFrame(rows, columns=["field", "database", "code", "name", "location", "reference product", "unit",
                                       "stands for", "linked units per study unit"])
