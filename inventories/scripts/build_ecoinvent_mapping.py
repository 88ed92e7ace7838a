"""Build the ecoinvent mapping tables from the hand-written rows and the published names.

Usage: python inventories/scripts/build_ecoinvent_mapping.py

Reads raw/ecoinvent_gateways.csv (one row per gateway part, named as in ecoinvent 3.10),
raw/ecoinvent_names.csv.gz (written by extract_ecoinvent_names.py), raw/ecoinvent_region_locations.csv
(rules), raw/ecoinvent_group_locations.csv (countries' continental group) and regions.csv, and writes:

- ecoinvent_mapping.csv: one row per gateway part x version (3.9, 3.10, 3.11) x system model
  (cutoff, apos, consequential), written only where that version's published names have the activity
  (a fixed-location part at its location; a region-resolved alternative at any location). 3.11 rows
  carry the names of ecoinvent's 3.10.1 -> 3.11 migration. APOS rows follow cut-off where the 3.5
  APOS and cut-off tables agree on the activity; consequential rows only where the 3.5 consequential
  table has it, and a gateway with parts keeps all of them or none (a partial transport would
  under-count silently).
- ecoinvent_locations.csv: for every catalog region, its ecoinvent subregion, country and group
  locations and the chain of locations to try (subregion, country, group, GLO). The group is the
  continental location that both the electricity market group and the tap-water market have,
  'Europe without Switzerland' for a European country (raw/ecoinvent_group_locations.csv); other
  continents have no location common to both, and go from the country to GLO.

Fails, naming the row, if a hand-written row is not in the published cut-off names of 3.9, 3.10 or
3.11, or a rule names an ecoinvent location that no published table has. Needs pandas and
randonneur_data (for the 3.11 migration).
"""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

import pandas as pd
import randonneur_data

from extract_ecoinvent_names import migration_pairs

INVENTORIES = Path(__file__).resolve().parents[1]
RAW = INVENTORIES / "raw"
VERSIONS = ("3.9", "3.10", "3.11")
SYSTEM_MODELS = ("cutoff", "apos", "consequential")
REGION = "{region}"
ELECTRICITY = "electricity"
NAME_SOURCES = {
    "3.9": "PRé / C. Mutel, SimaPro 9 to ecoinvent 3.9.1 cut-off activity table (randonneur_data 0.7.2: "
           "simapro-ecoinvent-3.9.1-cutoff; CC BY 4.0)",
    "3.10": "PRé / C. Mutel, SimaPro 9 to ecoinvent 3.10 cut-off activity table (randonneur_data 0.7.2: "
            "simapro-ecoinvent-3.10-cutoff; CC BY 4.0)",
    "3.11": "PRé / C. Mutel, SimaPro 9 to ecoinvent 3.10 cut-off activity table with ecoinvent's 3.10.1 -> 3.11 "
            "cut-off migration applied (randonneur_data 0.7.2: simapro-ecoinvent-3.10-cutoff, "
            "ecoinvent-3.10.1-cutoff-ecoinvent-3.11-cutoff, generated with ecoinvent_migrate 0.6.1; CC BY 4.0)",
}
SYSTEM_MODEL_SOURCE = ("; system model checked on PRé / C. Mutel, SimaPro 9 to ecoinvent 3.5 {model} and cut-off "
                       "activity tables (randonneur_data 0.7.2: simapro-ecoinvent-3.5-{model}, simapro-ecoinvent-3.5-cutoff)")


class MappingBuildError(Exception):
    pass


def _read(path: Path) -> pd.DataFrame:
    # keep_default_na=False: "NA" is Namibia, not a missing value
    return pd.read_csv(path, keep_default_na=False, dtype=str)


def _has(names: pd.DataFrame, name: str, reference_product: str, location: str) -> bool:
    hit = (names["name"] == name) & (names["reference_product"] == reference_product)
    if location != REGION:
        hit &= names["location"] == location
    return bool(hit.any())


def _as_in_3_11(row: pd.Series, pairs: pd.DataFrame) -> tuple[str, str]:
    """The row's (name, reference product) after ecoinvent's 3.10.1 -> 3.11 migration."""
    moved = pairs[(pairs["source_name"] == row["name"]) & (pairs["source_reference_product"] == row["reference_product"])]
    if row["location"] != REGION:
        moved = moved[moved["source_location"] == row["location"]]
    targets = set(zip(moved["name"], moved["reference_product"]))
    if len(targets) > 1:
        raise MappingBuildError(f"{row['gateway']}: {row['name']!r} moves to several 3.11 activities: {sorted(targets)}")
    return targets.pop() if targets else (row["name"], row["reference_product"])


