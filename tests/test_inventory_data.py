"""Checks of the public-data CSVs in inventories/ (no Brightway project needed).

Reads only the CSV files and bw2io's bundled biosphere3 flow list.
"""

from __future__ import annotations

import csv
import math
from functools import lru_cache
from pathlib import Path

import pytest

INVENTORIES = Path(__file__).resolve().parents[1] / "inventories"
EXCHANGE_FILES = ("electricity.csv", "hardware_manufacture.csv", "end_of_life.csv")
# IPCC AR6 WG1 Table 7.15 GWP100 (fossil methane 29.8, N2O 273).
GWP100_AR6 = {"Carbon dioxide, fossil": 1.0, "Methane, fossil": 29.8, "Dinitrogen monoxide": 273.0}
# 15 %: the reference intensities and the flow splits come from different vintages
# or GWP sets (eGRID uses AR5 GWPs; Ember life-cycle figures) and must agree this well.
CO2E_TOLERANCE = 0.15
REQUIRED_ELECTRICITY_FLOWS = {
    "Carbon dioxide, fossil",
    "Methane, fossil",
    "Dinitrogen monoxide",
    "Sulfur dioxide",
    "Nitrogen oxides",
    "Particulate Matter, < 2.5 um",
    "Water",
}


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


ALL_FILES = EXCHANGE_FILES + ("activities.csv", "regions.csv", "hardware.csv", "datacenters.csv")


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
    codes = [row["code"] for row in read("activities.csv")]
    assert len(codes) == len(set(codes)), "duplicate activity codes"
    known = set(codes)
    for name, row in all_exchanges():
        assert row["activity"] in known, f"{name}: activity {row['activity']!r} not in activities.csv"
    for row in read("regions.csv"):
        assert row["electricity_activity"] in known, f"regions.csv: {row['electricity_activity']!r} unknown"
    for row in read("hardware.csv"):
        for field in ("manufacture_activity", "end_of_life_activity"):
            assert row[field] in known, f"hardware.csv: {field} {row[field]!r} unknown"


def test_activity_categories_match_their_tables():
    category = {row["code"]: row["category"] for row in read("activities.csv")}
    expected = {"electricity.csv": "electricity", "hardware_manufacture.csv": "manufacture", "end_of_life.csv": "end of life"}
    for name, row in all_exchanges():
        assert category[row["activity"]] == expected[name], f"{name}: {row['activity']} has category {category[row['activity']]!r}"


def test_amounts_positive_and_finite():
    for name, row in all_exchanges():
        amount = float(row["amount"])
        assert math.isfinite(amount) and amount > 0, f"{name}: {row['activity']} {row['flow']} amount {amount}"


def test_uncertainty_parameters_consistent():
    for name, row in all_exchanges():
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


def electricity_by_activity() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for row in read("electricity.csv"):
        out.setdefault(row["activity"], {})[row["flow"]] = float(row["amount"])
    return out


@pytest.mark.parametrize("region", [row["code"] for row in read("regions.csv")])
def test_region_flows_complete_and_co2e_matches_reference(region):
    row = next(r for r in read("regions.csv") if r["code"] == region)
    flows = electricity_by_activity()[row["electricity_activity"]]
    missing = REQUIRED_ELECTRICITY_FLOWS - set(flows)
    assert not missing, f"{region}: missing flows {sorted(missing)}"
    co2e = sum(GWP100_AR6[name] * amount for name, amount in flows.items() if name in GWP100_AR6)
    reference = float(row["reference_kgco2e_per_kwh"])
    assert abs(co2e / reference - 1) <= CO2E_TOLERANCE, f"{region}: flows give {co2e:.4f}, reference {reference:.4f} kgCO2e/kWh"
    water = flows["Water"] * 1000  # m3 -> L
    assert abs(water - float(row["water_l_per_kwh"])) < 1e-6, f"{region}: Water flow {water} L != water_l_per_kwh"


def test_required_regions_present():
    codes = {row["code"] for row in read("regions.csv")}
    assert {"SRVC", "MROW", "CAMX", "ERCT", "NWPP", "RFCE", "US", "FR", "DE", "CA-QC", "IE", "SE"} <= codes


def test_hardware_rows():
    for row in read("hardware.csv"):
        assert row["kind"] in ("accelerator", "server"), row["kind"]
        assert float(row["power_w"]) > 0 and float(row["default_lifespan_years"]) > 0
        if row["kind"] == "server":
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
US_EGRID_REGIONS = ("SRVC", "MROW", "CAMX", "ERCT", "NWPP", "RFCE", "US")


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


def electricity_rows_by_activity() -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for row in read("electricity.csv"):
        out.setdefault(row["activity"], []).append(row)
    return out


def test_traci_categories_present_in_bundled_file():
    cfs = traci_cfs()
    missing = [c for c in TRACI_CATEGORIES_REQUIRED if c not in cfs]
    assert not missing, f"TRACI v2.1 categories missing from bw2io's bundled LCIA file: {missing}"


@pytest.mark.parametrize("region", [row["code"] for row in read("regions.csv")])
def test_region_traci_scores_nonzero(region):
    """Every electricity region scores > 0 in the TRACI categories its combustion emissions physically reach."""
    cfs = traci_cfs()
    activity = next(r for r in read("regions.csv") if r["code"] == region)["electricity_activity"]
    rows = electricity_rows_by_activity()[activity]
    for category in TRACI_CATEGORIES_REQUIRED:
        score = sum(float(row["amount"]) * cfs[category].get(row["biosphere3_uuid"], 0.0) for row in rows)
        assert score > 0, f"{region}: TRACI v2.1 {category} score is {score} (no characterized flow)"


@pytest.mark.parametrize("region", [row["code"] for row in read("regions.csv")])
def test_region_has_metal_flow_with_traci_human_toxicity_cf(region):
    cfs = traci_cfs()
    activity = next(r for r in read("regions.csv") if r["code"] == region)["electricity_activity"]
    metals = [
        row
        for row in electricity_rows_by_activity()[activity]
        if any(row["biosphere3_uuid"] in cfs[c] for c in TRACI_HUMAN_TOX)
        and row["flow"].split()[0] in {"Mercury", "Lead", "Cadmium", "Arsenic", "Chromium", "Nickel"}
    ]
    assert metals, f"{region}: no heavy-metal flow that TRACI v2.1 human toxicity characterizes"
    for row in metals:
        notes = row["notes"].lower()
        assert "speciation" in notes, f"{region}: {row['flow']} row must state its speciation assumption"


@pytest.mark.parametrize("region", US_EGRID_REGIONS)
def test_us_so2_nox_are_egrid_measured_rates(region):
    """US SO2/NOx come from eGRID output rates, not unabated Tier-1 factors (which gave ~1-1.8 g SO2/kWh)."""
    activity = next(r for r in read("regions.csv") if r["code"] == region)["electricity_activity"]
    rows = {row["flow"]: row for row in electricity_rows_by_activity()[activity]}
    for flow, ceiling in (("Sulfur dioxide", 0.0008), ("Nitrogen oxides", 0.0006)):
        row = rows[flow]
        assert "egrid" in row["source"].lower(), f"{region}: {flow} must cite eGRID, got {row['source'][:80]!r}"
        # eGRID subregion rates are below ~1.5 lb/MWh SO2 and ~1.2 lb/MWh NOx (0.68 / 0.54 g/kWh) for these regions
        assert float(row["amount"]) < ceiling, f"{region}: {flow} {row['amount']} kg/kWh looks like an unabated factor"
