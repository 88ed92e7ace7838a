"""Everything one run writes into its output folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..impact.engine import LinearEngine
from ..impact.provenance import methods_table, with_method_origin
from ..impact.system import StudySystem
from ..interpretation.amortization import amortization_curve, break_even
from ..interpretation.completeness import completeness
from ..interpretation.contribution import dominance_table, significant_issues
from ..interpretation.sensitivity import tornado
from ..interpretation.uncertainty import monte_carlo
from ..scope.linking import linked_activities_table, study_links
from ..scope.study import Study
from ..interpretation.assessed import mark_not_assessed
from ..interpretation.study_warnings import warnings_table
from .files import inside, safe_frame, safe_output_dir
from .model_card import write_model_card
from .steps import NOTE_COLUMNS, RunNotes, tornado_notes
from .workbook import write_results_workbook
from .writing import output_file

GWP_KEY = "GWP100"
TORNADO_COLUMNS = ["parameter", "low_value", "high_value", "method", "unit", "base_score", "low_score", "high_score",
                   "swing", "note"]


@dataclass(frozen=True)
class Interpretation:
    """The interpretation tables of one study (ISO 14044 phase 4), each per functional unit."""

    significant_issues: pd.DataFrame
    dominance: pd.DataFrame
    break_even: pd.DataFrame
    amortization: pd.DataFrame
    tornado: pd.DataFrame
    uncertainty: pd.DataFrame
    completeness: pd.DataFrame
    estimated_share: pd.DataFrame
    notes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NOTE_COLUMNS))  # left out or narrowed, and why


def interpret(study: Study, frame: pd.DataFrame, iterations: int = 10_000, seed: int = 0,
              system: StudySystem | None = None, dask=None) -> Interpretation:
    """All interpretation tables for the attributional view; Monte Carlo seeded with ``seed``
    (``iterations`` 0: none, the uncertainty table is empty; ``dask``: a cluster for its draws).
    ``system``: the study's factorized system if the caller has one (not built twice).
    A step that fails is left out (empty table) with the reason in ``notes``; it never raises."""
    notes = RunNotes()
    view = study.views[0]
    engine = LinearEngine(study, system=system, view=view)
    empty_uncertainty = ["method", "unit", "deterministic", "mean", "sd"]
    done = notes.attempt("completeness", lambda: completeness(study, frame, view=view))
    sensitivity = notes.attempt("sensitivity", lambda: tornado(engine), TORNADO_COLUMNS)
    tornado_notes(notes, sensitivity)
    uncertainty = (notes.attempt("uncertainty", lambda: monte_carlo(engine, iterations=iterations, seed=seed, progress=None,
                                                                    dask=dask).summary(), empty_uncertainty)
                   if iterations > 0 else pd.DataFrame(columns=empty_uncertainty))
    if study.use is not None:
        lifetime = study.use.total_queries
        sweep = np.logspace(np.log10(lifetime) - 2, np.log10(lifetime) + 2, 81)
        even = notes.attempt("break-even", lambda: break_even(frame, study), ["method", "break_even_queries"])
        amortization = notes.attempt("amortization", lambda: amortization_curve(frame, sweep, study), ["method", "unit"])
    else:  # one trained model: nothing to amortize over
        even = amortization = pd.DataFrame()
    return Interpretation(
        significant_issues=notes.attempt("significant issues", lambda: significant_issues(frame, view)),
        dominance=notes.attempt("dominant stages", lambda: dominance_table(frame, view)),
        break_even=even,
        amortization=amortization,
        tornado=sensitivity,
        uncertainty=uncertainty,
        completeness=done.stages if not isinstance(done, pd.DataFrame) else done,
        estimated_share=done.estimated_share if not isinstance(done, pd.DataFrame) else done,
        notes=notes.table(),
    )


def _value(value) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float, np.number)) else str(value)


def _gwp(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["method"].str.contains(GWP_KEY, regex=False)]


def write_run_outputs(study: Study, frame: pd.DataFrame, out: Path, iterations: int = 10_000, seed: int = 0,
                      system: StudySystem | None = None, plots_too: bool = False, dask=None) -> list[Path]:
    """lcia.csv, results.xlsx, model_card.md/.json and, only with ``plots_too``, the plots (PNG and
    SVG) of one study (off by default: matplotlib's import and rendering are most of a run's time)."""
    out = safe_output_dir(out)
    found = interpret(study, frame, iterations, seed, system, dask)
    frame = with_method_origin(frame)  # which method each score used: bw_mllca's or the user's
    written = [inside(out, "lcia.csv")]
    with output_file(written[0]) as path:  # a full disk leaves no truncated file
        safe_frame(mark_not_assessed(frame)).to_csv(path, index=False)  # CSV has no cell types: prefix formula-like text
    sheets = {
        "Significant issues": found.significant_issues,
        "Dominant stages": found.dominance,
        **({"Break-even": found.break_even} if study.use is not None else {}),
        "Sensitivity": found.tornado,
        f"Uncertainty ({iterations} MC)": found.uncertainty,
        "Completeness": found.completeness,
        "Estimated share": found.estimated_share,
        **({"Warnings": warnings} if len(warnings := warnings_table(study)) else {}),
        "LCIA methods": methods_table(frame),
        "Interpretation notes": found.notes,
    }
    if study_links(study):
        sheets["Linked activities"] = linked_activities_table(study)
    with output_file(inside(out, "results.xlsx")) as path:
        written.append(write_results_workbook(path, study, frame, sheets))
    written += write_model_card(study, frame, out, found.uncertainty, notes=RunNotes(list(found.notes.itertuples(index=False, name=None))).lines())
    if not plots_too:
        return written
    from . import plots  # matplotlib: imported only when plots are written

    written += plots.stage_bars(frame, out, view=study.views[0])
    curve = _gwp(found.amortization).rename(columns={"use_per_fu": "inference"})
    point = _gwp(found.break_even)
    if len(curve):
        unit = curve["unit"].iloc[0]
        written += plots.amortization_curve(curve, out, float(point["break_even_queries"].iloc[0]) if len(point) else None, unit)
    swing = _gwp(found.tornado.dropna(subset=["swing"])).rename(columns={"low_score": "score_low", "high_score": "score_high"})
    if len(swing):
        labels = [f"{p} ({_value(lo)} - {_value(hi)})" for p, lo, hi in zip(swing["parameter"], swing["low_value"], swing["high_value"])]
        written += plots.tornado(swing.assign(parameter=labels), out, float(swing["base_score"].iloc[0]), swing["unit"].iloc[0])
    return written
