"""A built study as linear algebra: bw2calc's matrices, factorized once, and per-method unit scores.

LCA is linear in exchange amounts. With the technosphere matrix A (factorized once, with bw2calc's
own solver choice: ``solver.Factorization``) and the characterized biosphere d_m = B^T c_m of
method m, the total score of one unit of any activity j is y_m[j] = (A^-T d_m)[j]: one transposed
solve with every method as a right-hand side gives every activity's unit score at once.

A stage's score splits into components by the foreground exchanges that leave the foreground
("gateways": grid electricity, hardware manufacture, end of life, platform) plus the foreground's
own direct flows (on-site water): component score = sum over gateways G of (units of G the
foreground asks for directly) x y_m[G]. Components add up to the stage's score, and stages add up
to the FU's score, exactly (tests check both).

The supply of a stage inside the foreground does not depend on the method, and when the
background consumes nothing from the foreground (always, for a database bw_mllca builds) it is a
solve of the small foreground block alone: all stages are solved at once, with one right-hand side
each (``stage_supplies``).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from functools import cached_property

import bw2data as bd
import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from .bw2calc_quiet import bw2calc as bc
from .solver import Factorization

logger = logging.getLogger(__name__)

Method = tuple[str, ...]

COMPONENTS = ("electricity", "on-site water", "embodied accelerator", "embodied host server", "embodied storage and network",
              "end of life", "platform overhead", "other")
EMBODIED_COMPONENTS = COMPONENTS[2:5]  # manufacture of the accelerators, host servers, storage and network


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
    """The matrices of one built foreground database, factorized once, ready for fast repeated
    evaluation. ``factorization`` solves with A and A^T (see ``solver``)."""

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
        # bw2calc builds every matrix (it loads the whole datapackage of each database the
        # foreground depends on). The demand must name activities in them: every foreground
        # activity, and every activity of the public background bw_mllca wrote, so a sensitivity
        # run can switch to any grid region. Nothing is solved here: bw2calc's ``lci()`` would
        # factorize once more for a supply nobody reads.
        demand = {n.id: 1.0 for n in self.nodes.values()}
        demand.update({node_id: 1.0 for node_id in _owned_background_ids(database)})
        self.lca = bc.LCA(demand, method=self.methods[0])
        self.lca.load_lci_data()
        self.A = self.lca.technosphere_matrix.tocsr()
        self.B = self.lca.biosphere_matrix.tocsr()
        self.col = self.lca.dicts.activity
        self.row = self.lca.dicts.product
        self.factorization = Factorization(self.A)
        self._col_of_row = np.empty(self.A.shape[0], dtype=int)
        for node_id, r in self.row.items():
            self._col_of_row[r] = self.col[node_id]
        self._row_of_col = np.empty_like(self._col_of_row)
        self._row_of_col[self._col_of_row] = np.arange(len(self._col_of_row))
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
            self.characterization[method] = self.lca.characterization_matrix.diagonal()
            self.method_units[method] = bd.methods[method].get("unit", "")
        cf = np.column_stack([self.characterization[m] for m in self.methods])
        self.D = np.asarray(self.B.T @ cf)  # direct characterized flows (activities x methods)
        self.Y = self.factorization.solve_transposed(self.D).reshape(self.D.shape)  # unit scores
        self.direct = {m: self.D[:, i] for i, m in enumerate(self.methods)}
        self.unit_scores = {m: self.Y[:, i] for i, m in enumerate(self.methods)}
        self._find_gateways(activities)

    # -- structure -----------------------------------------------------------------------------
    @cached_property
    def input_graph(self) -> sp.csr_matrix:
        """Column j -> column k when activity j consumes the product of activity k (the pattern of
        A without its diagonal, in activity columns)."""
        A = self.A.tocoo()
        keep = self._col_of_row[A.row] != A.col
        n = self.A.shape[1]
        return sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int8), (A.col[keep], self._col_of_row[A.row[keep]])),
                             shape=(n, n))

    def reachable(self, start: list[int] | np.ndarray) -> np.ndarray:
        """Boolean mask of the columns reachable from ``start`` through technosphere inputs."""
        seen = np.zeros(self.A.shape[1], dtype=bool)
        for column in np.unique(np.asarray(start, dtype=int)):
            if not seen[column]:
                seen[csgraph.breadth_first_order(self.input_graph, int(column), directed=True,
                                                 return_predecessors=False)] = True
        return seen

    def _find_gateways(self, activities) -> None:
        """Gateway exchanges as arrays: foreground column, gateway column, amount (per unit of the
        foreground activity, as bw2calc holds it) and component index."""
        foreground = np.array(sorted(self.col[n.id] for n in self.nodes.values()))
        self._foreground_columns = foreground
        self._position = {int(c): i for i, c in enumerate(foreground)}  # column -> foreground index
        fg, gw, amounts, comps = [], [], [], []
        for act in activities:
            for exc in act.technosphere():
                component = exc.get("mllca_component")
                if component is None:
                    continue
                target = exc.input
                # The amount as bw2calc holds it (Brightway stores amounts at float32 precision).
                fg.append(self.col[act.id])
                gw.append(self.col[target.id])
                amounts.append(-float(self.A[self.row[target.id], self.col[act.id]]))
                comps.append(COMPONENTS.index(component))
        self._gw_fg = np.array([self._position[c] for c in fg], dtype=int)
        self._gw_col = np.array(gw, dtype=int)
        self._gw_amount = np.array(amounts, dtype=float)
        self._gw_component = np.array(comps, dtype=int)
        # The foreground's own direct flows, except a gateway's (already inside its unit score).
        gateway_columns = set(gw)
        direct = [i for i, c in enumerate(foreground) if int(c) not in gateway_columns]
        water = {self.col[n.id] for n in self.nodes.values() if n.role == "it-energy"}
        self._direct_fg = np.array(direct, dtype=int)
        self._direct_water = np.array([int(foreground[i]) in water for i in direct], dtype=bool)
        self._gateways = {c: [(int(foreground[f]), int(g), float(a)) for f, g, a, k in
                              zip(self._gw_fg, self._gw_col, self._gw_amount, self._gw_component) if k == i]
                          for i, c in enumerate(COMPONENTS)}

    @cached_property
    def _foreground_block(self) -> Factorization | None:
        """The foreground's own block of A, factorized (None when the background consumes a
        foreground product, so the block is not closed and full solves are needed)."""
        F = self._foreground_columns
        graph = self.input_graph
        is_foreground = np.zeros(self.A.shape[1], dtype=bool)
        is_foreground[F] = True
        background_inputs = graph[~is_foreground]
        if background_inputs[:, is_foreground].nnz:
            logger.info("database %r: the background consumes foreground products; full solves", self.database)
            return None
        block = self.A[self._row_of_col[F]][:, F]
        return Factorization(block, use_pardiso=False)

    def foreground_supplies(self, columns: list[int]) -> np.ndarray:
        """Supply of every foreground activity (rows, in ``_foreground_columns`` order) for one unit
        of each foreground activity in ``columns`` (one column each): exactly 0 where that demand
        does not reach (the LU solve may leave round-off there)."""
        F = self._foreground_columns
        k = len(columns)
        if k == 0:
            return np.zeros((len(F), 0))
        block = self._foreground_block
        if block is not None:
            rhs = np.zeros((len(F), k))
            rhs[[self._position[int(c)] for c in columns], np.arange(k)] = 1.0
            z = block.solve(rhs).reshape(len(F), k)
            graph = self.input_graph[F][:, F]
            for j, c in enumerate(columns):
                mask = np.zeros(len(F), dtype=bool)
                mask[csgraph.breadth_first_order(graph, self._position[int(c)], directed=True,
                                                 return_predecessors=False)] = True
                z[~mask, j] = 0.0
            return z
        return np.column_stack([self.supply({self._id_of_col(c): 1.0})[F] for c in columns])

    def _id_of_col(self, column: int) -> int:
        return int(self.lca.dicts.activity.reversed[int(column)])

    @cached_property
    def stages(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.role == "stage"]

    @cached_property
    def views(self) -> tuple[str, ...]:
        """The views this database has a functional unit for: attributional, consumer, then any other
        (a trained-model unit's training view), whatever order bw2data gave the activities ids in."""
        found = {bd.get_node(id=n.id).get("mllca_view") for n in self.nodes.values() if n.role == "functional unit"}
        order = ("attributional", "consumer")
        return tuple(v for v in order if v in found) + tuple(sorted(found.difference(order)))

    def functional_unit(self, view: str = "attributional") -> Node:
        for node in self.nodes.values():
            if node.role == "functional unit" and bd.get_node(id=node.id).get("mllca_view") == view:
                return node
        raise KeyError(f"view = {view!r}: this study has the views {', '.join(map(repr, self.views))}")

    def supply(self, demand: dict[int, float]) -> np.ndarray:
        """Supply vector x = A^-1 f for a demand {node id: amount}.

        Activities the demand cannot reach get exactly 0 (the LU solve may leave round-off there),
        so a stage outside a view never shows up in that view's results.
        """
        f = np.zeros(self.A.shape[0])
        for node_id, amount in demand.items():
            f[self.row[node_id]] = amount
        x = self.factorization.solve(f)
        x[~self.reachable([self.col[node_id] for node_id in demand])] = 0.0
        return x

    def score(self, demand: dict[int, float], method: Method) -> float:
        f = np.zeros(self.A.shape[0])
        for node_id, amount in demand.items():
            f[self.row[node_id]] = amount
        return float(self.unit_scores[method] @ f)

    # -- decomposition -------------------------------------------------------------------------
    def stage_parts(self, stages: list[Node]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per stage (one run each): component scores (stages, components, methods), which
        components it uses (stages, components, methods; a used component can score 0) and its
        electricity at the meter (stages,) in kWh. One foreground solve for all stages."""
        z = self.foreground_supplies([self.col[s.id] for s in stages])  # (foreground, stages)
        n_methods = len(self.methods)
        parts = np.zeros((len(stages), len(COMPONENTS), n_methods))
        used = np.zeros(parts.shape, dtype=bool)
        runs = z[self._gw_fg]  # (gateway exchanges, stages): runs of the consuming activity
        weighted = runs * self._gw_amount[:, None]
        y = self.Y[self._gw_col]  # (gateway exchanges, methods)
        for k in np.unique(self._gw_component):
            which = self._gw_component == k
            parts[:, k] += weighted[which].T @ y[which]
            used[:, k] |= (runs[which] != 0.0).any(axis=0)[:, None]
        if len(self._direct_fg):
            zd = z[self._direct_fg]  # (direct activities, stages)
            d = self.D[self._foreground_columns[self._direct_fg]]  # (direct activities, methods)
            for k, rows in ((COMPONENTS.index("on-site water"), self._direct_water),
                            (COMPONENTS.index("other"), ~self._direct_water)):
                if not rows.any():
                    continue
                parts[:, k] += zd[rows].T @ d[rows]
                if COMPONENTS[k] == "other":  # present only where this method has a direct flow
                    used[:, k] |= ((zd[rows] != 0.0).astype(float).T @ (d[rows] != 0.0).astype(float)) > 0
                else:
                    used[:, k] |= (zd[rows] != 0.0).any(axis=0)[:, None]
        electricity = self._gw_component == COMPONENTS.index("electricity")
        kwh = weighted[electricity].sum(axis=0)
        return parts, used, kwh

    def stage_components(self, stage: Node, method: Method) -> dict[str, float]:
        """Score of one run of ``stage`` split into the components it uses (sums to its unit score).

        A component the stage uses is present even when this method scores it 0 (ozone depletion
        of grid electricity, say); a component it does not use is absent.
        """
        parts, used, _ = self.stage_parts([stage])
        m = self.methods.index(method)
        return {c: float(parts[0, k, m]) for k, c in enumerate(COMPONENTS) if used[0, k, m]}

    def electricity_kwh(self, stage: Node) -> float:
        """Electricity at the meter (kWh) for one run of ``stage``: grid kWh the foreground draws."""
        return float(self.stage_parts([stage])[2][0])
