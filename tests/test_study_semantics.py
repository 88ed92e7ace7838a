"""Every published input stated directly, nothing silently ignored: wall-clock stages, facility
energy, energy-only stages, published embodied figures, boundary choices, host power in use,
double-counting and allocation warnings, energy-log notes and not-assessed categories."""

from __future__ import annotations

import warnings

import bw2data as bd
import numpy as np
import openpyxl
import pytest

from bw_mllca import Study, StudyError, build, calculate
from bw_mllca.impact.calculate import method_label
from bw_mllca.impact.methods import TRACI, TRACI_GWP100
from bw_mllca.interpretation.assessed import mark_not_assessed
from bw_mllca.interpretation.completeness import completeness
from bw_mllca.interpretation.study_warnings import allocation_warnings, build_warnings, development_shares
from bw_mllca.scope.resolve import HOURS_PER_YEAR
from bw_mllca.scope.validation import PlausibilityWarning
from conftest import f32
from studies import catalog_study, minimal_study

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GWP = method_label(TRACI_GWP100)
OZONE = next(m for m in TRACI if m[1] == "ozone depletion")


def _stage(**fields) -> dict:
    return {"name": "pre-training", "kind": "pre-training", "datacenter": "dc", **fields}


def _inventory(study: Study, stage: str = "pre-training") -> dict[str, float]:
    activity = next(a for a in bd.Database(study.database_name) if a.get("mllca_stage") == stage)
    return {e.input.get("mllca_role"): e["amount"] for e in activity.technosphere()}


def _problems(data: dict) -> str:
    with pytest.raises(StudyError) as caught:
        Study.from_dict(data)
    return str(caught.value)


@pytest.mark.parametrize("fields, field, words", [
    # 1,024 GPUs for 24 h read as 24 GPU-hours would be a 1,024x understatement
    ({"hardware": "gpu", "accelerator_hours": 24, "duration_hours": 24}, "duration_hours = 24", "wall clock"),
    ({"hardware": "gpu", "accelerators": 1024}, "accelerators = 1024", "duration_hours"),
    ({"hardware": "gpu", "accelerator_hours": 10, "energy_kwh": 3, "power_w": 300}, "power_w = 300", "ignored next to energy_kwh"),
    ({"hardware": "gpu", "accelerator_hours": 10, "energy_kwh": 3, "facility_energy_kwh": 4}, "energy_kwh and facility_energy_kwh", "one of"),
    ({"energy_kwh": 3, "energy_includes_host": False}, "energy_includes_host", "accelerator time"),
    ({"accelerator_hours": 10}, "hardware", "required"),
])
def test_inputs_that_would_be_ignored_are_errors_naming_the_field(fields, field, words):
    message = _problems(minimal_study("ignored", stages=[_stage(**fields)]))
    assert field in message and words in message


def test_use_power_next_to_measured_energy_is_an_error():
    message = _problems(minimal_study("use power", use={"power_w": 300}))
    assert "power_w = 300" in message and "energy_kwh_per_batch" in message


def test_accelerators_times_wall_clock_equals_accelerator_hours(project):
    wall = Study.from_dict(minimal_study("wall clock", stages=[_stage(hardware="gpu", accelerators=1024, duration_hours=24, power_w=300)]))
    hours = Study.from_dict(minimal_study("gpu hours", stages=[_stage(hardware="gpu", accelerator_hours=24_576, power_w=300)]))
    build(wall), build(hours)
    assert _inventory(wall)["accelerator-hour"] == pytest.approx(1024 * 24, rel=1e-7)
    assert _inventory(wall)["it-energy"] == pytest.approx(24_576 * 0.3, rel=1e-7)
    a, b = (calculate(s, methods=[TRACI_GWP100]) for s in (wall, hours))
    assert a["score"].sum() == pytest.approx(b["score"].sum(), rel=1e-12)


