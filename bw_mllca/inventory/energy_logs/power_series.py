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

Time stamps (`clock.py`): nvidia-smi's have no zone and are read in `tz` (default "UTC"), the zone
of the machine that wrote the log, never in the zone of the machine that reads it. A step that
looks like a clock change (about a whole number of half hours longer than the usual step: DST, a
zone change) is refused unless `on_clock_jump="gap"` treats it as an ordinary gap. NVML
`timestamp_s` in ms, us or ns is detected and converted with a note, or refused when it cannot be
told (give `time_unit=`).

The log is read in chunks of `CHUNK_ROWS` rows (pandas): memory holds two numbers per sample, not
the file's text, so a log of gigabytes is read in a fraction of its size.
"""


from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .clock import DEFAULT_TZ, clock_jumps, seconds_per_tick, wall_clock_to_unix, zone
from .measurement import EnergyLogError, EnergyMeasurement
from .tables import J_PER_KWH, S_PER_H, check_file, short

_NA_VALUES = frozenset({"[n/a]", "n/a", "[not supported]", "[unknown error]", "[gpu is lost]"})
_POWER_COLUMN = re.compile(r"^(power\.draw(?:\.average|\.instant)?)\s*(?:\[(?P<unit>[^\]]*)\])?$")
_VALUE_UNIT = r"^(?P<number>[-+0-9.eE]+)\s*(?P<unit>[A-Za-z]*)$"
_SMI_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
GAP_POLICIES = ("interpolate", "exclude", "error")
CLOCK_JUMP_POLICIES = ("error", "gap")
#: Rows parsed at a time: memory holds this many rows of text, and 20 bytes per sample read.
CHUNK_ROWS = 50_000


def read_power_series(
    path: str | Path,
    *,
    gpu_indices: Iterable[int] | None = None,
    max_gap_s: float | None = None,
    on_gap: str = "interpolate",
    tz: str = DEFAULT_TZ,
    time_unit: str | None = None,
    on_clock_jump: str = "error",
) -> EnergyMeasurement:
    """Integrate a GPU power log (nvidia-smi CSV or plain NVML CSV) into kWh and GPU-hours.

    gpu_indices: only these GPU indices (default: every GPU in the log).
    max_gap_s: sampling interval in seconds above which an interval is a gap
        (default: 5 x the median interval of each GPU).
    on_gap: "interpolate" (default), "exclude" or "error", see the module docstring.
    tz: IANA zone of the clock that wrote an nvidia-smi log (default "UTC"); NVML logs are Unix time.
    time_unit: unit of NVML `timestamp_s` ("s", "ms", "us", "ns"); default: detected.
    on_clock_jump: "error" (default) or "gap" (a clock-change-like step is an ordinary gap).
    """
    if on_gap not in GAP_POLICIES:
        raise EnergyLogError(f"option on_gap must be one of {GAP_POLICIES}, got {on_gap!r}")
    if on_clock_jump not in CLOCK_JUMP_POLICIES:
        raise EnergyLogError(f"option on_clock_jump must be one of {CLOCK_JUMP_POLICIES}, got {on_clock_jump!r}")
    if max_gap_s is not None and not max_gap_s > 0:
        raise EnergyLogError(f"option max_gap_s must be > 0 seconds, got {max_gap_s!r}")
    zone(tz)
    file = check_file(path)
    name = str(file)
    columns = _header(file)
    is_nvml = "timestamp_s" in columns or "power_w" in columns or any("power_mw" in c for c in columns)
    layout = _nvml_layout(name, columns) if is_nvml else _smi_layout(name, columns)
    series = _read_samples(file, layout)
    fmt = "nvml" if is_nvml else "nvidia-smi"
    if not series.gpus:
        raise EnergyLogError(f"{name}: header {list(columns)} but no data rows")
    gaps = series.unreadable_notes()
    gpus = sorted(series.gpus)
    if gpu_indices is not None:
        wanted = {int(i) for i in gpu_indices}
        missing = wanted - set(gpus)
        if missing:
            raise EnergyLogError(f"{name}: gpu_indices {sorted(missing)} not in the log; GPUs present: {gpus}")
        gpus = [gpu for gpu in gpus if gpu in wanted]
    for gpu in gpus:
        if gpu in series.unreadable and series.count(gpu) == 0:
            raise EnergyLogError(
                f"{name}: GPU {gpu} has no power reading ({series.unreadable[gpu]}); this GPU does not report "
                f"power draw - leave it out with gpu_indices={[g for g in gpus if g != gpu]}"
            )
    seconds = 1.0  # per unit of the log's time stamps
    if is_nvml:
        seconds = _nvml_seconds(name, series, gpus, time_unit, gaps)
    elif time_unit is not None:
        raise EnergyLogError(f"option time_unit applies to NVML logs (timestamp_s); {name} is an nvidia-smi CSV (use tz)")
    energy_j = covered_s = 0.0
    starts: list[float] = []
    ends: list[float] = []
    measured = True
    by_gpu: dict[str, float] = {}
    for gpu in gpus:  # one GPU's samples in memory at a time, besides the chunks' arrays
        times, watts = series.take(gpu)
        if len(times) < 2:
            raise EnergyLogError(f"{name}: GPU {gpu} has {len(times)} power sample(s); at least 2 are needed to integrate")
        times = times * seconds if seconds != 1.0 else times
        if not is_nvml:
            times = wall_clock_to_unix(name, gpu, times, tz)
        result = _integrate(name, gpu, times, watts, max_gap_s, on_gap, on_clock_jump, tz if not is_nvml else None)
        energy_j += result.energy_j
        covered_s += result.covered_s
        starts.append(float(times[0]))
        ends.append(float(times[-1]))
        by_gpu[f"gpu{gpu}"] = result.energy_j / J_PER_KWH
        del times, watts
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
        source_path=name,
        gaps=tuple(gaps),
        by_task=by_gpu,
    )


class _Layout:
    """Which columns hold time, GPU and power, and how their cells read."""

    def __init__(self, time: str, gpu: str, power: str, smi: bool) -> None:
        self.time, self.gpu, self.power, self.smi = time, gpu, power, smi


class _Series:
    """Samples as read, one (GPU index, time in the log's own unit, watts) array triple per chunk:
    about 20 bytes a sample, in blocks large enough to go back to the system when freed."""

    def __init__(self) -> None:
        self.chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.gpus: set[int] = set()
        self.unreadable: dict[int, str] = {}

    def add(self, gpus: np.ndarray, times: np.ndarray, watts: np.ndarray) -> None:
        self.chunks.append((gpus.astype(np.int32), times, watts))
        self.gpus.update(int(g) for g in np.unique(gpus))

    def count(self, gpu: int) -> int:
        return sum(int((g == gpu).sum()) for g, _, _ in self.chunks)

    def take(self, gpu: int) -> tuple[np.ndarray, np.ndarray]:
        """Times and watts of one GPU, in the order of the file."""
        rows = [(t[g == gpu], w[g == gpu]) for g, t, w in self.chunks]
        return np.concatenate([t for t, _ in rows]), np.concatenate([w for _, w in rows])

    def smallest_time(self) -> float:
        return min((float(t.min()) for _, t, _ in self.chunks if len(t)), default=0.0)

    def unreadable_notes(self) -> list[str]:
        return [f"GPU {gpu}: some power samples unreadable ({reason}); skipped, the time around them is bridged"
                for gpu, reason in sorted(self.unreadable.items()) if self.count(gpu)]


class _Integral:
    def __init__(self, energy_j: float, covered_s: float, notes: list[str]) -> None:
        self.energy_j, self.covered_s, self.notes = energy_j, covered_s, notes


def _header(file: Path) -> list[str]:
    try:
        frame = pd.read_csv(file, nrows=0, dtype=str, skipinitialspace=True, encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise EnergyLogError(f"{file}: not UTF-8 text (byte {error.start} of the header)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise EnergyLogError(f"{file}: not a CSV file with a header ({type(error).__name__})") from None
    columns = [str(c).strip() for c in frame.columns]
    if len(set(columns)) != len(columns):
        raise EnergyLogError(f"{file}: duplicate column names in header {short(columns)}")
    return columns


def _require(name: str, columns: list[str], *wanted: str) -> None:
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise EnergyLogError(f"{name}: missing column(s) {', '.join(repr(c) for c in missing)}; header has {short(columns)}")


def _nvml_layout(name: str, columns: list[str]) -> _Layout:
    for column in columns:
        if "mw" in column.lower():
            raise EnergyLogError(
                f"{name}: column {column!r} is in mW; expected 'power_w' in watts "
                "(nvmlDeviceGetPowerUsage returns mW: divide by 1000)"
            )
    _require(name, columns, "timestamp_s", "gpu_index", "power_w")
    return _Layout("timestamp_s", "gpu_index", "power_w", smi=False)


def _smi_layout(name: str, columns: list[str]) -> _Layout:
    power_columns = [(c, m) for c in columns if (m := _POWER_COLUMN.match(c))]
    if not power_columns:
        raise EnergyLogError(
            f"{name}: no power column; expected 'power.draw [W]' (nvidia-smi "
            f"--query-gpu=timestamp,index,power.draw --format=csv) or 'power_w' (NVML log); header has {short(columns)}"
        )
    column, match = power_columns[0]
    header_unit = match.group("unit")
    if header_unit is not None and header_unit.strip() != "W":
        raise EnergyLogError(f"{name}: column {column!r} is in {header_unit!r}; expected watts '[W]'")
    _require(name, columns, "timestamp", "index")
    return _Layout("timestamp", "index", column, smi=True)


def _chunks(file: Path, layout: _Layout) -> Iterator[pd.DataFrame]:
    """The log's rows, CHUNK_ROWS at a time, as stripped text in columns time, gpu, power; the
    index is the file's line number (header on line 1)."""
    try:
        reader = pd.read_csv(
            file, dtype=str, chunksize=CHUNK_ROWS, skipinitialspace=True, encoding="utf-8-sig",
            keep_default_na=False, na_filter=False, skip_blank_lines=False,
        )
        with reader:
            for chunk in reader:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                part = pd.DataFrame({
                    "time": chunk[layout.time].str.strip(),
                    "gpu": chunk[layout.gpu].str.strip(),
                    "power": chunk[layout.power].str.strip(),
                })
                part.index = chunk.index + 2
                yield part[(part["time"] != "") | (part["gpu"] != "") | (part["power"] != "")]
    except UnicodeDecodeError as error:
        raise EnergyLogError(f"{file}: not UTF-8 text (undecodable byte {error.object[error.start:error.start + 1]!r})") from None
    except pd.errors.ParserError as error:
        # pandas names the line and the field counts; the message quotes no content
        reason = str(error).split("C error: ")[-1].strip()
        raise EnergyLogError(f"{file}: not a well-formed CSV: {reason}") from None


def _read_samples(file: Path, layout: _Layout) -> _Series:
    name = str(file)
    series = _Series()
    for chunk in _chunks(file, layout):
        if chunk.empty:
            continue
        gpus = _gpu_indices(name, chunk, layout.gpu)
        unreadable = chunk["power"].str.lower().isin(_NA_VALUES).to_numpy()
        for gpu in np.unique(gpus[unreadable]):
            line = int(chunk.index[unreadable & (gpus == gpu)][0])
            value = chunk["power"].to_numpy()[unreadable & (gpus == gpu)][0]
            series.unreadable.setdefault(int(gpu), f"value {short(value)} from line {line}")
            series.gpus.add(int(gpu))
        readable = chunk[~unreadable]
        gpus = gpus[~unreadable]
        if readable.empty:
            continue
        watts = _smi_watts(name, readable, layout.power) if layout.smi else _numbers(name, readable["power"], "power_w")
        times = _smi_wall_seconds(name, readable) if layout.smi else _numbers(name, readable["time"], "timestamp_s")
        series.add(gpus, times, watts)
    return series


def _first_bad(name: str, values: pd.Series, bad: np.ndarray, field: str, expected: str) -> EnergyLogError:
    line = int(values.index[bad][0])
    return EnergyLogError(f"{name}: {field!r} line {line}: {expected}, got {short(values.to_numpy()[bad][0])}")


def _gpu_indices(name: str, chunk: pd.DataFrame, column: str) -> np.ndarray:
    numbers = _floats(chunk["gpu"])
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers)) | (numbers < 0) | (numbers > 2**31)
    if bad.any():
        raise _first_bad(name, chunk["gpu"], bad, column, "expected a GPU index (integer)")
    return numbers.astype(np.int64)


