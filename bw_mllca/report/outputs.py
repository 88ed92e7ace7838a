"""Everything one run writes into its output folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..scope.study import Study
from . import plots
from .files import inside, safe_output_dir
from .model_card import write_model_card
from .workbook import write_results_workbook


def write_run_outputs(
    study: Study,
    frame: pd.DataFrame,
    out: Path,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
    uncertainty: pd.DataFrame | None = None,
    amortization: tuple[pd.DataFrame, float | None, str] | None = None,
    tornado: tuple[pd.DataFrame, float, str] | None = None,
) -> list[Path]:
    """lcia.csv, results.xlsx, model_card.md/.json and the plots of one study, in ``out``.

    ``amortization``: (curve, break-even lifetime queries, unit); ``tornado``: (table, base, unit).
    """
    out = safe_output_dir(out)
    written = [inside(out, "lcia.csv")]
    frame.to_csv(written[0], index=False)
    sheets = dict(extra_sheets or {})
    if uncertainty is not None:
        sheets.setdefault("Uncertainty", uncertainty)
    written.append(write_results_workbook(inside(out, "results.xlsx"), study, frame, sheets))
    written += write_model_card(study, frame, out, uncertainty)
    written += plots.stage_bars(frame, out)
    if amortization is not None:
        curve, break_even, unit = amortization
        written += plots.amortization_curve(curve, out, break_even, unit)
    if tornado is not None:
        table, base, unit = tornado
        written += plots.tornado(table, out, base, unit)
    return written
