"""Reader for Zeus (ml-energy/zeus) measurements.

CSV: `ZeusMonitor(log_file=...)` writes, per ended window (zeus 0.16 `zeus/monitor/energy.py`):
    start_time,window_name,elapsed_time,gpu0_energy,gpu1_energy,...
with `start_time` in Unix seconds, `elapsed_time` in seconds and `gpu<i>_energy` in joules per
monitored GPU index. Only GPU energy is logged there.

JSON: a `zeus.monitor.Measurement` serialised with `dataclasses.asdict`, alone, in a list, or in
an object keyed by window name:
    {"time": s, "gpu_energy": {"0": J, ...}, "cpu_energy": {"0": J} | null, "dram_energy": ... | null}
CPU and DRAM energy (RAPL, J) are added when present; `soc_energy` is not read.

Windows with different names may nest (an "epoch" window around "step" windows): summing them
would count energy twice, so overlapping windows with different names are refused unless one
name is chosen with `window=`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .measurement import EnergyLogError, EnergyMeasurement
from .tables import J_PER_KWH, S_PER_H, read_json, read_table, to_float, short

_GPU_COLUMN = re.compile(r"^gpu(\d+)_energy$")


@dataclass
class _Window:
    name: str
    start_s: float | None
    elapsed_s: float
    gpu_j: dict[int, float]
    other_j: dict[str, float] = field(default_factory=dict)


def read_zeus(path: str | Path, *, window: str | None = None) -> EnergyMeasurement:
    """Read a Zeus CSV log or JSON Measurement(s); kWh summed over the selected windows.

    window: only windows with this name (default: all, refused if differently named windows
    overlap in time).
    """
    p = Path(path)
    windows = _json_windows(p) if p.suffix.lower() == ".json" else _csv_windows(p)
    if window is not None:
        names = sorted({w.name for w in windows})
        windows = [w for w in windows if w.name == window]
        if not windows:
            raise EnergyLogError(f"{p}: no window named {window!r}; windows present: {names}")
    _refuse_nested(p, windows)

    gaps: list[str] = []
    energy_j = gpu_j = 0.0
    accel_s = elapsed_s = 0.0
    by_window: dict[str, float] = defaultdict(float)
    zero_gpus: set[int] = set()
    has_cpu = False
    for w in windows:
        w_j = sum(w.gpu_j.values()) + sum(w.other_j.values())
        energy_j += w_j
        gpu_j += sum(w.gpu_j.values())
        has_cpu = has_cpu or bool(w.other_j)
        accel_s += w.elapsed_s * len(w.gpu_j)
        elapsed_s += w.elapsed_s
        by_window[w.name] += w_j / J_PER_KWH
        zero_gpus |= {gpu for gpu, j in w.gpu_j.items() if j == 0.0 and w.elapsed_s > 0}
    if zero_gpus:
        gaps.append(
            f"GPU(s) {sorted(zero_gpus)} read 0 J in some window: the window was shorter than the "
            "NVML energy counter's update period (Zeus approx_instant_energy was off)"
        )
    if not has_cpu:
        gaps.append("GPU energy only: Zeus logged no CPU/DRAM energy, the rest of the node is not in this log")
    return EnergyMeasurement(
        it_energy_kwh=energy_j / J_PER_KWH,
        accelerator_hours=accel_s / S_PER_H,
        duration_hours=elapsed_s / S_PER_H,
        measured=True,
        source_format="zeus",
        source_path=str(p),
        gaps=tuple(gaps),
        by_task=dict(by_window),
    )


def _csv_windows(path: Path) -> list[_Window]:
    table = read_table(path)
    table.require("window_name", "elapsed_time")
    gpu_columns = {int(m.group(1)): c for c in table.columns if (m := _GPU_COLUMN.match(c))}
    if not gpu_columns:
        raise EnergyLogError(
            f"{table.path}: no 'gpu<i>_energy' column (joules per GPU); header has {short(list(table.columns))}"
        )
    windows = []
    for line, row in zip(table.line_numbers, table.rows):
        where = f"line {line}"
        start = to_float(row["start_time"], path=table.path, field="start_time", where=where) if "start_time" in row else None
        windows.append(
            _Window(
                name=row["window_name"],
                start_s=start,
                elapsed_s=to_float(row["elapsed_time"], path=table.path, field="elapsed_time", where=where),
                gpu_j={i: to_float(row[c], path=table.path, field=c, where=where) for i, c in gpu_columns.items()},
            )
        )
    return windows


def _json_windows(path: Path) -> list[_Window]:
    data = read_json(path)
    if isinstance(data, dict) and "gpu_energy" in data:
        items: list[tuple[str, Any]] = [("measurement", data)]
    elif isinstance(data, list):
        items = [(str(item.get("window", f"measurement {i}")) if isinstance(item, dict) else str(i), item) for i, item in enumerate(data)]
    elif isinstance(data, dict):
        items = list(data.items())
    else:
        raise EnergyLogError(f"{path}: expected a Zeus Measurement object, a list or a dict of them; got {type(data).__name__}")
    windows = []
    for name, item in items:
        if not isinstance(item, dict) or "time" not in item or "gpu_energy" not in item:
            raise EnergyLogError(f"{path}: window {name!r}: expected keys 'time' (s) and 'gpu_energy' (J per GPU), got {short(item)}")
        where = f"window {name!r}"
        windows.append(
            _Window(
                name=name,
                start_s=None,
                elapsed_s=to_float(item["time"], path=str(path), field="time", where=where),
                gpu_j=_energy_map(path, item["gpu_energy"], "gpu_energy", where),
                other_j={
                    f"{key}:{k}": v
                    for key in ("cpu_energy", "dram_energy")
                    if item.get(key)
                    for k, v in _energy_map(path, item[key], key, where).items()
                },
            )
        )
    return windows


def _energy_map(path: Path, raw: Any, key: str, where: str) -> dict[int, float]:
    if not isinstance(raw, dict):
        raise EnergyLogError(f"{path}: {key!r} {where}: expected a mapping of device index to joules, got {short(raw)}")
    out = {}
    for index, joules in raw.items():
        try:
            device = int(index)
        except (TypeError, ValueError):
            raise EnergyLogError(f"{path}: {key!r} {where}: device index {index!r} is not an integer") from None
        out[device] = to_float(joules, path=str(path), field=f"{key}[{index}]", where=where)
    return out


def _refuse_nested(path: Path, windows: list[_Window]) -> None:
    names = {w.name for w in windows}
    if len(names) < 2:
        return
    timed = sorted((w.start_s, w.start_s + w.elapsed_s, w.name) for w in windows if w.start_s is not None)
    open_windows: list[tuple[float, str]] = []
    for start, end, name in timed:
        open_windows = [(e, n) for e, n in open_windows if e > start + 1e-9]
        for _, other in open_windows:
            if other != name:
                first, second = sorted((other, name))
                raise EnergyLogError(
                    f"{path}: windows {first!r} and {second!r} overlap in time (nested windows); summing "
                    "them would count energy twice - choose one with window=..."
                )
        open_windows.append((end, name))
