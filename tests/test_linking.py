"""Linking a study to a practitioner's own database: by [database, code] or by a search table
(name, narrowed by database, location, reference product and unit), with the unit checked.

The user's database is written here, in the shared project, and removed afterwards. Expectations:
a linked grid emitting x kg CO2 per kWh scores as a user-given grid of x kg CO2e/kWh (the same
foreground amounts); a per-kilogram manufacture with a conversion factor by hand.
"""

from __future__ import annotations

import bw2data as bd
import pytest

from bw_mllca import Study, StudyError, build, calculate
from bw_mllca.impact.calculate import method_label
from bw_mllca.impact.methods import TRACI_GWP100
from bw_mllca.inventory.foreground import CO2_FOSSIL_AIR
from bw_mllca.scope.linking import ONE_KWH_AT_METER, resolve_link
from bw_mllca.scope.study import ActivityLink
from conftest import f32
from studies import HOURS_PER_YEAR, minimal_study

USERS = "users background"
GRID = "market for electricity, low voltage"
GWP = method_label(TRACI_GWP100)
DE_KG_PER_KWH, FR_KG_PER_KWH, CARD_KG_CO2_PER_KG = 0.5, 0.05, 100.0


def _process(code: str, name: str, location: str, unit: str, product: str, co2_kg: float) -> tuple:
    return (USERS, code), {"name": name, "location": location, "unit": unit, "reference product": product,
                           "type": "process", "exchanges": [
                               {"input": (USERS, code), "amount": 1.0, "type": "production"},
                               {"input": ("biosphere3", CO2_FOSSIL_AIR), "amount": co2_kg, "type": "biosphere"}]}


@pytest.fixture(scope="module")
def users_database(setup_report):
    from conftest import SETUP_PROJECT

    bd.projects.set_current(SETUP_PROJECT)
    bd.Database(USERS).write(dict([
        _process("el-de", GRID, "DE", "kilowatt hour", "electricity, low voltage", DE_KG_PER_KWH),
        _process("el-fr", GRID, "FR", "kilowatt hour", "electricity, low voltage", FR_KG_PER_KWH),
        _process("el-de-mj", "electricity, low voltage, per MJ", "DE", "megajoule", "electricity", DE_KG_PER_KWH / 3.6),
        _process("card", "graphics card production", "GLO", "kilogram", "graphics card", CARD_KG_CO2_PER_KG),
    ]))
    yield USERS
    bd.projects.set_current(SETUP_PROJECT)
    del bd.databases[USERS]


def _linked(name: str, link, **changes) -> Study:
    """minimal_study with its datacenter on a linked grid (no water, so only the grid differs)."""
    data = minimal_study(name, **changes)
    data["datacenters"] = {"dc": {"electricity_activity": link, "pue": 1.25, "wue_l_per_kwh": 0.0}}
    return Study.from_dict(data)


def _gwp(study: Study) -> float:
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100])
    return float(frame[(frame.view == "attributional") & (frame.method == GWP)].score.sum())


def _problem(error: pytest.ExceptionInfo) -> tuple[str, object, str]:
    (problem,) = error.value.problems
    return problem


def test_link_by_name_and_location_scores_as_that_grid_and_keeps_its_location(users_database):
    table = {"database": USERS, "name": GRID, "location": "DE"}
    linked = _linked("linked by name", table)
    by_code = _linked("linked by code", [USERS, "el-de"])
    same_intensity = Study.from_dict(minimal_study("grid given", datacenters={"dc": {
        "grid_kgco2e_per_kwh": DE_KG_PER_KWH, "grid_water_l_per_kwh": 0.0, "wue_l_per_kwh": 0.0}}))
    expected = _gwp(same_intensity)
    assert _gwp(linked) == pytest.approx(expected, rel=1e-9)
    assert _gwp(by_code) == pytest.approx(expected, rel=1e-9)
    it_energy = bd.get_node(database=linked.database_name, code="it-energy:dc")
    assert it_energy["location"] == "DE"  # the linked activity's location, not GLO
    assert bd.get_node(database=linked.database_name, code="stage:pre-training")["location"] == "DE"
    (grid,) = [exc for exc in it_energy.technosphere()]
    assert grid.input.key == (USERS, "el-de") and grid["amount"] == pytest.approx(f32(1.25), rel=1e-7)


