"""Reader for CodeCarbon CSV output: `emissions.csv` (one row per run, or per flush) and the
task files `emissions_<experiment>_<run_id>.csv` written by its task API (`start_task` /
`stop_task`; one row per task, with a `task_name` column).

What this reader relies on, checked in codecarbon 3.3.2's source:

- `energy_consumed`, `cpu_energy`, `gpu_energy`, `ram_energy` are kWh and `duration` is seconds
  (`output_methods/emissions_data.py`, `core/units.py`).
- PUE is already in the energy columns: `BaseEmissionsTracker._do_measurements` multiplies every
  hardware energy by `self._pue` before summing it into `energy_consumed` and the per-component
  columns. The `pue` column (default 1.0) says by how much; IT energy = energy_consumed / pue.
  Task files have no `pue` column: the run's row in `emissions.csv` beside it, or the `pue=`
  option, supplies it.
- `water_consumed` = `wue` x energy_consumed (L, wue in L/kWh of the PUE-scaled energy).
- A run flushed several times (`tracker.flush()`, `on_csv_write="append"`) leaves several rows
  with the same `run_id`, each cumulative since the start: only the last (longest) one counts.
- RAM energy is never metered by CodeCarbon on x86/ARM servers: `ResourceTracker.set_RAM_tracking`
  always uses its RAM power model (5 W per DIMM slot heuristic) or a user constant.
- CPU energy is metered through RAPL / Windows EMI / Power Gadget / powermetrics when available,
  and otherwise estimated (`_setup_fallback_tracking`: TDP x load curve, or 50 % of TDP, or a
  global 85 W TDP constant). The CSV does not record which: the tracker of this package writes a
  sidecar `<log>.bw_mllca.json`, `{"runs": {run_id: {"cpu_mode": ...}}}`, naming CodeCarbon's
  CPU mode per run; without it the caller can say `cpu_measured=True`, otherwise CPU energy is
  reported as estimated.
- GPU energy comes from NVML / AMD SMI energy counters (metered).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from .measurement import EnergyLogError, EnergyMeasurement
from .tables import S_PER_H, Table, optional_float, read_json, read_table, to_float

SIDECAR_SUFFIX = ".bw_mllca.json"

#: CodeCarbon CPU modes (`codecarbon.external.hardware.CPU._mode`) that read an energy meter.
METERED_CPU_MODES = frozenset(
    {"intel_rapl", "windows_emi", "intel_power_gadget", "apple_powermetrics", "raspberry"}
)
#: CodeCarbon CPU modes that estimate power from a TDP table and CPU load.
ESTIMATED_CPU_MODES = frozenset({"cpu_load", "constant"})

# `CPU(mode="constant")` without a TDP match: POWER_CONSTANT 85 W x CONSUMPTION_PERCENTAGE 0.5.
_GLOBAL_CONSTANT_CPU_W = 42.5

_UUID_SUFFIX = re.compile(r"_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def read_codecarbon(
    path: str | Path,
    *,
    task: str | None = None,
    project_name: str | None = None,
    run_id: str | None = None,
    experiment_id: str | None = None,
    pue: float | None = None,
    cpu_measured: bool | None = None,
) -> EnergyMeasurement:
    """Read a CodeCarbon CSV and return IT energy (kWh, PUE divided out) and accelerator-hours.

    task: keep rows whose `task_name` (task files) or `project_name` (emissions.csv) is `task`.
    project_name, run_id, experiment_id: keep rows with that value in that column.
    pue: the PUE CodeCarbon was given, for task files (which do not record it); must agree with
        the `pue` column where there is one.
    cpu_measured: True if CodeCarbon metered the CPU (its log said RAPL/EMI/powermetrics),
        False if it estimated it; None: taken from the sidecar file, else treated as estimated.
    Rows of different runs, projects or tasks that remain after selection are summed.
    """
    table = read_table(path)
    table.require("duration", "energy_consumed")
    is_task_file = "task_name" in table.columns
    rows = _select(table, task=task, project_name=project_name, run_id=run_id, experiment_id=experiment_id)
    gaps: list[str] = []
    if not is_task_file:
        rows = _last_row_per_run(table, rows, gaps)

    sidecar = _read_sidecar(Path(table.path))
    fallback_pue = _pue_for_task_file(table, rows, pue, gaps) if is_task_file else None

    energy_kwh = it_kwh = duration_s = water_l = 0.0
    accelerator_h: float | None = 0.0
    components: dict[str, float] = defaultdict(float)
    by_key: dict[str, float] = defaultdict(float)
    cpu_power_w: list[float] = []
    tracking_modes: set[str] = set()
    for line, row in rows:
        where = f"line {line}"
        energy = to_float(row["energy_consumed"], path=table.path, field="energy_consumed", where=where)
        duration = to_float(row["duration"], path=table.path, field="duration", where=where)
        row_pue = _row_pue(table, row, where, pue, fallback_pue)
        energy_kwh += energy
        it_kwh += energy / row_pue
        duration_s += duration
        for name in ("cpu_energy", "gpu_energy", "ram_energy"):
            value = optional_float(row.get(name), path=table.path, field=name, where=where)
            if value is not None:
                components[name] += value / row_pue
        water = optional_float(row.get("water_consumed"), path=table.path, field="water_consumed", where=where)
        if water is not None:
            water_l += water
        cpu_w = optional_float(row.get("cpu_power"), path=table.path, field="cpu_power", where=where)
        if cpu_w is not None:
            cpu_power_w.append(cpu_w / row_pue)
        gpu_count = optional_float(row.get("gpu_count"), path=table.path, field="gpu_count", where=where)
        if gpu_count is None or accelerator_h is None:
            accelerator_h = None
        else:
            accelerator_h += gpu_count * duration / S_PER_H
        if row.get("tracking_mode"):
            tracking_modes.add(row["tracking_mode"])
        key = row.get("task_name") if is_task_file else row.get("project_name")
        if key:
            by_key[key] += energy / row_pue

    if accelerator_h is None:
        gaps.append("accelerator-hours unknown: no gpu_count in some selected rows")
    elif accelerator_h == 0.0:
        gaps.append("CodeCarbon saw no GPU (gpu_count 0): accelerator-hours are 0")
    component_sum = sum(components.values())
    if components and abs(component_sum - it_kwh) > 1e-3 * max(it_kwh, 1e-12) + 1e-12:
        gaps.append(
            f"cpu_energy + gpu_energy + ram_energy = {component_sum:.6g} kWh differs from "
            f"energy_consumed = {it_kwh:.6g} kWh (IT); energy_consumed is used"
        )
    if "process" in tracking_modes:
        gaps.append(
            "tracking_mode 'process': CPU and RAM energy are CodeCarbon's share for the process, "
            "not the whole machine"
        )
    cpu_mode = _sidecar_cpu_mode(sidecar, [row.get("run_id", "") for _, row in rows])
    measured = _note_estimates(components, cpu_power_w, cpu_measured, cpu_mode, gaps)

    tool_pue = energy_kwh / it_kwh if it_kwh > 0 else _single_pue(table, rows, pue, fallback_pue)
    return EnergyMeasurement(
        it_energy_kwh=it_kwh,
        accelerator_hours=accelerator_h,
        duration_hours=duration_s / S_PER_H,
        measured=measured,
        source_format="codecarbon",
        source_path=table.path,
        tool_pue=max(tool_pue, 1.0),
        tool_wue_l_per_kwh=water_l / energy_kwh if energy_kwh > 0 else _single_wue(table, rows),
        gaps=tuple(gaps),
        by_task=dict(by_key) if (is_task_file or len(by_key) > 1) and by_key else None,
    )


def _select(
    table: Table, *, task: str | None, project_name: str | None, run_id: str | None, experiment_id: str | None
) -> list[tuple[int, dict[str, str]]]:
    rows = list(zip(table.line_numbers, table.rows))
    task_column = "task_name" if "task_name" in table.columns else "project_name"
    filters = [(task_column, task), ("project_name", project_name), ("run_id", run_id), ("experiment_id", experiment_id)]
    for column, wanted in filters:
        if wanted is None:
            continue
        table.require(column)
        available = sorted({row[column] for _, row in rows})
        rows = [(n, row) for n, row in rows if _matches(row[column], wanted, column == "task_name")]
        if not rows:
            raise EnergyLogError(f"{table.path}: no row with {column} = {wanted!r}; values present: {available}")
    return rows


def _matches(value: str, wanted: str, is_task_name: bool) -> bool:
    # CodeCarbon renames a repeated task "<name>_<uuid4>" (EmissionsTracker.start_task).
    return value == wanted or (is_task_name and _UUID_SUFFIX.sub("", value) == wanted)


def _last_row_per_run(
    table: Table, rows: list[tuple[int, dict[str, str]]], gaps: list[str]
) -> list[tuple[int, dict[str, str]]]:
    """Keep, for each run_id, its row with the longest duration (flushed rows are cumulative)."""
    if "run_id" not in table.columns:
        return rows
    best: dict[str, tuple[int, dict[str, str]]] = {}
    counts: dict[str, int] = defaultdict(int)
    for line, row in rows:
        key = row["run_id"] or f"line {line}"
        counts[key] += 1
        duration = to_float(row["duration"], path=table.path, field="duration", where=f"line {line}")
        if key not in best or duration >= float(best[key][1]["duration"]):
            best[key] = (line, row)
    for key, count in counts.items():
        if count > 1:
            gaps.append(f"run {key}: {count} cumulative rows (flushes); only the last one is counted")
    return sorted(best.values(), key=lambda item: item[0])


def _row_pue(table: Table, row: dict[str, str], where: str, option: float | None, fallback: float | None) -> float:
    value = optional_float(row.get("pue"), path=table.path, field="pue", where=where)
    if value is None:
        value = option if option is not None else (fallback if fallback is not None else 1.0)
    elif option is not None and abs(option - value) > 1e-9:
        raise EnergyLogError(
            f"{table.path}: option pue={option!r} contradicts column 'pue' = {value!r} ({where}); "
            "the column says which PUE CodeCarbon already applied"
        )
    if value < 1.0:
        raise EnergyLogError(f"{table.path}: 'pue' {where} must be >= 1.0, got {value!r}")
    return value


def _pue_for_task_file(
    table: Table, rows: list[tuple[int, dict[str, str]]], option: float | None, gaps: list[str]
) -> float | None:
    """PUE for a task file: the option, else the run's row in emissions.csv beside it, else 1.0."""
    if option is not None or "pue" in table.columns:
        return None
    run_ids = {row.get("run_id") for _, row in rows}
    sibling = Path(table.path).with_name("emissions.csv")
    if sibling.is_file() and len(run_ids) == 1:
        try:
            runs = read_table(sibling)
        except EnergyLogError:
            runs = None
        if runs is not None and {"run_id", "pue"} <= set(runs.columns):
            values = {r["pue"] for r in runs.rows if r["run_id"] in run_ids and r["pue"]}
            if len(values) == 1:
                value = values.pop()
                gaps.append(f"pue {value} taken from the run's row in {sibling}")
                return to_float(value, path=str(sibling), field="pue")
    gaps.append("task file records no PUE and none was given (pue=...): assumed CodeCarbon's default 1.0")
    return 1.0


