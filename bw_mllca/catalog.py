"""The named things a study may refer to: grid regions, datacenter profiles, hardware models.

Read from inventories/regions.csv, region_aliases.csv, datacenters.csv and hardware.csv (see
inventories/README.md; regions.csv and region_aliases.csv are derived by inventories/scripts/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .data_files import inventories_dir
from .errors import InventoryDataError
from .tables import read_rows

REGION_KINDS = ("country", "subregion", "state", "zone")
HARDWARE_KINDS = ("accelerator", "cpu-server", "host-server", "storage", "network")
SERVER_KINDS = ("cpu-server", "host-server", "storage", "network")  # what a study's `server` may name
CATALOG_FILES = ("regions.csv", "region_aliases.csv", "water_scarcity_factors.csv", "datacenters.csv", "hardware.csv")


@dataclass(frozen=True)
class Region:
    """One electricity region: a country, an eGRID subregion or a sub-national grid zone."""

    code: str  # ISO 3166-1 alpha-2 for countries, e.g. "DE"; "US-SRVC"; zone codes such as "SE-SE3"
    name: str
    kind: str  # "country", "subregion" (eGRID), "state" (US state) or "zone"
    country: str  # ISO 3166-1 alpha-2 of the country the region lies in
    location: str  # Brightway location of its electricity activities (= code)
    electricity_activity: str  # background code: 1 kWh at the datacenter meter, latest year
    mix_activity: str  # background code: 1 kWh of the generation mix, latest year
    years: tuple[int, ...]  # years with a mix in electricity_mixes.csv.gz
    latest_year: int
    loss_fraction: float  # transmission and distribution losses, fraction of generated kWh
    aware_cf: float  # WULCA AWARE factor of the region's country, m3 world-eq per m3 consumed
    gwp100_kg_per_kwh: float  # IPCC 2021 GWP100 of 1 kWh at the meter, latest year (derived)
    water_l_per_kwh: float  # consumptive water of 1 kWh at the meter, latest year (derived)
    not_assessed: tuple[str, ...]  # categories with no characterized flow in the region's inventory
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
    """One catalog device (inventories/hardware.csv, derived by inventories/scripts/build_hardware.py)."""

    code: str
    name: str
    kind: str  # one of HARDWARE_KINDS
    power_w: float  # accelerator: TDP; server: non-accelerator draw (W)
    accelerators_per_server: int | None  # host servers: accelerator slots
    default_lifespan_years: float  # the device's own lifespan
    manufacture_activity: str
    end_of_life_activity: str
    source: str
    idle_w: float | None = None  # None: not published
    mass_kg: float | None = None
    aliases: tuple[str, ...] = ()

    @property
    def is_server(self) -> bool:
        return self.kind in SERVER_KINDS


@dataclass(frozen=True)
class Catalog:
    regions: dict[str, Region]  # by canonical code
    datacenters: dict[str, DatacenterProfile]
    hardware: dict[str, HardwareModel]  # by code and by alias (aliases map to the same model)
    region_aliases: dict[str, str] = field(default_factory=dict)  # alias -> canonical code
    aware_cf: dict[str, float] = field(default_factory=dict)  # country code or "GLO" -> m3 world-eq/m3

    def region(self, code: str) -> Region:
        """The region of a code or alias ("DE", "US-ERCT", "ERCT", "aws:us-east-1"); KeyError if unknown."""
        return self.regions[self.region_aliases.get(code, code)]

    def has_region(self, code: str) -> bool:
        return code in self.regions or code in self.region_aliases

    def region_codes(self) -> list[str]:
        """Every accepted region code: canonical codes, then aliases."""
        return [*self.regions, *self.region_aliases]


def _load(folder: Path) -> Catalog:
    regions = {}
    for row in read_rows(folder / "regions.csv"):
        years = tuple(int(y) for y in row.text("years").split("|"))
        region = Region(
            code=row.text("code"),
            name=row.text("name"),
            kind=row.text("kind"),
            country=row.text("country"),
            location=row.text("location"),
            electricity_activity=row.text("electricity_activity"),
            mix_activity=row.text("mix_activity"),
            years=years,
            latest_year=int(row.number("latest_year") or 0),
            loss_fraction=float(row.number("loss_fraction") or 0.0),
            aware_cf=float(row.number("aware_cf") or 0.0),
            gwp100_kg_per_kwh=float(row.number("gwp100_kg_per_kwh") or 0.0),
            water_l_per_kwh=float(row.number("water_l_per_kwh") or 0.0),
            not_assessed=tuple(c for c in row.text("not_assessed", required=False).split("|") if c),
            source=row.text("source"),
        )
        if region.kind not in REGION_KINDS:
            raise InventoryDataError(f"{row.where}: kind = {region.kind!r}, expected one of {REGION_KINDS}")
        regions[region.code] = region
    aliases = {}
    for row in read_rows(folder / "region_aliases.csv"):
        alias, code = row.text("alias"), row.text("code")
        if code not in regions:
            raise InventoryDataError(f"{row.where}: alias {alias!r} names region {code!r}, which regions.csv lacks")
        if alias in regions or alias in aliases:
            raise InventoryDataError(f"{row.where}: alias {alias!r} is already a region code or alias")
        aliases[alias] = code
    aware = {row.text("code"): float(row.number("aware_cf") or 0.0) for row in read_rows(folder / "water_scarcity_factors.csv")}
    if "GLO" not in aware:
        raise InventoryDataError("water_scarcity_factors.csv: no GLO (world average) row")
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
    hardware: dict[str, HardwareModel] = {}
    for row in read_rows(folder / "hardware.csv"):
        kind = row.text("kind")
        if kind not in HARDWARE_KINDS:
            raise InventoryDataError(f"{row.where}: kind = {kind!r}, expected one of {HARDWARE_KINDS}")
        slots = row.number("accelerators_per_server", required=kind == "host-server")
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
            idle_w=row.number("idle_w", required=False),
            mass_kg=row.number("mass_kg", required=False),
            aliases=tuple(a for a in row.text("aliases", required=False).split("|") if a),
        )
        for key in (model.code, *model.aliases):
            if key in hardware:
                raise InventoryDataError(f"{row.where}: hardware code or alias {key!r} appears twice")
            hardware[key] = model
    return Catalog(regions=regions, datacenters=datacenters, hardware=hardware, region_aliases=aliases,
                   aware_cf=aware)


@lru_cache(maxsize=4)
def _cached(folder: str, stamp: tuple[float, ...]) -> Catalog:
    return _load(Path(folder))


def load_catalog(folder: Path | None = None) -> Catalog:
    """The catalog of ``folder`` (default: the shipped inventories), cached until a file changes."""
    folder = folder or inventories_dir()
    stamp = tuple(
        (folder / name).stat().st_mtime if (folder / name).exists() else 0.0
        for name in CATALOG_FILES
    )
    return _cached(str(folder), stamp)
