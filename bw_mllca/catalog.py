"""The named things a study may refer to: grid regions, datacenter profiles, hardware models.

Read from inventories/regions.csv, datacenters.csv and hardware.csv (see inventories/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .data_files import inventories_dir
from .errors import InventoryDataError
from .tables import read_rows


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    location: str
    electricity_activity: str
    reference_kgco2e_per_kwh: float
    water_l_per_kwh: float | None
    source: str


@dataclass(frozen=True)
class DatacenterProfile:
    profile: str
    name: str
    pue: float
    wue_onsite_l_per_kwh: float | None
    source: str


@dataclass(frozen=True)
class HardwareModel:
    code: str
    name: str
    kind: str  # "accelerator" or "server"
    power_w: float
    accelerators_per_server: int | None
    default_lifespan_years: float
    manufacture_activity: str
    end_of_life_activity: str
    source: str


@dataclass(frozen=True)
class Catalog:
    regions: dict[str, Region]
    datacenters: dict[str, DatacenterProfile]
    hardware: dict[str, HardwareModel]


def _load(folder: Path) -> Catalog:
    regions = {}
    for row in read_rows(folder / "regions.csv"):
        region = Region(
            code=row.text("code"),
            name=row.text("name"),
            location=row.text("location"),
            electricity_activity=row.text("electricity_activity"),
            reference_kgco2e_per_kwh=row.number("reference_kgco2e_per_kwh"),
            water_l_per_kwh=row.number("water_l_per_kwh", required=False),
            source=row.text("source"),
        )
        regions[region.code] = region
    datacenters = {}
    for row in read_rows(folder / "datacenters.csv"):
        profile = DatacenterProfile(
            profile=row.text("profile"),
            name=row.text("name"),
            pue=row.number("pue"),
            wue_onsite_l_per_kwh=row.number("wue_onsite_l_per_kwh", required=False),
            source=row.text("source"),
        )
        datacenters[profile.profile] = profile
    hardware = {}
    for row in read_rows(folder / "hardware.csv"):
        kind = row.text("kind")
        if kind not in ("accelerator", "server"):
            raise InventoryDataError(f"{row.where}: kind = {kind!r}, expected 'accelerator' or 'server'")
        slots = row.number("accelerators_per_server", required=kind == "server")
        model = HardwareModel(
            code=row.text("code"),
            name=row.text("name"),
            kind=kind,
            power_w=row.number("power_w"),
            accelerators_per_server=int(slots) if slots else None,
            default_lifespan_years=row.number("default_lifespan_years"),
            manufacture_activity=row.text("manufacture_activity"),
            end_of_life_activity=row.text("end_of_life_activity"),
            source=row.text("source"),
        )
        hardware[model.code] = model
    return Catalog(regions=regions, datacenters=datacenters, hardware=hardware)


@lru_cache(maxsize=4)
def _cached(folder: str, stamp: tuple[float, ...]) -> Catalog:
    return _load(Path(folder))


def load_catalog(folder: Path | None = None) -> Catalog:
    """The catalog of ``folder`` (default: the shipped inventories), cached until a file changes."""
    folder = folder or inventories_dir()
    stamp = tuple(
        (folder / name).stat().st_mtime if (folder / name).exists() else 0.0
        for name in ("regions.csv", "datacenters.csv", "hardware.csv")
    )
    return _cached(str(folder), stamp)
