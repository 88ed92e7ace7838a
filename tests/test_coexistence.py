"""Coexistence with a user's data: in a project that already holds a user's biosphere3
of another version, user methods (some under standard or bw_mllca names) and user databases with
names close to ours, setup and build change nothing of the user's; what bw_mllca writes is
namespaced; a user database named exactly like a study database is never overwritten.
"""

from __future__ import annotations

import uuid

import bw2data as bd
import pytest
from bw2data.backends import ActivityDataset as AD
from bw2data.backends import ExchangeDataset as ED

from bw_mllca import SetupConflict, Study, build, setup_project
from bw_mllca.impact.methods import TRACI_GWP100, bundled_methods
from bw_mllca.inventory.background import BACKGROUND
from bw_mllca.inventory.biosphere import OWN_BIOSPHERE
from studies import catalog_study, minimal_study

CO2 = "349b29d1-3e58-4c66-98b9-9d1a076efd2e"  # Carbon dioxide, fossil; air (bw2io 3.9 biosphere)
UNUSED_FLOWS = 25  # flows of bw2io's biosphere3 the user's "other version" lacks
OUR_WATER = ("bw_mllca", "water", "consumptive water use")
CLOSE_NAMES = ["mllca background ", "Mllca Background", "mllca study:coexistence", "mllca study: coexistence (copy)",
               "mllca-background", "bw_mllca"]


def _database(name: str) -> dict:
    return {
        "metadata": dict(bd.databases[name]),
        "activities": sorted(
            (code, repr(sorted(data.items())))
            for code, data in AD.select(AD.code, AD.data).where(AD.database == name).tuples()
        ),
        "exchanges": sorted(
            (o, idb, ic, t, repr(sorted(d.items())))
            for o, idb, ic, t, d in ED.select(ED.output_code, ED.input_database, ED.input_code, ED.type, ED.data)
            .where(ED.output_database == name).tuples()
        ),
    }


def _method(name: tuple) -> dict:
    return {"metadata": dict(bd.methods[name]), "factors": sorted(map(tuple, bd.Method(name).load()))}


def _users_data(databases, methods) -> dict:
    return {"databases": {n: _database(n) for n in databases}, "methods": {m: _method(m) for m in methods}}


@pytest.fixture(scope="module")
def users_project(bw_dir):
    """A user's project: bw2io's biosphere3 changed into 'another version', user methods (one under a
    TRACI name, one under our own water method's name, one of theirs), and databases with names
    close to ours. Returns (project, user's database names, user's method names, snapshot)."""
    import bw2io
    from bw_mllca.impact.methods import project_methods, required_flow_codes
    from bw_mllca.inventory.background import required_flow_codes as background_codes

    name = f"users-{uuid.uuid4().hex[:8]}"
    bd.projects.set_current(name)
    bw2io.create_default_biosphere3()
    biosphere = bd.Database("biosphere3")
    needed = required_flow_codes(project_methods()) | background_codes()
    unused = [code for (code,) in AD.select(AD.code).where(AD.database == "biosphere3").tuples() if code not in needed]
    for code in unused[:UNUSED_FLOWS]:  # an older version: some flows absent ...
        bd.get_node(database="biosphere3", code=code).delete()
    for code in unused[UNUSED_FLOWS:UNUSED_FLOWS + 5]:  # ... some renamed ...
        flow = bd.get_node(database="biosphere3", code=code)
        flow["name"] = flow["name"] + " (v3.10 name)"
        flow.save()
    biosphere.new_node(code="user-flow-1", name="a flow of the newer version", unit="kilogram",
                       type="emission", categories=("air",)).save()  # ... and one added
    metadata = bd.databases["biosphere3"]
    metadata["version"] = "3.10 (user's)"
    bd.databases["biosphere3"] = metadata

    co2 = bd.get_node(database="biosphere3", code=CO2)
    water = bd.get_node(database="biosphere3", code="075e433b-4be4-448e-9510-9a5029c1ce94")
    methods = {TRACI_GWP100: [(co2.id, 1.5)], OUR_WATER: [(water.id, 2.0)], ("my company", "carbon"): [(co2.id, 1.0)]}
    for method, factors in methods.items():
        bd.Method(method).register(unit="user unit", description="the user's own")
        bd.Method(method).write(factors)

    databases = ["biosphere3"]
    for index, db in enumerate(CLOSE_NAMES):
        bd.Database(db).write({(db, f"p{index}"): {
            "name": f"user process {index}", "unit": "unit", "location": "GLO",
            "exchanges": [{"input": ("biosphere3", CO2), "amount": float(index + 1), "type": "biosphere"}],
        }})
        databases.append(db)
    snapshot = _users_data(databases, list(methods))
    yield name, databases, list(methods), snapshot
    from conftest import SETUP_PROJECT

    bd.projects.set_current(SETUP_PROJECT)
    bd.projects.delete_project(name, delete_dir=True)


def test_setup_and_build_change_nothing_of_the_users(users_project):
    name, databases, methods, snapshot = users_project
    databases_before, methods_before = set(bd.databases), set(bd.methods)

    report = setup_project(name)
    assert report.biosphere == "user's"
    assert any("GWP100" in c for c in report.conflicts)  # the user's TRACI GWP is kept, and said so
    assert any("consumptive water use" in c for c in report.conflicts)  # so is their method of our name
    assert any("absent from biosphere3" in c for c in report.conflicts)  # and the flows their version lacks
    studies = [Study.from_dict(minimal_study("coexistence")), Study.from_dict(catalog_study("coexistence catalog"))]
    for study in studies:
        build(study)
        build(study)  # a rebuild changes nothing either
    assert setup_project(name).wrote_anything is False

    assert _users_data(databases, methods) == snapshot

    # Everything bw_mllca added is namespaced.
    added_databases = set(bd.databases) - databases_before
    assert added_databases == {BACKGROUND, OWN_BIOSPHERE} | {s.database_name for s in studies}
    assert all(db in (BACKGROUND, OWN_BIOSPHERE) or db.startswith("mllca study: ") for db in added_databases)
    standard = {table.name for table in bundled_methods()}
    for method in set(bd.methods) - methods_before:
        assert method[0] == "bw_mllca" or method in standard, method
    for method in set(bd.methods) & set(methods):
        assert "bw_mllca" not in bd.methods[method]  # the user's methods carry no mark of ours


def test_user_database_named_like_a_study_database_is_not_overwritten(users_project):
    name, *_ = users_project
    setup_project(name)
    study = Study.from_dict(minimal_study("user's clash"))
    bd.Database(study.database_name).write({(study.database_name, "mine"): {
        "name": "the user's own", "unit": "unit", "exchanges": []}})
    before = _database(study.database_name)
    with pytest.raises(SetupConflict, match="was not written by bw_mllca"):
        build(study)
    assert _database(study.database_name) == before
    del bd.databases[study.database_name]


def test_user_database_named_like_our_background_stops_setup(bw_dir):
    import bw2io

    name = f"users-bg-{uuid.uuid4().hex[:8]}"
    bd.projects.set_current(name)
    try:
        bw2io.create_default_biosphere3()
        bd.Database(BACKGROUND).write({(BACKGROUND, "mine"): {"name": "user's own", "unit": "unit", "exchanges": []}})
        before = _database(BACKGROUND)
        with pytest.raises(SetupConflict, match="was not written by bw_mllca"):
            setup_project(name)
        assert _database(BACKGROUND) == before
    finally:
        from conftest import SETUP_PROJECT

        bd.projects.set_current(SETUP_PROJECT)
        bd.projects.delete_project(name, delete_dir=True)
