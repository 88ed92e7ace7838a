"""The report's tables beyond the LCIA result: inventory, methods, contributions, ISO sections.

Computed once per run and shared by the workbook and the HTML report.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..impact.system import StudySystem
from ..interpretation.data_quality import data_quality
from ..interpretation.top_contributors import top_contributors
from ..scope.study import Study
from .iso_sections import allocation_table, limitations_table, system_boundary_table
from .lci import lci_table, stage_inventory
from .lcia_methods import methods_table, not_assessed


@dataclass(frozen=True)
class ReportTables:
    lci: pd.DataFrame
    methods: pd.DataFrame
    not_assessed: pd.DataFrame
    top_processes: pd.DataFrame
    top_flows: pd.DataFrame
    system_boundary: pd.DataFrame
    allocation: pd.DataFrame
    data_quality: pd.DataFrame
    limitations: pd.DataFrame

    def sheets(self) -> dict[str, pd.DataFrame]:
        """Workbook sheet title -> table (titles within Excel's 31 characters)."""
        return {
            "LCI": self.lci, "LCIA methods": self.methods, "Not assessed by stage": self.not_assessed,
            "Top processes": self.top_processes, "Top elementary flows": self.top_flows,
            "System boundary": self.system_boundary, "Allocation": self.allocation,
            "Data quality": self.data_quality, "Limitations": self.limitations,
        }


def report_tables(study: Study, system: StudySystem, estimated_share: pd.DataFrame | None = None,
                  top: int = 10) -> ReportTables:
    """Every table of the report for ``study`` built on ``system`` (its first view, per FU);
    ``top``: processes and flows listed per category."""
    view = study.views[0]  # attributional, or training for a trained-model unit
    inventory = stage_inventory(system, view)
    methods = methods_table(system, inventory)
    gaps = not_assessed(methods)
    contributors = top_contributors(system.database, system.methods, limit=top, view=view)
    return ReportTables(
        lci=lci_table(inventory), methods=methods, not_assessed=gaps,
        top_processes=contributors.processes, top_flows=contributors.flows,
        system_boundary=system_boundary_table(study), allocation=allocation_table(study),
        data_quality=data_quality(system.database),
        limitations=limitations_table(study, estimated_share, gaps),
    )
