"""A study's numbers with catalog defaults filled in: what the builder writes as exchange amounts.

Each function returns plain numbers with their unit in the name; the defaults come from
inventories/ (hardware TDP and lifespan, datacenter PUE and WUE) and are recorded as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog import Catalog, load_catalog
from .study import Datacenter, Hardware, Stage, Use

HOURS_PER_YEAR = 365.0 * 24.0  # 365-day years, as in the ASC worked example (3 years = 1,576,800 min)


@dataclass(frozen=True)
class ResolvedHardware:
    name: str
    accelerator_code: str | None
    server_code: str | None
    accelerators_per_node: int
    lifespan_years: float
    utilization: float
    server_slots: int  # accelerators one host server carries
    accelerator_power_w: float | None  # average draw per accelerator; None if unknown
    host_power_per_accelerator_w: float  # the host's non-accelerator draw, per accelerator
    server_lifespan_years: float = float("nan")  # the host server's own lifespan; nan: no server
    cpu_only: bool = False  # no accelerator: one "accelerator-hour" is one server-hour

    @property
    def lifespan_hours(self) -> float:
        return self.lifespan_years * HOURS_PER_YEAR

    @property
    def embodied_share_per_accelerator_hour(self) -> float:
        """Units of one accelerator manufacture carried by one accelerator-hour: 1/(L x u); 0 if CPU-only."""
        if self.cpu_only:
            return 0.0
        return 1.0 / (self.lifespan_hours * self.utilization)

    @property
    def server_share_per_accelerator_hour(self) -> float:
        """Units of one host server carried by one accelerator-hour: 1/(L_server x u x slots).

        The server is amortized over its own lifespan (catalog default or server_lifespan_years),
        which falls back to the accelerator's when the study names no catalog server.
        """
        lifespan = self.server_lifespan_years if not math.isnan(self.server_lifespan_years) else self.lifespan_years
        return 1.0 / (lifespan * HOURS_PER_YEAR * self.utilization * self.server_slots)


@dataclass(frozen=True)
class ResolvedDatacenter:
    name: str
    pue: float
    wue_l_per_kwh: float


def resolve_hardware(name: str, hardware: Hardware, catalog: Catalog | None = None) -> ResolvedHardware:
    catalog = catalog or load_catalog()
    accelerator = catalog.hardware.get(hardware.accelerator or "")
    server = catalog.hardware.get(hardware.server or "")
    cpu_only = hardware.cpu_only
    server_lifespan = hardware.server_lifespan_years or (server.default_lifespan_years if server else None)
    lifespan = hardware.lifespan_years or (accelerator.default_lifespan_years if accelerator else None)
    if cpu_only:
        lifespan = hardware.lifespan_years or server_lifespan  # the node is its server
        server_lifespan = lifespan
    power = hardware.power_w if hardware.power_w is not None else (accelerator.power_w if accelerator else None)
    # A catalog host server has a number of accelerator slots; each accelerator-hour carries
    # 1/slots of the server and of its draw, so a node's impacts scale with its accelerator count.
    slots = server.accelerators_per_server if server is not None and server.accelerators_per_server else hardware.accelerators_per_node
    if cpu_only:
        slots = hardware.accelerators_per_node  # CPU-only: one server per node, its hours are node-hours / 1
        power = 0.0 if hardware.power_w is None else hardware.power_w
    if hardware.host_power_w is not None:
        host_per_accelerator = hardware.host_power_w / hardware.accelerators_per_node
    elif server is not None:
        host_per_accelerator = server.power_w / slots
    else:
        host_per_accelerator = 0.0
    return ResolvedHardware(
        name=name,
        accelerator_code=hardware.accelerator,
        server_code=hardware.server,
        accelerators_per_node=hardware.accelerators_per_node,
        server_slots=slots,
        lifespan_years=lifespan if lifespan is not None else float("nan"),
        utilization=hardware.utilization,
        accelerator_power_w=power,
        host_power_per_accelerator_w=host_per_accelerator,
        server_lifespan_years=server_lifespan if server_lifespan is not None else float("nan"),
        cpu_only=cpu_only,
    )


def resolve_datacenter(name: str, datacenter: Datacenter, catalog: Catalog | None = None) -> ResolvedDatacenter:
    catalog = catalog or load_catalog()
    profile = catalog.datacenters.get(datacenter.profile or "")
    pue = datacenter.pue if datacenter.pue is not None else (profile.pue if profile else float("nan"))
    if datacenter.wue_l_per_kwh is not None:
        wue = datacenter.wue_l_per_kwh
    else:
        wue = profile.wue_onsite_l_per_kwh if profile and profile.wue_onsite_l_per_kwh is not None else 0.0
    return ResolvedDatacenter(name=name, pue=pue, wue_l_per_kwh=wue)


@dataclass(frozen=True)
class Operation:
    """A stage's operational input: accelerator-hours (embodied share) and IT energy (before PUE)."""

    accelerator_hours: float
    it_energy_kwh: float
    measured: bool
    basis: str  # how the numbers were obtained, for the completeness table


def stage_accelerator_hours(stage: Stage, hardware: ResolvedHardware | None) -> float:
    """Accelerator-hours of one run: accelerator_hours, node_hours x accelerators per node, or
    accelerators x wall-clock duration_hours; 0 for an energy-only stage."""
    if stage.node_hours is not None:
        return stage.node_hours * (hardware.accelerators_per_node if hardware is not None else 1)
    if stage.accelerators is not None:
        return stage.accelerators * (stage.duration_hours or 0.0)
    return stage.accelerator_hours or 0.0