def test_facility_energy_is_divided_by_pue_once(project):
    study = Study.from_dict(minimal_study("facility", stages=[_stage(hardware="gpu", accelerator_hours=100, facility_energy_kwh=5_000)]))
    build(study)
    assert _inventory(study)["it-energy"] == pytest.approx(5_000 / 1.25, rel=1e-7)
    frame = calculate(study, methods=[TRACI_GWP100])
    kwh = frame[(frame.view == "attributional") & (frame.method == "inventory | electricity at the meter")
                & (frame.stage == "pre-training")]["score"].sum()
    assert kwh == pytest.approx(f32(1000 / 1e7) * f32(4_000) * f32(1.25), rel=1e-6)  # the metered 5,000 kWh per run


def test_energy_only_stage_needs_no_hardware_and_carries_no_embodied_share(project):
    study = Study.from_dict(minimal_study("energy only", stages=[_stage(energy_kwh=2_000, source="an energy report")]))
    build(study)
    assert set(_inventory(study)) == {"it-energy"}
    frame = calculate(study, methods=[TRACI_GWP100])
    stage = frame[(frame.view == "attributional") & (frame.method == GWP) & (frame.stage == "pre-training")]
    assert set(stage["component"]) <= {"electricity", "on-site water"}
    assert stage["score"].sum() == pytest.approx(f32(1000 / 1e7) * f32(2_000) * f32(1.25) * f32(0.3), rel=1e-6)
    record = next(a for a in bd.Database(study.database_name) if a.get("mllca_stage") == "pre-training")
    assert "energy only" in record["mllca_basis"]


def test_published_embodied_figure_replaces_only_the_catalog_manufacture(project):
    catalog = Study.from_dict(catalog_study("catalog H100"))
    published = Study.from_dict(catalog_study("published H100", hardware={"node": {
        "accelerator_embodied": {"co2e_kg": 463.0, "source": "a published figure"}}}))
    frames = []
    for study in (catalog, published):
        build(study)
        frames.append(calculate(study, methods=[TRACI_GWP100]))

    def part(frame, component):
        return frame[(frame.view == "attributional") & (frame.method == GWP) & (frame.stage == "pre-training")
                     & (frame.component == component)]["score"].sum()

    # Power (energy), host server and end of life stay the catalog's; only the manufacture changes.
    for component in ("electricity", "embodied host server", "end of life"):
        assert part(frames[1], component) == pytest.approx(part(frames[0], component), rel=1e-9)
    runs = f32(1000 / 1e9)  # queries per FU / lifetime queries of catalog_study
    hours = _inventory(published)["accelerator-hour"]
    share = 1 / (4 * HOURS_PER_YEAR * 0.85)
    assert part(frames[1], "embodied accelerator") == pytest.approx(runs * hours * f32(share) * 463.0, rel=1e-5)


def test_excluding_hardware_manufacture_is_a_recorded_boundary_choice(project):
    data = catalog_study("no embodied", scope={"excluded": [{"stage": "hardware manufacture", "reason": "not in the report"}]})
    study = Study.from_dict(data)
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100])
    assert not set(frame["component"]) & {"embodied accelerator", "embodied host server", "embodied storage and network"}
    assert "end of life" in set(frame["component"])  # only what was excluded is left out
    assert bd.databases[study.database_name]["mllca_scope"]["hardware_manufacture"] == "excluded"
    rows = completeness(study, frame).stages.set_index("life_cycle_stage")
    assert rows.loc["hardware manufacture", "status"] == "excluded"
    assert "not in the report" in rows.loc["hardware manufacture", "notes"]


def test_host_draw_is_added_to_accelerator_only_inference_energy(project):
    def inference_kwh(includes_host: bool) -> float:
        study = Study.from_dict(catalog_study(f"host {includes_host}", use={
            "power_w": None, "energy_kwh_per_batch": 0.01, "energy_includes_host": includes_host}))
        build(study)
        return _inventory(study, "inference")["it-energy"]

    hours = catalog_study("x")["use"]["seconds_per_batch"] / 3600 * catalog_study("x")["use"].get("accelerators", 1)
    host_w = 1200 / 8  # the catalog HGX host's non-GPU draw over its 8 slots
    assert inference_kwh(True) == pytest.approx(0.01, rel=1e-7)
    assert inference_kwh(False) == pytest.approx(0.01 + hours * host_w / 1000, rel=1e-6)


