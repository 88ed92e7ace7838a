"""The ISO 14044 report tables: inventory, methods, contributions, boundary, data quality,
sensitivity beyond lifetime queries, and what the Monte Carlo covers."""

from __future__ import annotations

import bw2calc as bc
import bw2data as bd
import numpy as np
import pandas as pd
import pytest

from bw_mllca import Study, build, calculate
from bw_mllca.data_files import inventories_dir
from bw_mllca.impact.calculate import system_for
from bw_mllca.impact.engine import LinearEngine
from bw_mllca.interpretation.data_quality import data_quality
from bw_mllca.interpretation.embodied_range import embodied_range
from bw_mllca.interpretation.top_contributors import top_contributors
from bw_mllca.interpretation.uncertainty_scope import SCOPE_BACKGROUND, SCOPE_FULL, uncertainty_scope
from bw_mllca.report.iso_sections import allocation_table, system_boundary_table
from bw_mllca.report.lci import lci_table, stage_inventory
from bw_mllca.report.lcia_methods import methods_table, not_assessed
from studies import catalog_study, minimal_study

GWP = "TRACI v2.1 | climate change | global warming potential (GWP100)"


@pytest.fixture(scope="module")
def catalog(setup_report):
    """H100 nodes on a catalog grid: a background with uncertain, multi-flow inventories."""
    bd.projects.set_current("mllca-tests")
    study = Study.from_dict(catalog_study("report iso catalog", scope={
        "cut_off": "stages below 1 % of development energy",
        "excluded": [{"stage": "data preparation", "reason": "no published energy"}]}))
    build(study)
    return study, system_for(study), calculate(study)


@pytest.fixture(scope="module")
def minimal(setup_report):
    """A user-given grid (CO2 and water only) and user-given embodied CO2."""
    bd.projects.set_current("mllca-tests")
    study = Study.from_dict(minimal_study("report iso minimal"))
    build(study)
    return study, system_for(study)


def _fu(database: str):
    return next(a for a in bd.Database(database) if a.get("mllca_role") == "functional unit"
                and a.get("mllca_view") == "attributional")


def test_lci_by_stage_adds_up_to_bw2calc_inventory(catalog):
    study, system, _ = catalog
    table = lci_table(stage_inventory(system))
    assert {"flow", "compartment", "unit", "amount_per_fu", "stage"} <= set(table.columns)
    assert {"pre-training", "inference"} <= set(table["stage"])
    lca = bc.LCA({_fu(study.database_name): 1.0})
    lca.lci()
    expected = np.asarray(lca.inventory.sum(axis=1)).ravel()
    by_code = table.groupby(["flow_database", "flow_code"])["amount_per_fu"].sum()
    for (database, code), amount in by_code.items():
        row = lca.dicts.biosphere[bd.get_node(database=database, code=code).id]
        assert amount == pytest.approx(expected[row], rel=1e-9, abs=1e-25)
    assert len(by_code) == np.count_nonzero(expected)
    co2 = table[(table["flow"] == "Carbon dioxide, fossil")]
    assert (co2["unit"] == "kilogram").all() and (co2["compartment"] == "air").all()


def test_methods_sheet_and_not_assessed_categories(minimal):
    study, system = minimal
    inventory = stage_inventory(system)
    table = methods_table(system, inventory)
    # The user-given grid emits fossil CO2 and water only: TRACI's acidification, toxicity,
    # ozone depletion... have no factor for them, so they are not assessed in any stage; climate
    # change and both water methods are.
    assessed_all = {row["category"] + " / " + row["indicator"] for _, row in table.iterrows()
                    if all(row[c] for c in table.columns if c.startswith("assessed: "))}
    assert assessed_all == {"climate change / global warming potential (GWP100)", "water / consumptive water use",
                            "water / AWARE scarcity-weighted water use"}
    traci = table[table["method family"] == "TRACI v2.1"]
    assert (traci["version"] == "2.1").all() and traci["source"].str.contains("Bare").all()
    assert table.filter(like="assessed: ").dtypes.map(pd.api.types.is_bool_dtype).all()  # real booleans
    gaps = not_assessed(table)
    assert len(gaps) == (len(table) - 3) * len(inventory.stages)
    acidification = table[table["category"] == "acidification"].iloc[0]
    assert set(acidification["not assessed for"].split("; ")) == set(inventory.stages)


