"""Life cycle inventory of a built study: elementary flows per functional unit, by life-cycle stage.

ISO 14044 (4.3) asks for the inventory itself, not only its characterized result. Each stage's
runs per FU (the FU's supply of the stage activity) times the full supply one run needs (through
the background) gives its elementary flows: g_s = runs_s x B A^-1 e_s. The stages add up to the
FU's inventory, the one bw2calc's ``lci()`` gives (tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass

import bw2data as bd
import numpy as np
import pandas as pd

from ..impact.system import StudySystem

LCI_COLUMNS = ["stage", "stage_kind", "flow", "compartment", "subcompartment", "unit", "amount_per_fu",
               "flow_database", "flow_code"]


@dataclass(frozen=True)
class StageInventory:
    """Elementary flows per FU: ``amounts`` (biosphere rows x stages), in the flows' own units."""

    stages: list[str]
    stage_kinds: list[str | None]
    amounts: np.ndarray
    flow_ids: list[int]

    def flows_of(self, stage: int) -> np.ndarray:
        """Boolean mask of the biosphere rows that stage ``stage`` emits or takes (non-zero)."""
        return self.amounts[:, stage] != 0.0


def stage_inventory(system: StudySystem, view: str = "attributional") -> StageInventory:
    """Every stage's elementary flows per FU of ``view`` (stages outside the view are left out)."""
    fu = system.functional_unit(view)
    runs = system.foreground_supplies([system.col[fu.id]])[:, 0]
    stages, kinds, columns = [], [], []
    for stage in system.stages:
        per_fu = float(runs[system._position[system.col[stage.id]]])
        if per_fu == 0.0:
            continue
        supply = system.supply({stage.id: per_fu})
        columns.append(np.asarray(system.B @ supply).ravel())
        stages.append(stage.stage)
        kinds.append(stage.stage_kind)
    amounts = np.column_stack(columns) if columns else np.zeros((system.B.shape[0], 0))
    reversed_rows = system.lca.dicts.biosphere.reversed
    return StageInventory(stages, kinds, amounts, [int(reversed_rows[r]) for r in range(system.B.shape[0])])


def lci_table(inventory: StageInventory) -> pd.DataFrame:
    """The inventory as a tidy table (``LCI_COLUMNS``): one row per stage and non-zero flow,
    ordered by stage and then by flow name and compartment."""
    used = np.flatnonzero((inventory.amounts != 0.0).any(axis=1))
    flows = {node.id: node for node in (bd.get_node(id=inventory.flow_ids[r]) for r in used)}
    rows = []
    for s, stage in enumerate(inventory.stages):
        for r in used:
            amount = float(inventory.amounts[r, s])
            if amount == 0.0:
                continue
            flow = flows[inventory.flow_ids[r]]
            categories = tuple(flow.get("categories") or ())
            rows.append([stage, inventory.stage_kinds[s], flow["name"], categories[0] if categories else "",
                         "::".join(categories[1:]), flow.get("unit", ""), amount, flow["database"], flow["code"]])
    table = pd.DataFrame(rows, columns=LCI_COLUMNS)
    order = {stage: i for i, stage in enumerate(inventory.stages)}
    return table.sort_values(["stage", "flow", "compartment", "subcompartment"],
                             key=lambda c: c.map(order) if c.name == "stage" else c, kind="stable").reset_index(drop=True)
