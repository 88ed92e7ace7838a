"""A development stage's accelerator-hours and IT energy from its ``estimate`` (model size, tokens, MFU)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import StudyError
from .compute import accelerator_hours, compute_flops, peak_throughput
from .fields import StageEstimate

# Stage kinds whose work is forward passes only (2 N D): the teacher's side of distillation
# (Lambert & Luccioni: synthetic data, logit caching, teacher evaluation) and evaluation.
FORWARD_KINDS = ("distillation: synthetic data generation", "distillation: logit caching",
                 "distillation: teacher evaluation", "evaluation")


@dataclass(frozen=True)
class StageEnergy:
    flops: float
    peak_tflops: float
    accelerator_hours: float
    it_energy_kwh: float  # accelerators at their power plus the host's share, before PUE
    basis: str


def work_of(estimate: StageEstimate, kind: str) -> str:
    """'training' (6 N D) or 'forward' (2 N D): as given, else by the stage's kind."""
    return estimate.work or ("forward" if kind in FORWARD_KINDS else "training")


def estimate_stage(estimate: StageEstimate, kind: str, accelerator: str | None, power_w: float | None,
                   host_power_per_accelerator_w: float) -> StageEnergy:
    """Accelerator-hours = FLOPs / (peak x MFU); IT energy = hours x (accelerator + host power) / 1000.

    ``accelerator``: the catalog code whose peak throughput applies (unless ``estimate.peak_tflops``);
    ``power_w``: the accelerator's average draw (the stage's power_w, else its TDP).
    """
    work = work_of(estimate, kind)
    flops = compute_flops(estimate.parameters, estimate.tokens, work, estimate.active_parameters)
    if estimate.peak_tflops is not None:
        peak, label = estimate.peak_tflops, f"{estimate.peak_tflops:g} TFLOPS (given)"
    else:
        if accelerator is None:
            raise StudyError([("estimate.peak_tflops", None, "the stage's hardware names no catalog accelerator: give peak_tflops")], "estimate")
        found = peak_throughput(accelerator, estimate.precision)
        peak, label = found.tflops, f"{found.tflops:g} TFLOPS {found.precision} ({accelerator})"
    hours = accelerator_hours(flops, peak, estimate.mfu)
    if power_w is None:
        raise StudyError([("power_w", None, "the stage's hardware has no catalog power: give power_w")], "estimate")
    energy = hours * (power_w + host_power_per_accelerator_w) / 1000.0
    n = estimate.active_parameters or estimate.parameters
    factor = 6 if work == "training" else 2
    basis = (f"estimated: {factor} x {n:.4g} parameters x {estimate.tokens:.4g} tokens = {flops:.4g} FLOPs "
             f"/ ({label} x MFU {estimate.mfu:g})")
    return StageEnergy(flops, peak, hours, energy, basis)
