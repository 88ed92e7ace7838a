"""Accounting input: SLURM `sacct --parsable2` exports and a generic job table, read into one
canonical job table (pandas), every malformed row reported with its file and line.

The canonical table (``JOB_COLUMNS``), one row per job:

    job_id        str       unique over all inputs (an array task 123_4 and a heterogeneous
                            component 123+0 are jobs of their own; steps 123.batch are not)
    user, account, partition, product   str ("" when a job runs in no product)
    start, end    datetime64[ns, UTC]
    elapsed_s     float64   wall-clock seconds
    nodes         int64     nodes allocated
    accelerators  int64     accelerators (GPUs) allocated, over all nodes
    energy_kwh    float64   metered IT energy, NaN when not metered
    file, line    str, int  where the row is (a Parquet file's rows are numbered from 1), for reports

The generic table (CSV with a header line, or Parquet) has the columns job_id, user, account,
partition, start, end (ISO 8601; UTC unless an offset is given), nodes, accelerators, and optionally
energy_kwh and product.

A sacct export needs JobID, User, Account, Partition, Start, End, Elapsed, NNodes and AllocTRES
(`sacct --parsable2 --allusers --format=JobID,User,Account,Partition,Start,End,Elapsed,NNodes,
AllocTRES,ConsumedEnergyRaw,WCKey`). ConsumedEnergyRaw (joules) is used where present (on the job
line, else on its .extern step, as the single-study reader does); the product is the job's WCKey.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BwMllcaError
from ..inventory.energy_logs.measurement import EnergyLogError
from ..inventory.energy_logs.sacct import gpu_count, parse_elapsed
from ..inventory.energy_logs.tables import J_PER_KWH, read_table

JOB_COLUMNS = ["job_id", "user", "account", "partition", "product", "start", "end", "elapsed_s", "nodes",
               "accelerators", "energy_kwh", "file", "line"]
GENERIC_REQUIRED = ["job_id", "user", "account", "partition", "start", "end", "nodes", "accelerators"]
SACCT_REQUIRED = ["JobID", "User", "Account", "Partition", "Start", "End", "Elapsed", "NNodes", "AllocTRES"]
_NO_VAL64 = 2**64 - 2  # SLURM's "no reading" sentinel
MAX_REPORTED = 20  # problems spelled out in the error message (all are in ``problems``)


@dataclass(frozen=True)
class RowProblem:
    where: str  # "file:line"
    field: str
    value: object
    message: str

    def text(self) -> str:
        return f"{self.where}: {self.field} = {self.value!r}: {self.message}"


class AccountingError(BwMllcaError):
    """Malformed accounting rows; ``problems`` lists each with its file and line."""

    def __init__(self, problems: Sequence[RowProblem]):
        self.problems = list(problems)
        lines = [f"{len(self.problems)} malformed accounting row(s)"]
        lines += [f"  - {p.text()}" for p in self.problems[:MAX_REPORTED]]
        if len(self.problems) > MAX_REPORTED:
            lines.append(f"  - ... and {len(self.problems) - MAX_REPORTED} more")
        super().__init__("\n".join(lines))


def read_accounting(paths: str | Path | Iterable[str | Path], *, partitions: Iterable[str] | None = None,
                    products: Iterable[str] | None = None) -> pd.DataFrame:
    """Read sacct exports and generic job tables into one canonical job table.

    A file is a sacct export when its header line holds "JobID|"; else a generic CSV or Parquet
    table. ``partitions`` and ``products``: the names the cluster description knows; a job naming
    another is a problem. Every problem of every file is collected and raised at once
    (``AccountingError``): no row is dropped and no job counted twice.
    """
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not paths:
        raise AccountingError([RowProblem("(accounting)", "files", [], "give at least one accounting file")])
    frames, problems = [], []
    for path in map(Path, paths):
        if not path.is_file():
            problems.append(RowProblem(str(path), "file", str(path), "no such accounting file"))
            continue
        reader = _read_sacct if _is_sacct(path) else _read_generic
        frame, found = reader(path)
        frames.append(frame)
        problems += found
    jobs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=JOB_COLUMNS)
    problems += check_jobs(jobs, partitions, products)
    if problems:
        raise AccountingError(problems)
    return jobs[JOB_COLUMNS]


def check_jobs(jobs: pd.DataFrame, partitions: Iterable[str] | None, products: Iterable[str] | None) -> list[RowProblem]:
    """Problems of a canonical table as a whole: unknown partition or product, duplicate job ids,
    negative elapsed time. Rows that already failed to parse are not reported twice."""
    problems: list[RowProblem] = []
    ok = jobs["elapsed_s"].notna()
    negative = ok & (jobs["elapsed_s"] < 0)
    problems += [RowProblem(w, "elapsed", e, "negative elapsed time (end before start)")
                 for w, e in zip(_where(jobs, negative), jobs.loc[negative, "elapsed_s"])]
    if partitions is not None:
        known = sorted(set(partitions))
        bad = ~jobs["partition"].isin(known) & ok
        problems += [RowProblem(w, "partition", p, f"not a partition of the cluster description ({', '.join(known)})")
                     for w, p in zip(_where(jobs, bad), jobs.loc[bad, "partition"])]
    if products is not None:
        known = sorted(set(products))
        bad = (jobs["product"] != "") & ~jobs["product"].isin(known) & ok
        problems += [RowProblem(w, "product", p, f"not a product of the cluster description ({', '.join(known) or 'none'})")
                     for w, p in zip(_where(jobs, bad), jobs.loc[bad, "product"])]
    duplicated = jobs["job_id"].duplicated(keep=False) & (jobs["job_id"].astype(str) != "")
    dup = jobs.loc[duplicated, ["job_id"]].assign(where=_where(jobs, duplicated))
    for job_id, group in dup.groupby("job_id", sort=True)["where"]:
        places = list(group)
        for where in places[1:]:
            problems.append(RowProblem(where, "job_id", job_id, f"duplicate job id (first at {places[0]})"))
    return problems


def _is_sacct(path: Path) -> bool:
    if path.suffix.lower() == ".parquet":
        return False
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        return "JobID|" in handle.readline()


def _read_sacct(path: Path) -> tuple[pd.DataFrame, list[RowProblem]]:
    try:
        table = read_table(path, delimiter="|")
    except EnergyLogError as error:
        return _empty(), [RowProblem(str(path), "file", str(path), str(error))]
    missing = [c for c in SACCT_REQUIRED if c not in table.columns]
    if missing:
        return _empty(), [RowProblem(f"{path}:1", "header", list(table.columns), f"missing column(s) {missing}")]
    problems: list[RowProblem] = []
    # A job without energy on its own line uses its .extern step's (which spans the allocation).
    extern = {row["JobID"][: -len(".extern")]: row.get("ConsumedEnergyRaw", "")
              for row in table.rows if row["JobID"].endswith(".extern")}
    records = []
    for line, row in zip(table.line_numbers, table.rows):
        job_id = row["JobID"].strip()
        if "." in job_id:
            continue  # a step: its time and energy are inside its job's
        where = f"{path}:{line}"
        blank = [c for c in ("JobID", "User", "Account", "Partition", "Start", "End", "Elapsed", "NNodes") if not row[c].strip()]
        if blank:
            problems += [RowProblem(where, c, row[c], "missing value") for c in blank]
            continue
        try:
            elapsed = parse_elapsed(row["Elapsed"], path=str(path), where=f"line {line}")
            gpus = gpu_count(row["AllocTRES"], path=str(path), where=f"line {line}")
        except EnergyLogError as error:
            problems.append(RowProblem(where, "Elapsed/AllocTRES", row["Elapsed"], str(error).split(": ", 2)[-1]))
            continue
        raw = row.get("ConsumedEnergyRaw", "").strip() or extern.get(job_id, "").strip()
        records.append((job_id, row["User"].strip(), row["Account"].strip(), row["Partition"].strip(),
                        row.get("WCKey", "").strip().lstrip("*"), row["Start"], row["End"], elapsed, row["NNodes"],
                        gpus, raw, str(path), line))
    frame = pd.DataFrame.from_records(records, columns=["job_id", "user", "account", "partition", "product", "start", "end",
                                                       "elapsed_s", "nodes", "accelerators", "energy_raw", "file", "line"])
    joules = pd.to_numeric(frame["energy_raw"], errors="coerce")
    bad = frame["energy_raw"].ne("") & joules.isna()
    problems += [RowProblem(w, "ConsumedEnergyRaw", v, "not a number of joules")
                 for w, v in zip(_where(frame, bad), frame.loc[bad, "energy_raw"])]
    # 0 and NO_VAL64 mean the energy plugin had no reading: not metered (NaN), never 0 kWh.
    frame["energy_kwh"] = joules.where((joules > 0) & (joules < _NO_VAL64)) / J_PER_KWH
    return _finish(frame.drop(columns="energy_raw"), problems, field_names=("Start", "End", "NNodes"))


def _read_generic(path: Path) -> tuple[pd.DataFrame, list[RowProblem]]:
    try:
        if path.suffix.lower() == ".parquet":
            raw = pd.read_parquet(path)
            first_line = 1  # rows of a Parquet file are numbered from 1 ("line" = row)
        else:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
            first_line = 2  # after the header line
    except (OSError, ValueError, pd.errors.ParserError) as error:
        return _empty(), [RowProblem(str(path), "file", str(path), f"not a readable CSV or Parquet job table: {error}")]
    return canonical_generic(raw, str(path), first_line)


def canonical_generic(raw: pd.DataFrame, path: str, first_line: int) -> tuple[pd.DataFrame, list[RowProblem]]:
    """A generic job table (as read) in the canonical columns, with the problems of its rows.
    An integer job_id column stays integer (no text conversion for large Parquet tables)."""
    missing = [c for c in GENERIC_REQUIRED if c not in raw.columns]
    if missing:
        return _empty(), [RowProblem(f"{path}:1", "header", list(raw.columns), f"missing column(s) {missing}")]
    frame = pd.DataFrame({c: _text(raw[c]) for c in ("job_id", "user", "account", "partition")})
    frame["product"] = _text(raw["product"].fillna("") if "product" in raw.columns else pd.Series("", index=raw.index))
    frame["start"], frame["end"] = raw["start"], raw["end"]
    frame["nodes"], frame["accelerators"] = raw["nodes"], raw["accelerators"]
    frame["energy_kwh"] = pd.to_numeric(raw["energy_kwh"], errors="coerce") if "energy_kwh" in raw.columns else np.nan
    frame["file"] = str(path)
    frame["line"] = np.arange(first_line, first_line + len(raw), dtype=np.int64)
    problems = []
    for column in ("job_id", "user", "account", "partition"):
        if pd.api.types.is_integer_dtype(frame[column]):
            continue
        blank = frame[column].isin(["", "nan", "None"]).to_numpy(bool)
        problems += [RowProblem(w, column, "", "missing value") for w in _where(frame, blank)]
    if "energy_kwh" in raw.columns:
        if pd.api.types.is_numeric_dtype(raw["energy_kwh"]):  # Parquet: NaN or null is "not metered"
            bad = frame["energy_kwh"] < 0
        else:
            text = raw["energy_kwh"].astype(str).str.strip()
            bad = frame["energy_kwh"].isna() & ~text.isin(["", "nan", "None", "NaN"]) | (frame["energy_kwh"] < 0)
        problems += [RowProblem(w, "energy_kwh", v, "not a number of kWh >= 0 (leave it empty when not metered)")
                     for w, v in zip(_where(frame, bad), raw.loc[bad, "energy_kwh"])]
    frame["elapsed_s"] = np.nan
    frame, more = _finish(frame, problems, field_names=("start", "end", "nodes"))
    return frame, more


def _finish(frame: pd.DataFrame, problems: list[RowProblem], field_names: tuple[str, str, str]) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Times to UTC timestamps, counts to integers; elapsed from the times where not given."""
    start_name, end_name, nodes_name = field_names
    for column, name in (("start", start_name), ("end", end_name)):
        text = frame[column]
        if pd.api.types.is_datetime64_any_dtype(text):  # a Parquet timestamp column
            parsed = text.dt.tz_localize("UTC") if text.dt.tz is None else text.dt.tz_convert("UTC")
        else:
            parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        bad = parsed.isna()
        problems += [RowProblem(w, name, v, "not a date and time (ISO 8601; 'Unknown' means the job had not ended)")
                     for w, v in zip(_where(frame, bad), text[bad])]
        frame[column] = parsed.astype("datetime64[ns, UTC]")
    for column, name in (("nodes", nodes_name), ("accelerators", "accelerators")):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() | (numbers < 0) | (numbers != numbers.round())
        if column == "nodes":
            bad |= numbers == 0
        problems += [RowProblem(w, name, v, "not a whole number" + (" >= 1" if column == "nodes" else " >= 0"))
                     for w, v in zip(_where(frame, bad), frame.loc[bad, column])]
        frame[column] = numbers.fillna(0).astype("int64")
    from_times = (frame["end"] - frame["start"]).dt.total_seconds()
    frame["elapsed_s"] = pd.to_numeric(frame["elapsed_s"], errors="coerce").fillna(from_times).astype("float64")
    # sacct's Elapsed is never negative: a job whose End precedes its Start is reported as such.
    frame.loc[from_times < 0, "elapsed_s"] = from_times[from_times < 0]
    return frame, problems


def _text(column: pd.Series) -> pd.Series:
    """Names stripped of blanks; integers (job ids) and categories (Parquet dictionaries) keep their
    type, their categories are stripped instead (fast for large tables)."""
    if pd.api.types.is_integer_dtype(column):
        return column
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories.astype(str).str.strip()
        if categories.has_duplicates:  # " a" and "a": the same name
            return column.astype(str).str.strip()
        return column.cat.rename_categories(categories)
    return column.astype(str).str.strip()


def _where(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    """ "file:line" of the rows selected by ``mask`` (built only for rows that are reported)."""
    return [f"{f}:{n}" for f, n in zip(frame.loc[mask, "file"], frame.loc[mask, "line"])]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in JOB_COLUMNS})
    frame["elapsed_s"] = frame["elapsed_s"].astype("float64")
    return frame
