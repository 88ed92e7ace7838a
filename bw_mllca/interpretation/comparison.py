"""Comparison of product systems on the same functional unit (ISO 14044 comparability).

Systems are comparable only if their functional units are the same in every structured field
(``functional_unit_fields``: what the unit counts, how many, in which unit, and its performance
constraints; the free-text description is not compared) and each system meets every constraint
with a reported figure. A category where two systems score the same (0 and 0, say) is a tie.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import BwMllcaError
from ..scope.study import FunctionalUnit, Study
from .assessed import not_assessed

logger = logging.getLogger(__name__)

REL_TOL = 1e-9  # two quantities within this relative difference are the same number
TIE, A_LOWER, B_LOWER, NOT_ASSESSED = "tie", "A lower", "B lower", "not assessed"


class NotComparable(BwMllcaError):
    """The systems do not fulfil the same function; the message says which field or constraint."""


@dataclass(frozen=True)
class Comparison:
    scores: pd.DataFrame  # one row per (system, method): score per FU and unit
    differences: pd.DataFrame  # per method and pair: B - A, B / A, verdict, and P(A < B), P(A = B) when sampled
    pareto: pd.DataFrame  # systems on the quality-impact front, per quality metric and impact


def functional_unit_fields(fu: FunctionalUnit) -> dict[str, Any]:
    """The structured fields that decide comparability, by the study-file path that sets them.

    Every field of the functional unit is compared except its free-text ``description``: what it
    counts (``kind``: answered queries or one trained model), how many, and its constraints, so new
    structured fields join the comparison without changes here.
    """
    fields = {name: getattr(fu, name) for name in type(fu).model_fields if name not in ("description", "constraints")}
    fields["constraints"] = frozenset(
        (c.metric.casefold(), c.operator, float(c.value), c.unit.strip().casefold()) for c in fu.constraints)
    return fields


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL)
    return a == b


def _text(field: str, value: Any, fu: FunctionalUnit) -> str:
    if field == "constraints":
        return repr(sorted(c.text() for c in fu.constraints))
    return repr(value.value if hasattr(value, "value") else value)


def check_comparable(studies: Sequence[Study]) -> None:
    """Raise NotComparable unless every study has the first one's FU and meets its constraints."""
    if len(studies) < 2:
        raise NotComparable(f"compare needs at least two studies, got {len(studies)}")
    names = [s.study.name for s in studies]
    if len(set(names)) != len(names):
        raise NotComparable(f"study.name must differ between compared studies, got {names}")
    first = studies[0]
    reference_fu = first.goal.functional_unit
    reference = functional_unit_fields(reference_fu)
    for study in studies[1:]:
        fu = study.goal.functional_unit
        fields = functional_unit_fields(fu)
        for field in sorted(set(reference) | set(fields), key=lambda f: (f == "constraints", f)):
            if not _same(fields.get(field), reference.get(field)):
                raise NotComparable(
                    f"{study.study.name!r}: goal.functional_unit.{field} = {_text(field, fields.get(field), fu)} differs from "
                    f"{first.study.name!r}'s {_text(field, reference.get(field), reference_fu)}"
                )
        if fu.description != reference_fu.description:
            logger.info("compare: %r and %r describe the same functional unit differently (%r, %r)",
                        first.study.name, study.study.name, reference_fu.description, fu.description)
    for study in studies:
        achieved = study.model.performance
        for constraint in reference_fu.constraints:
            if constraint.metric not in achieved:
                raise NotComparable(
                    f"{study.study.name!r}: constraint {constraint.text()!r} has no reported value "
                    f"(model.performance.{constraint.metric} is missing)"
                )
            if not constraint.holds_for(achieved[constraint.metric]):
                raise NotComparable(
                    f"{study.study.name!r} fails constraint {constraint.text()!r}: "
                    f"model.performance.{constraint.metric} = {achieved[constraint.metric]!r}"
                )


def verdict(a: float, b: float) -> str:
    """Which of two scores is lower, or a tie (equal within REL_TOL, 0 and 0 included)."""
    if a != a or b != b:
        return NOT_ASSESSED
    if a == b or math.isclose(a, b, rel_tol=REL_TOL):
        return TIE
    return A_LOWER if a < b else B_LOWER


def probabilities(draws_a: np.ndarray, draws_b: np.ndarray) -> tuple[float, float]:
    """(P(A < B), P(A = B)) over paired draws. Ties count half towards P(A < B) (probability of
    superiority), so a category both systems score 0 in every draw gives 0.5, not 0."""
    equal = np.isclose(draws_a, draws_b, rtol=REL_TOL, atol=0.0)
    lower = (draws_a < draws_b) & ~equal
    return float(lower.mean() + 0.5 * equal.mean()), float(equal.mean())


def pareto_front(points: pd.DataFrame, quality: str, impact: str, higher_quality_is_better: bool = True) -> pd.DataFrame:
    """Rows of ``points`` not dominated on (``quality``, ``impact``): no other row is at least as good
    on both and better on one. ``impact`` is always better lower."""
    sign = 1.0 if higher_quality_is_better else -1.0
    keep = []
    for i, row in points.iterrows():
        dominated = False
        for j, other in points.iterrows():
            if i == j:
                continue
            better_or_equal = sign * other[quality] >= sign * row[quality] and other[impact] <= row[impact]
            strictly = sign * other[quality] > sign * row[quality] or other[impact] < row[impact]
            if better_or_equal and strictly:
                dominated = True
                break
        keep.append(not dominated)
    return points[keep]


