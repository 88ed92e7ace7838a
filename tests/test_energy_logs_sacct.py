"""SLURM `sacct --parsable2` exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from bw_mllca.inventory.energy_logs import EnergyLogError, read_energy_log

HEADER = "JobID|JobName|Elapsed|NNodes|AllocTRES|ConsumedEnergyRaw\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sacct.txt"
    path.write_text(HEADER + body)
    return path


def test_job_energy_and_gpu_hours(tmp_path: Path) -> None:
    # 2 GPUs for 1 h, 2 160 000 J -> 0.6 kWh, 2 GPU-h; steps are not added again.
    path = _write(
        tmp_path,
        "1001|pretrain|01:00:00|1|billing=16,cpu=16,gres/gpu=2,mem=128G,node=1|2160000\n"
        "1001.batch|batch|01:00:00|1|cpu=16,gres/gpu=2,mem=128G,node=1|2100000\n"
        "1001.extern|extern|01:00:00|1|billing=16,cpu=16,gres/gpu=2,mem=128G,node=1|2160000\n"
        "1001.0|python|00:59:00|1|cpu=16,gres/gpu=2,mem=128G,node=1|2000000\n",
    )
    m = read_energy_log(path, format="sacct")
    assert m.it_energy_kwh == pytest.approx(0.6)
    assert m.accelerator_hours == pytest.approx(2.0)
    assert m.duration_hours == pytest.approx(1.0)
    assert m.measured is True
    assert m.by_task == pytest.approx({"pretrain": 0.6})


def test_extern_step_and_typed_gres_and_days(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "2002|finetune|1-00:00:00|2|cpu=64,gres/gpu:a100=8,node=2|\n"
        "2002.extern|extern|1-00:00:00|2|cpu=64,gres/gpu:a100=8,node=2|3600000000\n",
    )
    m = read_energy_log(path, format="sacct")
    assert m.accelerator_hours == pytest.approx(8 * 24)
    assert m.it_energy_kwh == pytest.approx(1000.0)
    assert any("from its .extern step" in g for g in m.gaps)


def test_no_energy_needs_power_w(tmp_path: Path) -> None:
    path = _write(tmp_path, "3003|eval|30:00|1|cpu=8,gres/gpu=4,node=1|0\n")
    with pytest.raises(EnergyLogError, match=r"JobID 3003\): no ConsumedEnergyRaw recorded.*power_w"):
        read_energy_log(path, format="sacct")
    m = read_energy_log(path, format="sacct", power_w=300)
    assert m.it_energy_kwh == pytest.approx(300 * 4 * 0.5 / 1000)
    assert m.accelerator_hours == pytest.approx(2.0)
    assert m.measured is False


def test_selection_and_errors(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "1|a|00:10:00|1|gres/gpu=1|360000\n2|b|00:20:00|1|gres/gpu=1|720000\n",
    )
    assert read_energy_log(path, format="sacct", job_id="2").it_energy_kwh == pytest.approx(0.2)
    assert read_energy_log(path, format="sacct", job_name="a").it_energy_kwh == pytest.approx(0.1)
    assert read_energy_log(path, format="sacct").it_energy_kwh == pytest.approx(0.3)
    with pytest.raises(EnergyLogError, match=r"jobs present: \['1', '2'\]"):
        read_energy_log(path, format="sacct", job_id="9")
    bad = _write(tmp_path, "1|a|ten minutes|1|gres/gpu=1|360000\n")
    with pytest.raises(EnergyLogError, match=r"'Elapsed' line 2 \(JobID 1\)"):
        read_energy_log(bad, format="sacct")
    rounded = tmp_path / "rounded.txt"
    rounded.write_text("JobID|Elapsed|AllocTRES|ConsumedEnergy\n1|00:10:00|gres/gpu=1|360K\n")
    with pytest.raises(EnergyLogError, match="export 'ConsumedEnergyRaw'"):
        read_energy_log(rounded, format="sacct")
    missing = tmp_path / "missing.txt"
    missing.write_text("JobID|Elapsed|ConsumedEnergyRaw\n1|00:10:00|360000\n")
    with pytest.raises(EnergyLogError, match=r"missing column\(s\) 'AllocTRES'"):
        read_energy_log(missing, format="sacct")
