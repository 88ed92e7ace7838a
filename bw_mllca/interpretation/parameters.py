"""The named parameters a sensitivity or uncertainty analysis varies, and their default ranges.

Each parameter sets study fields (so a varied study is still a valid study, and the builder decides
what the value means); the fast engine (impact/engine.py) turns it into exchange amounts. A
parameter that targets several hardware entries or datacenters sets all of them to one value, so
they must share their base value (else name one: ``lifespan_years(hardware="node")``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..catalog import load_catalog
from ..errors import StudyError
from ..impact.engine import Parameter, Value
from ..scope.resolve import resolve_datacenter, resolve_hardware
from ..scope.study import Study

# Stage kinds whose IT energy ``training_energy_factor`` scales.
TRAINING_KINDS = ("pre-training", "mid-training", "post-training", "distillation: student training",
                  "fine-tuning", "re-training")


def _names(given: str | Sequence[str] | None, known: Sequence[str], what: str) -> tuple[str, ...]:
    if given is None:
        return tuple(known)
    names = (given,) if isinstance(given, str) else tuple(given)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise StudyError([(what, unknown, f"not in the study (known: {list(known)})")], "parameter")
    return names


def _one_base(values: dict[str, Value], field: str) -> Value:
    distinct = set(values.values())
    if len(distinct) != 1:
        raise StudyError([(field, values, "the targets differ: name one target for this parameter")], "parameter")
    return distinct.pop()


def lifetime_queries() -> Parameter:
    """Queries answered over the model's deployment (use.lifetime_queries), queries."""

    def setter(data: dict, value: Any, study: Study) -> None:
        data["use"]["lifetime_queries"] = float(value)

    return Parameter("lifetime queries", "queries", ("use.lifetime_queries",), setter,
                     lambda study: study.use.total_queries)


def _hardware_parameter(name: str, unit: str, field: str, hardware: str | Sequence[str] | None,
                        resolved: str) -> Parameter:
    catalog = load_catalog()

    def targets(study: Study) -> tuple[str, ...]:
        return _names(hardware, list(study.hardware), "hardware")

    def setter(data: dict, value: Any, study: Study) -> None:
        for target in _names(hardware, list(data["hardware"]), "hardware"):
            data["hardware"][target][field] = float(value)

    def base(study: Study) -> Value:
        values = {t: getattr(resolve_hardware(t, study.hardware[t], catalog), resolved) for t in targets(study)}
        return _one_base(values, f"hardware.*.{field}")

    fields = tuple(f"hardware.{t}.{field}" for t in ((hardware,) if isinstance(hardware, str) else hardware or ("*",)))
    return Parameter(name, unit, fields, setter, base)


def lifespan_years(hardware: str | Sequence[str] | None = None) -> Parameter:
    """Hardware lifespan (hardware.*.lifespan_years), years."""
    return _hardware_parameter("hardware lifespan", "years", "lifespan_years", hardware, "lifespan_years")


def utilization(hardware: str | Sequence[str] | None = None) -> Parameter:
    """Share of the hardware's life spent on work (hardware.*.utilization), 0-1."""
    return _hardware_parameter("utilization", "share (0-1)", "utilization", hardware, "utilization")


def _datacenter_parameter(name: str, unit: str, field: str, datacenters: str | Sequence[str] | None,
                          resolved: str) -> Parameter:
    catalog = load_catalog()

    def setter(data: dict, value: Any, study: Study) -> None:
        for target in _names(datacenters, list(data["datacenters"]), "datacenters"):
            data["datacenters"][target][field] = float(value)

    def base(study: Study) -> Value:
        values = {t: getattr(resolve_datacenter(t, study.datacenters[t], catalog), resolved)
                  for t in _names(datacenters, list(study.datacenters), "datacenters")}
        return _one_base(values, f"datacenters.*.{field}")

    fields = tuple(f"datacenters.{t}.{field}" for t in ((datacenters,) if isinstance(datacenters, str) else datacenters or ("*",)))
    return Parameter(name, unit, fields, setter, base)


def pue(datacenters: str | Sequence[str] | None = None) -> Parameter:
    """Power usage effectiveness (datacenters.*.pue), facility kWh per IT kWh."""
    return _datacenter_parameter("PUE", "kWh/kWh", "pue", datacenters, "pue")


def wue(datacenters: str | Sequence[str] | None = None) -> Parameter:
    """On-site water use effectiveness (datacenters.*.wue_l_per_kwh), L per IT kWh."""
    return _datacenter_parameter("WUE", "L/kWh", "wue_l_per_kwh", datacenters, "wue_l_per_kwh")


def grid_region(datacenters: str | Sequence[str] | None = None) -> Parameter:
    """Grid region of the datacenters (datacenters.*.region): a catalog region code (categorical)."""
    catalog = load_catalog()

    def setter(data: dict, value: Any, study: Study) -> None:
        for target in _names(datacenters, list(data["datacenters"]), "datacenters"):
            entry = data["datacenters"][target]
            # another region's latest-year mix: a year chosen for the study's own region may not exist there
            for other in ("grid_kgco2e_per_kwh", "grid_water_l_per_kwh", "electricity_activity", "grid_year", "grid_years"):
                entry.pop(other, None)
            entry["region"] = str(value)

    def base(study: Study) -> Value:
        values = {t: study.datacenters[t].region or "(custom grid)"
                  for t in _names(datacenters, list(study.datacenters), "datacenters")}
        return _one_base(values, "datacenters.*.region")

    fields = tuple(f"datacenters.{t}.region" for t in ((datacenters,) if isinstance(datacenters, str) else datacenters or ("*",)))
    return Parameter("grid region", "region code", fields, setter, base, levels=tuple(catalog.region_codes()))


