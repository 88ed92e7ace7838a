"""The electricity background in Brightway: every region, every category it assesses, checked
against published figures and against its own derivation (plain bw2calc, no bw_mllca engine)."""

from __future__ import annotations

import csv
import functools
import subprocess
import sys
from io import StringIO
from pathlib import Path

import bw2calc as bc
import bw2data as bd
import numpy as np
import pandas as pd
import pytest

from bw_mllca import StudyError, Study, build, calculate
from bw_mllca.catalog import load_catalog
from bw_mllca.data_files import inventories_dir
from bw_mllca.inventory.background import BACKGROUND
from studies import minimal_study

DATA = Path(__file__).resolve().parent / "data"
GWP100 = ("IPCC 2021", "climate change", "global warming potential (GWP100)")
AWARE = ("bw_mllca", "water", "AWARE scarcity-weighted water use")
VOLUME = ("bw_mllca", "water", "consumptive water use")
COVERAGE = {
    "TRACI v2.1 acidification": ("TRACI v2.1", "acidification", "acidification potential (AP)"),
    "TRACI v2.1 climate change": ("TRACI v2.1", "climate change", "global warming potential (GWP100)"),
    "TRACI v2.1 ecotoxicity: freshwater": ("TRACI v2.1", "ecotoxicity: freshwater", "ecotoxicity: freshwater"),
    "TRACI v2.1 eutrophication": ("TRACI v2.1", "eutrophication", "eutrophication potential"),
    "TRACI v2.1 human toxicity: carcinogenic": ("TRACI v2.1", "human toxicity: carcinogenic", "human toxicity: carcinogenic"),
    "TRACI v2.1 human toxicity: non-carcinogenic": ("TRACI v2.1", "human toxicity: non-carcinogenic", "human toxicity: non-carcinogenic"),
    "TRACI v2.1 ozone depletion": ("TRACI v2.1", "ozone depletion", "ozone depletion potential (ODP)"),
    "EF v3.1 ozone depletion": ("EF v3.1", "ozone depletion", "ozone depletion potential (ODP)"),
    "TRACI v2.1 particulate matter formation": ("TRACI v2.1", "particulate matter formation", "particulate matter formation potential (PMFP)"),
    "TRACI v2.1 photochemical oxidant formation": ("TRACI v2.1", "photochemical oxidant formation", "maximum incremental reactivity (MIR)"),
    "EF v3.1 climate change": ("EF v3.1", "climate change", "global warming potential (GWP100)"),
    "EF v3.1 acidification": ("EF v3.1", "acidification", "accumulated exceedance (AE)"),
    "EF v3.1 ionising radiation: human health": ("EF v3.1", "ionising radiation: human health", "human exposure efficiency relative to u235"),
    "EF v3.1 energy resources: non-renewable": ("EF v3.1", "energy resources: non-renewable", "abiotic depletion potential (ADP): fossil fuels"),
    "EF v3.1 water use": ("EF v3.1", "water use", "user deprivation potential (deprivation-weighted water consumption)"),
}
TRACI_GWP = COVERAGE["TRACI v2.1 climate change"]
LB_PER_MWH = 0.45359237 / 1000.0


class Scores:
    """Unit scores of background activities by plain bw2calc: one LCA, one factorization."""

    def __init__(self, methods: list[tuple[str, ...]]):
        nodes = list(bd.Database(BACKGROUND))
        self.id = {node["code"]: node.id for node in nodes}
        self.lca = bc.LCA({node.id: 1.0 for node in nodes}, methods[0])
        self.lca.lci(factorize=True)
        self.characterization = {}
        for method in methods:
            self.lca.switch_method(method)
            self.characterization[method] = self.lca.characterization_matrix.diagonal()
        self._cache: dict[str, np.ndarray] = {}

    def inventory(self, code: str) -> np.ndarray:
        """Elementary flows (biosphere rows) of one unit of ``code``."""
        if code not in self._cache:
            self.lca.lci(demand={self.id[code]: 1.0})
            self._cache[code] = np.asarray(self.lca.inventory.sum(axis=1)).ravel()
        return self._cache[code]

    def score(self, code: str, method: tuple[str, ...]) -> float:
        return float(self.characterization[method] @ self.inventory(code))


