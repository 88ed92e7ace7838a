"""The bw-mllca command, run as a user runs it (a subprocess), in a temporary Brightway directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import json

import openpyxl
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


@pytest.mark.parametrize("command", [[], ["setup"], ["run"], ["compare"], ["export"], ["sweep"]])
def test_help(command):
    result = subprocess.run([*BW_MLLCA, *command, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "usage: bw-mllca" in result.stdout


def test_run_olmo_example_writes_tidy_lcia_csv(tmp_path):
    result = _run(["run", str(examples_dir() / "olmo2-7b.toml"), "--out", str(tmp_path / "out"), "--plots"], tmp_path)
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

    out = tmp_path / "out"
    for name in ("results.xlsx", "model_card.md", "model_card.json", "stages.png", "stages.svg",
                 "amortization.png", "amortization.svg", "tornado.png", "tornado.svg"):
        assert (out / name).stat().st_size > 0, name
    workbook = openpyxl.load_workbook(out / "results.xlsx")
    assert {"Goal and scope", "Inventory", "LCIA by stage", "Significant issues", "Sensitivity", "Completeness",
            "Data sources"} <= set(workbook.sheetnames)
    lcia = workbook["LCIA by stage"]
    assert lcia.freeze_panes == "A2"
    header = [c.value for c in lcia[1]]
    gwp_column = next(i for i, h in enumerate(header) if h.startswith("climate change (kg CO2-Eq"))
    values = [row[gwp_column].value for row in lcia.iter_rows(min_row=2)]
    assert all(isinstance(v, float) for v in values)  # numbers as numbers, unit in the header
    views = [row[0].value for row in lcia.iter_rows(min_row=2)]
    attributional = sum(v for v, view in zip(values, views) if view == "attributional")
    assert attributional == pytest.approx(total, rel=1e-9)
    card = json.loads((out / "model_card.json").read_text())
    assert card["per_fu"]["total_attributional"] == pytest.approx(total, rel=1e-9)
    assert card["lifetime_use_assumption"]["lifetime_queries"] > 0
    assert card["uncertainty_per_fu"]["p5"] < total < card["uncertainty_per_fu"]["p95"]


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


def test_sweep_lifetime_queries_follows_the_amortization_law(tmp_path):
    study = examples_dir() / "olmo2-7b.toml"
    _run(["sweep", str(study), "--parameter", "lifetime_queries", "--range", "1e9", "1e11", "--points", "3", "--log",
          "--out", str(tmp_path / "sweep.csv")], tmp_path)
    table = pd.read_csv(tmp_path / "sweep.csv")
    gwp_rows = table[(table.view == "attributional") & table.method.str.contains("GWP100")].sort_values("parameter_value")
    lifetime, gwp = gwp_rows.parameter_value.to_numpy(), gwp_rows.score.to_numpy()
    assert lifetime.tolist() == pytest.approx([1e9, 1e10, 1e11])
    # score(L) = use + development x L0 / L: two points fix use and development, the third must agree.
    development_l0 = (gwp[0] - gwp[2]) / (1 / lifetime[0] - 1 / lifetime[2])
    use = gwp[2] - development_l0 / lifetime[2]
    assert gwp[1] == pytest.approx(use + development_l0 / lifetime[1], rel=1e-5)


def test_compare_two_examples_and_refuse_a_different_functional_unit(tmp_path):
    a, b = examples_dir() / "distilled-student.toml", examples_dir() / "from-scratch-small.toml"
    _run(["compare", str(a), str(b), "--out", str(tmp_path / "cmp")], tmp_path)
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    gwp = table[table.method.str.contains("GWP100")].iloc[0]
    assert gwp["B - A"] == pytest.approx(gwp["score B"] - gwp["score A"], rel=1e-12)
    assert 0.0 <= gwp["P(A < B)"] <= 1.0
    assert (tmp_path / "cmp" / "comparison.png").exists() and (tmp_path / "cmp" / "comparison.xlsx").exists()

    refused = _run(["compare", str(a), str(examples_dir() / "olmo2-7b.toml"), "--out", str(tmp_path / "no")],
                   tmp_path, check=False)
    assert refused.returncode == 2
    # decided on structured fields: the constraints differ (MMLU against HellaSwag), not only the wording
    assert "goal.functional_unit.constraints" in refused.stderr and "hellaswag" in refused.stderr


def test_export_writes_a_bw2io_workbook(tmp_path):
    _run(["export", str(examples_dir() / "olmo2-7b.toml"), "--out", str(tmp_path / "inventory.xlsx")], tmp_path)
    sheet = openpyxl.load_workbook(tmp_path / "inventory.xlsx").active
    first = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert first[:2] == ["Database", "mllca study: OLMo 2 7B chat assistant"]


def test_run_without_monte_carlo_or_plots_and_a_second_run_skips_setup(tmp_path):
    """--iterations 0 and no --plots: the results are written, no plot; a second run (with the
    old --no-plots, now a no-op) finds the set-up stamp and writes the same lcia.csv."""
    study = str(examples_dir() / "olmo2-7b.toml")
    _run(["run", study, "--out", str(tmp_path / "a"), "--iterations", "0"], tmp_path)
    assert (tmp_path / "a" / "lcia.csv").stat().st_size > 0 and (tmp_path / "a" / "results.xlsx").exists()
    assert not list((tmp_path / "a").glob("*.png"))
    assert list((tmp_path / "bw").rglob("bw_mllca_setup.json"))
    _run(["run", study, "--out", str(tmp_path / "b"), "--iterations", "0", "--no-plots"], tmp_path)
    keys = ["view", "method", "stage", "component"]
    first, second = (pd.read_csv(tmp_path / name / "lcia.csv").sort_values(keys).reset_index(drop=True)
                     for name in ("a", "b"))
    pd.testing.assert_frame_equal(first, second)
    assert not list((tmp_path / "b").glob("*.png"))
    refused = _run(["run", study, "--out", str(tmp_path / "c"), "--iterations", "-1"], tmp_path, check=False)
    assert refused.returncode == 2 and "--iterations = -1" in refused.stderr
    both = _run(["run", study, "--out", str(tmp_path / "d"), "--plots", "--no-plots"], tmp_path, check=False)
    assert both.returncode == 2 and "--plots" in both.stderr
