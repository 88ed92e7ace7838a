"""Distillation stage logs: distill_bench's StageMetrics JSON and summary, and the simple layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bw_mllca.inventory.energy_logs import EnergyLogError, read_energy_log


def _stage(stage_id: str, duration_s: float, gpu_j: float, cpu_j: float = 0.0, cc_kwh: float = 0.0) -> dict[str, object]:
    """A distill_bench StageMetrics.to_dict(include_power_samples=True) payload."""
    total_j = gpu_j + cpu_j if (gpu_j or cpu_j) else cc_kwh * 3.6e6
    return {
        "stage_id": stage_id, "stage_name": stage_id, "start_time": 1769561713.75,
        "end_time": 1769561713.75 + duration_s, "duration_seconds": duration_s, "tokens_processed": 1000,
        "gpu_energy_joules": gpu_j, "gpu_avg_power_watts": gpu_j / duration_s, "gpu_peak_power_watts": 400.0,
        "gpu_power_samples": [300.0, 310.0], "codecarbon_energy_kwh": cc_kwh, "codecarbon_emissions_kg": 0.0,
        "cpu_energy_joules": cpu_j, "total_energy_joules": total_j, "total_energy_kwh": total_j / 3.6e6,
        "joules_per_token": total_j / 1000, "kwh_total": total_j / 3.6e6, "tokens_per_second": 1.0,
        "nvml_poll_interval_ms": 500,
    }


def test_summary_by_stage(tmp_path: Path) -> None:
    summary = {
        "experiment_id": "kd_7b_to_1b_20250101", "experiment_name": "kd_7b_to_1b",
        "stages": {
            "teacher_generation_kd_7b_to_1b": _stage("teacher_generation_kd_7b_to_1b", 3600.0, 2.16e6, 0.36e6),
            "student_train_kd_7b_to_1b": _stage("student_train_kd_7b_to_1b", 7200.0, 4.32e6, 0.72e6),
        },
    }
    path = tmp_path / "experiment_summary.json"
    path.write_text(json.dumps(summary))
    m = read_energy_log(path, format="distillation-harness", gpu_count=1)
    assert m.it_energy_kwh == pytest.approx((2.52e6 + 5.04e6) / 3.6e6)
    assert m.by_task == pytest.approx({"teacher_generation_kd_7b_to_1b": 0.7, "student_train_kd_7b_to_1b": 1.4})
    assert m.accelerator_hours == pytest.approx(3.0)
    assert m.duration_hours == pytest.approx(3.0)
    assert m.measured is True
    assert any("RAM and the rest of the node" in g for g in m.gaps)
    student = read_energy_log(path, format="distillation-harness", stage="student_train")
    assert student.it_energy_kwh == pytest.approx(1.4)
    assert student.accelerator_hours is None


def test_single_stage_file_with_codecarbon_fallback(tmp_path: Path) -> None:
    path = tmp_path / "logit_caching.json"
    path.write_text(json.dumps(_stage("logit_caching_kd", 600.0, 0.0, 0.0, cc_kwh=0.05)))
    m = read_energy_log(path, format="distillation-harness")
    assert m.it_energy_kwh == pytest.approx(0.05)
    assert m.measured is False
    assert any("CodeCarbon's total used" in g for g in m.gaps)


def test_cpu_not_metered_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "stage.json"
    path.write_text(json.dumps(_stage("eval_kd", 60.0, 18000.0)))
    m = read_energy_log(path, format="distillation-harness")
    assert m.it_energy_kwh == pytest.approx(0.005)
    assert any("CPU energy not metered" in g for g in m.gaps)


def test_simple_layout(tmp_path: Path) -> None:
    path = tmp_path / "stages.json"
    path.write_text(json.dumps({"stages": [
        {"name": "teacher_generation", "energy_kwh": 1.2, "gpu_hours": 8.0, "duration_s": 3600},
        {"name": "student_training", "energy_j": 7.2e6, "gpu_hours": 16.0, "duration_s": 7200},
    ]}))
    m = read_energy_log(path, format="distillation-harness")
    assert m.it_energy_kwh == pytest.approx(3.2)
    assert m.accelerator_hours == pytest.approx(24.0)
    assert m.by_task == pytest.approx({"teacher_generation": 1.2, "student_training": 2.0})


def test_bad_stage_logs(tmp_path: Path) -> None:
    path = tmp_path / "stages.json"
    path.write_text(json.dumps({"stages": [{"name": "x", "gpu_hours": 1}]}))
    with pytest.raises(EnergyLogError, match=r"stages\[0\] \('x'\) has neither 'energy_kwh' nor 'energy_j'"):
        read_energy_log(path, format="distillation-harness")
    path.write_text(json.dumps({"stages": {"s": {"duration_seconds": 1.0}}}))
    with pytest.raises(EnergyLogError, match=r"stage 's' lacks 'gpu_energy_joules'"):
        read_energy_log(path, format="distillation-harness")
    path.write_text(json.dumps({"stages": [{"name": "a", "energy_kwh": 1}]}))
    with pytest.raises(EnergyLogError, match=r"no stage named 'b'; stages present: \['a'\]"):
        read_energy_log(path, format="distillation-harness", stage="b")
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(EnergyLogError, match="not a distillation stage log"):
        read_energy_log(path, format="distillation-harness")