@pytest.fixture(scope="module")
def scores(setup_report) -> Scores:
    from conftest import SETUP_PROJECT

    bd.projects.set_current(SETUP_PROJECT)
    return Scores([*COVERAGE.values(), GWP100, AWARE, VOLUME])


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_region_scores_above_zero_in_each_category_it_assesses(scores, catalog):
    """Zero only where regions.csv says "not assessed", and never a silent zero elsewhere."""
    for region in catalog.regions.values():
        for label, method in COVERAGE.items():
            value = scores.score(region.electricity_activity, method)
            if label in region.not_assessed:
                assert value == 0.0, f"{region.code}: {label} listed as not assessed but scores {value}"
            else:
                assert value > 0.0, f"{region.code}: {label} scores {value} and is not listed as not assessed"


IONISING = "EF v3.1 ionising radiation: human health"


@functools.cache
def _grid() -> pd.DataFrame:
    return pd.read_csv(inventories_dir() / "electricity_grid.csv", keep_default_na=False)


def _latest_mix(code: str) -> dict[str, float]:
    """The shares of a region's generation mix activity as written (latest year)."""
    rows = _grid()[_grid()["activity"] == f"electricity-mix-{code}"]
    return dict(zip(rows["input"], rows["amount"].astype(float)))


def test_every_region_is_assessed_in_every_category_and_each_technology_carries_radionuclides(scores, catalog):
    """No category is "not assessed" anywhere, and ionising radiation comes from every technology of a
    mix: its own releases (nuclear, gas, coal) or the supply-chain proxy (the others, oil through its
    fuel chain's CO2)."""
    assert all(not region.not_assessed for region in catalog.regions.values())
    method = COVERAGE[IONISING]
    for region in catalog.regions.values():
        silent = [code for code in _latest_mix(region.code) if scores.score(code, method) <= 0]
        assert not silent, (region.code, silent)


KWH_PER_GWA = 1e6 * 8766.0  # 1 GW a of electricity = 1e6 kW x 8,766 h
# Per kWh, as published: (flow, categories) -> kBq.
NUCLEAR_RELEASES_KBQ_PER_KWH = {
    # Dones (2009), ecoinvent report No. 6-VII, Tab. 16.8 (after UNSCEAR 2000): reactor operation
    ("Hydrogen-3, Tritium", ("air", "non-urban air or from high stacks")): 0.385,
    ("Noble gases, radioactive, unspecified", ("air", "non-urban air or from high stacks")): 1.45,
    ("Iodine-131", ("air", "non-urban air or from high stacks")): 1.18e-5,
    ("Aerosols, radioactive, unspecified", ("air", "non-urban air or from high stacks")): 4.36e-7,
    ("Hydrogen-3, Tritium", ("water", "ocean")): 1.67,
    ("Radioactive species, Nuclides, unspecified", ("water", "ocean")): 1.23e-3,
    # Fujita et al. (2025), RADD-based PWR 14C: median exp(-1.65) TBq per GW a
    ("Carbon-14", ("air", "non-urban air or from high stacks")): np.exp(-1.65) * 1e9 / KWH_PER_GWA,
}
RADON_KBQ_PER_NM3 = 0.1  # Meili et al. (2021), Tab. 9.5: radon-222 in natural gas
GAS_MJ_PER_NM3 = 48.0 * 0.75  # IPCC 2006 NCV (MJ/kg) x the stated density assumption (kg/Nm3)
GAS_FUEL_MJ_PER_KWH = {"gas-combined-cycle": 6.595, "gas-turbine": 10.286}
# Coal (UNSCEAR 2000 Annex B, as quoted): U-238 and Th-232 about 20 Bq per kg of coal; fly ash holds
# them 10-fold; the U-238 chain in equilibrium; fuel = plant fuel MJ/kWh / NCV MJ/kg; stack ash = PM2.5.
COAL_BQ_PER_KG = 20.0
COAL_KG_PER_KWH = {"hard-coal": 8.034 / 25.8, "lignite": 10.725 / 11.9}
COAL_PM25_KG_PER_KWH = {"hard-coal": 1.45455e-4, "lignite": 1.94171e-4}
STACK = ("air", "non-urban air or from high stacks")
ASH_NUCLIDES = {"Uranium-238": 1.0, "Uranium-234": 1.0, "Thorium-230": 1.0, "Radium-226": 1.0, "Lead-210": 1.0,
                "Polonium-210": 1.0, "Uranium-235": 0.046, "Thorium-232": 1.0}


