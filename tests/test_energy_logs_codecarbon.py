"""CodeCarbon logs: real runs of CodeCarbon offline, and rows written by CodeCarbon's own
FileOutput from its EmissionsData, read back and checked against hand calculations."""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path

import pytest

codecarbon = pytest.importorskip("codecarbon")
from codecarbon import OfflineEmissionsTracker  # noqa: E402
from codecarbon.output_methods.base_output import OutputMethod  # noqa: E402
from codecarbon.output_methods.emissions_data import EmissionsData  # noqa: E402
from codecarbon.output_methods.file import FileOutput  # noqa: E402

from bw_mllca.inventory.energy_logs import EnergyLogError, read_energy_log  # noqa: E402


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += sum(i * i for i in range(1000))


def _tracker(tmp_path: Path, **extra: object) -> OfflineEmissionsTracker:
    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    return OfflineEmissionsTracker(
        project_name="pretraining",
        experiment_name="exp",
        country_iso_code="FRA",
        output_dir=str(tmp_path),
        output_methods=[OutputMethod.CSV],
        log_level="error",
        tracking_mode="process",
        measure_power_secs=1,
        allow_multiple_runs=True,
        **extra,
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real CodeCarbon run with two tasks (task API) and pue=1.2."""
    out = tmp_path_factory.mktemp("codecarbon_real")
    tracker = _tracker(out, pue=1.2, wue=1.8)
    tracker.start()
    tracker.start_task("preprocess")
    _busy(0.6)
    tracker.stop_task()
    tracker.start_task("train")
    _busy(0.9)
    tracker.stop_task()
    tracker.stop()
    return out


def test_real_emissions_csv_it_energy_divides_out_pue(real_run: Path) -> None:
    path = real_run / "emissions.csv"
    (row,) = _rows(path)
    assert float(row["pue"]) == 1.2  # CodeCarbon records the PUE it applied
    m = read_energy_log(path, format="codecarbon")
    assert m.it_energy_kwh == pytest.approx(float(row["energy_consumed"]) / 1.2, rel=1e-12)
    assert m.it_energy_kwh > 0
    assert m.tool_pue == pytest.approx(1.2)
    assert m.tool_wue_l_per_kwh == pytest.approx(1.8)
    assert m.duration_hours == pytest.approx(float(row["duration"]) / 3600)
    assert m.accelerator_hours == pytest.approx(float(row["gpu_count"]) * float(row["duration"]) / 3600)
    # RAM is always CodeCarbon's model; CPU mode is not in the CSV.
    assert m.measured is False
    assert any(g.startswith("RAM:") for g in m.gaps)
    assert any(g.startswith("CPU:") for g in m.gaps)
    assert any("process" in g for g in m.gaps)


def test_real_task_file_gives_by_task_with_pue_from_sibling(real_run: Path) -> None:
    (task_file,) = real_run.glob("emissions_exp_*.csv")
    rows = _rows(task_file)
    assert "pue" not in rows[0]  # task files do not record the PUE
    m = read_energy_log(task_file, format="codecarbon")
    assert set(m.by_task or {}) == {"preprocess", "train"}
    expected = {r["task_name"]: float(r["energy_consumed"]) / 1.2 for r in rows}
    for name, kwh in expected.items():
        assert m.by_task[name] == pytest.approx(kwh, rel=1e-12)
    assert m.it_energy_kwh == pytest.approx(sum(expected.values()), rel=1e-12)
    assert any("pue 1.2 taken from" in g for g in m.gaps)
    train = read_energy_log(task_file, format="codecarbon", task="train")
    assert train.it_energy_kwh == pytest.approx(expected["train"], rel=1e-12)
    assert train.duration_hours == pytest.approx(
        float(next(r for r in rows if r["task_name"] == "train")["duration"]) / 3600
    )


def test_real_task_file_pue_option_must_match(real_run: Path) -> None:
    (task_file,) = real_run.glob("emissions_exp_*.csv")
    m = read_energy_log(task_file, format="codecarbon", pue=1.2)
    assert m.tool_pue == pytest.approx(1.2)
    emissions = real_run / "emissions.csv"
    with pytest.raises(EnergyLogError, match=r"pue=1.5 contradicts column 'pue' = 1.2"):
        read_energy_log(emissions, format="codecarbon", pue=1.5)


# --- rows written by CodeCarbon's own writer -------------------------------------------------


def _data(**overrides: object) -> EmissionsData:
    values: dict[str, object] = dict(
        timestamp="2024-05-01T12:00:00", project_name="pretraining", run_id="run-1", experiment_id="exp-1",
        duration=3600.0, emissions=0.5, emissions_rate=0.0001, cpu_power=100.0, gpu_power=600.0,
        ram_power=20.0, cpu_energy=0.1, gpu_energy=0.6, ram_energy=0.02, energy_consumed=0.72,
        water_consumed=0.0, country_name="France", country_iso_code="FRA", region="", cloud_provider="",
        cloud_region="", os="Linux", python_version="3.11", codecarbon_version="3.3.2", cpu_count=16,
        cpu_model="AMD EPYC", gpu_count=2, gpu_model="2 x NVIDIA H100", longitude=0.0, latitude=0.0,
        ram_total_size=128.0, tracking_mode="machine", pue=1.0, wue=0.0,
    )
    values.update(overrides)
    return EmissionsData(**values)  # type: ignore[arg-type]


def _write(tmp_path: Path, *data: EmissionsData, name: str = "emissions.csv") -> Path:
    writer = FileOutput(name, str(tmp_path), on_csv_write="append")
    for d in data:
        writer.out(d, d)
    return tmp_path / name


def test_pue_row_hand_calculation(tmp_path: Path) -> None:
    # pue=1.2 multiplies every component: IT 0.1 + 0.6 + 0.02 = 0.72 kWh -> logged 0.864 kWh.
    path = _write(tmp_path, _data(cpu_energy=0.12, gpu_energy=0.72, ram_energy=0.024, energy_consumed=0.864,
                                  pue=1.2, wue=2.0, water_consumed=1.728))
    m = read_energy_log(path, format="codecarbon", cpu_measured=True)
    assert m.it_energy_kwh == pytest.approx(0.72, rel=1e-12)
    assert m.tool_pue == pytest.approx(1.2)
    assert m.tool_wue_l_per_kwh == pytest.approx(2.0)
    assert m.accelerator_hours == pytest.approx(2.0)  # 2 GPUs x 1 h
    assert m.duration_hours == pytest.approx(1.0)
    assert m.measured is False and any("RAM: 0.02 kWh" in g for g in m.gaps)


def test_all_metered_when_ram_zero_and_cpu_rapl(tmp_path: Path) -> None:
    path = _write(tmp_path, _data(ram_energy=0.0, energy_consumed=0.7))
    assert read_energy_log(path, format="codecarbon", cpu_measured=True).measured is True
    unknown = read_energy_log(path, format="codecarbon")
    assert unknown.measured is False and any("does not say whether CodeCarbon read RAPL" in g for g in unknown.gaps)


def test_global_constant_cpu_is_detected(tmp_path: Path) -> None:
    path = _write(tmp_path, _data(cpu_power=42.5, cpu_energy=0.0425, ram_energy=0.0, gpu_energy=0.0,
                                  energy_consumed=0.0425, gpu_count=0))
    m = read_energy_log(path, format="codecarbon")
    assert m.measured is False
    assert any("global constant" in g for g in m.gaps)
    assert m.accelerator_hours == 0.0


def test_flushed_rows_of_one_run_are_cumulative(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _data(duration=1800.0, energy_consumed=0.36, cpu_energy=0.05, gpu_energy=0.3, ram_energy=0.01),
        _data(duration=3600.0),
        _data(run_id="run-2", duration=1800.0, energy_consumed=0.36, cpu_energy=0.05, gpu_energy=0.3,
              ram_energy=0.01, project_name="finetuning"),
    )
    m = read_energy_log(path, format="codecarbon")
    assert m.it_energy_kwh == pytest.approx(0.72 + 0.36)
    assert m.duration_hours == pytest.approx(1.5)
    assert m.accelerator_hours == pytest.approx(3.0)
    assert m.by_task == pytest.approx({"pretraining": 0.72, "finetuning": 0.36})
    assert any("run run-1: 2 cumulative rows" in g for g in m.gaps)
    only = read_energy_log(path, format="codecarbon", task="finetuning")
    assert only.it_energy_kwh == pytest.approx(0.36)
    by_run = read_energy_log(path, format="codecarbon", run_id="run-1")
    assert by_run.it_energy_kwh == pytest.approx(0.72)


def test_selection_that_matches_nothing_names_the_values(tmp_path: Path) -> None:
    path = _write(tmp_path, _data())
    with pytest.raises(EnergyLogError, match=r"project_name = 'nope'.*\['pretraining'\]"):
        read_energy_log(path, format="codecarbon", task="nope")


def test_missing_energy_column(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    path.write_text("timestamp,project_name,duration\n2024-05-01T12:00:00,p,10\n")
    with pytest.raises(EnergyLogError, match=r"missing column\(s\) 'energy_consumed'"):
        read_energy_log(path, format="codecarbon")


def test_bad_value_names_column_and_line(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    path.write_text("duration,energy_consumed\n10,abc\n")
    with pytest.raises(EnergyLogError, match=r"'energy_consumed' line 2: expected a number, got 'abc'"):
        read_energy_log(path, format="codecarbon")


def test_pue_below_one_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _data(pue=0.8))
    with pytest.raises(EnergyLogError, match=r"'pue' line 2 must be >= 1.0, got 0.8"):
        read_energy_log(path, format="codecarbon")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "emissions.csv"
    path.write_text("")
    with pytest.raises(EnergyLogError, match="file is empty"):
        read_energy_log(path, format="codecarbon")
