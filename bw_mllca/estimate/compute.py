"""Training and forward-pass compute, accelerator peak throughput and the hours that follow.

    training FLOPs  = 6 x N_active x D   (forward 2 + backward 4 FLOPs per parameter and token;
                                          Kaplan et al. 2020, arXiv:2001.08361, Sec. 2.1)
    forward FLOPs   = 2 x N_active x D   (a teacher's forward passes over D distillation tokens)
    accelerator-hours = FLOPs / (peak dense FLOP/s at the precision x MFU) / 3600

Peak throughput per precision comes from inventories/accelerator_throughput.csv (datasheet
figures, dense). MFU (model FLOPs utilization, Chowdhery et al. 2022) carries the uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..data_files import inventories_dir
from ..errors import InventoryDataError, StudyError
from ..tables import read_rows

TRAINING_FLOPS_PER_PARAMETER_TOKEN = 6.0
FORWARD_FLOPS_PER_PARAMETER_TOKEN = 2.0
# Published MFU of large dense training runs: GPT-3 175B 21.3 % to PaLM 540B 46.2 %
# (Chowdhery et al. 2022, PaLM, arXiv:2204.02311, Table 3; Gopher 32.5 %, MT-NLG 30.2 % lie within).
# Llama 3 405B reports 38-43 % in BF16 (Llama Team 2024, arXiv:2407.21783, Table 4), also within.
MFU_PUBLISHED_RANGE = (0.213, 0.462)
MFU_RANGE_SOURCE = "Chowdhery et al. 2022 (PaLM), arXiv:2204.02311, Table 3: MFU 21.3 % (GPT-3) to 46.2 % (PaLM 540B)"
DEFAULT_PRECISIONS = ("bf16", "fp16")  # the first the accelerator has is the default
THROUGHPUT_FILE = "accelerator_throughput.csv"


def compute_flops(parameters: float, tokens: float, work: str = "training", active_parameters: float | None = None) -> float:
    """FLOPs of ``tokens`` through a model of ``parameters`` (``active_parameters`` per token for a
    mixture of experts): 6 N D for training, 2 N D for forward passes only."""
    per = {"training": TRAINING_FLOPS_PER_PARAMETER_TOKEN, "forward": FORWARD_FLOPS_PER_PARAMETER_TOKEN}.get(work)
    if per is None:
        raise ValueError(f"work = {work!r}: expected 'training' or 'forward'")
    active = parameters if active_parameters is None else active_parameters
    return per * active * tokens


def distillation_teacher_flops(teacher_parameters: float, distillation_tokens: float) -> float:
    """Teacher-side FLOPs of distillation: one forward pass over the distillation data, 2 x N_teacher x D."""
    return compute_flops(teacher_parameters, distillation_tokens, "forward")


@dataclass(frozen=True)
class PeakThroughput:
    accelerator: str
    precision: str
    tflops: float  # dense, 10^12 FLOP/s
    source: str


@lru_cache(maxsize=1)
def _throughput_table() -> dict[tuple[str, str], PeakThroughput]:
    table = {}
    for row in read_rows(inventories_dir() / THROUGHPUT_FILE):
        code, precision = row.text("code"), row.text("precision")
        tflops = row.number("peak_dense_tflops")
        if not tflops or tflops <= 0:
            raise InventoryDataError(f"{row.where}: peak_dense_tflops = {tflops!r} must be positive")
        table[(code, precision)] = PeakThroughput(code, precision, tflops, row.text("source"))
    return table


def peak_throughput(accelerator: str, precision: str | None = None) -> PeakThroughput:
    """The catalog's peak dense throughput of ``accelerator`` at ``precision`` (default bf16, else fp16).

    Raises StudyError naming the accelerator and precision when the catalog has no figure.
    """
    from ..catalog import load_catalog

    model = load_catalog().hardware.get(accelerator)
    accelerator = model.code if model is not None else accelerator  # an alias names the same device
    table = _throughput_table()
    known = sorted(p for code, p in table if code == accelerator)
    wanted = (precision,) if precision is not None else DEFAULT_PRECISIONS
    for candidate in wanted:
        if (accelerator, candidate) in table:
            return table[(accelerator, candidate)]
    where = f"the catalog has {known}" if known else "the catalog has no peak throughput for it"
    raise StudyError([("estimate.precision", precision or "bf16/fp16",
                       f"accelerator {accelerator!r}: {where}; give estimate.peak_tflops")], "estimate")


def accelerator_hours(flops: float, peak_tflops: float, mfu: float) -> float:
    """Accelerator-hours to run ``flops`` at ``mfu`` of a ``peak_tflops`` (10^12 FLOP/s) accelerator."""
    return flops / (peak_tflops * 1e12 * mfu) / 3600.0


def mfu_range(mfu: float, given: tuple[float, float] | None = None) -> tuple[float, float]:
    """The MFU's uncertainty range: ``given``, else the published range widened to hold ``mfu``."""
    if given is not None:
        return given
    low, high = MFU_PUBLISHED_RANGE
    return min(low, mfu), max(high, mfu)
