"""How the package behaves among other libraries: one version, typed, quiet, no backend switched."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
from tqdm import tqdm

import bw_mllca
from bw_mllca.brightway_feedback import brightway_output_logged
from bw_mllca.errors import UnknownMethod
from bw_mllca.impact.method_choice import choose_methods
from bw_mllca.impact.methods import TRACI, TRACI_GWP100

from studies import minimal_study

REPO = Path(__file__).resolve().parents[1]
LIBRARY = sorted((REPO / "bw_mllca").rglob("*.py"))


def test_the_version_is_written_once():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    source = REPO / project["tool"]["hatch"]["version"]["path"]
    assert source == REPO / "bw_mllca" / "__init__.py"
    assert f'__version__ = "{bw_mllca.__version__}"' in source.read_text()
    assert (REPO / "bw_mllca" / "py.typed").exists()
    assert "BSD 3-Clause" in (REPO / "LICENSE").read_text() and "BSD-3-Clause" in project["project"]["license"]["text"]


def _calls(path: Path, match) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [f"{path.relative_to(REPO)}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and match(node.func)]


def test_the_library_logs_and_never_prints_or_switches_the_plot_backend():
    """Only the command (cli.py) writes to the console; nothing calls matplotlib.use."""
    prints = [hit for path in LIBRARY if path.name != "cli.py"
              for hit in _calls(path, lambda f: isinstance(f, ast.Name) and f.id == "print")]
    assert prints == []
    def switches_backend(f: ast.expr) -> bool:  # matplotlib.use(...), mpl.use(...), plt.switch_backend(...)
        return isinstance(f, ast.Attribute) and (f.attr == "switch_backend" or (
            f.attr == "use" and isinstance(f.value, ast.Name) and f.value.id in ("matplotlib", "mpl")))

    switches = [hit for path in LIBRARY for hit in _calls(path, switches_backend)]
    assert switches == []


def test_plotting_keeps_the_callers_backend(tmp_path):
    """A notebook's inline backend survives importing and using the plots (here: the pdf backend)."""
    script = (
        "import matplotlib, pandas as pd\n"
        "from bw_mllca.report import plots\n"
        f"paths = plots.comparison_bars(pd.DataFrame({{'system': ['a', 'b'], 'score': [1.0, 2.0]}}), {str(tmp_path)!r})\n"
        "print(matplotlib.get_backend(), len(paths))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={"MPLBACKEND": "pdf", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pdf", "2"]


def test_brightway_output_goes_to_the_log(capfd, caplog):
    """Printed lines become log records, tqdm bars are dropped, warnings reach the caller."""
    caplog.set_level(logging.INFO, logger="bw_mllca.brightway")
    with pytest.warns(UserWarning, match="still a warning"):
        with brightway_output_logged():
            print("Created database: example")
            sum(tqdm(range(50), desc="Writing activities"))
            warnings.warn("still a warning")
    captured = capfd.readouterr()
    assert captured.out == "" and "it/s" not in captured.err and "Writing activities" not in captured.err
    assert [r.getMessage() for r in caplog.records if r.name == "bw_mllca.brightway"] == ["Created database: example"]


def test_a_build_is_quiet_unless_brightway_output_is_asked_for(project, capfd):
    import bw2data as bd

    study = bw_mllca.Study.from_dict(minimal_study("manners quiet build"))
    try:
        bw_mllca.build(study)
        quiet = capfd.readouterr()
        assert quiet.out == "" and "it/s" not in quiet.err  # bw2data's bar of the write is gone
        loud = logging.getLogger("bw_mllca.brightway")
        loud.setLevel(logging.DEBUG)
        try:
            bw_mllca.build(bw_mllca.Study.from_dict(minimal_study("manners quiet build", use={"energy_kwh_per_batch": 0.0006})))
        finally:
            loud.setLevel(logging.NOTSET)
        assert "it/s" in capfd.readouterr().err  # the same write, with Brightway's own bar
    finally:
        if study.database_name in bd.databases:
            del bd.databases[study.database_name]


def test_methods_by_alias_family_and_name(project):
    import bw2data as bd

    label = " | ".join(TRACI_GWP100)
    assert choose_methods(["gwp100"]) == choose_methods([label]) == choose_methods([repr(TRACI_GWP100)]) == [TRACI_GWP100]
    # a family stands for all its registered methods; repeats are dropped, order is kept
    assert choose_methods(["traci", "gwp100"]) == list(TRACI)
    ipcc = choose_methods(["IPCC 2021"])
    assert ipcc and len(ipcc) == sum(1 for m in bd.methods if m[0] == "IPCC 2021")
    with pytest.raises(UnknownMethod, match=r"--method = 'TRACI v2.1 \| climate change'"):
        choose_methods(["TRACI v2.1 | climate change"])
    with pytest.raises(UnknownMethod, match="methods = 'nope'"):
        choose_methods(["nope"], field="methods")
