"""Measured-energy ingestion: readers that turn the logs of energy tools (CodeCarbon, nvidia-smi /
NVML power logs, Zeus, SLURM sacct, BoAmps reports, distillation harness stage logs) into a stage's
IT energy (kWh, no PUE applied) and accelerator-hours."""

from .measurement import EnergyLogError, EnergyMeasurement
from .read import FORMATS, read_energy_log

__all__ = ["FORMATS", "EnergyLogError", "EnergyMeasurement", "read_energy_log"]
