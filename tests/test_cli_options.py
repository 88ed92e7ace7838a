"""The command's options run as a user runs them (a subprocess): --version, --method, the global
options after the command, and the long format of ``sweep``."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import bw_mllca
from bw_mllca.data_files import examples_dir
from bw_mllca.scope.study import Study

BW_MLLCA = [sys.executable, "-m", "bw_mllca.cli"]
OLMO = examples_dir() / "olmo2-7b.toml"
TRACI_GWP = "TRACI v2.1 | climate change | global warming potential (GWP100)"
IPCC_GWP = "IPCC 2021 | climate change | global warming potential (GWP100)"


def _command(args, check=True):
    env = {k: v for k, v in os.environ.items() if k != "BRIGHTWAY2_DIR"}
    result = subprocess.run([*BW_MLLCA, *args], capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_version_is_the_package_version():
    result = _command(["--version"])
    assert result.stdout.strip() == f"bw-mllca {bw_mllca.__version__}"


@pytest.fixture(scope="module")
def chosen_run(tmp_path_factory):
    """One run with two chosen methods, the global options after the command, in a new directory."""
    tmp_path = tmp_path_factory.mktemp("chosen")
    bw_dir, out = tmp_path / "bw", tmp_path / "run"
    # one method as an alias, one as a Python tuple
    run = _command(["run", str(OLMO), "--out", str(out), "--iterations", "0", "--method", "gwp100",
                    "--method", "('IPCC 2021', 'climate change', 'global warming potential (GWP100)')",
                    "--bw-dir", str(bw_dir), "--project", "chosen"])
    return run, bw_dir, out


def test_methods_chosen_after_the_command_and_sweep_in_the_lcia_long_format(chosen_run, tmp_path):
    run, bw_dir, out = chosen_run
    assert "in project 'chosen'" in run.stdout
    assert list(bw_dir.iterdir())  # the project lives in the directory given after the command
    # A cold set-up writes four databases: no Brightway bar or info line reaches the user.
    assert run.stderr == ""
    lcia = pd.read_csv(out / "lcia.csv")
    assert set(lcia.method) == {TRACI_GWP, IPCC_GWP, "inventory | electricity at the meter"}
    totals = lcia.groupby(["view", "method"])["score"].sum()

    lifetime = Study.from_file(OLMO).use.total_queries
    sweep_csv = tmp_path / "sweep.csv"
    _command(["--bw-dir", str(bw_dir), "sweep", str(OLMO), "--parameter", "lifetime_queries", "--range",
              repr(lifetime), repr(2 * lifetime), "--points", "2", "--method", IPCC_GWP, "--method", "gwp100",
              "--project", "chosen", "--out", str(sweep_csv)])
    sweep = pd.read_csv(sweep_csv)
    # lcia.csv's columns, less stage/stage_kind/component and the not-assessed note, plus the parameter and its value.
    lcia_columns = [c for c in lcia.columns if c not in ("stage", "stage_kind", "component", "score", "note")]
    assert list(sweep.columns) == [*lcia_columns, "parameter", "parameter_unit", "parameter_value", "score"]
    assert set(sweep.method) == {TRACI_GWP, IPCC_GWP} and set(sweep.view) == {"attributional", "consumer"}
    assert set(sweep.parameter) == {"lifetime queries"} and set(sweep.parameter_unit) == {"queries"}
    for (view, method), rows in sweep.groupby(["view", "method"]):
        rows = rows.sort_values("parameter_value")
        # At the study's own lifetime the sweep is the run's total (engine vs bw2calc, 1e-9 relative).
        assert rows.score.iloc[0] == pytest.approx(totals[(view, method)], rel=1e-9)
        if view == "consumer":  # no development share: the lifetime does not enter
            assert rows.score.iloc[1] == pytest.approx(rows.score.iloc[0], rel=1e-12)
        else:  # twice the lifetime halves the development share, which is positive
            assert rows.score.iloc[1] < rows.score.iloc[0]


def test_unknown_method_exits_2_naming_the_value(chosen_run, tmp_path):
    bw_dir, out = chosen_run[1], tmp_path / "out"
    result = _command(["--bw-dir", str(bw_dir), "--project", "chosen", "run", str(OLMO), "--out", str(out),
                       "--iterations", "0", "--method", "IPCC 2021 | climate change | GWP 100"], check=False)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("bw-mllca: error:")
    assert "--method = 'IPCC 2021 | climate change | GWP 100'" in lines[0]
    assert not (out / "lcia.csv").exists()
    malformed = _command(["--bw-dir", str(bw_dir), "--project", "chosen", "sweep", str(OLMO), "--parameter", "pue", "--range", "1.1",
                          "1.2", "--method", "('TRACI v2.1', 3)", "--out", str(tmp_path / "s.csv")], check=False)
    assert malformed.returncode == 2 and "--method = \"('TRACI v2.1', 3)\"" in malformed.stderr
    assert not (tmp_path / "s.csv").exists()
