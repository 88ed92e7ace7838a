"""How a table's values become workbook cells: method tuples as columns, number formats.

A method label 'TRACI v2.1 | climate change | global warming potential (GWP100)' is one string in
the tidy CSV; in a workbook it is three columns (family, category, indicator) a reader can filter.
Scores are small or large numbers of one unit: shown in scientific notation with four significant
digits; shares as percentages; counts and years as integers. The stored value keeps full precision.
"""

from __future__ import annotations

import pandas as pd

SCIENTIFIC = "0.000E+00"
PERCENT = "0.0%"
INTEGER = "0"
SHARE_WORDS = ("share", "relative_swing")
INTEGER_WORDS = ("rank", "year", "iterations", "factors", "inventory flows")


def split_method_column(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its 'method' column ('family | category | indicator') replaced by the
    columns 'method family', 'category' and 'indicator' (kept where the table already has them)."""
    if "method" not in table.columns or not len(table):
        return table
    parts = table["method"].astype(str).str.split(" | ", regex=False)
    position = list(table.columns).index("method")
    out = table.drop(columns="method")
    columns = {"method family": parts.str[0], "category": parts.str[1].fillna(""), "indicator": parts.str[-1]}
    for offset, (name, values) in enumerate(columns.items()):
        if name not in out.columns:
            out.insert(min(position + offset, len(out.columns)), name, values)
    return out


def number_format(column: str, values: pd.Series) -> str | None:
    """The Excel number format for a numeric column (None: leave the default)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None
    name = column.lower()
    if any(word in name for word in SHARE_WORDS):
        return PERCENT
    if any(word in name for word in INTEGER_WORDS) or pd.api.types.is_integer_dtype(values):
        return INTEGER
    return SCIENTIFIC
