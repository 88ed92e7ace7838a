"""Everything one run writes into its output folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..impact.calculate import method_label, system_for
from ..impact.engine import LinearEngine
from ..impact.provenance import with_method_origin
from ..impact.system import StudySystem
from ..interpretation.amortization import amortization_curve, break_even
from ..interpretation.assessed import mark_not_assessed
from ..interpretation.completeness import completeness
from ..interpretation.contribution import dominance_table, significant_issues
from ..interpretation.embodied_range import embodied_range
from ..interpretation.sensitivity import tornado
from ..interpretation.study_warnings import warnings_table
from ..interpretation.uncertainty_scope import SCOPE_FULL, uncertainty_scope
from ..ecoinvent.report import background_label, background_table
from ..scope.linking import linked_activities_table, study_links
from ..scope.study import Study
from .card_categories import category_rows
from .files import inside, safe_frame, safe_output_dir
from .figures import run_figures
from .html import write_report_html
from .model_card import write_model_card
from .publish import MANIFEST, staged_folder
from .report_tables import ReportTables, report_tables
from .steps import NOTE_COLUMNS, RunNotes, tornado_notes
from .workbook import goal_and_scope_table, lcia_table, write_results_workbook
from .writing import output_file

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TORNADO_COLUMNS = ["parameter", "low_value", "high_value", "method", "unit", "base_score", "low_score", "high_score",
                   "swing", "note"]
UNCERTAINTY_COLUMNS = ["scope", "method", "unit", "deterministic", "mean", "sd"]


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
    uncertainty_statement: pd.DataFrame = field(default_factory=pd.DataFrame)

    def full_interval(self) -> pd.DataFrame:
        """The Monte Carlo summary over background and foreground parameters (the model card's)."""
        if "scope" not in self.uncertainty:
            return self.uncertainty
        return self.uncertainty[self.uncertainty["scope"] == SCOPE_FULL].drop(columns="scope")


def interpret(study: Study, frame: pd.DataFrame, iterations: int = 10_000, seed: int = 0,
              system: StudySystem | None = None, dask=None) -> Interpretation:
    """All interpretation tables for the attributional view; Monte Carlo seeded with ``seed``
    (``iterations`` 0: none, the uncertainty table is empty; ``dask``: a cluster for its draws).
    ``system``: the study's factorized system if the caller has one (not built twice).
    A step that fails is left out (empty table) with the reason in ``notes``; it never raises."""
    notes = RunNotes()
    view = study.views[0]
    engine = LinearEngine(study, system=system, view=view)
    labels = [method_label(m) for m in engine.methods]
    done = notes.attempt("completeness", lambda: completeness(study, frame, view=view))
    sensitivity = notes.attempt("sensitivity", lambda: tornado(engine), TORNADO_COLUMNS)
    tornado_notes(notes, sensitivity)
    embodied = notes.attempt("embodied range", lambda: embodied_range(frame[frame["method"].isin(labels)], study, view),
                             TORNADO_COLUMNS)
    # Two Monte Carlo runs on the same seed: background only, then with the foreground parameters.
    scope = notes.attempt_any("uncertainty", lambda: uncertainty_scope(engine, iterations, seed, dask)) if iterations > 0 else None
    uncertainty = scope.summary if scope is not None else pd.DataFrame(columns=UNCERTAINTY_COLUMNS)
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
        tornado=pd.concat([t for t in (sensitivity, embodied) if len(t)] or [sensitivity], ignore_index=True),
        uncertainty=uncertainty,
        completeness=done.stages if not isinstance(done, pd.DataFrame) else done,
        estimated_share=done.estimated_share if not isinstance(done, pd.DataFrame) else done,
        notes=notes.table(),
        uncertainty_statement=scope.statement if scope is not None else pd.DataFrame(),
    )


def write_run_outputs(study: Study, frame: pd.DataFrame, out: Path, iterations: int = 10_000, seed: int = 0,
                      system: StudySystem | None = None, plots_too: bool = False, dask=None) -> list[Path]:
    """lcia.csv, results.xlsx, model_card.md/.json, report.html (every table and figure inline)
    and, only with ``plots_too``, the figures as PNG and SVG files too."""
    out = safe_output_dir(out)
    system = system or system_for(study)
    found = interpret(study, frame, iterations, seed, system, dask)
    frame = with_method_origin(frame)  # which method each score used: bw_mllca's or the user's
    # The report's own steps, like the interpretation's, never stop the run: left out with a note.
    report_notes = RunNotes(list(found.notes.itertuples(index=False, name=None)))
    tables = report_notes.attempt_any("report tables", lambda: report_tables(study, system, found.estimated_share))
    figures = report_notes.attempt_any("figures", lambda: run_figures(frame, found, view=study.views[0])) or {}
    with staged_folder(out) as stage:  # replaced whole: never new files beside a previous run's
        written = _write_files(study, frame, found, stage, iterations, plots_too, report_notes, tables, figures)
    return [out / path.name for path in written] + [out / MANIFEST]


def _write_files(study: Study, frame: pd.DataFrame, found: Interpretation, out: Path, iterations: int,
                 plots_too: bool, report_notes: RunNotes, tables: ReportTables | None,
                 figures: dict[str, Figure]) -> list[Path]:
    written = [inside(out, "lcia.csv")]
    with output_file(written[0]) as path:  # a full disk leaves no truncated file
        # CSV has no cell types: prefix formula-like text; the last column names the background
        safe_frame(mark_not_assessed(frame).assign(background=background_label(study))).to_csv(path, index=False)
    sheets = {
        "Significant issues": found.significant_issues,
        "Dominant stages": found.dominance,
        **({"Break-even": found.break_even} if study.use is not None else {}),
        "Sensitivity": found.tornado,
        f"Uncertainty ({iterations} MC)": found.uncertainty,
        "Uncertainty statement": found.uncertainty_statement,
        "Completeness": found.completeness,
        "Estimated share": found.estimated_share,
        **({"Warnings": warnings} if len(warnings := warnings_table(study)) else {}),
        "Interpretation notes": report_notes.table(),
        **(tables.sheets() if tables is not None else {}),
    }
    if study_links(study):
        sheets["Linked activities"] = linked_activities_table(study)
    sheets["Background"] = background_table(study)
    with output_file(inside(out, "results.xlsx")) as path:
        written.append(write_results_workbook(path, study, frame, sheets))
    written += write_model_card(study, frame, out, found.uncertainty, notes=report_notes.lines())  # quotes the full interval
    card = inside(out, "model_card.md").read_text(encoding="utf-8")
    per_category = pd.DataFrame(category_rows(frame, found.uncertainty))
    html_sections = {"Goal and scope": (goal_and_scope_table(study), ""),
                     "LCIA results per FU (every category, every view)": (per_category, ""),
                     "LCIA by stage": (lcia_table(frame), "")}
    html_sections.update({title: (table, "") for title, table in sheets.items() if len(table)})  # empty: nothing to show
    with output_file(inside(out, "report.html")) as path:
        written.append(write_report_html(path, study, html_sections, figures, card))
    if plots_too:
        from .plots import save_figure

        for stem, figure in figures.items():
            written += save_figure(figure, out, stem)
    return written
