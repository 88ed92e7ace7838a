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

# World electricity generation is about 3e13 kWh a year; no job's log approaches a century of it.
MAX_ENERGY_KWH = 3e15
# A million GPUs for a century.
MAX_HOURS = 1e12

#: Names accepted by `read_energy_log(format=...)`. "nvml" is the plain NVML power log
#: (timestamp_s,gpu_index,power_w), read by the same reader as "nvidia-smi".
FORMATS: tuple[str, ...] = tuple(_READERS)


def read_energy_log(path: str | Path, format: str = "codecarbon", **options: Any) -> EnergyMeasurement:
    """Read an energy log of the given format into an EnergyMeasurement (IT kWh, GPU-hours).

    options are passed to the format's reader (e.g. task= for codecarbon, gpu_indices=, max_gap_s=
    and tz= (the zone of the clock that wrote it, default "UTC") for nvidia-smi, time_unit= for nvml,
    job_id= and power_w= for sacct); an option the reader does not take is an EnergyLogError that
    lists the ones it does. Every error is one line that names the file and quotes none of its lines.
    """
    reader = _READERS.get(format)
    if reader is None:
        raise EnergyLogError(f"unknown energy log format {format!r}; known formats: {list(FORMATS)}")
    accepted = [name for name, p in inspect.signature(reader).parameters.items() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise EnergyLogError(f"format {format!r} does not take option(s) {unknown}; it takes {accepted}")
    try:
        measurement = reader(path, **options)
    except EnergyLogError as error:
        if str(path) in str(error) or str(error).startswith("option "):
            raise
        raise EnergyLogError(f"{path}: {error}") from None  # e.g. EnergyMeasurement's own checks
    except (OverflowError, RecursionError, MemoryError) as error:
        raise EnergyLogError(f"{path}: values too large or nested too deeply to read ({type(error).__name__})") from None
    _check_plausible(str(path), measurement)
    if format == "nvml" and measurement.source_format != "nvml":
        raise EnergyLogError(f"{path}: format 'nvml' expects columns timestamp_s,gpu_index,power_w; this is an nvidia-smi CSV")
    return measurement


def _check_plausible(path: str, measurement: EnergyMeasurement) -> None:
    """Refuse energy and hours beyond any real job: they come from overflowing or mis-scaled
    values, and Brightway would store them at float32 (at most 3.4e38) or as infinity."""
    if measurement.it_energy_kwh > MAX_ENERGY_KWH:
        raise EnergyLogError(
            f"{path}: it_energy_kwh = {measurement.it_energy_kwh:.4g} kWh is more than {MAX_ENERGY_KWH:.0e} kWh "
            "(a century of the world's electricity): values overflow or are in the wrong unit"
        )
    for field, hours in (("accelerator_hours", measurement.accelerator_hours), ("duration_hours", measurement.duration_hours)):
        if hours is not None and hours > MAX_HOURS:
            raise EnergyLogError(f"{path}: {field} = {hours:.4g} h is more than {MAX_HOURS:.0e} h: values overflow or are in the wrong unit")
