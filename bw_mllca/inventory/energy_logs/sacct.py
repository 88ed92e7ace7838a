"""Reader for SLURM accounting exports:

    sacct --parsable2 --format=JobID,JobName,Elapsed,NNodes,AllocTRES,ConsumedEnergyRaw -j ...

`--parsable2` separates fields with "|" and has a header line. `Elapsed` is
[DD-][HH:]MM:SS; `AllocTRES` lists the job's allocation, e.g.
`billing=16,cpu=16,gres/gpu=4,mem=128G,node=1` (the GPU count is the job's total over its nodes;
a typed entry `gres/gpu:a100=4` counts when no untyped `gres/gpu` is there). `ConsumedEnergyRaw`
is joules, from the site's acct_gather_energy plugin (IPMI measures whole nodes, RAPL only CPU
packages, the GPU plugins only GPUs: which one applies is site configuration and is not in the
export).

Only job lines count (JobID without "."): a step's energy overlaps its job's. When a job line has
no energy, its `.extern` step (which spans the whole allocation) is used. A job with no recorded
energy needs `power_w` (W per allocated GPU; the result is then not measured).
"""

from __future__ import annotations

import re
from pathlib import Path

from .measurement import EnergyLogError, EnergyMeasurement
from .tables import J_PER_KWH, S_PER_H, Table, read_table, to_float, short

_NO_VAL64 = 2**64 - 2  # SLURM's NO_VAL64 sentinel, printed when the plugin had no reading
_TYPED_GPU = re.compile(r"^gres/gpu:[^=]+$")


def read_sacct(
    path: str | Path,
    *,
    job_id: str | None = None,
    job_name: str | None = None,
    power_w: float | None = None,
) -> EnergyMeasurement:
    """Read a `sacct --parsable2` export; kWh from ConsumedEnergyRaw, GPU-hours from AllocTRES.

    job_id: only this job (JobID, or its array/het component such as 123_4).
    job_name: only jobs with this JobName.
    power_w: watts per allocated GPU to assume for jobs without recorded energy.
    """
    table = read_table(path, delimiter="|")
    if "ConsumedEnergy" in table.columns and "ConsumedEnergyRaw" not in table.columns:
        raise EnergyLogError(
            f"{table.path}: column 'ConsumedEnergy' is rounded with unit suffixes; export "
            "'ConsumedEnergyRaw' (joules) instead"
        )
    table.require("JobID", "Elapsed", "AllocTRES")
    if power_w is not None and not power_w > 0:
        raise EnergyLogError(f"option power_w must be > 0 W per GPU, got {power_w!r}")
    jobs = [(n, r) for n, r in zip(table.line_numbers, table.rows) if "." not in r["JobID"]]
    if job_id is not None:
        jobs = [(n, r) for n, r in jobs if r["JobID"] == job_id]
    if job_name is not None:
        table.require("JobName")
        jobs = [(n, r) for n, r in jobs if r["JobName"] == job_name]
    if not jobs:
        ids = sorted({r["JobID"].split(".")[0] for r in table.rows})
        raise EnergyLogError(f"{table.path}: no job line with JobID={job_id!r} JobName={job_name!r}; jobs present: {ids}")

    extern = {r["JobID"][: -len(".extern")]: (n, r) for n, r in zip(table.line_numbers, table.rows) if r["JobID"].endswith(".extern")}
    gaps: list[str] = []
    measured = True
    energy_j = gpu_s = elapsed_total_s = 0.0
    by_job: dict[str, float] = {}
    for line, row in jobs:
        where = f"line {line} (JobID {row['JobID']})"
        elapsed_s = parse_elapsed(row["Elapsed"], path=table.path, where=where)
        gpus = gpu_count(row["AllocTRES"], path=table.path, where=where)
        joules = _energy(table, row, where)
        if joules is None and row["JobID"] in extern:
            ext_line, ext_row = extern[row["JobID"]]
            joules = _energy(table, ext_row, f"line {ext_line} (JobID {ext_row['JobID']})")
            if joules is not None:
                gaps.append(f"job {row['JobID']}: energy taken from its .extern step")
        if joules is None:
            if power_w is None:
                raise EnergyLogError(
                    f"{table.path}: {where}: no ConsumedEnergyRaw recorded (the cluster has no energy "
                    "plugin, or it had no reading); pass power_w=<W per GPU> to estimate"
                )
            if gpus == 0:
                raise EnergyLogError(f"{table.path}: {where}: no ConsumedEnergyRaw and no gres/gpu in AllocTRES; power_w cannot apply")
            joules = power_w * gpus * elapsed_s
            measured = False
            gaps.append(f"job {row['JobID']}: energy estimated as {power_w} W x {gpus} GPU(s) x {elapsed_s:.0f} s")
        energy_j += joules
        gpu_s += gpus * elapsed_s
        elapsed_total_s += elapsed_s
        label = row.get("JobName") or row["JobID"]
        by_job[label] = by_job.get(label, 0.0) + joules / J_PER_KWH
    if measured:
        gaps.append("ConsumedEnergyRaw coverage (whole node via IPMI, CPU via RAPL, or GPU) depends on the cluster's energy plugin")
    return EnergyMeasurement(
        it_energy_kwh=energy_j / J_PER_KWH,
        accelerator_hours=gpu_s / S_PER_H,
        duration_hours=elapsed_total_s / S_PER_H,
        measured=measured,
        source_format="sacct",
        source_path=table.path,
        gaps=tuple(gaps),
        by_task=by_job,
    )


def parse_elapsed(raw: str, *, path: str, where: str) -> float:
    """SLURM [DD-][HH:]MM:SS[.fff] to seconds."""
    text = raw.strip()
    days = 0.0
    if "-" in text:
        day_text, text = text.split("-", 1)
        days = to_float(day_text, path=path, field="Elapsed", where=where)
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise EnergyLogError(f"{path}: 'Elapsed' {where}: expected [DD-][HH:]MM:SS, got {short(raw)}")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + to_float(part, path=path, field="Elapsed", where=where)
    return days * 86400 + seconds


def gpu_count(alloc_tres: str, *, path: str, where: str) -> int:
    """Number of GPUs in an AllocTRES string (0 if none)."""
    untyped = 0
    typed = 0
    found_untyped = False
    for item in filter(None, (s.strip() for s in alloc_tres.split(","))):
        if "=" not in item:
            raise EnergyLogError(f"{path}: 'AllocTRES' {where}: expected name=value items, got {short(item)}")
        name, value = item.split("=", 1)
        if name == "gres/gpu":
            found_untyped = True
            untyped += int(to_float(value, path=path, field="AllocTRES gres/gpu", where=where))
        elif _TYPED_GPU.match(name):
            typed += int(to_float(value, path=path, field=f"AllocTRES {name}", where=where))
    return untyped if found_untyped else typed


def _energy(table: Table, row: dict[str, str], where: str) -> float | None:
    raw = row.get("ConsumedEnergyRaw", "").strip()
    if not raw:
        return None
    joules = to_float(raw, path=table.path, field="ConsumedEnergyRaw", where=where)
    if joules >= _NO_VAL64 or joules == 0.0:
        return None
    return joules
