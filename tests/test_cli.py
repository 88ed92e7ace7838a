"""The bw-mllca command, run as a user runs it (a subprocess), in a temporary Brightway directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bw_mllca.data_files import examples_dir

BW_MLLCA = [sys.executable, "-m", "bw_mllca.cli"]


def _run(args, tmp_path, check=True):
    env = {k: v for k, v in os.environ.items() if k != "BRIGHTWAY2_DIR"}
    result = subprocess.run([*BW_MLLCA, "--bw-dir", str(tmp_path / "bw"), *args], capture_output=True, text=True,
                            env=env, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.mark.parametrize("command", [[], ["setup"], ["run"]])
def test_help(command):
    result = subprocess.run([*BW_MLLCA, *command, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "usage: bw-mllca" in result.stdout


def test_run_olmo_example_writes_tidy_lcia_csv(tmp_path):
    result = _run(["run", str(examples_dir() / "olmo2-7b.toml"), "--out", str(tmp_path / "out")], tmp_path)
    frame = pd.read_csv(tmp_path / "out" / "lcia.csv")
    assert {"view", "method", "category", "unit", "stage", "component", "score"} <= set(frame.columns)
    gwp = frame[(frame.view == "attributional") & frame.method.str.contains("GWP100")]
    stages = set(gwp.stage)
    assert {"inference", "pre-training stage 1"} & stages or len(stages) >= 3
    total = gwp.score.sum()
    assert total > 0
    # The printed total is the sum of the file's rows.
    line = next(l for l in result.stdout.splitlines() if "GWP100" in l)
    assert float(line.split()[-3]) == pytest.approx(total, rel=1e-4)
    assert set(frame[frame.view == "attributional"].method.str.split(" \\| ").str[0]) >= {"TRACI v2.1", "bw_mllca"}


def test_bad_study_exits_nonzero_with_one_line_reason(tmp_path):
    study = tmp_path / "bad.toml"
    study.write_text('[study]\nname = "x"\n[goal.functional_unit]\ndescription = "q"\nqueries = -5\n')
    result = _run(["run", str(study), "--out", str(tmp_path / "out")], tmp_path, check=False)
    assert result.returncode == 2
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("bw-mllca: error:")
    assert "goal.functional_unit.queries" in lines[0] and "-5" in lines[0]
    assert not (tmp_path / "out" / "lcia.csv").exists()


def test_missing_study_file(tmp_path):
    result = _run(["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")], tmp_path, check=False)
    assert result.returncode == 2
    assert "no such study file" in result.stderr
