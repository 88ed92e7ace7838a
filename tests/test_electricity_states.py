"""US states (Ember's yearly generation by state) and the zones whose Electricity Maps mix was
"unknown": built in Brightway, solved by plain bw2calc, and checked against EIA's published state
statistics and against their own derivation."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bw_mllca.catalog import load_catalog
from bw_mllca.data_files import inventories_dir
from bw_mllca.ecoinvent.mapping import location_chain
from test_electricity import COVERAGE, GWP100, Scores

RAW = inventories_dir() / "raw"
SCRIPT = inventories_dir() / "scripts" / "extract_ember_us_states.py"
# Ember's fuels as categories, as the derivation documents them (Other Fossil = petroleum, Other Renewables = geothermal)
CATEGORY = {"Bioenergy": "biomass", "Coal": "coal", "Gas": "gas", "Hydro": "hydro", "Nuclear": "nuclear",
            "Other Fossil": "oil", "Other Renewables": "geothermal", "Solar": "solar", "Wind": "wind"}
# technology activity code prefix -> category, for summing a mix's technologies back into categories
PREFIX = {"electricity-gen-hard-coal": "coal", "electricity-gen-lignite": "coal", "electricity-gen-gas": "gas",
          "electricity-gen-oil": "oil", "electricity-gen-nuclear": "nuclear", "electricity-gen-hydro": "hydro",
          "electricity-gen-wind": "wind", "electricity-gen-solar": "solar", "electricity-gen-biomass": "biomass",
          "electricity-gen-geothermal": "geothermal", "electricity-gen-other": "unknown"}
OZONE, IONISING = "TRACI v2.1 ozone depletion", "EF v3.1 ionising radiation: human health"


@pytest.fixture(scope="module")
def scores(setup_report) -> Scores:
    import bw2data as bd
    from conftest import SETUP_PROJECT

    bd.projects.set_current(SETUP_PROJECT)
    return Scores([GWP100, *COVERAGE.values()])


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _mixes() -> pd.DataFrame:
    return pd.read_csv(inventories_dir() / "electricity_mixes.csv.gz", keep_default_na=False)


def _category_shares(region: str, year: int) -> dict[str, float]:
    """The generated mix of ``region`` in ``year``, its technologies summed back into categories."""
    mix = _mixes()[(_mixes()["region"] == region) & (_mixes()["year"] == year)]
    category = mix["technology_activity"].map(lambda code: next(c for p, c in PREFIX.items() if code.startswith(p)))
    return mix.groupby(category)["share"].sum().to_dict()


def _ember_states() -> pd.DataFrame:
    return pd.read_csv(RAW / "ember_us_state_generation.csv", keep_default_na=False)


def _eia(quantity: str) -> pd.Series:
    table = pd.read_csv(RAW / "eia_state_gas_generation_co2_2023.csv", keep_default_na=False)
    rows = table[table["quantity"] == quantity]
    return pd.Series(rows["value"].astype(float).values, index=rows["state"])


def test_fifty_states_and_dc_with_yearly_mixes_equal_to_embers_shares(catalog):
    """Every state's mix in every year 2019-2024 is Ember's generation by fuel over the state's total
    (net negative values, pumped storage, counted as no generation), computed here from the raw table."""
    states = [r for r in catalog.regions.values() if r.kind == "state"]
    assert len(states) == 51 and {r.code for r in states} >= {"US-VA", "US-TX", "US-DC", "US-AK", "US-HI"}
    assert "US-PR" not in {r.code for r in states}  # Puerto Rico stays the eGRID subregion's alias
    ember = _ember_states()
    for code, year in (("US-VA", 2024), ("US-TX", 2019), ("US-WV", 2022), ("US-NJ", 2023), ("US-CA", 2021)):
        rows = ember[(ember["state"] == code.removeprefix("US-")) & (ember["year"] == year)]
        twh = rows.groupby(rows["variable"].map(CATEGORY))["twh"].sum().clip(lower=0.0)
        expected = (twh[twh > 0] / twh.sum()).to_dict()
        ours = _category_shares(code, year)
        assert ours.keys() == expected.keys(), code
        for category, share in expected.items():
            assert ours[category] == pytest.approx(share, rel=1e-4, abs=1e-6), (code, year, category)
    for region in states:
        assert region.years == tuple(range(2019, 2025)) and region.country == "US" and "Ember" in region.source
        assert region.name.endswith(", United States")


def test_a_state_scores_its_share_weighted_technologies_over_losses(scores, catalog):
    """Property: the meter activity of a state = sum of share x technology score x 1/(1 - losses), in
    every assessed category; the losses are the US figure."""
    grid = pd.read_csv(inventories_dir() / "electricity_grid.csv", keep_default_na=False)
    for code in ("US-VA", "US-TX", "US-WV", "US-CA", "US-VT"):
        region = catalog.region(code)
        assert region.loss_fraction == catalog.region("US").loss_fraction
        mix = grid[grid["activity"] == region.mix_activity]
        assert float(mix["amount"].astype(float).sum()) == pytest.approx(1.0, abs=1e-5)
        for method in (GWP100, COVERAGE["TRACI v2.1 acidification"], COVERAGE["EF v3.1 water use"]):
            total = sum(float(share) * scores.score(tech, method) for tech, share in zip(mix["input"], mix["amount"]))
            meter = scores.score(region.electricity_activity, method)
            assert meter == pytest.approx(total / (1.0 - region.loss_fraction), rel=1e-6), (code, method)
        assert scores.score(region.electricity_activity, GWP100) == pytest.approx(region.gwp100_kg_per_kwh, rel=2e-5)
    # coal West Virginia, hydro Washington, nuclear-and-hydro Vermont: the order a mix implies
    gwp = {code: catalog.region(code).gwp100_kg_per_kwh for code in ("US-WV", "US-TX", "US-WA", "US-VT")}
    assert gwp["US-WV"] > gwp["US-TX"] > gwp["US-WA"] > gwp["US-VT"] > 0


def test_state_gas_generation_equals_eia_electric_power_annual():
    """The shipped table against EIA's own publication (Electric Power Annual 2023, Table 3.11):
    Ember compiles EIA-923, so natural-gas generation agrees to rounding (a transcription check)."""
    published = _eia("natural gas net generation")
    ember = _ember_states()
    gas = ember[(ember["year"] == 2023) & (ember["variable"] == "Gas")].set_index("state")["twh"]
    assert len(published) >= 15
    for state, gwh in published.items():
        assert gas[state] * 1000.0 == pytest.approx(gwh, rel=5e-3, abs=1.0), state


def test_state_direct_co2_against_eia_reported_power_plant_emissions():
    """Direct (stack) CO2 of each state's 2023 mix x its generation, against EIA's reported CO2 of its
    power and CHP plants (Electric Power Annual 2023, Table 9.5). The states' fossil technologies are
    calibrated to eGRID's national measured rates only, so the spread between states is the test;
    CHP plants' heat makes EIA's figure an upper bound. Stated tolerance: 20 % for at least 30 of
    the 38 states, median ratio 0.85-1.05 (small emitters, Vermont 9 kt and DC 73 kt, fall outside)."""
    technologies = pd.read_csv(inventories_dir() / "electricity_technologies.csv", keep_default_na=False)
    direct = technologies[technologies["notes"].str.startswith("direct") & (technologies["flow"] == "Carbon dioxide, fossil")]
    kg_per_kwh = direct.groupby("activity")["amount"].sum()
    ember, mixes = _ember_states(), _mixes()
    ratios = {}
    for state, kt in _eia("CO2 emissions").items():
        mix = mixes[(mixes["region"] == f"US-{state}") & (mixes["year"] == 2023)]
        per_kwh = float((mix["share"] * mix["technology_activity"].map(kg_per_kwh).fillna(0.0)).sum())
        twh = ember[(ember["state"] == state) & (ember["year"] == 2023)]["twh"].clip(lower=0.0).sum()
        ratios[state] = per_kwh * twh * 1000.0 / kt  # kg/kWh x TWh = 1e9 kg = 1000 kt
    within = sorted(state for state, ratio in ratios.items() if abs(ratio - 1.0) <= 0.20)
    assert len(ratios) == 38
    assert len(within) >= 30, {s: round(r, 2) for s, r in ratios.items()}
    assert 0.85 <= float(np.median(list(ratios.values()))) <= 1.05


def test_unknown_only_zones_take_embers_mix_and_are_assessed(scores, catalog):
    """Bahrain and Kuwait (100 % "unknown" in Electricity Maps) take Ember's generation by source and
    score > 0 in EF ADP fossil and water use like every other region; Kuwait's 2023 mix is Ember's."""
    for code in ("BH", "KW"):
        region = catalog.region(code)
        assert "Ember" in region.source
        assert set(region.not_assessed) <= {OZONE, IONISING}, (code, region.not_assessed)
        for label in ("EF v3.1 energy resources: non-renewable", "EF v3.1 water use", "TRACI v2.1 climate change"):
            assert scores.score(region.electricity_activity, COVERAGE[label]) > 0.0, (code, label)
    codecarbon = pd.read_csv(RAW / "codecarbon_mixes.csv", keep_default_na=False, na_values=[""])  # "NA" is Namibia
    kuwait = codecarbon[(codecarbon["country"] == "KW") & (codecarbon["year"] == 2023)].set_index("category")["twh"].astype(float)
    ours = _category_shares("KW", 2023)
    assert ours["gas"] == pytest.approx(kuwait["gas"] / kuwait.sum(), rel=1e-4)
    assert ours["oil"] == pytest.approx(kuwait["oil"] / kuwait.sum(), rel=1e-4)
    assert "unknown" not in ours


def test_states_take_their_own_aware_factor_where_aware_has_one_and_chain_to_the_us(catalog):
    aware = pd.read_csv(RAW / "aware_country.csv", keep_default_na=False).set_index("code")["aware_cf_nonagri"]
    assert catalog.region("US-CA").aware_cf == pytest.approx(float(aware["US-CA"]))
    assert catalog.region("US-VA").aware_cf == pytest.approx(float(aware["US"]))  # no Virginia factor
    assert location_chain("US-VA") == ("US", "GLO")
    assert location_chain("US-TX", "tap-water") == ("US", "RoW", "GLO")


def test_regions_command_lists_the_states(bw_dir):
    result = subprocess.run([sys.executable, "-m", "bw_mllca.cli", "regions", "--kind", "state", "--format", "csv"],
                            capture_output=True, text=True, timeout=120, check=True)
    table = pd.read_csv(StringIO(result.stdout), keep_default_na=False)
    assert len(table) == 51 and set(table["kind"]) == {"state"}
    virginia = table[table["code"] == "US-VA"].iloc[0]
    assert virginia["name"] == "Virginia, United States"
    assert virginia["gwp_kg_per_kwh"] == pytest.approx(load_catalog().region("US-VA").gwp100_kg_per_kwh, rel=1e-6)


def test_extraction_script_reads_embers_long_format(tmp_path: Path):
    """The extraction script on a file in Ember's layout written from two states of the shipped table
    (plus rows it must leave out: Puerto Rico, another year, capacity, the US total) gives those rows back."""
    shipped = _ember_states()
    two = shipped[shipped["state"].isin(["VA", "WY"])]
    rows = [{"State": s, "State code": s, "State type": "state", "Year": y, "Category": "Electricity generation",
             "Subcategory": "Fuel", "Variable": v, "Unit": "GWh", "Value": twh * 1000.0}
            for s, y, v, twh in two[["state", "year", "variable", "twh"]].itertuples(index=False) if twh != 0.0]
    decoys = [("PR", "state", 2023, "Electricity generation", "Gas", "GWh"),
              ("VA", "state", 2018, "Electricity generation", "Gas", "GWh"),
              ("VA", "state", 2023, "Capacity", "Gas", "GW"),
              ("US", "country", 2023, "Electricity generation", "Gas", "GWh")]
    rows += [{"State": s, "State code": s, "State type": t, "Year": y, "Category": c, "Subcategory": "Fuel",
              "Variable": v, "Unit": u, "Value": 9999.0} for s, t, y, c, v, u in decoys]
    source, out = tmp_path / "us_yearly.csv", tmp_path / "states.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    subprocess.run([sys.executable, str(SCRIPT), str(source), str(out)], check=True, capture_output=True, timeout=120)
    got = pd.read_csv(out, keep_default_na=False)
    assert list(got.columns) == ["state", "year", "variable", "twh"]
    assert got.to_csv(index=False, float_format="%.3f") == two.reset_index(drop=True).to_csv(index=False, float_format="%.3f")
