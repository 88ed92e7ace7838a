"""The catalog as tables: what a study may name, with the figures that help choose.

``regions()`` is what ``bw-mllca regions`` prints. No Brightway project is needed.
"""

from __future__ import annotations

import pandas as pd

from .catalog import REGION_KINDS, load_catalog

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
