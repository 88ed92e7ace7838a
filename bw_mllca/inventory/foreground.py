"""The foreground builder: a study becomes Brightway activities whose exchange amounts carry the
amortization: the cost of one functional unit is what bw2calc computes from them.

    FU (attributional view) --(queries/B)--------------> inference batch --> accelerator-hour, IT energy
                            --(queries/lifetime)-------> trained model --1--> each development stage
                            --(queries/lifetime x n)---> re-training run         (w1) teacher model
                            --(idle hours)-------------> idle capacity           (w2) data sets
    FU (consumer view)      --> inference batch, idle capacity only (no development)

    accelerator-hour --1/(L u)----------> accelerator manufacture, accelerator end of life
                     --1/(L_server u n)--> host server manufacture, host server end of life
    (a CPU-only node: one server-hour --1/(L_server u)--> server manufacture and end of life)
    IT energy (1 kWh) --PUE--> grid electricity at the meter (which carries off-site water)
                      --WUE/1000--> Water (on-site evaporation, m3)

Every stage activity consumes only accelerator-hours, IT energy and platform time, so the FU's
score is exactly the sum of its stages' contributions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bw2data as bd

from ..brightway_feedback import brightway_output_logged
from ..errors import BuildError, ProjectStateError
from ..ownership import fingerprint_of, mark
from ..scope.resolve import (
    HOURS_PER_YEAR,
    Operation,
    ResolvedHardware,
    host_energy_kwh,
    inference,
    resolve_datacenter,
    resolve_hardware,
    retraining_runs,
    stage_operation,
)
from ..scope.linking import ONE_ACCELERATOR, ONE_KWH_AT_METER, LinkedActivity, resolve_link
from ..scope.study import Embodied, Stage, StageKind, Study, slug
from ..catalog import Region
from ..ecoinvent.gateways import EcoinventGateways
from .background import BACKGROUND
from .biosphere import BIOSPHERE, OWN_BIOSPHERE, WATER_AWARE
from .grid_mixes import grid_mix, technology_water_m3_per_kwh
from .writer import write_owned_database

# biosphere3 flows the foreground itself writes (bw2io bundled ecoinvent 3.9 elementary flows).
CO2_FOSSIL_AIR = "aa7cac3a-3625-41d4-bc54-33e2cf11ec46"  # Carbon dioxide, fossil; air, non-urban/high stacks
WATER_TO_AIR = "075e433b-4be4-448e-9510-9a5029c1ce94"  # Water; air, unspecified (evaporated), m3

# Components: the tag on each exchange that leaves the foreground (impact/system.py reads it).
ELECTRICITY, END_OF_LIFE, PLATFORM = "electricity", "end of life", "platform overhead"
ONSITE_WATER = "on-site water"
EMBODIED_ACCELERATOR = "embodied accelerator"
EMBODIED_SERVER = "embodied host server"
EMBODIED_STORAGE_NETWORK = "embodied storage and network"
EMBODIED = (EMBODIED_ACCELERATOR, EMBODIED_SERVER, EMBODIED_STORAGE_NETWORK)  # the embodied hardware

# On ecoinvent the off-site water is in ecoinvent's own flows: counted by volume, not weighted by AWARE.
ECOINVENT_AWARE_NOTE = ("background: the AWARE scarcity-weighted water indicator counts the on-site cooling water only; "
                        "the water of ecoinvent's electricity and hardware is in consumptive water use (volume), "
                        "without scarcity weighting")

FU_ATTRIBUTIONAL = "fu:attributional"
FU_CONSUMER = "fu:consumer"
FU_TRAINING = "fu:training"
FU_CODES = {"attributional": FU_ATTRIBUTIONAL, "consumer": FU_CONSUMER, "training": FU_TRAINING}
VIEWS = {
    "attributional": "attributional LCA view: inference, idle capacity, embodied hardware, and the "
    "development stages and re-training amortized over lifetime queries (Fernandez et al., eq. 1)",
    "consumer": "consumer view: inference and idle capacity with their embodied hardware share, "
    "without development costs (as the Green Software Foundation's SCI for AI reports it)",
    "training": "training view: one trained model, its development stages with their embodied hardware "
    "share, w1 of its teacher and w2 of its data sets (a training report's functional unit; no use)",
}


@dataclass
class StageRecord:
    """What the builder decided for one stage, kept for results and the completeness table."""

    name: str
    kind: str
    code: str
    accelerator_hours: float
    it_energy_kwh: float
    measured: bool
    basis: str
    owner: str  # "model: X", "data set: Y", "functional unit"
    notes: tuple[str, ...] = ()  # what a reader or the builder found: log gaps, a tool's PUE


@dataclass
class Foreground:
    database: str
    data: dict[tuple[str, str], dict]
    stages: list[StageRecord] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def _exchange(key: tuple[str, str], amount: float, kind: str = "technosphere", **extra: Any) -> dict:
    return {"input": key, "amount": float(amount), "type": kind, **extra}


class _Builder:
    def __init__(self, study: Study):
        self.study = study
        self.db = study.database_name
        self.bg = BACKGROUND  # the public data: the whole background, or what an ecoinvent one leaves to it
        self.choice = study.study.background_choice
        self.ecoinvent = None if self.choice.is_public else EcoinventGateways(self.choice)
        self.data: dict[tuple[str, str], dict] = {}
        self.records: list[StageRecord] = []
        self.hardware = {n: resolve_hardware(n, h) for n, h in study.hardware.items()}
        self.datacenters = {n: resolve_datacenter(n, d) for n, d in study.datacenters.items()}
        self.sources: set[str] = set()
        if self.ecoinvent is not None:
            self.sources.add(f"{self.choice.label}: gateways linked by bw_mllca's ecoinvent mapping "
                             "(inventories/ecoinvent_mapping.csv, ecoinvent_locations.csv)")
        self.source = f"study {study.study.name!r}"  # how errors name the study
        from ..catalog import load_catalog

        self.catalog = load_catalog()

    # -- helpers -------------------------------------------------------------------------------
    def key(self, code: str) -> tuple[str, str]:
        return (self.db, code)

    def add(self, code: str, name: str, unit: str, location: str = "GLO", **fields: Any) -> dict:
        activity = {
            "name": name,
            "unit": unit,
            "location": location,
            "reference product": fields.pop("reference_product", name),
            "type": "process",
            "exchanges": [_exchange(self.key(code), 1.0, "production")],
            **fields,
        }
        self.data[self.key(code)] = activity
        return activity

    def link(self, activity: dict, key: tuple[str, str], amount: float, comment: str = "", component: str | None = None) -> None:
        """A technosphere input; ``component`` tags an exchange that leaves the foreground (a gateway)."""
        if amount != 0.0:
            extra = {"mllca_component": component} if component else {}
            activity["exchanges"].append(_exchange(key, amount, comment=comment, **extra))

    def emit(self, activity: dict, uuid: str, amount: float, comment: str = "") -> None:
        if amount != 0.0:
            activity["exchanges"].append(_exchange((BIOSPHERE, uuid), amount, "biosphere", comment=comment))

    def emit_aware(self, activity: dict, amount_m3_world_eq: float, comment: str = "") -> None:
        """Scarcity-weighted water (bw_mllca's own flow: m3 x the AWARE factor where it is consumed)."""
        if amount_m3_world_eq != 0.0:
            activity["exchanges"].append(_exchange((OWN_BIOSPHERE, WATER_AWARE), amount_m3_world_eq, "biosphere", comment=comment))

    def background(self, code: str) -> tuple[str, str]:
        return (self.bg, code)

    def link_hardware(self, activity: dict, code: str, amount: float, comment: str, component: str) -> None:
        """A hardware activity of the background: the public one, or its copy relinked to ecoinvent
        (one per scenario database, weighted)."""
        inputs = self.ecoinvent.hardware(code) if self.ecoinvent else [((self.bg, code), 1.0)]
        for key, weight in inputs:
            share = f" (weight {weight:.6g} of {key[0]!r})" if weight != 1.0 else ""
            self.link(activity, key, amount * weight, comment + share, component)

    # -- infrastructure ------------------------------------------------------------------------
    def embodied_activity(self, code: str, name: str, embodied: Embodied) -> tuple[str, str]:
        activity = self.add(code, name, "unit", mllca_role="user-given embodied", comment=embodied.source)
        if embodied.co2e_kg:
            self.emit(activity, CO2_FOSSIL_AIR, embodied.co2e_kg, "user-given kg CO2-eq, written as CO2 fossil")
        for flow in embodied.flows:
            self.emit(activity, flow.uuid, flow.amount, flow.name)
        if embodied.source:
            self.sources.add(embodied.source)
        return self.key(code)

    def hardware_hour(self, name: str) -> tuple[str, str]:
        code = f"accelerator-hour:{slug(name)}"
        if self.key(code) in self.data:
            return self.key(code)
        spec = self.study.hardware[name]
        hw: ResolvedHardware = self.hardware[name]
        per_acc = hw.embodied_share_per_accelerator_hour
        per_server = hw.server_share_per_accelerator_hour
        label = spec.accelerator or ("CPU-only server " + (spec.server or "") if hw.cpu_only else "user-given accelerator")
        server_years = hw.server_lifespan_years if hw.server_lifespan_years == hw.server_lifespan_years else hw.lifespan_years
        activity = self.add(
            code,
            f"accelerator-hour, {label}, {hw.accelerators_per_node} per node ({name}; "
            f"{hw.lifespan_years:g} years at {hw.utilization:.0%} utilization)",
            "hour",
            mllca_role="accelerator-hour",
            comment=(
                (f"CPU-only node: one hour of 1/{hw.server_slots} server, 1/(lifespan {server_years:g} years x "
                 f"utilization {hw.utilization:g}) of its manufacture and end of life."
                 if hw.cpu_only else
                 f"Embodied share of one accelerator for one hour: 1/(lifespan {hw.lifespan_hours:g} h x "
                 f"utilization {hw.utilization:g}) of its manufacture and end of life, and 1/({hw.server_slots} slots x "
                 f"the server's own lifespan {server_years:g} years x utilization) of that of its host server.")
                + " Energy is not in here: stages consume IT energy directly."
            ),
        )
        accelerator = self.catalog.hardware.get(spec.accelerator or "")
        server = self.catalog.hardware.get(spec.server or "")
        # A boundary choice (scope.excluded): no manufacture, or no end of life, of any device.
        manufacture = not self.study.scope.excludes("hardware manufacture")
        end_of_life = not self.study.scope.excludes("end of life")
        server_component = EMBODIED_STORAGE_NETWORK if server is not None and server.kind in ("storage", "network") else EMBODIED_SERVER
        if hw.cpu_only or not manufacture:
            pass  # no accelerator: the server share below is the whole embodied hardware
        elif spec.manufacture_activity is not None:
            linked = resolve_link(spec.manufacture_activity, f"hardware.{name}.manufacture_activity", ONE_ACCELERATOR, self.source)
            self.link(activity, linked.key, per_acc * linked.amount_per_unit,
                      f"accelerator manufacture (user-linked: {linked.label}, {linked.amount_per_unit:g} per accelerator)", EMBODIED_ACCELERATOR)
        elif spec.accelerator_embodied is not None:  # user-given, or a published figure for a catalog accelerator
            label = f"published figure for {spec.accelerator}" if accelerator is not None else "user-given"
            key = self.embodied_activity(f"manufacture:{slug(name)}:accelerator", f"accelerator manufacture, {label} ({name})", spec.accelerator_embodied)
            self.link(activity, key, per_acc, "accelerator manufacture", EMBODIED_ACCELERATOR)
        elif accelerator is not None:
            self.link_hardware(activity, accelerator.manufacture_activity, per_acc, "accelerator manufacture", EMBODIED_ACCELERATOR)
            self.sources.add(accelerator.source)
        if not end_of_life:
            pass
        elif spec.accelerator_end_of_life is not None:
            key = self.embodied_activity(f"eol:{slug(name)}:accelerator", f"accelerator end of life, user-given ({name})", spec.accelerator_end_of_life)
            self.link(activity, key, per_acc, "accelerator end of life", END_OF_LIFE)
        elif accelerator is not None and not hw.cpu_only:
            self.link_hardware(activity, accelerator.end_of_life_activity, per_acc, "accelerator end of life", END_OF_LIFE)
        if not manufacture:
            pass
        elif spec.server_embodied is not None:
            key = self.embodied_activity(f"manufacture:{slug(name)}:server", f"host server manufacture, user-given ({name})", spec.server_embodied)
            self.link(activity, key, per_server, "host server manufacture", server_component)
        elif server is not None:
            self.link_hardware(activity, server.manufacture_activity, per_server, "host server manufacture", server_component)
            self.sources.add(server.source)
        if not end_of_life:
            pass
        elif spec.server_end_of_life is not None:
            key = self.embodied_activity(f"eol:{slug(name)}:server", f"host server end of life, user-given ({name})", spec.server_end_of_life)
            self.link(activity, key, per_server, "host server end of life", END_OF_LIFE)
        elif server is not None and spec.server_embodied is None:
            self.link_hardware(activity, server.end_of_life_activity, per_server, "host server end of life", END_OF_LIFE)
        for device_code, units_per_node in spec.storage_and_network.items():
            device = self.catalog.hardware[device_code]
            # units per node / (accelerators per node x the device's own lifespan in hours x utilization)
            share = units_per_node / (hw.accelerators_per_node * device.default_lifespan_years * HOURS_PER_YEAR * hw.utilization)
            if manufacture:
                self.link_hardware(activity, device.manufacture_activity, share, f"{device_code} manufacture", EMBODIED_STORAGE_NETWORK)
            if end_of_life:
                self.link_hardware(activity, device.end_of_life_activity, share, f"{device_code} end of life", END_OF_LIFE)
            self.sources.add(device.source)
        return self.key(code)

    def it_energy(self, name: str) -> tuple[str, str]:
        code = f"it-energy:{slug(name)}"
        if self.key(code) in self.data:
            return self.key(code)
        spec = self.study.datacenters[name]
        dc = self.datacenters[name]
        grids: list[tuple[tuple[str, str], float]]  # grid activities and their kWh per kWh at the meter
        if spec.electricity_activity is not None:
            linked = self.linked_grid(name)
            grids, location = [(linked.key, linked.amount_per_unit)], linked.location or "GLO"
        elif spec.region is not None and self.ecoinvent is not None:
            region = self.catalog.region(spec.region)
            grids, location = self.ecoinvent.grid(name, region.code, spec.grid_span), region.location
        elif spec.region is not None:
            region = self.catalog.region(spec.region)
            grids, location = [(self.grid(name, region, spec.grid_span), 1.0)], region.location
            self.sources.add(region.source)
        else:
            grid_code = f"grid:{slug(name)}"
            grid_activity = self.add(
                grid_code,
                f"electricity, user-given grid of datacenter {name} ({spec.grid_kgco2e_per_kwh:g} kg CO2e/kWh)",
                "kilowatt hour",
                mllca_role="grid",
                comment="User-given grid intensity, written as CO2 fossil (kg CO2-eq) per kWh at the meter.",
            )
            self.emit(grid_activity, CO2_FOSSIL_AIR, spec.grid_kgco2e_per_kwh or 0.0, "user-given kg CO2-eq per kWh")
            water_m3 = (spec.grid_water_l_per_kwh or 0.0) / 1000.0
            self.emit(grid_activity, WATER_TO_AIR, water_m3, "off-site water, m3 per kWh")
            self.emit_aware(grid_activity, water_m3 * self.catalog.aware_cf["GLO"],
                            "off-site water x world-average AWARE factor (a user-given grid has no location)")
            grids, location = [(self.key(grid_code), 1.0)], "GLO"
        if spec.profile:
            self.sources.add(self.catalog.datacenters[spec.profile].source)
        activity = self.add(
            code,
            f"IT electricity use, datacenter {name} (PUE {dc.pue:g}, WUE {dc.wue_l_per_kwh:g} L/kWh)",
            "kilowatt hour",
            location=location,
            mllca_role="it-energy",
            comment=(
                "1 kWh at the IT equipment: PUE kWh drawn from the grid at the meter (whose own water "
                "use is the off-site water), and WUE litres of on-site cooling water evaporated. PUE "
                "enters once, here."
            ),
        )
        for grid, per_kwh in grids:
            self.link(activity, grid, dc.pue * per_kwh, "grid electricity at the meter: 1 kWh IT x PUE", ELECTRICITY)
        self.emit(activity, WATER_TO_AIR, dc.wue_l_per_kwh / 1000.0, "on-site water: 1 kWh IT x WUE, m3")
        if self.ecoinvent is not None:  # the evaporated water is drawn from the local tap-water market
            region_code = spec.region or (location if self.catalog.has_region(location) else None)
            for key, per_m3 in self.ecoinvent.tap_water(name, region_code):
                self.link(activity, key, dc.wue_l_per_kwh / 1000.0 * per_m3, "on-site water supply: WUE, m3 of tap water", ONSITE_WATER)
        if spec.region is not None:
            region = self.catalog.region(spec.region)
            cf, where = region.aware_cf, f"AWARE factor of {region.country}"
        elif location in self.catalog.aware_cf:  # a linked grid in a country: that country's factor
            cf, where = self.catalog.aware_cf[location], f"AWARE factor of {location} (the linked grid's location)"
        else:
            cf, where = self.catalog.aware_cf["GLO"], "world-average AWARE factor (the datacenter names no region)"
        self.emit_aware(activity, dc.wue_l_per_kwh / 1000.0 * cf, f"on-site water x {where}, m3 world-eq")
        return self.key(code)

    def grid(self, datacenter: str, region: Region, span: tuple[int, int] | None) -> tuple[str, str]:
        """Electricity at the meter of ``region``: the background's (latest year), or a mix built here."""
        if span is None:
            return self.background(region.electricity_activity)
        mix = grid_mix(region, *span)
        if mix.years == (region.latest_year,):
            return self.background(region.electricity_activity)
        code = f"grid:{slug(datacenter)}:{mix.label}"
        if self.key(code) in self.data:
            return self.key(code)
        per_generated = 1.0 / (1.0 - region.loss_fraction)
        activity = self.add(
            code,
            f"electricity, at datacenter meter, {region.name} ({region.code}), mix of {mix.label}",
            "kilowatt hour",
            location=region.location,
            mllca_role="grid",
            comment=(
                f"1 kWh at the meter: {per_generated:.6g} kWh generated (grid losses {region.loss_fraction:.2%}), "
                f"split over the technologies by the mean of the yearly mixes of {', '.join(map(str, mix.years))} "
                "(equal weights: power drawn evenly over the span)."
            ),
        )
        for technology, share in sorted(mix.shares.items()):
            self.link(activity, self.background(technology), share * per_generated, f"share {share:.6g} x 1/(1 - losses)")
        water = mix.water_m3_per_kwh_generated(technology_water_m3_per_kwh()) * per_generated
        self.emit_aware(activity, water * region.aware_cf, f"generation water {water:.6g} m3 x AWARE factor of {region.country}")
        return self.key(code)

    def platform(self, name: str) -> tuple[str, str]:
        code = f"platform:{slug(name)}"
        if self.key(code) not in self.data:
            spec = self.study.platforms[name]
            activity = self.add(code, f"platform overhead, {name}, one minute", "minute", mllca_role="platform", comment=spec.source)
            self.emit(activity, CO2_FOSSIL_AIR, spec.co2e_kg_per_minute, "platform emissions per minute, kg CO2-eq")
        return self.key(code)

    # -- stages --------------------------------------------------------------------------------
    def operation(self, stage: Stage) -> tuple[Operation, tuple[str, ...]]:
        """The stage's operation, and notes on what its energy log lacks or assumed."""
        hw = self.hardware[stage.hardware] if stage.hardware is not None else None
        pue = self.datacenters[stage.datacenter].pue
        if stage.energy is None:
            return stage_operation(stage, hw, pue), ()
        assert hw is not None  # validated: a stage with a log names its hardware
        from ..scope import log_paths
        from .energy_logs import EnergyLogError, read_energy_log

        # checked again here: the file may have become a link elsewhere since the study was read
        outside = log_paths.outside_problem(stage.energy.log, self.study.base_dir, self.study.allowed_log_folders)
        if outside:
            raise EnergyLogError(f"stage {stage.name!r}: energy.log = {stage.energy.log!r} {outside}")
        path = log_paths.log_file(stage.energy.log, self.study.base_dir)
        options = log_paths.reader_options(stage.energy.tz, stage.energy.options)
        measurement = read_energy_log(path, format=stage.energy.format, **options)
        if stage.node_hours is not None:
            accelerator_hours = stage.node_hours * hw.accelerators_per_node
        elif stage.accelerator_hours is not None:
            accelerator_hours = stage.accelerator_hours
        else:
            accelerator_hours = measurement.accelerator_hours or 0.0
        basis = f"{'measured' if measurement.measured else 'estimated'} energy log ({measurement.source_format})"
        energy = measurement.it_energy_kwh + host_energy_kwh(stage, hw, accelerator_hours)
        return Operation(accelerator_hours, energy, measurement.measured, basis), log_notes(stage, measurement, pue)

    def stage(self, stage: Stage, owner: str) -> tuple[str, str]:
        code = f"stage:{slug(stage.name)}"
        op, notes = self.operation(stage)
        activity = self.add(
            code,
            f"{stage.kind.value}: {stage.name}",
            "unit",
            location=self.location_of(stage.datacenter),
            mllca_role="stage",
            mllca_stage=stage.name,
            mllca_stage_kind=stage.kind.value,
            mllca_measured=op.measured,
            mllca_basis=op.basis,
            comment=f"One run. Operation: {op.basis}. {stage.source}".strip(),
        )
        if stage.hardware is not None and op.accelerator_hours > 0.0:
            self.link(activity, self.hardware_hour(stage.hardware), op.accelerator_hours, "accelerator-hours (embodied share)")
        self.link(activity, self.it_energy(stage.datacenter), op.it_energy_kwh, "IT energy, kWh before PUE")
        if stage.platform is not None:
            spec = self.study.platforms[stage.platform]
            minutes = (stage.duration_hours or 0.0) * 60.0 / spec.concurrent_jobs
            self.link(activity, self.platform(stage.platform), minutes, "job minutes / concurrent jobs", PLATFORM)
        if stage.source:
            self.sources.add(stage.source)
        self.records.append(StageRecord(stage.name, stage.kind.value, code, op.accelerator_hours, op.it_energy_kwh,
                                        op.measured, op.basis, owner, notes))
        return self.key(code)

    def idle_stage(self, stage: Stage, owner: str) -> tuple[str, str]:
        """The run's idle and infrastructure energy (idle_energy_kwh) as a stage of its own."""
        code = f"stage:{slug(stage.name)}:idle"
        name = f"{stage.name}: idle and infrastructure"
        basis = f"{'estimated' if stage.energy_estimated else 'measured'} idle and infrastructure energy (kWh)"
        activity = self.add(
            code, f"{stage.kind.value}: {name}", "unit", location=self.location_of(stage.datacenter),
            mllca_role="stage", mllca_stage=name, mllca_stage_kind=stage.kind.value,
            mllca_measured=not stage.energy_estimated, mllca_basis=basis,
            comment=f"Reserved but idle nodes and shared infrastructure during one run of {stage.name!r}. {stage.source}".strip(),
        )
        self.link(activity, self.it_energy(stage.datacenter), stage.idle_energy_kwh or 0.0, "idle IT energy, kWh before PUE")
        self.records.append(StageRecord(name, stage.kind.value, code, 0.0, stage.idle_energy_kwh or 0.0,
                                        not stage.energy_estimated, basis, owner))
        return self.key(code)

    def runs(self, activity: dict, stage: Stage, owner: str, amount: float, comment: str) -> None:
        """``amount`` runs of ``stage`` (and of its idle and infrastructure energy, when given)."""
        self.link(activity, self.stage(stage, owner), amount, comment)
        if stage.idle_energy_kwh is not None:
            self.link(activity, self.idle_stage(stage, owner), amount, comment)

    def location_of(self, datacenter: str) -> str:
        """A datacenter's location: its catalog region's, or that of the grid activity it links to."""
        spec = self.study.datacenters[datacenter]
        if spec.region:
            return self.catalog.region(spec.region).location
        if spec.electricity_activity is not None:
            return self.linked_grid(datacenter).location or "GLO"
        return "GLO"

    def linked_grid(self, datacenter: str) -> LinkedActivity:
        link = self.study.datacenters[datacenter].electricity_activity
        assert link is not None
        return resolve_link(link, f"datacenters.{datacenter}.electricity_activity", ONE_KWH_AT_METER, self.source)

    # -- products ------------------------------------------------------------------------------
    def dataset(self, name: str) -> tuple[str, str]:
        code = f"dataset:{slug(name)}"
        if self.key(code) not in self.data:
            activity = self.add(code, f"data set: {name}", "unit", mllca_role="dataset")
            for stage in self.study.stages:
                if stage.dataset == name:
                    self.runs(activity, stage, f"data set: {name}", 1.0, "one preparation run")
        return self.key(code)

    def model(self, name: str) -> tuple[str, str]:
        code = f"model:{slug(name)}"
        if self.key(code) in self.data:
            return self.key(code)
        provenance = self.study.model_named(name)
        assert provenance is not None  # validated
        activity = self.add(
            code,
            f"trained model: {name}",
            "unit",
            mllca_role="model",
            comment="One trained model: its development stages, w1 of its teacher and w2 of each data set (EPC).",
        )
        is_main = name == self.study.model.name
        for stage in self.study.stages:
            if stage.kind is StageKind.re_training or stage.dataset is not None:
                continue
            if stage.model == name or (stage.model is None and is_main):
                self.runs(activity, stage, f"model: {name}", 1.0, "one run")
        if provenance.teacher is not None:
            self.link(activity, self.model(provenance.teacher), provenance.teacher_weight, "teacher model, reuse weight w1")
        for dataset, weight in provenance.datasets.items():
            self.link(activity, self.dataset(dataset), weight, "data set, reuse weight w2")
        return self.key(code)

    def training(self) -> None:
        """The trained-model functional unit: one trained model, development only."""
        fu = self.study.goal.functional_unit
        activity = self.add(
            FU_TRAINING, f"functional unit: {fu.description} (training view)", "unit",
            mllca_role="functional unit", mllca_view="training", comment=VIEWS["training"],
        )
        self.link(activity, self.model(self.study.model.name), 1.0, "one trained model")

    def use(self) -> None:
        study = self.study
        use = study.use
        fu = study.goal.functional_unit
        assert use is not None and fu.queries is not None  # validated for a functional unit of queries
        hw = self.hardware[use.hardware]
        inf = inference(use, hw, fu.queries)
        batch_code = "stage:inference"
        batch = self.add(
            batch_code,
            f"inference: one batch of {use.batch_size:g} queries",
            "unit",
            location=self.location_of(use.datacenter),
            mllca_role="stage",
            mllca_stage="inference",
            mllca_stage_kind="inference",
            mllca_measured=inf.measured,
            mllca_basis=inf.basis,
            comment=(
                f"{inf.seconds_per_batch:g} s on {inf.accelerators:g} accelerator(s), shared by {use.batch_size:g} "
                f"concurrent queries. {use.source}"
            ).strip(),
        )
        self.link(batch, self.hardware_hour(use.hardware), inf.accelerator_hours_per_batch, "accelerator-hours per batch")
        self.link(batch, self.it_energy(use.datacenter), inf.it_energy_kwh_per_batch, "IT energy per batch, kWh")
        self.records.append(StageRecord(
            "inference", "inference", batch_code, inf.accelerator_hours_per_batch, inf.it_energy_kwh_per_batch,
            inf.measured, inf.basis, "functional unit",
        ))
        if use.source:
            self.sources.add(use.source)

        idle_code = "stage:idle"
        idle = None
        if inf.idle_accelerator_hours_per_fu > 0:
            idle = self.add(
                idle_code,
                "deployment idle capacity: one idle accelerator-hour",
                "hour",
                location=self.location_of(use.datacenter),
                mllca_role="stage",
                mllca_stage="idle capacity",
                mllca_stage_kind="idle capacity",
                mllca_measured=False,
                mllca_basis="idle share x idle power",
                comment=f"Provisioned but unused: idle share {use.idle_share:g} of provisioned time at {use.idle_power_w or 0:g} W.",
            )
            self.link(idle, self.hardware_hour(use.hardware), 1.0, "one accelerator-hour")
            self.link(idle, self.it_energy(use.datacenter), inf.idle_it_energy_kwh_per_idle_hour, "idle IT energy, kWh")
            self.records.append(StageRecord("idle capacity", "idle capacity", idle_code, 1.0, inf.idle_it_energy_kwh_per_idle_hour, False, "idle share x idle power", "functional unit"))

        model = self.model(study.model.name)
        for view, code in (("attributional", FU_ATTRIBUTIONAL), ("consumer", FU_CONSUMER)):
            activity = self.add(
                code,
                f"functional unit: {fu.description} ({view} view)",
                "unit",
                location=self.location_of(use.datacenter),
                mllca_role="functional unit",
                mllca_view=view,
                comment=VIEWS[view],
            )
            self.link(activity, self.key(batch_code), inf.batches_per_fu, "batches per FU = queries / batch size")
            if idle is not None:
                self.link(activity, self.key(idle_code), inf.idle_accelerator_hours_per_fu, "idle accelerator-hours per FU")
            if view == "consumer":
                continue
            self.link(activity, model, inf.model_share_per_fu, "queries per FU / lifetime queries")
            for stage in study.stages:
                if stage.kind is StageKind.re_training:
                    runs = retraining_runs(stage, use)
                    self.runs(activity, stage, "functional unit", runs * inf.model_share_per_fu,
                              f"{runs:g} re-training runs over the deployment, split over lifetime queries")

    def build(self) -> Foreground:
        study = self.study
        fu = study.goal.functional_unit
        if fu.per_trained_model:
            self.training()
        else:
            self.use()
        included = sorted({r.kind for r in self.records})
        metadata = {
            "description": study.study.description or f"bw_mllca study {study.study.name!r}",
            "mllca_goal": {
                "intended_application": study.goal.intended_application,
                "audience": study.goal.audience,
                "functional_unit": fu.description,
                "functional_unit_kind": fu.kind,
                "reference_flow": fu.reference_flow,
                "reference_flow_queries": fu.queries,
                "performance_constraints": [c.text() for c in fu.constraints],
            },
            "mllca_scope": {
                "approach": study.scope.approach,
                "cut_off": study.scope.cut_off,
                "stages_included": included,
                "stages_excluded": {e.stage: e.reason for e in study.scope.excluded},
                "views": {view: VIEWS[view] for view in study.views},
                "hardware_manufacture": "excluded" if study.scope.excludes("hardware manufacture") else "included",
                "hardware_end_of_life": "excluded" if study.scope.excludes("end of life") else "included",
            },
            "mllca_warnings": [f"stage {r.name!r}: {note}" for r in self.records for note in r.notes]
            + ([ECOINVENT_AWARE_NOTE] if self.ecoinvent else []),
            "mllca_data_sources": sorted(self.sources | set(study.scope.data_sources)),
            "mllca_background": self.choice.label,
            **({"mllca_gateways": self.ecoinvent.records()} if self.ecoinvent else {}),
        }
        return Foreground(self.db, self.data, self.records, metadata)


def log_notes(stage: Stage, measurement: Any, datacenter_pue: float) -> tuple[str, ...]:
    """What an energy log's reader found and the result would otherwise hide: its gaps, and a PUE
    the tool applied that differs from the datacenter's (the study applies the datacenter's)."""
    notes = [f"energy log {stage.energy.log}: {gap}" for gap in measurement.gaps]  # type: ignore[union-attr]
    tool_pue = float(measurement.tool_pue)
    if abs(tool_pue - datacenter_pue) > 1e-9:
        change = datacenter_pue / tool_pue - 1.0
        notes.append(
            f"energy log {stage.energy.log}: the tool applied PUE {tool_pue:g}, the datacenter {stage.datacenter!r} "  # type: ignore[union-attr]
            f"has PUE {datacenter_pue:g}; the study uses {datacenter_pue:g} ({change:+.1%} facility energy against the tool's figure)"
        )
    return tuple(notes)


def foreground_of(study: Study) -> Foreground:
    """The foreground as data (nothing written): activities, stage records and metadata."""
    try:
        return _Builder(study).build()
    except (KeyError, ValueError) as error:
        raise BuildError(f"study {study.study.name!r}: {error}") from error


def _check_links(foreground: Foreground) -> None:
    """Every technosphere input outside the foreground must exist (e.g. setup ran, ecoinvent linked)."""
    from bw2data.backends import ActivityDataset as AD

    outside = {
        exc["input"]
        for ds in foreground.data.values()
        for exc in ds["exchanges"]
        if exc["type"] == "technosphere" and exc["input"][0] != foreground.database
    }
    for database in {db for db, _ in outside}:
        codes = {c for (c,) in AD.select(AD.code).where(AD.database == database).tuples()}
        missing = sorted(code for db, code in outside if db == database and code not in codes)
        if missing:
            hint = " (run bw_mllca.setup_project first)" if database == "mllca background" else ""
            raise BuildError(f"database {database!r} lacks activities {missing}{hint}")


def study_fingerprint(study: Study, foreground: Foreground | None = None) -> str:
    """What a study's database is built from: the study, its foreground and the background's mark.
    Equal to the database's mark: the database is this study's current build."""
    foreground = foreground or foreground_of(study)
    return fingerprint_of([
        study.model_dump(mode="json"),
        sorted((str(k), v) for k, v in foreground.data.items()),
        foreground.metadata,
        *((bd.databases.get(name) or {}).get("bw_mllca", {}).get("fingerprint", "") for name in _owned_backgrounds(study)),
    ])


def _owned_backgrounds(study: Study) -> list[str]:
    """The background databases bw_mllca wrote that the study links to: the public data, and on
    ecoinvent the relinked hardware of each of its databases."""
    from ..ecoinvent.hardware import hardware_database

    choice = study.study.background_choice
    return [BACKGROUND] + ([] if choice.is_public else [hardware_database(db) for db in choice.databases])


@brightway_output_logged()  # bw2data's bar per written database goes to the log
def build(study: Study | str | Path) -> str:
    """Write the study's foreground into the current project; returns the database name.

    Rebuilding an unchanged study writes nothing; a failed build leaves the previous database as it
    was; a database of the same name that bw_mllca did not write is never touched, nor one built
    from another study file with the same study name.
    """
    from ..integrity import setup_command
    from ..locking import project_lock

    if not isinstance(study, Study):
        study = Study.from_file(study)
    with project_lock():
        if BACKGROUND not in bd.databases:
            raise ProjectStateError(f"project {bd.projects.current!r} has no {BACKGROUND!r}: {setup_command()} first")
        foreground = foreground_of(study)
        _check_links(foreground)
        owner = mark(study_fingerprint(study, foreground), study=study.study.name)
        if study.path is not None:
            owner["origin"] = str(study.path)
        write_owned_database(foreground.database, lambda: foreground.data, owner, **foreground.metadata)
    return foreground.database
