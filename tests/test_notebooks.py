"""The notebooks run top to bottom (nbclient), so they never rot; they are saved with their
outputs, and those outputs are what a fresh run prints."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
sys.path.insert(0, str(NOTEBOOK_DIR))
from execute import execute  # noqa: E402  (the script that saves the notebooks' outputs)

REFRESH = "python notebooks/execute.py saves fresh outputs"


def _code(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _results(cell) -> list[str]:
    """The tables and values a cell shows (its execute_result), as plain text."""
    return [output["data"]["text/plain"] for output in cell.get("outputs", []) if output["output_type"] == "execute_result"]


def _printed(cell) -> str:
    return "".join(output["text"] for output in cell.get("outputs", []) if output.get("name") == "stdout")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_quietly_and_matches_its_saved_outputs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # The kernel gets Brightway's default console logging, whatever an earlier in-process command
    # set in this process (the command switches Brightway to plain logging, which prints elsewhere).
    monkeypatch.delenv("BRIGHTWAY_NO_STRUCTLOG", raising=False)
    saved = nbformat.read(path, as_version=4)
    fresh = execute(path, tmp_path)
    outputs = [o for cell in _code(fresh) for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert [o["text"] for o in outputs if o.get("name") == "stderr"] == []  # no bars, warnings or notices
    assert (tmp_path / "brightway").is_dir()  # its own Brightway directory, not the user's

    # Saved as run top to bottom, with no error or stderr output, and still what a fresh run shows
    # (the first cell prints the set-up time and the temporary folder, so only later cells compare).
    cells = _code(saved)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1)), REFRESH
    assert not [o for cell in cells for o in cell.outputs if o.get("name") == "stderr" or o["output_type"] == "error"]
    for number, (old, new) in enumerate(zip(cells[1:], _code(fresh)[1:]), start=2):
        assert _results(old) == _results(new), f"{path.name} cell {number}: saved output is stale; {REFRESH}"
        assert _printed(old) == _printed(new), f"{path.name} cell {number}: saved output is stale; {REFRESH}"
