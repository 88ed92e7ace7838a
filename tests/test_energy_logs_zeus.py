"""Zeus ZeusMonitor CSV logs and Measurement JSON, in the layout zeus 0.16 writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bw_mllca.inventory.energy_logs import EnergyLogError, read_energy_log

HEADER = "start_time,window_name,elapsed_time,gpu0_energy,gpu1_energy\n"


def test_repeated_windows_sum(tmp_path: Path) -> None:
    # Two 30-min "train" windows, 2 GPUs at 300 W: 540 000 J per GPU per window -> 0.6 kWh, 2 GPU-h.
    path = tmp_path / "zeus.csv"
    path.write_text(HEADER + "1714564800.0,train,1800.0,540000.0,540000.0\n1714566600.0,train,1800.0,540000.0,540000.0\n")
    m = read_energy_log(path, format="zeus")
    assert m.it_energy_kwh == pytest.approx(0.6, rel=1e-12)
    assert m.accelerator_hours == pytest.approx(2.0)
    assert m.duration_hours == pytest.approx(1.0)
    assert m.measured is True
    assert m.by_task == pytest.approx({"train": 0.6})
    assert any("GPU energy only" in g for g in m.gaps)


def test_nested_windows_refused_unless_one_is_chosen(tmp_path: Path) -> None:
    path = tmp_path / "zeus.csv"
    path.write_text(
        HEADER
        + "100.0,step,10.0,3000.0,3000.0\n"
        + "115.0,step,10.0,3000.0,3000.0\n"
        + "100.0,epoch,30.0,9000.0,9000.0\n"
    )
    with pytest.raises(EnergyLogError, match=r"windows 'epoch' and 'step' overlap"):
        read_energy_log(path, format="zeus")
    epoch = read_energy_log(path, format="zeus", window="epoch")
    assert epoch.it_energy_kwh == pytest.approx(18000 / 3.6e6)
    assert epoch.accelerator_hours == pytest.approx(60 / 3600)
    with pytest.raises(EnergyLogError, match=r"no window named 'eval'; windows present: \['epoch', 'step'\]"):
        read_energy_log(path, format="zeus", window="eval")


def test_zero_energy_window_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "zeus.csv"
    path.write_text(HEADER + "100.0,tiny,0.01,0.0,0.5\n")
    m = read_energy_log(path, format="zeus")
    assert any("GPU(s) [0] read 0 J" in g for g in m.gaps)


def test_measurement_json_with_cpu_and_dram(tmp_path: Path) -> None:
    # dataclasses.asdict(zeus.monitor.Measurement): JSON turns int keys into strings.
    data = {
        "prefill": {"time": 60.0, "gpu_energy": {"0": 18000.0}, "cpu_energy": {"0": 3600.0}, "dram_energy": {"0": 360.0}, "soc_energy": None},
        "decode": {"time": 120.0, "gpu_energy": {"0": 36000.0}, "cpu_energy": None, "dram_energy": None, "soc_energy": None},
    }
    path = tmp_path / "zeus.json"
    path.write_text(json.dumps(data))
    m = read_energy_log(path, format="zeus")
    assert m.it_energy_kwh == pytest.approx((18000 + 3600 + 360 + 36000) / 3.6e6)
    assert m.by_task == pytest.approx({"prefill": 21960 / 3.6e6, "decode": 36000 / 3.6e6})
    assert m.accelerator_hours == pytest.approx(180 / 3600)


def test_bad_zeus_logs(tmp_path: Path) -> None:
    path = tmp_path / "zeus.csv"
    path.write_text("start_time,window_name,elapsed_time\n1.0,w,2.0\n")
    with pytest.raises(EnergyLogError, match=r"no 'gpu<i>_energy' column"):
        read_energy_log(path, format="zeus")
    path.write_text(HEADER + "1.0,w,2.0,-5,1\n")
    with pytest.raises(EnergyLogError, match=r"'gpu0_energy' line 2: expected a value >= 0, got '-5'"):
        read_energy_log(path, format="zeus")
    bad = tmp_path / "zeus.json"
    bad.write_text(json.dumps({"w": {"gpu_energy": {"0": 1.0}}}))
    with pytest.raises(EnergyLogError, match=r"window 'w': expected keys 'time'"):
        read_energy_log(bad, format="zeus")
