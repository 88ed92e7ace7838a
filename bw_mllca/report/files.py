"""Output files: folders and paths that stay where the user said."""

from __future__ import annotations

from pathlib import Path


def safe_output_dir(path: Path) -> Path:
    """Create ``path`` (a folder) and return it resolved; refuse an existing file of that name."""
    path = Path(path).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out = {str(path)!r} exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def inside(folder: Path, name: str) -> Path:
    """``folder/name``, refusing a name that would leave ``folder`` (``../x``, an absolute path)."""
    folder = Path(folder).resolve()
    target = (folder / name).resolve()
    if folder != target and folder not in target.parents:
        raise ValueError(f"output name {name!r} would be written outside {str(folder)!r}")
    return target


# Spreadsheet applications run a cell's text as a formula (or DDE command) when it starts with one
# of these: "=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", or a tab / carriage return before one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def safe_cell(value: object) -> object:
    """``value`` made safe to put in a CSV file or a DataFrame written with ``to_excel``.

    Text that starts with a formula trigger gets a leading apostrophe (the OWASP advice for CSV),
    so a spreadsheet shows it as text instead of running it. Numbers, None and other text are
    returned unchanged. For an openpyxl worksheet use ``write_text_cell``, which keeps the text as
    it is and stores it as a string cell instead.
    """
    if looks_like_formula(value):
        return "'" + value  # type: ignore[operator]
    return value


def safe_frame(frame):
    """A copy of a pandas DataFrame whose text cells (and column names) went through ``safe_cell``."""
    from pandas.api.types import is_numeric_dtype

    out = frame.copy()
    for column in out.columns:
        if not is_numeric_dtype(out[column]):  # object, str, category: wherever text can be
            out[column] = out[column].map(safe_cell)
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def write_text_cell(ws, row: int, column: int, value: object):
    """Write ``value`` to an openpyxl worksheet cell so that user text is never a formula.

    openpyxl turns any str starting with "=" into a formula cell (data_type "f"). Here a str is
    stored as a string cell (data_type "s") with its text unchanged; text that looks like a formula
    also gets Excel's quotePrefix style (shown as text, and kept as text if edited). Characters XML
    cannot hold (control characters other than tab, newline, CR), which would make openpyxl raise,
    are replaced by U+FFFD. Returns the cell.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell.value = text
        cell.data_type = "s"
        if looks_like_formula(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell
