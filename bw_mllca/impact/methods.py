"""LCIA method registration: bw2io's bundled ecoinvent 3.9 LCIA file and the project's own tables.

Why not ``bw2io.create_default_lcia_methods()``: with bw2data 4.8 it fails, because the bundled
``data.json`` names each flow as a *list* ``["biosphere3", uuid]`` and bw2data wants a tuple key (or
an id). We read the bundled file ourselves and resolve every flow code to its node id with one
query (``flow_ids``), instead of one ``get_node`` per characterization factor.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import bw2data as bd
import msgspec

from ..data_files import methods_dir
from ..errors import InventoryDataError
from ..inventory.biosphere import BIOSPHERE, flow_ids
from ..faults import kill_point
from ..ownership import INCOMPLETE, MARK, fingerprint_of, mark, owner_mark

# Method families registered from the bundled file by default.
DEFAULT_FAMILIES: tuple[str, ...] = ("TRACI v2.1", "EF v3.1", "IPCC 2021")

TRACI: tuple[tuple[str, str, str], ...] = (
    ("TRACI v2.1", "acidification", "acidification potential (AP)"),
    ("TRACI v2.1", "climate change", "global warming potential (GWP100)"),
    ("TRACI v2.1", "ecotoxicity: freshwater", "ecotoxicity: freshwater"),
    ("TRACI v2.1", "eutrophication", "eutrophication potential"),
    ("TRACI v2.1", "human toxicity: carcinogenic", "human toxicity: carcinogenic"),
    ("TRACI v2.1", "human toxicity: non-carcinogenic", "human toxicity: non-carcinogenic"),
    ("TRACI v2.1", "ozone depletion", "ozone depletion potential (ODP)"),
    ("TRACI v2.1", "particulate matter formation", "particulate matter formation potential (PMFP)"),
    ("TRACI v2.1", "photochemical oxidant formation", "maximum incremental reactivity (MIR)"),
)
TRACI_GWP100 = TRACI[1]


@dataclass(frozen=True)
class MethodTable:
    """One LCIA method: name, unit, and factors as (flow code, factor)."""

    name: tuple[str, ...]
    unit: str
    description: str
    factors: tuple[tuple[str, float], ...]
    source: str = ""
    flow_database: str = BIOSPHERE  # the database the flow codes belong to


@dataclass
class MethodReport:
    written: list[tuple[str, ...]] = field(default_factory=list)
    unchanged: list[tuple[str, ...]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def bundled_lcia_path() -> Path:
    import bw2io

    return Path(bw2io.__file__).resolve().parent / "data" / "lcia" / "lcia_39_ecoinvent.zip"


class _BundledFactor(msgspec.Struct):
    input: list[str]  # [database, flow code]
    amount: float


class _BundledMethod(msgspec.Struct):
    """The fields bw_mllca reads of one method in bw2io's bundled ``data.json`` (others are skipped)."""

    name: list[str]
    exchanges: list[_BundledFactor]
    unit: str = ""
    description: str = ""


@lru_cache(maxsize=1)
def _bundled_raw() -> tuple[_BundledMethod, ...]:
    # The file is 41 MB of JSON; a typed msgspec decode reads it in about a third of json's time,
    # most of a cold setup's parsing cost.
    with zipfile.ZipFile(bundled_lcia_path()) as archive:
        return tuple(msgspec.json.decode(archive.read("data.json"), type=list[_BundledMethod]))


def bundled_methods(families: Sequence[str] = DEFAULT_FAMILIES) -> list[MethodTable]:
    """The bundled methods whose first name element is in ``families``."""
    tables = []
    for raw in _bundled_raw():
        if raw.name[0] not in families:
            continue
        factors = tuple((exc.input[1], float(exc.amount)) for exc in raw.exchanges if exc.input[0] == BIOSPHERE)
        tables.append(
            MethodTable(
                name=tuple(raw.name),
                unit=raw.unit,
                description=raw.description,
                factors=factors,
                source=f"bw2io {bundled_lcia_path().name} (ecoinvent 3.9 LCIA implementation)",
            )
        )
    return tables


