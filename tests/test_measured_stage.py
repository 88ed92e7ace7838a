"""A stage that references an energy log: the log's IT energy becomes the stage's input."""

from __future__ import annotations

import bw2data as bd
import pytest

from bw_mllca import BuildError, Study, build, calculate
from bw_mllca.impact.calculate import method_label
from bw_mllca.impact.methods import TRACI_GWP100
from conftest import f32
from studies import minimal_study

GWP = method_label(TRACI_GWP100)


def _nvml_log(path, gpus=2, watts=300.0, seconds=3600, step=10, gap_at=None):
    lines = ["timestamp_s,gpu_index,power_w"]
    for t in range(0, seconds + 1, step):
        if gap_at is not None and gap_at[0] < t < gap_at[1]:
            continue
        for gpu in range(gpus):
            lines.append(f"{1_700_000_000 + t},{gpu},{watts}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _study_with_log(tmp_path, log_name, **energy):
    data = minimal_study("measured stage", stages=[
        {"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
         "energy": {"log": log_name, "format": "nvml", **energy}},
    ])
    path = tmp_path / "study.toml"
    import tomli_w

    path.write_text(tomli_w.dumps(data))
    return Study.from_file(path)


def test_logged_stage_uses_integrated_energy_and_gpu_hours(project, tmp_path):
    _nvml_log(tmp_path / "pretrain.csv")  # 2 GPUs x 300 W x 1 h = 0.6 kWh, 2 GPU-hours
    study = _study_with_log(tmp_path, "pretrain.csv")
    build(study)
    stage = next(a for a in bd.Database(study.database_name) if a.get("mllca_stage") == "pre-training")
    assert stage["mllca_measured"] is True
    amounts = {e.input.get("mllca_role"): e["amount"] for e in stage.technosphere()}
    assert amounts["it-energy"] == pytest.approx(0.6, rel=1e-12)
    assert amounts["accelerator-hour"] == pytest.approx(2.0, rel=1e-12)
    frame = calculate(study, methods=[TRACI_GWP100])
    electricity = frame[(frame.view == "attributional") & (frame.method == GWP) & (frame.stage == "pre-training")
                        & (frame.component == "electricity")]["score"].sum()
    assert electricity == pytest.approx(f32(1000 / 1e7) * f32(0.6) * f32(1.25) * f32(0.3), rel=1e-9)


def test_gap_in_log_marks_stage_estimated(project, tmp_path):
    _nvml_log(tmp_path / "gappy.csv", gap_at=(600, 1800))
    study = _study_with_log(tmp_path, "gappy.csv")
    build(study)
    stage = next(a for a in bd.Database(study.database_name) if a.get("mllca_stage") == "pre-training")
    assert stage["mllca_measured"] is False
    assert "estimated" in stage["mllca_basis"]


def test_missing_log_file_is_a_study_error(project, tmp_path):
    from bw_mllca import StudyError

    with pytest.raises(StudyError, match=r"stages\.0\.energy\.log"):
        _study_with_log(tmp_path, "absent.csv")


def test_bad_log_is_a_build_error_naming_the_column(project, tmp_path):
    (tmp_path / "bad.csv").write_text("timestamp_s,gpu_index,power_mw\n1,0,300000\n2,0,300000\n")
    study = _study_with_log(tmp_path, "bad.csv")
    before = set(bd.databases)
    with pytest.raises(BuildError, match="power"):
        build(study)
    assert set(bd.databases) == before


def test_energy_marked_estimated_is_not_counted_as_measured(project):
    data = minimal_study("estimated energy", stages=[
        {"name": "reading", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 10, "energy_kwh": 5},
        {"name": "allocation", "kind": "experimentation", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 10,
         "energy_kwh": 5, "energy_estimated": True},
    ], use={"energy_estimated": True})
    study = Study.from_dict(data)
    build(study)
    flags = {a["mllca_stage"]: a["mllca_measured"] for a in bd.Database(study.database_name) if a.get("mllca_role") == "stage"}
    assert flags == {"reading": True, "allocation": False, "inference": False}


def test_accelerator_only_energy_gets_the_host_draw_added(project):
    """A GPU-only reading on an 8-GPU HGX node: + accelerator-hours x (1,200 W / 8 slots)."""
    from studies import catalog_study

    def it_energy(includes_host):
        data = catalog_study(f"host draw {includes_host}", stages=[
            {"name": "pre-training", "kind": "pre-training", "hardware": "node", "datacenter": "dc",
             "accelerator_hours": 1_000, "energy_kwh": 500, "energy_includes_host": includes_host}])
        study = Study.from_dict(data)
        build(study)
        stage = next(a for a in bd.Database(study.database_name) if a.get("mllca_stage") == "pre-training")
        return next(e["amount"] for e in stage.technosphere() if e.input.get("mllca_role") == "it-energy")

    assert it_energy(True) == pytest.approx(500, rel=1e-12)
    assert it_energy(False) == pytest.approx(500 + 1_000 * 1_200 / 8 / 1000, rel=1e-12)
