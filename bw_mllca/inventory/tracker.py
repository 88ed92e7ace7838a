"""Measure a stage's energy while it runs, into a log that `read_energy_log` reads back.

    with track("pretraining", log="runs/pretrain.csv") as t:
        train()
    t.result  # EnergyMeasurement: IT kWh (no PUE), accelerator-hours, what was not measured

Backends:
- "codecarbon": CodeCarbon's `OfflineEmissionsTracker` (no network: offline mode, no API, no
  Prometheus/Logfire output), appending one row per run to the CSV `log` (read back with
  format="codecarbon", run_id=<this run>). CPU energy comes from RAPL where the platform exposes
  it and is otherwise CodeCarbon's TDP-based estimate; RAM is always CodeCarbon's model; GPUs via
  NVML. PUE is left at 1.0 so the log holds IT energy. A sidecar `<log>.bw_mllca.json` records
  which CPU mode CodeCarbon used for each run, so the reader can say whether CPU was metered.
- "nvml": samples GPU board power with NVML (nvidia-ml-py) every `interval_s` into a new CSV
  `timestamp_s,gpu_index,power_w` (read back with format="nvml"); GPUs only.
- "auto": "codecarbon" if it is installed, else "nvml" if an NVIDIA GPU answers, else an error.

On a machine without GPU the CodeCarbon backend still records CPU and RAM energy and the result's
`gaps` say what was estimated and that no GPU was seen.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .energy_logs import EnergyMeasurement, read_energy_log
from .energy_logs.codecarbon import SIDECAR_SUFFIX

BACKENDS = ("auto", "codecarbon", "nvml")


class TrackerError(RuntimeError):
    """The tracker could not measure: backend missing, no GPU for NVML, nothing written."""


@dataclass
class StageTracker:
    """Handle yielded by `track`: `result` is set when the `with` block exits (also on error)."""

    stage: str
    log: Path
    backend: str
    run_id: str | None = None
    result: EnergyMeasurement | None = None


@contextmanager
def track(
    stage: str,
    log: str | Path,
    backend: str = "auto",
    *,
    country_iso_code: str = "USA",
    tracking_mode: str = "machine",
    gpu_indices: Sequence[int] | None = None,
    interval_s: float = 1.0,
) -> Iterator[StageTracker]:
    """Measure the energy of the `with` block and write it to `log` (see module docstring).

    country_iso_code: only used by CodeCarbon for its own CO2 column (ignored by bw_mllca).
    tracking_mode: CodeCarbon's "machine" (whole machine) or "process" (this process's share).
    gpu_indices: GPUs to measure (default all).
    interval_s: sampling interval in seconds.
    """
    if backend not in BACKENDS:
        raise TrackerError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if not interval_s > 0:
        raise TrackerError(f"interval_s must be > 0 seconds, got {interval_s!r}")
    if tracking_mode not in ("machine", "process"):
        raise TrackerError(f"tracking_mode must be 'machine' or 'process', got {tracking_mode!r}")
    log_path = Path(log)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    chosen = _resolve_backend(backend)
    handle = StageTracker(stage=stage, log=log_path, backend=chosen)
    if chosen == "codecarbon":
        with _codecarbon(handle, country_iso_code, tracking_mode, gpu_indices, interval_s):
            yield handle
    else:
        with _nvml(handle, gpu_indices, interval_s):
            yield handle


def _resolve_backend(backend: str) -> str:
    if backend != "auto":
        return backend
    if importlib.util.find_spec("codecarbon") is not None:
        return "codecarbon"
    if _nvml_gpu_count() > 0:
        return "nvml"
    raise TrackerError(
        "no energy backend: install CodeCarbon (pip install 'bw_mllca[measure]') or run on a machine "
        "with an NVIDIA GPU and nvidia-ml-py"
    )


@contextmanager
def _codecarbon(
    handle: StageTracker, country_iso_code: str, tracking_mode: str, gpu_indices: Sequence[int] | None, interval_s: float
) -> Iterator[None]:
    try:
        from codecarbon import OfflineEmissionsTracker
    except ImportError as err:
        raise TrackerError("backend 'codecarbon' needs CodeCarbon: pip install 'bw_mllca[measure]'") from err
    options: dict[str, Any] = dict(
        project_name=handle.stage,
        experiment_name=handle.stage,
        country_iso_code=country_iso_code,
        output_dir=str(handle.log.parent.resolve()),
        output_file=handle.log.name,
        emissions_endpoint=False,  # False, not None: None would let ~/.codecarbon.config set one
        log_level="error",
        tracking_mode=tracking_mode,
        measure_power_secs=interval_s,
        allow_multiple_runs=True,
        on_csv_write="append",
        pue=1.0,
        wue=0.0,
    )
    options.update(_csv_only_options())
    if gpu_indices is not None:
        options["gpu_ids"] = list(gpu_indices)
    # CodeCarbon logs at INFO/WARNING before it applies log_level; keep the stage quiet.
    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    tracker = OfflineEmissionsTracker(**options)
    tracker.start()
    body_failed = False
    try:
        yield
    except BaseException:
        body_failed = True
        raise
    finally:
        tracker.stop()
        handle.run_id = str(tracker.run_id)
        _write_sidecar(handle.log, handle.run_id, handle.stage, _codecarbon_modes(tracker))
        if not handle.log.is_file() and not body_failed:
            raise TrackerError(f"CodeCarbon wrote no log at {handle.log} (see CodeCarbon's errors)")
        _read_back(handle, "codecarbon", body_failed=body_failed)


def _csv_only_options() -> dict[str, Any]:
    """CodeCarbon options that write the CSV and nothing else (no API, logger, Prometheus...)."""
    try:
        from codecarbon.output_methods.base_output import OutputMethod
    except ImportError:  # CodeCarbon < 3 has only the save_to_* flags
        return dict(save_to_file=True, save_to_api=False, save_to_logger=False, save_to_prometheus=False)
    return {"output_methods": [OutputMethod.CSV]}


def _codecarbon_modes(tracker: Any) -> dict[str, Any]:
    """Which way CodeCarbon measured each component (from its hardware objects, codecarbon 3.x)."""
    modes: dict[str, Any] = {"cpu_mode": None, "gpu": False, "ram": "model"}
    for hardware in getattr(tracker, "_hardware", []) or []:
        kind = type(hardware).__name__
        if kind == "CPU":
            modes["cpu_mode"] = getattr(hardware, "_mode", None)
        elif kind == "GPU":
            modes["gpu"] = True
        elif kind in ("AppleSiliconChip", "Raspberry") and getattr(hardware, "chip_part", "") == "CPU":
            modes["cpu_mode"] = "apple_powermetrics" if kind == "AppleSiliconChip" else "raspberry"
    return modes


def _write_sidecar(log: Path, run_id: str, stage: str, modes: dict[str, Any]) -> None:
    sidecar = log.with_name(log.name + SIDECAR_SUFFIX)
    data: dict[str, Any] = {"writer": "bw_mllca.inventory.tracker", "runs": {}}
    if sidecar.is_file():
        try:
            loaded = json.loads(sidecar.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and isinstance(loaded.get("runs"), dict):
                data = loaded
        except json.JSONDecodeError:
            pass
    data["runs"][run_id] = {"stage": stage, **modes}
    sidecar.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")


def _nvml_gpu_count() -> int:
    try:
        import pynvml
    except ImportError:
        return 0
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return 0
    try:
        return int(pynvml.nvmlDeviceGetCount())
    finally:
        pynvml.nvmlShutdown()


@contextmanager
def _nvml(handle: StageTracker, gpu_indices: Sequence[int] | None, interval_s: float) -> Iterator[None]:
    try:
        import pynvml
    except ImportError as err:
        raise TrackerError("backend 'nvml' needs nvidia-ml-py: pip install nvidia-ml-py") from err
    if handle.log.exists():
        raise TrackerError(f"{handle.log} exists; the NVML backend writes a new log per stage run, choose another path")
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as err:
        raise TrackerError(f"backend 'nvml': no NVIDIA driver/GPU answers ({err}); use backend='codecarbon' on this machine") from err
    try:
        count = pynvml.nvmlDeviceGetCount()
        indices = list(range(count)) if gpu_indices is None else [int(i) for i in gpu_indices]
        bad = [i for i in indices if not 0 <= i < count]
        if not indices or bad:
            raise TrackerError(f"backend 'nvml': GPU indices {bad or indices} not available; this machine has {count} GPU(s)")
        devices = [(i, pynvml.nvmlDeviceGetHandleByIndex(i)) for i in indices]
        stop = threading.Event()
        out = handle.log.open("w", encoding="utf-8")
        out.write("timestamp_s,gpu_index,power_w\n")

        def sample() -> None:
            now = time.time()
            for index, device in devices:
                watts = pynvml.nvmlDeviceGetPowerUsage(device) / 1000.0  # NVML reports mW
                out.write(f"{now:.6f},{index},{watts:.3f}\n")
            out.flush()

        def loop() -> None:
            while not stop.wait(interval_s):
                sample()

        sample()
        worker = threading.Thread(target=loop, name=f"bw_mllca-nvml-{handle.stage}", daemon=True)
        worker.start()
        try:
            yield
        except BaseException:
            _finish_nvml(stop, worker, sample, out)
            _read_back(handle, "nvml", body_failed=True)
            raise
        _finish_nvml(stop, worker, sample, out)
        _read_back(handle, "nvml", body_failed=False)
    finally:
        pynvml.nvmlShutdown()


def _finish_nvml(stop: threading.Event, worker: threading.Thread, sample: Callable[[], None], out: TextIO) -> None:
    stop.set()
    worker.join()
    sample()
    out.close()


def _read_back(handle: StageTracker, fmt: str, *, body_failed: bool) -> None:
    """Set handle.result from the log; if the tracked block raised, a read error must not hide it."""
    options = {"run_id": handle.run_id} if fmt == "codecarbon" else {}
    try:
        handle.result = read_energy_log(handle.log, format=fmt, **options)
    except Exception:
        if not body_failed:
            raise