def test_top_processes_and_flows_add_up_to_the_total(catalog):
    study, _, frame = catalog
    everything = top_contributors(study.database_name, [tuple(GWP.split(" | "))], limit=10_000)
    total = frame[(frame["view"] == "attributional") & (frame["method"] == GWP)]["score"].sum()
    assert everything.processes["score_per_fu"].sum() == pytest.approx(total, rel=1e-6)
    assert everything.flows["score_per_fu"].sum() == pytest.approx(total, rel=1e-6)
    top = top_contributors(study.database_name, [tuple(GWP.split(" | "))], limit=3)
    assert list(top.processes["rank"]) == [1, 2, 3]
    assert top.processes["score_per_fu"].abs().is_monotonic_decreasing
    # The largest flow of climate change is fossil CO2 (every grid and fab inventory emits it).
    assert top.flows.iloc[0]["flow"].startswith("Carbon dioxide, fossil")
    assert top.flows["share"].iloc[0] == pytest.approx(top.flows["score_per_fu"].iloc[0] / total, rel=1e-9)


def test_boundary_allocation_and_data_quality(catalog):
    study, _, _ = catalog
    boundary = system_boundary_table(study)
    excluded = boundary[~boundary["included"]]
    assert "data preparation" in set(excluded["part of the system"])
    assert boundary.iloc[-1]["justification"] == "stages below 1 % of development energy"
    allocation = allocation_table(study)
    development = allocation.iloc[0]["value"]
    assert "1000 queries per FU / 1e+09 lifetime queries" == development
    assert any("4 years x 8760 h x utilization 0.85" in v for v in allocation["value"])
    quality = data_quality(study.database_name)
    grid = quality[quality["kind"] == "background: electricity"].iloc[0]
    assert grid["geography"] == "US-SRVC" and grid["year"] == 2023  # eGRID2023 data year
    # Its pedigree is the mean of those the inventory tables state, each 1 (best) to 5.
    assert 1.0 <= grid["pedigree_score"] <= 5.0
    assert grid["pedigree_score"] == pytest.approx(grid[["reliability", "completeness", "temporal", "geographical",
                                                         "technological"]].mean(), abs=0.01)
    stage = quality[quality["dataset"] == "pre-training"].iloc[0]
    assert stage["pedigree_score"] == pytest.approx((4 + 3 + 1 + 1 + 1) / 5)  # energy from hours x power


def test_embodied_range_from_published_figures(catalog):
    study, _, frame = catalog
    table = pd.read_csv(inventories_dir() / "hardware_comparison.csv")
    h100 = table[(table["device"] == "H100-SXM5-80GB") & (table["category"] == "EF v3.1 | climate change")].iloc[0]
    published = [h100["boaviztapi"], 273.0, 463.0, 164.0]  # BoaviztAPI, EcoLogits, Morrison et al., NVIDIA PCF
    low, high = min(published) / h100["this_model"], max(published) / h100["this_model"]
    rows = embodied_range(frame, study).set_index("method")
    gwp = frame[(frame["view"] == "attributional") & (frame["method"] == GWP)]
    embodied = gwp[gwp["component"] == "embodied hardware"]["score"].sum()
    assert rows.loc[GWP, "low_value"] == pytest.approx(low) and rows.loc[GWP, "high_value"] == pytest.approx(high)
    assert rows.loc[GWP, "high_score"] == pytest.approx(gwp["score"].sum() + (high - 1) * embodied, rel=1e-12)
    assert rows.loc[GWP, "low_score"] == pytest.approx(gwp["score"].sum() + (low - 1) * embodied, rel=1e-12)


def test_full_monte_carlo_is_wider_and_says_what_it_covers(catalog):
    study, system, _ = catalog
    scope = uncertainty_scope(LinearEngine(study, system=system), iterations=400, seed=3)
    both = scope.summary[scope.summary["method"] == GWP].set_index("scope")
    # Same background draws in both runs: the foreground parameters only add spread.
    assert both.loc[SCOPE_FULL, "p95"] - both.loc[SCOPE_FULL, "p5"] > both.loc[SCOPE_BACKGROUND, "p95"] - both.loc[SCOPE_BACKGROUND, "p5"]
    assert both.loc[SCOPE_FULL, "deterministic"] == both.loc[SCOPE_BACKGROUND, "deterministic"]
    covered = set(scope.statement[scope.statement["coverage"] == "covered"]["what"])
    assert {"background exchanges", "foreground parameter: PUE", "foreground parameter: hardware lifespan",
            "foreground parameter: utilization"} <= covered
    assert "lifetime queries" in set(scope.statement[scope.statement["coverage"] == "not covered"]["what"])