def _floats(cells: pd.Series) -> np.ndarray:
    """Text cells as float64, NaN where a cell is not a number."""
    try:
        return cells.astype("float64").to_numpy()  # one vectorized cast (pyarrow) when every cell parses
    except (ValueError, TypeError):
        return pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)


def _numbers(name: str, cells: pd.Series, field: str, values: np.ndarray | None = None) -> np.ndarray:
    """Finite numbers >= 0 from text cells, the first bad one named with its line."""
    values = _floats(cells) if values is None else values
    bad = np.isnan(values)
    if bad.any():
        raise _first_bad(name, cells, bad, field, "expected a number")
    bad = ~np.isfinite(values)
    if bad.any():
        raise _first_bad(name, cells, bad, field, "expected a finite number")
    bad = values < 0
    if bad.any():
        raise _first_bad(name, cells, bad, field, "expected a value >= 0")
    return values


def _smi_watts(name: str, chunk: pd.DataFrame, column: str) -> np.ndarray:
    cells = chunk["power"]
    numbers = cells.str.removesuffix("W").str.rstrip()  # "312.45 W" and "312.45" (nounits)
    values = _floats(numbers)
    bad = np.isnan(values)
    if bad.any():  # only the first bad cell is looked at closely
        line = int(chunk.index[bad][0])
        raw = str(cells.to_numpy()[bad][0])
        match = re.match(_VALUE_UNIT, raw)
        if match and match.group("unit") not in ("", "W"):
            raise EnergyLogError(f"{name}: {column!r} line {line}: value {short(raw)} is in {match.group('unit')!r}; expected 'W'")
        raise EnergyLogError(f"{name}: {column!r} line {line}: expected watts like '312.45 W', got {short(raw)}")
    return _numbers(name, numbers, column, values)


