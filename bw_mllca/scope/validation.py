"""Cross-field checks of a study (references, units, provenance) and plausibility warnings.

Field-level rules (types, ranges) live on the schema in study.py; here are the rules that need
the whole study or the catalog. Every problem is collected, then raised together as StudyError.

The same checks run on a study the schema rejected (``reference_problems``): each section that is
valid on its own is checked, so that one error lists schema and cross-reference problems together.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..catalog import Catalog, load_catalog
from ..ecoinvent.spec import BackgroundChoice
from ..errors import StudyError
from ..estimate.checks import stage_estimate_problems, use_estimate_problems
from . import log_paths
from .resolve import inference, resolve_datacenter, resolve_hardware, retraining_runs, stage_operation
from .study import (
    DATABASE_PREFIX,
    Datacenter,
    FunctionalUnit,
    Hardware,
    ModelProvenance,
    Platform,
    Scope,
    Stage,
    StageKind,
    Study,
    StudyInfo,
    Use,
    slug,
)

# Plausibility thresholds: legal but unusual values (a warning, not an error).
PLAUSIBLE_PUE_MAX = 2.0
PLAUSIBLE_POWER_W_MAX = 2_000.0
PLAUSIBLE_LIFESPAN_YEARS_MAX = 10.0
# Brightway stores exchange amounts as float32: a larger amount would become infinite.
FLOAT32_MAX = 3.4028234663852886e38
# Activity codes the builder gives itself; a stage whose name slugs to one would overwrite it.
RESERVED_STAGE_SLUGS = {"inference": "the inference batch", "idle": "the idle capacity"}

Problem = tuple[str, object, str]


class PlausibilityWarning(UserWarning):
    """A legal but unusual value (PUE > 2, an accelerator over 2 kW, a lifespan over 10 years...)."""


def _closest(name: str, known: list[str]) -> str:
    if not known:
        return "none defined"
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
    if near:
        return f"closest known: {', '.join(near)}"
    return f"known: {', '.join(sorted(known)[:12])}"


@dataclass
class _Parts:
    """The sections of a study that are valid on their own, and every name the study defines.

    ``*_names`` hold all names given (valid definitions or not), so that a reference to a defined
    but invalid entry is not reported a second time as undefined.
    """

    info: StudyInfo | None = None
    fu_queries: float | None = None
    scope: Scope | None = None
    hardware: dict[str, Hardware] = field(default_factory=dict)
    hardware_names: list[str] = field(default_factory=list)
    datacenters: dict[str, Datacenter] = field(default_factory=dict)
    datacenter_names: list[str] = field(default_factory=list)
    platform_names: list[str] = field(default_factory=list)
    models: list[tuple[str, ModelProvenance]] = field(default_factory=list)  # (path, model)
    model_paths: list[tuple[str, str]] = field(default_factory=list)  # (path of the name, name)
    dataset_names_at: list[tuple[int, str]] = field(default_factory=list)
    stages: list[tuple[int, Stage]] = field(default_factory=list)
    stage_names_at: list[tuple[int, str]] = field(default_factory=list)

    @property
    def model_names(self) -> list[str]:
        return [name for _, name in self.model_paths]

    @property
    def dataset_names(self) -> list[str]:
        return [name for _, name in self.dataset_names_at]

    @property
    def stage_names(self) -> list[str]:
        return [name for _, name in self.stage_names_at]
    use: Use | None = None
    unknown_codes: set[str] = field(default_factory=set)  # hardware names whose catalog code is unknown
    base_dir: Path | None = None
    log_folders: tuple[Path, ...] | None = None  # folders besides base_dir energy logs may be read from
    numbers: Any = None  # the study as plain data, for the float32 range check


def _parts_of_study(study: Study) -> _Parts:
    models = [("model", study.model)] + [(f"models.{i}", m) for i, m in enumerate(study.models)]
    return _Parts(
        info=study.study,
        fu_queries=study.goal.functional_unit.queries,
        scope=study.scope,
        hardware=dict(study.hardware),
        hardware_names=list(study.hardware),
        datacenters=dict(study.datacenters),
        datacenter_names=list(study.datacenters),
        platform_names=list(study.platforms),
        models=models,
        model_paths=[(f"{path}.name", m.name) for path, m in models],
        dataset_names_at=[(i, d.name) for i, d in enumerate(study.datasets)],
        stages=list(enumerate(study.stages)),
        stage_names_at=[(i, s.name) for i, s in enumerate(study.stages)],
        use=study.use,
        base_dir=study.base_dir,
        log_folders=study.allowed_log_folders,
        numbers=study.model_dump(mode="python"),
    )


def _valid(model: type[BaseModel], raw: object) -> Any:
    try:
        return model.model_validate(raw)
    except (ValidationError, RecursionError):
        return None


def _name_of(raw: object) -> str | None:
    name = raw.get("name") if isinstance(raw, dict) else None
    return name.strip() if isinstance(name, str) else None


def _table(raw: object, model: type[BaseModel]) -> tuple[dict[str, Any], list[str]]:
    valid, names = {}, []
    if isinstance(raw, dict):
        for key, spec in raw.items():
            if isinstance(key, str):
                names.append(key.strip())
                item = _valid(model, spec)
                if item is not None:
                    valid[key.strip()] = item
    return valid, names


def _rows(raw: object) -> list:
    return list(raw) if isinstance(raw, (list, tuple)) else []


def _parts_of_raw(data: object, base_dir: Path | None) -> _Parts:
    data = data if isinstance(data, dict) else {}
    goal = data.get("goal")
    fu = _valid(FunctionalUnit, goal.get("functional_unit")) if isinstance(goal, dict) else None
    hardware, hardware_names = _table(data.get("hardware"), Hardware)
    datacenters, datacenter_names = _table(data.get("datacenters"), Datacenter)
    _, platform_names = _table(data.get("platforms"), Platform)
    raw_models = [("model", data.get("model"))] + [(f"models.{i}", m) for i, m in enumerate(_rows(data.get("models")))]
    models = [(path, m) for path, raw in raw_models if (m := _valid(ModelProvenance, raw)) is not None]
    raw_stages = _rows(data.get("stages"))
    stages = [(i, s) for i, raw in enumerate(raw_stages) if (s := _valid(Stage, raw)) is not None]
    return _Parts(
        info=_valid(StudyInfo, data.get("study")),
        fu_queries=fu.queries if fu is not None else None,
        scope=_valid(Scope, data.get("scope", {})),
        hardware=hardware,
        hardware_names=hardware_names,
        datacenters=datacenters,
        datacenter_names=datacenter_names,
        platform_names=platform_names,
        models=models,
        model_paths=[(f"{path}.name", n) for path, raw in raw_models if (n := _name_of(raw)) is not None],
        dataset_names_at=[(i, n) for i, raw in enumerate(_rows(data.get("datasets"))) if (n := _name_of(raw)) is not None],
        stages=stages,
        stage_names_at=[(i, n) for i, raw in enumerate(raw_stages) if (n := _name_of(raw)) is not None],
        use=_valid(Use, data.get("use")),
        base_dir=base_dir,
        numbers=data,
    )


def check_study(study: Study, source: str = "study", catalog: Catalog | None = None) -> list[str]:
    """Raise StudyError listing every problem; return the plausibility warnings (also warned)."""
    problems, notes = _check(_parts_of_study(study), catalog or load_catalog())
    if problems:
        raise StudyError(problems, source)
    for note in notes:
        warnings.warn(note, PlausibilityWarning, stacklevel=3)
    return notes


def reference_problems(data: object, base_dir: Path | None = None, catalog: Catalog | None = None) -> list[Problem]:
    """The cross-reference problems of a study the schema rejected, from its valid sections only."""
    try:
        problems, _ = _check(_parts_of_raw(data, base_dir), catalog or load_catalog())
    except RecursionError:
        return []
    return problems


def _check(parts: _Parts, catalog: Catalog) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    notes: list[str] = []
    problems += _check_names(parts)
    _check_hardware(parts, catalog, problems, notes)
    _check_datacenters(parts, catalog, problems, notes)
    _check_provenance(parts, problems)
    _check_stages(parts, catalog, problems, notes)
    _check_use(parts, catalog, problems, notes)
    problems += list(_out_of_float32_range("", parts.numbers))
    problems += _check_amounts(parts, catalog)
    return problems, notes


def _check_names(parts: _Parts) -> list[Problem]:
    problems: list[Problem] = []
    info = parts.info
    if info is not None:
        name = info.database or f"{DATABASE_PREFIX}{info.name}"
        if info.database is not None and not info.database.startswith(DATABASE_PREFIX):
            problems.append((
                "study.database", info.database,
                f"bw_mllca writes only databases named {DATABASE_PREFIX!r}...; leave it out, or start it so",
            ))
        if name == info.background:
            problems.append(("study.background", info.background, "the background cannot be the study's own database"))
    # Activity codes are built from slugs of names: two names with one slug would overwrite each other.
    problems += _clashes([(f"hardware.{n}", n) for n in parts.hardware_names])
    problems += _clashes([(f"datacenters.{n}", n) for n in parts.datacenter_names])
    problems += _clashes([(f"platforms.{n}", n) for n in parts.platform_names])
    problems += _clashes(parts.model_paths)
    problems += _clashes([(f"datasets.{i}.name", n) for i, n in parts.dataset_names_at], check_duplicates=True)
    problems += _clashes([(f"stages.{i}.name", n) for i, n in parts.stage_names_at], reserved=RESERVED_STAGE_SLUGS)
    return problems


def _clashes(named: list[tuple[str, str]], reserved: dict[str, str] | None = None, check_duplicates: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path, name in named:
        code = slug(name)
        if reserved and code in reserved:
            problems.append((path, name, f"the name gives the code {code!r}, reserved for {reserved[code]}; rename it"))
        elif code in seen and seen[code] != name:
            problems.append((path, name, f"gives the same activity code ({code!r}) as {seen[code]!r}; rename one"))
        elif code in seen and check_duplicates:
            problems.append((path, name, "name used twice"))
        seen.setdefault(code, name)
    return problems


def _check_hardware(parts: _Parts, catalog: Catalog, problems: list[Problem], notes: list[str]) -> None:
    accelerators = [c for c, h in catalog.hardware.items() if h.kind == "accelerator"]
    servers = [c for c, h in catalog.hardware.items() if h.is_server]
    for name, hardware in parts.hardware.items():
        path = f"hardware.{name}"
        if hardware.accelerator is not None and hardware.accelerator not in accelerators:
            parts.unknown_codes.add(name)  # its power and lifespan are unknown too: not reported again
            problems.append((f"{path}.accelerator", hardware.accelerator, "unknown accelerator; " + _closest(hardware.accelerator, accelerators)))
        if hardware.server is not None and hardware.server not in servers:
            if hardware.cpu_only:
                parts.unknown_codes.add(name)
            problems.append((f"{path}.server", hardware.server, "unknown host server; " + _closest(hardware.server, servers)))
        shared = [c for c, h in catalog.hardware.items() if h.kind in ("storage", "network")]
        for code in hardware.storage_and_network:
            if code not in shared:
                problems.append((f"{path}.storage_and_network.{code}", code, "not a catalog storage or network device; " + _closest(code, shared)))
        resolved = resolve_hardware(name, hardware, catalog)
        if math.isnan(resolved.lifespan_years) and name not in parts.unknown_codes:
            problems.append((f"{path}.lifespan_years", None, "required when the accelerator is not from the catalog"))
        elif resolved.lifespan_years > PLAUSIBLE_LIFESPAN_YEARS_MAX:
            notes.append(f"{path}.lifespan_years = {resolved.lifespan_years:g} years is longer than {PLAUSIBLE_LIFESPAN_YEARS_MAX:g} years")
        if resolved.accelerator_power_w is not None and resolved.accelerator_power_w > PLAUSIBLE_POWER_W_MAX:
            notes.append(f"{path}: accelerator power {resolved.accelerator_power_w:g} W is above {PLAUSIBLE_POWER_W_MAX:g} W")


def _check_datacenters(parts: _Parts, catalog: Catalog, problems: list[Problem], notes: list[str]) -> None:
    regions = catalog.region_codes()
    profiles = list(catalog.datacenters)
    intensities = [r.gwp100_kg_per_kwh for r in catalog.regions.values()]
    for name, datacenter in parts.datacenters.items():
        path = f"datacenters.{name}"
        if datacenter.region is not None and not catalog.has_region(datacenter.region):
            problems.append((f"{path}.region", datacenter.region, "unknown grid region; " + _closest(datacenter.region, regions)))
        elif datacenter.region is not None and datacenter.grid_span is not None:
            if parts.info is not None and not parts.info.background_choice.is_public:
                _check_scenario_years(path, datacenter, parts.info.background_choice, problems)
            else:
                _check_grid_years(path, datacenter, catalog, problems)
        if datacenter.profile is not None and datacenter.profile not in catalog.datacenters:
            problems.append((f"{path}.profile", datacenter.profile, "unknown datacenter profile; " + _closest(datacenter.profile, profiles)))
        resolved = resolve_datacenter(name, datacenter, catalog)
        if math.isnan(resolved.pue):
            if datacenter.profile is None or datacenter.profile in catalog.datacenters:
                problems.append((f"{path}.pue", None, "give pue, or a profile that has one"))
        elif resolved.pue > PLAUSIBLE_PUE_MAX:
            notes.append(f"{path}: PUE {resolved.pue:g} is above {PLAUSIBLE_PUE_MAX:g} (facility kWh per IT kWh)")
        grid = datacenter.grid_kgco2e_per_kwh
        if grid is not None and intensities and not (min(intensities) * 0.5 <= grid <= max(intensities) * 1.5):
            notes.append(
                f"{path}.grid_kgco2e_per_kwh = {grid:g} kg CO2e/kWh is outside the inventories' range "
                f"({min(intensities):g}-{max(intensities):g} kg CO2e/kWh)"
            )


def _check_scenario_years(path: str, datacenter: Datacenter, choice: BackgroundChoice, problems: list[Problem]) -> None:
    """On ecoinvent, a datacenter's years pick premise scenario databases (one vintage without them)."""
    field = "grid_year" if datacenter.grid_year is not None else "grid_years"
    value = datacenter.grid_year if datacenter.grid_year is not None else list(datacenter.grid_years or ())
    if not choice.scenarios:
        problems.append((f"{path}.{field}", value, "an ecoinvent market has one vintage: name premise databases by "
                                                   "year in study.background_scenarios to vary the grid by year"))
        return
    first, last = datacenter.grid_span or (0, 0)
    years = sorted(choice.scenarios)
    if first < years[0] or last > years[-1]:
        problems.append((f"{path}.{field}", value, f"outside the scenario years {years[0]}-{years[-1]} of study.background_scenarios"))


