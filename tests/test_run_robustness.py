"""Once the LCIA has succeeded, `run` writes its results: no interpretation step can stop it.

- the tornado narrows an end the schema rejects (a tenth of lifetime queries below one FU), splits a
  parameter whose targets differ, keeps a linked grid (never swapped for a catalog grid, named in
  the note), and each number is checked by hand or against a fresh build;
- a step that fails (Monte Carlo on a user's background with broken uncertainty data) is left out,
  the reason in the workbook, the model card and the log, and everything else is written;
- `run` exits 0 on every example and on generated valid studies (hypothesis, a few examples).

The command runs in this process (``cli.main``) on the session's Brightway directory and project,
so each run reuses the prepared project instead of setting one up.
"""

from __future__ import annotations

import json
import math
import warnings

import bw2data as bd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bw_mllca import Study, build, calculate
from bw_mllca.catalog import load_catalog
from bw_mllca.cli import main
from bw_mllca.data_files import examples_dir
from bw_mllca.impact.calculate import method_label
from bw_mllca.impact.methods import TRACI_GWP100
from bw_mllca.interpretation.amortization import use_and_development
from bw_mllca.interpretation.sensitivity import tornado
from bw_mllca.inventory.foreground import CO2_FOSSIL_AIR
from conftest import SETUP_PROJECT, f32
from studies import minimal_study
from test_validation_properties import valid_studies

USERS = "users grids (robustness)"
GWP = method_label(TRACI_GWP100)
LINKED = {"database": USERS, "name": "electricity, at meter", "location": "DE"}
LOW_LIFETIME = 5_000.0  # a tenth (500) is fewer queries than one FU (1,000)


def _grid(code: str, kg_co2: float, **uncertainty) -> tuple:
    return (USERS, code), {"name": "electricity, at meter", "location": code.upper(), "unit": "kilowatt hour",
                           "type": "process", "exchanges": [
                               {"input": (USERS, code), "amount": 1.0, "type": "production"},
                               {"input": ("biosphere3", CO2_FOSSIL_AIR), "amount": kg_co2, "type": "biosphere", **uncertainty}]}


@pytest.fixture(scope="module")
def users_grids(setup_report):
    bd.projects.set_current(SETUP_PROJECT)
    # "BR": a triangular distribution whose minimum lies above its mode, as imported data sometimes do.
    bd.Database(USERS).write(dict([_grid("de", 0.4), _grid("br", 0.1, **{"uncertainty type": 5, "loc": 0.1,
                                                                          "minimum": 0.3, "maximum": 0.5})]))
    yield USERS
    bd.projects.set_current(SETUP_PROJECT)
    del bd.databases[USERS]


def _two_datacenters(name: str, train_dc: dict, **changes) -> dict:
    """minimal_study with pre-training in datacenter 'train' and inference in 'serve' (a catalog region)."""
    data = minimal_study(name, **changes)
    data["datacenters"] = {"train": train_dc, "serve": {"region": "DE", "pue": 1.25, "wue_l_per_kwh": 0.0}}
    data["stages"][0]["datacenter"] = "train"
    data["use"]["datacenter"] = "serve"
    return data


def _gwp_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["method"] == GWP].set_index("parameter")


def test_tornado_narrows_an_invalid_end_and_splits_differing_targets(project):
    data = _two_datacenters("narrowed", {"grid_kgco2e_per_kwh": 0.3, "pue": 1.5, "wue_l_per_kwh": 0.0},
                            use={"lifetime_queries": LOW_LIFETIME})
    study = Study.from_dict(data)
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100])
    rows = _gwp_rows(tornado(study, methods=[TRACI_GWP100]))

    life = rows.loc["lifetime queries"]
    assert life["low_value"] == 1_000.0 and life["high_value"] == 10 * LOW_LIFETIME
    assert "narrowed to 1000" in life["note"] and "fewer lifetime queries" in life["note"]
    parts = use_and_development(frame).set_index("method").loc[GWP]
    use, development = parts["use_per_fu"], parts["development_per_fu"]
    # score(L) = use + development x L0 / L (development enters as FU queries / L, stored float32)
    for column, lifetime in (("low_score", 1_000.0), ("high_score", 10 * LOW_LIFETIME)):
        hand = use + development * f32(1_000 / lifetime) / f32(1_000 / LOW_LIFETIME)
        assert life[column] == pytest.approx(hand, rel=1e-6)

    # PUE 1.5 (train) and 1.25 (serve): one row each; each scales only its datacenter's electricity.
    assert {"PUE (train)", "PUE (serve)"} <= set(rows.index) and "PUE" not in rows.index
    electricity = frame[(frame.view == "attributional") & (frame.method == GWP) & (frame.component == "electricity")]
    train_electricity = electricity[electricity.stage == "pre-training"].score.sum()
    pue = rows.loc["PUE (train)"]
    assert "'train' only" in pue["note"]
    assert pue["high_score"] - pue["base_score"] == pytest.approx(
        train_electricity * (f32(pue["high_value"]) / f32(1.5) - 1.0), rel=1e-6)


