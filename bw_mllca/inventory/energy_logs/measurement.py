"""The result every energy-log reader returns, and the error every reader raises."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


class EnergyLogError(ValueError):
    """An energy log that cannot be read as asked: the message names the file, the field or
    column, and the offending value."""


@dataclass(frozen=True)
class EnergyMeasurement:
    """Energy and accelerator time of one stage, read from a measurement log.

    it_energy_kwh: IT energy in kWh (what the device or node meter saw); a PUE the tool applied
        has been divided out, no PUE is applied here.
    accelerator_hours: sum over accelerators of the hours each was covered by the log; None where
        the format cannot tell.
    duration_hours: wall-clock hours the log covers (summed over runs/jobs/windows that are summed).
    measured: False if any component was estimated rather than metered (CodeCarbon's TDP/RAM
        models, an assumed power per accelerator, an interpolated gap, ...).
    source_format, source_path: which reader read which file.
    tool_pue: PUE the tool had already applied to its own energy column (1.0 if none).
    tool_wue_l_per_kwh: water usage effectiveness the tool recorded, L/kWh (0.0 if none).
    gaps: human-readable notes on what is missing, estimated or assumed.
    by_task: kWh of IT energy per task/stage/window where the log has them.
    """

    it_energy_kwh: float
    accelerator_hours: float | None
    duration_hours: float
    measured: bool
    source_format: str
    source_path: str
    tool_pue: float = 1.0
    tool_wue_l_per_kwh: float = 0.0
    gaps: tuple[str, ...] = ()
    by_task: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        _check_non_negative("it_energy_kwh", self.it_energy_kwh)
        _check_non_negative("duration_hours", self.duration_hours)
        if self.accelerator_hours is not None:
            _check_non_negative("accelerator_hours", self.accelerator_hours)
        _check_non_negative("tool_wue_l_per_kwh", self.tool_wue_l_per_kwh)
        if not (math.isfinite(self.tool_pue) and self.tool_pue >= 1.0):
            raise EnergyLogError(f"tool_pue must be a finite number >= 1.0, got {self.tool_pue!r}")


def _check_non_negative(field: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise EnergyLogError(f"{field} must be a finite number >= 0, got {value!r}")
