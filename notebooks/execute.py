"""Run the walkthrough notebooks top to bottom and save them with their outputs.

    python notebooks/execute.py            # every notebook here
    python notebooks/execute.py NAME.ipynb

Each runs in a Brightway directory of its own (a temporary folder), never the user's. The test
suite runs them the same way and checks that the saved outputs are still what they print.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path, work: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, executed with ``work`` as its folder and Brightway directory."""
    os.environ["BW_MLLCA_NOTEBOOK_DIR"] = str(work)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    return notebook


def main(names: list[str]) -> None:
    for path in [HERE / name for name in names] or sorted(HERE.glob("*.ipynb")):
        with tempfile.TemporaryDirectory(prefix="bw_mllca_notebook_") as work:
            nbformat.write(execute(path, Path(work)), path)
        print(f"saved {path.name} with its outputs")


if __name__ == "__main__":
    main(sys.argv[1:])
