"""Interpretation: significant issues, break-even, sensitivity, uncertainty summary, completeness.

Expectations are hand calculations (float32 amounts, as Brightway stores them) or bw2calc.
"""

from __future__ import annotations

from pathlib import Path

import bw2calc as bc
import bw2data as bd
import numpy as np
import pytest

from bw_mllca import Study, build, calculate
from bw_mllca.impact.calculate import DEFAULT_METHODS, method_label, totals
from bw_mllca.impact.engine import LinearEngine
from bw_mllca.impact.methods import TRACI_GWP100
from bw_mllca.interpretation import parameters as P
from bw_mllca.interpretation.amortization import amortization_curve, break_even
from bw_mllca.interpretation.completeness import completeness
from bw_mllca.interpretation.contribution import dominance_table, significant_issues
from bw_mllca.interpretation.sensitivity import sobol_indices, tornado
from conftest import SETUP_PROJECT, f32
from studies import HOURS_PER_YEAR, minimal_study

OLMO = Path(__file__).resolve().parents[1] / "examples" / "olmo2-7b.toml"
GWP = method_label(TRACI_GWP100)
Q, BATCH, LIFETIME = 1000, 8, 1e7


@pytest.fixture(scope="module")
def olmo(setup_report):
    bd.projects.set_current(SETUP_PROJECT)
    study = Study.from_file(OLMO)
    build(study)
    return study, calculate(study)


@pytest.fixture(scope="module")
def minimal(setup_report):
    """minimal_study without water: inference + pre-training, every number visible."""
    bd.projects.set_current(SETUP_PROJECT)
    study = Study.from_dict(minimal_study("interpretation", datacenters={"dc": {"grid_water_l_per_kwh": 0.0, "wue_l_per_kwh": 0.0}}))
    build(study)
    return study, calculate(study, methods=[TRACI_GWP100])


def _hand_parts() -> tuple[float, float, float, float]:
    """(inference electricity, inference embodied, development electricity, development embodied), kg CO2e per FU."""
    share = f32(1 / (4 * HOURS_PER_YEAR * 0.5)) * f32(150.0)
    per_kwh = f32(1.25) * f32(0.3)
    batches, model = f32(Q / BATCH), f32(Q / LIFETIME)
    return (batches * f32(0.0005) * per_kwh, batches * f32(2.0 / 3600) * share,
            model * f32(3_000) * per_kwh, model * f32(10_000) * share)


def test_olmo_stage_contributions_sum_to_bw2calc_per_method_and_view(olmo):
    study, frame = olmo
    sums = totals(frame).set_index(["view", "method"])["score"]
    for view in ("attributional", "consumer"):
        fu = bd.get_node(database=study.database_name, code=f"fu:{view}")
        lca = bc.LCA({fu.id: 1.0}, DEFAULT_METHODS[0])
        lca.lci()
        for i, method in enumerate(DEFAULT_METHODS):
            if i:
                lca.switch_method(method)
            lca.lcia()
            assert sums[(view, method_label(method))] == pytest.approx(lca.score, rel=1e-9, abs=1e-300), (view, method)


def test_significant_issues_rank_stages_and_name_the_dominant_one(minimal, olmo):
    _, frame = minimal
    inf_elec, inf_emb, dev_elec, dev_emb = _hand_parts()
    issues = significant_issues(frame)
    issues = issues[issues["method"] == GWP]
    total = inf_elec + inf_emb + dev_elec + dev_emb
    by_stage = issues.set_index("stage")
    assert by_stage.loc["inference", "share"] == pytest.approx((inf_elec + inf_emb) / total, rel=1e-9)
    assert by_stage.loc["pre-training", "share"] == pytest.approx((dev_elec + dev_emb) / total, rel=1e-9)
    dominant = "inference" if inf_elec + inf_emb > dev_elec + dev_emb else "pre-training"
    assert issues.iloc[0]["stage"] == dominant and issues.iloc[0]["rank"] == 1 and issues.iloc[0]["dominant"]
    # OLMo: one row per category; shares of each category add up to 1; ranks follow the shares.
    _, olmo_frame = olmo
    table = dominance_table(olmo_frame)
    assert len(table) == olmo_frame[olmo_frame["view"] == "attributional"]["method"].nunique()
    olmo_issues = significant_issues(olmo_frame)
    for method, group in olmo_issues.groupby("method"):
        if group["score"].sum() != 0.0:
            assert group["share"].sum() == pytest.approx(1.0, rel=1e-12)
            assert list(group["share"]) == sorted(group["share"], reverse=True)
    # The largest stage of OLMo's GWP, summed here from the frame: inference (GPU-only energy plus the
    # host's draw) just ahead of pre-training stage 1.
    gwp = olmo_frame[(olmo_frame["view"] == "attributional") & (olmo_frame["method"] == GWP)]
    largest = gwp.groupby("stage")["score"].sum().idxmax()
    assert table.set_index("method").loc[GWP, "dominant_stage"] == largest
    assert table.set_index("method").loc[GWP, "dominant_kind"] == gwp[gwp["stage"] == largest]["stage_kind"].iloc[0]