def _ionising_factors() -> dict[tuple[str, tuple[str, ...]], float]:
    method = COVERAGE[IONISING]
    return {(node["name"], tuple(node["categories"])): float(cf)
            for node, cf in ((bd.get_node(id=flow), cf) for flow, cf in bd.Method(method).load())}


def _cited_ionising_per_kwh(technology: str, factors) -> float:
    """kBq U235-eq per kWh generated from a technology's own cited releases (0 if it has none)."""
    if technology == "electricity-gen-nuclear":
        return sum(kbq * factors.get(flow, 0.0) for flow, kbq in NUCLEAR_RELEASES_KBQ_PER_KWH.items())
    for kind, fuel in GAS_FUEL_MJ_PER_KWH.items():
        if technology.startswith(f"electricity-gen-{kind}"):
            radon = RADON_KBQ_PER_NM3 * fuel / GAS_MJ_PER_NM3
            return radon * factors[("Radon-222", STACK)]
    for kind, coal in COAL_KG_PER_KWH.items():
        if technology.startswith(f"electricity-gen-{kind}"):
            radon = COAL_BQ_PER_KG * coal / 1000.0
            ash = sum(10.0 * COAL_BQ_PER_KG * ratio * COAL_PM25_KG_PER_KWH[kind] / 1000.0 * factors.get((nuclide, STACK), 0.0)
                      for nuclide, ratio in ASH_NUCLIDES.items())
            return radon * factors[("Radon-222", STACK)] + ash
    return 0.0


@functools.cache
def _raw_lci() -> pd.DataFrame:
    return pd.read_csv(inventories_dir() / "raw" / "electricity_technology_lci.csv", keep_default_na=False, na_values=[""])


def _world_ionising_per_kg_co2(factors) -> float:
    """The supply-chain proxy's ratio, by hand: ionising radiation / fossil CO2 of world electricity,
    world shares = Ember generation summed over every country (newest CodeCarbon release, latest year),
    each category as its default technology, each technology's cited releases and raw CO2 rows."""
    generation = pd.read_csv(inventories_dir() / "raw" / "codecarbon_mixes.csv", keep_default_na=False)
    newest = max(generation["codecarbon_version"], key=lambda v: tuple(int(p) for p in v.split(".")))
    generation = generation[generation["codecarbon_version"] == newest]
    generation = generation[generation["year"].astype(int) == generation["year"].astype(int).max()]
    twh = pd.to_numeric(generation["twh"], errors="coerce").groupby(generation["category"]).sum()
    default = {"coal": "hard coal", "gas": "gas combined cycle", "oil": "oil", "nuclear": "nuclear", "hydro": "hydro reservoir",
               "wind": "wind onshore", "solar": "solar PV", "biomass": "biomass", "geothermal": "geothermal"}
    lci = _raw_lci()
    one_level = lci["abatement"].isna() | (lci["abatement"] == "high")
    co2 = lci[one_level & (lci["flow"] == "Carbon dioxide, fossil")].groupby("technology")["amount"].sum()
    codes = {"hard coal": "electricity-gen-hard-coal", "gas combined cycle": "electricity-gen-gas-combined-cycle",
             "nuclear": "electricity-gen-nuclear"}
    shares = twh / twh.sum()
    ionising = sum(share * _cited_ionising_per_kwh(codes.get(default[c], ""), factors) for c, share in shares.items())
    return ionising / sum(share * co2.get(default[c], 0.0) for c, share in shares.items())


