"""bw_mllca: ISO 14040/14044 life cycle assessment of machine-learning models on Brightway 2.5.

The public names are imported lazily, so that ``bw-mllca --help`` is fast and a caller can choose
the Brightway directory (BRIGHTWAY2_DIR) before bw2data is first imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it (hatch)

_PUBLIC = {
    "setup_project": "bw_mllca.project_setup",
    "SetupReport": "bw_mllca.project_setup",
    "Study": "bw_mllca.scope.study",
    "build": "bw_mllca.inventory.foreground",
    "calculate": "bw_mllca.impact.calculate",
    "system_for": "bw_mllca.impact.calculate",
    "DEFAULT_METHODS": "bw_mllca.impact.calculate",
    "TRACI": "bw_mllca.impact.methods",
    "BwMllcaError": "bw_mllca.errors",
    "StudyError": "bw_mllca.errors",
    "SetupConflict": "bw_mllca.errors",
    "BuildError": "bw_mllca.errors",
    "track": "bw_mllca.inventory.tracker",
    "LinearEngine": "bw_mllca.impact.engine",
    "significant_issues": "bw_mllca.interpretation.contribution",
    "dominance_table": "bw_mllca.interpretation.contribution",
    "amortization_curve": "bw_mllca.interpretation.amortization",
    "break_even": "bw_mllca.interpretation.amortization",
    "tornado": "bw_mllca.interpretation.sensitivity",
    "sobol_indices": "bw_mllca.interpretation.sensitivity",
    "monte_carlo": "bw_mllca.interpretation.uncertainty",
    "completeness": "bw_mllca.interpretation.completeness",
    "compare": "bw_mllca.interpretation.comparison",
    "NotComparable": "bw_mllca.interpretation.comparison",
    "paired_samples": "bw_mllca.interpretation.uncertainty",
    "export_inventory": "bw_mllca.report.inventory_excel",
    "import_inventory": "bw_mllca.report.inventory_excel",
    "write_results_workbook": "bw_mllca.report.workbook",
    "write_model_card": "bw_mllca.report.model_card",
    "regions": "bw_mllca.listings",
    "hardware": "bw_mllca.listings",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'bw_mllca' has no attribute {name!r}")
