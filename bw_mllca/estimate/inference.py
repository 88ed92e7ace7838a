"""Inference energy per request by EcoLogits' published method (optional dependency ``ecologits``).

EcoLogits (GenAI Impact, https://ecologits.ai, methodology "LLM inference") regresses one GPU's
energy per output token on the model's active parameters and the batch size, adds the host
server's share over the generation latency, and counts the GPUs needed to hold the weights. Its
model repository gives total and active parameters (as a min-max range where undisclosed).

bw_mllca takes from EcoLogits only the IT energy per request (before PUE), with its min-max range,
and the latency and GPU count that set the accelerator-hours; PUE, WUE, the grid and the embodied
hardware stay bw_mllca's own (the study's datacenter and hardware).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from ..errors import StudyError
from .fields import UseEstimate

FIELD = "use.estimate"


@dataclass(frozen=True)
class RequestEstimate:
    """One request's IT energy (kWh, before PUE), generation latency (s) and GPUs, at the low and
    high ends of EcoLogits' range (equal for a model whose size is published)."""

    it_energy_kwh: tuple[float, float]
    latency_s: tuple[float, float]
    accelerators: tuple[int, int]
    active_parameters_billion: tuple[float, float]
    source: str

    def at(self, position: float) -> tuple[float, float]:
        """(IT energy kWh, accelerator-seconds) per request at ``position`` in the range (0 low, 1 high)."""
        low = self.latency_s[0] * self.accelerators[0]
        high = self.latency_s[1] * self.accelerators[1]
        energy = self.it_energy_kwh[0] + position * (self.it_energy_kwh[1] - self.it_energy_kwh[0])
        return energy, low + position * (high - low)


def _ecologits():
    try:
        from ecologits.impacts import llm
        from ecologits.model_repository import ParametersMoE, models
    except ImportError:
        raise StudyError([(FIELD, "(ecologits)", "inference estimates need EcoLogits: pip install 'bw_mllca[estimate]'")],
                         "estimate") from None
    return llm, models, ParametersMoE


def _bounds(value) -> tuple[float, float]:
    return (float(value.min), float(value.max)) if hasattr(value, "min") else (float(value), float(value))


def _find_model(name: str, provider: str | None):
    _, models, _ = _ecologits()
    found = [m for m in models.list_models() if m.name == name and (provider is None or m.provider.value == provider)]
    if not found:
        close = sorted({m.name for m in models.list_models() if name.lower().split("/")[-1][:6] in m.name.lower()})[:5]
        raise StudyError([(f"{FIELD}.model", name, "not in EcoLogits' model repository"
                           + (f"; close: {close}" if close else ""))], "estimate")
    providers = sorted({m.provider.value for m in found})
    if len(providers) > 1:
        raise StudyError([(f"{FIELD}.model", name, f"offered by several providers {providers}: give provider")], "estimate")
    return found[0]


def model_parameters(name: str, provider: str | None = None) -> tuple[tuple[float, float], tuple[float, float], str]:
    """(active, total) parameters in billions, each (min, max), of a model in EcoLogits' repository."""
    _, _, moe = _ecologits()
    model = _find_model(name, provider)
    parameters = model.architecture.parameters
    if isinstance(parameters, moe):
        active, total = _bounds(parameters.active), _bounds(parameters.total)
    else:
        active = total = _bounds(parameters)
    source = f"EcoLogits model repository: {model.provider.value} {model.name}" + (f" ({model.sources[0]})" if model.sources else "")
    return active, total, source


@lru_cache(maxsize=64)  # the builder, the validation and the engine's probes ask for the same estimate
def request_estimate(estimate: UseEstimate, batch_size: float) -> RequestEstimate:
    """EcoLogits' per-request IT energy, latency and GPU count for ``estimate`` at ``batch_size``
    concurrent requests; EcoLogits' own defaults for everything else (its GPU and server model)."""
    llm, _, _ = _ecologits()
    if estimate.model is not None:
        active, total, source = model_parameters(estimate.model, estimate.provider)
        deployment = _find_model(estimate.model, estimate.provider).deployment
    else:
        total = (estimate.parameters / 1e9,) * 2  # type: ignore[operator]
        active = ((estimate.active_parameters or estimate.parameters) / 1e9,) * 2  # type: ignore[operator]
        source, deployment = "parameters given in the study", None
    ends = []
    for act, tot in zip(active, total):
        # No electricity mix here: bw_mllca's own grid applies; only the energy path of the DAG is read.
        dag = llm.compute_llm_impacts_dag(
            model_active_parameter_count=act, model_total_parameter_count=tot,
            output_token_count=estimate.output_tokens, request_latency=math.inf,
            if_electricity_mix_adpe=0.0, if_electricity_mix_pe=0.0, if_electricity_mix_gwp=0.0,
            if_electricity_mix_wue=0.0, datacenter_pue=1.0, datacenter_wue=0.0, batch_size=batch_size,
            tps=deployment.tps if deployment else None, ttft=deployment.ttft if deployment else None,
        )
        ends.append((float(dag["request_it_energy"]), float(dag["generation_latency"]), int(dag["gpu_required_count"])))
    (e0, l0, g0), (e1, l1, g1) = sorted(ends)  # low end first
    return RequestEstimate((e0, e1), (l0, l1), (g0, g1), active, f"{source}; EcoLogits method (ecologits {_version()})")


def _version() -> str:
    from importlib.metadata import version

    try:
        return version("ecologits")
    except Exception:  # pragma: no cover - installed without metadata
        return "unknown"


def batch_operation(estimate: UseEstimate, batch_size: float) -> tuple[float, float, float, float, str]:
    """One batch of ``batch_size`` requests: (seconds, accelerators, accelerator-hours, IT energy kWh,
    basis), at ``estimate.range_position`` in EcoLogits' range. The batch holds its GPUs for one
    request's generation latency (EcoLogits' concurrency model); its energy is batch_size requests'."""
    request = request_estimate(estimate, batch_size)
    position = estimate.range_position
    energy_per_request, accelerator_seconds = request.at(position)
    seconds = request.latency_s[0] + position * (request.latency_s[1] - request.latency_s[0])
    accelerators = request.accelerators[0] + position * (request.accelerators[1] - request.accelerators[0])
    basis = f"estimated energy per request x {batch_size:g} requests ({request.source})"
    return seconds, accelerators, accelerator_seconds / 3600.0, energy_per_request * batch_size, basis
