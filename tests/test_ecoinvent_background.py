"""A study on an ecoinvent background, with one switch: every gateway relinked, the location chain
stated, a missing mapped activity refused with candidates, premise scenarios interpolated.

No ecoinvent data can be used here: the background is the stand-in (the published activity names,
made-up exchanges), written into a copy of the shared project. Expectations are independent of the
builder: plain bw2calc scores of the stand-in's own activities, exchange amounts of the public
hardware model, and linearity in the scenario weights.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import uuid
from pathlib import Path

import bw2calc as bc
import bw2data as bd
import pandas as pd
import pytest

from bw_mllca import Study, StudyError, build, calculate, setup_project
from bw_mllca.ecoinvent.hardware import hardware_database
from bw_mllca.ecoinvent.links import resolve_gateway
from bw_mllca.ecoinvent.spec import BackgroundChoice
from bw_mllca.ecoinvent.standin import write_standin
from bw_mllca.errors import LinkError
from bw_mllca.impact.calculate import method_label
from bw_mllca.impact.methods import TRACI_GWP100
from bw_mllca.inventory.background import BACKGROUND
from conftest import SETUP_PROJECT
from studies import minimal_study

EI = "ecoinvent-3.10-cutoff"
GWP = method_label(TRACI_GWP100)
OLMO = Path(__file__).resolve().parents[1] / "examples" / "olmo2-7b.toml"
MV = "market for electricity, medium voltage"
# Parts of the hardware model with no ecoinvent counterpart in the mapping: they stay public data.
PUBLIC_PROXIES = {"assembly-electronics", "motherboard-server", "chassis-rack-server", "hdd-unit"}


@pytest.fixture(scope="module")
def ei_project(setup_report):
    """A copy of the set-up project with the 3.10 cut-off stand-in, set up on it."""
    name = f"ecoinvent-{uuid.uuid4().hex[:8]}"
    gc.freeze()  # bw2data collects garbage on each project switch: not over the whole test run's heap
    try:
        bd.projects.set_current(SETUP_PROJECT)
        bd.projects.copy_project(name, switch=True)
    finally:
        gc.unfreeze()
    write_standin(EI, "3.10", "cutoff")
    report = setup_project(name, background=EI)
    yield name, report
    bd.projects.set_current(SETUP_PROJECT)
    bd.projects.delete_project(name, delete_dir=True)


def _score(key: tuple[str, str], amount: float = 1.0) -> float:
    lca = bc.LCA({bd.get_node(database=key[0], code=key[1]): amount}, TRACI_GWP100)
    lca.lci()
    lca.lcia()
    return float(lca.score)


def test_setup_relinks_the_hardware_bill_of_materials(ei_project):
    name, report = ei_project
    assert any(EI in line and "written" in line for line in report.ecoinvent), report.ecoinvent
    relinked = bd.Database(hardware_database(EI))
    public = bd.Database(BACKGROUND)
    inputs = {exc.input["database"] for act in relinked for exc in act.technosphere()}
    assert inputs == {EI, hardware_database(EI), BACKGROUND}
    # What still comes from the public data is only the proxies the mapping has no row for.
    kept = {exc.input["code"] for act in relinked for exc in act.technosphere() if exc.input["database"] == BACKGROUND}
    assert kept <= PUBLIC_PROXIES, kept - PUBLIC_PROXIES
    # The 5 nm wafer of a TW fab: ACT's kWh per cm2, now from ecoinvent's medium-voltage market of TW.
    wafer = relinked.get("wafer-5nm-TW-95")
    kwh = sum(exc["amount"] for exc in public.get("wafer-5nm-TW-95").technosphere() if exc.input["code"] == "electricity-TW")
    grid = [exc for exc in wafer.technosphere()]
    assert [(exc.input["name"], exc.input["location"]) for exc in grid] == [(MV, "TW")]
    assert grid[0]["amount"] == pytest.approx(kwh, rel=1e-6)
    # Its direct process gases are kept as they are.
    assert len(list(wafer.biosphere())) == len(list(public.get("wafer-5nm-TW-95").biosphere()))
    # A bare board in m2: 1e-4 m2 per cm2 of the public model's board area.
    card, public_card = relinked.get("manufacture-H100-SXM5-80GB"), public.get("manufacture-H100-SXM5-80GB")
    board_cm2 = next(exc["amount"] for exc in public_card.technosphere() if exc.input["code"] == "pcb-board")
    board = [exc for exc in card.technosphere() if exc.input["database"] == EI and "wiring board" in exc.input["name"]]
    assert board[0]["amount"] == pytest.approx(board_cm2 * 1e-4, rel=1e-6)
    # End of life: ecoinvent's waste convention, a treatment consumed as a negative amount of waste,
    # which bw2calc turns into a positive supply of the treatment.
    eol = relinked.get("eol-H100-SXM5-80GB")
    waste = [exc for exc in eol.technosphere()]
    assert waste and all(exc["amount"] < 0 for exc in waste)
    lca = bc.LCA({eol: 1.0}, TRACI_GWP100)
    lca.lci()
    supplies = [lca.supply_array[lca.dicts.activity[exc.input.id]] for exc in waste]
    assert all(s > 0 for s in supplies)


@pytest.mark.parametrize("region, location, step", [
    ("US-ERCT", "US-TRE", "subregion US-TRE"),   # eGRID ERCOT -> its NERC area
    ("ERCT", "US-TRE", "subregion US-TRE"),      # an alias resolves as its region
    ("CA-QC", "CA-QC", "subregion CA-QC"),
    ("DE", "DE", "country DE"),
    ("SE-SE3", "SE", "country SE"),              # a bidding zone: its country's market
    ("AF", "GLO", "fallback GLO"),               # no ecoinvent market for AF: the global market group
])
def test_the_location_chain_takes_the_first_location_with_a_market(ei_project, region, location, step):
    (part,) = resolve_gateway("electricity", EI, "3.10", "cutoff", "test", region)
    assert part.activity.location == location
    assert part.step.startswith(step)
    if location == "GLO":
        assert part.activity.name == "market group for electricity, medium voltage"
        assert "AF" in part.step  # the output says what was missing


def test_a_european_site_draws_tap_water_from_europe_s_market(ei_project):
    (part,) = resolve_gateway("tap-water", EI, "3.10", "cutoff", "test", "DE")
    assert (part.activity.location, part.step) == ("Europe without Switzerland", "group Europe without Switzerland (no mapped activity at DE)")
    assert part.amount == 1000.0  # kg of tap water per m3 of cooling water


def test_olmo_runs_on_the_standin_with_every_gateway_relinked(ei_project, tmp_path):
    name, _ = ei_project
    out = tmp_path / "out"
    env = {**os.environ}
    result = subprocess.run([sys.executable, "-m", "bw_mllca.cli", "--project", name, "run", str(OLMO), "--out", str(out),
                             "--iterations", "0", "--background", EI], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "AWARE scarcity-weighted water indicator counts the on-site cooling water only" in result.stderr
    lcia = pd.read_csv(out / "lcia.csv")
    assert set(lcia["background"]) == {f"ecoinvent 3.10 cut-off (database {EI!r})"}
    background = pd.read_excel(out / "results.xlsx", sheet_name="Background")
    grids = background[background["gateway"] == "electricity"]
    assert set(grids["location step"]) >= {"subregion US-TRE", "country TW"}  # datacenters in ERCOT, fabs in Taiwan
    # What stays on the public data is listed as such, never silently.
    public = background[background["database"] == BACKGROUND]
    assert set(public["gateway"]) and set(public["gateway"]) <= PUBLIC_PROXIES
    assert public["location step"].str.startswith("not relinked").all()
    # Every exchange that leaves the study's database goes to ecoinvent or to the relinked hardware.
    bd.databases.load()  # the run wrote into the project from another process
    study = Study.from_file(OLMO).with_background(EI)
    leaving = {exc.input["database"] for act in bd.Database(study.database_name)
               for exc in act.technosphere() if exc.input["database"] != study.database_name}
    assert leaving == {EI, hardware_database(EI)}
    # The electricity component is the kWh at the meter times the stand-in ERCOT market's own score.
    attributional = lcia[lcia["view"] == "attributional"]
    kwh = attributional[attributional["method"] == "inventory | electricity at the meter"]["score"].sum()
    electricity = attributional[(attributional["method"] == GWP) & (attributional["component"] == "electricity")]["score"].sum()
    market = bd.get_node(database=EI, name=MV, location="US-TRE")
    assert electricity == pytest.approx(kwh * _score(market.key), rel=1e-4)


def test_a_mapped_activity_missing_from_the_database_fails_setup_with_candidates(ei_project):
    renamed = "ecoinvent-3.10-cutoff renamed board"
    write_standin(renamed, "3.10", "cutoff")
    board = bd.get_node(database=renamed, name="market for printed wiring board, for surface mounting, Pb free surface")
    board["name"] = "market for printed wiring board, for surface mounting, lead-free surface"  # as a release might rename it
    board.save()
    with pytest.raises(LinkError) as raised:
        setup_project(ei_project[0], background=EI, background_databases=[renamed])
    message = str(raised.value)
    assert "pcb-board" in message and "closest" in message and "lead-free surface" in message
    assert hardware_database(renamed) not in bd.databases  # nothing written
    del bd.databases[renamed]


def _dc_study(name: str, **study_fields) -> Study:
    data = minimal_study(name)
    data["study"].update(study_fields)
    data["datacenters"] = {"dc": {"region": "DE", "pue": 1.25, "wue_l_per_kwh": 0.5}}
    return Study.from_dict(data)


def _gwp(study: Study) -> float:
    build(study)
    frame = calculate(study, views=["attributional"])
    return float(frame[frame["method"] == GWP]["score"].sum())


def test_premise_scenarios_are_interpolated_between_their_years(ei_project):
    scenarios = {2030: "standin-2030", 2040: "standin-2040"}
    write_standin(scenarios[2030], "3.10", "cutoff", scale=1.0)
    write_standin(scenarios[2040], "3.10", "cutoff", scale=0.4)
    setup_project(ei_project[0], background=EI, background_databases=list(scenarios.values()))
    at = {year: _gwp(_dc_study(f"premise {year}", background=EI, background_scenarios=scenarios, background_year=year))
          for year in (2030, 2033, 2040)}
    assert at[2030] != pytest.approx(at[2040], rel=0.01)
    # Linear in the background: 2033 is 70 % of 2030 and 30 % of 2040.
    assert at[2033] == pytest.approx(0.7 * at[2030] + 0.3 * at[2040], rel=1e-5)


def test_grid_years_on_ecoinvent_need_scenarios():
    data = minimal_study("grid year on ecoinvent")
    data["study"]["background"] = EI
    data["datacenters"] = {"dc": {"region": "DE", "grid_year": 2022, "pue": 1.2}}
    with pytest.raises(StudyError) as raised:
        Study.from_dict(data)
    assert "datacenters.dc.grid_year" in str(raised.value) and "background_scenarios" in str(raised.value)
    # A span over scenario years is the mean of its yearly interpolations.
    choice = BackgroundChoice(EI, "3.10", "cutoff", scenarios={2030: "a", 2040: "b"}, year=2030)
    assert choice.weights(range(2030, 2041)) == pytest.approx({"a": 0.5, "b": 0.5})
    assert choice.weights([2033]) == pytest.approx({"a": 0.7, "b": 0.3})


def test_an_unknown_background_names_the_accepted_ones():
    data = minimal_study("unknown background")
    data["study"]["background"] = "ecoinvent-3.8-cutoff"
    with pytest.raises(StudyError) as raised:
        Study.from_dict(data)
    assert "study.background" in str(raised.value) and "ecoinvent-3.10-cutoff" in str(raised.value)
