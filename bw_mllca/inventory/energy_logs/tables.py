"""Small helpers shared by the readers: open a log, read a delimited table or a JSON document,
and turn cells into numbers with errors that name the file, column, row and value."""

from __future__ import annotations

import csv
import json
import math
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .measurement import EnergyLogError

J_PER_KWH = 3.6e6
S_PER_H = 3600.0

# Logs read whole (tables of runs or jobs, JSON reports) are small: one row per run, job or window.
# A file larger than this is not such a log; power series, which can be gigabytes, are streamed.
MAX_WHOLE_FILE_BYTES = 64 * 2**20
# JSON energy reports nest a few levels; anything deeper is not one (and would exhaust the stack).
MAX_JSON_DEPTH = 32
_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlong = 40
_SHORT.maxlist = _SHORT.maxdict = 6
_SHORT.maxlevel = 2


def short(value: Any) -> str:
    """The repr of ``value`` as an error message may quote it: a short cell as it is, a long one
    by its length only, so that no message carries a line of the file or a huge structure."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else f"<text of {len(value):,} characters>"
    try:
        return _SHORT.repr(value)
    except Exception:  # an int too long for str(), a structure too deep for repr
        return f"<{type(value).__name__}>"


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
                f"header has {short(list(self.columns))}"
            )


def check_file(path: str | Path, max_bytes: int | None = None) -> Path:
    """Return `path` as a Path after checking it is a non-empty file (of at most `max_bytes`)."""
    p = Path(path)
    if not p.is_file():
        raise EnergyLogError(f"{p}: no such file")
    size = p.stat().st_size
    if size == 0:
        raise EnergyLogError(f"{p}: file is empty")
    if max_bytes is not None and size > max_bytes:
        raise EnergyLogError(
            f"{p}: {size / 2**20:,.0f} MiB is too large for this log format (at most {max_bytes / 2**20:,.0f} MiB: "
            "one row per run, job or window); is it the right file?"
        )
    return p


def read_table(path: str | Path, delimiter: str = ",") -> Table:
    """Read a delimited text file with a header line; blank lines are skipped."""
    p = check_file(path, MAX_WHOLE_FILE_BYTES)
    reader = None
    try:
        with p.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            lines = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except UnicodeDecodeError as error:
        raise EnergyLogError(f"{p}: not UTF-8 text (undecodable byte {error.object[error.start:error.start + 1]!r})") from None
    except csv.Error as error:
        line = reader.line_num if reader is not None else "?"
        # e.g. "field larger than field limit (131072)": name the file and line, never quote it
        raise EnergyLogError(f"{p}: line {line}: not a well-formed table ({error})") from None
    if not lines:
        raise EnergyLogError(f"{p}: file has no header and no rows")
    _, header = lines[0]
    columns = tuple(cell.strip() for cell in header)
    if len(set(columns)) != len(columns):
        raise EnergyLogError(f"{p}: duplicate column names in header {short(list(columns))}")
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for line_no, cells in lines[1:]:
        if len(cells) != len(columns):
            raise EnergyLogError(
                f"{p}: line {line_no} has {len(cells)} fields, header has {len(columns)}"
            )
        rows.append({c: v.strip() for c, v in zip(columns, cells)})
        numbers.append(line_no)
    if not rows:
        raise EnergyLogError(f"{p}: header {list(columns)} but no data rows")
    return Table(str(p), columns, tuple(rows), tuple(numbers))


def read_json(path: str | Path) -> Any:
    """Parse a JSON file, raising EnergyLogError with the position of a syntax error."""
    p = check_file(path, MAX_WHOLE_FILE_BYTES)
    try:
        data = json.loads(p.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise EnergyLogError(f"{p}: not UTF-8 text (undecodable byte at offset {error.start})") from None
    except json.JSONDecodeError as err:
        raise EnergyLogError(f"{p}: not valid JSON ({err.msg}: line {err.lineno} column {err.colno})") from None
    except RecursionError:
        raise EnergyLogError(f"{p}: JSON nested too deeply to be an energy report") from None
    _check_depth(p, data)
    return data


def _check_depth(p: Path, data: Any) -> None:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise EnergyLogError(f"{p}: JSON nested more than {MAX_JSON_DEPTH} levels deep: not an energy report")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def to_float(value: Any, *, path: str, field: str, where: str = "", allow_negative: bool = False) -> float:
    """Parse `value` as a finite float (>= 0 unless allow_negative), naming field and value on error."""
    location = f"{path}: {field!r}{(' ' + where) if where else ''}"
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise EnergyLogError(f"{location}: expected a number, got {short(value)}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EnergyLogError(f"{location}: expected a number, got {short(value)}") from None
    except OverflowError:  # an int beyond float range
        raise EnergyLogError(f"{location}: expected a finite number, got {short(value)}") from None
    if not math.isfinite(number):
        raise EnergyLogError(f"{location}: expected a finite number, got {short(value)}")
    if number < 0 and not allow_negative:
        raise EnergyLogError(f"{location}: expected a value >= 0, got {short(value)}")
    return number


def optional_float(value: Any, *, path: str, field: str, where: str = "") -> float | None:
    """Like to_float, but None for a missing/blank/NaN cell."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "nan", "none")):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return to_float(value, path=path, field=field, where=where)
