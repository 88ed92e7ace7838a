"""The study file: goal and scope, hardware, datacenters, stages, use and provenance.

A study is TOML (or YAML, if PyYAML is installed), parsed without executing anything, and
validated on load: every problem is reported at once with its field path and value (StudyError).
Units are in the field names: ``power_w``, ``lifespan_years``, ``energy_kwh``.
"""

from __future__ import annotations

import math
import re
import reprlib
import tomllib
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from ..ecoinvent.spec import BackgroundChoice, parse_background, scenario_weights
from ..errors import StudyError
from ..estimate.fields import StageEstimate, UseEstimate

def _not_bool(value: Any) -> Any:
    # pydantic reads True as 1.0: in a study, `power_w = true` is a slip, not one watt.
    if isinstance(value, bool):
        raise ValueError("a number is expected here, not true/false")
    return value


NOT_BOOL = BeforeValidator(_not_bool)
PositiveFloat = Annotated[float, NOT_BOOL, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, NOT_BOOL, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, NOT_BOOL, Field(ge=0, le=1, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=200)]

# Hard limits: beyond these a value is a unit mix-up, not an unusual case (see validation.py for
# the softer plausibility warnings).
MAX_ACCELERATOR_POWER_W = 5_000.0
MAX_PUE = 5.0
MAX_WUE_L_PER_KWH = 20.0
MAX_LIFESPAN_YEARS = 30.0

# Every foreground database bw_mllca writes has a name in this namespace (never a user's name).
DATABASE_PREFIX = "mllca study: "


# Control characters other than tab, newline and CR: no study needs them, and spreadsheet XML
# cannot hold them (openpyxl raises on export).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, (tuple, dict)):  # lists of sources, names of hardware or data sets
            texts = [item for item in value if isinstance(item, str)]
        else:
            texts = []
        for text in texts:
            found = CONTROL_CHARACTERS.search(text)
            if found:
                raise ValueError(f"contains the control character {found.group()!r}; remove it")
        return value


class StageKind(str, Enum):
    data_preparation = "data preparation"
    experimentation = "experimentation"
    pre_training = "pre-training"
    mid_training = "mid-training"
    post_training = "post-training"
    distillation_synthetic_data = "distillation: synthetic data generation"
    distillation_logit_caching = "distillation: logit caching"
    distillation_teacher_evaluation = "distillation: teacher evaluation"
    distillation_student_training = "distillation: student training"
    fine_tuning = "fine-tuning"
    evaluation = "evaluation"
    re_training = "re-training"


DEVELOPMENT_KINDS = tuple(kind for kind in StageKind if kind is not StageKind.re_training)


class Constraint(Strict):
    """A performance constraint of the functional unit, e.g. MMLU >= 0.6 or p95 latency <= 2 s."""

    metric: Name
    operator: Literal[">=", "<=", ">", "<", "=="]
    value: Annotated[float, NOT_BOOL, Field(allow_inf_nan=False)]
    unit: str = ""

    def holds_for(self, achieved: float) -> bool:
        return {
            ">=": achieved >= self.value,
            "<=": achieved <= self.value,
            ">": achieved > self.value,
            "<": achieved < self.value,
            "==": achieved == self.value,
        }[self.operator]

    def text(self) -> str:
        return f"{self.metric} {self.operator} {self.value:g} {self.unit}".strip()


class FunctionalUnit(Strict):
    """What one result is per. ``kind = "queries"``: ``queries`` answered queries (the per-query
    views); ``kind = "trained model"``: one trained model, development only (a training report)."""

    description: Name
    kind: Literal["queries", "trained model"] = "queries"
    queries: PositiveFloat | None = None  # the reference flow: answered queries per functional unit
    constraints: tuple[Constraint, ...] = ()

    @model_validator(mode="after")
    def _reference_flow(self) -> FunctionalUnit:
        if self.kind == "queries" and self.queries is None:
            raise ValueError("queries: required for a functional unit of answered queries "
                             "(or kind = \"trained model\" for one trained model)")
        if self.kind == "trained model" and self.queries is not None:
            raise ValueError(f"queries = {self.queries:g}: a trained-model functional unit has no queries; remove it")
        return self

    @property
    def per_trained_model(self) -> bool:
        return self.kind == "trained model"

    @property
    def reference_flow(self) -> str:
        """The reference flow in words, with its unit: '1000 queries' or '1 trained model'."""
        return "1 trained model" if self.per_trained_model else f"{self.queries:g} queries"