def mapping_table(gateways: pd.DataFrame, names: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    by_release = {key: frame for key, frame in names.groupby(["version", "system_model"])}
    out = []
    for line, row in enumerate(gateways.to_dict("records"), start=2):
        row = pd.Series(row)
        in_3_5 = {model: _has(by_release[("3.5", model)], row["name"], row["reference_product"], row["location"])
                  for model in SYSTEM_MODELS}
        for version in VERSIONS:
            name, product = _as_in_3_11(row, pairs) if version == "3.11" else (row["name"], row["reference_product"])
            if not _has(by_release[(version, "cutoff")], name, product, row["location"]):
                raise MappingBuildError(
                    f"ecoinvent_gateways.csv line {line}: {name!r} ({product!r}) at {row['location']!r} is not in "
                    f"the published ecoinvent {version} cut-off names")
            for model in SYSTEM_MODELS:
                notes = [row["notes"]] if row["notes"] else []
                source = NAME_SOURCES[version]
                if model == "apos":
                    if in_3_5["apos"] != in_3_5["cutoff"]:
                        continue  # APOS and cut-off disagree on this activity: not mapped for APOS
                    notes.append("APOS: same activity name as cut-off (checked: "
                                 + ("in both the 3.5 APOS and cut-off tables)" if in_3_5["apos"] else
                                    "in neither 3.5 table, named after 3.5; APOS follows cut-off)"))
                    source += SYSTEM_MODEL_SOURCE.format(model="apos")
                elif model == "consequential":
                    if not in_3_5["consequential"]:
                        continue
                    notes.append("consequential: the activity is in the 3.5 consequential table")
                    source += SYSTEM_MODEL_SOURCE.format(model="consequential")
                if version == "3.11" and (name, product) != (row["name"], row["reference_product"]):
                    notes.append(f"3.11 renames it (3.10: {row['name']!r}, product {row['reference_product']!r})")
                out.append({**row.to_dict(), "name": name, "reference_product": product, "version": version,
                            "system_model": model, "source": source, "notes": "; ".join(notes)})
    table = pd.DataFrame(out)
    # a gateway made of parts is mapped whole or not at all
    parts = table[table["role"] == "part"]
    expected = gateways[gateways["role"] == "part"].groupby("gateway").size()
    found = parts.groupby(["gateway", "version", "system_model"]).size()
    partial = {key for key, count in found.items() if count != expected[key[0]]}
    keep = ~table.set_index(["gateway", "version", "system_model"]).index.isin(list(partial))
    return table[keep].reset_index(drop=True)


def _rule_for(code: str, rules: pd.DataFrame) -> pd.Series | None:
    exact = rules[rules["match"] == code]
    if len(exact):
        return exact.iloc[0]
    for _, rule in rules.iterrows():
        if "*" in rule["match"] and fnmatch.fnmatchcase(code, rule["match"]):
            return rule
    return None


def locations_table(regions: pd.DataFrame, rules: pd.DataFrame, names: pd.DataFrame,
                    gateways: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    electricity = set(gateways.loc[gateways["gateway"] == ELECTRICITY, "name"])
    published = names[names["version"].isin(VERSIONS) & names["name"].isin(electricity)]
    grid_locations = set(published["location"])
    unused = set(rules["match"])
    group_of = dict(zip(groups["country"], groups["group_location"]))
    for location in set(group_of.values()):
        for gateway in gateways["gateway"][gateways["role"] == "alternative"].unique():
            names_of = set(gateways.loc[gateways["gateway"] == gateway, "name"])
            found = names[names["version"].isin(VERSIONS) & names["name"].isin(names_of)]
            if location not in set(found["location"]):
                raise MappingBuildError(f"ecoinvent_group_locations.csv: {location!r} has no published {gateway} market")
    rows = []
    for region in regions.to_dict("records"):
        code = region["code"]
        rule = _rule_for(code, rules)
        subregion = ""
        notes = []
        if rule is not None:
            unused.discard(rule["match"])
            subregion = rule["subregion_location"]
            if subregion not in grid_locations:
                raise MappingBuildError(f"ecoinvent_region_locations.csv: {rule['match']!r} -> {subregion!r}, "
                                        "which no published ecoinvent 3.9-3.11 electricity market has")
            notes.append(f"{rule['notes']} ({rule['source']})")
        elif region["kind"] != "country":
            notes.append(f"no ecoinvent grid for this {region['kind']}: its country {region['country']}")
        country = region["country"]
        if country not in grid_locations:
            notes.append(f"{country} has no ecoinvent 3.9-3.11 electricity market: falls to GLO there; kept for "
                         "databases that have it (e.g. premise)")
        group = group_of.get(country, "")
        chain = list(dict.fromkeys(step for step in (subregion, country, group, "GLO") if step))
        rows.append({"code": code, "subregion_location": subregion, "country_location": country,
                     "group_location": group, "chain": "|".join(chain), "notes": "; ".join(notes)})
    if unused:
        raise MappingBuildError(f"ecoinvent_region_locations.csv: rules match no catalog region: {sorted(unused)}")
    return pd.DataFrame(rows)


def main() -> None:
    gateways = _read(RAW / "ecoinvent_gateways.csv")
    names = _read(RAW / "ecoinvent_names.csv.gz")
    pairs = migration_pairs(randonneur_data.Registry())
    mapping = mapping_table(gateways, names, pairs)
    columns = [*gateways.columns, "version", "system_model"]
    mapping[columns].to_csv(INVENTORIES / "ecoinvent_mapping.csv", index=False)
    locations = locations_table(_read(INVENTORIES / "regions.csv"), _read(RAW / "ecoinvent_region_locations.csv"),
                                names, gateways, _read(RAW / "ecoinvent_group_locations.csv"))
    locations.to_csv(INVENTORIES / "ecoinvent_locations.csv", index=False)
    print(mapping.groupby(["version", "system_model"]).size().to_string())
    unmapped = {(g, m) for g in gateways["gateway"] for m in SYSTEM_MODELS
                if not ((mapping["gateway"] == g) & (mapping["system_model"] == m)).any()}
    print("not mapped:", sorted(unmapped))
    print(len(locations), "regions")


if __name__ == "__main__":
    try:
        main()
    except MappingBuildError as error:
        sys.exit(f"build_ecoinvent_mapping: {error}")
