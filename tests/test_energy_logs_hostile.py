"""Hostile and huge energy logs: one-line errors that name the file and quote none of its lines;
a power log of tens of MB read in chunks, in a fraction of its size; logs only from allowed folders."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import tomli_w

from bw_mllca import Study
from bw_mllca.errors import StudyError
from bw_mllca.inventory.energy_logs import EnergyLogError, read_energy_log
from studies import minimal_study

SECRET = "do-not-quote-me"


def _one_line(error: pytest.ExceptionInfo, path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message and str(path) in message and len(message) < 400, message
    assert SECRET not in message
    return message


def test_field_over_the_csv_limit_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text("duration,energy_consumed\n10," + SECRET * 20_000 + "\n")  # 300,000 characters > 131,072
    with pytest.raises(EnergyLogError) as error:
        read_energy_log(path, format="codecarbon")
    assert "line 2" in _one_line(error, path) and "field limit" in str(error.value)
    smi = tmp_path / "smi.csv"  # the streamed reader has no field limit; the value is cut short
    smi.write_text("timestamp, index, power.draw [W]\n" + SECRET * 20_000 + ", 0, 300 W\n")
    with pytest.raises(EnergyLogError) as error:
        read_energy_log(smi, format="nvidia-smi")
    assert "'timestamp' line 2" in _one_line(error, smi) and "300,000 characters" in str(error.value)


def test_deeply_nested_json_is_refused_without_recursion(tmp_path):
    for depth in (40, 200_000):  # beyond MAX_JSON_DEPTH, and beyond Python's recursion limit
        path = tmp_path / f"report{depth}.json"
        path.write_text('{"measures": ' + "[" * depth + "]" * depth + "}")
        with pytest.raises(EnergyLogError) as error:
            read_energy_log(path, format="boamps")
        assert "nested" in _one_line(error, path)


def test_undecodable_bytes_and_bad_json_name_the_file(tmp_path):
    for name, fmt in (("emissions.csv", "codecarbon"), ("smi.csv", "nvidia-smi"), ("z.json", "zeus")):
        path = tmp_path / name
        path.write_bytes(b"duration,energy_consumed\n10,\xff\xfe" + SECRET.encode() + b"\n")
        with pytest.raises(EnergyLogError) as error:
            read_energy_log(path, format=fmt)
        assert "not UTF-8" in _one_line(error, path)
    path = tmp_path / "bad.json"
    path.write_text('{"stages": [' + json.dumps(SECRET) + ",]}")
    with pytest.raises(EnergyLogError) as error:
        read_energy_log(path, format="distillation-harness")
    assert "not valid JSON" in _one_line(error, path) and "line 1 column" in str(error.value)


def test_huge_values_are_refused_not_overflowed(tmp_path):
    nvml = tmp_path / "nvml.csv"
    nvml.write_text("timestamp_s,gpu_index,power_w\n1714564800,0,1e308\n1714564801,0,1e308\n")
    with pytest.raises(EnergyLogError) as error:
        read_energy_log(nvml, format="nvml")
    assert "overflows" in _one_line(error, nvml)
    runs = tmp_path / "emissions.csv"
    runs.write_text("run_id,duration,energy_consumed\na,10,1e300\n")
    with pytest.raises(EnergyLogError) as error:
        read_energy_log(runs, format="codecarbon")  # finite, but beyond any job
    assert "it_energy_kwh = 1e+300 kWh is more than 3e+15 kWh" in _one_line(error, runs)
    runs.write_text("run_id,duration,energy_consumed\na,10,1e308\nb,10,1e308\n")  # the sum overflows
    with pytest.raises(EnergyLogError) as error:
        read_energy_log(runs, format="codecarbon")
    assert "it_energy_kwh must be a finite number >= 0, got inf" in _one_line(error, runs)
    digits = tmp_path / "digits.csv"
    digits.write_text("timestamp_s,gpu_index,power_w\n1714564800," + "9" * 5000 + ",300\n1714564801,0,300\n")
    with pytest.raises(EnergyLogError) as error:
        read_energy_log(digits, format="nvml")
    assert "'gpu_index' line 2" in _one_line(error, digits) and "5,000 characters" in str(error.value)


_MEMORY_PROBE = textwrap.dedent("""
    import resource, sys
    import pandas as pd
    from bw_mllca.inventory.energy_logs import power_series, read_energy_log

    def write(path, seconds, gpus=8):
        stamps = pd.date_range("2024-05-01", periods=seconds + 1, freq="s").strftime("%Y/%m/%d %H:%M:%S.000")
        pd.DataFrame({"timestamp": stamps.repeat(gpus), " index": list(range(gpus)) * (seconds + 1),
                      " power.draw [W]": " 250.00 W"}).to_csv(path, index=False)

    chunks = []
    original = power_series._chunks
    def counting(*args):  # counts the blocks the reader parses, passing them on unchanged
        for chunk in original(*args):
            chunks.append(len(chunk))
            yield chunk
    power_series._chunks = counting
    small, large = sys.argv[1], sys.argv[2]
    write(small, 25_000)
    write(large, 50_000)
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    first = read_energy_log(small, format="nvidia-smi")  # pays for the chunk buffers, once
    after_small = peak()
    second = read_energy_log(large, format="nvidia-smi")
    print(first.it_energy_kwh, second.it_energy_kwh, peak() - after_small, len(chunks), max(chunks))