def stage_operation(stage: Stage, hardware: ResolvedHardware | None, pue: float = float("nan")) -> Operation:
    """Operation of a stage given by numbers (a stage with an energy log is read by the inventory).

    ``pue``: the stage's datacenter PUE, which turns a facility (metered) energy into IT energy.
    """
    if stage.estimate is not None:
        assert hardware is not None  # validated: an estimated stage names its hardware
        from ..estimate.stages import estimate_stage

        power = stage.power_w if stage.power_w is not None else hardware.accelerator_power_w
        found = estimate_stage(stage.estimate, stage.kind.value, hardware.accelerator_code, power,
                               hardware.host_power_per_accelerator_w)
        return Operation(found.accelerator_hours, found.it_energy_kwh, False, found.basis)
    accelerator_hours = stage_accelerator_hours(stage, hardware)
    time = "accelerator-hours" if stage.accelerators is None else "accelerators x wall-clock hours"
    given = stage.energy_kwh
    what = "energy (kWh)"
    if stage.facility_energy_kwh is not None:
        if not (pue >= 1.0):
            raise ValueError(f"stage {stage.name!r}: facility_energy_kwh needs its datacenter's PUE")
        given = stage.facility_energy_kwh / pue  # PUE is applied once, in the IT-energy activity
        what = f"facility energy (kWh at the meter) / PUE {pue:g}"
    if given is not None:
        energy = given + (host_energy_kwh(stage, hardware, accelerator_hours) if hardware is not None else 0.0)
        basis = f"{'estimated' if stage.energy_estimated else 'measured'} {what}"
        if accelerator_hours == 0.0:
            basis += "; energy only (no accelerator time, no embodied hardware share)"
        return Operation(accelerator_hours, energy, not stage.energy_estimated, basis)
    assert hardware is not None  # validated: a stage without energy names its hardware
    power = stage.power_w if stage.power_w is not None else hardware.accelerator_power_w
    if power is None:
        raise ValueError(f"stage {stage.name!r}: no power_w and hardware {hardware.name!r} has none")
    energy = accelerator_hours * (power + hardware.host_power_per_accelerator_w) / 1000.0
    basis = f"{time} x average power" if stage.power_w is not None else f"{time} x rated power (TDP)"
    return Operation(accelerator_hours, energy, False, basis)


def host_energy_kwh(stage: Stage | Use, hardware: ResolvedHardware, accelerator_hours: float) -> float:
    """The host's draw to add to an accelerator-only energy figure (0 if the figure includes it)."""
    if stage.energy_includes_host:
        return 0.0
    return accelerator_hours * hardware.host_power_per_accelerator_w / 1000.0


@dataclass(frozen=True)
class Inference:
    """Per batch of ``batch_size`` queries, and how many batches and idle hours one FU carries."""

    accelerator_hours_per_batch: float
    it_energy_kwh_per_batch: float
    batches_per_fu: float
    idle_accelerator_hours_per_fu: float
    idle_it_energy_kwh_per_idle_hour: float
    model_share_per_fu: float  # queries per FU / lifetime queries
    measured: bool
    seconds_per_batch: float = float("nan")  # wall time of one batch on its accelerators
    accelerators: float = 1.0  # accelerators one batch holds for that time
    basis: str = ""  # how the batch's energy was obtained


def inference(use: Use, hardware: ResolvedHardware, fu_queries: float) -> Inference:
    # Concurrency: a batch of B queries shares the replica for t seconds, so each query carries
    # t/B of device time; the FU carries (queries / B) batches.
    if use.estimate is not None:  # EcoLogits' method: batch_size requests served together
        from ..estimate.inference import batch_operation

        seconds, accelerators, accelerator_hours, energy, basis = batch_operation(use.estimate, use.batch_size)
    else:
        seconds, accelerators = use.batch_seconds, float(use.accelerators)
        accelerator_hours = seconds / 3600.0 * use.accelerators
        if use.energy_kwh_per_batch is not None:
            # An accelerator-only reading gets the host's draw, as power-based batches and idle hours do.
            energy = use.energy_kwh_per_batch + host_energy_kwh(use, hardware, accelerator_hours)
            basis = ("estimated" if use.energy_estimated else "measured") + " energy per batch"
        else:
            power = use.power_w if use.power_w is not None else hardware.accelerator_power_w
            if power is None:
                raise ValueError(f"use: no power_w and hardware {hardware.name!r} has none")
            energy = accelerator_hours * (power + hardware.host_power_per_accelerator_w) / 1000.0
            basis = "batch time x power"
    batches = fu_queries / use.batch_size
    busy_hours = batches * accelerator_hours
    # idle_share is the share of provisioned accelerator time that serves no query.
    idle_hours = busy_hours * use.idle_share / (1.0 - use.idle_share)
    idle_power = use.idle_power_w or 0.0
    return Inference(
        accelerator_hours_per_batch=accelerator_hours,
        it_energy_kwh_per_batch=energy,
        batches_per_fu=batches,
        idle_accelerator_hours_per_fu=idle_hours,
        idle_it_energy_kwh_per_idle_hour=(idle_power + hardware.host_power_per_accelerator_w) / 1000.0,
        model_share_per_fu=fu_queries / use.total_queries,
        measured=use.energy_kwh_per_batch is not None and not use.energy_estimated,
        seconds_per_batch=seconds,
        accelerators=accelerators,
        basis=basis,
    )


def retraining_runs(stage: Stage, use: Use) -> float:
    """Re-training runs over the deployment: ``count``, or deployment days / cadence."""
    if stage.count is not None:
        return stage.count
    days = use.deployment_days
    if days is None or stage.every_days is None:
        raise ValueError(f"stage {stage.name!r}: every_days needs use.deployment_years or queries_per_day")
    return days / stage.every_days
