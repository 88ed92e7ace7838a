"""A built study as linear algebra: bw2calc's matrices, factorized once, and per-method unit scores.

LCA is linear in exchange amounts. With the technosphere matrix A (factorized once) and the
characterized biosphere d_m = B^T c_m of method m, the total score of one unit of any activity j is
y_m[j] = (A^-T d_m)[j]: one transposed solve per method gives every stage's unit score at once.

A stage's score splits into components by the foreground exchanges that leave the foreground
("gateways": grid electricity, hardware manufacture, end of life, platform) plus the foreground's
own direct flows (on-site water): component score = sum over gateways G of (units of G the
foreground asks for directly) x y_m[G]. Components add up to the stage's score, and stages add up
to the FU's score, exactly (tests check both).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import bw2calc as bc
import bw2data as bd
import numpy as np
import scipy.sparse.linalg as spla

Method = tuple[str, ...]

COMPONENTS = ("electricity", "on-site water", "embodied hardware", "end of life", "platform overhead", "other")


@dataclass(frozen=True)
class Node:
    key: tuple[str, str]
    id: int
    name: str
    unit: str
    role: str
    stage: str | None
    stage_kind: str | None


def _owned_background_ids(database: str) -> list[int]:
    """Ids of the activities in the bw_mllca-written databases that ``database`` depends on."""
    from bw2data.backends import ActivityDataset as AD

    from ..inventory.biosphere import BIOSPHERE, OWN_BIOSPHERE
    from ..ownership import owner_mark

    metadata = bd.databases[database]
    candidates = [*metadata.get("depends", []), metadata.get("mllca_background", "")]
    names = sorted({name for name in candidates
                    if name and name not in (BIOSPHERE, OWN_BIOSPHERE) and name in bd.databases and owner_mark(bd.databases[name])})
    if not names:
        return []
    return [i for (i,) in AD.select(AD.id).where(AD.database << names).tuples()]


class StudySystem:
    """The matrices of one built foreground database, ready for fast repeated evaluation."""

    def __init__(self, database: str, methods: list[Method]):
        if database not in bd.databases:
            raise KeyError(f"database {database!r} is not in project {bd.projects.current!r}")
        if not methods:
            raise ValueError("methods: give at least one LCIA method")
        for method in methods:
            if method not in bd.methods:
                raise KeyError(f"method {method!r} is not registered in project {bd.projects.current!r}")
        self.database = database
        self.methods = list(methods)
        activities = list(bd.Database(database))
        self.nodes = {
            act.key: Node(act.key, act.id, act["name"], act.get("unit", ""), act.get("mllca_role", ""),
                          act.get("mllca_stage"), act.get("mllca_stage_kind"))
            for act in activities
        }
        fu = [n for n in self.nodes.values() if n.role == "functional unit"]
        if not fu:
            raise KeyError(f"database {database!r} has no functional unit activity: was it built by bw_mllca?")
        # One bw2calc LCA builds every matrix (the demand only decides which subgraph is included:
        # we demand every foreground activity so all of them have a column, and every activity of
        # the public background bw_mllca wrote, so a sensitivity run can switch to any grid region).
        demand = {n.id: 1.0 for n in self.nodes.values()}
        demand.update({node_id: 1.0 for node_id in _owned_background_ids(database)})
        self.lca = bc.LCA(demand, method=self.methods[0])
        self.lca.lci()
        self.A = self.lca.technosphere_matrix.tocsc()
        self.B = self.lca.biosphere_matrix.tocsr()
        self.col = self.lca.dicts.activity
        self.row = self.lca.dicts.product
        self._lu = spla.splu(self.A)
        self._col_of_row = np.empty(self.A.shape[0], dtype=int)
        for node_id, r in self.row.items():
            self._col_of_row[r] = self.col[node_id]
        self.unit_scores = {}  # method -> y (score per unit of each activity column)
        self.direct = {}  # method -> d (direct characterized flows per activity column)
        self.method_units = {}
        self.characterization = {}  # method -> characterization factor per biosphere row
        for method in self.methods:
            with warnings.catch_warnings():
                # bw2calc warns when a method characterizes none of these flows (ozone depletion of
                # this background): a legitimate zero, reported as such in the results.
                warnings.filterwarnings("ignore", message="All values in characterization matrix are zero")
                if method == self.methods[0]:
                    self.lca.load_lcia_data()
                else:
                    self.lca.switch_method(method)
            cf = self.lca.characterization_matrix.diagonal()
            self.characterization[method] = cf
            d = np.asarray(self.B.T @ cf).ravel()
            self.direct[method] = d
            self.unit_scores[method] = self._lu.solve(d, trans="T")
            self.method_units[method] = bd.methods[method].get("unit", "")
        self._gateways = self._find_gateways(activities)

    # -- structure -----------------------------------------------------------------------------
    def _find_gateways(self, activities) -> dict[str, list[tuple[int, int, float]]]:
        """component -> [(foreground column, gateway column, amount per unit of the foreground activity)]"""
        foreground_ids = {n.id for n in self.nodes.values()}
        gateways: dict[str, list[tuple[int, int, float]]] = {c: [] for c in COMPONENTS}
        for act in activities:
            for exc in act.technosphere():
                component = exc.get("mllca_component")
                if component is None:
                    continue
                target = exc.input
                # The amount as bw2calc holds it (Brightway stores amounts at float32 precision).
                amount = -float(self.A[self.row[target.id], self.col[act.id]])
                gateways[component].append((self.col[act.id], self.col[target.id], amount))
        self._foreground_direct_component = {}
        for node in self.nodes.values():
            self._foreground_direct_component[self.col[node.id]] = "on-site water" if node.role == "it-energy" else "other"
        self._gateway_columns = {g for items in gateways.values() for _, g, _ in items}
        self._foreground_columns = np.array(sorted(self.col[i] for i in foreground_ids))
        return gateways

    @cached_property
    def stages(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.role == "stage"]

    def functional_unit(self, view: str = "attributional") -> Node:
        for node in self.nodes.values():
            if node.role == "functional unit" and bd.get_node(id=node.id).get("mllca_view") == view:
                return node
        raise KeyError(f"view = {view!r}: expected 'attributional' or 'consumer'")

    def supply(self, demand: dict[int, float]) -> np.ndarray:
        """Supply vector x = A^-1 f for a demand {node id: amount}.

        Activities the demand cannot reach get exactly 0 (the LU solve may leave round-off there),
        so a stage outside a view never shows up in that view's results.
        """
        f = np.zeros(self.A.shape[0])
        for node_id, amount in demand.items():
            f[self.row[node_id]] = amount
        x = self._lu.solve(f)
        x[~self._reachable([self.col[node_id] for node_id in demand])] = 0.0
        return x

    def _reachable(self, start: list[int]) -> np.ndarray:
        """Columns reachable from ``start`` through technosphere inputs (the matrix's pattern)."""
        seen = np.zeros(self.A.shape[1], dtype=bool)
        stack = list(start)
        seen[stack] = True
        A = self.A  # CSC: the row indices of column j are its inputs (and itself)
        while stack:
            j = stack.pop()
            for i in A.indices[A.indptr[j]:A.indptr[j + 1]]:
                k = self._col_of_row[i]
                if not seen[k]:
                    seen[k] = True
                    stack.append(k)
        return seen

    def score(self, demand: dict[int, float], method: Method) -> float:
        f = np.zeros(self.A.shape[0])
        for node_id, amount in demand.items():
            f[self.row[node_id]] = amount
        return float(self.unit_scores[method] @ f)

    # -- decomposition -------------------------------------------------------------------------
    def stage_components(self, stage: Node, method: Method) -> dict[str, float]:
        """Score of one run of ``stage`` split into the components it uses (sums to its unit score).

        A component the stage uses is present even when this method scores it 0 (ozone depletion
        of grid electricity, say); a component it does not use is absent.
        """
        z = self.supply({stage.id: 1.0})
        y = self.unit_scores[method]
        d = self.direct[method]
        parts: dict[str, float] = {}
        for component, items in self._gateways.items():
            for fg_col, gw_col, amount in items:
                if z[fg_col] != 0.0:
                    parts[component] = parts.get(component, 0.0) + z[fg_col] * amount * y[gw_col]
        for fg_col in self._foreground_columns:
            if fg_col in self._gateway_columns or z[fg_col] == 0.0:
                continue  # a gateway's direct flows are already inside its y
            component = self._foreground_direct_component[fg_col]
            if component != "other" or d[fg_col] != 0.0:
                parts[component] = parts.get(component, 0.0) + z[fg_col] * d[fg_col]
        return parts

    def electricity_kwh(self, stage: Node) -> float:
        """Electricity at the meter (kWh) for one run of ``stage``: grid kWh the foreground draws."""
        z = self.supply({stage.id: 1.0})
        return float(sum(z[fg] * amount for fg, _, amount in self._gateways["electricity"]))