def _check_grid_years(path: str, datacenter: Datacenter, catalog: Catalog, problems: list[Problem]) -> None:
    region = catalog.region(datacenter.region or "")
    first, last = datacenter.grid_span or (0, 0)
    if not any(first <= year <= last for year in region.years):
        field = "grid_year" if datacenter.grid_year is not None else "grid_years"
        value = datacenter.grid_year if datacenter.grid_year is not None else list(datacenter.grid_years or ())
        years = ", ".join(str(y) for y in region.years)
        problems.append((f"{path}.{field}", value, f"region {region.code} has mixes for {years} only"))


def _check_provenance(parts: _Parts, problems: list[Problem]) -> None:
    if parts.scope is not None and parts.scope.approach == "consequential":
        problems.append(("scope.approach", "consequential", "only attributional LCA is implemented; the field is kept for later"))
    model_names = parts.model_names
    for duplicate in sorted({n for n in model_names if model_names.count(n) > 1}):
        problems.append(("models", duplicate, "model name used twice"))
    for path, model in parts.models:
        if model.teacher is not None and model.teacher not in model_names:
            problems.append((f"{path}.teacher", model.teacher, "unknown model; " + _closest(model.teacher, model_names)))
        for dataset in model.datasets:
            if dataset not in parts.dataset_names:
                problems.append((f"{path}.datasets.{dataset}", dataset, "unknown data set; " + _closest(dataset, parts.dataset_names or ["(none defined)"])))
    cycle = _teacher_cycle([m for _, m in parts.models])
    if cycle:
        problems.append(("model provenance", " -> ".join(cycle), "a model cannot be its own (indirect) teacher"))


