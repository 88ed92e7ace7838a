"""Unit impact vectors of a cluster, computed once with bw2calc on the catalog background.

A job's footprint is a linear combination of a few unit quantities: one kWh of IT energy at a
partition's datacenter (grid at the meter x PUE, on-site water), one accelerator-hour of its
hardware (embodied share of manufacture and end of life), one platform-minute, one idle node-hour,
one use of a product (its EPC). The cluster's hardware, datacenters and platforms are written into
Brightway by the study builder (one stage per partition, so every quantity exists as an activity);
bw2calc's matrices are factorized once and every activity's unit score for every method comes
from one transposed solve (``StudySystem``). Attribution is then array arithmetic.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..impact.calculate import DEFAULT_METHODS
from ..impact.system import Method, StudySystem
from ..inventory.foreground import build
from ..scope.resolve import resolve_datacenter, resolve_hardware
from ..scope.study import Study, slug
from .cluster import Cluster
from .hourly import HourlyIntensity, read_hourly

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionUnits:
    """Per-unit scores (one value per method) and the numbers that turn a job into units."""

    name: str
    per_kwh: np.ndarray  # one kWh of IT energy (before PUE)
    per_accelerator_hour: np.ndarray  # embodied share of one accelerator-hour (server-hour if CPU-only)
    per_job_minute: np.ndarray  # platform overhead of one job-minute: per platform-minute / concurrent jobs
    per_idle_node_hour: np.ndarray  # one idle node-hour: its accelerator-hours and idle draw
    accelerators_per_node: int
    cpu_only: bool
    estimated_kw_per_accelerator: float  # draw for jobs without metered energy, host share included
    host_kw_per_accelerator: float
    metered_includes_host: bool
    pue: float
    nodes: int | None
    idle_node_kw: float
    hourly: HourlyIntensity | None = None  # the datacenter's hourly carbon intensity, if given


@dataclass(frozen=True)
class ClusterUnits:
    methods: tuple[Method, ...]
    units: tuple[str, ...]  # each method's unit
    partitions: dict[str, PartitionUnits]
    products: dict[str, np.ndarray] = field(default_factory=dict)  # EPC of one product use
    product_hours: dict[str, float] = field(default_factory=dict)  # lifetime_hours x parallel_jobs
    database: str = ""
    climate: tuple[int, ...] = ()  # the methods an hourly carbon intensity applies to


def unit_study(cluster: Cluster) -> Study:
    """The cluster as a study: one stage per partition with one accelerator-hour, one kWh and one
    hour of platform time, so the builder writes every unit quantity as an activity."""
    dump = lambda table: {k: v.model_dump(mode="json", exclude_none=True) for k, v in table.items()}  # noqa: E731
    stages = []
    for name, partition in cluster.partitions.items():
        stage: dict[str, Any] = {"name": f"partition {name}", "kind": "evaluation", "hardware": partition.hardware,
                                 "datacenter": partition.datacenter, "accelerator_hours": 1.0, "energy_kwh": 1.0}
        if partition.platform is not None:
            stage.update(platform=partition.platform, duration_hours=1.0)
        stages.append(stage)
    first = next(iter(cluster.partitions.values()))
    data = {
        "study": {"name": f"cluster {cluster.cluster.name}", "background": cluster.cluster.background,
                  "description": f"Unit quantities of the jobs of cluster {cluster.cluster.name!r} (bw-mllca jobs)."},
        "goal": {"functional_unit": {"description": "one unit of each cluster quantity", "queries": 1}},
        "hardware": dump(cluster.hardware),
        "datacenters": dump(cluster.datacenters),
        "platforms": dump(cluster.platforms),
        "model": {"name": "cluster jobs"},
        "stages": stages,
        "use": {"hardware": first.hardware, "datacenter": first.datacenter, "seconds_per_batch": 1.0,
                "energy_kwh_per_batch": 0.0, "lifetime_queries": 1.0},
    }
    return Study.from_dict(data, source=f"cluster {cluster.cluster.name!r}")


def cluster_units(cluster: Cluster, methods: Sequence[Method] | None = None) -> ClusterUnits:
    """Build the cluster's unit activities (idempotent) and score each one for every method."""
    methods = tuple(methods or DEFAULT_METHODS)
    study = unit_study(cluster)
    database = build(study)
    system = StudySystem(database, list(methods))

    def unit_score(code: str) -> np.ndarray:
        node = system.nodes[(database, code)]
        return np.array(system.Y[system.col[node.id]], dtype=np.float64)

    climate = tuple(i for i, m in enumerate(methods) if "climate change" in m)
    partitions = {}
    for name, partition in cluster.partitions.items():
        hw = resolve_hardware(partition.hardware, cluster.hardware[partition.hardware])
        dc = resolve_datacenter(partition.datacenter, cluster.datacenters[partition.datacenter])
        per_kwh = unit_score(f"it-energy:{slug(partition.datacenter)}")
        per_hour = unit_score(f"accelerator-hour:{slug(partition.hardware)}")
        if partition.platform is not None:
            platform = cluster.platforms[partition.platform]
            per_minute = unit_score(f"platform:{slug(partition.platform)}") / platform.concurrent_jobs
        else:
            per_minute = np.zeros(len(methods))
        power_w = partition.power_w if partition.power_w is not None else hw.accelerator_power_w
        if power_w is None:
            power_w = float("nan")  # no draw known: a job without metered energy is then refused
        idle_kw = partition.idle_node_power_w / 1000.0
        hourly = None
        if partition.datacenter in cluster.hourly_grid and climate:
            # the catalog's intensity at the meter: the kWh's climate score over the PUE it carries
            catalog_kg_per_kwh = per_kwh[climate[0]] / float(np.float32(dc.pue))
            hourly = read_hourly(cluster.path_of(cluster.hourly_grid[partition.datacenter].file), catalog_kg_per_kwh)
        partitions[name] = PartitionUnits(
            name=name,
            per_kwh=per_kwh,
            per_accelerator_hour=per_hour,
            per_job_minute=per_minute,
            per_idle_node_hour=hw.accelerators_per_node * per_hour + idle_kw * per_kwh,
            accelerators_per_node=hw.accelerators_per_node,
            cpu_only=hw.cpu_only,
            estimated_kw_per_accelerator=(power_w + hw.host_power_per_accelerator_w) / 1000.0,
            host_kw_per_accelerator=hw.host_power_per_accelerator_w / 1000.0,
            metered_includes_host=partition.metered_energy_includes_host,
            pue=dc.pue,
            nodes=partition.nodes,
            idle_node_kw=idle_kw,
            hourly=hourly,
        )
    products, product_hours = {}, {}
    for name, product in cluster.products.items():
        products[name] = product_epc(cluster, name, methods)
        product_hours[name] = product.lifetime_hours * product.parallel_jobs
    units = tuple(system.method_units[m] for m in methods)
    logger.info("cluster %r: unit scores of %d partitions and %d products from database %r",
                cluster.cluster.name, len(partitions), len(products), database)
    return ClusterUnits(methods, units, partitions, products, product_hours, database, climate)


def product_epc(cluster: Cluster, name: str, methods: Sequence[Method]) -> np.ndarray:
    """EPC of a product: the score of one unit of its trained model (development stages, teacher
    and data sets), from its study built with bw2calc."""
    study = Study.from_file(cluster.product_study_path(name))
    database = build(study)
    system = StudySystem(database, list(methods))
    model = cluster.products[name].model or study.model.name
    key = (database, f"model:{slug(model)}")
    if key not in system.nodes:
        raise KeyError(f"products.{name}.model = {model!r}: no such model in study {study.study.name!r}")
    return np.array(system.Y[system.col[system.nodes[key].id]], dtype=np.float64)
