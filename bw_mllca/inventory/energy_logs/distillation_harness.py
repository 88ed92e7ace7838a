"""Reader for per-stage energy logs of a distillation pipeline (teacher generation, logit caching,
student training, evaluation), in two layouts.

1. The distillation benchmark harness `distill_bench` (github.com/StellarLuminosity/Energy,
   `distill_bench/core/energy_logger.py`), the public harness we found for Lambert & Luccioni's
   distillation energy accounting; we could not confirm it is the paper's official release.
   Its `EnergyTracker` writes, per stage, `stages/<stage_id>.json` (a `StageMetrics` dict):
       stage_id, stage_name, start_time, end_time, duration_seconds (s), tokens_processed,
       gpu_energy_joules (NVML power polled and integrated, all visible GPUs), cpu_energy_joules
       (RAPL package, 0 when unavailable), codecarbon_energy_kwh, total_energy_joules,
       total_energy_kwh, ...
   and `experiment_summary.json` with the same dicts under "stages" (keyed by stage_id).
   Its "measured" policy sets total = GPU + CPU (RAM not included) and falls back to CodeCarbon's
   kWh (which estimates CPU/RAM) when neither was read. Stage names carry the experiment name as a
   suffix ("student_train_kd_7b_to_1b"); `stage="student_train"` matches them. GPU count is not in
   these files: pass `gpu_count=` to get accelerator-hours.

2. A simple documented layout of this package, for pipelines that log by hand:
       {"stages": [{"name": "teacher_generation", "energy_kwh": 1.2, "gpu_hours": 8.0,
                    "duration_s": 3600}, ...]}
   with `energy_kwh` or `energy_j` (IT energy, no PUE) per stage, and optional `gpu_hours` and
   `duration_s`; such energy is taken as measured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .measurement import EnergyLogError, EnergyMeasurement
from .tables import J_PER_KWH, S_PER_H, optional_float, read_json, to_float, short


def read_distillation_harness(
    path: str | Path,
    *,
    stage: str | None = None,
    gpu_count: int | None = None,
) -> EnergyMeasurement:
    """Read per-stage distillation energy; kWh summed over (selected) stages, by_task per stage.

    stage: only stages named `stage` (or `stage` + "_<experiment>" in distill_bench files).
    gpu_count: GPUs each distill_bench stage ran on, for accelerator-hours.
    """
    p = Path(path)
    data = read_json(p)
    if gpu_count is not None and (isinstance(gpu_count, bool) or not isinstance(gpu_count, int) or gpu_count < 0):
        raise EnergyLogError(f"option gpu_count must be an integer >= 0, got {gpu_count!r}")
    if isinstance(data, dict) and isinstance(data.get("stages"), list):
        stages = [_simple_stage(p, i, s) for i, s in enumerate(data["stages"])]
    elif isinstance(data, dict) and isinstance(data.get("stages"), dict):
        stages = [_harness_stage(p, key, s, gpu_count) for key, s in data["stages"].items()]
    elif isinstance(data, dict) and "stage_id" in data:
        stages = [_harness_stage(p, str(data["stage_id"]), data, gpu_count)]
    else:
        raise EnergyLogError(
            f"{p}: not a distillation stage log: expected 'stages' (list or object) or a stage object "
            f"with 'stage_id'; top-level keys: {sorted(data) if isinstance(data, dict) else type(data).__name__}"
        )
    if not stages:
        raise EnergyLogError(f"{p}: 'stages' is empty")
    if stage is not None:
        names = [s["name"] for s in stages]
        stages = [s for s in stages if _matches(s, stage)]
        if not stages:
            raise EnergyLogError(f"{p}: no stage named {stage!r}; stages present: {names}")

    gaps: list[str] = []
    by_task: dict[str, float] = {}
    energy_kwh = duration_s = 0.0
    accel_h: float | None = 0.0
    measured = True
    for s in stages:
        energy_kwh += s["kwh"]
        duration_s += s["duration_s"]
        by_task[s["name"]] = by_task.get(s["name"], 0.0) + s["kwh"]
        accel_h = None if accel_h is None or s["gpu_hours"] is None else accel_h + s["gpu_hours"]
        measured = measured and s["measured"]
        gaps.extend(s["notes"])
    if accel_h is None:
        gaps.append("accelerator-hours unknown: the log has no GPU count (pass gpu_count=...)")
    return EnergyMeasurement(
        it_energy_kwh=energy_kwh,
        accelerator_hours=accel_h,
        duration_hours=duration_s / S_PER_H,
        measured=measured,
        source_format="distillation-harness",
        source_path=str(p),
        gaps=tuple(gaps),
        by_task=by_task,
    )


def _matches(s: dict[str, Any], wanted: str) -> bool:
    return wanted in (s["name"], s["id"]) or s["name"].startswith(wanted + "_")


def _simple_stage(p: Path, index: int, raw: Any) -> dict[str, Any]:
    where = f"stages[{index}]"
    if not isinstance(raw, dict) or not raw.get("name"):
        raise EnergyLogError(f"{p}: {where} must be an object with a 'name', got {short(raw)}")
    if "energy_kwh" in raw:
        kwh = to_float(raw["energy_kwh"], path=str(p), field="energy_kwh", where=where)
    elif "energy_j" in raw:
        kwh = to_float(raw["energy_j"], path=str(p), field="energy_j", where=where) / J_PER_KWH
    else:
        raise EnergyLogError(f"{p}: {where} ({raw['name']!r}) has neither 'energy_kwh' nor 'energy_j'")
    return {
        "name": str(raw["name"]),
        "id": str(raw["name"]),
        "kwh": kwh,
        "duration_s": optional_float(raw.get("duration_s"), path=str(p), field="duration_s", where=where) or 0.0,
        "gpu_hours": optional_float(raw.get("gpu_hours"), path=str(p), field="gpu_hours", where=where),
        "measured": True,
        "notes": [],
    }


def _harness_stage(p: Path, key: str, raw: Any, gpu_count: int | None) -> dict[str, Any]:
    where = f"stage {key!r}"
    if not isinstance(raw, dict):
        raise EnergyLogError(f"{p}: {where} must be an object, got {short(raw)}")
    for required in ("duration_seconds", "gpu_energy_joules"):
        if required not in raw:
            raise EnergyLogError(f"{p}: {where} lacks {required!r}; keys present: {sorted(raw)}")

    def number(name: str) -> float:
        return optional_float(raw.get(name), path=str(p), field=name, where=where) or 0.0

    duration = to_float(raw["duration_seconds"], path=str(p), field="duration_seconds", where=where)
    gpu_j, cpu_j = number("gpu_energy_joules"), number("cpu_energy_joules")
    cc_kwh, total_j = number("codecarbon_energy_kwh"), number("total_energy_joules")
    notes: list[str] = []
    name = str(raw.get("stage_name") or key)
    measured = True
    if gpu_j > 0 or cpu_j > 0:
        kwh = (gpu_j + cpu_j) / J_PER_KWH
        if total_j > 0 and abs(total_j - (gpu_j + cpu_j)) > 1e-6 * total_j:
            notes.append(
                f"{name}: total_energy_joules {total_j:.6g} J is not GPU + CPU ({gpu_j + cpu_j:.6g} J) "
                "(the run used another total_energy_policy); GPU + CPU is used"
            )
        if cpu_j == 0:
            notes.append(f"{name}: CPU energy not metered (no RAPL) and not included")
        notes.append(f"{name}: RAM and the rest of the node are not in the harness's metered total")
    elif cc_kwh > 0:
        kwh = cc_kwh
        measured = False
        notes.append(f"{name}: no NVML/RAPL reading; CodeCarbon's total used (CPU/RAM partly estimated)")
    else:
        kwh = 0.0
        notes.append(f"{name}: no energy reading at all (GPU, CPU and CodeCarbon are 0)")
    return {
        "name": name,
        "id": str(raw.get("stage_id") or key),
        "kwh": kwh,
        "duration_s": duration,
        "gpu_hours": None if gpu_count is None else gpu_count * duration / S_PER_H,
        "measured": measured,
        "notes": notes,
    }
