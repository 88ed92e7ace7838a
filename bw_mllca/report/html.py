"""One self-contained HTML report of a run: every table and figure inline, nothing fetched.

The figures are SVG in data URIs, the style sheet is in the page, and there is no script: the
file opens the same in any browser, offline, and can be mailed or archived as one file. Tables
come from pandas (``DataFrame.to_html`` escapes every cell), numbers with four significant digits.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..scope.study import Study
from .cells import split_method_column

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 78em; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-top: 0.6em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
nav ul { columns: 3; font-size: 0.9em; }
.table { overflow-x: auto; max-width: 100%; }
.scroll { max-height: 32em; overflow: auto; }
td { max-width: 36em; overflow-wrap: anywhere; }
pre.card { white-space: pre-wrap; background: #fafafa; border: 1px solid #eee; padding: 0.8em; font-size: 0.85em; }
"""


def figure_data_uri(figure: Figure) -> str:
    """The figure as an SVG data URI (base64)."""
    buffer = io.BytesIO()
    # no bbox_inches="tight" (a second full draw): the figures' constrained layout keeps them inside
    figure.savefig(buffer, format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _number(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return "n/a" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def table_html(table: pd.DataFrame, table_id: str, scroll: bool = False) -> str:
    """A table as HTML (cells escaped, methods as columns, numbers right-aligned)."""
    table = split_method_column(table.reset_index(drop=True))
    formatted = table.apply(lambda column: column.map(_number)) if len(table) else table
    body = formatted.to_html(index=False, escape=True, border=0, table_id=table_id, na_rep="n/a")
    numeric = [i for i, c in enumerate(table.columns, start=1) if pd.api.types.is_numeric_dtype(table[c])
               and not pd.api.types.is_bool_dtype(table[c])]
    # numbers right-aligned: one rule per numeric column of this table
    style = "".join(f"#{table_id} td:nth-child({i}) {{ text-align: right; font-variant-numeric: tabular-nums; }}"
                    for i in numeric)
    body = (f"<style>{style}</style>" if style else "") + body
    # a wide table scrolls inside its box instead of widening the page
    return f'<div class="table{" scroll" if scroll else ""}">{body}</div>'


def _section(title: str, anchor: str, content: str, note: str = "") -> str:
    note_html = f"<p>{html.escape(note)}</p>" if note else ""
    return f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{note_html}{content}</section>'


def report_html(study: Study, sections: Mapping[str, tuple[pd.DataFrame, str]],
                figures: Mapping[str, Figure], card_markdown: str = "") -> str:
    """The page: a heading with the study, goal and functional unit, then ``sections`` (title ->
    (table, note)) and ``figures`` (stem -> Figure), each in its own section with a contents list."""
    parts, contents = [], []
    for n, (title, (table, note)) in enumerate(sections.items()):
        anchor = f"table-{n}"
        contents.append((anchor, title))
        parts.append(_section(title, anchor, table_html(table, anchor, scroll=len(table) > 25), note))
    if figures:
        items = []
        for stem, figure in figures.items():
            title = figure.axes[0].get_title() if figure.axes else stem
            items.append(f'<figure id="figure-{html.escape(stem)}"><img alt="{html.escape(title)}" '
                         f'src="{figure_data_uri(figure)}"><figcaption>{html.escape(title)}</figcaption></figure>')
        contents.append(("figures", "Figures"))
        parts.append(_section("Figures", "figures", "".join(items)))
    fu = study.goal.functional_unit
    toc = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in contents)
    card = f"<h2>Model card</h2><pre class=\"card\">{html.escape(card_markdown)}</pre>" if card_markdown else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(study.study.name)}: LCA report</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(study.study.name)}: life cycle assessment (ISO 14040/14044)</h1>"
        f"<p>Model: {html.escape(study.model.name)}. Functional unit: <strong>{html.escape(fu.description)}</strong>"
        f" ({html.escape(fu.reference_flow)}). Intended application: {html.escape(study.goal.intended_application)}</p>"
        f"<nav><ul>{toc}</ul></nav>{card}{''.join(parts)}</body></html>\n"
    )


def write_report_html(path: Path, study: Study, sections: Mapping[str, tuple[pd.DataFrame, str]],
                      figures: Mapping[str, Figure], card_markdown: str = "") -> Path:
    path.write_text(report_html(study, sections, figures, card_markdown), encoding="utf-8")
    return path
