"""The catalog as tables: what a study may name, with the figures that help choose.

``regions()`` is what ``bw-mllca regions`` prints, ``hardware()`` what ``bw-mllca hardware`` prints.
No Brightway project is needed.
"""

from __future__ import annotations

import pandas as pd

import csv

from .catalog import HARDWARE_KINDS, REGION_KINDS, load_catalog
from .data_files import inventories_dir

REGION_COLUMNS = [
    "code", "name", "kind", "country", "years", "latest_year", "gwp_kg_per_kwh", "water_l_per_kwh",
    "aware_cf", "loss_fraction", "not_assessed", "aliases", "source",
]


def regions(kind: str | None = None) -> pd.DataFrame:
    """Every grid region (or those of one ``kind``: country, subregion, zone), one row each.

    ``gwp_kg_per_kwh``: IPCC 2021 GWP100 of 1 kWh delivered at the datacenter meter in the latest
    year (kg CO2-eq); ``water_l_per_kwh``: consumptive water of generation per kWh at the meter;
    ``aware_cf``: the WULCA AWARE factor applied to it; ``loss_fraction``: grid losses;
    ``not_assessed``: categories the region's inventory has no characterized flow for;
    ``aliases``: other codes a study may use for it (eGRID acronyms, cloud regions).
    """
    if kind is not None and kind not in REGION_KINDS:
        raise ValueError(f"kind = {kind!r}: expected one of {', '.join(REGION_KINDS)}")
    catalog = load_catalog()
    aliases: dict[str, list[str]] = {}
    for alias, code in catalog.region_aliases.items():
        aliases.setdefault(code, []).append(alias)
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "country": r.country,
            "years": " ".join(str(y) for y in r.years),
            "latest_year": r.latest_year,
            "gwp_kg_per_kwh": r.gwp100_kg_per_kwh,
            "water_l_per_kwh": r.water_l_per_kwh,
            "aware_cf": r.aware_cf,
            "loss_fraction": r.loss_fraction,
            "not_assessed": "; ".join(r.not_assessed),
            "aliases": " ".join(sorted(aliases.get(r.code, []))),
            "source": r.source,
        }
        for r in catalog.regions.values()
        if kind is None or r.kind == kind
    ]
    return pd.DataFrame(rows, columns=REGION_COLUMNS)


HARDWARE_COLUMNS = [
    "code", "kind", "name", "lifespan_years", "tdp_w", "idle_w", "mass_kg", "accelerators_per_server", "gwp_kg",
    "memory", "dies", "aliases", "manufacture_activity", "end_of_life_activity", "source",
]


def hardware(kind: str | None = None) -> pd.DataFrame:
    """Every catalog device (or those of one ``kind``: accelerator, cpu-server, host-server, storage, network).

    ``lifespan_years``: the device's own default lifespan; ``tdp_w``: TDP (accelerators) or the
    non-accelerator draw (servers), W; ``idle_w``: blank where not published; ``gwp_kg``: IPCC 2021
    GWP100 of manufacturing one unit (cradle to gate plus transport, end of life excluded), kg
    CO2-eq, as computed by inventories/scripts/build_hardware.py from the background inventory.
    """
    if kind is not None and kind not in HARDWARE_KINDS:
        raise ValueError(f"kind = {kind!r}: expected one of {', '.join(HARDWARE_KINDS)}")
    catalog = load_catalog()
    with open(inventories_dir() / "hardware.csv", newline="", encoding="utf-8") as handle:
        extra = {row["code"]: row for row in csv.DictReader(handle)}
    rows = []
    for code, model in catalog.hardware.items():
        if code != model.code or (kind is not None and model.kind != kind):
            continue  # aliases are listed with their device
        row = extra.get(code, {})
        rows.append({
            "code": code,
            "kind": model.kind,
            "name": model.name,
            "lifespan_years": model.default_lifespan_years,
            "tdp_w": model.power_w,
            "idle_w": model.idle_w,
            "mass_kg": model.mass_kg,
            "accelerators_per_server": model.accelerators_per_server,
            "gwp_kg": float(row["gwp_kg"]) if row.get("gwp_kg") else None,
            "memory": row.get("memory", ""),
            "dies": row.get("dies", ""),
            "aliases": " ".join(model.aliases),
            "manufacture_activity": model.manufacture_activity,
            "end_of_life_activity": model.end_of_life_activity,
            "source": model.source,
        })
    return pd.DataFrame(rows, columns=HARDWARE_COLUMNS)
