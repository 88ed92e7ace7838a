"""Everything one run writes into its output folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..impact.calculate import method_label, system_for
from ..impact.engine import LinearEngine
from ..impact.system import StudySystem
from ..interpretation.amortization import amortization_curve, break_even
from ..interpretation.completeness import completeness
from ..interpretation.contribution import dominance_table, significant_issues
from ..interpretation.embodied_range import embodied_range
from ..interpretation.sensitivity import tornado
from ..interpretation.uncertainty_scope import SCOPE_FULL, uncertainty_scope
from ..scope.study import Study
from .card_categories import category_rows
from .files import inside, safe_frame, safe_output_dir
from .figures import run_figures
from .html import write_report_html
from .model_card import write_model_card
from .report_tables import report_tables
from .workbook import goal_and_scope_table, lcia_table, write_results_workbook


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
    ``system``: the study's factorized system if the caller has one (not built twice)."""
    engine = LinearEngine(study, system=system)
    lifetime = study.use.total_queries
    sweep = np.logspace(np.log10(lifetime) - 2, np.log10(lifetime) + 2, 81)
    done = completeness(study, frame)
    labels = [method_label(m) for m in engine.methods]
    # Two Monte Carlo runs on the same seed: background only, then with the foreground parameters.
    scope = uncertainty_scope(engine, iterations, seed, dask) if iterations > 0 else None
    uncertainty = (scope.summary if scope is not None
                   else pd.DataFrame(columns=["scope", "method", "unit", "deterministic", "mean", "sd"]))
    return Interpretation(
        significant_issues=significant_issues(frame),
        dominance=dominance_table(frame),
        break_even=break_even(frame, study),
        amortization=amortization_curve(frame, sweep, study),
        tornado=pd.concat([tornado(engine), embodied_range(frame[frame["method"].isin(labels)], study)], ignore_index=True),
        uncertainty=uncertainty,
        completeness=done.stages,
        estimated_share=done.estimated_share,
        uncertainty_statement=scope.statement if scope is not None else pd.DataFrame(),
    )


def write_run_outputs(study: Study, frame: pd.DataFrame, out: Path, iterations: int = 10_000, seed: int = 0,
                      system: StudySystem | None = None, plots_too: bool = False, dask=None) -> list[Path]:
    """lcia.csv, results.xlsx, model_card.md/.json, report.html (every table and figure inline)
    and, only with ``plots_too``, the figures as PNG and SVG files too."""
    out = safe_output_dir(out)
    system = system or system_for(study)
    found = interpret(study, frame, iterations, seed, system, dask)
    tables = report_tables(study, system, found.estimated_share)
    written = [inside(out, "lcia.csv")]
    safe_frame(frame).to_csv(written[0], index=False)  # CSV has no cell types: prefix formula-like text
    sheets = {
        "Significant issues": found.significant_issues,
        "Dominant stages": found.dominance,
        "Break-even": found.break_even,
        "Sensitivity": found.tornado,
        f"Uncertainty ({iterations} MC)": found.uncertainty,
        "Uncertainty statement": found.uncertainty_statement,
        "Completeness": found.completeness,
        "Estimated share": found.estimated_share,
        **tables.sheets(),
    }
    written.append(write_results_workbook(inside(out, "results.xlsx"), study, frame, sheets))
    written += write_model_card(study, frame, out, found.uncertainty)  # quotes the full interval
    figures = run_figures(frame, found)
    card = inside(out, "model_card.md").read_text(encoding="utf-8")
    per_category = pd.DataFrame(category_rows(frame, found.uncertainty))
    html_sections = {"Goal and scope": (goal_and_scope_table(study), ""),
                     "LCIA results per FU (every category, both views)": (per_category, ""),
                     "LCIA by stage": (lcia_table(frame), "")}
    html_sections.update({title: (table, "") for title, table in sheets.items()})
    written.append(write_report_html(inside(out, "report.html"), study, html_sections, figures, card))
    if plots_too:
        from .plots import save_figure

        for stem, figure in figures.items():
            written += save_figure(figure, out, stem)
    return written