def _hand_ionising_per_kwh_generated(technology: str, factors) -> float:
    """Cited releases; a technology without any gets the supply-chain proxy: its upstream and
    infrastructure fossil CO2 (raw table) x the world ratio."""
    cited = _cited_ionising_per_kwh(technology, factors)
    if cited > 0:
        return cited
    lci = _raw_lci()
    name = next(t for t in lci["technology"].unique() if technology.startswith(f"electricity-gen-{t.lower().replace(' ', '-')}"))
    chain = lci[(lci["technology"] == name) & (lci["flow"] == "Carbon dioxide, fossil") & lci["stage"].isin(["upstream", "infrastructure"])]
    return float(chain["amount"].sum()) * _world_ionising_per_kg_co2(factors)


def test_france_ionising_radiation_is_the_cited_releases_times_its_mix_losses_and_factors(scores, catalog):
    """France (nuclear): share x hand-computed release score per technology x 1/(1 - losses)."""
    factors = _ionising_factors()
    region = catalog.region("FR")
    mix = _latest_mix("FR")
    expected = sum(share * _hand_ionising_per_kwh_generated(code, factors) for code, share in mix.items()) / (1.0 - region.loss_fraction)
    assert scores.score(region.electricity_activity, COVERAGE[IONISING]) == pytest.approx(expected, rel=1e-6)
    nuclear = mix["electricity-gen-nuclear"] * _hand_ionising_per_kwh_generated("electricity-gen-nuclear", factors)
    assert nuclear / (1.0 - region.loss_fraction) > 0.99 * expected  # nuclear dominates: C-14 to air x 10
    assert 0.1 < expected < 0.3  # kBq U235-eq per kWh at the meter


def test_a_coal_grid_scores_its_cited_radionuclides_times_mix_and_losses(scores, catalog):
    """Botswana (96 % hard coal, uncontrolled; oil; a little PV): coal's radon and fly-ash nuclides
    from UNSCEAR's 20 Bq/kg, plus the supply-chain proxy of oil and PV, x mix x 1/(1 - losses), by hand."""
    factors = _ionising_factors()
    region = catalog.region("BW")
    mix = _latest_mix("BW")
    assert mix["electricity-gen-hard-coal-low"] > 0.9
    expected = sum(share * _hand_ionising_per_kwh_generated(code, factors) for code, share in mix.items()) / (1.0 - region.loss_fraction)
    assert scores.score(region.electricity_activity, COVERAGE[IONISING]) == pytest.approx(expected, rel=1e-5)
    # coal alone: radon 6.2 Bq/kWh x 0.00114 plus ash 0.029 Bq/kWh per nuclide x (0.386 + 4.57 + 2.14 + ...)
    coal = _cited_ionising_per_kwh("electricity-gen-hard-coal-low", factors)
    assert 1e-4 < coal < 1e-3
    # the rest is the proxy of oil's fuel chain and of PV: their supply-chain CO2 x the world ratio
    others = sum(share * _hand_ionising_per_kwh_generated(code, factors) for code, share in mix.items()
                 if code != "electricity-gen-hard-coal-low") / (1.0 - region.loss_fraction)
    assert others > 0 and mix["electricity-gen-hard-coal-low"] * coal / (1.0 - region.loss_fraction) + others == pytest.approx(expected)


def test_hydro_and_geothermal_grids_score_their_supply_chain_proxy(scores, catalog):
    """Hydro- and geothermal-only grids were "not assessed"; the proxy (supply-chain fossil CO2 x
    the world ratio) makes them score in proportion to that CO2: linearity across technologies."""
    factors = _ionising_factors()
    method = COVERAGE[IONISING]
    ratio = _world_ionising_per_kg_co2(factors)
    for code, chain_co2 in (("electricity-gen-hydro-reservoir", 0.024), ("electricity-gen-wind-onshore", 0.011),
                            ("electricity-gen-geothermal", 0.038), ("electricity-gen-solar-pv", 0.048)):
        assert scores.score(code, method) == pytest.approx(chain_co2 * ratio, rel=1e-5), code
    for code in ("IS", "PY", "KE"):
        region = catalog.region(code)
        expected = sum(share * _hand_ionising_per_kwh_generated(t, factors) for t, share in _latest_mix(code).items())
        assert scores.score(region.electricity_activity, method) == pytest.approx(expected / (1.0 - region.loss_fraction), rel=1e-5), code
        assert IONISING not in region.not_assessed, code


