"""Attribution of jobs as array arithmetic on the unit impact vectors.

For job j on partition p, running h hours on n nodes with a accelerators:

    node-hours        n h
    accelerator-hours a h (CPU-only hardware: node-hours x servers per node)
    IT energy         metered kWh (+ host draw when the meter covers accelerators only), or
                      accelerator-hours x (accelerator + host draw) when not metered
    platform          job-minutes x (platform kg per minute / concurrent jobs)
    idle capacity     n h x (idle node-hours of p in the job's start month / busy node-hours there)
    product use       h / (product lifetime hours x parallel jobs)

and each driver times its unit vector (``units``) gives a component; the metrics are sums of them:

    JSC   = electricity                                  (energy x PUE x grid, on-site water)
    JSC^e = JSC + platform overhead
    ASC   = JSC + embodied hardware + idle capacity      (embodied tax; idle charged per policy)
    ASC^e = ASC + platform overhead + product EPC share

Everything is linear in the drivers, so an aggregate (by user, account, ...) is its summed drivers
times the unit vectors: aggregates never need the per-job columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import BwMllcaError
from ..impact.system import Method
from .units import ClusterUnits

METRICS = ("JSC", "JSC^e", "ASC", "ASC^e")
COMPONENTS = ("electricity", "embodied hardware", "idle capacity", "platform overhead", "product EPC")
DRIVERS = ["jobs", "elapsed_hours", "node_hours", "accelerator_hours", "it_energy_kwh", "meter_energy_kwh",
           "job_minutes", "idle_node_hours", "product_uses", "hourly_grid_kg"]
DIMENSIONS = ("user", "account", "partition", "product", "month")
_EPOCH_MONTH = np.datetime64("1970-01", "M")


def method_name(method: Method) -> str:
    """A short column name for a method: its TRACI category, or its indicator."""
    return method[1] if method[0] == "TRACI v2.1" else method[-1]


def score_columns(units: ClusterUnits, metrics: bool = True, components: bool = True) -> list[str]:
    names = []
    for method, unit in zip(units.methods, units.units):
        label = f"{method_name(method)} [{unit}]"
        names += [f"{metric}: {label}" for metric in METRICS] if metrics else []
        names += [f"{component}: {label}" for component in COMPONENTS] if components else []
    return names


def month_index(start: pd.Series) -> np.ndarray:
    """Months since 1970-01 of each (UTC) start time."""
    values = start.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    return (values.astype("datetime64[M]") - _EPOCH_MONTH).astype(np.int64)


def month_label(index: np.ndarray | pd.Series) -> list[str]:
    return [str(_EPOCH_MONTH + np.timedelta64(int(i), "M")) for i in np.asarray(index)]


class _Tables:
    """The per-partition and per-product numbers as arrays, gathered by code."""

    def __init__(self, units: ClusterUnits):
        self.partitions = list(units.partitions)
        parts = [units.partitions[p] for p in self.partitions]
        self.apn = np.array([p.accelerators_per_node for p in parts], dtype=np.float64)
        self.cpu_only = np.array([p.cpu_only for p in parts])
        self.est_kw = np.array([p.estimated_kw_per_accelerator for p in parts])
        self.host_kw = np.array([0.0 if p.metered_includes_host else p.host_kw_per_accelerator for p in parts])
        self.pue = np.array([p.pue for p in parts])
        self.K = np.array([p.per_kwh for p in parts])  # (partitions, methods)
        self.H = np.array([p.per_accelerator_hour for p in parts])
        self.L = np.array([p.per_job_minute for p in parts])
        self.I = np.array([p.per_idle_node_hour for p in parts])
        self.products = list(units.products)
        self.E = np.array([units.products[q] for q in self.products]).reshape(len(self.products), len(units.methods))
        self.product_hours = np.array([units.product_hours[q] for q in self.products], dtype=np.float64)


def drivers(jobs: pd.DataFrame, units: ClusterUnits, idle_rate: pd.Series | None = None) -> pd.DataFrame:
    """The drivers of each job (``DRIVERS``, plus partition and product codes and the month).

    ``idle_rate``: idle node-hours charged per busy node-hour, indexed by (partition, month index);
    none or missing: 0.
    """
    t = _Tables(units)
    p = pd.Categorical(jobs["partition"], categories=t.partitions).codes.astype(np.int64)
    if (p < 0).any():
        bad = jobs["partition"][p < 0].iloc[0]
        raise BwMllcaError(f"partition = {bad!r}: not a partition of the cluster description ({', '.join(t.partitions)})")
    hours = jobs["elapsed_s"].to_numpy(np.float64) / 3600.0
    node_hours = jobs["nodes"].to_numpy(np.float64) * hours
    accelerator_hours = np.where(t.cpu_only[p], node_hours * t.apn[p], jobs["accelerators"].to_numpy(np.float64) * hours)
    metered = jobs["energy_kwh"].to_numpy(np.float64)
    is_metered = ~np.isnan(metered)
    kwh = np.where(is_metered, metered + accelerator_hours * t.host_kw[p], accelerator_hours * t.est_kw[p])
    if np.isnan(kwh).any():
        first = jobs[np.isnan(kwh)].iloc[0]
        raise BwMllcaError(f"{first.get('file', '')}:{first.get('line', '')}: job {first['job_id']} has no metered energy and "
                           f"partitions.{first['partition']}.power_w is not given (its hardware has no rated power)")
    month = month_index(jobs["start"])
    rate = np.zeros(len(jobs))
    if idle_rate is not None and len(idle_rate) and len(jobs):
        # a dense (partition, month) table: one gather per job instead of an index lookup
        months = idle_rate.index.get_level_values(1).to_numpy(np.int64)
        first, last = min(months.min(), month.min()), max(months.max(), month.max())
        table = np.zeros((len(t.partitions), last - first + 1))
        codes = pd.Categorical(idle_rate.index.get_level_values(0), categories=t.partitions).codes
        table[codes, months - first] = idle_rate.to_numpy(np.float64)
        rate = table[p, month - first]
    q = pd.Categorical(jobs["product"], categories=t.products).codes.astype(np.int64) if t.products else np.full(len(jobs), -1)
    uses = np.where(q >= 0, hours / t.product_hours[np.maximum(q, 0)] if t.products else 0.0, 0.0)
    # kg CO2e the hourly series adds to (or takes from) the catalog mix: meter kWh x mean excess
    hourly = np.zeros(len(jobs))
    for k, name in enumerate(t.partitions):
        series = units.partitions[name].hourly
        if series is not None and (p == k).any():
            rows = p == k
            hourly[rows] = kwh[rows] * t.pue[k] * series.mean_excess(jobs["start"][rows], jobs["end"][rows])
    return pd.DataFrame({
        "partition_code": p, "product_code": q, "month": month, "hourly_grid_kg": hourly,
        "jobs": np.ones(len(jobs)), "elapsed_hours": hours, "node_hours": node_hours,
        "accelerator_hours": accelerator_hours, "it_energy_kwh": kwh, "meter_energy_kwh": kwh * t.pue[p],
        "job_minutes": hours * 60.0, "idle_node_hours": node_hours * rate, "product_uses": uses,
        "energy_metered": is_metered,
    }, index=jobs.index)


def scores(d: pd.DataFrame, units: ClusterUnits, *, metrics: bool = True, components: bool = True,
           dtype: type = np.float32) -> pd.DataFrame:
    """Component and metric scores of rows of drivers (jobs, or summed drivers of a group).

    Rows are taken in runs of one partition, where every unit score is a scalar: each output
    column is one pass over the drivers, written straight into one preallocated block (one row per
    output column), so the frame is built without copying. float32 (default) is the precision
    Brightway stores amounts at; the metrics are summed in it."""
    p = d["partition_code"].to_numpy()
    if len(p) > 1 and (np.diff(p) < 0).any():
        order = np.argsort(p, kind="stable")
        return scores(d.iloc[order], units, metrics=metrics, components=components, dtype=dtype).iloc[np.argsort(order)]
    t = _Tables(units)
    names = score_columns(units, metrics, components)
    block = np.empty((len(names), len(d)), dtype=dtype)
    kwh, acc, minutes, idle = (d[c].to_numpy(dtype) for c in ("it_energy_kwh", "accelerator_hours", "job_minutes", "idle_node_hours"))
    hourly = d["hourly_grid_kg"].to_numpy(dtype)
    q = d["product_code"].to_numpy()
    uses = np.where(q >= 0, d["product_uses"].to_numpy(np.float64), 0.0).astype(dtype)
    epc = t.E.astype(dtype)[np.maximum(q, 0)] if len(t.products) else np.zeros((len(d), len(units.methods)), dtype)
    bounds = np.searchsorted(p, np.arange(len(t.partitions) + 1))
    per_method = (4 if metrics else 0) + (5 if components else 0)
    for m in range(len(units.methods)):
        rows = block[m * per_method:(m + 1) * per_method]
        parts = rows[4:] if metrics and components else (rows if components else np.empty((5, len(d)), dtype))
        electricity, embodied, idle_part, platform, product = parts
        for k in range(len(t.partitions)):
            a, b = bounds[k], bounds[k + 1]
            if a == b:
                continue
            np.multiply(kwh[a:b], dtype(t.K[k, m]), out=electricity[a:b])
            np.multiply(acc[a:b], dtype(t.H[k, m]), out=embodied[a:b])
            np.multiply(idle[a:b], dtype(t.I[k, m]), out=idle_part[a:b])
            np.multiply(minutes[a:b], dtype(t.L[k, m]), out=platform[a:b])
        np.multiply(uses, epc[:, m], out=product)
        if m in units.climate:  # the hourly carbon intensity (climate change only)
            electricity += hourly
        if metrics:
            jsc, jsce, asc, asce = rows[:4]
            jsc[:] = electricity
            np.add(electricity, platform, out=jsce)
            np.add(electricity, embodied, out=asc)
            asc += idle_part
            np.add(asc, platform, out=asce)
            asce += product
    return pd.DataFrame(block.T, columns=names, index=d.index, copy=False)


def per_job(jobs: pd.DataFrame, units: ClusterUnits, idle_rate: pd.Series | None = None) -> pd.DataFrame:
    """One row per job (grouped by partition): its identity, drivers, and JSC, JSC^e, ASC, ASC^e with
    components (float32, the precision Brightway stores amounts at) for every method."""
    p = pd.Categorical(jobs["partition"], categories=list(units.partitions)).codes
    if len(p) > 1 and (np.diff(p) < 0).any():  # runs of one partition (see ``scores``)
        jobs = jobs.iloc[np.argsort(p, kind="stable")]
    d = drivers(jobs, units, idle_rate)
    ident = jobs[["job_id", "user", "account", "partition", "product", "start", "end"]]
    quantities = d[["elapsed_hours", "node_hours", "accelerator_hours", "it_energy_kwh", "meter_energy_kwh",
                    "idle_node_hours", "product_uses", "hourly_grid_kg", "energy_metered"]]
    return pd.concat([ident, quantities, scores(d, units)], axis=1)


def busy_summary(jobs: pd.DataFrame) -> pd.DataFrame:
    """Busy node-hours and job counts per (partition, month index), and the span of the data
    (first start, last end) as attributes: a mergeable summary of one chunk of jobs."""
    month = month_index(jobs["start"])
    node_hours = jobs["nodes"].to_numpy(np.float64) * jobs["elapsed_s"].to_numpy(np.float64) / 3600.0
    frame = pd.DataFrame({"partition": jobs["partition"].to_numpy(), "month": month, "busy_node_hours": node_hours,
                          "jobs": 1.0, "first_start": jobs["start"], "last_end": jobs["end"]})
    return frame.groupby(["partition", "month"], as_index=False, sort=True).agg(
        busy_node_hours=("busy_node_hours", "sum"), jobs=("jobs", "sum"),
        first_start=("first_start", "min"), last_end=("last_end", "max"))


def merge_busy(summaries: pd.DataFrame) -> pd.DataFrame:
    return summaries.groupby(["partition", "month"], as_index=False, sort=True).agg(
        busy_node_hours=("busy_node_hours", "sum"), jobs=("jobs", "sum"),
        first_start=("first_start", "min"), last_end=("last_end", "max"))


def idle_ledger(busy: pd.DataFrame, units: ClusterUnits, policy: str) -> pd.DataFrame:
    """Idle capacity per partition and month, over the span the accounting covers (first start to
    last end): capacity = installed nodes x hours of the month inside the span; idle = capacity -
    busy node-hours of jobs starting that month (0 where they exceed it: ``overbooked`` > 0).
    ``charged_node_hours`` go to that month's jobs (policy 'charge'), the rest is unallocated.
    Impacts: idle node-hours x the partition's idle node-hour vector, charged and unallocated."""
    t = _Tables(units)
    rows = []
    if len(busy):
        first = busy["first_start"].min().tz_convert("UTC").tz_localize(None).to_datetime64()
        last = busy["last_end"].max().tz_convert("UTC").tz_localize(None).to_datetime64()
        months = np.arange((first.astype("datetime64[M]") - _EPOCH_MONTH).astype(int),
                           (last.astype("datetime64[M]") - _EPOCH_MONTH).astype(int) + 1)
        by_key = busy.set_index(["partition", "month"])
        for name, part in units.partitions.items():
            if part.nodes is None:
                continue
            for m in months:
                lo = max((_EPOCH_MONTH + np.timedelta64(int(m), "M")).astype("datetime64[ns]"), first)
                hi = min((_EPOCH_MONTH + np.timedelta64(int(m) + 1, "M")).astype("datetime64[ns]"), last)
                hours = max((hi - lo) / np.timedelta64(1, "h"), 0.0)
                busy_nh = float(by_key["busy_node_hours"].get((name, m), 0.0))
                jobs = float(by_key["jobs"].get((name, m), 0.0))
                capacity = part.nodes * hours
                idle = max(capacity - busy_nh, 0.0)
                charged = idle if policy == "charge" and busy_nh > 0 else 0.0
                rows.append((name, int(m), capacity, busy_nh, jobs, idle, charged, idle - charged, max(busy_nh - capacity, 0.0)))
    ledger = pd.DataFrame(rows, columns=["partition", "month", "capacity_node_hours", "busy_node_hours", "jobs",
                                         "idle_node_hours", "charged_node_hours", "unallocated_node_hours",
                                         "overbooked_node_hours"])
    ledger["idle_share"] = ledger["idle_node_hours"] / ledger["capacity_node_hours"].where(ledger["capacity_node_hours"] > 0)
    p = pd.Categorical(ledger["partition"], categories=t.partitions).codes
    for m, (method, unit) in enumerate(zip(units.methods, units.units)):
        label = f"{method_name(method)} [{unit}]"
        ledger[f"idle: {label}"] = ledger["idle_node_hours"].to_numpy() * t.I[p, m] if len(ledger) else []
        ledger[f"unallocated: {label}"] = ledger["unallocated_node_hours"].to_numpy() * t.I[p, m] if len(ledger) else []
    return ledger