def test_utilization_with_idle_share_warns_of_double_counting():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = Study.from_dict(minimal_study("double idle", use={"idle_share": 0.3, "idle_power_w": 70}))
    note = next(w for w in study.warnings if "counted twice" in w)
    assert "idle_share = 0.3" in note and "utilization = 0.5" in note and "0.429" in note  # 0.3 / 0.7 idle h per busy h
    assert any(issubclass(w.category, PlausibilityWarning) for w in caught)


def test_teacher_allocated_above_one_across_the_examples_is_reported():
    studies = [Study.from_file(EXAMPLES / name) for name in ("olmo2-7b.toml", "distilled-student.toml", "from-scratch-small.toml")]
    assert development_shares(studies[1]) == {"Distilled 1B student": 1.0, "OLMo 2 7B Instruct": 0.05}
    (warning,) = allocation_warnings(studies, ["olmo2-7b.toml", "distilled-student.toml", "from-scratch-small.toml"])
    assert "'OLMo 2 7B Instruct'" in warning and "1 (olmo2-7b.toml) + 0.05 (distilled-student.toml) = 1.05 > 1" in warning
    assert allocation_warnings(studies[1:]) == []  # the compared pair alone charges the teacher 0.05


def test_energy_log_gaps_and_tool_pue_are_warnings_in_completeness_and_workbook(project, tmp_path):
    from bw_mllca.report.outputs import write_run_outputs

    # A CodeCarbon run at PUE 1.2 (1.2 kWh at its meter = 1.0 kWh IT) in a datacenter at PUE 1.0.
    # No gpu_count column: the reader notes that the accelerator-hours are unknown (a gap).
    (tmp_path / "emissions.csv").write_text("run_id,duration,energy_consumed,pue\nr1,3600,1.2,1.2\n")
    data = minimal_study("tool pue", datacenters={"dc": {"pue": 1.0}},
                         stages=[_stage(hardware="gpu", energy={"log": str(tmp_path / "emissions.csv"), "format": "codecarbon"})])
    study = Study.from_dict(data)
    build(study)
    notes = build_warnings(study)
    pue_note = next(n for n in notes if "the tool applied PUE 1.2" in n)
    assert "PUE 1" in pue_note and f"{1.0 / 1.2 - 1:+.1%}" in pue_note  # -16.7 %
    assert any("accelerator-hours unknown" in n for n in notes)
    frame = calculate(study, methods=[TRACI_GWP100, OZONE])
    rows = completeness(study, frame).stages.set_index("life_cycle_stage")
    assert "the tool applied PUE 1.2" in rows.loc["training", "notes"]
    write_run_outputs(study, frame, tmp_path / "out", iterations=0)
    workbook = openpyxl.load_workbook(tmp_path / "out" / "results.xlsx")
    warnings_sheet = [r[1] for r in workbook["Warnings"].iter_rows(min_row=2, values_only=True)]
    assert pue_note in warnings_sheet


def test_ozone_depletion_of_a_user_given_grid_is_not_assessed(project):
    study = Study.from_dict(minimal_study("ozone"))  # CO2 and water only: nothing ozone-depleting
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100, OZONE])
    ozone = frame[frame.method == method_label(OZONE)]
    assert len(ozone) and (ozone["score"] == 0.0).all()  # bw2calc's zero: no flow carries a factor
    marked = mark_not_assessed(frame)
    assert marked[marked.method == method_label(OZONE)]["score"].isna().all()
    assert marked[marked.method == method_label(OZONE)]["note"].str.startswith("not assessed").all()
    gwp = marked[marked.method == GWP]
    assert (gwp["note"] == "").all() and np.allclose(gwp["score"], frame[frame.method == GWP]["score"])


