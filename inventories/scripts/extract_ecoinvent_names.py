"""Extract the published ecoinvent activity names that the ecoinvent mapping needs.

Usage: python inventories/scripts/extract_ecoinvent_names.py

Reads the name tables shipped by ``randonneur_data`` (CC BY 4.0):

- ``simapro-ecoinvent-3.9.1-cutoff`` and ``simapro-ecoinvent-3.10-cutoff`` (PRé's SimaPro 9 to
  ecoinvent tables, wrangled by C. Mutel): ``replace[*].target`` = name, location, reference product
  of ecoinvent activities;
- ``ecoinvent-3.10.1-cutoff-ecoinvent-3.11-cutoff`` (ecoinvent's own 3.10.1 -> 3.11 migration,
  generated with ecoinvent_migrate): 3.11 = the 3.10 rows with its ``replace`` and ``disaggregate``
  entries applied;
- ``simapro-ecoinvent-3.5-{cutoff,apos,consequential}``: the 3.5 names of the three system models,
  the one release for which the tables give all three.

Keeps every activity named in raw/ecoinvent_gateways.csv (for 3.11: named after the migration), at
every location it has, and writes raw/ecoinvent_names.csv.gz: version, system_model, name,
reference_product, location. Needs pandas and randonneur_data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import randonneur_data

RAW = Path(__file__).resolve().parents[1] / "raw"
COLUMNS = ["version", "system_model", "name", "reference_product", "location"]
# (version, system model) -> randonneur_data datapackage of published names
NAME_TABLES = {
    ("3.9", "cutoff"): "simapro-ecoinvent-3.9.1-cutoff",
    ("3.10", "cutoff"): "simapro-ecoinvent-3.10-cutoff",
    ("3.5", "cutoff"): "simapro-ecoinvent-3.5-cutoff",
    ("3.5", "apos"): "simapro-ecoinvent-3.5-apos",
    ("3.5", "consequential"): "simapro-ecoinvent-3.5-consequential",
}
MIGRATION_3_11 = "ecoinvent-3.10.1-cutoff-ecoinvent-3.11-cutoff"
KEY = ["name", "reference_product", "location"]


def _names(registry: randonneur_data.Registry, label: str) -> pd.DataFrame:
    targets = [entry["target"] for entry in registry.get_file(label)["replace"]]
    frame = pd.DataFrame(targets).rename(columns={"reference product": "reference_product"})
    return frame[KEY].dropna().drop_duplicates()


def migration_pairs(registry: randonneur_data.Registry) -> pd.DataFrame:
    """(source name, reference product, location) -> target triple, from the 3.10.1 -> 3.11 migration.

    A disaggregated activity maps to each of its targets."""
    data = registry.get_file(MIGRATION_3_11)
    pairs = []
    for entry in data.get("replace", []):
        pairs.append((entry["source"], entry["target"]))
    for entry in data.get("disaggregate", []):
        pairs.extend((entry["source"], target) for target in entry["targets"])
    rows = [{**{f"source_{k}": s.get(field) for k, field in zip(KEY, ("name", "reference product", "location"))},
             **{k: t.get(field, s.get(field)) for k, field in zip(KEY, ("name", "reference product", "location"))}}
            for s, t in pairs]
    return pd.DataFrame(rows)


def migrate_to_3_11(frame: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """The 3.10 rows as ecoinvent 3.11 names them: migrated rows replaced by their targets."""
    source = [f"source_{k}" for k in KEY]
    merged = frame.merge(pairs, how="left", left_on=KEY, right_on=source, suffixes=("", "_new"))
    moved = merged["source_name"].notna()
    kept = merged.loc[~moved, KEY]
    replaced = merged.loc[moved, [f"{k}_new" for k in KEY]].set_axis(KEY, axis=1)
    return pd.concat([kept, replaced]).drop_duplicates()


def main() -> None:
    registry = randonneur_data.Registry()
    gateways = pd.read_csv(RAW / "ecoinvent_gateways.csv", keep_default_na=False)
    pairs = migration_pairs(registry)
    wanted = set(gateways["name"])
    # a gateway activity renamed in 3.11 is wanted under its new name too
    wanted_3_11 = wanted | set(pairs.loc[pairs["source_name"].isin(wanted), "name"])
    frames = []
    for (version, system_model), label in NAME_TABLES.items():
        names = _names(registry, label)
        frames.append(names[names["name"].isin(wanted)].assign(version=version, system_model=system_model))
        if version == "3.10":
            migrated = migrate_to_3_11(names[names["name"].isin(wanted)], pairs)
            frames.append(migrated[migrated["name"].isin(wanted_3_11)].assign(version="3.11", system_model="cutoff"))
    out = pd.concat(frames)[COLUMNS].sort_values(COLUMNS, key=lambda c: c.str.lower()).reset_index(drop=True)
    # mtime=0: the same rows give the same bytes, so a rerun leaves git clean
    out.to_csv(RAW / "ecoinvent_names.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})
    print(out.groupby(["version", "system_model"]).size().to_string())


if __name__ == "__main__":
    main()
