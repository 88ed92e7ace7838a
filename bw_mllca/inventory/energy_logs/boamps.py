"""Reader for BoAmps JSON reports (Boavizta's AI energy report format,
https://github.com/Boavizta/BoAmps/tree/main/model, format 0.1).

What it reads: `measures[]` with `powerConsumption` (energy of the task in kWh, despite the name),
`measurementDuration` (s), `measurementMethod`, `cpuTrackingMode`, `gpuTrackingMode`,
`powerCalibrationMeasurement`; `infrastructure.components[]` with `componentType` "gpu" and
`nbComponent` for accelerator-hours. Units as CodeCarbon's BoAmps exporter fills them
(`codecarbon/output_methods/boamps/mapper.py`: powerConsumption = energy_consumed in kWh,
measurementDuration = duration in s) and as the BoAmps examples show.

CodeCarbon's exporter copies `energy_consumed`, which already contains the PUE CodeCarbon was
given, and does not record that PUE: pass `pue=` for such reports (assumed 1.0 otherwise, noted).

A report may hold several measures of the same task (e.g. a software meter and a wattmeter):
they are not summed unless `sum_measures=True`; choose one with `measure=` (index or
measurementMethod).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .measurement import EnergyLogError, EnergyMeasurement
from .tables import S_PER_H, optional_float, read_json, to_float, short

_ESTIMATED_CPU_MODES = frozenset({"constant", "cpu_load", "tdp", "tdp constant", "global constant", "user input tdp constant"})


def read_boamps(
    path: str | Path,
    *,
    measure: int | str | None = None,
    sum_measures: bool = False,
    pue: float | None = None,
) -> EnergyMeasurement:
    """Read a BoAmps report; IT energy in kWh from the chosen measure(s).

    measure: index into `measures`, or a `measurementMethod` value.
    sum_measures: sum all measures (only if they measure disjoint parts of the task).
    pue: the PUE the measuring tool applied (CodeCarbon's `pue`); divided out.
    """
    p = Path(path)
    report = read_json(p)
    if not isinstance(report, dict):
        raise EnergyLogError(f"{p}: expected a BoAmps report object, got {type(report).__name__}")
    measures = report.get("measures")
    if not isinstance(measures, list) or not measures:
        raise EnergyLogError(f"{p}: 'measures' must be a non-empty list, got {short(measures)}")
    chosen = _choose(p, measures, measure, sum_measures)
    if pue is not None and not pue >= 1.0:
        raise EnergyLogError(f"option pue must be >= 1.0, got {pue!r}")

    gaps: list[str] = []
    measured = True
    energy_kwh = duration_s = 0.0
    by_method: dict[str, float] = {}
    for index, m in chosen:
        where = f"measures[{index}]"
        if not isinstance(m, dict):
            raise EnergyLogError(f"{p}: {where} must be an object, got {short(m)}")
        kwh = to_float(m.get("powerConsumption"), path=str(p), field="powerConsumption", where=where)
        seconds = optional_float(m.get("measurementDuration"), path=str(p), field="measurementDuration", where=where)
        if seconds is None:
            gaps.append(f"{where}: no measurementDuration; duration and accelerator-hours count it as 0 s")
            seconds = 0.0
        energy_kwh += kwh
        duration_s += seconds
        method = str(m.get("measurementMethod") or f"measure {index}")
        by_method[method] = by_method.get(method, 0.0) + kwh
        measured = _note_method(m, where, method, gaps) and measured
        calibration = m.get("powerCalibrationMeasurement")
        if calibration:
            gaps.append(f"{where}: powerCalibrationMeasurement {calibration} kWh (idle baseline) is reported, not subtracted")

    tool_pue = 1.0
    if any(str(m.get("measurementMethod", "")).lower() == "codecarbon" for _, m in chosen if isinstance(m, dict)):
        if pue is None:
            gaps.append("CodeCarbon's powerConsumption includes the PUE it was given, which BoAmps does not record: assumed 1.0 (pass pue=...)")
        else:
            tool_pue = pue
    elif pue is not None:
        tool_pue = pue
    it_kwh = energy_kwh / tool_pue
    accelerators = _gpu_count(p, report)
    if accelerators is None:
        gaps.append("infrastructure.components lists no hardware: accelerator-hours unknown")
    return EnergyMeasurement(
        it_energy_kwh=it_kwh,
        accelerator_hours=None if accelerators is None else accelerators * duration_s / S_PER_H,
        duration_hours=duration_s / S_PER_H,
        measured=measured,
        source_format="boamps",
        source_path=str(p),
        tool_pue=tool_pue,
        gaps=tuple(gaps),
        by_task={k: v / tool_pue for k, v in by_method.items()} if len(by_method) > 1 else None,
    )


def _choose(p: Path, measures: list[Any], measure: int | str | None, sum_measures: bool) -> list[tuple[int, Any]]:
    indexed = list(enumerate(measures))
    if isinstance(measure, int) and not isinstance(measure, bool):
        if not 0 <= measure < len(measures):
            raise EnergyLogError(f"{p}: option measure={measure} is out of range; the report has {len(measures)} measures")
        return [indexed[measure]]
    if isinstance(measure, str):
        picked = [(i, m) for i, m in indexed if isinstance(m, dict) and m.get("measurementMethod") == measure]
        if not picked:
            methods = [m.get("measurementMethod") for m in measures if isinstance(m, dict)]
            raise EnergyLogError(f"{p}: no measure with measurementMethod {measure!r}; methods present: {methods}")
        return picked
    if len(measures) > 1 and not sum_measures:
        methods = [m.get("measurementMethod") for m in measures if isinstance(m, dict)]
        raise EnergyLogError(
            f"{p}: {len(measures)} measures ({methods}) may measure the same task twice; choose one with "
            "measure=<index or measurementMethod>, or sum_measures=True if they are disjoint"
        )
    return indexed


def _note_method(m: dict[str, Any], where: str, method: str, gaps: list[str]) -> bool:
    measured = True
    cpu_mode = str(m.get("cpuTrackingMode") or "").lower()
    if cpu_mode in _ESTIMATED_CPU_MODES:
        measured = False
        gaps.append(f"{where}: CPU energy estimated (cpuTrackingMode {m.get('cpuTrackingMode')!r})")
    if method.lower() == "codecarbon":
        measured = False
        gaps.append(f"{where}: CodeCarbon models RAM power (never metered); RAM energy is estimated")
        if not cpu_mode:
            gaps.append(f"{where}: cpuTrackingMode not reported; CPU energy may be CodeCarbon's TDP estimate")
    return measured


def _gpu_count(p: Path, report: dict[str, Any]) -> int | None:
    infrastructure = report.get("infrastructure")
    components = infrastructure.get("components") if isinstance(infrastructure, dict) else None
    if not isinstance(components, list) or not components:
        return None
    count = 0
    for i, component in enumerate(components):
        if isinstance(component, dict) and str(component.get("componentType", "")).lower() == "gpu":
            count += int(to_float(component.get("nbComponent", 1), path=str(p), field="nbComponent", where=f"infrastructure.components[{i}]"))
    return count
