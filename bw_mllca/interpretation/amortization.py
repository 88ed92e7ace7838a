"""Amortization and break-even of development over lifetime queries (Fernandez et al., Fig. 2b).

With L0 the study's lifetime queries and q the FU's queries, the FU's score at lifetime L is

    score(L) = use + development x L0 / L

where ``use`` is the inference and idle-capacity part (per FU, independent of L) and
``development`` every other stage (experimentation, training, post-training, data sets and
re-training runs) as amortized at L0. Break-even: the lifetime L* at which cumulative use,
L*/q x use, equals the whole development, development x L0/q:  L* = development x L0 / use.

Re-training given as a cadence (every_days) with the deployment length taken from
queries_per_day scales with L, not as 1/L; this formula then treats it as fixed development.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..scope.study import Study

USE_KINDS = ("inference", "idle capacity")


def use_and_development(frame: pd.DataFrame, view: str = "attributional",
                        use_kinds: Sequence[str] = USE_KINDS) -> pd.DataFrame:
    """Per method: use (inference + idle, per FU) and development (the rest, per FU), method unit."""
    part = frame[frame["view"] == view]
    if part.empty:
        raise ValueError(f"view = {view!r}: not in the results frame")
    is_use = part["stage_kind"].isin(list(use_kinds))
    use = part[is_use].groupby("method", sort=False)["score"].sum()
    development = part[~is_use].groupby("method", sort=False)["score"].sum()
    units = part.groupby("method", sort=False)["unit"].first()
    out = pd.DataFrame({"unit": units})
    out["use_per_fu"] = use.reindex(out.index).fillna(0.0)
    out["development_per_fu"] = development.reindex(out.index).fillna(0.0)
    return out.rename_axis("method").reset_index()


def _reference(study: Study | None, reference_lifetime_queries: float | None, fu_queries: float | None) -> tuple[float, float]:
    if study is not None:
        reference_lifetime_queries = reference_lifetime_queries or study.use.total_queries
        fu_queries = fu_queries or study.goal.functional_unit.queries
    for name, value in (("reference_lifetime_queries", reference_lifetime_queries), ("fu_queries", fu_queries)):
        if value is None or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} = {value!r}: give a positive number of queries (or the study)")
    return float(reference_lifetime_queries), float(fu_queries)  # type: ignore[arg-type]


def amortization_curve(frame: pd.DataFrame, lifetime_queries: Sequence[float] | np.ndarray, study: Study | None = None,
                       *, reference_lifetime_queries: float | None = None, view: str = "attributional",
                       use_kinds: Sequence[str] = USE_KINDS) -> pd.DataFrame:
    """The FU's score as a function of lifetime queries L: use + development x L0 / L.

    Columns: method, unit, lifetime_queries, use_per_fu, development_per_fu (at L), score (method
    unit per FU). L0 is the study's lifetime queries (or ``reference_lifetime_queries``).
    """
    l0, _ = _reference(study, reference_lifetime_queries, 1.0)
    values = np.asarray(lifetime_queries, dtype=float)
    if values.ndim != 1 or np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("lifetime_queries: give positive, finite numbers of queries")
    parts = use_and_development(frame, view, use_kinds)
    rows = []
    for row in parts.itertuples(index=False):
        development = row.development_per_fu * l0 / values
        rows.append(pd.DataFrame({
            "method": row.method, "unit": row.unit, "lifetime_queries": values, "use_per_fu": row.use_per_fu,
            "development_per_fu": development, "score": row.use_per_fu + development,
        }))
    return pd.concat(rows, ignore_index=True)


def break_even(frame: pd.DataFrame, study: Study | None = None, *, reference_lifetime_queries: float | None = None,
               fu_queries: float | None = None, view: str = "attributional",
               use_kinds: Sequence[str] = USE_KINDS) -> pd.DataFrame:
    """Per category, the lifetime queries at which cumulative use equals the whole development.

    Columns: method, unit, use_per_fu, development_per_fu (at L0), development_total
    (= development_per_fu x L0 / q, method unit), use_per_query (= use_per_fu / q),
    break_even_queries (L* = development_per_fu x L0 / use_per_fu; inf when use is 0) and
    reference_lifetime_queries (L0). At L = L* development and use each carry half the score.
    """
    l0, q = _reference(study, reference_lifetime_queries, fu_queries)
    out = use_and_development(frame, view, use_kinds)
    out["development_total"] = out["development_per_fu"] * l0 / q
    out["use_per_query"] = out["use_per_fu"] / q
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(out["use_per_fu"] != 0.0, out["development_per_fu"] * l0 / out["use_per_fu"].where(out["use_per_fu"] != 0.0, 1.0), np.inf)
    out["break_even_queries"] = np.where((out["development_per_fu"] == 0.0) & (out["use_per_fu"] == 0.0), np.nan, ratio)
    out["reference_lifetime_queries"] = l0
    return out
