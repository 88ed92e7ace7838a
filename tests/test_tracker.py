"""The stage tracker: real CodeCarbon measurement (works without GPU) and the NVML backend."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bw_mllca.inventory.energy_logs import read_energy_log
from bw_mllca.inventory.tracker import TrackerError, _nvml_gpu_count, track


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(i * i for i in range(1000))


def test_codecarbon_stage_is_measured_and_read_back(tmp_path: Path) -> None:
    pytest.importorskip("codecarbon")
    log = tmp_path / "runs" / "pretrain.csv"
    with track("pretraining", log=log, backend="codecarbon", interval_s=0.5) as t:
        _busy(0.8)
    m = t.result
    assert m is not None and t.run_id
    assert m.it_energy_kwh > 0
    assert m.source_format == "codecarbon" and m.tool_pue == 1.0
    # Read back independently: the same numbers.
    again = read_energy_log(log, format="codecarbon", run_id=t.run_id)
    assert again == m
    assert (tmp_path / "runs" / "pretrain.csv.bw_mllca.json").is_file()
    if m.accelerator_hours == 0.0:
        assert any("saw no GPU" in g for g in m.gaps)
    assert any(g.startswith("RAM:") for g in m.gaps)  # RAM is CodeCarbon's model, said so

    # A second run appends; its result is that run only, the stage total is both.
    with track("pretraining", log=log, backend="codecarbon", interval_s=0.5) as t2:
        _busy(0.3)
    assert t2.run_id != t.run_id
    total = read_energy_log(log, format="codecarbon", task="pretraining")
    assert total.it_energy_kwh == pytest.approx(m.it_energy_kwh + t2.result.it_energy_kwh)


def test_result_is_set_when_the_stage_fails(tmp_path: Path) -> None:
    pytest.importorskip("codecarbon")
    with pytest.raises(ZeroDivisionError):
        with track("eval", log=tmp_path / "eval.csv", backend="codecarbon", interval_s=0.5) as t:
            1 / 0
    assert t.result is not None and t.result.duration_hours > 0


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match=r"backend must be one of .* got 'rapl'"):
        with track("s", log=tmp_path / "x.csv", backend="rapl"):
            pass
    with pytest.raises(TrackerError, match="interval_s must be > 0"):
        with track("s", log=tmp_path / "x.csv", interval_s=0):
            pass


def test_nvml_backend(tmp_path: Path) -> None:
    log = tmp_path / "gpu.csv"
    if _nvml_gpu_count() == 0:
        with pytest.raises(TrackerError, match="no NVIDIA driver/GPU answers|needs nvidia-ml-py"):
            with track("train", log=log, backend="nvml"):
                pass
        return
    with track("train", log=log, backend="nvml", interval_s=0.1) as t:
        _busy(1.0)
    m = t.result
    assert m is not None and m.source_format == "nvml"
    assert m.it_energy_kwh > 0
    assert m.accelerator_hours == pytest.approx(_nvml_gpu_count() * m.duration_hours, rel=1e-6)
    with pytest.raises(TrackerError, match="exists"):
        with track("train", log=log, backend="nvml"):
            pass
