"""Yearly generation mixes of the catalog's regions, for a datacenter that names a year or a span.

The background holds each region's latest-year mix as an activity. Any other year, or a deployment
span (the yearly mixes averaged with equal weight: the datacenter draws power evenly over it), is
built in the study's own database from ``inventories/electricity_mixes.csv.gz``: the shares of the
background's technology activities, the region's grid losses and its AWARE factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..catalog import Region
from ..data_files import inventories_dir, methods_dir
from ..errors import InventoryDataError
from ..tables import read_rows

MIXES_FILE = "electricity_mixes.csv.gz"
TECHNOLOGIES_FILE = "electricity_technologies.csv"
WATER_METHOD_FILE = "water_consumption.csv"


@dataclass(frozen=True)
class GridMix:
    """Technology shares (background activity code -> fraction of generated kWh) over ``years``."""

    region: Region
    years: tuple[int, ...]
    shares: dict[str, float]

    @property
    def label(self) -> str:
        first, last = self.years[0], self.years[-1]
        return str(first) if first == last else f"{first}-{last}"

    def water_m3_per_kwh_generated(self, technology_water: dict[str, float]) -> float:
        return sum(share * technology_water.get(code, 0.0) for code, share in self.shares.items())


@lru_cache(maxsize=2)
def _mixes(folder: str) -> pd.DataFrame:
    path = Path(folder) / MIXES_FILE
    if not path.is_file():
        raise InventoryDataError(f"inventory table {path} is missing")
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def grid_mix(region: Region, first: int, last: int, folder: Path | None = None) -> GridMix:
    """The mean mix of ``region`` over the years from ``first`` to ``last`` that have data."""
    table = _mixes(str(folder or inventories_dir()))
    rows = table[(table["region"] == region.code) & (table["year"] >= first) & (table["year"] <= last)]
    years = tuple(sorted(int(y) for y in rows["year"].unique()))
    if not years:
        known = ", ".join(str(y) for y in region.years)
        raise InventoryDataError(f"region {region.code}: no mix for {first}-{last} (mixes for {known})")
    shares = rows.groupby("technology_activity")["share"].sum() / len(years)
    return GridMix(region, years, {code: float(v) for code, v in shares.items() if v > 0.0})


def consumptive_water_flows() -> frozenset[str]:
    """biosphere3 codes of the flows the consumptive water indicator counts (methods/water_consumption.csv)."""
    return frozenset(row.text("biosphere3_uuid") for row in read_rows(methods_dir() / WATER_METHOD_FILE))


@lru_cache(maxsize=2)
def _technology_water(folder: str) -> dict[str, float]:
    table = pd.read_csv(Path(folder) / TECHNOLOGIES_FILE, keep_default_na=False, na_values=[""])
    water = table[table["biosphere3_uuid"].isin(consumptive_water_flows())]
    return {code: float(v) for code, v in water.groupby("activity")["amount"].sum().items()}


def technology_water_m3_per_kwh(folder: Path | None = None) -> dict[str, float]:
    """Consumptive water (m3 per kWh generated) of each technology activity of the background."""
    return _technology_water(str(folder or inventories_dir()))
