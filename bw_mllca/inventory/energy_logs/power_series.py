"""Reader for GPU power time series: `nvidia-smi` CSV and a plain NVML log.

nvidia-smi: `nvidia-smi --query-gpu=timestamp,index,power.draw --format=csv -lms 1000` writes
    timestamp, index, power.draw [W]
    2024/05/01 12:00:00.123, 0, 312.45 W
(`--format=csv,nounits` drops the " W" from values; the header keeps "[W]"). The power column may
also be `power.draw.average [W]` or `power.draw.instant [W]`; GPUs that do not report power write
`[N/A]` (or `[Not Supported]`).

Plain NVML log (what `bw_mllca.inventory.tracker` writes with backend="nvml"):
    timestamp_s,gpu_index,power_w
with Unix seconds and watts (nvmlDeviceGetPowerUsage returns mW: divide by 1000 before writing).

Energy is the trapezoid integral of power over time, per GPU, summed; accelerator-hours are the
sum over GPUs of the time each GPU's samples cover. An interval longer than `max_gap_s` (default
5 x that GPU's median interval) is a gap: it is bridged by linear interpolation (and the result
marked not fully measured), dropped from energy and time (`on_gap="exclude"`), or refused
(`on_gap="error"`). Timestamps that go backwards or repeat for a GPU are an error.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from .measurement import EnergyLogError, EnergyMeasurement
from .tables import J_PER_KWH, S_PER_H, Table, read_table, to_float

_NA_VALUES = frozenset({"[n/a]", "n/a", "[not supported]", "[unknown error]", "[gpu is lost]"})
_POWER_COLUMN = re.compile(r"^(power\.draw(?:\.average|\.instant)?)\s*(?:\[(?P<unit>[^\]]*)\])?$")
_VALUE_UNIT = re.compile(r"^(?P<number>[-+0-9.eE]+)\s*(?P<unit>[A-Za-z]*)$")
_SMI_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
GAP_POLICIES = ("interpolate", "exclude", "error")


def read_power_series(
    path: str | Path,
    *,
    gpu_indices: Iterable[int] | None = None,
    max_gap_s: float | None = None,
    on_gap: str = "interpolate",
) -> EnergyMeasurement:
    """Integrate a GPU power log (nvidia-smi CSV or plain NVML CSV) into kWh and GPU-hours.

    gpu_indices: only these GPU indices (default: every GPU in the log).
    max_gap_s: sampling interval in seconds above which an interval is a gap
        (default: 5 x the median interval of each GPU).
    on_gap: "interpolate" (default), "exclude" or "error", see the module docstring.
    """
    if on_gap not in GAP_POLICIES:
        raise EnergyLogError(f"option on_gap must be one of {GAP_POLICIES}, got {on_gap!r}")
    if max_gap_s is not None and not max_gap_s > 0:
        raise EnergyLogError(f"option max_gap_s must be > 0 seconds, got {max_gap_s!r}")
    table = read_table(path)
    if "timestamp_s" in table.columns or "power_w" in table.columns or any("power_mw" in c for c in table.columns):
        series, fmt = _nvml_series(table), "nvml"
    else:
        series, fmt = _smi_series(table), "nvidia-smi"
    gaps = list(series.notes)
    samples = series.samples
    if gpu_indices is not None:
        wanted = {int(i) for i in gpu_indices}
        missing = wanted - set(samples)
        if missing:
            raise EnergyLogError(f"{table.path}: gpu_indices {sorted(missing)} not in the log; GPUs present: {sorted(samples)}")
        samples = {gpu: s for gpu, s in samples.items() if gpu in wanted}
    for gpu, reason in series.unreadable.items():
        if gpu in samples and not samples[gpu]:
            raise EnergyLogError(
                f"{table.path}: GPU {gpu} has no power reading ({reason}); this GPU does not report "
                f"power draw - leave it out with gpu_indices={sorted(g for g in samples if g != gpu)}"
            )
    energy_j = covered_s = 0.0
    starts: list[float] = []
    ends: list[float] = []
    measured = True
    by_gpu: dict[str, float] = {}
    for gpu in sorted(samples):
        points = samples[gpu]
        if len(points) < 2:
            raise EnergyLogError(f"{table.path}: GPU {gpu} has {len(points)} power sample(s); at least 2 are needed to integrate")
        result = _integrate(table.path, gpu, points, max_gap_s, on_gap)
        energy_j += result.energy_j
        covered_s += result.covered_s
        starts.append(points[0][0])
        ends.append(points[-1][0])
        by_gpu[f"gpu{gpu}"] = result.energy_j / J_PER_KWH
        if result.notes:
            gaps.extend(result.notes)
            measured = measured and on_gap != "interpolate"
    gaps.append("GPU board power only: CPU, RAM and the rest of the node are not in this log")
    return EnergyMeasurement(
        it_energy_kwh=energy_j / J_PER_KWH,
        accelerator_hours=covered_s / S_PER_H,
        duration_hours=(max(ends) - min(starts)) / S_PER_H,
        measured=measured,
        source_format=fmt,
        source_path=table.path,
        gaps=tuple(gaps),
        by_task=by_gpu,
    )


class _Series:
    def __init__(self) -> None:
        self.samples: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.unreadable: dict[int, str] = {}
        self.notes: list[str] = []


class _Integral:
    def __init__(self, energy_j: float, covered_s: float, notes: list[str]) -> None:
        self.energy_j, self.covered_s, self.notes = energy_j, covered_s, notes


def _nvml_series(table: Table) -> _Series:
    for column in table.columns:
        if "mw" in column.lower():
            raise EnergyLogError(
                f"{table.path}: column {column!r} is in mW; expected 'power_w' in watts "
                "(nvmlDeviceGetPowerUsage returns mW: divide by 1000)"
            )
    table.require("timestamp_s", "gpu_index", "power_w")
    series = _Series()
    for line, row in zip(table.line_numbers, table.rows):
        where = f"line {line}"
        gpu = _gpu_index(table, row["gpu_index"], "gpu_index", where)
        if row["power_w"].strip().lower() in _NA_VALUES:
            _note_unreadable(series, gpu, row["power_w"], line)
            continue
        t = to_float(row["timestamp_s"], path=table.path, field="timestamp_s", where=where)
        p = to_float(row["power_w"], path=table.path, field="power_w", where=where)
        series.samples[gpu].append((t, p))
    _summarise_unreadable(series)
    return series


def _smi_series(table: Table) -> _Series:
    power_columns = [(c, m) for c in table.columns if (m := _POWER_COLUMN.match(c))]
    if not power_columns:
        raise EnergyLogError(
            f"{table.path}: no power column; expected 'power.draw [W]' (nvidia-smi "
            f"--query-gpu=timestamp,index,power.draw --format=csv) or 'power_w' (NVML log); header has {list(table.columns)}"
        )
    column, match = power_columns[0]
    header_unit = match.group("unit")
    if header_unit is not None and header_unit.strip() != "W":
        raise EnergyLogError(f"{table.path}: column {column!r} is in {header_unit!r}; expected watts '[W]'")
    table.require("timestamp", "index")
    series = _Series()
    for line, row in zip(table.line_numbers, table.rows):
        where = f"line {line}"
        gpu = _gpu_index(table, row["index"], "index", where)
        raw = row[column]
        if raw.strip().lower() in _NA_VALUES:
            _note_unreadable(series, gpu, raw, line)
            continue
        t = _smi_time(table, row["timestamp"], where)
        series.samples[gpu].append((t, _watts(table, column, raw, where)))
    _summarise_unreadable(series)
    return series


def _watts(table: Table, column: str, raw: str, where: str) -> float:
    match = _VALUE_UNIT.match(raw.strip())
    if not match:
        raise EnergyLogError(f"{table.path}: {column!r} {where}: expected watts like '312.45 W', got {raw!r}")
    unit = match.group("unit")
    if unit not in ("", "W"):
        raise EnergyLogError(f"{table.path}: {column!r} {where}: value {raw!r} is in {unit!r}; expected 'W'")
    return to_float(match.group("number"), path=table.path, field=column, where=where)


def _smi_time(table: Table, raw: str, where: str) -> float:
    for fmt in _SMI_TIME_FORMATS:
        try:
            return datetime.strptime(raw.strip(), fmt).timestamp()
        except ValueError:
            continue
    raise EnergyLogError(f"{table.path}: 'timestamp' {where}: expected 'YYYY/MM/DD HH:MM:SS.mmm', got {raw!r}")


def _gpu_index(table: Table, raw: str, column: str, where: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise EnergyLogError(f"{table.path}: {column!r} {where}: expected a GPU index (integer), got {raw!r}") from None


def _note_unreadable(series: _Series, gpu: int, raw: str, line: int) -> None:
    series.unreadable.setdefault(gpu, f"value {raw!r} from line {line}")
    series.samples.setdefault(gpu, [])


def _summarise_unreadable(series: _Series) -> None:
    for gpu, reason in series.unreadable.items():
        if series.samples.get(gpu):
            series.notes.append(f"GPU {gpu}: some power samples unreadable ({reason}); skipped, the time around them is bridged")


def _integrate(path: str, gpu: int, points: list[tuple[float, float]], max_gap_s: float | None, on_gap: str) -> _Integral:
    intervals = []
    for (t0, p0), (t1, p1) in zip(points, points[1:]):
        if t1 <= t0:
            raise EnergyLogError(
                f"{path}: GPU {gpu}: timestamps not increasing ({t0!r} then {t1!r}); "
                "the log must be in time order without repeats"
            )
        intervals.append((t1 - t0, 0.5 * (p0 + p1) * (t1 - t0), t0))
    limit = max_gap_s if max_gap_s is not None else 5.0 * statistics.median(dt for dt, _, _ in intervals)
    energy_j = covered_s = 0.0
    gap_count = 0
    gap_s = gap_j = 0.0
    for dt, e, t0 in intervals:
        if dt > limit:
            gap_count += 1
            gap_s += dt
            gap_j += e
            if on_gap == "error":
                raise EnergyLogError(f"{path}: GPU {gpu}: gap of {dt:.3f} s after t={t0!r} exceeds max_gap_s = {limit:.3f} s")
            if on_gap == "exclude":
                continue
        energy_j += e
        covered_s += dt
    notes = []
    if gap_count:
        action = "bridged by linear interpolation" if on_gap == "interpolate" else "left out of energy and time"
        notes.append(
            f"GPU {gpu}: {gap_count} gap(s) longer than max_gap_s = {limit:.3f} s, {gap_s:.3f} s in all "
            f"({gap_j / J_PER_KWH:.6g} kWh), {action}"
        )
    return _Integral(energy_j, covered_s, notes)
