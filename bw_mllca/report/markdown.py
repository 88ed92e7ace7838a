"""Text from a study (names of models, datacenters, stages) made safe inside Markdown tables."""

from __future__ import annotations


def cell(text: object) -> str:
    """``text`` for a Markdown table cell or line: a '|' would end the cell ("aws | us-east-1"
    splits a row in two) and a line break would end the table, so '|' and '\\' are escaped and
    line breaks become spaces."""
    value = str(text).replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(value.splitlines())
