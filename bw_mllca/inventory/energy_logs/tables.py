"""Small helpers shared by the readers: open a log, read a delimited table or a JSON document,
and turn cells into numbers with errors that name the file, column, row and value."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .measurement import EnergyLogError

J_PER_KWH = 3.6e6
S_PER_H = 3600.0


@dataclass(frozen=True)
class Table:
    """A delimited log: stripped header names and rows as dicts keyed by them.

    `line_numbers[i]` is the 1-based line of `rows[i]` in the file, for error messages.
    """

    path: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    line_numbers: tuple[int, ...]

    def require(self, *columns: str) -> None:
        """Raise EnergyLogError naming every column in `columns` the header lacks."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise EnergyLogError(
                f"{self.path}: missing column(s) {', '.join(repr(c) for c in missing)}; "
                f"header has {list(self.columns)}"
            )


def check_file(path: str | Path) -> Path:
    """Return `path` as a Path after checking it is a non-empty file."""
    p = Path(path)
    if not p.is_file():
        raise EnergyLogError(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise EnergyLogError(f"{p}: file is empty")
    return p


def read_table(path: str | Path, delimiter: str = ",") -> Table:
    """Read a delimited text file with a header line; blank lines are skipped."""
    p = check_file(path)
    with p.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        lines = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not lines:
        raise EnergyLogError(f"{p}: file has no header and no rows")
    _, header = lines[0]
    columns = tuple(cell.strip() for cell in header)
    if len(set(columns)) != len(columns):
        raise EnergyLogError(f"{p}: duplicate column names in header {list(columns)}")
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for line_no, cells in lines[1:]:
        if len(cells) != len(columns):
            raise EnergyLogError(
                f"{p}: line {line_no} has {len(cells)} fields, header has {len(columns)}: {cells!r}"
            )
        rows.append({c: v.strip() for c, v in zip(columns, cells)})
        numbers.append(line_no)
    if not rows:
        raise EnergyLogError(f"{p}: header {list(columns)} but no data rows")
    return Table(str(p), columns, tuple(rows), tuple(numbers))


def read_json(path: str | Path) -> Any:
    """Parse a JSON file, raising EnergyLogError with the position of a syntax error."""
    p = check_file(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise EnergyLogError(f"{p}: not valid JSON ({err})") from err


def to_float(value: Any, *, path: str, field: str, where: str = "", allow_negative: bool = False) -> float:
    """Parse `value` as a finite float (>= 0 unless allow_negative), naming field and value on error."""
    location = f"{path}: {field!r}{(' ' + where) if where else ''}"
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise EnergyLogError(f"{location}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EnergyLogError(f"{location}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise EnergyLogError(f"{location}: expected a finite number, got {value!r}")
    if number < 0 and not allow_negative:
        raise EnergyLogError(f"{location}: expected a value >= 0, got {value!r}")
    return number


def optional_float(value: Any, *, path: str, field: str, where: str = "") -> float | None:
    """Like to_float, but None for a missing/blank/NaN cell."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "nan", "none")):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return to_float(value, path=path, field=field, where=where)
