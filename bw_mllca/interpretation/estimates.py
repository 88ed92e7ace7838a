"""The uncertainty of a study's estimated inputs, as parameter draws for Monte Carlo and compare.

Each estimated stage's MFU is drawn from a triangular distribution (low and high of its range, mode
the study's MFU); an EcoLogits inference estimate whose model size is a range draws its position in
EcoLogits' min-max range uniformly. The MFU a team reaches is one unknown of its software stack and
cluster, shared by every estimated stage of every compared system: all MFUs of one iteration come
from one shared quantile (comonotonic), and so do all range positions, so that a comparison's
difference reflects what differs between the systems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..estimate.compute import mfu_range
from ..impact.engine import Parameter
from ..scope.study import Study
from .parameters import study_field


@dataclass(frozen=True)
class EstimatedInput:
    """One estimated study value, its distribution (``kind`` triangular or uniform) and its share group."""

    parameter: Parameter
    kind: str
    low: float
    mode: float
    high: float
    group: str  # "mfu" or "range position": inputs of one group share a quantile per iteration

    def at(self, quantile: np.ndarray) -> np.ndarray:
        """The inverse CDF at ``quantile`` (0-1)."""
        q = np.asarray(quantile, dtype=float)
        low, mode, high = self.low, self.mode, self.high
        if self.kind == "uniform" or high == low:
            return low + q * (high - low)
        cut = (mode - low) / (high - low)
        rising = low + np.sqrt(q * (high - low) * (mode - low))
        falling = high - np.sqrt((1.0 - q) * (high - low) * (high - mode))
        return np.where(q < cut, rising, falling)


def estimated_inputs(study: Study) -> list[EstimatedInput]:
    """The study's estimated values that carry uncertainty: each stage's MFU, EcoLogits' range position."""
    inputs = []
    for index, stage in enumerate(study.stages):
        if stage.estimate is None:
            continue
        low, high = mfu_range(stage.estimate.mfu, stage.estimate.mfu_range)
        if high > low:
            parameter = study_field(f"stages.{index}.estimate.mfu", "share (0-1)", f"MFU of stage {stage.name!r}")
            inputs.append(EstimatedInput(parameter, "triangular", low, stage.estimate.mfu, high, "mfu"))
    if study.use.estimate is not None:
        from ..estimate.inference import request_estimate

        request = request_estimate(study.use.estimate, study.use.batch_size)
        if request.it_energy_kwh[1] > request.it_energy_kwh[0]:
            parameter = study_field("use.estimate.range_position", "share of the min-max range", "EcoLogits range position")
            inputs.append(EstimatedInput(parameter, "uniform", 0.0, study.use.estimate.range_position, 1.0, "range position"))
    return inputs


def draw_estimated(groups: Sequence[Sequence[EstimatedInput]], n: int, rng: np.random.Generator) -> list[dict[Parameter, np.ndarray]]:
    """``n`` draws for each study's inputs (one list per study), one shared quantile per group."""
    quantiles = {"mfu": rng.uniform(size=n), "range position": rng.uniform(size=n)}
    return [{i.parameter: i.at(quantiles[i.group]) for i in inputs} for inputs in groups]