def _smi_wall_seconds(name: str, chunk: pd.DataFrame) -> np.ndarray:
    """Wall-clock times as seconds since 1970 read as if UTC (the zone is applied per GPU later)."""
    cells = chunk["time"]
    stamps = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[us]")
    for fmt in _SMI_TIME_FORMATS:
        todo = stamps.isna()
        if not todo.any():
            break
        stamps[todo] = pd.to_datetime(cells[todo], format=fmt, errors="coerce").astype("datetime64[us]")
    bad = stamps.isna().to_numpy()
    if bad.any():
        raise _first_bad(name, cells, bad, "timestamp", "expected 'YYYY/MM/DD HH:MM:SS.mmm'")
    return stamps.to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6


def _nvml_seconds(name: str, series: _Series, gpus: list[int], time_unit: str | None, notes: list[str]) -> float:
    """Seconds per unit of the log's `timestamp_s` (clock.seconds_per_tick)."""
    steps = []
    for gpu in gpus:
        times, _ = series.take(gpu)
        if len(times) > 1:
            steps.append(float(np.median(np.diff(times))))
    return seconds_per_tick(name, series.smallest_time(), steps, time_unit, notes)


def _when(seconds: float, tz: str | None) -> str:
    stamp = pd.Timestamp(seconds, unit="s", tz="UTC")
    if tz is None:
        return f"t = {seconds!r} s"
    return f"{stamp.tz_convert(tz).strftime('%Y-%m-%d %H:%M:%S')} {tz}"


