"""Everything one run writes into its output folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..impact.engine import LinearEngine
from ..impact.system import StudySystem
from ..interpretation.amortization import amortization_curve, break_even
from ..interpretation.completeness import completeness
from ..interpretation.contribution import dominance_table, significant_issues
from ..interpretation.sensitivity import tornado
from ..interpretation.uncertainty import monte_carlo
from ..scope.study import Study
from .files import inside, safe_frame, safe_output_dir
from .model_card import write_model_card
from .publish import MANIFEST, staged_folder
from .workbook import write_results_workbook

GWP_KEY = "GWP100"


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


def interpret(study: Study, frame: pd.DataFrame, iterations: int = 10_000, seed: int = 0,
              system: StudySystem | None = None, dask=None) -> Interpretation:
    """All interpretation tables for the attributional view; Monte Carlo seeded with ``seed``
    (``iterations`` 0: none, the uncertainty table is empty; ``dask``: a cluster for its draws).
    ``system``: the study's factorized system if the caller has one (not built twice)."""
    engine = LinearEngine(study, system=system)
    lifetime = study.use.total_queries
    sweep = np.logspace(np.log10(lifetime) - 2, np.log10(lifetime) + 2, 81)
    done = completeness(study, frame)
    uncertainty = (monte_carlo(engine, iterations=iterations, seed=seed, progress=None, dask=dask).summary()
                   if iterations > 0 else pd.DataFrame(columns=["method", "unit", "deterministic", "mean", "sd"]))
    return Interpretation(
        significant_issues=significant_issues(frame),
        dominance=dominance_table(frame),
        break_even=break_even(frame, study),
        amortization=amortization_curve(frame, sweep, study),
        tornado=tornado(engine),
        uncertainty=uncertainty,
        completeness=done.stages,
        estimated_share=done.estimated_share,
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
    with staged_folder(out) as stage:  # replaced whole: never new files beside a previous run's
        written = _write_files(study, frame, found, stage, iterations, plots_too)
    return [out / path.name for path in written] + [out / MANIFEST]


def _write_files(study: Study, frame: pd.DataFrame, found: Interpretation, out: Path, iterations: int,
                 plots_too: bool) -> list[Path]:
    written = [inside(out, "lcia.csv")]
    safe_frame(frame).to_csv(written[0], index=False)  # CSV has no cell types: prefix formula-like text
    sheets = {
        "Significant issues": found.significant_issues,
        "Dominant stages": found.dominance,
        "Break-even": found.break_even,
        "Sensitivity": found.tornado,
        f"Uncertainty ({iterations} MC)": found.uncertainty,
        "Completeness": found.completeness,
        "Estimated share": found.estimated_share,
    }
    written.append(write_results_workbook(inside(out, "results.xlsx"), study, frame, sheets))
    written += write_model_card(study, frame, out, found.uncertainty)
    if not plots_too:
        return written
    from . import plots  # matplotlib: imported only when plots are written

    written += plots.stage_bars(frame, out)
    curve = _gwp(found.amortization).rename(columns={"use_per_fu": "inference"})
    point = _gwp(found.break_even)
    if len(curve):
        unit = curve["unit"].iloc[0]
        written += plots.amortization_curve(curve, out, float(point["break_even_queries"].iloc[0]) if len(point) else None, unit)
    swing = _gwp(found.tornado).rename(columns={"low_score": "score_low", "high_score": "score_high"})
    if len(swing):
        labels = [f"{p} ({_value(lo)} - {_value(hi)})" for p, lo, hi in zip(swing["parameter"], swing["low_value"], swing["high_value"])]
        written += plots.tornado(swing.assign(parameter=labels), out, float(swing["base_score"].iloc[0]), swing["unit"].iloc[0])
    return written
