"""Checks of the public-data CSVs in inventories/ (no Brightway project needed).

Reads only the CSV files and bw2io's bundled biosphere3 flow list.
"""

from __future__ import annotations

import csv
import importlib.util
import math
from functools import lru_cache
from pathlib import Path

import pytest

INVENTORIES = Path(__file__).resolve().parents[1] / "inventories"
# biosphere exchange tables (flows linked to biosphere3 by UUID)
EXCHANGE_FILES = ("electricity_technologies.csv", "hardware_biosphere.csv")
ACTIVITY_FILES = ("electricity_activities.csv", "hardware_activities.csv")  # activities.csv: none at present
def read(name: str) -> list[dict[str, str]]:
    with open(INVENTORIES / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def biosphere_flows() -> dict[str, dict]:
    from bw2io.importers import Ecospold2BiosphereImporter

    importer = Ecospold2BiosphereImporter()
    importer.apply_strategies()  # normalizes units ('kg' -> 'kilogram') as Brightway writes them
    return {flow["code"]: flow for flow in importer.data}


def all_exchanges() -> list[tuple[str, dict[str, str]]]:
    return [(name, row) for name in EXCHANGE_FILES for row in read(name)]


ALL_FILES = EXCHANGE_FILES + ACTIVITY_FILES + (
    "electricity_grid.csv", "electricity_water_scarcity.csv", "regions.csv", "region_aliases.csv",
    "water_scarcity_factors.csv", "hardware.csv", "datacenters.csv")


def activities() -> list[dict[str, str]]:
    return [row for name in ACTIVITY_FILES for row in read(name)]


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_row_cites_source_and_year(name):
    rows = read(name)
    assert rows, f"{name} is empty"
    for row in rows:
        assert row["source"].strip(), f"{name}: empty source in {row}"
        if "year" in row:
            assert row["year"].strip().isdigit(), f"{name}: bad year {row['year']!r}"
        if "unit" in row:
            assert row["unit"].strip(), f"{name}: empty unit in {row}"


def test_biosphere_flows_exist_with_same_name_categories_unit():
    flows = biosphere_flows()
    for name, row in all_exchanges():
        uuid = row["biosphere3_uuid"]
        assert uuid in flows, f"{name}: unknown biosphere3 uuid {uuid} ({row['flow']})"
        flow = flows[uuid]
        categories = tuple(c for c in (row["compartment"], row["subcompartment"]) if c)
        assert flow["name"] == row["flow"], f"{name}: {uuid} is {flow['name']!r}, not {row['flow']!r}"
        assert tuple(flow["categories"]) == categories, f"{name}: {row['flow']} categories {categories} != {flow['categories']}"
        assert flow["unit"] == row["unit"], f"{name}: {row['flow']} unit {row['unit']!r} != {flow['unit']!r}"


def test_referenced_activities_exist():
    codes = [row["code"] for row in activities()]
    assert len(codes) == len(set(codes)), "duplicate activity codes"
    known = set(codes)
    for name, row in all_exchanges():
        assert row["activity"] in known, f"{name}: activity {row['activity']!r} not in the activity tables"
    for row in read("electricity_grid.csv"):
        assert row["activity"] in known and row["input"] in known, f"electricity_grid.csv: {row['activity']} <- {row['input']}"
    for row in read("regions.csv"):
        assert row["electricity_activity"] in known, f"regions.csv: {row['electricity_activity']!r} unknown"
        assert row["mix_activity"] in known, f"regions.csv: {row['mix_activity']!r} unknown"
    for row in read("hardware.csv"):
        for field in ("manufacture_activity", "end_of_life_activity"):
            assert row[field] in known, f"hardware.csv: {field} {row[field]!r} unknown"


def test_activity_categories_match_their_tables():
    category = {row["code"]: row["category"] for row in activities()}
    expected = {"electricity_technologies.csv": ("electricity generation",), "hardware_biosphere.csv": ("manufacture", "end of life")}
    for name, row in all_exchanges():
        assert category[row["activity"]] in expected[name], f"{name}: {row['activity']} has category {category[row['activity']]!r}"
    for row in read("electricity_grid.csv"):
        pair = (category[row["activity"]], category[row["input"]])
        assert pair in {("electricity mix", "electricity generation"), ("electricity", "electricity mix")}, f"electricity_grid.csv: {pair}"


def test_amounts_positive_and_finite():
    for name, row in all_exchanges():
        amount = float(row["amount"])
        assert math.isfinite(amount) and amount > 0, f"{name}: {row['activity']} {row['flow']} amount {amount}"


def test_uncertainty_parameters_consistent():
    for name, row in all_exchanges() + [("electricity_grid.csv", {**r, "flow": r["input"]}) for r in read("electricity_grid.csv")]:
        kind = int(row["uncertainty_type"] or 0)
        amount = float(row["amount"])
        where = f"{name}: {row['activity']} {row['flow']}"
        if kind == 2:
            assert abs(float(row["loc"]) - math.log(amount)) < 1e-9, f"{where}: loc != ln(amount)"
            assert float(row["scale"]) > 0, f"{where}: lognormal scale must be > 0"
        elif kind == 5:
            low, mode, high = float(row["minimum"]), float(row["loc"]), float(row["maximum"])
            assert low <= mode <= high, f"{where}: triangular needs min <= mode <= max"
            assert abs(mode - amount) < 1e-9 * max(1.0, amount), f"{where}: triangular loc must equal amount"
        else:
            assert kind in (0, 1), f"{where}: unexpected uncertainty type {kind}"


def test_every_electricity_amount_is_uncertain():
    """Technology flows and mix shares carry a pedigree-derived lognormal; nothing is left at 0/1."""
    for name, row in [("electricity_technologies.csv", r) for r in read("electricity_technologies.csv")] + [
            ("electricity_grid.csv", r) for r in read("electricity_grid.csv")]:
        assert row["uncertainty_type"] == "2", f"{name}: {row['activity']} has uncertainty type {row['uncertainty_type']!r}"
        assert "pedigree" in row["notes"], f"{name}: {row['activity']}: the sigma must say where it comes from"


def test_generation_mixes_sum_to_one_and_meters_add_losses():
    shares: dict[str, float] = {}
    for row in read("electricity_grid.csv"):
        if row["activity"].startswith("electricity-mix-"):
            shares[row["activity"]] = shares.get(row["activity"], 0.0) + float(row["amount"])
    assert shares and all(abs(total - 1.0) < 1e-6 for total in shares.values()), [k for k, v in shares.items() if abs(v - 1) > 1e-6][:5]
    losses = {row["code"]: float(row["loss_fraction"]) for row in read("regions.csv")}
    for row in read("electricity_grid.csv"):
        if not row["activity"].startswith("electricity-mix-"):
            region = row["activity"].removeprefix("electricity-")
            assert row["input"] == f"electricity-mix-{region}"
            # 1 kWh at the meter takes 1 / (1 - losses) kWh generated
            assert float(row["amount"]) == pytest.approx(1.0 / (1.0 - losses[region]), rel=1e-6)
            assert 0.0 < losses[region] < 0.5  # up to 48 % (Libya): non-technical losses are in the statistics


def test_regions_cover_every_country_and_egrid_subregion():
    rows = read("regions.csv")
    kinds = [row["kind"] for row in rows]
    assert kinds.count("country") >= 190
    egrid = {"AKGD", "AKMS", "AZNM", "CAMX", "ERCT", "FRCC", "HIMS", "HIOA", "MROE", "MROW", "NEWE", "NWPP", "NYCW",
             "NYLI", "NYUP", "PRMS", "RFCE", "RFCM", "RFCW", "RMPA", "SPNO", "SPSO", "SRMV", "SRMW", "SRSO", "SRTV", "SRVC"}
    assert {row["code"] for row in rows if row["kind"] == "subregion"} == {f"US-{c}" for c in egrid}
    codes = {row["code"] for row in rows}
    # the sub-national zones that matter for datacenters, where a public mix exists
    assert {"SE-SE1", "SE-SE3", "NO-NO1", "DK-DK1", "JP-TK", "IN-NO", "AU-NSW", "CA-QC", "CA-ON"} <= codes
    for row in rows:
        assert row["location"] == row["code"]
        years = [int(y) for y in row["years"].split("|")]
        assert int(row["latest_year"]) == max(years)


def test_aliases_cover_egrid_acronyms_and_sixty_cloud_regions():
    aliases = {row["alias"]: row for row in read("region_aliases.csv")}
    codes = {row["code"] for row in read("regions.csv")}
    assert all(row["code"] in codes for row in aliases.values())
    assert aliases["ERCT"]["code"] == "US-ERCT" and aliases["US-TRE"]["code"] == "US-ERCT"
    cloud = [a for a, row in aliases.items() if row["kind"] == "cloud region"]
    assert len(cloud) >= 60
    assert {a.split(":")[0] for a in cloud} == {"aws", "gcp", "azure"}


def test_yearly_mixes_cover_2019_to_2024():
    import pandas as pd

    mixes = pd.read_csv(INVENTORIES / "electricity_mixes.csv.gz", keep_default_na=False)
    years = mixes.groupby("region")["year"].apply(set)
    assert set(range(2019, 2025)) <= set(mixes["year"])
    # most regions have every year; the rest are listed with the years they have in regions.csv
    assert (years.map(lambda y: set(range(2019, 2025)) <= y)).sum() >= 150
    sums = mixes.groupby(["region", "year"])["share"].sum()
    assert ((sums - 1.0).abs() < 1e-4).all()


def test_hardware_rows():
    for row in read("hardware.csv"):
        assert row["kind"] in ("accelerator", "cpu-server", "host-server", "storage", "network"), row["kind"]
        assert float(row["power_w"]) > 0 and float(row["default_lifespan_years"]) > 0
        if row["kind"] == "host-server":
            assert int(row["accelerators_per_server"]) > 0


def test_datacenters():
    for row in read("datacenters.csv"):
        assert float(row["pue"]) >= 1.0, f"{row['profile']}: PUE < 1"
        wue = row["wue_onsite_l_per_kwh"].strip()
        if wue:
            assert float(wue) >= 0
        else:  # a blank WUE must be explained, never silently zero
            assert "blank" in row["notes"].lower() or "not published" in row["notes"].lower()


# --- TRACI v2.1 coverage of the electricity rows (plain dot product with bw2io's bundled CFs) ---

TRACI_CATEGORIES_REQUIRED = (
    "acidification",
    "eutrophication",
    "photochemical oxidant formation",
    "particulate matter formation",
    "human toxicity: carcinogenic",
    "human toxicity: non-carcinogenic",
    "ecotoxicity: freshwater",
)
TRACI_HUMAN_TOX = ("human toxicity: carcinogenic", "human toxicity: non-carcinogenic")


@lru_cache(maxsize=1)
def traci_cfs() -> dict[str, dict[str, float]]:
    """TRACI v2.1 (with long-term) CFs from bw2io's bundled ecoinvent 3.9 LCIA file: category -> {biosphere3 code: CF}."""
    import importlib.util
    import json
    import zipfile

    spec = importlib.util.find_spec("bw2io")  # locate the package without importing it
    assert spec is not None and spec.submodule_search_locations, "bw2io is not installed"
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "lcia" / "lcia_39_ecoinvent.zip"
    with zipfile.ZipFile(path) as archive:
        methods = json.loads(archive.read("data.json"))
    out: dict[str, dict[str, float]] = {}
    for method in methods:
        if method["name"][0] != "TRACI v2.1":
            continue
        out[method["name"][1]] = {exc["input"][1]: float(exc["amount"]) for exc in method["exchanges"]}
    return out


def test_traci_categories_present_in_bundled_file():
    cfs = traci_cfs()
    missing = [c for c in TRACI_CATEGORIES_REQUIRED if c not in cfs]
    assert not missing, f"TRACI v2.1 categories missing from bw2io's bundled LCIA file: {missing}"


def test_metal_rows_state_their_speciation():
    cfs = traci_cfs()
    for row in read("electricity_technologies.csv"):
        if row["flow"].split()[0] in {"Mercury", "Lead", "Cadmium", "Arsenic", "Chromium", "Nickel"}:
            assert any(row["biosphere3_uuid"] in cfs[c] for c in TRACI_HUMAN_TOX), f"{row['activity']}: {row['flow']} uncharacterized"


def test_generated_tables_are_what_the_script_derives_from_the_raw_tables(tmp_path):
    """No hand edits: the committed electricity tables equal a fresh run of the derivation script."""
    import subprocess
    import sys

    script = INVENTORIES / "scripts" / "build_electricity.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True, timeout=300)
    spec = importlib.util.spec_from_file_location("build_electricity", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    for name in module.GENERATED:
        assert (tmp_path / name).read_bytes() == (INVENTORIES / name).read_bytes(), f"{name} differs from the script's output"
