"""The documentation site builds with MkDocs, warnings as errors, and its generated pages cover the
schema, the command and the data folders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from bw_mllca.cli import _parser
from bw_mllca.scope.study import Study

REPO = Path(__file__).resolve().parents[1]


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Every pydantic model reachable from ``model`` through its fields' annotations."""
    seen[model.__name__] = model
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                if annotation.__name__ not in seen:
                    _models(annotation, seen)
            else:
                stack += list(getattr(annotation, "__args__", ()))
    return seen


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                             str(REPO / "mkdocs.yml"), "--site-dir", str(out)],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_every_page_of_the_navigation_is_built(site):
    for page in ("getting-started", "goal-and-scope", "inventory", "impact-assessment", "interpretation",
                 "study-file", "command-line", "data-sources"):
        assert (site / page / "index.html").stat().st_size > 1000, page


def test_the_study_file_reference_lists_every_field_of_the_schema(site):
    html = (site / "study-file" / "index.html").read_text()
    models = _models(Study, {})
    assert len(models) >= 15
    for name, model in models.items():
        assert f'id="{name.lower()}"' in html, name
        for field in model.model_fields:
            assert f"<code>{field}</code>" in html, f"{name}.{field}"


def test_the_command_line_page_is_the_commands_own_help(site):
    html = (site / "command-line" / "index.html").read_text()
    commands = next(a for a in _parser()._actions if a.dest == "command").choices
    for name in commands:
        assert f"bw-mllca {name}" in html
    assert "--method METHOD" in html and "--version" in html


def test_the_data_sources_page_covers_every_table(site):
    html = (site / "data-sources" / "index.html").read_text()
    tables = [*(REPO / "inventories").glob("*.csv"), *(REPO / "methods").glob("*.csv")]
    assert len(tables) >= 10
    for table in tables:
        assert f"{table.parent.name}/{table.name}" in html, table.name
    assert "Background inventories (public data)" in html  # inventories/README.md is on the page