def _check_stages(parts: _Parts, catalog: Catalog, problems: list[Problem], notes: list[str]) -> None:
    excluded = {e.stage for e in parts.scope.excluded} if parts.scope is not None else set()
    use = parts.use
    for index, stage in parts.stages:
        path = f"stages.{index}"
        if parts.stage_names.count(stage.name) > 1:
            problems.append((f"{path}.name", stage.name, "stage name used twice"))
        if stage.hardware is not None and stage.hardware not in parts.hardware_names:
            problems.append((f"{path}.hardware", stage.hardware, "undefined hardware; " + _closest(stage.hardware, parts.hardware_names)))
        if stage.datacenter not in parts.datacenter_names:
            problems.append((f"{path}.datacenter", stage.datacenter, "undefined datacenter; " + _closest(stage.datacenter, parts.datacenter_names)))
        if stage.model is not None and stage.model not in parts.model_names:
            problems.append((f"{path}.model", stage.model, "unknown model; " + _closest(stage.model, parts.model_names)))
        if stage.dataset is not None and stage.dataset not in parts.dataset_names:
            problems.append((f"{path}.dataset", stage.dataset, "unknown data set; " + _closest(stage.dataset, parts.dataset_names or ["(none defined)"])))
        if stage.platform is not None:
            if stage.platform not in parts.platform_names:
                problems.append((f"{path}.platform", stage.platform, "undefined platform; " + _closest(stage.platform, parts.platform_names)))
            if stage.duration_hours is None:
                problems.append((f"{path}.duration_hours", None, "a platform overhead needs the job's wall-clock duration_hours"))
        if stage.kind.value in excluded or stage.name in excluded:
            problems.append((f"{path}.kind", stage.kind.value, "this stage is listed in scope.excluded"))
        if stage.kind is StageKind.re_training and stage.every_days is not None and use is not None and use.deployment_days is None:
            problems.append((f"{path}.every_days", stage.every_days, "a re-training cadence needs use.deployment_years (or queries_per_day)"))
        if stage.energy is not None:
            problems.extend(_check_log(path, stage.energy.log, stage.energy.format, parts.base_dir))
            problems.extend(log_paths.tz_problems(path, stage.energy.tz, stage.energy.format, stage.energy.options))
            if parts.log_folders is not None:  # None: a study the schema rejected, folders not known
                outside = log_paths.outside_problem(stage.energy.log, parts.base_dir, parts.log_folders)
                if outside:
                    problems.append((f"{path}.energy.log", stage.energy.log, outside))
        if stage.estimate is not None and stage.hardware in parts.hardware:
            problems.extend(stage_estimate_problems(path, stage.estimate, parts.hardware[stage.hardware].accelerator))
        given_energy = stage.energy_kwh is not None or stage.facility_energy_kwh is not None or stage.energy is not None
        if stage.hardware in parts.hardware and stage.hardware not in parts.unknown_codes and not given_energy and stage.power_w is None:
            if resolve_hardware(stage.hardware, parts.hardware[stage.hardware], catalog).accelerator_power_w is None:
                problems.append((f"{path}.power_w", None, "required: the stage's hardware has no catalog power"))
        if stage.power_w is not None and stage.power_w > PLAUSIBLE_POWER_W_MAX:
            notes.append(f"{path}.power_w = {stage.power_w:g} W is above {PLAUSIBLE_POWER_W_MAX:g} W per accelerator")


