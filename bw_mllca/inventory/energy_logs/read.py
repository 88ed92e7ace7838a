"""`read_energy_log`: one entry point that dispatches a log file to the reader of its format."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .boamps import read_boamps
from .codecarbon import read_codecarbon
from .distillation_harness import read_distillation_harness
from .measurement import EnergyLogError, EnergyMeasurement
from .power_series import read_power_series
from .sacct import read_sacct
from .zeus import read_zeus

_READERS: dict[str, Callable[..., EnergyMeasurement]] = {
    "codecarbon": read_codecarbon,
    "nvidia-smi": read_power_series,
    "nvml": read_power_series,
    "zeus": read_zeus,
    "sacct": read_sacct,
    "boamps": read_boamps,
    "distillation-harness": read_distillation_harness,
}

#: Names accepted by `read_energy_log(format=...)`. "nvml" is the plain NVML power log
#: (timestamp_s,gpu_index,power_w), read by the same reader as "nvidia-smi".
FORMATS: tuple[str, ...] = tuple(_READERS)


def read_energy_log(path: str | Path, format: str = "codecarbon", **options: Any) -> EnergyMeasurement:
    """Read an energy log of the given format into an EnergyMeasurement (IT kWh, GPU-hours).

    options are passed to the format's reader (e.g. task= for codecarbon, gpu_indices= and
    max_gap_s= for nvidia-smi, job_id= and power_w= for sacct); an option the reader does not
    take is an EnergyLogError that lists the ones it does.
    """
    reader = _READERS.get(format)
    if reader is None:
        raise EnergyLogError(f"unknown energy log format {format!r}; known formats: {list(FORMATS)}")
    accepted = [name for name, p in inspect.signature(reader).parameters.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise EnergyLogError(f"format {format!r} does not take option(s) {unknown}; it takes {accepted}")
    measurement = reader(path, **options)
    if format == "nvml" and measurement.source_format != "nvml":
        raise EnergyLogError(f"{path}: format 'nvml' expects columns timestamp_s,gpu_index,power_w; this is an nvidia-smi CSV")
    return measurement