def test_break_even_and_amortization_curve_by_hand(minimal):
    study, frame = minimal
    inf_elec, inf_emb, dev_elec, dev_emb = _hand_parts()
    use, development = inf_elec + inf_emb, dev_elec + dev_emb
    row = break_even(frame, study).set_index("method").loc[GWP]
    assert row["use_per_fu"] == pytest.approx(use, rel=1e-9)
    assert row["development_per_fu"] == pytest.approx(development, rel=1e-9)
    assert row["development_total"] == pytest.approx(development * LIFETIME / Q, rel=1e-9)
    hand_break_even = development * LIFETIME / use  # L*/q x use == development x L0/q
    assert row["break_even_queries"] == pytest.approx(hand_break_even, rel=1e-9)
    curve = amortization_curve(frame, [LIFETIME, hand_break_even, 1e12], study)
    curve = curve[curve["method"] == GWP].set_index("lifetime_queries")
    assert curve.loc[LIFETIME, "score"] == pytest.approx(use + development, rel=1e-9)
    assert curve.loc[hand_break_even, "development_per_fu"] == pytest.approx(use, rel=1e-9)  # half and half
    # The curve equals the engine's lifetime sweep (which rounds q/L to float32: 1e-7 relative).
    engine = LinearEngine(study, methods=[TRACI_GWP100])
    sweep = engine.scores({P.lifetime_queries(): [LIFETIME, hand_break_even, 1e12]})[:, 0]
    assert sweep == pytest.approx(list(curve["score"]), rel=1e-6)


def test_tornado_low_and_high_by_hand(minimal):
    study, _ = minimal
    inf_elec, inf_emb, dev_elec, dev_emb = _hand_parts()
    pue, lifespan = P.pue(), P.lifespan_years()
    table = tornado(study, {pue: (1.1, 1.6), lifespan: (2.0, 8.0)}, methods=[TRACI_GWP100]).set_index("parameter")
    electricity, embodied = inf_elec + dev_elec, inf_emb + dev_emb
    assert table.loc["PUE", "base_score"] == pytest.approx(electricity + embodied, rel=1e-9)
    assert table.loc["PUE", "low_score"] == pytest.approx(electricity * f32(1.1) / f32(1.25) + embodied, rel=1e-9)
    assert table.loc["PUE", "high_score"] == pytest.approx(electricity * f32(1.6) / f32(1.25) + embodied, rel=1e-9)
    # embodied per accelerator-hour is 1 / (lifespan x 8760 x utilization), float32-rounded
    for column, years in (("low_score", 2.0), ("high_score", 8.0)):
        scale = f32(1 / (years * HOURS_PER_YEAR * 0.5)) / f32(1 / (4 * HOURS_PER_YEAR * 0.5))
        assert table.loc["hardware lifespan", column] == pytest.approx(electricity + embodied * scale, rel=1e-9)
    assert list(table.index) == sorted(table.index, key=lambda p: -table.loc[p, "swing"])


def test_default_tornado_and_sobol_on_olmo(olmo):
    study, _ = olmo
    engine = LinearEngine(study)
    table = tornado(engine)
    assert set(table["parameter"]) == {"lifetime queries", "hardware lifespan", "utilization", "PUE", "WUE",
                                       "grid region", "batch size", "training energy"}
    region = table[(table["parameter"] == "grid region") & (table["method"] == GWP)].iloc[0]
    from bw_mllca.catalog import load_catalog

    by_carbon = sorted(load_catalog().regions.values(), key=lambda r: r.gwp100_kg_per_kwh)
    assert (region["low_value"], region["high_value"]) == (by_carbon[0].code, by_carbon[-1].code)  # lowest / highest carbon
    assert region["low_score"] < region["base_score"] < region["high_score"]
    indices = sobol_indices(engine, samples=128, seed=3)
    gwp = indices[indices["method"] == GWP].set_index("parameter")
    assert gwp.loc["WUE", "ST"] == 0.0  # on-site water has no climate impact
    assert gwp["ST"].idxmax() in ("lifetime queries", "grid region")


def test_completeness_of_olmo_and_estimated_share_by_hand(olmo, minimal):
    study, frame = olmo
    table = completeness(study, frame).stages.set_index("life_cycle_stage")
    assert list(table.index) == ["hardware manufacture", "infrastructure", "data", "experimentation", "training",
                                 "post-training", "deployment and inference", "end of life"]
    assert table.loc["data", "status"] == "excluded" and not table.loc["data", "in_boundary"]
    # The example marks its training energies as estimates (token split, allocations, assumptions).
    assert table.loc["training", "status"] == "estimated"
    assert table.loc["experimentation", "status"] == "estimated"
    assert table.loc["deployment and inference", "status"] == "partly measured"  # idle capacity is estimated
    assert table.loc["hardware manufacture", "status"] == "estimated"
    assert "re-training" in table.loc["training", "notes"]
    # minimal study: both stages measured (energy_kwh, energy_kwh_per_batch): only embodied is estimated
    small_study, small_frame = minimal
    share = completeness(small_study, small_frame).estimated_share.set_index("method").loc[GWP]
    inf_elec, inf_emb, dev_elec, dev_emb = _hand_parts()
    assert share["estimated_share"] == pytest.approx((inf_emb + dev_emb) / (inf_elec + inf_emb + dev_elec + dev_emb), rel=1e-9)
