"""Reading the CSV tables of inventories/: rows as dicts, with the file and line for error messages."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InventoryDataError


@dataclass(frozen=True)
class Row:
    values: dict[str, str]
    where: str  # "electricity_grid.csv line 12"

    def text(self, column: str, required: bool = True) -> str:
        value = (self.values.get(column) or "").strip()
        if required and not value:
            raise InventoryDataError(f"{self.where}: column {column!r} is empty")
        return value

    def number(self, column: str, required: bool = True) -> float | None:
        raw = self.text(column, required=required)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise InventoryDataError(f"{self.where}: {column} = {raw!r} is not a number") from None
        if not math.isfinite(value):
            raise InventoryDataError(f"{self.where}: {column} = {raw!r} is not finite")
        return value


def read_rows(path: Path) -> Iterator[Row]:
    if not path.is_file():
        raise InventoryDataError(f"inventory table {path} is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        for line_no, values in enumerate(csv.DictReader(handle), start=2):
            if not any((v or "").strip() for v in values.values()):
                continue
            yield Row(values={k.strip(): v for k, v in values.items() if k}, where=f"{path.name} line {line_no}")
