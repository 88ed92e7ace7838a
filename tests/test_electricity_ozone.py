"""Ozone depletion of grid electricity: every region scores > 0 in TRACI v2.1 and EF v3.1, and a region's
score is its technologies' cited ozone-depleting releases x the method's factors x mix x 1/(1 - losses)."""

from __future__ import annotations

import bw2calc as bc
import bw2data as bd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse.linalg as spla

from bw_mllca.catalog import load_catalog
from bw_mllca.data_files import inventories_dir
from bw_mllca.inventory.background import BACKGROUND

TRACI_ODP = ("TRACI v2.1", "ozone depletion", "ozone depletion potential (ODP)")
EF_ODP = ("EF v3.1", "ozone depletion", "ozone depletion potential (ODP)")

# NETL's construction inventories as shipped in US EPA's ElectricityLCI (plant_construction_inventory.csv):
# kg released to air per plant, 550 MW supercritical pulverized coal (SCPC) and 630 MW gas combined cycle.
CONSTRUCTION_KG = {  # flow: (SCPC, NGCC)
    "Ethane, 1,1,1-trichloro-, HCFC-140": (227.6233262, 86.1761453),
    "Ethane, 1,1,2-trichloro-1,2,2-trifluoro-, CFC-113": (16.05032533, 5.869303012),
    "Methane, bromo-, Halon 1001": (22.71645043, 6.885921592),
    "Ethane, 1,2-dichloro-1,1,2,2-tetrafluoro-, CFC-114": (8.77033367, 1.966373164),
    "Methane, tetrachloro-, R-10": (10.16392881, 2.852588605),
    "Methane, chlorodifluoro-, HCFC-22": (147.198437, 95.74251881),
    "Methane, trichlorofluoro-, CFC-11": (5.904539377, 2.213401781),
    "Methane, bromotrifluoro-, Halon 1301": (0.286924298, 0.116884987),
    "Methane, dichlorodifluoro-, CFC-12": (2.149819482, 0.762124267),
}
SCPC_CO2_KG = 376174373.4
# lifetime kWh of one plant: MW x 1000 x 8760 h x 30 years x capacity factor 0.85
LIFETIME_KWH = {"SCPC": 550e3 * 8760 * 30 * 0.85, "NGCC": 630e3 * 8760 * 30 * 0.85}
# Steam and gas plants carry their plant's construction; the others their supply-chain fossil CO2 (IPCC AR5
# Annex III medians, UNECE 2021 for run-of-river; g CO2e/kWh) x the SCPC construction's ODS per kg CO2.
PLANT_OF = {"hard-coal": "SCPC", "lignite": "SCPC", "oil": "SCPC", "biomass": "SCPC", "other": "SCPC",
            "gas-combined-cycle": "NGCC", "gas-turbine": "NGCC"}
SUPPLY_CHAIN_CO2_G = {"nuclear": 12, "hydro-reservoir": 24, "hydro-run-of-river": 11, "wind-onshore": 11,
                      "wind-offshore": 12, "solar-pv": 48, "solar-csp": 27, "geothermal": 38}
# Fuel chains of gas and oil: Halon 1301 of offshore production, Canada 2023 (Meili et al. 2025, Tab. 12.2):
# 382 kg/a, 63.8 % of it oil's by heating value, over 220,000 b/d of crude (0.158987 m3/bbl, 890 kg/m3, 42.3 MJ/kg);
# onshore none; the world's offshore share of oil (EIA, 2015) and gas (Mackay Consultants, 2003) production.
HALON_KG_PER_OFFSHORE_MJ = 382 * 0.638 / (220_000 * 365 * 0.158987 * 890 * 42.3)
# MJ of offshore-produced fuel per kWh generated: offshore share x the plant's fuel (MJ per kWh)
OFFSHORE_FUEL_MJ_PER_KWH = {"gas-combined-cycle": 0.258 * 6.595, "gas-turbine": 0.258 * 10.286, "oil": 0.30 * 10.925}
HALON_NON_URBAN = ("Methane, bromotrifluoro-, Halon 1301", ("air", "non-urban air or from high stacks"))


def _factors(method: tuple[str, ...]) -> dict[str, float]:
    """The method's factors of the air-unspecified flows above by flow name (0 where it has none), and of
    halon 1301 to non-urban air under HALON_NON_URBAN."""
    by_flow = {}
    for flow, cf in bd.Method(method).load():
        node = bd.get_node(id=flow)
        if tuple(node["categories"]) == ("air",) and node["name"] in CONSTRUCTION_KG:
            by_flow[node["name"]] = float(cf)
        elif (node["name"], tuple(node["categories"])) == HALON_NON_URBAN:
            by_flow[HALON_NON_URBAN] = float(cf)
    return by_flow


