"""The background database ``mllca background``, written from the CSV tables of inventories/.

Activities: electricity per region (1 kWh at the datacenter meter), hardware manufacture (1 unit)
and end of life (1 unit). Every exchange is a biosphere exchange linked by UUID to biosphere3;
linking is strict: one unknown UUID or a unit that disagrees with biosphere3 stops setup.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import bw2data as bd

from ..data_files import inventories_dir
from ..errors import InventoryDataError
from ..ownership import fingerprint_of, mark
from .biosphere import BIOSPHERE, flow_units
from ..tables import Row, read_rows
from .writer import write_owned_database

BACKGROUND = "mllca background"
EXCHANGE_TABLES = ("electricity.csv", "hardware_manufacture.csv", "end_of_life.csv")
CATEGORIES = ("electricity", "manufacture", "end of life")


def background_files(folder: Path | None = None) -> list[Path]:
    folder = folder or inventories_dir()
    return sorted(folder.glob("*.csv"))


def required_flow_codes(folder: Path | None = None) -> set[str]:
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
    for row in read_rows(folder / "activities.csv"):
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
            key = (database, row.text("activity"))
            if key not in data:
                raise InventoryDataError(f"{row.where}: activity = {key[1]!r} is not in activities.csv")
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
            amount = row.number("amount")
            for column in ("source", "year"):
                row.text(column)
            data[key]["exchanges"].append(
                {
                    "input": (BIOSPHERE, uuid),
                    "amount": amount,
                    "type": "biosphere",
                    "comment": f"{row.text('source')} ({row.text('year')}). {row.text('notes', required=False)}".strip(),
                    **_uncertainty(row, amount),
                }
            )
    return data


def write_background(folder: Path | None = None, database: str = BACKGROUND) -> str:
    """Write the background if missing or stale. Returns "written" or "unchanged"."""
    folder = folder or inventories_dir()
    fingerprint = fingerprint_of(background_files(folder))
    return write_owned_database(
        database,
        lambda: background_data(folder, database),
        mark(fingerprint),
        description="bw_mllca public-data background: electricity per region, hardware manufacture and end of life",
    )