def idle_rates(ledger: pd.DataFrame) -> pd.Series:
    """Idle node-hours charged per busy node-hour, by (partition, month index)."""
    busy = ledger["busy_node_hours"].where(ledger["busy_node_hours"] > 0)
    rate = (ledger["charged_node_hours"] / busy).fillna(0.0)
    return pd.Series(rate.to_numpy(), index=pd.MultiIndex.from_frame(ledger[["partition", "month"]]))


def driver_totals(jobs: pd.DataFrame, units: ClusterUnits, idle_rate: pd.Series | None = None) -> pd.DataFrame:
    """Summed drivers per dimension value (user, account, partition, product, month), partition and
    product: a small, mergeable summary from which every aggregate follows (``aggregate``)."""
    d = drivers(jobs, units, idle_rate)
    t = _Tables(units)
    n_p, n_q = len(t.partitions), len(t.products) + 1
    cell = d["partition_code"].to_numpy() * n_q + (d["product_code"].to_numpy() + 1)
    weights = {name: d[name].to_numpy(np.float64) for name in DRIVERS}
    frames = []
    for by in DIMENSIONS:
        if by == "month":
            codes, labels = pd.factorize(d["month"].to_numpy())
        elif isinstance(jobs[by].dtype, pd.CategoricalDtype):
            codes, labels = jobs[by].cat.codes.to_numpy(), jobs[by].cat.categories
        else:
            codes, labels = pd.factorize(jobs[by].to_numpy())
        key = codes.astype(np.int64) * (n_p * n_q) + cell  # one bin per (value, partition, product)
        size = len(labels) * n_p * n_q
        counts = np.bincount(key, minlength=size)
        used = np.flatnonzero(counts)
        frame = pd.DataFrame({"dimension": by, "key": np.asarray(labels, dtype=object)[used // (n_p * n_q)],
                              "partition_code": (used % (n_p * n_q)) // n_q, "product_code": used % n_q - 1})
        for name, w in weights.items():
            frame[name] = np.bincount(key, weights=w, minlength=size)[used]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def merge_totals(d: pd.DataFrame) -> pd.DataFrame:
    return d.groupby(["dimension", "key", "partition_code", "product_code"], as_index=False, sort=False)[DRIVERS].sum()


def aggregate(totals: pd.DataFrame, units: ClusterUnits, by: str) -> pd.DataFrame:
    """Drivers and scores summed by one of ``DIMENSIONS`` (the sum over its groups equals the sum
    over jobs): each (value, partition, product) cell's drivers times its unit vectors."""
    cells = merge_totals(totals[totals["dimension"] == by]).drop(columns="dimension").reset_index(drop=True)
    scored = pd.concat([cells, scores(cells, units, dtype=np.float64)], axis=1)
    result = scored.groupby("key", as_index=False, sort=True)[DRIVERS + score_columns(units)].sum()
    if by == "month":
        result.insert(0, "period", month_label(result.pop("key").to_numpy(np.int64)))
    else:
        result = result.rename(columns={"key": by})
    return result