def test_a_region_scores_the_share_weighted_sum_of_its_technologies_in_ionising_radiation(scores, catalog):
    """Linearity: a coal-heavy grid (PL, IN) scores > 0 through its nuclear and gas shares, and every
    region's score is the share-weighted sum of its technologies' scores x 1/(1 - losses)."""
    method = COVERAGE[IONISING]
    for code in ("PL", "IN", "US-SRVC", "DE", "CA-QC"):
        region = catalog.region(code)
        total = sum(share * scores.score(tech, method) for tech, share in _latest_mix(code).items())
        meter = scores.score(region.electricity_activity, method)
        assert meter == pytest.approx(total / (1.0 - region.loss_fraction), rel=1e-6), code
        assert meter > 0.0, code
    # the technology activity scores the cited releases per kWh (its rows are stored to 6 digits)
    nuclear = scores.score("electricity-gen-nuclear", method)
    assert nuclear == pytest.approx(_hand_ionising_per_kwh_generated("electricity-gen-nuclear", _ionising_factors()), rel=1e-6)


def test_region_table_gwp_equals_bw2calc(scores, catalog):
    """The derivation script's GWP column and Brightway's solve of the written database agree."""
    for region in catalog.regions.values():
        assert scores.score(region.electricity_activity, GWP100) == pytest.approx(region.gwp100_kg_per_kwh, rel=2e-5, abs=2e-6)


def test_losses_are_an_explicit_exchange(scores, catalog):
    """1 kWh at the meter = 1 / (1 - losses) kWh of the generation mix, in every category."""
    for code in ("DE", "IN", "US-ERCT", "CA-QC", "JP-TK"):
        region = catalog.region(code)
        for method in (GWP100, COVERAGE["TRACI v2.1 acidification"], VOLUME):
            meter, mix = scores.score(region.electricity_activity, method), scores.score(region.mix_activity, method)
            assert meter == pytest.approx(mix / (1.0 - region.loss_fraction), rel=1e-6)


def _published(source_prefix: str) -> pd.DataFrame:
    table = pd.read_csv(DATA / "published_grid_intensity.csv", keep_default_na=False, na_values=[""])
    return table[table["source"].str.startswith(source_prefix)]


def _mix_gwp(scores: Scores, region: str, year: int, method: tuple[str, ...] = GWP100) -> float | None:
    """Generation-based GWP100 of a region's mix in ``year`` (kg/kWh), from the shipped yearly shares."""
    mixes = pd.read_csv(inventories_dir() / "electricity_mixes.csv.gz", keep_default_na=False)
    rows = mixes[(mixes["region"] == region) & (mixes["year"] == year)]
    if rows.empty:
        return None
    return float(sum(share * scores.score(code, method) for code, share in zip(rows["technology_activity"], rows["share"])))


def test_gwp_within_15_percent_of_published_life_cycle_intensity_for_30_countries(scores, catalog):
    """Against Electricity Maps' published yearly life-cycle intensities (2023): the same mixes
    (Electricity Maps' yearly origin shares) with this background's per-technology inventories."""
    published = _published("Electricity Maps")
    published = published[published["year"] == 2023]
    ratios = {}
    for code, value in zip(published["code"], published["gco2e_per_kwh"]):
        if code in catalog.regions and catalog.regions[code].kind == "country" and "Electricity Maps" in catalog.regions[code].source:
            ours = _mix_gwp(scores, code, 2023)
            if ours is not None and value > 0:
                ratios[code] = ours * 1000.0 / value
    within = sorted(code for code, ratio in ratios.items() if abs(ratio - 1.0) <= 0.15)
    assert len(ratios) >= 60
    assert len(within) >= 30, f"{len(within)} of {len(ratios)} within 15 %: {within}"
    assert abs(float(np.median(list(ratios.values()))) - 1.0) < 0.10


