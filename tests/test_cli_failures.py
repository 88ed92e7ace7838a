"""The command when things go wrong around it: a Brightway directory that is a file or read-only,
Ctrl-C, a full disk; and a user's method under a TRACI name named in every output. Each case runs
the real command in a subprocess; a set-up project comes from copying the session's template."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from bw_mllca.impact.calculate import method_label
from bw_mllca.impact.methods import TRACI, TRACI_GWP100
from conftest import SETUP_PROJECT
from studies import minimal_study

BW_MLLCA = [sys.executable, "-m", "bw_mllca.cli"]
GWP = method_label(TRACI_GWP100)
DATACENTER = "aws | us-east-1"  # a '|' would split a Markdown table row
USER_FACTOR = 10.0


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "BRIGHTWAY2_DIR"}


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*BW_MLLCA, *args], capture_output=True, text=True, env=_env(), timeout=timeout)


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    return lines[0]


def _in_mount_namespace(script: str) -> subprocess.CompletedProcess:
    """Run a shell script as root of a new user and mount namespace (mounts vanish with it)."""
    if shutil.which("unshare") is None:
        pytest.skip("needs util-linux unshare for a private mount (read-only or full file system)")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("this machine allows no user namespaces (unshare -rm)")
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=_env(), timeout=300)


def _study_file(folder: Path) -> Path:
    data = minimal_study("cli failures")
    data["datacenters"] = {DATACENTER: data["datacenters"]["dc"]}
    for part in (data["stages"][0], data["use"]):
        part["datacenter"] = DATACENTER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.toml"
    path.write_text(tomli_w.dumps(data))
    return path


_USER_METHOD = f"""
import bw2data as bd
bd.projects.set_current({SETUP_PROJECT!r})
name = {TRACI_GWP100!r}
factors = [(flow, amount * {USER_FACTOR!r}) for flow, amount in bd.Method(name).load()]
unit = bd.methods[name]["unit"]
bd.Method(name).deregister()
method = bd.Method(name)
method.register(unit=unit, description="in-house GWP, scaled")
method.write(factors)
"""


@pytest.fixture(scope="module")
def user_method_bw_dir(setup_report, bw_dir, tmp_path_factory) -> Path:
    """A copy of the set-up template whose TRACI GWP100 method is the user's (ten times ours)."""
    copy = tmp_path_factory.mktemp("user-method") / "bw"
    shutil.copytree(bw_dir, copy)
    result = subprocess.run([sys.executable, "-c", _USER_METHOD], capture_output=True, text=True, timeout=120,
                            env={**_env(), "BRIGHTWAY2_DIR": str(copy)})
    assert result.returncode == 0, result.stderr[-2000:]
    return copy


def test_a_user_method_under_a_traci_name_is_named_in_every_output(project, user_method_bw_dir, tmp_path):
    from bw_mllca import Study, build, calculate

    study_file = _study_file(tmp_path / "study")
    expected = calculate(_built(Study.from_file(study_file), build))  # bw_mllca's own TRACI, in the template
    out = tmp_path / "out"
    result = _cli("--bw-dir", str(user_method_bw_dir), "--project", SETUP_PROJECT, "run", str(study_file),
                  "--out", str(out), "--iterations", "0")
    assert result.returncode == 0, result.stderr[-2000:]  # (a matching set-up stamp may print no conflict at all)

    lcia = pd.read_csv(out / "lcia.csv")
    origin = lcia.groupby("method")["method_origin"].unique()
    assert list(origin[GWP]) == ["user method (not written by bw_mllca): in-house GWP, scaled"]
    for other in TRACI[:1] + TRACI[2:]:
        assert list(origin[method_label(other)]) == ["bw_mllca, from bw2io lcia_39_ecoinvent.zip (ecoinvent 3.9 LCIA implementation)"]
    # the user's factors are ours x 10: its scores are 10 x ours (float32 factors), the rest equal
    scores = lcia.groupby(["view", "method"])["score"].sum()
    ours = expected.groupby(["view", "method"])["score"].sum()
    for (view, method), score in scores.items():
        factor = USER_FACTOR if method == GWP else 1.0
        assert score == pytest.approx(factor * ours[(view, method)], rel=1e-6, abs=1e-300), (view, method)

    sheet = pd.read_excel(out / "results.xlsx", sheet_name="LCIA methods")
    labels = sheet["method family"] + " | " + sheet["category"] + " | " + sheet["indicator"]
    rows = dict(zip(labels, sheet["method_origin"]))
    assert rows[GWP].startswith("user method") and rows[method_label(TRACI[0])].startswith("bw_mllca, from bw2io")

    card = (out / "model_card.md").read_text()
    assert f"Method: {GWP.replace('|', chr(92) + '|')} (user method (not written by bw_mllca): in-house GWP, scaled)" in card
    assert "**Note:** the project's method of this name is a user method" in card
    json_card = pd.read_json(out / "model_card.json", typ="series")
    assert json_card["lcia_method"] == GWP and json_card["lcia_method_origin"].startswith("user method")


