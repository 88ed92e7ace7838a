"""Per-job footprints for a whole cluster: read the accounting, score the unit quantities once,
charge idle capacity, attribute every job; in process (pandas) or over partitioned Parquet on a
``dask.distributed`` cluster.

In process, every input is read into one table (sacct exports, CSV, Parquet: a few million jobs).
With dask, Parquet job tables are read one row group per task (memory per worker is bounded by
the row-group size, whatever the number of jobs) in three passes: checks and busy node-hours per
partition and month; duplicate job ids (dask's ``value_counts`` with as many output partitions as
inputs); attribution, writing per-job Parquet and summing drivers per group in the same tasks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..impact.system import Method
from . import attribute as att
from .accounting import AccountingError, RowProblem, canonical_generic, check_jobs, read_accounting
from .cluster import Cluster
from .units import ClusterUnits, cluster_units

logger = logging.getLogger(__name__)

DASK_ROWS = 4_000_000
MAX_PIECE_PROBLEMS = 1000  # problems one task sends back in full  # beyond this many jobs in Parquet inputs, the dask path is taken by default


@dataclass
class JobAttribution:
    """The result: per-job rows (pandas, or a lazy dask DataFrame), the idle-capacity ledger and the
    summed drivers every aggregate follows from."""

    cluster: Cluster
    units: ClusterUnits
    ledger: pd.DataFrame
    totals: pd.DataFrame
    jobs: Any  # pd.DataFrame | dask.dataframe.DataFrame | None (aggregates only)
    per_job_files: list[Path] | None = None

    def aggregate(self, by: str) -> pd.DataFrame:
        """Drivers and scores summed by 'user', 'account', 'partition', 'product' or 'month'."""
        if by not in att.DIMENSIONS:
            raise ValueError(f"by = {by!r}: expected one of {', '.join(att.DIMENSIONS)}")
        return att.aggregate(self.totals, self.units, by)

    def cluster_total(self) -> pd.DataFrame:
        """Sum over jobs, the idle capacity reported apart, and their sum (the cluster's total)."""
        jobs = self.aggregate("partition")
        rows = {}
        for method, unit in zip(self.units.methods, self.units.units):
            label = f"{att.method_name(method)} [{unit}]"
            charged = float(jobs[f"ASC^e: {label}"].sum())
            unallocated = float(self.ledger[f"unallocated: {label}"].sum()) if len(self.ledger) else 0.0
            rows[label] = (charged, unallocated, charged + unallocated)
        return pd.DataFrame.from_dict(rows, orient="index", columns=["jobs ASC^e", "unallocated idle", "cluster total"])


def attribute_jobs(accounting: str | Path | Iterable[str | Path], cluster: Cluster | str | Path, *,
                   methods: Sequence[Method] | None = None, scheduler: Any = None, dask: bool | None = None):
    """Per-job JSC, JSC^e, ASC and ASC^e (with components) for every method, one row per job: a
    pandas DataFrame in process, a dask DataFrame (lazy) on the dask path (``scheduler``: a
    ``distributed.Client`` or an address; ``dask=True`` without one: a local cluster)."""
    return run_jobs(accounting, cluster, methods=methods, scheduler=scheduler, dask=dask).jobs


def run_jobs(accounting: str | Path | Iterable[str | Path], cluster: Cluster | str | Path, *,
             methods: Sequence[Method] | None = None, scheduler: Any = None, dask: bool | None = None,
             per_job_dir: Path | None = None, per_job: bool = True) -> JobAttribution:
    """Attribute every job; ``per_job_dir``: also write per-job Parquet there (on the dask path
    the per-job rows are written, not held; ``per_job=False``: aggregates only)."""
    if not isinstance(cluster, Cluster):
        cluster = Cluster.from_file(cluster)
    paths = [Path(accounting)] if isinstance(accounting, (str, Path)) else [Path(p) for p in accounting]
    pieces = _parquet_pieces(paths)
    rows = sum(n for *_, n in pieces) if pieces is not None else 0
    use_dask = dask if dask is not None else (scheduler is not None or rows > DASK_ROWS)
    if use_dask and pieces is not None:
        return _run_dask(pieces, cluster, methods, scheduler, per_job_dir, per_job)
    # the accounting is checked before anything is written into the project
    jobs = read_accounting(paths, partitions=cluster.partitions, products=cluster.products)
    units = cluster_units(cluster, methods)
    ledger = att.idle_ledger(att.busy_summary(jobs), units, cluster.cluster.idle)
    rates = att.idle_rates(ledger)
    totals = att.driver_totals(jobs, units, rates)
    table = att.per_job(jobs, units, rates) if per_job else None
    files = None
    if table is not None and per_job_dir is not None:
        per_job_dir.mkdir(parents=True, exist_ok=True)
        files = [per_job_dir / "part-0.parquet"]
        table.to_parquet(files[0], index=False)
    if table is not None and use_dask:
        import dask.dataframe as dd

        table = dd.from_pandas(table, npartitions=max(1, len(table) // 1_000_000))
    return JobAttribution(cluster, units, ledger, totals, table, files)


# -- the dask path ------------------------------------------------------------------------------
def _parquet_pieces(paths: list[Path]) -> list[tuple[str, int, int, int]] | None:
    """(file, row group, first row, rows) of every Parquet input (folders: their *.parquet files),
    or None when an input is not Parquet."""
    import pyarrow.parquet as pq

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.rglob("*.parquet"))
        elif path.suffix.lower() == ".parquet" and path.is_file():
            files.append(path)
        else:
            return None
    pieces = []
    for file in files:
        metadata = pq.ParquetFile(file).metadata
        first = 1
        for group in range(metadata.num_row_groups):
            n = metadata.row_group(group).num_rows
            pieces.append((str(file), group, first, n))
            first += n
    return pieces or None


def _read_piece(piece: tuple[str, int, int, int]) -> tuple[pd.DataFrame, list[RowProblem]]:
    import pyarrow.parquet as pq

    path, group, first, _ = piece
    raw = pq.ParquetFile(path).read_row_group(group).to_pandas()
    return canonical_generic(raw, path, first)


def _check_piece(piece, partitions: list[str], products: list[str]):
    """Problems of one piece (duplicates within it included), its busy node-hours per partition
    and month, and the range of its job ids (pieces whose ranges overlap are counted together)."""
    jobs, problems = _read_piece(piece)
    problems += check_jobs(jobs, partitions, products)
    span = (jobs["job_id"].min(), jobs["job_id"].max()) if len(jobs) else None
    if len(problems) > MAX_PIECE_PROBLEMS:  # the count stays exact; only the listing is cut
        rest = len(problems) - MAX_PIECE_PROBLEMS
        problems = problems[:MAX_PIECE_PROBLEMS] + [RowProblem(f"{piece[0]}", "rows", rest, "more malformed rows in this row group")]
    return problems, (att.busy_summary(jobs) if not problems else None), span


def _canonical_piece(piece) -> pd.DataFrame:
    return _read_piece(piece)[0]


def _client(scheduler: Any):
    from ..impact.distributed import client_for

    return client_for(scheduler if scheduler is not None else True)


def _run_dask(pieces, cluster: Cluster, methods: Sequence[Method] | None, scheduler: Any, per_job_dir: Path | None,
              per_job: bool) -> JobAttribution:
    import dask.dataframe as dd

    partitions, products = list(cluster.partitions), list(cluster.products)
    with _client(scheduler) as client:
        started = time.perf_counter()
        futures = client.map(_check_piece, pieces, partitions=partitions, products=products, pure=False)
        units = cluster_units(cluster, methods)  # here, while the workers check their pieces
        checked = client.gather(futures)
        problems = [p for found, _, _ in checked for p in found]
        logger.info("checks of %d pieces and unit vectors: %.1f s", len(pieces), time.perf_counter() - started)
        if _ranges_overlap([span for _, _, span in checked]):
            # job ids of different pieces may repeat: count them (dask's value_counts, one output
            # partition per input piece, so no worker holds all ids)
            ids = dd.from_map(_job_ids, pieces)
            counts = ids["job_id"].value_counts(split_out=max(1, len(pieces)))
            duplicated = counts[counts > 1].compute()
            if len(duplicated):
                problems += _locate_duplicates(pieces, set(duplicated.index), client)
            logger.info("duplicate job ids counted: %.1f s", time.perf_counter() - started)
        if problems:
            raise AccountingError(problems)
        busy = att.merge_busy(pd.concat([summary for _, summary, _ in checked if summary is not None], ignore_index=True))
        ledger = att.idle_ledger(busy, units, cluster.cluster.idle)
        rates = att.idle_rates(ledger)
        files, table = None, None
        if per_job:
            jobs = dd.from_map(_canonical_piece, pieces)
            empty = _canonical_piece(pieces[0]).iloc[:0]  # the output types, for dask's metadata
            table = jobs.map_partitions(att.per_job, units, rates, meta=att.per_job(empty, units, rates))
        if table is not None and per_job_dir is not None:
            # each task writes its piece's per-job rows and returns only its summed drivers
            parts = client.gather(client.map(_attribute_piece, pieces, range(len(pieces)), units=units, rates=rates,
                                             folder=str(per_job_dir), pure=False))
            files = sorted(per_job_dir.glob("*.parquet"))
            table = dd.read_parquet(files)
        else:
            parts = client.gather(client.map(_attribute_piece, pieces, units=units, rates=rates, pure=False))
        totals = att.merge_totals(pd.concat(parts, ignore_index=True))
        count = int(totals.loc[totals["dimension"] == "partition", "jobs"].sum())
        logger.info("%d jobs attributed in %d tasks on %s: %.1f s", count, len(pieces), client, time.perf_counter() - started)
    return JobAttribution(cluster, units, ledger, totals, table, files)


def _job_ids(piece) -> pd.DataFrame:
    return _canonical_piece(piece)[["job_id"]]


def _ranges_overlap(spans: list[tuple[Any, Any, bool] | None]) -> bool:
    """Whether pieces may share job ids: their (min, max) ranges overlap (or cannot be compared)."""
    spans = [s for s in spans if s is not None]
    try:
        ordered = sorted(spans, key=lambda s: s[0])
        return any(later[0] <= earlier[1] for earlier, later in zip(ordered, ordered[1:]))
    except TypeError:  # ids of mixed types
        return True


def _attribute_piece(piece, index: int | None = None, *, units: ClusterUnits, rates: pd.Series,
                     folder: str | None = None) -> pd.DataFrame:
    """Summed drivers of one piece; with ``folder``, its per-job rows written there first."""
    jobs = _canonical_piece(piece)
    if folder is not None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        att.per_job(jobs, units, rates).to_parquet(Path(folder) / f"part-{index:06d}.parquet", index=False)
    return att.driver_totals(jobs, units, rates)


def _locate_duplicates(pieces, ids: set, client) -> list[RowProblem]:
    def places(piece):
        jobs = _canonical_piece(piece)
        hit = jobs[jobs["job_id"].isin(ids)]
        return list(zip(hit["job_id"], hit["file"], hit["line"]))

    found = sorted((str(i), f, n) for part in client.gather(client.map(places, pieces, pure=False)) for i, f, n in part)
    problems, first = [], {}
    for job_id, file, line in found:
        if job_id in first:
            problems.append(RowProblem(f"{file}:{line}", "job_id", job_id, f"duplicate job id (first at {first[job_id]})"))
        else:
            first[job_id] = f"{file}:{line}"
    return problems
