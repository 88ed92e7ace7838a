"""Project setup: biosphere3, bundled LCIA methods, the background database."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import bw2calc as bc
import bw2data as bd
import pytest

from bw_mllca import SetupConflict, setup_project
from bw_mllca.data_files import inventories_dir
from bw_mllca.impact.methods import TRACI, TRACI_GWP100, bundled_lcia_path
from bw_mllca.inventory.background import BACKGROUND
from bw_mllca.inventory.biosphere import OWN_BIOSPHERE, WATER_AWARE
from conftest import f32


def _bundled(name: tuple[str, ...]) -> dict:
    with zipfile.ZipFile(bundled_lcia_path()) as archive:
        for method in json.load(archive.open("data.json")):
            if tuple(method["name"]) == name:
                return method
    raise KeyError(name)


def test_all_nine_traci_methods_with_bundled_factor_counts(project):
    assert len(TRACI) == 9
    for name in TRACI:
        assert name in bd.methods, name
        expected = len(_bundled(name)["exchanges"])
        assert bd.methods[name]["num_cfs"] == expected
        assert len(bd.Method(name).load()) == expected
    families = {name[0] for name in bd.methods}
    assert {"TRACI v2.1", "EF v3.1", "IPCC 2021"} <= families
    assert ("bw_mllca", "water", "consumptive water use") in bd.methods


def _rows(table: str, activity: str, column: str = "activity") -> list[dict[str, str]]:
    with (inventories_dir() / table).open(newline="", encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle) if r[column] == activity]


@pytest.mark.parametrize("region", ["US-SRVC", "FR", "DE"])
def test_gwp_of_one_kwh_equals_tables_times_bundled_factors(project, region):
    """meter -> 1/(1 - losses) x mix -> shares x technologies -> flows x factors, by hand."""
    factors = {exc["input"][1]: exc["amount"] for exc in _bundled(TRACI_GWP100)["exchanges"]}
    (loss,) = _rows("electricity_grid.csv", f"electricity-{region}")
    shares = _rows("electricity_grid.csv", f"electricity-mix-{region}")
    assert shares, region
    # Brightway stores amounts and factors at float32 precision, so the hand sum rounds them too.
    per_generated = sum(
        f32(float(share["amount"])) * sum(f32(float(r["amount"])) * f32(factors.get(r["biosphere3_uuid"], 0.0))
                                          for r in _rows("electricity_technologies.csv", share["input"]))
        for share in shares
    )
    expected = f32(float(loss["amount"])) * per_generated
    assert expected > 0
    activity = bd.get_node(database=BACKGROUND, code=f"electricity-{region}")
    lca = bc.LCA({activity: 1}, TRACI_GWP100)
    lca.lci()
    lca.lcia()
    assert lca.score == pytest.approx(expected, rel=1e-9)


def test_every_background_exchange_is_linked(project):
    biosphere_codes = {a["code"] for a in bd.Database("biosphere3")}
    count = 0
    for activity in bd.Database(BACKGROUND):
        for exchange in activity.exchanges():
            database, code = exchange["input"]
            if exchange["type"] == "biosphere":
                assert (database == "biosphere3" and code in biosphere_codes) or (database, code) == (OWN_BIOSPHERE, WATER_AWARE)
            else:
                assert database == BACKGROUND
            count += 1
    assert count > 5000


def test_every_traci_category_the_background_feeds_is_nonzero(project):
    """Electricity and hardware flows reach the TRACI categories the physics supports."""
    activity = bd.get_node(database=BACKGROUND, code="electricity-US-SRVC")
    lca = bc.LCA({activity: 1}, TRACI[0])
    lca.lci()
    nonzero = set()
    for method in TRACI:
        lca.switch_method(method)
        lca.lcia()
        if lca.score > 0:
            nonzero.add(method[1])
    assert {"climate change", "acidification", "eutrophication", "particulate matter formation",
            "photochemical oxidant formation", "human toxicity: carcinogenic",
            "human toxicity: non-carcinogenic", "ecotoxicity: freshwater", "ozone depletion"} <= nonzero
    from bw_mllca.catalog import load_catalog

    assert "TRACI v2.1 ozone depletion" not in load_catalog().region("US-SRVC").not_assessed


def test_second_setup_writes_nothing(project, setup_report):
    assert setup_report.wrote_anything
    databases_before = {name: dict(bd.databases[name]) for name in bd.databases}
    methods_before = {name: dict(bd.methods[name]) for name in bd.methods}
    again = setup_project(project)
    assert not again.wrote_anything
    assert again.methods_written == 0 and again.methods_unchanged == len(methods_before)
    assert {name: dict(bd.databases[name]) for name in bd.databases} == databases_before
    assert {name: dict(bd.methods[name]) for name in bd.methods} == methods_before


def _snapshot_user_data(method_name, user_db):
    return (
        sorted(bd.Method(method_name).load()),
        dict(bd.methods[method_name]),
        sorted((a["code"], a["name"], tuple((e["input"], e["amount"]) for e in a.exchanges())) for a in bd.Database(user_db)),
        dict(bd.databases[user_db]),
        sorted((a["code"], a["name"]) for a in bd.Database("biosphere3")),
        dict(bd.databases["biosphere3"]),
    )


def test_setup_leaves_users_biosphere_method_and_database_unchanged(empty_project):
    import bw2io

    # The user's own biosphere3 (bw2io's, with one renamed flow and one flow of their own),
    # a user method under a TRACI name with different factors, and a user database.
    bw2io.create_default_biosphere3()
    flow = bd.get_node(database="biosphere3", code="075e433b-4be4-448e-9510-9a5029c1ce94")
    flow["name"] = "Water (user renamed)"
    flow.save()
    bd.Database("biosphere3").new_node(code="user-flow", name="my flow", unit="kilogram", type="emission").save()
    co2 = bd.get_node(database="biosphere3", code="349b29d1-3e58-4c66-98b9-9d1a076efd2e")
    bd.Method(TRACI_GWP100).register(unit="kg CO2-Eq")
    bd.Method(TRACI_GWP100).write([(co2.id, 2.0)])
    bd.Database("mllca backgrounds (user)").write({
        ("mllca backgrounds (user)", "p"): {"name": "user process", "unit": "unit", "exchanges": [
            {"input": ("biosphere3", co2["code"]), "amount": 3.0, "type": "biosphere"}]}
    })
    before = _snapshot_user_data(TRACI_GWP100, "mllca backgrounds (user)")

    report = setup_project(empty_project)

    assert _snapshot_user_data(TRACI_GWP100, "mllca backgrounds (user)") == before
    assert report.biosphere == "user's"
    assert any("GWP100" in conflict for conflict in report.conflicts)
    assert BACKGROUND in bd.databases


def test_user_database_with_our_name_is_a_conflict_and_untouched(empty_project):
    import bw2io

    bw2io.create_default_biosphere3()
    bd.Database(BACKGROUND).write({(BACKGROUND, "mine"): {"name": "user's own", "unit": "unit", "exchanges": []}})
    with pytest.raises(SetupConflict, match="was not written by bw_mllca"):
        setup_project(empty_project)
    assert [a["name"] for a in bd.Database(BACKGROUND)] == ["user's own"]


def test_biosphere_lacking_our_flows_is_a_conflict_and_nothing_is_written(empty_project):
    bd.Database("biosphere3").write({("biosphere3", "only"): {"name": "only flow", "unit": "kilogram", "type": "emission"}})
    with pytest.raises(SetupConflict, match="lacks"):
        setup_project(empty_project)
    assert BACKGROUND not in bd.databases
    assert not any(name[0] == "TRACI v2.1" for name in bd.methods)
    assert len(bd.Database("biosphere3")) == 1


def test_setup_is_fast_enough_to_measure(setup_report):
    # Speed targets live in benchmarks/; this only records that setup reports its own time.
    assert setup_report.seconds > 0


def test_shipped_inventories_are_found(project):
    assert (inventories_dir() / "activities.csv").is_file()
    assert Path(bundled_lcia_path()).is_file()