def batch_size() -> Parameter:
    """Queries served together in one inference batch (use.batch_size), queries per batch."""

    def setter(data: dict, value: Any, study: Study) -> None:
        data["use"]["batch_size"] = float(value)

    return Parameter("batch size", "queries per batch", ("use.batch_size",), setter, lambda study: study.use.batch_size)


def idle_share() -> Parameter:
    """Share of provisioned accelerator time that serves no query (use.idle_share), 0-1.

    Idle hours per FU are busy hours x s / (1 - s): not a power law of s; the engine fits that
    rational form (verified on extra probe builds), so sweeps stay array arithmetic.
    """

    def setter(data: dict, value: Any, study: Study) -> None:
        data["use"]["idle_share"] = float(value)

    return Parameter("idle share", "share (0-1)", ("use.idle_share",), setter, lambda study: study.use.idle_share)


def idle_power_w() -> Parameter:
    """Accelerator power while idle (use.idle_power_w), W; affine in the idle-hour energy (plus host power)."""

    def setter(data: dict, value: Any, study: Study) -> None:
        data["use"]["idle_power_w"] = float(value)

    def base(study: Study) -> Value:
        if study.use.idle_power_w is None:
            raise StudyError([("use.idle_power_w", None, "not set in the study: give it a value to vary it")], "parameter")
        return study.use.idle_power_w

    return Parameter("idle power", "W", ("use.idle_power_w",), setter, base)


def training_energy_factor(kinds: Sequence[str] = TRAINING_KINDS) -> Parameter:
    """Multiplier (1 = as given) on the IT energy of every training stage (kinds in ``kinds``).

    Each such stage is rewritten as energy_kwh = factor x its base IT energy, with its base
    accelerator-hours, so only its energy changes (embodied share and the rest stay).
    """

    def setter(data: dict, value: Any, study: Study) -> None:
        from ..inventory.foreground import foreground_of

        records = {r.name: r for r in foreground_of(study).stages}
        for stage in data.get("stages", []):
            if stage["kind"] in kinds:
                record = records[stage["name"]]
                for other in ("node_hours", "accelerators", "energy", "power_w", "facility_energy_kwh", "estimate"):
                    stage.pop(other, None)
                if stage.get("platform") is None:
                    stage.pop("duration_hours", None)  # wall clock is kept only for a platform overhead
                if stage.get("hardware") is not None:  # an energy-only stage has no accelerator time
                    stage["accelerator_hours"] = record.accelerator_hours
                stage["energy_kwh"] = float(value) * record.it_energy_kwh
                stage["energy_includes_host"] = True  # the record's IT energy already holds the host's draw

    return Parameter("training energy", "factor (1 = as given)",
                     tuple(f"stages[kind in {list(kinds)}].energy_kwh",), setter, lambda study: 1.0)


def study_field(path: str, unit: str = "", name: str | None = None) -> Parameter:
    """Any numeric study field by its dotted path, e.g. ``study_field("stages.0.energy_kwh", "kWh")``.

    Lists are indexed by position ("stages.0.energy_kwh"). Any numeric field works: the engine
    fits a power law or a rational form per exchange where the builder's amounts follow one, and
    otherwise builds the foreground at each distinct value (exact, ~3 ms per distinct value).
    """
    parts = path.split(".")

    def walk(data: Any) -> tuple[Any, str | int]:
        for part in parts[:-1]:
            data = data[int(part)] if isinstance(data, list) else data[part]
        last = parts[-1]
        return data, int(last) if isinstance(data, list) else last

    def setter(data: dict, value: Any, study: Study) -> None:
        try:
            container, last = walk(data)
        except (KeyError, IndexError, ValueError):
            raise StudyError([(path, value, "no such field in the study")], "parameter") from None
        container[last] = float(value)

    def base(study: Study) -> Value:
        from ..impact.engine import study_dict

        try:
            container, last = walk(study_dict(study))
            return float(container[last])
        except (KeyError, IndexError, ValueError, TypeError):
            raise StudyError([(path, None, "not set in the study: give it a value to vary it")], "parameter") from None

    return Parameter(name or path, unit, (path,), setter, base)


def mfu_factor() -> Parameter:
    """Multiplier (1 = as given) on the MFU of every estimated stage (stages.*.estimate.mfu).

    Accelerator-hours and energy of an estimated stage go as 1 / MFU; a factor that takes an MFU
    above 1 (or out of its mfu_range) is refused with the field and the value.
    """

    def setter(data: dict, value: Any, study: Study) -> None:
        for stage in data.get("stages", []):
            if "estimate" in stage:
                estimate = stage["estimate"]
                estimate["mfu"] = float(value) * estimate["mfu"]
                if "mfu_range" in estimate:  # the range moves with the MFU
                    estimate["mfu_range"] = [float(value) * end for end in estimate["mfu_range"]]

    def base(study: Study) -> Value:
        if not any(stage.estimate is not None for stage in study.stages):
            raise StudyError([("stages.*.estimate.mfu", None, "no estimated stage in the study")], "parameter")
        return 1.0

    return Parameter("MFU", "factor (1 = as given)", ("stages.*.estimate.mfu",), setter, base)