def test_tornado_keeps_a_linked_grid_and_names_it(users_grids):
    study = Study.from_dict(_two_datacenters("linked and catalog", {"electricity_activity": LINKED, "pue": 1.2}))
    build(study)
    row = _gwp_rows(tornado(study, methods=[TRACI_GWP100])).loc["grid region"]
    assert "datacenter 'train' keeps its linked grid 'electricity, at meter' (DE)" in row["note"]
    by_carbon = sorted(load_catalog().regions.values(), key=lambda r: r.gwp100_kg_per_kwh)
    assert row["low_value"] == by_carbon[0].code
    # Independent: the study rebuilt with only 'serve' moved to the low region, the linked grid kept.
    moved = _two_datacenters("linked and catalog, moved", {"electricity_activity": LINKED, "pue": 1.2})
    moved["datacenters"]["serve"]["region"] = by_carbon[0].code
    moved = Study.from_dict(moved)
    build(moved)
    frame = calculate(moved, methods=[TRACI_GWP100])
    assert row["low_score"] == pytest.approx(frame[(frame.view == "attributional") & (frame.method == GWP)].score.sum(), rel=1e-9)

    only_linked = minimal_study("only linked")
    only_linked["datacenters"] = {"dc": {"electricity_activity": LINKED, "pue": 1.2}}
    only_linked = Study.from_dict(only_linked)
    build(only_linked)
    row = _gwp_rows(tornado(only_linked, methods=[TRACI_GWP100])).loc["grid region"]
    assert math.isnan(row["low_score"]) and "never swapped for a catalog grid" in row["note"]
    assert "'electricity, at meter' (DE)" in row["note"]


def _run(study_path, out, iterations: int = 0, bw_dir=None) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return main(["--bw-dir", str(bw_dir), "--project", SETUP_PROJECT, "run", str(study_path), "--out", str(out),
                     "--iterations", str(iterations)])


