"""Extract per-country yearly generation by source from CodeCarbon's shipped energy-mix tables.

Usage: python inventories/scripts/extract_codecarbon.py WHEEL [WHEEL ...]

Each WHEEL is a CodeCarbon wheel (``pip download --no-deps codecarbon==VERSION``); its
``codecarbon/data/private_infra/global_energy_mix.json`` holds one year per country of Ember / Our
World in Data generation by source (TWh). Versions 2.0.0, 2.3.4 and 3.3.2 carry data years
2018-2020, 2021 and 2021-2023. Writes inventories/raw/codecarbon_mixes.csv:
country (ISO 3166-1 alpha-2), year, category, twh, codecarbon_version. Where two versions give the
same country and year, the newer release wins. Needs pandas and pycountry.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pycountry

RAW = Path(__file__).resolve().parents[1] / "raw"
MEMBER = "codecarbon/data/private_infra/global_energy_mix.json"
# CodeCarbon field -> category (the Electricity Maps names used throughout inventories/raw)
FIELDS = {
    "coal_TWh": "coal",
    "gas_TWh": "gas",
    "oil_TWh": "oil",
    "nuclear_TWh": "nuclear",
    "hydroelectricity_TWh": "hydro",
    "wind_TWh": "wind",
    "solar_TWh": "solar",
    "biofuel_TWh": "biomass",
    "other_renewable_exc_biofuel_TWh": "geothermal",  # geothermal, tide and wave: geothermal stands in
}


def _alpha2(iso3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=iso3)
    return country.alpha_2 if country else None


def rows_of(wheel: Path) -> list[tuple]:
    version = re.search(r"codecarbon-([\d.]+)-", wheel.name).group(1)  # type: ignore[union-attr]
    with zipfile.ZipFile(wheel) as archive:
        table = json.loads(archive.read(MEMBER))
    rows = []
    for iso3, entry in table.items():
        alpha2 = _alpha2(iso3)
        if alpha2 is None or entry.get("total_TWh") in (None, 0):
            continue
        for field, category in FIELDS.items():
            rows.append((alpha2, int(entry["year"]), category, float(entry.get(field) or 0.0), version))
    return rows


def main(wheels: list[str]) -> None:
    frame = pd.DataFrame([r for w in wheels for r in rows_of(Path(w))],
                         columns=["country", "year", "category", "twh", "codecarbon_version"])
    frame["_v"] = frame["codecarbon_version"].map(lambda v: tuple(int(p) for p in v.split(".")))
    frame = frame.sort_values("_v").drop_duplicates(["country", "year", "category"], keep="last")
    frame = frame.drop(columns="_v").sort_values(["country", "year", "category"])
    frame.to_csv(RAW / "codecarbon_mixes.csv", index=False, float_format="%.6g")


if __name__ == "__main__":
    main(sys.argv[1:])
