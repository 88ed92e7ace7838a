"""Problems with a study's estimate tables, reported with the rest of the study's problems on load."""

from __future__ import annotations

from ..errors import StudyError
from .fields import StageEstimate, UseEstimate

Problem = tuple[str, object, str]


def stage_estimate_problems(path: str, estimate: StageEstimate, accelerator: str | None) -> list[Problem]:
    """The stage at ``path`` cannot be estimated: no peak throughput for its accelerator and precision."""
    if estimate.peak_tflops is not None:
        return []
    if accelerator is None:
        return [(f"{path}.estimate.peak_tflops", None, "the stage's hardware names no catalog accelerator: give peak_tflops")]
    from .compute import peak_throughput

    try:
        peak_throughput(accelerator, estimate.precision)
    except StudyError as error:
        return [(f"{path}.{field}", value, message) for field, value, message in error.problems]
    return []


def use_estimate_problems(estimate: UseEstimate) -> list[Problem]:
    """EcoLogits missing, or the model not in its repository."""
    from .inference import model_parameters, _ecologits

    try:
        _ecologits()
        if estimate.model is not None:
            model_parameters(estimate.model, estimate.provider)
    except StudyError as error:
        return list(error.problems)
    return []