def _built(study, build):
    build(study)
    return study


def test_a_datacenter_name_with_a_bar_keeps_the_model_card_table_whole(project, tmp_path):
    from bw_mllca import Study, build, calculate
    from bw_mllca.report.model_card import write_model_card

    study = _built(Study.from_file(_study_file(tmp_path / "study")), build)
    frame = calculate(study)
    write_model_card(study, frame, tmp_path)
    lines = (tmp_path / "model_card.md").read_text().splitlines()
    header = lines.index("| datacenter | region | PUE | WUE (L/kWh) |")
    row = lines[header + 2]
    # a GFM table row splits on unescaped '|' only: four cells, the name in the first one
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
    assert cells == ["aws \\| us-east-1", "user-given grid", "1.25", "0.5"]


def test_bw_dir_naming_a_file_is_one_line(tmp_path):
    file = tmp_path / "not-a-folder"
    file.write_text("x")
    result = _cli("--bw-dir", str(file), "setup")
    assert result.returncode == 2
    assert _one_error_line(result) == f"bw-mllca: error: --bw-dir = '{file}' is a file, not a folder"


def test_read_only_bw_dir_is_one_line_and_untouched(tmp_path):
    folder = tmp_path / "bw"
    folder.mkdir()
    (folder / "keep.txt").write_text("the user's")
    command = " ".join([*BW_MLLCA, "--bw-dir", str(folder), "setup"])
    result = _in_mount_namespace(
        f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && {command}")
    assert result.returncode == 2, result.stderr[-2000:]
    assert _one_error_line(result) == f"bw-mllca: error: --bw-dir = '{folder}' is read-only; Brightway writes its projects there"
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]


def test_ctrl_c_exits_130_with_one_line(tmp_path):
    # A real SIGINT, sent by the process to itself at a named step of the build (the kill-point
    # harness), so the interrupt lands mid-run whatever the machine's load.
    bw = tmp_path / "bw"
    env = {**_env(), "BW_MLLCA_KILL_AT": "build:rows-written:SIGINT"}
    result = subprocess.run([*BW_MLLCA, "--bw-dir", str(bw), "run", str(_study_file(tmp_path / "s")),
                             "--out", str(tmp_path / "out"), "--iterations", "0"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 130, result.stderr[-2000:]
    assert [line for line in result.stderr.splitlines() if line.strip()] == ["bw-mllca: interrupted"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # no partial results


def test_full_disk_names_the_file_and_leaves_no_truncated_output(project, user_method_bw_dir, tmp_path):
    disk = tmp_path / "small-disk"
    disk.mkdir()
    out = disk / "run"  # the outputs are staged beside it, on the same small file system
    study = _study_file(tmp_path / "study")
    command = " ".join([*BW_MLLCA, "--bw-dir", str(user_method_bw_dir), "--project", SETUP_PROJECT, "run", str(study),
                        "--out", str(out), "--iterations", "0"])
    # a 16 KiB file system: lcia.csv (about 40 KB) cannot be written whole
    result = _in_mount_namespace(f"mount -t tmpfs -o size=16k tmpfs {disk} && {command}; echo rc=$?; ls -A {disk}; echo ---; ls -A {out}")
    assert "rc=2" in result.stdout, result.stderr[-2000:]
    error = [line for line in result.stderr.splitlines() if line.startswith("bw-mllca:")]
    assert error == [f"bw-mllca: error: {out / 'lcia.csv'}: No space left on device; the partial file was removed "
                     "(the disk or quota is full)"], result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    # nothing left but the empty output folder: no partial file, no staging folder
    assert result.stdout.split("rc=2")[1].split() == ["run", "---"]
