"""Power-log time stamps: nvidia-smi wall-clock times in a stated zone (never the reading
machine's), clock changes refused, NVML timestamp units detected."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bw_mllca.inventory.energy_logs import EnergyLogError, read_energy_log

WATTS = 300.0


def _smi(path: Path, stamps: list[str], watts: float = WATTS) -> Path:
    path.write_text("timestamp, index, power.draw [W]\n" + "".join(f"{s}, 0, {watts:.2f} W\n" for s in stamps))
    return path


def _wall(start: datetime, seconds: range) -> list[str]:
    return [(start + timedelta(seconds=t)).strftime("%Y/%m/%d %H:%M:%S.%f")[:-3] for t in seconds]


def _spring_forward_log(path: Path) -> Path:
    # New York, 2024-03-10: clocks go from 01:59:59 to 03:00:00. A 1 s sampled job from 01:30 to
    # 03:30 local time ran 3,600 s of real time; its wall clock shows 7,200 s.
    before = _wall(datetime(2024, 3, 10, 1, 30), range(0, 1800))
    after = _wall(datetime(2024, 3, 10, 3, 0), range(0, 1801))
    return _smi(path, before + after)


def test_spring_forward_in_new_york_is_one_hour_of_real_time(tmp_path):
    m = read_energy_log(_spring_forward_log(tmp_path / "smi.csv"), format="nvidia-smi", tz="America/New_York")
    # 3,600 s at 300 W: 0.3 kWh over 1 GPU-hour (samples 01:30:00 .. 01:59:59, 03:00:00 .. 03:30:00).
    assert m.duration_hours == pytest.approx(3600 / 3600, rel=1e-12)
    assert m.it_energy_kwh == pytest.approx(WATTS * 3600 / 3.6e6, rel=1e-12)


def test_the_same_log_read_as_utc_reports_the_clock_jump(tmp_path):
    with pytest.raises(EnergyLogError, match=r"smi.csv: GPU 0: the clock jumps 3601.000 s after 2024-03-10 01:59:59 UTC .*DST"):
        read_energy_log(_spring_forward_log(tmp_path / "smi.csv"), format="nvidia-smi")
    # a job that really paused for an hour: a gap, bridged by interpolation and noted
    m = read_energy_log(tmp_path / "smi.csv", format="nvidia-smi", on_clock_jump="gap")
    assert m.duration_hours == pytest.approx(2.0, rel=1e-12)
    assert any("1 gap(s)" in note for note in m.gaps) and m.measured is False


def test_fall_back_repeated_hour_is_ordered_by_the_samples(tmp_path):
    # 2024-11-03 in New York: 01:00-01:59 happens twice. 10 s samples from 00:30:00 to 01:59:50
    # (first pass, 5,390 s), one 10 s step, then 01:00:00 to 01:30:00 again (second pass, 1,800 s).
    first = _wall(datetime(2024, 11, 3, 0, 30), range(0, 5400, 10))
    second = _wall(datetime(2024, 11, 3, 1, 0), range(0, 1801, 10))
    path = _smi(tmp_path / "smi.csv", first + second)
    m = read_energy_log(path, format="nvidia-smi", tz="America/New_York")
    real_s = 5390 + 10 + 1800  # first pass, the step into the second pass, second pass
    assert m.duration_hours == pytest.approx(real_s / 3600, rel=1e-12)
    assert m.it_energy_kwh == pytest.approx(WATTS * real_s / 3.6e6, rel=1e-12)
    with pytest.raises(EnergyLogError, match=r"timestamps not increasing .* a clock change \(DST\)\? give the zone"):
        read_energy_log(path, format="nvidia-smi")  # read as UTC the clock goes back an hour


def test_result_does_not_depend_on_the_reading_machines_zone(tmp_path, monkeypatch):
    dst = _spring_forward_log(tmp_path / "dst.csv")
    plain = _smi(tmp_path / "plain.csv", _wall(datetime(2024, 3, 10, 1, 30), range(0, 3601)))
    results = []
    for machine_zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        monkeypatch.setenv("TZ", machine_zone)
        time.tzset()  # what a machine in that zone would see
        results.append((read_energy_log(dst, format="nvidia-smi", tz="America/New_York").it_energy_kwh,
                        read_energy_log(plain, format="nvidia-smi").it_energy_kwh))
    monkeypatch.undo()
    time.tzset()
    assert results == [(pytest.approx(0.3, rel=1e-12), pytest.approx(0.3, rel=1e-12))] * 3


def test_a_time_the_zone_skips_and_an_unknown_zone_are_refused(tmp_path):
    path = _smi(tmp_path / "smi.csv", _wall(datetime(2024, 3, 10, 2, 10), range(0, 60)))
    with pytest.raises(EnergyLogError, match=r"a time skipped in tz = 'America/New_York'"):
        read_energy_log(path, format="nvidia-smi", tz="America/New_York")
    with pytest.raises(EnergyLogError, match=r"option tz = 'america/new_york': not an IANA time zone; did you mean 'America/New_York'"):
        read_energy_log(path, format="nvidia-smi", tz="america/new_york")


def _nvml(path: Path, stamps: list[float], watts: float = WATTS) -> Path:
    path.write_text("timestamp_s,gpu_index,power_w\n" + "".join(f"{t!r},0,{watts}\n" for t in stamps))
    return path


@pytest.mark.parametrize("unit, per_second", [("ms", 1e3), ("us", 1e6), ("ns", 1e9)])
def test_nvml_unix_time_in_finer_units_is_converted_with_a_note(tmp_path, unit, per_second, caplog):
    start = 1_714_564_800  # 2024-05-01 12:00 UTC
    path = _nvml(tmp_path / "nvml.csv", [(start + t) * per_second for t in range(0, 3601, 2)])
    with caplog.at_level("INFO"):
        m = read_energy_log(path, format="nvml")
    assert m.it_energy_kwh == pytest.approx(0.3, rel=1e-9)  # 300 W for 1 h, not 300 kWh or more
    assert m.duration_hours == pytest.approx(1.0, rel=1e-9)
    assert any(f"read as {unit}" in note for note in m.gaps)
    assert any(f"read as {unit}" in record.getMessage() for record in caplog.records)


def test_nvml_relative_clock_in_ms_is_refused_unless_the_unit_is_given(tmp_path):
    path = _nvml(tmp_path / "nvml.csv", [t * 1000.0 for t in range(0, 3601)])  # 1 s steps, in ms, from 0
    with pytest.raises(EnergyLogError, match=r"nvml.csv: 'timestamp_s' is a relative clock with a median sampling step of 1000.*time_unit"):
        read_energy_log(path, format="nvml")
    assert read_energy_log(path, format="nvml", time_unit="ms").it_energy_kwh == pytest.approx(0.3, rel=1e-12)
    # seconds stay seconds: a relative clock sampled every 2 s
    seconds = _nvml(tmp_path / "s.csv", [float(t) for t in range(0, 3601, 2)])
    assert read_energy_log(seconds, format="nvml").it_energy_kwh == pytest.approx(0.3, rel=1e-12)