def _check_use(parts: _Parts, catalog: Catalog, problems: list[Problem], notes: list[str]) -> None:
    use = parts.use
    if use is None:
        return
    if use.hardware not in parts.hardware_names:
        problems.append(("use.hardware", use.hardware, "undefined hardware; " + _closest(use.hardware, parts.hardware_names)))
    elif use.estimate is not None:
        problems.extend(use_estimate_problems(use.estimate))
    elif use.hardware in parts.hardware and use.hardware not in parts.unknown_codes and use.energy_kwh_per_batch is None and use.power_w is None:
        if resolve_hardware(use.hardware, parts.hardware[use.hardware], catalog).accelerator_power_w is None:
            problems.append(("use.power_w", None, "required: the inference hardware has no catalog power"))
    if use.datacenter not in parts.datacenter_names:
        problems.append(("use.datacenter", use.datacenter, "undefined datacenter; " + _closest(use.datacenter, parts.datacenter_names)))
    total = use.total_queries
    field_name = "use.lifetime_queries" if use.lifetime_queries is not None else "use.queries_per_day"
    if not math.isfinite(total):
        problems.append((field_name, total, "lifetime queries (queries_per_day x 365 x deployment_years) overflow"))
    if total < use.batch_size:
        problems.append((field_name, total, f"fewer lifetime queries ({total:g}) than one batch ({use.batch_size:g} queries)"))
    if parts.fu_queries is not None and total < parts.fu_queries:
        problems.append((field_name, total, f"fewer lifetime queries ({total:g}) than one functional unit ({parts.fu_queries:g} queries)"))
    if use.idle_share > 0 and use.idle_power_w is None:
        problems.append(("use.idle_power_w", None, "idle_share > 0 needs the accelerators' idle power (W)"))
    hardware = parts.hardware.get(use.hardware)
    if hardware is not None and use.idle_share > 0 and hardware.utilization < 1:
        # Utilization spreads the embodied share over busy hours only; idle hours are charged as well:
        # both describe the same unused time (ISO 14044 4.2.3.3: the same flow counted once).
        notes.append(
            f"use.idle_share = {use.idle_share:g} with hardware.{use.hardware}.utilization = {hardware.utilization:g}: "
            f"idle time is counted twice (the embodied share per busy hour is already 1/{hardware.utilization:g} = "
            f"{1 / hardware.utilization:.3g}x, and idle hours add {use.idle_share / (1 - use.idle_share):.3g} hours "
            "per busy hour); set utilization = 1 or idle_share = 0"
        )
    for name in ("power_w", "idle_power_w"):
        value = getattr(use, name)
        if value is not None and value > PLAUSIBLE_POWER_W_MAX:
            notes.append(f"use.{name} = {value:g} W is above {PLAUSIBLE_POWER_W_MAX:g} W per accelerator")


