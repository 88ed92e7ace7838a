"""Break-even queries of compared systems: where each one's use equals its development, and the
lifetime at which two systems' FU scores cross.

With use u and development d per FU at the study's lifetime L0, system X scores
u_X + d_X L0_X / L over a lifetime of L queries. Two systems cross where those are equal:

    L_cross = (d_B L0_B - d_A L0_A) / (u_A - u_B)

(positive and finite only when the system with the cheaper use has the dearer development; NaN
otherwise: one system is lower at every lifetime).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..scope.study import Study
from .amortization import break_even


def break_even_table(studies: Sequence[Study], frames: Sequence[pd.DataFrame], view: str = "attributional") -> pd.DataFrame:
    """Per method and pair (first study = A): each system's own break-even queries and the
    crossover lifetime (queries) of A and B; method unit per FU for use and development."""
    own = [break_even(frame, study, view=view).set_index("method") for study, frame in zip(studies, frames)]
    rows = []
    a, first = own[0], studies[0]
    for study, table in zip(studies[1:], own[1:]):
        for method in a.index.intersection(table.index):
            ra, rb = a.loc[method], table.loc[method]
            l0a, l0b = first.use.total_queries, study.use.total_queries
            gap = ra["use_per_fu"] - rb["use_per_fu"]
            cross = (rb["development_per_fu"] * l0b - ra["development_per_fu"] * l0a) / gap if gap != 0 else np.nan
            rows.append({
                "A": first.study.name, "B": study.study.name, "method": method, "unit": ra["unit"],
                "use per FU A": ra["use_per_fu"], "use per FU B": rb["use_per_fu"],
                "development total A": ra["development_total"], "development total B": rb["development_total"],
                "break-even queries A": ra["break_even_queries"], "break-even queries B": rb["break_even_queries"],
                "crossover queries": cross if np.isfinite(cross) and cross > 0 else np.nan,
            })
    return pd.DataFrame(rows)
