"""What a run hands on: results workbook, model card, plots."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from bw_mllca import Study, build, calculate
from bw_mllca.report.outputs import write_run_outputs
from studies import minimal_study

FORMULA_LIKE = "=HYPERLINK(\"http://example.invalid\",\"x\")"


@pytest.fixture(scope="module")
def run(setup_report, tmp_path_factory):
    import bw2data as bd

    bd.projects.set_current("mllca-tests")
    data = minimal_study("=1+1 report", model={"name": "@SUM(A1:A3)"},
                         study={"description": "-2+3"},
                         goal={"intended_application": FORMULA_LIKE, "audience": "+cmd|' /C calc'!A0"},
                         scope={"excluded": [{"stage": "data preparation", "reason": "=not measured"}]},
                         stages=[{"name": "=pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
                                  "accelerator_hours": 10_000, "energy_kwh": 3_000, "source": "=source()"}])
    study = Study.from_dict(data)
    build(study)
    frame = calculate(study)
    out = tmp_path_factory.mktemp("run")
    paths = write_run_outputs(study, frame, out, iterations=500, seed=1, plots_too=True)
    return study, frame, out, paths


def test_user_text_never_becomes_a_formula(run):
    study, frame, out, _ = run
    workbook = openpyxl.load_workbook(out / "results.xlsx")
    cells = [c for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for text in (FORMULA_LIKE, "+cmd|' /C calc'!A0", "=pre-training", "=not measured"):
        assert text in texts, text  # kept as the characters the user wrote
    csv = pd.read_csv(out / "lcia.csv")
    assert "'=pre-training" in set(csv["stage"])  # CSV has no cell types: prefixed


def test_workbook_numbers_units_and_layout(run):
    study, frame, out, _ = run
    workbook = openpyxl.load_workbook(out / "results.xlsx")
    for ws in workbook:
        assert ws.freeze_panes == "A2", ws.title
        assert all(ws.column_dimensions[c.column_letter].width >= 4 for c in ws[1])
    sheet = workbook["LCIA by stage"]
    header = [c.value for c in sheet[1]]
    assert any(h.startswith("climate change (kg CO2-Eq per FU)") for h in header)
    column = header.index("climate change (kg CO2-Eq per FU)")
    rows = [(r[0].value, r[column].value) for r in sheet.iter_rows(min_row=2)]
    attributional = sum(v for view, v in rows if view == "attributional")
    expected = frame[(frame.view == "attributional") & frame.method.str.contains("GWP100")]["score"].sum()
    assert attributional == pytest.approx(expected, rel=1e-12)
    inventory = pd.read_excel(out / "results.xlsx", sheet_name="Inventory")
    row = inventory[inventory.stage == "=pre-training"].iloc[0]
    assert row["IT energy (kWh, before PUE)"] == 3_000 and row["accelerator-hours"] == 10_000


def test_model_card_discloses_the_amortization(run):
    study, frame, out, _ = run
    card = json.loads((out / "model_card.json").read_text())
    gwp = frame[(frame.view == "attributional") & frame.method.str.contains("GWP100")]
    use = gwp[gwp.stage.isin(["inference", "idle capacity"])]["score"].sum()
    development = gwp["score"].sum() - use
    assert card["per_fu"]["development_amortized"] == pytest.approx(development, rel=1e-12)
    # Development per FU x lifetime queries / queries per FU = the whole development.
    assert card["development_total"]["value"] == pytest.approx(development * 1e7 / 1000, rel=1e-12)
    embodied = gwp[gwp.component.isin(["embodied accelerator", "embodied host server", "embodied storage and network", "end of life"])]["score"].sum()
    assert card["per_fu"]["embodied_hardware_share"] == pytest.approx(embodied / gwp["score"].sum(), rel=1e-12)
    assert card["datacenters"]["dc"]["pue"] == 1.25 and card["datacenters"]["dc"]["wue_l_per_kwh"] == 0.5
    text = (out / "model_card.md").read_text()
    assert "lifetime" in text.lower() and "PUE" in text and "90 % interval" in text


def test_plots_are_written_as_png_and_svg(run):
    _, _, out, paths = run
    for stem in ("stages", "amortization", "tornado"):
        png, svg = out / f"{stem}.png", out / f"{stem}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in svg.read_bytes()[:2000]
        assert png in paths and svg in paths


def test_plots_are_opt_in(run, tmp_path):
    study, frame, _, _ = run
    paths = write_run_outputs(study, frame, tmp_path / "plain", iterations=0)
    assert (tmp_path / "plain" / "lcia.csv") in paths and (tmp_path / "plain" / "results.xlsx").exists()
    assert not list((tmp_path / "plain").glob("*.png")) and not list((tmp_path / "plain").glob("*.svg"))