""")


def test_a_large_power_log_is_read_in_chunks_with_memory_a_fraction_of_its_size(tmp_path):
    # Two logs of 8 GPUs at 1 Hz, 200,008 and 400,008 lines (7 and 14 MB). Read whole as rows of
    # text a log takes several times its size; streamed, the extra memory the larger log needs
    # over the smaller one is its extra samples (20 bytes each), under its extra size in bytes.
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(small), str(large)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-1000:]
    small_kwh, large_kwh, extra_bytes, chunks, largest = out.stdout.split()
    assert float(small_kwh) == pytest.approx(8 * 250 * 25_000 / 3.6e6, rel=1e-12)
    assert float(large_kwh) == pytest.approx(8 * 250 * 50_000 / 3.6e6, rel=1e-12)
    assert int(chunks) >= 12 and int(largest) <= 50_000  # parsed 50,000 rows at a time
    extra_size = large.stat().st_size - small.stat().st_size
    assert int(extra_bytes) < 0.9 * extra_size, (int(extra_bytes), extra_size)


def _study(tmp_path: Path, log: str, **study_info) -> Path:
    data = minimal_study("logs from folders", study={"name": "logs from folders", **study_info}, stages=[
        {"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
         "energy": {"log": log, "format": "nvml"}},
    ])
    path = tmp_path / "study" / "study.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(tomli_w.dumps(data))
    return path


def _nvml_log(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("timestamp_s,gpu_index,power_w\n" + "".join(f"{1714564800 + t},0,300\n" for t in range(3601)))
    return path


def test_energy_logs_outside_the_study_folder_need_an_allowed_folder(tmp_path):
    outside = _nvml_log(tmp_path / "elsewhere" / "run.csv")
    for log in (str(outside), "../elsewhere/run.csv"):
        with pytest.raises(StudyError, match=r"stages.0.energy.log = .*: is outside the study's folder"):
            Study.from_file(_study(tmp_path, log))
    link = tmp_path / "study" / "link.csv"  # a link inside the folder to a file outside it
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(outside)
    with pytest.raises(StudyError, match=r"stages.0.energy.log = 'link.csv': is outside"):
        Study.from_file(_study(tmp_path, "link.csv"))
    assert Study.from_file(_study(tmp_path, str(outside)), log_folders=[tmp_path / "elsewhere"]).stages[0].energy.log
    allowed = Study.from_file(_study(tmp_path, "../elsewhere/run.csv", log_folders=["../elsewhere"]))
    assert allowed.allowed_log_folders == (tmp_path / "study" / "../elsewhere",)
    _nvml_log(tmp_path / "study" / "runs" / "run.csv")
    assert Study.from_file(_study(tmp_path, "runs/run.csv")).stages[0].energy.log == "runs/run.csv"


def test_tz_field_is_checked_in_the_study(tmp_path):
    path = _study(tmp_path, "run.csv")
    _nvml_log(tmp_path / "study" / "run.csv")
    data = tomllib.loads(path.read_text())
    data["stages"][0]["energy"]["tz"] = "Mars/Olympus"
    path.write_text(tomli_w.dumps(data))
    with pytest.raises(StudyError) as error:
        Study.from_file(path)
    assert "stages.0.energy.tz = 'Mars/Olympus': applies to nvidia-smi logs" in str(error.value)
    assert "stages.0.energy.tz = 'Mars/Olympus': not an IANA time zone" in str(error.value)