def test_a_grid_in_another_unit_needs_a_conversion_factor(users_database):
    link = {"database": USERS, "name": "electricity, low voltage, per MJ"}
    with pytest.raises(StudyError) as error:
        build(_linked("per MJ", link))
    path, _, message = _problem(error)
    assert path == "datacenters.dc.electricity_activity"
    assert "per megajoule" in message and "conversion_factor" in message
    converted = _linked("per MJ converted", {**link, "conversion_factor": 3.6})
    expected = Study.from_dict(minimal_study("grid given 2", datacenters={"dc": {
        "grid_kgco2e_per_kwh": DE_KG_PER_KWH, "grid_water_l_per_kwh": 0.0, "wue_l_per_kwh": 0.0}}))
    assert _gwp(converted) == pytest.approx(_gwp(expected), rel=1e-6)  # 3.6 MJ x 0.5/3.6 kg, in float32


def test_per_kilogram_graphics_card_needs_kilograms_per_accelerator(users_database):
    card = {"database": USERS, "name": "graphics card production", "unit": "kg"}
    hardware = {"gpu": {"accelerator_embodied": None, "manufacture_activity": card}}
    with pytest.raises(StudyError) as error:
        build(Study.from_dict(minimal_study("card per kg", hardware=hardware)))
    path, value, message = _problem(error)
    assert path == "hardware.gpu.manufacture_activity" and value["name"] == "graphics card production"
    assert "per kilogram" in message and "one accelerator" in message and "conversion_factor" in message

    kg_per_card = 2.0
    hardware = {"gpu": {"accelerator_embodied": None, "manufacture_activity": {**card, "conversion_factor": kg_per_card}}}
    linked = Study.from_dict(minimal_study("card 2 kg", hardware=hardware))
    given = Study.from_dict(minimal_study("card given", hardware={"gpu": {"accelerator_embodied": {
        "co2e_kg": kg_per_card * CARD_KG_CO2_PER_KG}}}))
    assert _gwp(linked) == pytest.approx(_gwp(given), rel=1e-6)
    hour = bd.get_node(database=linked.database_name, code="accelerator-hour:gpu")
    (manufacture,) = [exc for exc in hour.technosphere() if exc.input["database"] == USERS]
    assert manufacture["amount"] == pytest.approx(kg_per_card / (4 * HOURS_PER_YEAR * 0.5), rel=1e-6)


def test_several_matches_list_the_candidates(users_database):
    with pytest.raises(StudyError) as error:
        resolve_link(ActivityLink(name=GRID, database=USERS), "datacenters.dc.electricity_activity", ONE_KWH_AT_METER)
    _, _, message = _problem(error)
    assert message.startswith("2 activities match")
    assert "(DE, kilowatt hour" in message and "(FR, kilowatt hour" in message and "add location" in message
    found = resolve_link(ActivityLink(name=GRID.upper(), location="fr"), "x", ONE_KWH_AT_METER)  # any database
    assert found.key == (USERS, "el-fr") and found.location == "FR" and found.amount_per_unit == 1.0


def test_no_match_names_the_closest_and_a_missing_database_says_so(users_database):
    with pytest.raises(StudyError) as error:
        resolve_link(ActivityLink(name="market for electricty, low voltage", database=USERS), "f", ONE_KWH_AT_METER)
    assert "closest" in _problem(error)[2] and GRID in _problem(error)[2]
    with pytest.raises(StudyError) as error:
        resolve_link(ActivityLink(name=GRID, database=USERS, location="IT"), "f", ONE_KWH_AT_METER)
    message = _problem(error)[2]
    assert "with this name" in message and "(DE," in message and "(FR," in message
    for link in (ActivityLink(name=GRID, database="user background"), ("user background", "el-de")):
        with pytest.raises(StudyError) as error:
            resolve_link(link, "f", ONE_KWH_AT_METER)
        assert "no such database 'user background'" in _problem(error)[2]
        assert repr(USERS) in _problem(error)[2]  # the closest name
    with pytest.raises(StudyError, match="no activity with code 'nowhere'"):
        resolve_link((USERS, "nowhere"), "f", ONE_KWH_AT_METER)


def test_a_failed_link_writes_nothing(users_database):
    databases = dict(bd.databases)
    with pytest.raises(StudyError):
        build(_linked("never written", {"database": USERS, "name": GRID}))
    assert dict(bd.databases) == databases


def test_link_table_round_trips_and_rejects_unknown_fields():
    link = {"database": USERS, "name": GRID, "location": "DE", "conversion_factor": 1.0}
    study = _linked("round trip", link)
    assert study.datacenters["dc"].electricity_activity == ActivityLink(**link)
    from bw_mllca.impact.engine import study_dict

    assert Study.from_dict(study_dict(study)).datacenters["dc"].electricity_activity == ActivityLink(**link)
    with pytest.raises(StudyError, match=r"electricity_activity.*(name|locaton)"):
        _linked("bad", {"locaton": "DE"})
    with pytest.raises(StudyError, match="conversion_factor"):
        _linked("bad", {**link, "conversion_factor": 0})