def _technology_odp(code: str, factors: dict[str, float]) -> float:
    """kg CFC-11-eq per kWh generated of a technology activity, by hand from the cited figures."""
    kind = code.removeprefix("electricity-gen-")
    plant = next((p for prefix, p in PLANT_OF.items() if kind.startswith(prefix)), None)
    if plant is not None:
        column = 0 if plant == "SCPC" else 1
        construction = sum(kg[column] * factors.get(flow, 0.0) for flow, kg in CONSTRUCTION_KG.items()) / LIFETIME_KWH[plant]
        fuel_mj = next((mj for prefix, mj in OFFSHORE_FUEL_MJ_PER_KWH.items() if kind.startswith(prefix)), 0.0)
        return construction + fuel_mj * HALON_KG_PER_OFFSHORE_MJ * factors[HALON_NON_URBAN]
    grams = next(g for prefix, g in SUPPLY_CHAIN_CO2_G.items() if kind.startswith(prefix))
    return grams / 1000 * sum(kg[0] * factors.get(flow, 0.0) for flow, kg in CONSTRUCTION_KG.items()) / SCPC_CO2_KG


@pytest.fixture(scope="module")
def unit_scores(setup_report) -> dict[tuple[str, ...], dict[str, float]]:
    """Every background activity's ODP per unit, both methods: one transposed solve per method on bw2calc's matrices."""
    from conftest import SETUP_PROJECT

    bd.projects.set_current(SETUP_PROJECT)
    nodes = list(bd.Database(BACKGROUND))
    lca = bc.LCA({nodes[0].id: 1.0}, TRACI_ODP)
    lca.lci()
    solver = spla.factorized(lca.technosphere_matrix.T.tocsc())
    out = {}
    for method in (TRACI_ODP, EF_ODP):
        lca.switch_method(method)
        weights = lca.biosphere_matrix.T @ lca.characterization_matrix.diagonal()
        per_unit = solver(np.asarray(weights, dtype=float))
        out[method] = {node["code"]: float(per_unit[lca.dicts.product[node.id]]) for node in nodes}
    return out


def _latest_mix(code: str) -> dict[str, float]:
    grid = pd.read_csv(inventories_dir() / "electricity_grid.csv", keep_default_na=False)
    rows = grid[grid["activity"] == f"electricity-mix-{code}"]
    return dict(zip(rows["input"], rows["amount"].astype(float)))


def test_every_region_scores_above_zero_in_both_ozone_depletion_methods(unit_scores):
    catalog = load_catalog()
    assert len(catalog.regions) >= 379
    for method in (TRACI_ODP, EF_ODP):
        scores = {code: unit_scores[method][r.electricity_activity] for code, r in catalog.regions.items()}
        assert min(scores.values()) > 0.0, (method, min(scores, key=scores.get))
    assert not any("ozone" in label for r in catalog.regions.values() for label in r.not_assessed)


@pytest.mark.parametrize("method", [TRACI_ODP, EF_ODP])
def test_germany_ozone_depletion_is_the_cited_releases_times_mix_losses_and_factors(unit_scores, method):
    """Germany (coal, lignite, gas, wind, solar, biomass, hydro): share x hand-computed ODP per technology
    x 1/(1 - losses); and each technology activity scores its cited releases (stored to 6 digits)."""
    factors = _factors(method)
    assert factors[HALON_NON_URBAN] > 10 and factors["Methane, trichlorofluoro-, CFC-11"] == 1.0
    region = load_catalog().region("DE")
    mix = _latest_mix("DE")
    assert len(mix) >= 8
    for code in mix:
        assert unit_scores[method][code] == pytest.approx(_technology_odp(code, factors), rel=1e-5), code
    expected = sum(share * _technology_odp(code, factors) for code, share in mix.items()) / (1.0 - region.loss_fraction)
    assert unit_scores[method][region.electricity_activity] == pytest.approx(expected, rel=1e-5)
    assert 1e-10 < expected < 1e-8  # kg CFC-11-eq per kWh at the meter


def test_a_region_scores_the_share_weighted_sum_of_its_technologies(unit_scores):
    """Linearity over the mix; TRACI above EF 3.1 (1,1,1-trichloroethane and higher CFC factors)."""
    catalog = load_catalog()
    for code in ("PL", "US-ERCT", "CA-QC", "FR", "CN", "IS"):
        region = catalog.region(code)
        for method in (TRACI_ODP, EF_ODP):
            total = sum(share * unit_scores[method][tech] for tech, share in _latest_mix(code).items())
            assert unit_scores[method][region.electricity_activity] == pytest.approx(total / (1.0 - region.loss_fraction), rel=1e-6)
        assert unit_scores[TRACI_ODP][region.electricity_activity] > unit_scores[EF_ODP][region.electricity_activity]


@pytest.mark.parametrize("method", [TRACI_ODP, EF_ODP])
def test_gas_against_coal_power_as_published(unit_scores, method):
    """Atilgan & Azapagic (2015, J. Clean. Prod. 106, 555, abstract): ozone depletion of gas power in Turkey is
    12 times that of hard-coal and 48 times that of lignite power (CML, ecoinvent-based chains, halon of
    pipelines and platforms). Ours, per kWh generated, lies between the two."""
    gas = unit_scores[method]["electricity-gen-gas-combined-cycle-high"]
    for coal in ("electricity-gen-hard-coal-high", "electricity-gen-lignite-high"):
        assert 12.0 < gas / unit_scores[method][coal] < 48.0, (coal, gas / unit_scores[method][coal])
