"""The read_energy_log entry point and the EnergyMeasurement record."""

from __future__ import annotations

from pathlib import Path

import pytest

from bw_mllca.inventory.energy_logs import FORMATS, EnergyLogError, EnergyMeasurement, read_energy_log


def test_formats() -> None:
    assert set(FORMATS) >= {"codecarbon", "nvidia-smi", "zeus", "sacct", "boamps", "distillation-harness"}


def test_unknown_format_and_option(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("duration,energy_consumed\n1,1\n")
    with pytest.raises(EnergyLogError, match=r"unknown energy log format 'carbontracker'"):
        read_energy_log(path, format="carbontracker")
    with pytest.raises(EnergyLogError, match=r"format 'codecarbon' does not take option\(s\) \['gpu_indices'\]"):
        read_energy_log(path, format="codecarbon", gpu_indices=[0])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EnergyLogError, match="no such file"):
        read_energy_log(tmp_path / "nope.csv", format="codecarbon")


def test_energy_log_error_is_value_error() -> None:
    assert issubclass(EnergyLogError, ValueError)


def test_measurement_validation() -> None:
    m = EnergyMeasurement(1.0, None, 1.0, True, "codecarbon", "x")
    assert m.tool_pue == 1.0 and m.gaps == () and m.by_task is None
    with pytest.raises(EnergyLogError, match="it_energy_kwh must be a finite number >= 0, got -1.0"):
        EnergyMeasurement(-1.0, None, 1.0, True, "codecarbon", "x")
    with pytest.raises(EnergyLogError, match="tool_pue must be a finite number >= 1.0, got 0.9"):
        EnergyMeasurement(1.0, None, 1.0, True, "codecarbon", "x", tool_pue=0.9)
