"""Time-varying grid intensity: an hourly carbon-intensity series per datacenter, each job's
electricity weighted by the hours it ran.

Only the climate-change indicators follow the series (carbon intensity only, kg CO2e per kWh at
the meter, life-cycle); every other category keeps the catalog's annual mix. Each value holds from
its time stamp to the next (the last one for one hour); outside the series the catalog's intensity
applies. A job's mean intensity is the difference of the series' running integral at its end and
start, so any number of jobs is one interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import StudyError

NS_PER_H = 3.6e12


@dataclass(frozen=True)
class HourlyIntensity:
    """Running integral of (series - catalog) intensity, kg CO2e/kWh x hours, at the series' steps."""

    times_ns: np.ndarray  # UTC nanoseconds: each step's start, and the end of the last
    integral: np.ndarray  # at each of ``times_ns``
    source: str

    def mean_excess(self, start: pd.Series, end: pd.Series) -> np.ndarray:
        """Mean (series - catalog) intensity over each job's run, kg CO2e per kWh at the meter."""
        s = _ns(start)
        e = _ns(end)
        area = np.interp(e, self.times_ns, self.integral) - np.interp(s, self.times_ns, self.integral)
        hours = (e - s) / NS_PER_H
        return np.divide(area, hours, out=np.zeros(len(s)), where=hours > 0)


def _ns(times: pd.Series) -> np.ndarray:
    return times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]").astype(np.int64).astype(np.float64)


def read_hourly(path: Path, catalog_kg_per_kwh: float) -> HourlyIntensity:
    """Read a CSV with columns ``hour`` (ISO 8601, UTC unless an offset is given) and
    ``kg_co2e_per_kwh`` (at the meter); problems name the file, line and value."""
    where = str(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise StudyError([("hourly_grid file", where, f"cannot be read: {error}")], where) from None
    missing = [c for c in ("hour", "kg_co2e_per_kwh") if c not in table.columns]
    if missing or not len(table):
        raise StudyError([("hourly_grid file", where, f"needs rows and the columns hour, kg_co2e_per_kwh (missing {missing})")], where)
    hours = pd.to_datetime(table["hour"], utc=True, errors="coerce", format="ISO8601")
    values = pd.to_numeric(table["kg_co2e_per_kwh"], errors="coerce")
    problems = [(f"{where}:{i + 2} hour", table["hour"][i], "not a date and time") for i in np.flatnonzero(hours.isna())]
    problems += [(f"{where}:{i + 2} kg_co2e_per_kwh", table["kg_co2e_per_kwh"][i], "not a number >= 0")
                 for i in np.flatnonzero(values.isna() | (values < 0))]
    if not problems and not hours.is_monotonic_increasing or hours.duplicated().any():
        problems.append((f"{where} hour", "...", "time stamps must increase (one value per hour)"))
    if problems:
        raise StudyError(problems, where)
    t = _ns(hours)
    t = np.append(t, t[-1] + NS_PER_H)
    excess = values.to_numpy(np.float64) - catalog_kg_per_kwh
    integral = np.concatenate([[0.0], np.cumsum(excess * np.diff(t) / NS_PER_H)])
    return HourlyIntensity(t, integral, where)
