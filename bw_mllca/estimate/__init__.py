"""Footprints before anything runs: stage compute and energy from model size, tokens and hardware.

- ``compute``: training (6 N D) and forward (2 N D) FLOPs, peak throughput by precision from the
  hardware catalog, MFU and its published range, accelerator-hours;
- ``stages``: a development stage's accelerator-hours and IT energy from its ``estimate`` table;
- ``inference``: IT energy per request by EcoLogits' method (optional dependency ``ecologits``);
- ``fields``: the study's ``estimate`` tables; ``checks``: their problems on load.
"""

from .compute import (
    MFU_PUBLISHED_RANGE,
    accelerator_hours,
    compute_flops,
    distillation_teacher_flops,
    mfu_range,
    peak_throughput,
)

__all__ = ["MFU_PUBLISHED_RANGE", "accelerator_hours", "compute_flops", "distillation_teacher_flops",
           "mfu_range", "peak_throughput"]
