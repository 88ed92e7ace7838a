"""One sparse LU factorization of a technosphere matrix, reused for every solve.

The solver is bw2calc's own choice: pypardiso where bw2calc found it (``bw2calc.PYPARDISO``), else
SciPy's SuperLU on A^T, as ``bw2calc.utils.lu_solver`` does (technosphere matrices have far less
fill transposed: on a market-hub structure SuperLU on A takes minutes and gigabytes of fill, on
A^T about a second). One factorization solves both A x = b (supplies) and A^T y = d (unit scores
of every activity), with one or many right-hand sides at once.

``refactor(data)`` factorizes, in place, the matrix with the same pattern and new values (a Monte
Carlo draw): pypardiso keeps its symbolic analysis (ordering and fill pattern, phase 11) and redoes only the
numeric factorization (phase 22); SuperLU has no such split and factorizes anew.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

logger = logging.getLogger(__name__)


def pardiso_available() -> bool:
    """Whether bw2calc solves with pypardiso (it imports it once, at its own import)."""
    from .bw2calc_quiet import bw2calc

    return bool(getattr(bw2calc, "PYPARDISO", False))


class Factorization:
    """LU factors of a square sparse matrix ``A``: ``solve`` (A x = b) and ``solve_transposed``
    (A^T y = b) for b of shape (n,) or (n, k)."""

    def __init__(self, matrix: sp.spmatrix, use_pardiso: bool | None = None):
        if matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"matrix: shape {matrix.shape} is not square")
        self.shape = matrix.shape
        self.pardiso = pardiso_available() if use_pardiso is None else use_pardiso
        csr = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
        csr.sum_duplicates()
        csr.sort_indices()
        self._csr = csr  # the pattern every ``refactor`` must keep
        if self.pardiso:
            from pypardiso import PyPardisoSolver

            self._solver = PyPardisoSolver()
            self._solver.set_iparm(12, 0)
            self._phase(12, np.zeros((self.shape[0], 1)))  # analysis + numeric factorization
        else:
            self._lu = spla.splu(csr.T.tocsc())  # CSC of A^T: the CSR arrays of A, no fill blow-up
        logger.debug("factorized a %d x %d matrix (%d entries) with %s", *self.shape, csr.nnz,
                     "pypardiso" if self.pardiso else "SuperLU on A^T")

    @property
    def pattern(self) -> sp.csr_matrix:
        """The factorized matrix (CSR, canonical): ``refactor`` takes new values for its ``data``."""
        return self._csr

    def _phase(self, phase: int, b: np.ndarray, transposed: bool = False) -> np.ndarray:
        solver = self._solver
        solver.set_phase(phase)
        solver.set_iparm(12, 2 if transposed else 0)  # iparm(12) = 2: solve with A^T, same factors
        b = np.asfortranarray(b, dtype=np.float64)
        try:
            return solver._call_pardiso(self._csr, b)
        finally:
            solver.set_iparm(12, 0)

    def solve(self, b: np.ndarray, refine: bool = True) -> np.ndarray:
        """x with A x = b (one step of iterative refinement unless ``refine`` is False)."""
        return self._solve(np.asarray(b, dtype=np.float64), transposed=False, refine=refine)

    def solve_transposed(self, b: np.ndarray, refine: bool = True) -> np.ndarray:
        """y with A^T y = b (one step of iterative refinement unless ``refine`` is False)."""
        return self._solve(np.asarray(b, dtype=np.float64), transposed=True, refine=refine)

    def _raw(self, rhs: np.ndarray, transposed: bool) -> np.ndarray:
        if self.pardiso:
            return self._phase(33, rhs, transposed=transposed)
        # the factors are of A^T: A^T y = b is the plain solve, A x = b the transposed one
        return self._lu.solve(rhs) if transposed else self._lu.solve(rhs, trans="T")

    def _solve(self, b: np.ndarray, transposed: bool, refine: bool) -> np.ndarray:
        """Technosphere matrices are badly scaled (amounts from 1e-10 to 1e6 in one row): pivoting
        on A^T, SuperLU leaves up to ~1e-7 relative error, and pypardiso's pivot perturbation ~1e-9.
        One residual correction (x += solve(b - A x)) brings the result back to round-off, for the
        price of one more solve with the same factors."""
        rhs = b.reshape(self.shape[0], -1)
        x = self._raw(rhs, transposed)
        if refine:
            matrix = self._csr.T if transposed else self._csr
            x = x + self._raw(rhs - matrix @ x, transposed)
        return x.reshape(b.shape)

    def refactor(self, data: np.ndarray) -> None:
        """Factorize anew, in place, the matrix with this pattern and values ``data`` (aligned
        with ``pattern.data``); with pypardiso the symbolic analysis is reused."""
        self._csr = sp.csr_matrix((np.asarray(data, dtype=np.float64), self._csr.indices, self._csr.indptr),
                                  shape=self.shape)
        if self.pardiso:
            self._phase(22, np.zeros((self.shape[0], 1)))  # numeric factorization only
        else:
            self._lu = spla.splu(self._csr.T.tocsc())

    def free(self) -> None:
        """Release the solver's memory (pypardiso keeps MKL buffers until told)."""
        if self.pardiso and getattr(self, "_solver", None) is not None:
            self._solver.free_memory(everything=True)
            self._solver = None  # type: ignore[assignment]