def _single_pue(table: Table, rows: list[tuple[int, dict[str, str]]], option: float | None, fallback: float | None) -> float:
    if not rows:
        return 1.0
    line, row = rows[0]
    return _row_pue(table, row, f"line {line}", option, fallback)


def _single_wue(table: Table, rows: list[tuple[int, dict[str, str]]]) -> float:
    values = {optional_float(row.get("wue"), path=table.path, field="wue") for _, row in rows}
    values.discard(None)
    return float(values.pop()) if len(values) == 1 else 0.0


def _read_sidecar(path: Path) -> dict[str, object]:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    data = read_json(sidecar)  # bounded in size and depth; errors name the sidecar file
    return data if isinstance(data, dict) else {}


def _sidecar_cpu_mode(sidecar: dict[str, object], run_ids: list[str]) -> str | None:
    """The CPU mode the sidecar records for all of `run_ids`, or None if unknown or mixed."""
    runs = sidecar.get("runs")
    if not isinstance(runs, dict) or not run_ids:
        return None
    modes = set()
    for run in run_ids:
        entry = runs.get(run)
        modes.add(entry.get("cpu_mode") if isinstance(entry, dict) else None)
    if len(modes) != 1:
        return None
    mode = modes.pop()
    return mode if isinstance(mode, str) else None


