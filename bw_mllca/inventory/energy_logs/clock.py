"""Time stamps of power logs: the zone of a wall clock, the unit of a Unix clock, and clock jumps.

nvidia-smi prints local wall-clock time without a zone ("2024/11/03 01:30:00.000"). Reading it in
the zone of the machine that reads the log would make the result depend on that machine (a log
across a DST change is one hour longer or shorter under another TZ). The zone of the clock that
wrote the log is therefore an option, `tz`, UTC by default; times a zone does not have (the hour
skipped in spring) are refused, and the repeated autumn hour is resolved by the order of samples.

NVML logs carry Unix time in seconds, but scripts often write `time.time_ns()` or milliseconds.
Read as seconds, that multiplies energy by 1,000 or more, so the unit is checked by magnitude
(absolute times) and by sampling interval (relative times).
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ...scope.time_zones import zone_problem
from .measurement import EnergyLogError

log = logging.getLogger(__name__)

DEFAULT_TZ = "UTC"
TIME_UNITS: dict[str, float] = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
# Unix seconds of 2001-09-09 and 2286-11-20: absolute times in seconds lie between them.
_UNIX_S_LOW, _UNIX_S_HIGH = 1e9, 1e10
# A power log sampled less often than every 5 minutes cannot be integrated into energy; a
# relative clock whose median step is longer than that is most likely in ms (or finer).
MAX_PLAUSIBLE_STEP_S = 300.0
# A forward step this close to a whole number of half hours beyond the usual sampling interval
# is a clock change (DST, a zone change, an NTP correction), not a pause of the job.
_CLOCK_CHANGE_S = 1800.0


def zone(tz: str) -> ZoneInfo:
    """The IANA zone named ``tz`` ("UTC", "Europe/Berlin"); EnergyLogError naming it if unknown."""
    reason = zone_problem(tz)
    if reason:
        raise EnergyLogError(f"option tz = {tz!r}: {reason}")
    return ZoneInfo(tz)


def wall_clock_to_unix(path: str, gpu: int, wall: np.ndarray, tz: str) -> np.ndarray:
    """Unix seconds of wall-clock times ``wall`` (seconds, read as if UTC) of one GPU, in zone ``tz``.

    The samples are in the order they were written: an ambiguous (repeated) hour is resolved by
    that order; a time the zone skips is an EnergyLogError naming the file, GPU and time.
    """
    zone(tz)
    if tz == DEFAULT_TZ:
        return wall
    index = pd.DatetimeIndex(pd.to_datetime(wall, unit="s"))
    try:
        local = index.tz_localize(tz, ambiguous="infer", nonexistent="raise")
    except ValueError as error:
        kind = "a time skipped" if "nonexistent" in str(error).lower() or "does not exist" in str(error).lower() else "an ambiguous time"
        raise EnergyLogError(
            f"{path}: GPU {gpu}: the log has {kind} in tz = {tz!r} (a DST change): "
            "was it written in another zone? give the zone of the machine that wrote it"
        ) from None
    return local.tz_convert("UTC").tz_localize(None).as_unit("us").asi8 / 1e6


def seconds_per_tick(path: str, smallest: float, steps: list[float], time_unit: str | None, notes: list[str]) -> float:
    """Seconds per unit of NVML ``timestamp_s``: from ``time_unit`` if given, else detected.

    smallest: the log's smallest timestamp; steps: each GPU's median sampling step, in the log's
    unit. Absolute times are told apart by magnitude (Unix seconds are about 1e9-1e10,
    milliseconds 1e12, microseconds 1e15, nanoseconds 1e18); relative times (a clock starting
    near 0) by sampling step, refused when the step is implausibly long for seconds.
    """
    step = float(np.median(steps)) if steps else 0.0
    if time_unit is not None:
        if time_unit not in TIME_UNITS:
            raise EnergyLogError(f"option time_unit must be one of {list(TIME_UNITS)}, got {time_unit!r}")
        factor = TIME_UNITS[time_unit]
        if smallest * factor > _UNIX_S_HIGH:
            raise EnergyLogError(
                f"{path}: 'timestamp_s' with time_unit = {time_unit!r} starts at {smallest * factor:.4g} s, after "
                "the year 2286: a finer unit ('ms', 'us', 'ns')?"
            )
        return factor
    if smallest > _UNIX_S_HIGH:
        unit = next((u for u in ("ms", "us", "ns") if smallest * TIME_UNITS[u] <= _UNIX_S_HIGH), None)
        if unit is None:
            raise EnergyLogError(f"{path}: 'timestamp_s' starts at {smallest:.4g}: too large for Unix time in s, ms, us or ns")
        factor = TIME_UNITS[unit]
        note = (
            f"'timestamp_s' read as {unit}: its values (from {smallest:.4g}) are Unix time in {unit}, not seconds "
            f"(sampling every {step * factor:.3g} s)"
        )
        log.info("%s: %s", path, note)
        notes.append(note)
        return factor
    if smallest < _UNIX_S_LOW and step > MAX_PLAUSIBLE_STEP_S:
        raise EnergyLogError(
            f"{path}: 'timestamp_s' is a relative clock with a median sampling step of {step:.4g}: as seconds "
            f"that is longer than {MAX_PLAUSIBLE_STEP_S:g} s, so it is most likely milliseconds or finer; "
            "give time_unit = 'ms', 'us' or 'ns' (or 's' if it really is seconds)"
        )
    return 1.0


def clock_jumps(steps_s: np.ndarray, median_step_s: float) -> np.ndarray:
    """Indices of the forward steps that look like a clock change: longer than the usual step by
    about a whole number of half hours (within two sampling steps)."""
    excess = steps_s - median_step_s
    whole = np.round(excess / _CLOCK_CHANGE_S)
    tolerance = max(2.0 * median_step_s, 1.0)
    return np.flatnonzero((whole >= 1) & (np.abs(excess - whole * _CLOCK_CHANGE_S) <= tolerance))