def _integrate(name: str, gpu: int, times: np.ndarray, watts: np.ndarray, max_gap_s: float | None, on_gap: str,
               on_clock_jump: str, tz: str | None) -> _Integral:
    steps = np.diff(times)
    back = np.flatnonzero(steps <= 0)
    if back.size:
        i = int(back[0])
        clock = (f"; nvidia-smi times have no zone and were read in tz = {tz!r}: a clock change (DST)? "
                 "give the zone of the machine that wrote the log") if tz is not None and steps[i] < -60 else ""
        raise EnergyLogError(
            f"{name}: GPU {gpu}: timestamps not increasing ({_when(times[i], tz)} then {_when(times[i + 1], tz)}, "
            f"{steps[i]:+.3f} s); the log must be in time order without repeats{clock}"
        )
    median = float(np.median(steps))
    limit = max_gap_s if max_gap_s is not None else 5.0 * median
    with np.errstate(over="ignore", invalid="ignore"):
        energies = 0.5 * (watts[1:] + watts[:-1]) * steps
    if not np.all(np.isfinite(energies)):
        raise EnergyLogError(f"{name}: GPU {gpu}: power x time overflows (values up to {watts.max():.3g} W): not watts?")
    if on_clock_jump == "error":
        jumps = clock_jumps(steps, median)
        if jumps.size:
            i = int(jumps[0])
            raise EnergyLogError(
                f"{name}: GPU {gpu}: the clock jumps {steps[i]:.3f} s after {_when(times[i], tz)} (sampling every "
                f"{median:.3g} s): a clock change such as DST"
                + (f" (times read in tz = {tz!r}; give the zone that wrote the log)" if tz is not None else "")
                + ", not a pause; if the job really paused, pass on_clock_jump = 'gap'"
            )
    gap = steps > limit
    notes = []
    if gap.any():
        if on_gap == "error":
            i = int(np.flatnonzero(gap)[0])
            raise EnergyLogError(f"{name}: GPU {gpu}: gap of {steps[i]:.3f} s after t={times[i]!r} exceeds max_gap_s = {limit:.3f} s")
        action = "bridged by linear interpolation" if on_gap == "interpolate" else "left out of energy and time"
        notes.append(
            f"GPU {gpu}: {int(gap.sum())} gap(s) longer than max_gap_s = {limit:.3f} s, {float(steps[gap].sum()):.3f} s in all "
            f"({float(energies[gap].sum()) / J_PER_KWH:.6g} kWh), {action}"
        )
    keep = ~gap if on_gap == "exclude" else np.ones_like(gap)
    return _Integral(float(energies[keep].sum()), float(steps[keep].sum()), notes)