def _note_estimates(
    components: dict[str, float],
    cpu_power_w: list[float],
    cpu_measured: bool | None,
    cpu_mode: str | None,
    gaps: list[str],
) -> bool:
    """Append a note per estimated component; return True only if nothing was estimated."""
    measured = True
    if components.get("ram_energy", 0.0) > 0:
        measured = False
        gaps.append(
            f"RAM: {components['ram_energy']:.6g} kWh estimated by CodeCarbon's RAM power model "
            "(no RAM meter)"
        )
    cpu_kwh = components.get("cpu_energy", 0.0)
    if cpu_kwh > 0:
        if cpu_measured is None and isinstance(cpu_mode, str):
            if cpu_mode in METERED_CPU_MODES:
                cpu_measured = True
            elif cpu_mode in ESTIMATED_CPU_MODES:
                cpu_measured = False
        if cpu_measured is True:
            pass
        elif cpu_power_w and all(abs(w - _GLOBAL_CONSTANT_CPU_W) < 1e-9 for w in cpu_power_w):
            measured = False
            gaps.append(f"CPU: {cpu_kwh:.6g} kWh estimated from CodeCarbon's global constant (85 W TDP x 50 %)")
        elif cpu_measured is False or isinstance(cpu_mode, str):
            measured = False
            how = f"mode {cpu_mode!r}" if isinstance(cpu_mode, str) else "TDP x CPU load model"
            gaps.append(f"CPU: {cpu_kwh:.6g} kWh estimated by CodeCarbon ({how}), not metered")
        else:
            measured = False
            gaps.append(
                f"CPU: {cpu_kwh:.6g} kWh; the CSV does not say whether CodeCarbon read RAPL or used "
                "its TDP-based fallback, so it is treated as estimated (pass cpu_measured=True if "
                "CodeCarbon logged RAPL/EMI/powermetrics tracking)"
            )
    return measured