def test_run_writes_everything_when_a_step_fails(users_grids, bw_dir, tmp_path, caplog):
    """Low lifetime queries, a linked grid next to a catalog grid, and Monte Carlo failing on the
    user's broken uncertainty data: exit 0, every file, the reasons in workbook, card and log."""
    data = _two_datacenters("broken uncertainty", {"electricity_activity": [USERS, "br"], "pue": 1.2},
                            use={"lifetime_queries": LOW_LIFETIME})
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with caplog.at_level("WARNING"):
        assert _run(path, tmp_path / "out", iterations=20, bw_dir=bw_dir) == 0
    out = tmp_path / "out"
    lcia = pd.read_csv(out / "lcia.csv")
    total = lcia[(lcia.view == "attributional") & (lcia.method == GWP)].score.sum()
    assert total > 0
    workbook = openpyxl.load_workbook(out / "results.xlsx")
    notes = [[c.value for c in row] for row in workbook["Interpretation notes"].iter_rows(min_row=2)]
    uncertainty = next(n for n in notes if n[0] == "uncertainty")
    assert "left out" in uncertainty[2] and "left > mode" in uncertainty[2]
    assert any(n[0] == "sensitivity" and n[1] == "lifetime queries" and "narrowed to 1000" in n[2] for n in notes)
    assert workbook["Uncertainty (20 MC)"].max_row == 1  # the header only
    linked = pd.read_excel(out / "results.xlsx", sheet_name="Linked activities")
    assert linked.drop(columns="reference product").to_dict("records") == [{
        "field": "datacenters.train.electricity_activity", "database": USERS, "code": "br", "name": "electricity, at meter",
        "location": "BR", "unit": "kilowatt hour", "stands for": "one kWh of electricity at the datacenter meter",
        "linked units per study unit": 1.0}]
    sensitivity = _sensitivity_sheet(out / "results.xlsx")
    assert np.allclose(sensitivity["base_score"][sensitivity["method"] == GWP], total, rtol=1e-9)
    card = json.loads((out / "model_card.json").read_text())
    assert card["per_fu"]["total_attributional"] == pytest.approx(total, rel=1e-9)
    assert "uncertainty_per_fu" not in card
    assert any(note.startswith("uncertainty: (whole step): left out") for note in card["interpretation_notes"])
    assert card["datacenters"]["train"]["region"] == "linked: 'electricity, at meter' (BR) in database 'users grids (robustness)'"
    assert "Interpretation notes" in (out / "model_card.md").read_text()
    assert any("uncertainty: left out of the results" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("example", ["olmo2-7b.toml", "distilled-student.toml", "from-scratch-small.toml"])
def test_run_exits_zero_on_each_example(project, bw_dir, tmp_path, example):
    assert _run(examples_dir() / example, tmp_path / "out", iterations=10, bw_dir=bw_dir) == 0
    notes = pd.read_excel(tmp_path / "out" / "results.xlsx", sheet_name="Interpretation notes")
    assert not notes["step"].eq("uncertainty").any()  # nothing left out on the examples
    frame = pd.read_csv(tmp_path / "out" / "lcia.csv")
    sensitivity = _sensitivity_sheet(tmp_path / "out" / "results.xlsx")
    base = sensitivity[sensitivity.method == GWP].base_score
    assert np.allclose(base, frame[(frame.view == "attributional") & (frame.method == GWP)].score.sum(), rtol=1e-9)


def _sensitivity_sheet(path) -> pd.DataFrame:
    """The workbook's Sensitivity sheet, with the method label rebuilt from its three columns."""
    table = pd.read_excel(path, sheet_name="Sensitivity")
    table["method"] = table["method family"] + " | " + table["category"] + " | " + table["indicator"]
    return table


RUN_EXAMPLES = 5


@st.composite
def runnable_studies(draw) -> dict:
    """A valid generated study, often with lifetime queries a few FUs or batches long (the tornado's
    x0.1 end then fails validation) or a datacenter on a linked grid."""
    data = draw(valid_studies(name="run never dies"))
    if draw(st.booleans()):
        smallest = max(data["goal"]["functional_unit"]["queries"], data["use"]["batch_size"])
        data["use"]["lifetime_queries"] = smallest * draw(st.floats(1.0, 9.9))
    if draw(st.booleans()):  # one datacenter on the user's linked grid
        first = sorted(data["datacenters"])[0]
        data["datacenters"][first] = {"electricity_activity": LINKED, "pue": draw(st.floats(1.0, 1.9))}
    return data


@settings(max_examples=RUN_EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(data=runnable_studies())
def test_run_never_fails_after_the_lcia_on_generated_studies(users_grids, bw_dir, tmp_path_factory, data):
    from hypothesis import assume

    from bw_mllca import StudyError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Study.from_dict(data)
    except StudyError:
        assume(False)
    folder = tmp_path_factory.mktemp("generated")
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert _run(path, folder / "out", iterations=5, bw_dir=bw_dir) == 0
    frame = pd.read_csv(folder / "out" / "lcia.csv")
    sensitivity = _sensitivity_sheet(folder / "out" / "results.xlsx")
    gwp = sensitivity[sensitivity.method == GWP]
    total = frame[(frame.view == "attributional") & (frame.method == GWP)].score.sum()
    assert np.allclose(gwp.base_score, total, rtol=1e-9)
    # every standard parameter has a row: varied, or left out with its reason
    assert {p.split(" (")[0] for p in gwp.parameter} == {"lifetime queries", "hardware lifespan", "utilization", "PUE",
                                                         "WUE", "grid region", "batch size", "training energy",
                                                         "embodied hardware figure"}
    assert all(isinstance(note, str) and note for note in gwp[gwp.low_score.isna()].note)


def test_a_bad_link_exits_2_with_one_line(users_grids, bw_dir, tmp_path, capsys):
    data = minimal_study("bad link")
    data["datacenters"] = {"dc": {"electricity_activity": {**LINKED, "location": "XX"}, "pue": 1.2}}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    capsys.readouterr()
    assert _run(path, tmp_path / "out", bw_dir=bw_dir) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("bw-mllca: error:")
    assert "datacenters.dc.electricity_activity" in lines[0] and "'XX'" in lines[0] and "(DE, kilowatt hour" in lines[0]
    assert not (tmp_path / "out" / "lcia.csv").exists()


def test_an_end_below_one_batch_is_narrowed_to_one_batch():
    """Lifetime queries under 10 batches (batch 800 queries, FU 100): /10 is less than one batch."""
    from bw_mllca.interpretation import parameters as P
    from bw_mllca.interpretation.narrowing import narrowed_end

    study = Study.from_dict(minimal_study("batches", goal={"functional_unit": {"queries": 100}},
                                          use={"batch_size": 800, "lifetime_queries": LOW_LIFETIME}))
    end, note = narrowed_end(study, P.lifetime_queries(), LOW_LIFETIME, LOW_LIFETIME / 10)
    assert end == 800.0 and "than one batch (800 queries)" in note
    assert narrowed_end(study, P.batch_size(), 800.0, 1600.0) == (1600.0, "")  # a valid end is kept
