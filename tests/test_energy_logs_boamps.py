"""BoAmps reports: one produced by CodeCarbon's own BoAmps mapper, and hand-written ones."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from bw_mllca.inventory.energy_logs import EnergyLogError, read_energy_log


def _report(**measure: object) -> dict[str, object]:
    base = {"measurementMethod": "wattmeter", "powerConsumption": 0.6, "measurementDuration": 3600.0}
    base.update(measure)
    return {
        "header": {"reportDatetime": "2025-02-26 16:57:00"},
        "task": {"taskStage": "training", "taskFamily": "chatbot", "algorithms": [{}], "dataset": [{}]},
        "measures": [base],
        "infrastructure": {
            "infraType": "onPremise",
            "components": [
                {"componentType": "cpu", "nbComponent": 32},
                {"componentType": "gpu", "nbComponent": 2, "componentName": "2 x H100"},
                {"componentType": "ram", "nbComponent": 1, "memorySize": 256},
            ],
        },
    }


def _write(tmp_path: Path, report: object, name: str = "report.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return path


def test_codecarbon_mapper_output(tmp_path: Path) -> None:
    pytest.importorskip("codecarbon")
    from codecarbon.output_methods.boamps.mapper import map_emissions_to_boamps
    from codecarbon.output_methods.emissions_data import EmissionsData

    data = EmissionsData(
        timestamp="2024-09-30T09:09:40", project_name="p", run_id="r", experiment_id="e", duration=19.09390426,
        emissions=0.0001, emissions_rate=0.0, cpu_power=40.0, gpu_power=450.0, ram_power=10.0,
        cpu_energy=0.0003, gpu_energy=0.0023, ram_energy=0.00007074, energy_consumed=0.00267074 * 1.1,
        water_consumed=0.0, country_name="France", country_iso_code="FRA", region="", cloud_provider="",
        cloud_region="", os="Linux", python_version="3.10", codecarbon_version="3.3.2", cpu_count=60,
        cpu_model="Intel Xeon Gold 6226R", gpu_count=2, gpu_model="2 x Tesla V100S", longitude=0.0,
        latitude=0.0, ram_total_size=86.0, tracking_mode="machine", pue=1.1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no task context given to the mapper
        report = map_emissions_to_boamps(data).to_dict()
    path = _write(tmp_path, report)
    assumed = read_energy_log(path, format="boamps")
    assert assumed.it_energy_kwh == pytest.approx(0.00267074 * 1.1)
    assert any("assumed 1.0" in g for g in assumed.gaps)
    m = read_energy_log(path, format="boamps", pue=1.1)
    assert m.it_energy_kwh == pytest.approx(0.00267074, rel=1e-12)
    assert m.tool_pue == pytest.approx(1.1)
    assert m.accelerator_hours == pytest.approx(2 * 19.09390426 / 3600)
    assert m.duration_hours == pytest.approx(19.09390426 / 3600)
    assert m.measured is False  # CodeCarbon's RAM model
    assert any("RAM energy is estimated" in g for g in m.gaps)


def test_wattmeter_measure_is_measured(tmp_path: Path) -> None:
    m = read_energy_log(_write(tmp_path, _report()), format="boamps")
    assert m.it_energy_kwh == pytest.approx(0.6)
    assert m.accelerator_hours == pytest.approx(2.0)
    assert m.measured is True


def test_estimated_cpu_mode(tmp_path: Path) -> None:
    m = read_energy_log(_write(tmp_path, _report(cpuTrackingMode="constant")), format="boamps")
    assert m.measured is False and any("cpuTrackingMode 'constant'" in g for g in m.gaps)


def test_several_measures_must_be_chosen(tmp_path: Path) -> None:
    report = _report()
    report["measures"].append({"measurementMethod": "codecarbon", "powerConsumption": 0.55, "measurementDuration": 3600.0})  # type: ignore[attr-defined]
    path = _write(tmp_path, report)
    with pytest.raises(EnergyLogError, match=r"2 measures \(\['wattmeter', 'codecarbon'\]\)"):
        read_energy_log(path, format="boamps")
    assert read_energy_log(path, format="boamps", measure="wattmeter").it_energy_kwh == pytest.approx(0.6)
    assert read_energy_log(path, format="boamps", measure=1).it_energy_kwh == pytest.approx(0.55)
    both = read_energy_log(path, format="boamps", sum_measures=True)
    assert both.it_energy_kwh == pytest.approx(1.15)
    assert both.by_task == pytest.approx({"wattmeter": 0.6, "codecarbon": 0.55})


def test_bad_reports(tmp_path: Path) -> None:
    with pytest.raises(EnergyLogError, match=r"'measures' must be a non-empty list"):
        read_energy_log(_write(tmp_path, {"measures": []}), format="boamps")
    with pytest.raises(EnergyLogError, match=r"'powerConsumption' measures\[0\]: expected a number, got None"):
        read_energy_log(_write(tmp_path, _report(powerConsumption=None)), format="boamps")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(EnergyLogError, match="not valid JSON"):
        read_energy_log(broken, format="boamps")