def compare_studies(
    studies: Sequence[Study],
    methods=None,
    view: str = "attributional",
    iterations: int = 2_000,
    seed: int = 0,
) -> Comparison:
    """Build, calculate and compare studies on the same FU; with ``iterations`` > 0, P(A < B) per
    category comes from Monte Carlo on shared draws of the common background data."""
    from ..impact.calculate import results_frame, system_for
    from ..impact.engine import LinearEngine
    from ..inventory.foreground import build
    from .uncertainty import paired_samples

    check_comparable(studies)  # before anything is built
    for study in studies:
        build(study)
    systems = [system_for(study, methods) for study in studies]  # each study factorized once
    frames = [results_frame(system) for system in systems]
    samples = None
    if iterations > 0:
        engines = [LinearEngine(study, view=view, system=system) for study, system in zip(studies, systems)]
        samples = paired_samples(engines, iterations, seed, view=view)
    return compare_frames(studies, frames, view, samples)


def compare_frames(
    studies: Sequence[Study],
    frames: Sequence[pd.DataFrame],
    view: str = "attributional",
    samples: Sequence[pd.DataFrame] | None = None,
) -> Comparison:
    """Compare built studies on the same FU.

    ``frames``: their ``calculate`` results (same order). ``samples``: optional Monte Carlo draws per
    study (columns = method labels, rows = iterations drawn with shared background samples), from
    which P(A < B) is estimated per method, with the 5th and 95th percentiles of each system.
    """
    check_comparable(studies)
    if view == "attributional" and studies[0].views == ("training",):
        view = "training"  # trained models compare in their one view
    rows = []
    for study, frame in zip(studies, frames):
        part = frame[frame["view"] == view]
        missing = not_assessed(part)  # no data: NaN with the reason, never a 0 that would win a comparison
        for (method, unit), score in part.groupby(["method", "unit"], sort=False)["score"].sum().items():
            rows.append({"system": study.study.name, "method": method, "unit": unit,
                         "score": float("nan") if method in missing else score, "note": missing.get(method, "")})
    scores = pd.DataFrame(rows)
    if samples is not None:
        for index, study in enumerate(studies):
            for quantile in (5, 95):
                column = {m: float(samples[index][m].quantile(quantile / 100)) for m in samples[index].columns}
                mask = scores["system"] == study.study.name
                scores.loc[mask, f"p{quantile}"] = scores.loc[mask, "method"].map(column)

    pairs = []
    base = studies[0].study.name
    for study_index, study in enumerate(studies[1:], start=1):
        for method in scores["method"].unique():
            a = scores[(scores.system == base) & (scores.method == method)]["score"].sum(min_count=1)
            b = scores[(scores.system == study.study.name) & (scores.method == method)]["score"].sum(min_count=1)
            entry = {"A": base, "B": study.study.name, "method": method, "score A": a, "score B": b,
                     "B - A": b - a, "B / A": (b / a) if a != 0 else float("nan"), "verdict": verdict(a, b)}
            if samples is not None and method in samples[0].columns and method in samples[study_index].columns:
                draws_a, draws_b = samples[0][method].to_numpy(), samples[study_index][method].to_numpy()
                assessed = a == a and b == b  # NaN: a category without data in one of the systems
                entry["P(A < B)"], entry["P(A = B)"] = probabilities(draws_a, draws_b) if assessed else (float("nan"),) * 2
            if a != a or b != b:
                entry["note"] = "not assessed in " + " and ".join(n for n, v in ((base, a), (study.study.name, b)) if v != v)
            pairs.append(entry)
    differences = pd.DataFrame(pairs)

    quality_rows = []
    for study in studies:
        for metric, value in study.model.performance.items():
            for method in scores["method"].unique():
                if "GWP100" in method or method.startswith("inventory | electricity"):
                    impact = scores[(scores.system == study.study.name) & (scores.method == method)]["score"].sum()
                    quality_rows.append({"system": study.study.name, "quality metric": metric, "quality": value,
                                         "impact": method, "score": impact})
    front_parts = []
    if quality_rows:
        table = pd.DataFrame(quality_rows)
        for (metric, impact), group in table.groupby(["quality metric", "impact"], sort=False):
            constraint = next((c for c in studies[0].goal.functional_unit.constraints if c.metric == metric), None)
            higher_is_better = constraint is None or constraint.operator in (">=", ">")
            front = pareto_front(group.reset_index(drop=True), "quality", "score", higher_is_better)
            front_parts.append(group.assign(on_front=group["system"].isin(front["system"])))
    pareto = pd.concat(front_parts, ignore_index=True) if front_parts else pd.DataFrame(
        columns=["system", "quality metric", "quality", "impact", "score", "on_front"])
    return Comparison(scores=scores, differences=differences, pareto=pareto)


compare = compare_studies  # the public name: bw_mllca.compare(studies)
