"""bw2calc, imported without its notice about a missing fast sparse solver.

bw2calc warns once, at its import, when neither pypardiso nor scikit-umfpack is installed. For the
systems of a study scipy's solver is as fast (benchmarks/), so the notice would only be noise on a
user's console or in a notebook; ``pip install bw_mllca[fast]`` adds pypardiso for large linked
backgrounds. Only this import is silenced: the user's own warning filters are left as they are.
"""

from __future__ import annotations

import warnings

SOLVER_NOTICE = r"(?s).*(pypardiso|umfpack|fast sparse solver)"

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=SOLVER_NOTICE, category=UserWarning)
    import bw2calc

__all__ = ["SOLVER_NOTICE", "bw2calc"]