class Goal(Strict):
    intended_application: str = ""
    audience: str = ""
    functional_unit: FunctionalUnit


class Exclusion(Strict):
    stage: Name
    reason: Name


class Scope(Strict):
    approach: Literal["attributional", "consequential"] = "attributional"
    cut_off: str = ""
    # An exclusion of "hardware manufacture" or "end of life" leaves that part of every device out
    # of the boundary (no embodied or end-of-life exchanges are written): a recorded boundary choice.
    excluded: tuple[Exclusion, ...] = ()
    data_sources: tuple[str, ...] = ()

    def excludes(self, life_stage: str) -> bool:
        return any(e.stage.strip().lower() == life_stage for e in self.excluded)


class Flow(Strict):
    """A user-given biosphere exchange: biosphere3 UUID and amount in the flow's own unit."""

    uuid: Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$")]
    amount: NonNegativeFloat
    name: str = ""


class Embodied(Strict):
    """User-given embodied impacts of one unit, instead of a catalog activity."""

    co2e_kg: NonNegativeFloat | None = None  # written as CO2 fossil, kg CO2-eq
    flows: tuple[Flow, ...] = ()
    source: str = ""


class ActivityLink(Strict):
    """An activity of the user's own database, searched as in Brightway: by name, narrowed by the
    other fields (resolved at build time by scope/linking.py)."""

    name: Name
    database: Name | None = None
    location: Name | None = None
    reference_product: Name | None = None
    unit: Name | None = None
    # The linked activity's units per unit of the study's own (kilogram per accelerator, MJ per
    # kWh): required when the linked unit is not the one the link stands for.
    conversion_factor: PositiveFloat | None = None


