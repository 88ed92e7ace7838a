"""Fit the standard sensitivity parameters and ranges to one study, so that a tornado never fails.

A default range is a convention (lifetime queries /10 and x10, batch size /2 and x2, ...); on some
studies one end is not a valid study (a tenth of the lifetime queries is less than one functional
unit) or one parameter cannot set all its targets to one value (two datacenters with different
PUEs). Rather than failing, the tornado:

- splits a parameter whose targets differ into one parameter per target ("PUE (train)");
- varies the grid region only of datacenters on a catalog region or a user-given intensity: a grid
  linked to an activity of the user's database is kept as it is (never swapped for a catalog grid)
  and named in the row's note;
- narrows an end that the study schema rejects to the valid value nearest to it, and says so;
- skips what still cannot be evaluated, with the reason.

Each decision is a ``note`` (text) on the parameter's rows of the tornado table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import StudyError
from ..impact.engine import Parameter, study_with
from ..scope.linking import describe_link
from ..scope.study import Study
from . import parameters as P


BISECTION_STEPS = 40  # relative precision of a narrowed end: about 2^-40 of the range (log scale)


@dataclasses.dataclass(frozen=True)
class FittedParameter:
    """A parameter ready for the tornado, or the reason it is left out (``parameter`` None)."""

    name: str
    parameter: Parameter | None
    note: str = ""


def _base_or_problem(parameter: Parameter, study: Study) -> str | None:
    """None if the parameter has one base value on ``study``, else why not (its targets differ)."""
    try:
        parameter.base(study)
    except StudyError as error:
        return "; ".join(message for _, _, message in error.problems)
    return None


def _per_target(study: Study, factory: Callable[..., Parameter], targets: Sequence[str], what: str) -> list[FittedParameter]:
    """One parameter for all targets when they share the base value, else one per target."""
    together = factory()
    if not targets or _base_or_problem(together, study) is None:
        return [FittedParameter(together.name, together)]
    fitted = []
    for target in targets:
        one = factory(target)
        named = dataclasses.replace(one, name=f"{one.name} ({target})")
        fitted.append(FittedParameter(named.name, named, f"{what} differ in this value: this row varies {target!r} only"))
    return fitted


def _grid_region(study: Study) -> list[FittedParameter]:
    """The grid region of every datacenter not linked to a grid activity; the linked ones are named."""
    linked = [name for name, dc in study.datacenters.items() if dc.electricity_activity is not None]
    free = [name for name in study.datacenters if name not in linked]
    kept = "; ".join(f"datacenter {name!r} keeps its linked grid {describe_link(study.datacenters[name].electricity_activity)}"
                     for name in linked)
    if not free:
        return [FittedParameter("grid region", None, f"not varied: {kept} (a linked grid is never swapped for a catalog grid)")]
    if not linked:
        return _per_target(study, P.grid_region, free, "the datacenters")
    narrowed = P.grid_region(free)
    if _base_or_problem(narrowed, study) is None:
        return [FittedParameter(narrowed.name, narrowed, kept)]
    return [FittedParameter(f"grid region ({name})", dataclasses.replace(P.grid_region(name), name=f"grid region ({name})"),
                            f"the datacenters' grid regions differ: this row varies {name!r} only; {kept}")
            for name in free]


def study_parameters(study: Study) -> list[FittedParameter]:
    """The eight standard parameters (``sensitivity.default_parameters``) fitted to ``study``."""
    hardware, datacenters = list(study.hardware), list(study.datacenters)
    fitted = [FittedParameter("lifetime queries", P.lifetime_queries())]
    fitted += _per_target(study, P.lifespan_years, hardware, "the hardware entries")
    fitted += _per_target(study, P.utilization, hardware, "the hardware entries")
    fitted += _per_target(study, P.pue, datacenters, "the datacenters")
    fitted += _per_target(study, P.wue, datacenters, "the datacenters")
    fitted += _grid_region(study)
    fitted += [FittedParameter("batch size", P.batch_size()), FittedParameter("training energy", P.training_energy_factor())]
    return fitted


def _problem(study: Study, parameter: Parameter, value: Any) -> str | None:
    """None if the study is valid with ``parameter`` at ``value``, else the schema's message."""
    try:
        study_with(study, {parameter: value})
    except StudyError as error:
        return "; ".join(f"{path} = {bad!r}: {message}" for path, bad, message in error.problems)
    return None


def _nice(value: float, valid: Callable[[float], bool]) -> float:
    """``value`` rounded to three significant digits if that is still valid (a readable end)."""
    if value == 0.0 or not math.isfinite(value):
        return value
    rounded = float(f"{value:.3g}")
    return rounded if valid(rounded) else value


def narrowed_end(study: Study, parameter: Parameter, base: float, end: float) -> tuple[float | None, str]:
    """The valid value nearest to ``end`` between ``base`` (valid) and ``end``, and a note.

    Validity is taken to be one interval around the base (true of every range rule in the schema);
    the boundary is found by bisection, on a log scale when both values are positive.
    """
    problem = _problem(study, parameter, end)
    if problem is None:
        return end, ""
    log = base > 0 and end > 0

    def valid(value: float) -> bool:
        return _problem(study, parameter, value) is None

    good, bad = base, end
    for _ in range(BISECTION_STEPS):
        middle = math.sqrt(good * bad) if log else (good + bad) / 2.0
        if valid(middle):
            good = middle
        else:
            bad = middle
    if good == base:
        return None, f"not varied: {problem}"
    good = _nice(good, valid)
    return good, f"{end:g} is outside the valid range ({problem}): narrowed to {good:g}"