def _out_of_float32_range(path: str, value: object, depth: int = 0) -> Iterator[Problem]:
    """Numbers Brightway could not store (float32): a unit or exponent slip, not a real quantity."""
    if depth > 12:
        return
    if isinstance(value, float) and math.isfinite(value) and abs(value) > FLOAT32_MAX:
        yield (path, value, f"beyond what Brightway stores (float32, at most {FLOAT32_MAX:.3g}); check the unit")
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "options":  # an energy reader's options, not amounts
                continue
            yield from _out_of_float32_range(f"{path}.{key}" if path else str(key), item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _out_of_float32_range(f"{path}.{index}" if path else str(index), item, depth + 1)


def _check_amounts(parts: _Parts, catalog: Catalog) -> list[Problem]:
    """The exchange amounts the builder will write must be finite float32 numbers."""
    problems: list[Problem] = []

    def check(path: str, label: str, amounts: Iterable[float]) -> None:
        for amount in amounts:
            if not (math.isfinite(amount) and abs(amount) <= FLOAT32_MAX):
                problems.append((path, amount, f"gives {label} = {amount:g}, beyond what Brightway stores (float32); check the units"))
                return

    resolved = {name: resolve_hardware(name, h, catalog) for name, h in parts.hardware.items()}
    for name, hw in resolved.items():
        if not math.isnan(hw.lifespan_years):
            check(f"hardware.{name}", "an embodied share per accelerator-hour", [hw.embodied_share_per_accelerator_hour, hw.server_share_per_accelerator_hour])
    use = parts.use
    for index, stage in parts.stages:
        hw = resolved.get(stage.hardware or "")
        if (hw is None and stage.hardware is not None) or stage.energy is not None:
            continue
        datacenter = parts.datacenters.get(stage.datacenter)
        pue = resolve_datacenter(stage.datacenter, datacenter, catalog).pue if datacenter is not None else float("nan")
        if stage.facility_energy_kwh is not None and not pue >= 1.0:
            continue  # the datacenter is reported above
        if stage.energy_kwh is None and stage.facility_energy_kwh is None and stage.power_w is None and hw.accelerator_power_w is None:
            continue  # reported above
        if stage.estimate is not None and stage_estimate_problems(f"stages.{index}", stage.estimate, hw.accelerator_code):
            continue  # reported above
        operation = stage_operation(stage, hw, pue)
        check(f"stages.{index}", "accelerator-hours or IT energy", [operation.accelerator_hours, operation.it_energy_kwh])
        if stage.kind is StageKind.re_training and use is not None and (stage.count is not None or use.deployment_days is not None):
            check(f"stages.{index}", "re-training runs", [retraining_runs(stage, use)])
    if use is not None and parts.fu_queries is not None and use.hardware in resolved:
        hw = resolved[use.hardware]
        if (use.estimate is not None and not use_estimate_problems(use.estimate)) or (use.estimate is None and (
                use.energy_kwh_per_batch is not None or use.power_w is not None or hw.accelerator_power_w is not None)):
            result = inference(use, hw, parts.fu_queries)
            check("use", "an amount per functional unit (batches, energy, idle hours or model share)", [
                result.accelerator_hours_per_batch, result.it_energy_kwh_per_batch, result.batches_per_fu,
                result.idle_accelerator_hours_per_fu, result.idle_it_energy_kwh_per_idle_hour, result.model_share_per_fu,
            ])
    return problems


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


def _check_log(path: str, log: str, format_name: str, base_dir: Path | None) -> list[Problem]:
    problems: list[Problem] = []
    try:
        from ..inventory.energy_logs import FORMATS
    except ImportError:  # pragma: no cover - the readers ship with the package
        FORMATS = ()
    if format_name not in FORMATS:
        problems.append((f"{path}.energy.format", format_name, "unknown log format; " + _closest(format_name, list(FORMATS) or ["(none)"])))
    file = Path(log)
    if not file.is_absolute() and base_dir is not None:
        file = base_dir / file
    try:
        exists = file.is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte
        exists = False
    if not exists:
        problems.append((f"{path}.energy.log", log, f"no such file ({file})"))
    return problems
