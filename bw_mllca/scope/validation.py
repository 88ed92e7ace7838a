"""Cross-field checks of a study (references, units, provenance) and plausibility warnings.

Field-level rules (types, ranges) live on the schema in study.py; here are the rules that need
the whole study or the catalog. Every problem is collected, then raised together as StudyError.
"""

from __future__ import annotations

import difflib
import math
import warnings
from pathlib import Path

from ..catalog import Catalog, load_catalog
from ..errors import StudyError
from .resolve import resolve_datacenter, resolve_hardware
from .study import StageKind, Study

# Plausibility thresholds: legal but unusual values (a warning, not an error).
PLAUSIBLE_PUE_MAX = 2.0
PLAUSIBLE_POWER_W_MAX = 2_000.0
PLAUSIBLE_LIFESPAN_YEARS_MAX = 10.0


class PlausibilityWarning(UserWarning):
    """A legal but unusual value (PUE > 2, an accelerator over 2 kW, a lifespan over 10 years...)."""


def _closest(name: str, known: list[str]) -> str:
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
    if near:
        return f"closest known: {', '.join(near)}"
    return f"known: {', '.join(sorted(known)[:12])}"


def check_study(study: Study, source: str = "study", catalog: Catalog | None = None) -> list[str]:
    """Raise StudyError listing every problem; return the plausibility warnings (also warned)."""
    catalog = catalog or load_catalog()
    problems: list[tuple[str, object, str]] = []
    notes: list[str] = []

    accelerators = [c for c, h in catalog.hardware.items() if h.kind == "accelerator"]
    servers = [c for c, h in catalog.hardware.items() if h.kind == "server"]
    for name, hardware in study.hardware.items():
        path = f"hardware.{name}"
        if hardware.accelerator is not None and hardware.accelerator not in accelerators:
            problems.append((f"{path}.accelerator", hardware.accelerator, "unknown accelerator; " + _closest(hardware.accelerator, accelerators)))
        if hardware.server is not None and hardware.server not in servers:
            problems.append((f"{path}.server", hardware.server, "unknown host server; " + _closest(hardware.server, servers)))
        resolved = resolve_hardware(name, hardware, catalog)
        if math.isnan(resolved.lifespan_years):
            problems.append((f"{path}.lifespan_years", None, "required when the accelerator is not from the catalog"))
        elif resolved.lifespan_years > PLAUSIBLE_LIFESPAN_YEARS_MAX:
            notes.append(f"{path}.lifespan_years = {resolved.lifespan_years:g} years is longer than {PLAUSIBLE_LIFESPAN_YEARS_MAX:g} years")
        if resolved.accelerator_power_w is not None and resolved.accelerator_power_w > PLAUSIBLE_POWER_W_MAX:
            notes.append(f"{path}: accelerator power {resolved.accelerator_power_w:g} W is above {PLAUSIBLE_POWER_W_MAX:g} W")

    regions = list(catalog.regions)
    profiles = list(catalog.datacenters)
    intensities = [r.reference_kgco2e_per_kwh for r in catalog.regions.values()]
    for name, datacenter in study.datacenters.items():
        path = f"datacenters.{name}"
        if datacenter.region is not None and datacenter.region not in catalog.regions:
            problems.append((f"{path}.region", datacenter.region, "unknown grid region; " + _closest(datacenter.region, regions)))
        if datacenter.profile is not None and datacenter.profile not in catalog.datacenters:
            problems.append((f"{path}.profile", datacenter.profile, "unknown datacenter profile; " + _closest(datacenter.profile, profiles)))
        resolved = resolve_datacenter(name, datacenter, catalog)
        if math.isnan(resolved.pue):
            problems.append((f"{path}.pue", None, "give pue, or a profile that has one"))
        elif resolved.pue > PLAUSIBLE_PUE_MAX:
            notes.append(f"{path}: PUE {resolved.pue:g} is above {PLAUSIBLE_PUE_MAX:g}")
        grid = datacenter.grid_kgco2e_per_kwh
        if grid is not None and intensities and not (min(intensities) * 0.5 <= grid <= max(intensities) * 1.5):
            notes.append(
                f"{path}.grid_kgco2e_per_kwh = {grid:g} kg CO2e/kWh is outside the inventories' range "
                f"({min(intensities):g}-{max(intensities):g} kg CO2e/kWh)"
            )

    if study.scope.approach == "consequential":
        problems.append(("scope.approach", "consequential", "only attributional LCA is implemented; the field is kept for later"))

    models = [study.model, *study.models]
    model_names = [m.name for m in models]
    for duplicate in {n for n in model_names if model_names.count(n) > 1}:
        problems.append(("models", duplicate, "model name used twice"))
    dataset_names = [d.name for d in study.datasets]
    for index, model in enumerate(models):
        path = "model" if index == 0 else f"models.{index - 1}"
        if model.teacher is not None and model.teacher not in model_names:
            problems.append((f"{path}.teacher", model.teacher, "unknown model; " + _closest(model.teacher, model_names)))
        for dataset in model.datasets:
            if dataset not in dataset_names:
                problems.append((f"{path}.datasets.{dataset}", dataset, "unknown data set; " + _closest(dataset, dataset_names or ["(none defined)"])))
    cycle = _teacher_cycle(models)
    if cycle:
        problems.append(("model provenance", " -> ".join(cycle), "a model cannot be its own (indirect) teacher"))

    stage_names = [s.name for s in study.stages]
    excluded = {e.stage for e in study.scope.excluded}
    for index, stage in enumerate(study.stages):
        path = f"stages.{index}"
        if stage_names.count(stage.name) > 1:
            problems.append((f"{path}.name", stage.name, "stage name used twice"))
        if stage.hardware not in study.hardware:
            problems.append((f"{path}.hardware", stage.hardware, "undefined hardware; " + _closest(stage.hardware, list(study.hardware))))
        if stage.datacenter not in study.datacenters:
            problems.append((f"{path}.datacenter", stage.datacenter, "undefined datacenter; " + _closest(stage.datacenter, list(study.datacenters))))
        if stage.model is not None and stage.model not in model_names:
            problems.append((f"{path}.model", stage.model, "unknown model; " + _closest(stage.model, model_names)))
        if stage.dataset is not None and stage.dataset not in dataset_names:
            problems.append((f"{path}.dataset", stage.dataset, "unknown data set; " + _closest(stage.dataset, dataset_names or ["(none defined)"])))
        if stage.platform is not None:
            if stage.platform not in study.platforms:
                problems.append((f"{path}.platform", stage.platform, "undefined platform; " + _closest(stage.platform, list(study.platforms))))
            if stage.duration_hours is None:
                problems.append((f"{path}.duration_hours", None, "a platform overhead needs the job's wall-clock duration_hours"))
        if stage.kind.value in excluded or stage.name in excluded:
            problems.append((f"{path}.kind", stage.kind.value, "this stage is listed in scope.excluded"))
        if stage.kind is StageKind.re_training and stage.every_days is not None and study.use.deployment_days is None:
            problems.append((f"{path}.every_days", stage.every_days, "a re-training cadence needs use.deployment_years (or queries_per_day)"))
        if stage.energy is not None:
            problems.extend(_check_log(path, stage.energy.log, stage.energy.format, study.base_dir))
        if stage.hardware in study.hardware and stage.energy_kwh is None and stage.energy is None and stage.power_w is None:
            if resolve_hardware(stage.hardware, study.hardware[stage.hardware], catalog).accelerator_power_w is None:
                problems.append((f"{path}.power_w", None, "required: the stage's hardware has no catalog power"))
        if stage.power_w is not None and stage.power_w > PLAUSIBLE_POWER_W_MAX:
            notes.append(f"{path}.power_w = {stage.power_w:g} W is above {PLAUSIBLE_POWER_W_MAX:g} W per accelerator")

    use = study.use
    if use.hardware not in study.hardware:
        problems.append(("use.hardware", use.hardware, "undefined hardware; " + _closest(use.hardware, list(study.hardware))))
    elif use.energy_kwh_per_batch is None and use.power_w is None:
        if resolve_hardware(use.hardware, study.hardware[use.hardware], catalog).accelerator_power_w is None:
            problems.append(("use.power_w", None, "required: the inference hardware has no catalog power"))
    if use.datacenter not in study.datacenters:
        problems.append(("use.datacenter", use.datacenter, "undefined datacenter; " + _closest(use.datacenter, list(study.datacenters))))
    if use.total_queries < use.batch_size:
        problems.append(("use.lifetime_queries", use.total_queries, f"fewer lifetime queries than one batch ({use.batch_size:g})"))
    if use.total_queries < study.goal.functional_unit.queries:
        problems.append(("use.lifetime_queries", use.total_queries, f"fewer lifetime queries than one functional unit ({study.goal.functional_unit.queries:g})"))
    if use.idle_share > 0 and use.idle_power_w is None:
        problems.append(("use.idle_power_w", None, "idle_share > 0 needs the accelerators' idle power (W)"))

    if problems:
        raise StudyError(problems, source)
    for note in notes:
        warnings.warn(note, PlausibilityWarning, stacklevel=3)
    return notes


def _teacher_cycle(models) -> list[str]:
    teacher = {m.name: m.teacher for m in models}
    for start in teacher:
        seen = [start]
        current = teacher[start]
        while current is not None and current in teacher:
            if current in seen:
                return seen[seen.index(current):] + [current]
            seen.append(current)
            current = teacher[current]
    return []


def _check_log(path: str, log: str, format_name: str, base_dir: Path | None) -> list[tuple[str, object, str]]:
    problems: list[tuple[str, object, str]] = []
    try:
        from ..inventory.energy_logs import FORMATS
    except ImportError:  # pragma: no cover - the readers ship with the package
        FORMATS = ()
    if format_name not in FORMATS:
        problems.append((f"{path}.energy.format", format_name, "unknown log format; " + _closest(format_name, list(FORMATS) or ["(none)"])))
    file = Path(log)
    if not file.is_absolute() and base_dir is not None:
        file = base_dir / file
    if not file.is_file():
        problems.append((f"{path}.energy.log", log, f"no such file ({file})"))
    return problems