def test_egrid_subregions_are_measured_combustion_plus_upstream(scores, catalog):
    """Life-cycle GWP of each eGRID2023 subregion's generation lies above eGRID's measured
    combustion CO2e (SRC2ERTA) by its fuel chain and infrastructure, and its direct CO2, SO2 and NOx
    reproduce eGRID's measured output rates."""
    egrid = pd.read_csv(inventories_dir() / "raw" / "egrid2023_subregions.csv", keep_default_na=False)
    so2_rows = [scores.lca.dicts.biosphere[flow.id] for flow in bd.Database("biosphere3")
                if flow["name"] == "Sulfur dioxide" and flow.id in scores.lca.dicts.biosphere]
    for _, row in egrid[egrid["code"] != "US"].iterrows():
        region = catalog.region(f"US-{row['code']}")
        ratio = scores.score(region.mix_activity, GWP100) / (float(row["SRC2ERTA"]) * LB_PER_MWH)
        assert 1.0 <= ratio <= 1.45, f"{region.code}: life-cycle / combustion CO2e = {ratio:.3f}"
        so2 = float(scores.inventory(region.mix_activity)[so2_rows].sum())
        assert so2 >= float(row["SRSO2RTA"]) * LB_PER_MWH * 0.999, f"{region.code}: SO2 below the measured stack rate"


def test_aware_weighting_follows_the_country_factor(scores, catalog):
    """Scarcity-weighted water = volume x the AWARE factor of the region's country: Arizona and
    Quebec differ by their factors, not only by their volumes."""
    for code in ("US-SW-AZPS", "CA-QC", "DE", "IN"):
        region = catalog.region(code)
        volume, weighted = scores.score(region.electricity_activity, VOLUME), scores.score(region.electricity_activity, AWARE)
        assert volume == pytest.approx(region.water_l_per_kwh / 1000.0, rel=1e-5)
        assert weighted == pytest.approx(volume * region.aware_cf, rel=1e-5)
    assert catalog.region("US-SW-AZPS").aware_cf > 3 * catalog.region("CA-QC").aware_cf


def _dc_study(name: str, **datacenter) -> Study:
    data = minimal_study(name)
    data["datacenters"] = {"dc": {"profile": "us-average", **datacenter}}
    return Study.from_dict(data)


def _grid_score(study: Study) -> float:
    build(study)
    frame = calculate(study)
    rows = frame[(frame["view"] == "attributional") & (frame["method"] == " | ".join(TRACI_GWP)) & (frame["component"] == "electricity")]
    return float(rows["score"].sum())


def test_a_datacenter_names_a_year_or_a_span(project, scores, catalog):
    """A year's mix is built from that year's shares; a span is the mean of its years (linearity)."""
    region = catalog.region("DE")
    latest = _grid_score(_dc_study("grid latest", region="DE"))
    by_year = {year: _grid_score(_dc_study(f"grid {year}", region="DE", grid_year=year)) for year in (2019, 2020, 2021, 2022)}
    span = _grid_score(_dc_study("grid span", region="DE", grid_years=[2019, 2022]))
    assert span == pytest.approx(sum(by_year.values()) / 4, rel=1e-6)
    # each year's electricity component scales with its mix's GWP x 1/(1 - losses), as computed by hand here
    assert latest > 0
    latest_per_kwh = scores.score(region.electricity_activity, TRACI_GWP)
    for year, value in by_year.items():
        expected_per_kwh = _mix_gwp(scores, "DE", year, TRACI_GWP) / (1.0 - region.loss_fraction)
        assert value / latest == pytest.approx(expected_per_kwh / latest_per_kwh, rel=1e-5)
    assert len({round(v, 12) for v in by_year.values()}) == 4  # four different mixes, four different scores


def test_a_year_without_a_mix_is_refused_naming_field_and_years(project):
    with pytest.raises(StudyError) as error:
        _dc_study("grid bad year", region="DE", grid_year=2010)
    text = str(error.value)
    assert "grid_year" in text and "2010" in text and "2019" in text