def project_methods(folder: Path | None = None) -> list[MethodTable]:
    """The project's own methods from ``methods/*.csv``.

    Columns: method (names joined by ' | '), unit, flow, compartment, subcompartment,
    biosphere3_uuid, factor, source, notes.
    """
    folder = folder or methods_dir()
    grouped: dict[tuple[str, ...], dict] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for line_no, row in enumerate(csv.DictReader(handle), start=2):
                where = f"{path.name} line {line_no}"
                for column in ("method", "unit", "biosphere3_uuid", "factor", "source"):
                    if not (row.get(column) or "").strip():
                        raise InventoryDataError(f"{where}: column {column!r} is empty")
                try:
                    factor = float(row["factor"])
                except ValueError:
                    raise InventoryDataError(f"{where}: factor = {row['factor']!r} is not a number")
                name = tuple(part.strip() for part in row["method"].split("|"))
                database = (row.get("database") or "").strip() or BIOSPHERE
                entry = grouped.setdefault(
                    name, {"unit": row["unit"], "factors": [], "sources": set(), "database": database}
                )
                if database != entry["database"]:
                    raise InventoryDataError(f"{where}: database = {database!r}; method {name!r} takes its flows from {entry['database']!r}")
                entry["factors"].append((row["biosphere3_uuid"].strip(), factor))
                entry["sources"].add(row["source"].strip())
    return [
        MethodTable(
            name=name,
            unit=entry["unit"],
            description="bw_mllca method; sources: " + "; ".join(sorted(entry["sources"])),
            factors=tuple(entry["factors"]),
            source="; ".join(sorted(entry["sources"])),
            flow_database=entry["database"],
        )
        for name, entry in grouped.items()
    ]


class _ResolvedMethod(bd.Method):
    """A method whose flows are already node ids, resolved for every factor in one query
    (``flow_ids``). bw2data's ``process_row`` looks each id up again in SQLite, one query per
    characterization factor: 20,000 queries, most of a cold setup's time."""

    def process_row(self, row):
        from bw2data import config, geomapping
        from bw2data.utils import as_uncertainty_dict

        return {**as_uncertainty_dict(row[1]), "row": row[0], "col": geomapping[config.global_location]}


def required_flow_codes(tables: Iterable[MethodTable]) -> set[str]:
    """The biosphere3 flow codes the methods characterize."""
    return {code for table in tables if table.flow_database == BIOSPHERE for code, _ in table.factors}


def register_methods(tables: Iterable[MethodTable]) -> MethodReport:
    """Write each method unless an identical one of ours is there; never touch a user's method.

    A user's method of the same name is compared with ours: identical factors are reported as
    unchanged, different ones as a conflict (the user's method is kept and used).
    """
    report = MethodReport()
    ids_of: dict[str, dict[str, int]] = {}
    for table in tables:
        if table.flow_database not in ids_of:
            ids_of[table.flow_database] = flow_ids(table.flow_database)
        ids = ids_of[table.flow_database]
        resolved = [(ids[code], amount) for code, amount in table.factors if code in ids]
        missing = len(table.factors) - len(resolved)
        fingerprint = fingerprint_of([table.name, table.unit, sorted(resolved)])
        if table.name in bd.methods:
            existing = bd.methods[table.name]
            ours = owner_mark(existing)
            if ours and ours.get("fingerprint") == fingerprint and ours.get("factors", len(resolved)) == len(resolved):
                report.unchanged.append(table.name)
                continue
            if not ours:
                theirs = sorted((row[0], float(row[1])) for row in bd.Method(table.name).load())
                if theirs == sorted(resolved):
                    report.unchanged.append(table.name)
                else:
                    report.conflicts.append(
                        f"method {table.name!r} exists with {len(theirs)} factors that differ from "
                        f"bw_mllca's ({len(resolved)}); the user's method was kept and will be used"
                    )
                continue
        if missing:
            report.conflicts.append(f"method {table.name!r}: {missing} factor(s) name flows absent from {table.flow_database}")
        method = _ResolvedMethod(table.name)
        # Marked incomplete until factors and datapackage are written: a set-up killed in between
        # leaves a method the next set-up rewrites (and a calculation refuses), never one that
        # looks complete with an empty datapackage.
        fields = {"unit": table.unit, "description": table.description, "filename": table.source, MARK: mark(INCOMPLETE)}
        if table.name in bd.methods:  # bw2data's register() keeps an existing entry as it is
            bd.methods[table.name] = {**bd.methods[table.name], **fields}
        else:
            method.register(**fields)
        kill_point("setup:method-registered")
        method.write(resolved)
        kill_point("setup:method-written")
        metadata = bd.methods[table.name]
        metadata[MARK] = mark(fingerprint, factors=len(resolved))
        bd.methods[table.name] = metadata
        report.written.append(table.name)
    return report
