"""Monte Carlo of the background: technosphere and biosphere entries drawn, gateway unit scores re-solved.

The foreground reaches the background through a few activities ("gateways": grid electricity,
hardware manufacture, end of life). Only their unit scores h[m, g] = d_m^T A^-1 e_g matter, and
only the entries that can reach them: the technosphere entries among the activities reachable from
the gateways (the set R, closed under inputs) and the biosphere entries of R whose flow at least one
method characterizes. ``BackgroundModel`` keeps exactly that: the square block A_R (rows permuted so
row i is the product of column i), the characterized direct flows D_R, and the positions of every
uncertain entry in them. Nothing else is drawn.

Per draw the drawn block is solved anew, for a whole batch of draws at once, by refinement from
the base supplies X0 = A_R^-1 E (E: one column per gateway), then h = D_draw^T X:

- 'lu': X <- X + F0^-1 (E - A_draw X), reusing the base factorization F0 (few steps; each is a
  multi-right-hand-side solve with the base factors, costly where they fill in);
- 'jacobi': X <- X + (E - A_draw X) / diag(A_draw) (the Neumann series: more steps, each one
  sparse product, cheap on a large background whose factors fill in).

``choose_scheme`` times both on a few draws and keeps the faster. Refinement stops when every
supply column changes by less than ``REL_TOL`` of its size; a draw that has not converged within
the step limit is factorized itself (``Factorization.refactor``: pypardiso reuses the symbolic
analysis), so every draw is a solve of its own matrix to round-off.

Draws go in batches sized by memory (``MEMORY_BYTES``), seeded per chunk, so results do not depend
on the machine or on whether the chunks ran here or on a ``dask.distributed`` cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import stats_arrays

from .solver import Factorization, pardiso_available

logger = logging.getLogger(__name__)

REL_TOL = 1e-12  # change of each supply column, relative to its size, at which refinement stops
MAX_ITERATIONS = 60  # refinement steps from the base factorization
MAX_JACOBI_ITERATIONS = 3_000  # Jacobi (Neumann series) steps
CHECK_EVERY = 4  # Jacobi steps between convergence checks
MEMORY_BYTES = 256 * 2**20  # working memory of one batch of draws (samples and solves)
MAX_BATCH = 2_000  # draws per batch at most (also the unit of work of a cluster task)


class SamplingError(ValueError):
    """A background that the sampler cannot draw (the message names what)."""


@dataclass
class Entries:
    """Entries of one matrix that carry a distribution: stats_arrays ``params``, matrix ``rows``
    and ``cols``, static ``values`` as the matrix holds them and the ``factor`` (flip sign x
    rescale) that turns a sampled value into a matrix value."""

    params: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    factor: np.ndarray

    def subset(self, mask: np.ndarray) -> Entries:
        return Entries(self.params[mask], self.rows[mask], self.cols[mask], self.values[mask], self.factor[mask])

    def __len__(self) -> int:
        return len(self.params)


def matrix_entries(matrix: Any) -> Entries:
    """Every entry of a bw2calc mapped matrix (``lca.technosphere_mm``, ``lca.biosphere_mm``) with
    its distribution as its datapackage stores it (uncertainty type 0 where it has none)."""
    from bw_processing import UNCERTAINTY_DTYPE

    params, rows, cols, values, factors = [], [], [], [], []
    for group in matrix.groups:
        if group.empty:
            continue
        current = np.asarray(group.data_current, dtype=float)
        if group.has_distributions:
            dist = group.apply_masks(group.get_resource_by_suffix("distributions"))
        else:
            dist = np.zeros(len(current), dtype=UNCERTAINTY_DTYPE)
            dist["loc"] = current
        if len(dist) != len(current):
            raise SamplingError(f"{group.label}: {len(dist)} distributions for {len(current)} values")
        factor = np.ones(len(current))
        if group.has_flip:
            factor[group.flip] = -1.0
        try:
            factor = factor * group.rescale
        except KeyError:
            pass
        params.append(dist)
        rows.append(np.asarray(group.row_masked, dtype=int))
        cols.append(np.asarray(group.col_masked, dtype=int))
        values.append(current)
        factors.append(factor)
    if not params:
        empty = np.zeros(0, dtype=int)
        return Entries(np.zeros(0, dtype=UNCERTAINTY_DTYPE), empty, empty, np.zeros(0), np.zeros(0))
    return Entries(np.concatenate(params), np.concatenate(rows), np.concatenate(cols), np.concatenate(values),
                   np.concatenate(factors))


def sample(params: np.ndarray, n: int, seed: int | None) -> np.ndarray:
    """``n`` draws (n, entries) of stats_arrays distributions, seeded."""
    rng = np.random.RandomState(seed)
    draws = np.empty((n, len(params)))
    for kind in np.unique(params["uncertainty_type"]):
        which = params["uncertainty_type"] == kind
        draws[:, which] = stats_arrays.uncertainty_choices[int(kind)].random_variables(params[which], n, rng).T
    return draws


class BackgroundModel:
    """The part of a background that can reach a set of gateway activities, with its uncertain
    entries: draws of those entries and the gateway unit scores each draw gives.

    ``A`` (CSR, square, activities in the system's column order), ``B`` (biosphere, CSR), ``cf``
    (biosphere rows x methods), ``col_of_row`` (activity column of each product row), the
    ``gateways`` (columns), the uncertain ``technosphere`` and ``biosphere`` entries of the whole
    system (matrix indices) and the ``excluded`` columns (the foreground: a gateway reaching one
    is refused). Picklable: a worker factorizes A_R itself, once.
    """

    def __init__(self, A: sp.csr_matrix, B: sp.csr_matrix, cf: np.ndarray, col_of_row: np.ndarray,
                 gateways: Sequence[int], technosphere: Entries, biosphere: Entries,
                 excluded: Sequence[int] = (), use_pardiso: bool | None = None):
        self.gateways = np.asarray(gateways, dtype=int)
        self.use_pardiso = pardiso_available() if use_pardiso is None else use_pardiso
        n = A.shape[1]
        coo = A.tocoo()
        graph = sp.csr_matrix((np.ones(coo.nnz, dtype=np.int8), (coo.col, col_of_row[coo.row])), shape=(n, n))
        reach = np.zeros(n, dtype=bool)
        frontier = np.zeros(n, dtype=bool)
        frontier[self.gateways] = True
        while frontier.any():  # breadth-first, one sparse product per level
            reach |= frontier
            frontier = (graph.T @ frontier.astype(np.int8)).astype(bool) & ~reach
        bad = np.flatnonzero(reach[np.asarray(excluded, dtype=int)]) if len(excluded) else []
        if len(bad):
            raise SamplingError(f"the background reaches {len(bad)} foreground activities: it must not consume the foreground")
        self.columns = np.flatnonzero(reach)  # R, in system column order
        local = np.full(n, -1)
        local[self.columns] = np.arange(len(self.columns))
        self.local = local
        row_of_col = np.empty(n, dtype=int)
        row_of_col[col_of_row] = np.arange(n)
        # A_R with row i = the product of column i: square, so entries have (row, col) in R x R.
        block = A[row_of_col[self.columns]][:, self.columns].tocsr()
        block.sum_duplicates()
        block.sort_indices()
        self.A0 = block
        self.D0 = np.asarray(B[:, self.columns].T @ cf)  # (R, methods)
        self.n_methods = cf.shape[1]

        self.t_mask = (technosphere.params["uncertainty_type"] > 1) & (local[technosphere.cols] >= 0)
        t = technosphere.subset(self.t_mask)
        t_rows, t_cols = local[col_of_row[t.rows]], local[t.cols]
        if np.any(t_rows < 0):  # cannot happen: R is closed under inputs
            raise SamplingError("an uncertain technosphere input of a reachable activity is outside the reach")
        self.tech = t
        self.t_rows, self.t_cols = t_rows, t_cols
        self.t_position = _positions(block, t_rows, t_cols)
        # A gateway with no inputs and no drawn entry in its column (a biosphere-only background
        # process) has a fixed supply: only the others are refined per draw.
        csc = block.tocsc()
        drawn_columns = set(t_cols.tolist())
        self.iterated = np.array([
            g in drawn_columns or bool(np.any(csc.indices[csc.indptr[g]:csc.indptr[g + 1]] != g))
            for g in local[self.gateways]], dtype=bool)
        # the static part of A_R: base minus the uncertain entries' base values
        self.A_static = block.data.copy()
        np.subtract.at(self.A_static, self.t_position, t.values)

        characterized = np.abs(cf).sum(axis=1) > 0
        self.b_mask = ((biosphere.params["uncertainty_type"] > 1) & (local[biosphere.cols] >= 0)
                       & characterized[biosphere.rows])
        b = biosphere.subset(self.b_mask)
        self.bio = b
        self.b_cols = local[b.cols]
        self.b_cf = cf[b.rows]  # (entries, methods)
        self.D_static = self.D0.copy()
        np.subtract.at(self.D_static, self.b_cols, b.values[:, None] * self.b_cf)
        self.params = np.concatenate([t.params, b.params]) if len(t) + len(b) else t.params
        self._base: Factorization | None = None
        self._work: Factorization | None = None
        self.scheme: str | None = None  # refinement: 'lu' or 'jacobi' (``choose_scheme``)
        self.refactored = 0  # draws solved by their own factorization (not converged by refinement)
        logger.info("background model: %d of %d activities reach the %d gateways; %d technosphere and %d "
                    "biosphere entries drawn", len(self.columns), n, len(self.gateways), len(t), len(b))

    # -- pickling: factorizations stay where they were made ---------------------------------------
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_base"] = state["_work"] = state["_x0"] = state["_b_scatter"] = None
        return state

    @property
    def base(self) -> Factorization:
        if self._base is None:
            self._base = Factorization(self.A0, self.use_pardiso)
        return self._base

    @property
    def entries(self) -> int:
        return len(self.params)

    @property
    def base_scores(self) -> np.ndarray:
        """Gateway unit scores of the undrawn background (methods, gateways)."""
        x = self.base.solve(self._unit_rhs()).reshape(len(self.columns), -1)
        return self.D0.T @ x

    @property
    def base_supplies(self) -> np.ndarray:
        """A_R^-1 E: supplies of every reachable activity per unit of each gateway (R, gateways)."""
        if getattr(self, "_x0", None) is None:
            self._x0 = self.base.solve(self._unit_rhs()).reshape(len(self.columns), -1)
        return self._x0

    def _unit_rhs(self) -> np.ndarray:
        e = np.zeros((len(self.columns), len(self.gateways)))
        e[self.local[self.gateways], np.arange(len(self.gateways))] = 1.0
        return e

    def batch_size(self) -> int:
        """Draws per batch so that one batch's samples and solves fit ``MEMORY_BYTES``."""
        G = max(1, int(self.iterated.sum()))
        per_draw = 8 * (3 * self.entries + 8 * len(self.columns) * G + 3 * self.A0.nnz
                        + 2 * len(self.bio) * len(self.gateways) + 2 * self.n_methods * len(self.gateways))
        return int(max(1, min(MAX_BATCH, MEMORY_BYTES // max(per_draw, 1))))

    def draw(self, n: int, seed: int | None) -> np.ndarray:
        """``n`` seeded draws of the uncertain entries (n, entries), as sampled (before flip)."""
        return sample(self.params, n, seed)

    def scores(self, values: np.ndarray) -> np.ndarray:
        """Gateway unit scores per draw (draws, methods, gateways) for sampled entry values."""
        values = np.atleast_2d(np.asarray(values, dtype=float))
        out = np.empty((len(values), self.n_methods, len(self.gateways)))
        step = self.batch_size()
        for start in range(0, len(values), step):
            out[start:start + step] = self._solve_batch(values[start:start + step])
        return out

    def chunks(self, n: int, seed: int | None) -> list[tuple[int, int, int]]:
        """(start, count, seed) of each batch of ``n`` draws: the same plan wherever they run."""
        step = self.batch_size()
        seeds = np.random.SeedSequence(seed).spawn(-(-n // step)) if n else []
        return [(i * step, min(step, n - i * step), int(s.generate_state(1)[0])) for i, s in enumerate(seeds)]

    def chunk_scores(self, count: int, seed: int) -> np.ndarray:
        """Gateway unit scores (count, methods, gateways) of one seeded batch of draws."""
        return self._solve_batch(self.draw(count, seed))

    def sample_scores(self, n: int, seed: int | None) -> np.ndarray:
        """Draw ``n`` times (seeded) and return the gateway unit scores (n, methods, gateways)."""
        out = np.empty((n, self.n_methods, len(self.gateways)))
        for start, count, chunk_seed in self.chunks(n, seed):
            out[start:start + count] = self.chunk_scores(count, chunk_seed)
        return out

    # -- one batch of draws ---------------------------------------------------------------------
    def _scores_of(self, x: np.ndarray, b_values: np.ndarray) -> np.ndarray:
        """h (batch, methods, gateways) from supplies x (R, batch, gateways) and drawn biosphere
        values (batch, entries): h = D_draw^T x, D_draw = D_static + each drawn entry's
        characterized flow scattered onto its activity."""
        batch = len(b_values)
        if not len(self.bio):
            return np.einsum("rm,rbg->bmg", self.D_static, x)
        if getattr(self, "_b_scatter", None) is None:
            nb = len(self.bio)
            self._b_scatter = sp.csr_matrix((np.ones(nb), (self.b_cols, np.arange(nb))), shape=(len(self.columns), nb))
        flows = (b_values.T[:, :, None] * self.b_cf[:, None, :]).reshape(len(self.bio), -1)  # (entries, batch x M)
        drawn = (self._b_scatter @ flows).reshape(len(self.columns), batch, self.n_methods)
        drawn += self.D_static[:, None, :]
        return np.einsum("rbm,rbg->bmg", drawn, x)

    def _solve_batch(self, values: np.ndarray) -> np.ndarray:
        """Gateway unit scores of a batch of draws: X_draw = A_draw^-1 E (one column per gateway),
        h = D_draw^T X_draw. X is refined from the base supplies until every column changes by less
        than ``REL_TOL`` of its size; a draw that does not converge is factorized itself."""
        batch, nR, G = len(values), len(self.columns), len(self.gateways)
        if G == 0:  # a foreground that asks the background for nothing
            return np.zeros((batch, self.n_methods, 0))
        nt = len(self.tech)
        t_delta = values[:, :nt] * self.tech.factor - self.tech.values  # matrix-value change (batch, t)
        b_values = values[:, nt:] * self.bio.factor
        e = self._unit_rhs()
        x0 = self.base_supplies.reshape(nR, 1, G)
        if nt == 0:  # the matrix is fixed: the base supplies are exact
            return self._scores_of(np.broadcast_to(x0, (nR, batch, G)), b_values)
        x = np.repeat(x0, batch, axis=1)  # (R, batch, G)
        done = np.ones(batch, dtype=bool)
        iterated = np.flatnonzero(self.iterated)
        if len(iterated):
            if self.scheme is None:
                self.choose_scheme(t_delta)
            x[:, :, iterated], done = self._refine(x0[:, :, iterated], e[:, iterated], t_delta)
        h = self._scores_of(x, b_values)
        for j in np.flatnonzero(~done):  # exact: this draw's own factorization
            h[j] = self._direct(t_delta[j], b_values[j])
        return h

    def _refine(self, x0: np.ndarray, e: np.ndarray, t_delta: np.ndarray, scheme: str | None = None,
                ) -> tuple[np.ndarray, np.ndarray]:
        """Supplies (R, batch, gateways) of the drawn matrices and which draws converged.

        'lu': x <- x + F0^-1 (E - A_draw x), F0 the base factorization: few steps, each a solve
        with the base factors (costly when they fill in). 'jacobi': x <- x + (E - A_draw x) / diag:
        more steps, each one sparse product (the Neumann series of the drawn technosphere)."""
        scheme = scheme or self.scheme
        batch, nR, G = len(t_delta), len(self.columns), e.shape[1]
        drawn = self._block_diagonal(t_delta)  # (batch x R) square: every draw's own matrix
        rhs = np.tile(e, (batch, 1))  # (batch x R, G), draw-major like ``drawn``
        if scheme == "jacobi":
            diagonal = drawn.diagonal()[:, None]
            step, limit = (lambda r: r / diagonal), MAX_JACOBI_ITERATIONS
        else:
            def step(r: np.ndarray) -> np.ndarray:  # the base factors, every draw as right-hand sides
                stacked = r.reshape(batch, nR, G).transpose(1, 0, 2).reshape(nR, batch * G)
                return self.base.solve(stacked, refine=False).reshape(nR, batch, G).transpose(1, 0, 2).reshape(batch * nR, G)
            limit = MAX_ITERATIONS
        x = np.tile(x0.reshape(nR, G), (batch, 1))
        done = np.zeros(batch, dtype=bool)
        for iteration in range(limit):
            correction = step(rhs - drawn @ x)
            x += correction
            if scheme == "jacobi" and iteration % CHECK_EVERY != CHECK_EVERY - 1:
                continue  # a Jacobi step is cheap next to the check
            change = np.abs(correction).reshape(batch, nR, G).max(axis=1)
            size = np.abs(x).reshape(batch, nR, G).max(axis=1)
            done = np.all(change <= REL_TOL * size, axis=1)
            if done.all() or not np.isfinite(change).all():
                break
        return x.reshape(batch, nR, G).transpose(1, 0, 2), done

    def _block_diagonal(self, t_delta: np.ndarray) -> sp.csr_matrix:
        """The drawn A_R of each draw, as one block-diagonal CSR matrix (draw-major)."""
        batch, nnz, nR = len(t_delta), self.A0.nnz, len(self.columns)
        flat = (np.arange(batch)[:, None] * nnz + self.t_position[None, :]).ravel()
        data = np.tile(self.A0.data, batch) + np.bincount(flat, weights=t_delta.ravel(), minlength=batch * nnz)
        indices = (np.arange(batch)[:, None] * nR + self.A0.indices[None, :]).ravel()
        indptr = np.concatenate([[0], (np.arange(batch)[:, None] * nnz + self.A0.indptr[None, 1:]).ravel()])
        return sp.csr_matrix((data, indices, indptr), shape=(batch * nR, batch * nR))

    def choose_scheme(self, t_delta: np.ndarray | None = None) -> str:
        """Pick the faster refinement ('lu' or 'jacobi') by timing both on a few draws."""
        import time

        if t_delta is None:
            nt = len(self.tech)
            t_delta = self.draw(8, 0)[:, :nt] * self.tech.factor - self.tech.values
        probe = t_delta[:8]
        e = self._unit_rhs()[:, self.iterated]
        x0 = self.base_supplies[:, self.iterated].reshape(len(self.columns), 1, -1)
        seconds = {}
        for scheme in ("lu", "jacobi"):
            start = time.perf_counter()
            _, done = self._refine(x0, e, probe, scheme)
            seconds[scheme] = (time.perf_counter() - start) if done.all() else np.inf
        self.scheme = min(seconds, key=seconds.get)
        logger.info("background refinement: %s (%s s for %d probe draws)", self.scheme,
                    {k: round(v, 4) for k, v in seconds.items()}, len(probe))
        return self.scheme

    def _direct(self, t_delta: np.ndarray, b_values: np.ndarray) -> np.ndarray:
        data = self.A_static.copy()
        np.add.at(data, self.t_position, self.tech.values + t_delta)
        if self._work is None:
            self._work = Factorization(sp.csr_matrix((data, self.A0.indices, self.A0.indptr), shape=self.A0.shape),
                                       self.use_pardiso)
        else:
            self._work.refactor(data)
        self.refactored += 1
        x = self._work.solve(self._unit_rhs()).reshape(len(self.columns), 1, -1)
        return self._scores_of(x, b_values[None, :])[0]


def _positions(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Index in ``matrix.data`` of each (row, col) (canonical CSR; every pair must be stored)."""
    n = matrix.shape[1]
    stored = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr)) * n + matrix.indices  # sorted
    wanted = np.asarray(rows, dtype=np.int64) * n + np.asarray(cols, dtype=np.int64)
    positions = np.searchsorted(stored, wanted)
    if len(wanted) and (positions.max() >= len(stored) or np.any(stored[positions] != wanted)):
        raise SamplingError("an uncertain technosphere entry is not stored in the matrix")
    return positions