def test_cloud_region_and_egrid_acronym_are_aliases(project):
    assert _grid_score(_dc_study("alias aws", region="aws:us-east-1")) == pytest.approx(
        _grid_score(_dc_study("alias pjm", region="US-MIDA-PJM")), rel=1e-9)
    assert _grid_score(_dc_study("alias erct", region="ERCT")) == pytest.approx(
        _grid_score(_dc_study("alias us-erct", region="US-ERCT")), rel=1e-9)


def test_regions_command_lists_every_region_as_csv(bw_dir):
    result = subprocess.run([sys.executable, "-m", "bw_mllca.cli", "regions", "--format", "csv"],
                            capture_output=True, text=True, timeout=120, check=True)
    table = pd.read_csv(StringIO(result.stdout), keep_default_na=False)
    assert {"code", "name", "kind", "years", "gwp_kg_per_kwh"} <= set(table.columns)
    assert (table["kind"] == "country").sum() >= 190 and (table["kind"] == "subregion").sum() == 27
    from bw_mllca import regions

    frame = regions()
    assert list(table["code"]) == list(frame["code"])
    assert np.allclose(table["gwp_kg_per_kwh"], frame["gwp_kg_per_kwh"])
    assert (table["gwp_kg_per_kwh"] > 0).all()


SECTOR_FLOWS = {"SO2": "Sulfur dioxide", "NOx": "Nitrogen oxides"}
WITHIN = 1.5


def _direct_g_per_kwh(region: str, year: int, pollutant: str) -> float:
    """Direct (stack) emission per kWh generated of a region's mix in ``year``, g/kWh: the direct
    rows of each technology activity times the shipped yearly shares, from the tables alone."""
    technologies = pd.read_csv(inventories_dir() / "electricity_technologies.csv", keep_default_na=False)
    direct = technologies[technologies["notes"].str.startswith("direct") & (technologies["flow"] == SECTOR_FLOWS[pollutant])]
    kg_per_kwh = direct.groupby("activity")["amount"].sum()
    mixes = pd.read_csv(inventories_dir() / "electricity_mixes.csv.gz", keep_default_na=False)
    mix = mixes[(mixes["region"] == region) & (mixes["year"] == year)]
    assert not mix.empty, f"no {year} mix for {region}"
    return 1000.0 * float((mix["share"] * mix["technology_activity"].map(kg_per_kwh).fillna(0.0)).sum())


def test_european_so2_and_nox_per_kwh_against_reported_power_sector_emissions():
    """Reported NFR 1.A.1.a emissions (EMEP/CEIP) divided by the country's generation, against the
    direct SO2 and NOx of its mix. 1.A.1.a also holds heat and waste incineration, so where those
    dominate (Sweden, Norway) only ours <= reported is checked; a gap the table names must still
    be one (outside the factor 1.5), so fixing its cause fails this test until the note goes."""
    reported = pd.read_csv(inventories_dir() / "raw" / "reported_power_sector_emissions.csv", keep_default_na=False)
    generation = pd.read_csv(inventories_dir() / "raw" / "codecarbon_mixes.csv", keep_default_na=False)
    assert len(set(reported["country"])) >= 10 and set(reported["pollutant"]) == set(SECTOR_FLOWS)
    within, gaps = [], []
    for row in reported.itertuples():
        twh = generation[(generation["country"] == row.country) & (generation["year"].astype(int) == int(row.year))
                         & (generation["codecarbon_version"] == "2.3.4")]["twh"]
        twh = pd.to_numeric(twh, errors="coerce").sum()  # a blank source is no generation
        assert twh == pytest.approx(float(row.generation_twh), abs=0.01), row.country
        reported_g_per_kwh = float(row.emissions_kt) / float(row.generation_twh)  # kt / TWh = g / kWh
        ratio = _direct_g_per_kwh(row.country, int(row.year), row.pollutant) / reported_g_per_kwh
        label = f"{row.country} {row.pollutant} ours/reported {ratio:.2f}"
        if row.comparison == "upper bound":
            assert 0.0 < ratio <= 1.0, label
        elif row.gap:
            assert not 1.0 / WITHIN <= ratio <= WITHIN, f"{label}: within {WITHIN}, drop the gap note"
            assert 1.0 / 3.0 <= ratio <= 3.0, label
            gaps.append(label)
        else:
            assert 1.0 / WITHIN <= ratio <= WITHIN, label
            within.append(label)
    # the ten largest but SE and NO are calibrated on 2019, so 2021 is out of sample: 14 within, FR and ES SO2 named gaps
    assert len(within) >= 14, f"{len(within)} within the factor: {within}"


