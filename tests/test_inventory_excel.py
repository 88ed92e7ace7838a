"""Inventories out in bw2io's Excel format and back into a fresh project give the same scores; a
plain bw2io ExcelImporter links the workbook by itself."""

from __future__ import annotations

import bw2calc as bc
import bw2data as bd
import openpyxl
import pytest

from bw_mllca import Study, build, setup_project
from bw_mllca.data_files import examples_dir
from bw_mllca.impact.methods import TRACI
from bw_mllca.report.inventory_excel import export_inventory, import_inventory, sheet_name
from studies import minimal_study


def _scores(database: str) -> dict:
    fu = next(a for a in bd.Database(database) if a.get("mllca_view") == "attributional")
    lca = bc.LCA({fu: 1}, TRACI[0])
    lca.lci()
    scores = {}
    for method in (*TRACI, ("bw_mllca", "water", "consumptive water use")):
        lca.switch_method(method)
        lca.lcia()
        scores[method] = lca.score
    return scores


@pytest.mark.parametrize("make_study", [
    lambda: Study.from_file(examples_dir() / "olmo2-7b.toml"),
    # User text that looks like a formula, custom grid and embodied flows (biosphere exchanges).
    lambda: Study.from_dict(minimal_study("=HYPERLINK(\"x\") round trip", model={"name": "=cmd|' /C calc'!A0"},
                                          study={"description": "=1+1"},
                                          hardware={"gpu": {"accelerator_embodied": {"co2e_kg": 150.0, "source": "=SUM(A1:A9)"}}},
                                          stages=[{"name": "+pre-training", "kind": "pre-training", "hardware": "gpu",
                                                   "datacenter": "dc", "accelerator_hours": 100, "energy_kwh": 50}])),
], ids=["olmo2-7b", "formula-like-names"])
def test_excel_round_trip_gives_the_same_lcia_scores(project, empty_project, tmp_path, make_study):
    bd.projects.set_current(project)
    study = make_study()
    database = build(study)
    before = _scores(database)
    path = export_inventory(database, tmp_path / "inventory.xlsx")

    # No cell became a formula: every text cell is a string, and the user's names survive as text.
    workbook = openpyxl.load_workbook(path)
    texts = [c.value for ws in workbook for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type != "f" for ws in workbook for row in ws.iter_rows() for c in row)
    assert database in texts
    if database.startswith("mllca study: =HYPERLINK"):
        assert "=1+1" in texts and "=SUM(A1:A9)" in texts
    # The sheet is named for the database, cut at a word (Excel allows 31 characters).
    title = workbook.sheetnames[0]
    assert len(title) <= 31 and database.replace(":", "-").startswith(title)
    assert database.replace(":", "-")[len(title)] == " "
    # Goal and scope travel with the inventory, on a sheet bw2io's importer skips.
    scope = workbook["Goal and scope"]
    assert scope["A1"].value == "skip"
    items = {row[0].value: row[1].value for row in scope.iter_rows(min_row=2)}
    assert items["functional_unit"] == study.goal.functional_unit.description
    assert items["approach"] == "attributional"
    # Every exchange row names its input's database and reference product.
    sheet = workbook[title]
    header = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "name" and "database" in row)
    assert {"database", "reference product", "input"} <= set(header)

    bd.projects.set_current(empty_project)
    setup_project(empty_project)
    from bw2io import ExcelImporter

    plain = ExcelImporter(str(path))  # no match_database: the default strategies link everything
    plain.apply_strategies(verbose=False)
    assert not list(plain.unlinked)
    imported = import_inventory(path)
    assert imported == database
    after = _scores(imported)
    for method, score in before.items():
        assert after[method] == pytest.approx(score, rel=1e-9, abs=1e-30), method
    bd.projects.set_current(project)


@pytest.mark.parametrize("name, expected", [
    ("mllca study: OLMo 2 7B chat assistant", "mllca study- OLMo 2 7B chat"),
    ("short name", "short name"),
    ("a" * 40, "a" * 31),  # one word longer than a sheet name: cut where it must be
    ("study [v2] / run?*", "study -v2- - run--"),
])
def test_sheet_name_is_cut_at_a_word(name, expected):
    assert sheet_name(name) == expected
