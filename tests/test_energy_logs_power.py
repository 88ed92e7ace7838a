"""nvidia-smi and plain NVML power logs, written in their documented layouts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bw_mllca.inventory.energy_logs import EnergyLogError, read_energy_log

T0 = datetime(2024, 5, 1, 12, 0, 0, 123000)


def _smi(path: Path, samples: list[tuple[float, int, str]], header: str = "timestamp, index, power.draw [W]") -> Path:
    """samples: (seconds after T0, GPU index, power cell as nvidia-smi prints it)."""
    lines = [header]
    for t, gpu, cell in samples:
        stamp = (T0 + timedelta(seconds=t)).strftime("%Y/%m/%d %H:%M:%S.%f")[:-3]
        lines.append(f"{stamp}, {gpu}, {cell}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _constant(seconds: int, gpus: int, watts: float, unit: str = " W", skip: range = range(0)) -> list[tuple[float, int, str]]:
    return [(float(t), g, f"{watts:.2f}{unit}") for t in range(seconds + 1) if t not in skip for g in range(gpus)]


def test_two_gpus_300_w_for_one_hour(tmp_path: Path) -> None:
    # 2 GPUs x 300 W x 1 h = 0.6 kWh; 2 GPU-hours.
    path = _smi(tmp_path / "smi.csv", _constant(3600, 2, 300.0))
    m = read_energy_log(path, format="nvidia-smi")
    assert m.it_energy_kwh == pytest.approx(0.6, rel=1e-12)
    assert m.accelerator_hours == pytest.approx(2.0, rel=1e-12)
    assert m.duration_hours == pytest.approx(1.0, rel=1e-12)
    assert m.measured is True
    assert m.by_task == pytest.approx({"gpu0": 0.3, "gpu1": 0.3})
    assert m.source_format == "nvidia-smi"


def test_nounits_and_linear_ramp_is_exact_under_trapezoid(tmp_path: Path) -> None:
    # 100 W -> 300 W linearly over 1 h: mean 200 W -> 0.2 kWh exactly.
    samples = [(float(t), 0, f"{100 + 200 * t / 3600:.6f}") for t in range(0, 3601, 10)]
    path = _smi(tmp_path / "smi.csv", samples)
    m = read_energy_log(path, format="nvidia-smi")
    assert m.it_energy_kwh == pytest.approx(0.2, rel=1e-9)


def test_plain_nvml_log(tmp_path: Path) -> None:
    path = tmp_path / "nvml.csv"
    rows = ["timestamp_s,gpu_index,power_w"]
    rows += [f"{1714564800 + t * 0.5},{g},250.0" for t in range(7201) for g in (0, 1, 2, 3)]
    path.write_text("\n".join(rows) + "\n")
    m = read_energy_log(path, format="nvml")
    assert m.it_energy_kwh == pytest.approx(4 * 0.25, rel=1e-12)  # 4 GPUs x 250 W x 1 h
    assert m.accelerator_hours == pytest.approx(4.0)
    sub = read_energy_log(path, format="nvml", gpu_indices=[1, 3])
    assert sub.it_energy_kwh == pytest.approx(0.5) and sub.accelerator_hours == pytest.approx(2.0)


def test_gap_is_flagged_and_handled_per_policy(tmp_path: Path) -> None:
    # 30 s without samples (t = 1001..1030) at 1 s sampling: median interval 1 s, default limit 5 s.
    path = _smi(tmp_path / "smi.csv", _constant(3600, 1, 300.0, skip=range(1001, 1031)))
    m = read_energy_log(path, format="nvidia-smi")
    assert m.it_energy_kwh == pytest.approx(0.3)  # constant power: interpolation is exact
    assert m.measured is False
    assert any("GPU 0: 1 gap(s) longer than max_gap_s = 5.000 s, 31.000 s" in g for g in m.gaps)
    excluded = read_energy_log(path, format="nvidia-smi", on_gap="exclude")
    assert excluded.it_energy_kwh == pytest.approx(0.3 * (3600 - 31) / 3600)
    assert excluded.accelerator_hours == pytest.approx((3600 - 31) / 3600)
    with pytest.raises(EnergyLogError, match=r"GPU 0: gap of 31.000 s .* exceeds max_gap_s = 5.000 s"):
        read_energy_log(path, format="nvidia-smi", on_gap="error")
    lenient = read_energy_log(path, format="nvidia-smi", max_gap_s=60)
    assert lenient.measured is True


def test_non_monotonic_timestamps(tmp_path: Path) -> None:
    samples = [(0.0, 0, "300 W"), (2.0, 0, "300 W"), (1.0, 0, "300 W")]
    path = _smi(tmp_path / "smi.csv", samples)
    with pytest.raises(EnergyLogError, match=r"GPU 0: timestamps not increasing"):
        read_energy_log(path, format="nvidia-smi")


def test_gpu_without_power_reading(tmp_path: Path) -> None:
    samples = [(float(t), 0, "300.00 W") for t in range(61)] + [(float(t), 1, "[N/A]") for t in range(61)]
    samples.sort()
    path = _smi(tmp_path / "smi.csv", samples)
    with pytest.raises(EnergyLogError, match=r"GPU 1 has no power reading \(value '\[N/A\]'.*gpu_indices=\[0\]"):
        read_energy_log(path, format="nvidia-smi")
    m = read_energy_log(path, format="nvidia-smi", gpu_indices=[0])
    assert m.it_energy_kwh == pytest.approx(300 * 60 / 3.6e6)


def test_some_na_samples_are_skipped_with_a_note(tmp_path: Path) -> None:
    samples = [(float(t), 0, "[N/A]" if t == 30 else "300.00 W") for t in range(61)]
    m = read_energy_log(_smi(tmp_path / "smi.csv", samples), format="nvidia-smi")
    assert m.it_energy_kwh == pytest.approx(300 * 60 / 3.6e6)
    assert any("some power samples unreadable" in g for g in m.gaps)


def test_milliwatts_are_refused(tmp_path: Path) -> None:
    path = _smi(tmp_path / "smi.csv", _constant(10, 1, 300000.0, unit=""), header="timestamp, index, power.draw [mW]")
    with pytest.raises(EnergyLogError, match=r"'power.draw \[mW\]' is in 'mW'"):
        read_energy_log(path, format="nvidia-smi")
    cells = _smi(tmp_path / "smi2.csv", _constant(10, 1, 300000.0, unit=" mW"))
    with pytest.raises(EnergyLogError, match=r"value '300000.00 mW' is in 'mW'"):
        read_energy_log(cells, format="nvidia-smi")
    nvml = tmp_path / "nvml.csv"
    nvml.write_text("timestamp_s,gpu_index,power_mw\n0,0,300000\n1,0,300000\n")
    with pytest.raises(EnergyLogError, match=r"column 'power_mw' is in mW"):
        read_energy_log(nvml, format="nvml")


def test_missing_columns_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "smi.csv"
    path.write_text("timestamp, power.draw [W]\n2024/05/01 12:00:00.000, 300 W\n")
    with pytest.raises(EnergyLogError, match=r"missing column\(s\) 'index'"):
        read_energy_log(path, format="nvidia-smi")
    path.write_text("timestamp, index, temperature.gpu\n2024/05/01 12:00:00.000, 0, 40\n")
    with pytest.raises(EnergyLogError, match=r"no power column"):
        read_energy_log(path, format="nvidia-smi")
    path.write_text("")
    with pytest.raises(EnergyLogError, match="file is empty"):
        read_energy_log(path, format="nvidia-smi")
    path.write_text("timestamp, index, power.draw [W]\n")
    with pytest.raises(EnergyLogError, match="no data rows"):
        read_energy_log(path, format="nvidia-smi")


def test_bad_timestamp_and_options(tmp_path: Path) -> None:
    path = tmp_path / "smi.csv"
    path.write_text("timestamp, index, power.draw [W]\nyesterday, 0, 300 W\n")
    with pytest.raises(EnergyLogError, match=r"'timestamp' line 2: expected 'YYYY/MM/DD HH:MM:SS.mmm', got 'yesterday'"):
        read_energy_log(path, format="nvidia-smi")
    good = _smi(tmp_path / "ok.csv", _constant(10, 1, 300.0))
    with pytest.raises(EnergyLogError, match=r"on_gap must be one of"):
        read_energy_log(good, format="nvidia-smi", on_gap="ignore")
    with pytest.raises(EnergyLogError, match=r"gpu_indices \[5\] not in the log"):
        read_energy_log(good, format="nvidia-smi", gpu_indices=[5])