def test_european_calibration_reproduces_its_year_and_leaves_other_regions_alone():
    """Each calibrated country's own mix of the calibration year reproduces the reported SO2 and NOx
    per kWh (the property the scaling is built on), except where the stated rule applies: a factor
    capped at 5 leaves ours at 5 x the generic fleet, a mix under 10 % combustion keeps the generic
    fleet. Its zones use its calibrated technologies; no other region's mix uses them."""
    calibration = pd.read_csv(inventories_dir() / "raw" / "reported_power_sector_emissions_calibration.csv", keep_default_na=False)
    assert set(calibration["pollutant"]) == set(SECTOR_FLOWS) and (calibration["year"].astype(int) < 2021).all()
    mixes = pd.read_csv(inventories_dir() / "electricity_mixes.csv.gz", keep_default_na=False)
    technologies = pd.read_csv(inventories_dir() / "electricity_technologies.csv", keep_default_na=False)
    reproduced = []
    for row in calibration.itertuples():
        year, suffix = int(row.year), f"-{row.country}"
        reported_g_per_kwh = float(row.emissions_kt) / float(row.generation_twh)
        ours = _direct_g_per_kwh(row.country, year, row.pollutant)
        mix = mixes[(mixes["region"] == row.country) & (mixes["year"] == year)]
        direct = technologies[technologies["notes"].str.startswith("direct") & (technologies["flow"] == SECTOR_FLOWS[row.pollutant])]
        kg_per_kwh = direct.groupby("activity")["amount"].sum()
        generic = 1000.0 * float((mix["share"] * mix["technology_activity"].str.removesuffix(suffix).map(kg_per_kwh).fillna(0.0)).sum())
        label = f"{row.country} {row.pollutant} {year}: ours {ours:.4g}, reported {reported_g_per_kwh:.4g}, generic {generic:.4g} g/kWh"
        if not mix["technology_activity"].str.endswith(suffix).any():
            assert ours == pytest.approx(generic), label  # under 10 % combustion: not calibrated
        elif ours == pytest.approx(5.0 * generic, rel=1e-6):
            assert reported_g_per_kwh > ours, label  # capped
        else:
            assert ours == pytest.approx(reported_g_per_kwh, rel=1e-3), label
            reproduced.append(label)
    assert len(reproduced) >= 15, reproduced
    calibrated = {c: {t for t in mixes.loc[mixes["region"] == c, "technology_activity"] if t.endswith(f"-{c}")}
                  for c in set(calibration["country"])}
    calibrated = {c: codes for c, codes in calibrated.items() if codes}
    assert len(calibrated) >= 8, calibrated
    known = set(technologies["activity"])
    for region, mix in mixes[mixes["region"].map(lambda r: r.split("-")[0] in calibrated)].groupby("region"):
        country = region.split("-")[0]  # the country and its zones, every year
        assert not [t for t in mix["technology_activity"] if f"{t}-{country}" in known], region
    for code in sorted(set().union(*calibrated.values())):
        own, base = technologies[technologies["activity"] == code], code.rsplit("-", 1)[0]
        for flow in ("Carbon dioxide, fossil", "Methane, fossil"):  # GWP flows are not scaled
            assert own.loc[own["flow"] == flow, "amount"].sum() == pytest.approx(
                technologies.loc[(technologies["activity"] == base) & (technologies["flow"] == flow), "amount"].sum()), code
    # elsewhere the mix still uses the generic or eGRID-calibrated technologies
    for region in ("CN", "US-CAMX", "JP"):
        assert not [t for t in mixes.loc[mixes["region"] == region, "technology_activity"]
                    if any(t.endswith(f"-{c}") for c in calibrated)], region
