"""Extract yearly electricity mixes, zone names and cloud-region locations from Electricity Maps' public zone configuration.

Usage: python inventories/scripts/extract_electricitymaps.py CONFIG_DIR

CONFIG_DIR is the ``config`` folder of a checkout of the public electricitymaps-contrib repository
(zones/*.yaml, zone_names.json, data_centers/data_centers.json). Writes, under inventories/raw/:

- ``electricitymaps_mixes.csv.gz``: zone, year, category, share (fraction of the zone's yearly
  electricity by origin, from ``fallbackZoneMixes.powerOriginRatios``), years 2019-2024;
- ``electricitymaps_zones.csv``: zone, name, country (ISO 3166-1 alpha-2);
- ``cloud_regions.csv``: provider, region, zone, display_name, status, source.

Needs PyYAML and pandas.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import yaml

RAW = Path(__file__).resolve().parents[1] / "raw"
YEARS = range(2019, 2025)


def mixes(config: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((config / "zones").glob("*.yaml")):
        zone = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = (zone.get("fallbackZoneMixes") or {}).get("powerOriginRatios")
        if not isinstance(entries, list):  # undated single mixes carry no year: left out
            continue
        for entry in entries:
            year = int(str(entry["datetime"])[:4])
            if year not in YEARS:
                continue
            for category, share in entry["value"].items():
                rows.append((path.stem, year, category, float(share)))
    return pd.DataFrame(rows, columns=["zone", "year", "category", "share"])


def zones(config: Path, used: set[str]) -> pd.DataFrame:
    names = json.loads((config / "zone_names.json").read_text(encoding="utf-8"))["zoneShortName"]
    rows = []
    for zone in sorted(used):
        entry = names.get(zone, {})
        rows.append((zone, entry.get("zoneName", zone), zone.split("-")[0]))
    return pd.DataFrame(rows, columns=["zone", "name", "country"])


def cloud_regions(config: Path) -> pd.DataFrame:
    centers = json.loads((config / "data_centers" / "data_centers.json").read_text(encoding="utf-8"))
    rows = [
        (c["provider"], c["region"], c["zoneKey"], c.get("displayName", ""), c.get("status", ""), c.get("source", ""))
        for c in centers.values()
        if c["provider"] in ("aws", "gcp", "azure")
    ]
    frame = pd.DataFrame(rows, columns=["provider", "region", "zone", "display_name", "status", "source"])
    return frame.sort_values(["provider", "region"]).reset_index(drop=True)


def main(config_dir: str) -> None:
    config = Path(config_dir)
    mix = mixes(config)
    mix.to_csv(RAW / "electricitymaps_mixes.csv.gz", index=False, float_format="%.6g", compression={"method": "gzip", "mtime": 0})
    zones(config, set(mix["zone"])).to_csv(RAW / "electricitymaps_zones.csv", index=False)
    cloud_regions(config).to_csv(RAW / "cloud_regions.csv", index=False)


if __name__ == "__main__":
    main(sys.argv[1])