def test_training_energy_sweep_scales_wall_clock_facility_and_energy_only_stages(project):
    from bw_mllca.impact.engine import LinearEngine
    from bw_mllca.interpretation import parameters

    study = Study.from_dict(training_study_data := minimal_study("sweep semantics", stages=[
        _stage(hardware="gpu", accelerators=64, duration_hours=10, power_w=300, energy_includes_host=False),
        _stage(name="facility run", hardware="gpu", accelerator_hours=100, facility_energy_kwh=500),
        _stage(name="energy only", energy_kwh=200),
    ]))
    engine = LinearEngine(study, methods=[TRACI_GWP100])
    base, double = engine.scores({parameters.training_energy_factor(): np.array([1.0, 2.0])})[:, 0]
    frame = calculate(study, methods=[TRACI_GWP100])
    gwp = frame[(frame.view == "attributional") & (frame.method == GWP)]
    electricity = gwp[(gwp.component == "electricity") & (gwp.stage_kind == "pre-training")]["score"].sum()
    assert base == pytest.approx(gwp["score"].sum(), rel=1e-6)
    assert double - base == pytest.approx(electricity, rel=1e-5)  # only the training energy doubles
    assert training_study_data["stages"][0]["accelerators"] == 64  # the study itself is untouched


def test_storage_and_network_devices_are_their_own_embodied_component(project):
    import bw2calc as bc

    study = Study.from_dict(catalog_study("storage", hardware={"node": {"storage_and_network": {"storage-node-ssd": 0.25}}}))
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100])
    part = frame[(frame.view == "attributional") & (frame.method == GWP) & (frame.stage == "pre-training")]
    storage = part[part.component == "embodied storage and network"]["score"].sum()
    # 0.25 storage servers per 8-GPU node over their own 4-year life at 85 %: per accelerator-hour
    share = f32(0.25 / (8 * 4 * HOURS_PER_YEAR * 0.85))
    lca = bc.LCA({bd.get_node(database="mllca background", code="manufacture-storage-node-ssd"): 1}, method=TRACI_GWP100)
    lca.lci(), lca.lcia()
    hours = _inventory(study)["accelerator-hour"]
    assert storage == pytest.approx(f32(1000 / 1e9) * hours * share * lca.score, rel=1e-5)
    assert part[part.component == "embodied host server"]["score"].sum() > 0  # still there, apart
    message = _problems(catalog_study("bad storage", hardware={"node": {"storage_and_network": {"HGX-host-server": 1}}}))
    assert "storage_and_network.HGX-host-server" in message


def test_cli_prints_energy_log_and_double_counting_warnings(project, bw_dir, tmp_path):
    import shutil
    import subprocess
    import sys

    import tomli_w

    from conftest import SETUP_PROJECT

    (tmp_path / "emissions.csv").write_text("run_id,duration,energy_consumed,pue,gpu_count\nr1,3600,1.2,1.2,1\n")
    data = minimal_study("cli warnings", datacenters={"dc": {"pue": 1.0}}, use={"idle_share": 0.2, "idle_power_w": 60},
                         stages=[_stage(hardware="gpu", energy={"log": "emissions.csv", "format": "codecarbon"})])
    (tmp_path / "study.toml").write_text(tomli_w.dumps(data))
    copy = tmp_path / "bw"
    shutil.copytree(bw_dir, copy, ignore=shutil.ignore_patterns("*.lock"))
    result = subprocess.run(
        [sys.executable, "-m", "bw_mllca.cli", "--bw-dir", str(copy), "--project", SETUP_PROJECT, "run",
         str(tmp_path / "study.toml"), "--out", str(tmp_path / "out"), "--iterations", "0"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning: cli warnings:")]
    assert any("the tool applied PUE 1.2" in line and "-16.7%" in line for line in lines)
    assert any("counted twice" in line and "idle_share = 0.2" in line for line in lines)