class Hardware(Strict):
    """A node type: accelerators (count per node), its host server, lifespan and utilization.

    A CPU-only node names a catalog ``server`` (e.g. a cpu-server) and no accelerator: its
    "accelerator-hours" are then server-hours (one per node-hour).
    """

    accelerator: Name | None = None  # catalog code (inventories/hardware.csv)
    # Alone: a user-given accelerator. With a catalog accelerator: a published manufacture figure
    # that replaces the catalog's, keeping its power, lifespan and end of life.
    accelerator_embodied: Embodied | None = None
    accelerator_end_of_life: Embodied | None = None
    accelerators_per_node: Annotated[int, NOT_BOOL, Field(ge=1, le=1024)] = 1
    server: Name | None = None  # catalog code of the host server without accelerators
    server_embodied: Embodied | None = None
    server_end_of_life: Embodied | None = None
    lifespan_years: Annotated[float, NOT_BOOL, Field(gt=0, le=MAX_LIFESPAN_YEARS, allow_inf_nan=False)] | None = None
    # The host server's own lifespan (default: the catalog server's); the server is amortized over it.
    server_lifespan_years: Annotated[float, NOT_BOOL, Field(gt=0, le=MAX_LIFESPAN_YEARS, allow_inf_nan=False)] | None = None
    utilization: Annotated[float, NOT_BOOL, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    power_w: Annotated[float, NOT_BOOL, Field(ge=0, le=MAX_ACCELERATOR_POWER_W, allow_inf_nan=False)] | None = None
    host_power_w: Annotated[float, NOT_BOOL, Field(ge=0, le=50_000, allow_inf_nan=False)] | None = None
    manufacture_activity: tuple[str, str] | ActivityLink | None = None  # [database, code] or a search table, e.g. in ecoinvent
    # Shared storage and network devices: catalog code -> units per node, each amortized over its
    # own catalog lifespan at this node's utilization (the catalog HGX host already carries its
    # compute-fabric switches; add storage and any other fabric here).
    storage_and_network: dict[str, Annotated[float, NOT_BOOL, Field(gt=0, le=1000, allow_inf_nan=False)]] = {}

    @model_validator(mode="after")
    def _one_accelerator_source(self) -> Hardware:
        if self.accelerator is None and self.accelerator_embodied is None and self.manufacture_activity is None and self.server is None:
            raise ValueError("give accelerator (a catalog code), accelerator_embodied or manufacture_activity, "
                             "or only a catalog server for a CPU-only node")
        if self.manufacture_activity is not None and self.accelerator_embodied is not None:
            raise ValueError("give either manufacture_activity or accelerator_embodied, not both")
        return self

    @property
    def cpu_only(self) -> bool:
        """No accelerator: the node is its server (accelerator-hours are server-hours)."""
        return self.accelerator is None and self.accelerator_embodied is None and self.manufacture_activity is None


class Datacenter(Strict):
    region: Name | None = None  # catalog code or alias (inventories/regions.csv, region_aliases.csv)
    # The grid's year: one year, or an inclusive deployment span [first, last] whose yearly mixes are
    # averaged with equal weight; none: the region's latest year.
    grid_year: Annotated[int, NOT_BOOL, Field(ge=1990, le=2100)] | None = None
    grid_years: tuple[Annotated[int, NOT_BOOL, Field(ge=1990, le=2100)], Annotated[int, NOT_BOOL, Field(ge=1990, le=2100)]] | None = None
    grid_kgco2e_per_kwh: NonNegativeFloat | None = None  # a custom single-flow grid instead
    grid_water_l_per_kwh: NonNegativeFloat | None = None
    electricity_activity: tuple[str, str] | ActivityLink | None = None  # [database, code] or a search table, e.g. in ecoinvent
    profile: Name | None = None  # catalog code (inventories/datacenters.csv)
    pue: Annotated[float, NOT_BOOL, Field(ge=1.0, le=MAX_PUE, allow_inf_nan=False)] | None = None
    wue_l_per_kwh: Annotated[float, NOT_BOOL, Field(ge=0, le=MAX_WUE_L_PER_KWH, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _one_grid(self) -> Datacenter:
        given = [x is not None for x in (self.region, self.grid_kgco2e_per_kwh, self.electricity_activity)]
        if sum(given) != 1:
            raise ValueError("give exactly one of region, grid_kgco2e_per_kwh or electricity_activity")
        if (self.grid_year is not None or self.grid_years is not None) and self.region is None:
            raise ValueError("grid_year and grid_years choose a catalog region's mix: give region too")
        if self.grid_year is not None and self.grid_years is not None:
            raise ValueError("give grid_year or grid_years, not both")
        if self.grid_years is not None and self.grid_years[0] > self.grid_years[1]:
            raise ValueError(f"grid_years = {list(self.grid_years)}: the first year comes first")
        return self

    @property
    def grid_span(self) -> tuple[int, int] | None:
        """The years of the grid mix asked for (first, last), or None for the region's latest year."""
        if self.grid_year is not None:
            return (self.grid_year, self.grid_year)
        return self.grid_years


class Platform(Strict):
    """A shared platform's overhead (JSC^e): emissions per minute split over concurrent jobs."""

    co2e_kg_per_minute: NonNegativeFloat
    concurrent_jobs: PositiveFloat = 1.0
    source: str = ""


class EnergyLog(Strict):
    log: Name  # read from the study's folder or a folder in study.log_folders (log_paths.py)
    format: Name
    options: dict[str, Any] = {}
    tz: str | None = None  # IANA zone of the clock that wrote an nvidia-smi log; None: UTC


class Stage(Strict):
    """One development stage. Its accelerator time: accelerator_hours, node_hours, or accelerators x
    duration_hours (wall clock); its energy: power_w (or the hardware's) x that time, energy_kwh (IT,
    before PUE), facility_energy_kwh (metered, after PUE) or a measured energy log. An energy-only
    stage (no accelerator time) carries no embodied hardware and may omit hardware."""

    name: Name
    kind: StageKind
    hardware: Name | None = None
    datacenter: Name
    model: Name | None = None  # default: the studied model
    dataset: Name | None = None  # a data-preparation stage that produces this data set
    accelerator_hours: NonNegativeFloat | None = None
    node_hours: NonNegativeFloat | None = None
    accelerators: Annotated[int, NOT_BOOL, Field(ge=1, le=10_000_000)] | None = None  # with duration_hours
    power_w: Annotated[float, NOT_BOOL, Field(ge=0, le=MAX_ACCELERATOR_POWER_W, allow_inf_nan=False)] | None = None
    energy_kwh: NonNegativeFloat | None = None  # IT energy (before PUE), measured unless energy_estimated
    facility_energy_kwh: NonNegativeFloat | None = None  # at the facility meter (after PUE): IT = this / PUE
    # Energy of the run's reserved but idle nodes and shared infrastructure (IT side, before PUE),
    # e.g. BLOOM's idle consumption: written as a stage of its own, "<name>: idle and infrastructure".
    idle_energy_kwh: NonNegativeFloat | None = None
    energy_estimated: bool = False  # energy_kwh is an estimate (scaled, allocated, assumed), not a reading
    # False when energy_kwh (or the log) covers the accelerators only (nvidia-smi, Zeus, many papers):
    # the host's non-accelerator draw is then added per accelerator-hour, as for power-based stages.
    energy_includes_host: bool = True
    energy: EnergyLog | None = None
    duration_hours: NonNegativeFloat | None = None  # wall clock: with accelerators, or for a platform overhead
    platform: Name | None = None
    every_days: PositiveFloat | None = None  # re-training cadence
    count: PositiveFloat | None = None  # re-training runs over the deployment
    estimate: StageEstimate | None = None  # accelerator-hours and energy from model size, tokens and MFU
    source: str = ""

    @model_validator(mode="after")
    def _operation(self) -> Stage:
        times = [n for n in ("accelerator_hours", "node_hours", "accelerators") if getattr(self, n) is not None]
        given = times + [n for n in ("energy_kwh", "facility_energy_kwh", "energy") if getattr(self, n) is not None]
        if self.estimate is not None and given:
            raise ValueError(f"estimate derives accelerator-hours and energy: give it or {' and '.join(given)}, not both")
        if len(times) > 1:
            raise ValueError(f"give one of accelerator_hours, node_hours or accelerators (x duration_hours), not {' and '.join(times)}")
        if self.accelerators is not None and self.duration_hours is None:
            raise ValueError(f"accelerators = {self.accelerators}: give duration_hours (wall clock) too; "
                             "accelerator-hours = accelerators x duration_hours")
        if self.duration_hours is not None and self.accelerators is None and self.platform is None:
            # Wall-clock hours are not accelerator-hours: 1,024 GPUs for 24 h are 24,576 GPU-hours.
            raise ValueError(f"duration_hours = {self.duration_hours:g} is wall clock and would be ignored: give "
                             "accelerators = N for N x duration_hours accelerator-hours (instead of "
                             f"{times[0] if times else 'accelerator_hours'}), a platform, or remove it")
        energies = [n for n in ("energy_kwh", "facility_energy_kwh", "energy") if getattr(self, n) is not None]
        if len(energies) > 1:
            raise ValueError(f"give one of energy_kwh, facility_energy_kwh or energy (a log), not {' and '.join(energies)}")
        if self.power_w is not None and energies:
            raise ValueError(f"power_w = {self.power_w:g} would be ignored next to {energies[0]}: the energy is "
                             "given; remove power_w (or the energy, to compute it from power x time)")
        if not times and not energies and self.estimate is None:
            raise ValueError("give accelerator_hours, node_hours, accelerators with duration_hours, energy_kwh, "
                             "facility_energy_kwh, a measured energy log or an estimate")
        if self.hardware is None and (times or not energies or self.energy is not None):
            raise ValueError("hardware: required unless the stage gives only energy_kwh or facility_energy_kwh")
        if not self.energy_includes_host and not times and self.energy is None and self.estimate is None:
            raise ValueError("energy_includes_host = false adds the host's draw per accelerator-hour: give the "
                             "stage's accelerator time (accelerator_hours, node_hours or accelerators)")
        if self.model is not None and self.dataset is not None:
            raise ValueError("a stage belongs to a model or to a data set, not both")
        if self.kind is StageKind.re_training and self.every_days is None and self.count is None:
            raise ValueError("a re-training stage needs every_days (cadence) or count")
        if self.kind is not StageKind.re_training and (self.every_days is not None or self.count is not None):
            raise ValueError("every_days and count are for re-training stages only")
        return self


class Use(Strict):
    """Deployment: inference batches, lifetime use and idle capacity."""

    hardware: Name
    datacenter: Name
    batch_size: PositiveFloat = 1.0  # queries that share the accelerators for one batch
    accelerators: Annotated[int, NOT_BOOL, Field(ge=1, le=1024)] = 1  # per inference replica
    seconds_per_batch: PositiveFloat | None = None  # wall time the replica is busy with one batch
    throughput_queries_per_s: PositiveFloat | None = None  # per replica, instead of seconds_per_batch
    power_w: Annotated[float, NOT_BOOL, Field(ge=0, le=MAX_ACCELERATOR_POWER_W, allow_inf_nan=False)] | None = None
    energy_kwh_per_batch: NonNegativeFloat | None = None  # IT energy per batch, measured unless energy_estimated
    energy_estimated: bool = False
    # False when energy_kwh_per_batch covers the accelerators only: the host's draw is then added per
    # accelerator-hour, as for power-based batches and idle hours.
    energy_includes_host: bool = True
    lifetime_queries: PositiveFloat | None = None
    queries_per_day: PositiveFloat | None = None
    deployment_years: PositiveFloat | None = None
    idle_share: Annotated[float, NOT_BOOL, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    idle_power_w: Annotated[float, NOT_BOOL, Field(ge=0, le=MAX_ACCELERATOR_POWER_W, allow_inf_nan=False)] | None = None
    estimate: UseEstimate | None = None  # energy, latency and accelerators per request by EcoLogits' method
    source: str = ""

    @model_validator(mode="after")
    def _timing(self) -> Use:
        if self.estimate is not None and any(v is not None for v in (self.seconds_per_batch, self.throughput_queries_per_s, self.energy_kwh_per_batch)):
            raise ValueError("estimate derives the batch's time and energy: give it or seconds_per_batch/throughput_queries_per_s/energy_kwh_per_batch, not both")
        if self.estimate is not None and (self.accelerators != 1 or self.power_w is not None):
            raise ValueError("estimate takes the GPUs and the energy from EcoLogits' method: remove accelerators and power_w")
        if self.estimate is None and (self.seconds_per_batch is None) == (self.throughput_queries_per_s is None):
            raise ValueError("give exactly one of seconds_per_batch or throughput_queries_per_s")
        if self.lifetime_queries is None and (self.queries_per_day is None or self.deployment_years is None):
            raise ValueError("give lifetime_queries, or queries_per_day and deployment_years")
        if self.power_w is not None and self.energy_kwh_per_batch is not None:
            raise ValueError(f"power_w = {self.power_w:g} would be ignored next to energy_kwh_per_batch: remove one")
        if not self.energy_includes_host and self.energy_kwh_per_batch is None:
            raise ValueError("energy_includes_host = false applies to energy_kwh_per_batch (power-based "
                             "batches always add the host's draw): remove it or give energy_kwh_per_batch")
        return self

    @property
    def batch_seconds(self) -> float:
        if self.seconds_per_batch is not None:
            return self.seconds_per_batch
        return self.batch_size / self.throughput_queries_per_s  # type: ignore[operator]

    @property
    def total_queries(self) -> float:
        if self.lifetime_queries is not None:
            return self.lifetime_queries
        return self.queries_per_day * 365.0 * self.deployment_years  # type: ignore[operator]

    @property
    def deployment_days(self) -> float | None:
        if self.deployment_years is not None:
            return self.deployment_years * 365.0
        if self.queries_per_day is not None and self.lifetime_queries is not None:
            return self.lifetime_queries / self.queries_per_day
        return None


class ModelProvenance(Strict):
    """A model as a product: its teacher (weight w1) and data sets (weights w2) in the EPC sense."""

    name: Name
    teacher: Name | None = None
    teacher_weight: Share = 1.0
    datasets: dict[str, Share] = {}
    performance: dict[str, Annotated[float, NOT_BOOL, Field(allow_inf_nan=False)]] = {}  # achieved metrics, checked against the FU's constraints


class Dataset(Strict):
    name: Name
    source: str = ""


class StudyInfo(Strict):
    name: Name
    database: Name | None = None
    # "mllca background" (public data) or an ecoinvent version and system model, "ecoinvent-3.10-cutoff"
    background: Name = "mllca background"
    background_database: Name | None = None  # the project's ecoinvent database, if not named as background
    background_scenarios: dict[Annotated[int, Field(ge=1990, le=2100)], Name] = {}  # year -> premise database
    background_year: Annotated[int, NOT_BOOL, Field(ge=1990, le=2100)] | None = None  # year of the gateways
    description: str = ""
    log_folders: tuple[str, ...] = ()  # folders besides the study's own that energy logs may be read from

    @field_validator("background")
    @classmethod
    def _known_background(cls, value: str) -> str:
        parse_background(value)  # ValueError naming the accepted forms
        return value

    @model_validator(mode="after")
    def _background_fields(self) -> StudyInfo:
        ecoinvent = parse_background(self.background) is not None
        given = [f for f in ("background_database", "background_scenarios", "background_year") if getattr(self, f)]
        if given and not ecoinvent:
            raise ValueError(f"{', '.join(given)}: only with an ecoinvent background (background = \"ecoinvent-3.10-cutoff\")")
        if self.background_database is not None and self.background_scenarios:
            raise ValueError("give background_database or background_scenarios, not both")
        if self.background_scenarios and self.background_year is None:
            raise ValueError("background_year: required with background_scenarios (the year of every gateway "
                             "that names none: hardware, end of life, water, grids without grid_year)")
        if self.background_year is not None and not self.background_scenarios:
            raise ValueError("background_year: chooses among background_scenarios; give them too")
        if self.background_scenarios:
            try:
                scenario_weights(self.background_scenarios, self.background_year or 0)
            except ValueError as error:
                raise ValueError(f"background_year = {self.background_year}: {error}") from None
        return self

    @property
    def background_choice(self) -> BackgroundChoice:
        """The background of every gateway (bw_mllca.ecoinvent.spec)."""
        found = parse_background(self.background)
        if found is None:
            return BackgroundChoice(self.background)
        return BackgroundChoice(self.background, found[0], found[1], self.background_database or self.background,
                                dict(self.background_scenarios), self.background_year)


class Study(Strict):
    """A whole study; build it with ``bw_mllca.build(study)``."""

    study: StudyInfo
    goal: Goal
    scope: Scope = Scope()
    hardware: dict[str, Hardware]
    datacenters: dict[str, Datacenter]
    platforms: dict[str, Platform] = {}
    model: ModelProvenance
    models: tuple[ModelProvenance, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    stages: tuple[Stage, ...] = ()
    use: Use | None = None  # required for a functional unit of queries; none for a trained model
    _base_dir: Path | None = PrivateAttr(default=None)
    _log_folders: tuple[Path, ...] = PrivateAttr(default=())  # allowed by the caller (--allow-log-folder)
    _warnings: tuple[str, ...] = PrivateAttr(default=())
    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _use_for_the_unit(self) -> Study:
        fu = self.goal.functional_unit
        if fu.per_trained_model:
            if self.use is not None:
                raise ValueError("use: a trained-model functional unit is development only; remove [use] "
                                 "(or make the functional unit one of queries)")
            retraining = [s.name for s in self.stages if s.kind is StageKind.re_training]
            if retraining:
                raise ValueError(f"stages {retraining}: re-training belongs to use, not to one trained model")
        elif self.use is None:
            raise ValueError("use: required for a functional unit of queries (or set goal.functional_unit.kind "
                             "= \"trained model\")")
        return self

    def with_background(self, background: str, database: str | None = None) -> Study:
        """This study on another background (``bw-mllca run --background``), checked as a study file's is."""
        from .validation import check_study

        fields = {**self.study.model_dump(), "background": background, "background_database": database,
                  "background_scenarios": {}, "background_year": None}
        try:
            info = StudyInfo.model_validate(fields)
        except ValidationError as error:
            raise StudyError([(f"study.{path}" if path != "(study)" else "study.background", value, message)
                              for path, value, message in _problems(error)],
                             "--background") from None
        study = self.model_copy(update={"study": info})
        study._warnings = tuple(check_study(study, "--background"))
        return study

    @property
    def database_name(self) -> str:
        return self.study.database or f"{DATABASE_PREFIX}{self.study.name}"

    @property
    def views(self) -> tuple[str, ...]:
        """The result views of this study: per query (attributional, consumer) or per trained model."""
        return ("training",) if self.goal.functional_unit.per_trained_model else ("attributional", "consumer")

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "study", base_dir: Path | None = None,
                  log_folders: Sequence[str | Path] = ()) -> Study:
        """Validate ``data``; raise one StudyError listing every problem (field and cross-reference).
        ``log_folders``: folders besides ``base_dir`` that the study's energy logs may be read from."""
        from .validation import check_study, reference_problems

        size_problem = _size_problem(data)
        if size_problem:
            raise StudyError([size_problem], source)
        try:
            study = cls.model_validate(data)
        except ValidationError as error:
            problems = _problems(error)
            # The schema rejected something; still check the parts that are valid (references,
            # catalog names, provenance), so that the user sees every problem at once.
            reported = {path for path, _, _ in problems}
            problems += [p for p in reference_problems(data, base_dir) if p[0] not in reported]
            raise StudyError(problems, source) from None
        except RecursionError:  # a self-referencing or absurdly deep structure
            raise StudyError([("(study)", "...", "nested too deeply (or refers to itself)")], source) from None
        study._base_dir = base_dir
        study._log_folders = tuple(Path(f) for f in log_folders)
        study._warnings = tuple(check_study(study, source))
        return study

    @classmethod
    def from_file(cls, path: str | Path, log_folders: Sequence[str | Path] = ()) -> Study:
        """Read a TOML (or YAML) study file. Parsing never executes anything: tomllib, yaml.safe_load.
        ``log_folders``: folders besides the file's own that its energy logs may be read from."""
        path = Path(path)
        try:
            if not path.is_file():
                raise StudyError([("file", str(path), "no such study file")], str(path))
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise StudyError([("file", str(path), f"not UTF-8 text ({error.reason} at byte {error.start})")], str(path)) from None
        except OSError as error:
            raise StudyError([("file", str(path), f"cannot be read: {error.strerror or error}")], str(path)) from None
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise StudyError([("file", str(path), "YAML study files need PyYAML installed")], str(path))
            try:
                data = yaml.safe_load(text)  # safe_load: no object construction, no code
            except yaml.YAMLError as error:
                raise StudyError([("file", str(path), f"not valid YAML: {error}")], str(path)) from None
            except RecursionError:
                raise StudyError([("file", str(path), "YAML nested too deeply")], str(path)) from None
        else:
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as error:
                raise StudyError([("file", str(path), f"not valid TOML: {error}")], str(path)) from None
            except RecursionError:
                raise StudyError([("file", str(path), "TOML nested too deeply")], str(path)) from None
        if not isinstance(data, dict):
            raise StudyError([("file", str(path), "a study must be a table (mapping) at top level")], str(path))
        study = cls.from_dict(data, source=str(path), base_dir=path.parent, log_folders=log_folders)
        study._path = path.resolve()
        return study

    @property
    def path(self) -> Path | None:
        """The study file this study was read from (None if made from a dict)."""
        return self._path

    @property
    def base_dir(self) -> Path | None:
        """Folder that relative paths in the study (energy logs) are read from."""
        return self._base_dir

    @property
    def allowed_log_folders(self) -> tuple[Path, ...]:
        """Folders besides ``base_dir`` that energy logs may be read from: the study's
        ``log_folders`` (relative ones from the study's folder) and those the caller allowed."""
        own = tuple(Path(f).expanduser() if self._base_dir is None or Path(f).expanduser().is_absolute()
                    else self._base_dir / f for f in self.study.log_folders)
        return own + self._log_folders

    @property
    def warnings(self) -> tuple[str, ...]:
        """Plausibility warnings: legal but unusual values, with units."""
        return self._warnings

    def model_named(self, name: str) -> ModelProvenance | None:
        if name == self.model.name:
            return self.model
        return next((m for m in self.models if m.name == name), None)


MAX_STUDY_NODES = 100_000  # values in a study; a real one has hundreds
MAX_STUDY_DEPTH = 32


def _size_problem(data: object) -> tuple[str, object, str] | None:
    """Refuse a structure too large or deep to be a study (e.g. YAML aliases that expand
    exponentially, or refer to themselves) before anything walks it."""
    budget = MAX_STUDY_NODES
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        budget -= 1
        if budget < 0:
            return ("(study)", "...", f"more than {MAX_STUDY_NODES:,} values: not a study (repeated YAML aliases?)")
        if depth > MAX_STUDY_DEPTH:
            return ("(study)", "...", f"nested more than {MAX_STUDY_DEPTH} levels deep (or refers to itself)")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
            stack.extend((key, depth + 1) for key in value if not isinstance(key, str))
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((item, depth + 1) for item in value)
    return None


def _problems(error: ValidationError) -> list[tuple[str, object, str]]:
    problems = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            message = "unknown field (check its spelling and unit suffix)"
        elif item["type"] == "missing":
            value = "(missing)"
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if isinstance(value, dict) and item["type"] != "extra_forbidden":
            value = "{...}"
        hint = _unit_hint(tuple(str(part) for part in item["loc"]), item["type"], value)
        if hint:
            message = f"{message}; {hint}"
        problems.append((path or "(study)", _short(value), message))
    return problems


def _unit_hint(loc: tuple[str, ...], kind: str, value: object) -> str:
    """Name the likely unit mix-up behind a value out of range (a 700 kW GPU, a PUE of 0.9)."""
    field = loc[-1] if loc else ""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e300 else None
    if field.endswith("power_w") and kind == "less_than_equal" and number is not None and math.isfinite(float(number)):
        return f"power is in W per accelerator ({float(number):g} W = {float(number) / 1000:g} kW): a node, rack or kW figure?"
    if field == "pue" and kind == "greater_than_equal":
        return "PUE = facility energy / IT energy, so it is at least 1 (an overhead of 0.1 is PUE 1.1)"
    if field == "pue" and kind == "less_than_equal":
        return "PUE = facility energy / IT energy; real datacenters are between 1.05 and 3"
    if kind in ("less_than_equal", "less_than") and (
        field in ("utilization", "idle_share", "teacher_weight") or (len(loc) >= 2 and loc[-2] == "datasets")
    ):
        return "a share between 0 and 1, not a percentage (85 % is 0.85)"
    if field == "lifespan_years" and kind == "less_than_equal":
        return "the unit is years (is this in months or hours?)"
    if field == "wue_l_per_kwh" and kind == "less_than_equal":
        return "the unit is litres per kWh of IT energy"
    return ""


def _short(value: object) -> object:
    """The value as reported: itself if its repr is short, else a bounded repr (never the whole of
    a huge or self-referencing structure)."""
    try:
        text = _REPR.repr(value)
    except Exception:  # e.g. an int too long for str(), an object whose repr fails
        return f"<{type(value).__name__}>"
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    if isinstance(value, (bool, float, type(None))) or (isinstance(value, int) and abs(value) < 10**60):
        return value
    return text if len(text) <= 80 else text[:77] + "..."


_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80
_REPR.maxlong = 40
_REPR.maxlevel = 3


def slug(text: str) -> str:
    """A stable, readable code fragment: 'Pre-training (run 2)' -> 'pre-training-run-2'."""
    # Letters and digits of any script are kept (unicode names must not all collapse to "x"); for
    # ASCII this is the same as [^a-z0-9]+.
    value = re.sub(r"(?:[^\w]|_)+", "-", text.lower()).strip("-")
    return value or "x"


def is_finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
