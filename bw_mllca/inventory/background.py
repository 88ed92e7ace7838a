"""The background database ``mllca background``, written from the CSV tables of inventories/.

Activities: electricity generation per technology (1 kWh net), each region's generation mix and
its electricity at the datacenter meter (1 kWh, after grid losses), hardware manufacture (1 unit)
and end of life (1 unit). Biosphere exchanges link by UUID to biosphere3 (and to bw_mllca's own
flows database for the AWARE-weighted water indicator); technosphere exchanges link inside the
background. Linking is strict: one unknown flow, input or a unit that disagrees stops setup.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import bw2data as bd

from ..data_files import inventories_dir
from ..errors import InventoryDataError
from ..ownership import fingerprint_of, mark
from .biosphere import BIOSPHERE, OWN_BIOSPHERE, OWN_FLOWS, flow_units
from ..tables import Row, read_rows
from .writer import write_owned_database

BACKGROUND = "mllca background"
ACTIVITY_TABLES = ("activities.csv", "electricity_activities.csv", "hardware_activities.csv")
# biosphere exchanges, linked to biosphere3 by UUID
EXCHANGE_TABLES = ("electricity_technologies.csv", "hardware_biosphere.csv")
# biosphere exchanges to bw_mllca's own flows (column flow_code)
OWN_FLOW_TABLES = ("electricity_water_scarcity.csv",)
# technosphere exchanges inside the background (column input: an activity code)
TECHNOSPHERE_TABLES = ("electricity_grid.csv", "hardware_technosphere.csv")
CATEGORIES = ("electricity", "electricity mix", "electricity generation", "manufacture", "end of life")


def background_files(folder: Path | None = None) -> list[Path]:
    folder = folder or inventories_dir()
    return sorted(folder.glob("*.csv"))


def required_flow_codes(folder: Path | None = None) -> set[str]:
    """The biosphere3 flow codes the background's exchanges name."""
    folder = folder or inventories_dir()
    return {
        row.text("biosphere3_uuid")
        for table in EXCHANGE_TABLES
        for row in read_rows(folder / table)
    }


def _uncertainty(row: Row, amount: float) -> dict[str, Any]:
    kind = row.number("uncertainty_type", required=False)
    if kind is None or int(kind) in (0, 1):
        return {}
    fields: dict[str, Any] = {"uncertainty type": int(kind)}
    for column, key in (("loc", "loc"), ("scale", "scale"), ("minimum", "minimum"), ("maximum", "maximum")):
        value = row.number(column, required=False)
        if value is not None:
            fields[key] = value
    if int(kind) == 2 and "scale" not in fields:
        raise InventoryDataError(f"{row.where}: lognormal uncertainty without a scale")
    # stats_arrays: a lognormal's loc is ln(amount); the others take the amount (mean or mode).
    fields.setdefault("loc", math.log(amount) if int(kind) == 2 else amount)
    return fields


def background_data(folder: Path | None = None, database: str = BACKGROUND) -> dict[tuple[str, str], dict]:
    """The background as a bw2data ``write`` dict; checks every flow against biosphere3."""
    folder = folder or inventories_dir()
    units = flow_units(BIOSPHERE)
    data: dict[tuple[str, str], dict] = {}
    for row in (r for table in ACTIVITY_TABLES for r in read_rows(folder / table)):
        code = row.text("code")
        category = row.text("category")
        if category not in CATEGORIES:
            raise InventoryDataError(f"{row.where}: category = {category!r}, expected one of {CATEGORIES}")
        if (database, code) in data:
            raise InventoryDataError(f"{row.where}: activity code {code!r} appears twice")
        data[(database, code)] = {
            "name": row.text("name"),
            "reference product": row.text("reference_product"),
            "unit": row.text("unit"),
            "location": row.text("location"),
            "type": "process",
            "mllca_category": category,
            "comment": f"Source: {row.text('source')}. {row.text('notes', required=False)}".strip(),
            "exchanges": [
                {"input": (database, code), "amount": 1.0, "type": "production"},
            ],
        }
    for table in EXCHANGE_TABLES:
        for row in read_rows(folder / table):
            key = _activity_key(data, row, database)
            uuid = row.text("biosphere3_uuid")
            flow = row.text("flow")
            if uuid not in units:
                raise InventoryDataError(
                    f"{row.where}: flow {flow!r} ({row.text('compartment')}, "
                    f"{row.text('subcompartment', required=False)}) UUID {uuid} is not in {BIOSPHERE}: unlinked"
                )
            unit = row.text("unit")
            if unit != units[uuid]:
                raise InventoryDataError(
                    f"{row.where}: flow {flow!r} unit = {unit!r}, but {BIOSPHERE} measures it in {units[uuid]!r}"
                )
            data[key]["exchanges"].append(_exchange(row, (BIOSPHERE, uuid), "biosphere"))
    for table in OWN_FLOW_TABLES:
        for row in read_rows(folder / table):
            key = _activity_key(data, row, database)
            code = row.text("flow_code")
            if code not in OWN_FLOWS:
                raise InventoryDataError(f"{row.where}: flow_code = {code!r} is not one of {OWN_BIOSPHERE}'s {sorted(OWN_FLOWS)}")
            if row.text("unit") != OWN_FLOWS[code]["unit"]:
                raise InventoryDataError(f"{row.where}: unit = {row.text('unit')!r}, but {code!r} is in {OWN_FLOWS[code]['unit']!r}")
            data[key]["exchanges"].append(_exchange(row, (OWN_BIOSPHERE, code), "biosphere"))
    for table in TECHNOSPHERE_TABLES:
        for row in read_rows(folder / table):
            key = _activity_key(data, row, database)
            source = (database, row.text("input"))
            if source not in data:
                raise InventoryDataError(f"{row.where}: input = {source[1]!r} is not a background activity")
            if row.text("unit") != data[source]["unit"]:
                raise InventoryDataError(f"{row.where}: unit = {row.text('unit')!r}, but {source[1]!r} is in {data[source]['unit']!r}")
            data[key]["exchanges"].append(_exchange(row, source, "technosphere"))
    return data


def _activity_key(data: dict, row: Row, database: str) -> tuple[str, str]:
    key = (database, row.text("activity"))
    if key not in data:
        raise InventoryDataError(f"{row.where}: activity = {key[1]!r} is not in {' or '.join(ACTIVITY_TABLES)}")
    return key


def _exchange(row: Row, source: tuple[str, str], kind: str) -> dict:
    amount = row.number("amount")
    assert amount is not None
    return {
        "input": source,
        "amount": amount,
        "type": kind,
        "comment": f"{row.text('source')} ({row.text('year')}). {row.text('notes', required=False)}".strip(),
        **_uncertainty(row, amount),
    }


def write_background(folder: Path | None = None, database: str = BACKGROUND) -> str:
    """Write the background if missing or stale. Returns "written" or "unchanged"."""
    folder = folder or inventories_dir()
    fingerprint = fingerprint_of(background_files(folder))
    return write_owned_database(
        database,
        lambda: background_data(folder, database),
        mark(fingerprint),
        description=(
            "bw_mllca public-data background: electricity generation per technology, generation mix and "
            "datacenter-meter electricity per region, hardware manufacture and end of life"
        ),
    )
