"""The cluster description (TOML): partitions -> node hardware and datacenter, platform services,
the idle-capacity policy and the software products jobs run in.

Hardware, datacenters and platforms use the study file's own tables (the same catalog codes, the
same validation); a partition adds what a scheduler knows: how many nodes it has (for its idle
capacity) and the draw to assume for jobs without metered energy.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from ..errors import StudyError
from ..scope.study import (
    MAX_ACCELERATOR_POWER_W,
    NOT_BOOL,
    Datacenter,
    Hardware,
    Name,
    Platform,
    PositiveFloat,
    Strict,
    _problems,
)


class ClusterInfo(Strict):
    name: Name
    background: Name = "mllca background"
    # "charge": node-hours nobody used are charged to the jobs of that partition and month, in
    # proportion to their node-hours; "report": they are reported apart, charged to no job.
    idle: Literal["charge", "report"] = "charge"
    description: str = ""


class Partition(Strict):
    """A scheduler partition: its nodes' hardware and datacenter, and its size."""

    hardware: Name
    datacenter: Name
    nodes: Annotated[int, NOT_BOOL, Field(ge=1, le=10_000_000)] | None = None  # installed; none: no idle accounting
    # W per accelerator (per server for CPU-only nodes) for jobs without metered energy; default:
    # the hardware's power_w, else the catalog TDP. The host's draw is added as in a study.
    power_w: Annotated[float, NOT_BOOL, Field(ge=0, le=MAX_ACCELERATOR_POWER_W, allow_inf_nan=False)] | None = None
    idle_node_power_w: Annotated[float, NOT_BOOL, Field(ge=0, le=100_000, allow_inf_nan=False)] = 0.0  # whole idle node, IT
    # Metered energy (ConsumedEnergyRaw) covers the whole node (IPMI); false: accelerators only, the
    # host's draw is added per accelerator-hour.
    metered_energy_includes_host: bool = True
    platform: Name | None = None  # a platform service whose overhead the partition's jobs share


class Product(Strict):
    """A software product jobs run in (a model they serve): its EPC from a study, spread as
    EPC x job hours / (lifetime_hours x parallel_jobs)."""

    study: Name  # a study file, relative to the cluster file
    model: Name | None = None  # default: the study's model
    lifetime_hours: PositiveFloat
    parallel_jobs: PositiveFloat = 1.0


class HourlyGrid(Strict):
    """An hourly carbon-intensity series for a datacenter (CSV: hour, kg_co2e_per_kwh at the meter);
    it replaces the catalog mix for the climate-change indicators only."""

    file: Name  # relative to the cluster file
    source: str = ""


class Cluster(Strict):
    cluster: ClusterInfo
    hardware: dict[str, Hardware]
    datacenters: dict[str, Datacenter]
    platforms: dict[str, Platform] = {}
    partitions: dict[str, Partition]
    products: dict[str, Product] = {}
    hourly_grid: dict[str, HourlyGrid] = {}  # by datacenter name
    _base_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _references(self) -> Cluster:
        problems = []
        for name, partition in self.partitions.items():
            for field, table in (("hardware", self.hardware), ("datacenter", self.datacenters), ("platform", self.platforms)):
                value = getattr(partition, field)
                if value is not None and value not in table:
                    problems.append(f"partitions.{name}.{field} = {value!r}: not one of {sorted(table)}")
        problems += [f"hourly_grid.{name}: not one of the datacenters {sorted(self.datacenters)}"
                     for name in self.hourly_grid if name not in self.datacenters]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def base_dir(self) -> Path | None:
        return self._base_dir

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "cluster", base_dir: Path | None = None) -> Cluster:
        try:
            cluster = cls.model_validate(data)
        except ValidationError as error:
            raise StudyError(_problems(error), source) from None
        cluster._base_dir = base_dir
        return cluster

    @classmethod
    def from_file(cls, path: str | Path) -> Cluster:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StudyError([("file", str(path), "no such cluster file")], str(path)) from None
        except (OSError, UnicodeDecodeError) as error:
            raise StudyError([("file", str(path), f"cannot be read: {error}")], str(path)) from None
        except tomllib.TOMLDecodeError as error:
            raise StudyError([("file", str(path), f"not valid TOML: {error}")], str(path)) from None
        return cls.from_dict(data, source=str(path), base_dir=path.parent)

    def product_study_path(self, name: str) -> Path:
        return self.path_of(self.products[name].study)

    def path_of(self, name: str) -> Path:
        """A file named in the cluster description, relative to the cluster file."""
        path = Path(name)
        if not path.is_absolute() and self._base_dir is not None:
            path = self._base_dir / path
        return path
