"""What a study may say about a stage or a deployment before anything runs (the ``estimate`` tables).

    [[stages]] ... estimate = { parameters = 1.2e9, tokens = 5e11, mfu = 0.4 }
    [use]      ... estimate = { model = "meta-llama/Meta-Llama-3.1-8B", output_tokens = 250 }

Counts are plain numbers (parameters, not billions; tokens, not trillions).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic would read true as 1
        raise ValueError("a number is expected here, not true/false")
    return value


_Count = Annotated[float, BeforeValidator(_not_bool), Field(gt=0, le=1e30, allow_inf_nan=False)]
_Share = Annotated[float, BeforeValidator(_not_bool), Field(gt=0, le=1, allow_inf_nan=False)]
Precision = Literal["fp32", "tf32", "bf16", "fp16", "fp8"]


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class StageEstimate(_Fields):
    """Compute of a training, fine-tuning or distillation stage from model size and tokens.

    ``work``: "training" (6 FLOPs per active parameter and token: forward and backward) or
    "forward" (2: a teacher's forward passes, evaluation); the default follows the stage's kind.
    ``mfu``: model FLOPs utilization, the share of the accelerators' peak reached; ``mfu_range``
    its uncertainty (default: the published range, widened to hold ``mfu``).
    """

    parameters: _Count  # total parameters
    tokens: _Count  # tokens processed (training tokens, or tokens the teacher reads)
    mfu: _Share
    active_parameters: _Count | None = None  # mixture-of-experts: parameters active per token
    precision: Precision | None = None  # default: bf16 where the accelerator has it, else fp16
    work: Literal["training", "forward"] | None = None
    mfu_range: tuple[_Share, _Share] | None = None
    peak_tflops: _Count | None = None  # instead of the catalog's peak (an accelerator without one)

    @model_validator(mode="after")
    def _consistent(self) -> StageEstimate:
        if self.active_parameters is not None and self.active_parameters > self.parameters:
            raise ValueError(f"active_parameters = {self.active_parameters:g} exceeds parameters = {self.parameters:g}")
        if self.mfu_range is not None and not self.mfu_range[0] <= self.mfu <= self.mfu_range[1]:
            raise ValueError(f"mfu = {self.mfu:g} lies outside mfu_range = {list(self.mfu_range)}")
        return self


class UseEstimate(_Fields):
    """Inference energy per request by EcoLogits' method, from a model in its repository (``model``,
    optionally ``provider``) or from parameter counts, and the output tokens per request."""

    output_tokens: _Count
    model: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    provider: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    parameters: _Count | None = None  # total parameters
    active_parameters: _Count | None = None  # mixture-of-experts
    # Where the study's value sits in EcoLogits' min-max range (0.5: the middle, as EcoLogits'
    # own RangeValue.mean); Monte Carlo draws it uniformly over the range.
    range_position: Annotated[float, BeforeValidator(_not_bool), Field(ge=0, le=1, allow_inf_nan=False)] = 0.5

    @model_validator(mode="after")
    def _one_model(self) -> UseEstimate:
        if (self.model is None) == (self.parameters is None):
            raise ValueError("give model (a name in EcoLogits' model repository) or parameters, not both")
        if self.provider is not None and self.model is None:
            raise ValueError("provider chooses among EcoLogits' models: give model too")
        if self.active_parameters is not None and (self.parameters is None or self.active_parameters > self.parameters):
            raise ValueError("active_parameters needs parameters, and cannot exceed them")
        return self
