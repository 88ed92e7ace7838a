"""Training reports as studies: one trained model as the functional unit, and the published
BLOOM 176B and Llama 3.1 8B training footprints reproduced from the examples' sourced inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import bw2data as bd
import numpy as np
import openpyxl
import pandas as pd
import pytest

from bw_mllca import Study, StudyError, build, calculate
from bw_mllca.impact.calculate import method_label
from bw_mllca.impact.methods import TRACI_GWP100
from bw_mllca.scope.resolve import HOURS_PER_YEAR
from conftest import SETUP_PROJECT, f32
from studies import minimal_study

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GWP = method_label(TRACI_GWP100)


def _gwp(frame: pd.DataFrame, **match) -> float:
    part = frame[(frame["view"] == "training") & (frame["method"] == GWP)]
    for column, value in match.items():
        part = part[part[column] == value]
    return float(part["score"].sum())


def training_study(name: str, **changes) -> dict:
    """minimal_study with one trained model as its functional unit (no use)."""
    data = minimal_study(name, **changes)
    data["goal"]["functional_unit"] = {"description": "one trained model", "kind": "trained model"}
    del data["use"]
    return data


def test_bloom_example_reproduces_the_published_training_footprint(project):
    study = Study.from_file(EXAMPLES / "bloom-176b-training.toml")
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100])
    assert set(frame["view"]) == {"training"}
    hours, grid = 1_082_990, 0.057
    # Luccioni et al. 2023: dynamic 1,082,990 GPU-h x 0.4 kW x 57 g = 24.69 t; idle 256,646 kWh = 14.6 t.
    dynamic = _gwp(frame, stage="final training run", component="electricity")
    idle = _gwp(frame, stage="final training run: idle and infrastructure")
    assert dynamic == pytest.approx(f32(hours) * f32(0.4) * f32(grid), rel=1e-6)
    assert idle == pytest.approx(f32(256_646) * f32(grid), rel=1e-6)
    # 150 kg per GPU and 2,500 kg per 8-GPU server over 6 years at 85 % use.
    share = hours / (6 * HOURS_PER_YEAR * 0.85)
    accelerator = _gwp(frame, component="embodied accelerator")
    server = _gwp(frame, component="embodied host server")
    assert accelerator == pytest.approx(150 * share, rel=1e-6)
    assert server == pytest.approx(2_500 / 8 * share, rel=1e-6)
    # The published figures (tonnes, as rounded in the paper): within their last digit.
    assert dynamic / 1000 == pytest.approx(24.69, abs=0.005)
    assert idle / 1000 == pytest.approx(14.6, abs=0.05)
    assert (accelerator + server) / 1000 == pytest.approx(11.2, abs=0.05)
    assert _gwp(frame) / 1000 == pytest.approx(50.5, abs=0.05)
    assert _gwp(frame, component="end of life") == 0.0  # excluded in scope, as in the paper


def test_llama_example_reproduces_the_model_card_within_its_rounding(project):
    study = Study.from_file(EXAMPLES / "llama-3.1-8b-training.toml")
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100])
    total = _gwp(frame)
    assert total == pytest.approx(f32(1_460_000) * f32(0.7) * f32(0.41403), rel=1e-6)
    # The card: 420 t CO2eq location-based; its GPU-hours are rounded to 1.46M (+-0.34 %) and the
    # grid factor is implied by the card's total row, so agreement within 1 % is what the card allows.
    assert total / 1000 == pytest.approx(420, rel=0.01)
    # Hardware manufacture is outside the boundary: no embodied exchange at all, not a zero one.
    assert not set(frame["component"]) & {"embodied accelerator", "embodied host server", "end of life"}
    hour = [a for a in bd.Database(study.database_name) if a.get("mllca_role") == "accelerator-hour"]
    assert [list(a.technosphere()) for a in hour] == [[]]


def test_trained_model_unit_needs_no_use_and_refuses_queries(project):
    study = Study.from_dict(training_study("one model"))
    assert study.views == ("training",)
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100])
    # One run of 10,000 GPU-h and 3,000 kWh: no amortization over queries.
    electricity = _gwp(frame, component="electricity")
    embodied = _gwp(frame, component="embodied accelerator")
    assert electricity == pytest.approx(f32(3_000) * f32(1.25) * f32(0.3), rel=1e-6)
    assert embodied == pytest.approx(150 * 10_000 / (4 * HOURS_PER_YEAR * 0.5), rel=1e-6)
    data = training_study("with queries")
    data["goal"]["functional_unit"]["queries"] = 1
    with pytest.raises(StudyError, match="queries"):
        Study.from_dict(data)
    data = minimal_study("use given")
    data["goal"]["functional_unit"] = {"description": "one trained model", "kind": "trained model"}
    with pytest.raises(StudyError, match="use: a trained-model functional unit is development only"):
        Study.from_dict(data)  # a use section would be silently ignored
    data = minimal_study("no use")
    del data["use"]
    with pytest.raises(StudyError, match="use: required for a functional unit of queries"):
        Study.from_dict(data)


def test_cli_runs_a_training_report_with_not_assessed_categories(project, bw_dir, tmp_path):
    # A copy of the session's set-up Brightway directory: no set-up is run again.
    copy = tmp_path / "bw"
    shutil.copytree(bw_dir, copy, ignore=shutil.ignore_patterns("*.lock"))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "bw_mllca.cli", "--bw-dir", str(copy), "--project", SETUP_PROJECT, "run",
         str(EXAMPLES / "bloom-176b-training.toml"), "--out", str(out), "--iterations", "0"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lcia = pd.read_csv(out / "lcia.csv")
    assert set(lcia["view"]) == {"training"}
    ozone = lcia[lcia["category"] == "ozone depletion"]
    assert len(ozone) and ozone["score"].isna().all() and ozone["note"].str.startswith("not assessed").all()
    assert "not assessed" in next(line for line in result.stdout.splitlines() if "ozone depletion" in line)
    gwp = lcia[lcia["method"] == GWP]
    card = json.loads((out / "model_card.json").read_text())
    assert card["reference_flow"] == "1 trained model" and "lifetime_use_assumption" not in card
    assert card["per_trained_model"]["total"] == pytest.approx(gwp["score"].sum(), rel=1e-12)
    assert card["embodied_per_fu"]["embodied host server"] == pytest.approx(
        gwp[gwp["component"] == "embodied host server"]["score"].sum(), rel=1e-12)
    assert "ozone depletion potential (ODP)" in (out / "model_card.md").read_text().split("Not assessed (no data")[1]
    workbook = openpyxl.load_workbook(out / "results.xlsx")
    assert "Break-even" not in workbook.sheetnames and "Not assessed" in workbook.sheetnames
    sheet = workbook["LCIA by stage"]
    header = [c.value for c in sheet[1]]
    ozone_column = next(i for i, h in enumerate(header) if h.startswith("ozone depletion"))
    gwp_column = next(i for i, h in enumerate(header) if h.startswith("climate change"))
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert all(row[ozone_column] is None for row in rows)  # empty, not 0
    assert sum(row[gwp_column] for row in rows) == pytest.approx(gwp["score"].sum(), rel=1e-9)
    completeness = {r[0]: r[1] for r in workbook["Completeness"].iter_rows(min_row=2, values_only=True)}
    assert completeness["deployment and inference"] == "outside the functional unit"
    assert completeness["end of life"] == "excluded"


def test_trained_models_compare_in_the_training_view_with_not_assessed_categories(project):
    from bw_mllca.impact.methods import TRACI
    from bw_mllca.interpretation.comparison import compare_frames

    ozone = next(m for m in TRACI if m[1] == "ozone depletion")
    studies, frames = [], []
    for name, kwh in (("model A", 3_000), ("model B", 4_500)):
        study = Study.from_dict(training_study(name, stages=[{"name": "pre-training", "kind": "pre-training", "hardware": "gpu",
                                                              "datacenter": "dc", "accelerator_hours": 10_000, "energy_kwh": kwh}]))
        build(study)
        studies.append(study)
        frames.append(calculate(study, methods=[TRACI_GWP100, ozone]))
    result = compare_frames(studies, frames)
    row = result.differences.set_index("method").loc[GWP]
    assert row["B - A"] == pytest.approx(f32(1_500) * f32(1.25) * f32(0.3), rel=1e-5)
    missing = result.differences.set_index("method").loc[method_label(ozone)]
    assert np.isnan(missing["score A"]) and np.isnan(missing["B - A"]) and "not assessed" in missing["note"]
