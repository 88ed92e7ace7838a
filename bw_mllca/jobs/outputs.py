"""Outputs of a cluster attribution: per-job Parquet, aggregates (CSV), the idle-capacity ledger,
a workbook summary, and plots (top accounts, idle share, time series) that return Figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..report.files import inside, safe_frame, safe_output_dir
from ..report.workbook import write_table
from .attribute import DIMENSIONS, METRICS, method_name, month_label
from .pipeline import JobAttribution

GWP = "climate change"


def gwp_label(attribution: JobAttribution) -> str:
    for method, unit in zip(attribution.units.methods, attribution.units.units):
        if method_name(method) == GWP:
            return f"{GWP} [{unit}]"
    method, unit = attribution.units.methods[0], attribution.units.units[0]
    return f"{method_name(method)} [{unit}]"


def write_job_outputs(attribution: JobAttribution, out: Path, *, plots: bool = False) -> list[Path]:
    """Write the aggregates by each dimension (``by_<dimension>.csv``), ``idle_capacity.csv``,
    ``cluster_total.csv``, ``summary.xlsx`` and, with ``plots``, PNG plots; returns the paths
    (per-job Parquet is written by ``run_jobs(per_job_dir=...)``)."""
    out = safe_output_dir(out)
    written = []
    sheets: dict[str, pd.DataFrame] = {}
    for by in DIMENSIONS:
        table = attribution.aggregate(by)
        path = inside(out, f"by_{by}.csv")
        safe_frame(table).to_csv(path, index=False)
        written.append(path)
        sheets[f"by {by}"] = _metrics_only(table, attribution)
    ledger = attribution.ledger.copy()
    ledger.insert(1, "period", month_label(ledger["month"]))
    ledger = ledger.drop(columns="month")
    path = inside(out, "idle_capacity.csv")
    safe_frame(ledger).to_csv(path, index=False)
    written.append(path)
    total = attribution.cluster_total().rename_axis("method [unit]").reset_index()
    path = inside(out, "cluster_total.csv")
    safe_frame(total).to_csv(path, index=False)
    written.append(path)
    from openpyxl import Workbook

    workbook = Workbook()
    for index, (title, table) in enumerate({"cluster total": total, "idle capacity": ledger, **sheets}.items()):
        ws = workbook.active if index == 0 else workbook.create_sheet()
        ws.title = title[:31]
        write_table(ws, safe_frame(table))
    path = inside(out, "summary.xlsx")
    workbook.save(path)
    written.append(path)
    if plots:
        for stem, fig in (("top_accounts", top_accounts(attribution)), ("idle_share", idle_share(attribution)),
                          ("monthly", monthly(attribution))):
            path = inside(out, f"{stem}.png")
            fig.savefig(path, dpi=150, bbox_inches="tight")
            written.append(path)
    return written


def _metrics_only(table: pd.DataFrame, attribution: JobAttribution) -> pd.DataFrame:
    """The workbook keeps the drivers and the four metrics (components stay in the CSV)."""
    keep = [c for c in table.columns if ":" not in c or c.split(":", 1)[0] in METRICS]
    return table[keep]


def top_accounts(attribution: JobAttribution, n: int = 10) -> Figure:
    """ASC^e GWP of the n accounts with the largest footprint, split into JSC and the taxes."""
    label = gwp_label(attribution)
    table = attribution.aggregate("account").nlargest(n, f"ASC^e: {label}").iloc[::-1]
    fig = Figure(figsize=(7, 0.4 * len(table) + 1.5))
    ax = fig.subplots()
    left = 0.0
    parts = [("electricity", "JSC (energy x PUE x grid)"), ("embodied hardware", "embodied hardware"),
             ("idle capacity", "idle capacity"), ("platform overhead", "platform"), ("product EPC", "product EPC")]
    left = pd.Series(0.0, index=table.index)
    for column, name in parts:
        values = table[f"{column}: {label}"]
        ax.barh(table["account"], values, left=left, label=name)
        left = left + values
    ax.set_xlabel(f"ASC^e, {label}")
    ax.legend(fontsize=8)
    return fig


def idle_share(attribution: JobAttribution) -> Figure:
    """Idle share of installed node-hours per partition and month."""
    ledger = attribution.ledger
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    for partition, part in ledger.groupby("partition", sort=True):
        ax.plot(month_label(part["month"]), part["idle_share"], marker="o", label=partition)
    ax.set_ylabel("idle share of node-hours")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    return fig


def monthly(attribution: JobAttribution) -> Figure:
    """The four metrics (GWP) per month."""
    label = gwp_label(attribution)
    table = attribution.aggregate("month")
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    for metric in METRICS:
        ax.plot(table["period"], table[f"{metric}: {label}"], marker="o", label=metric)
    ax.set_ylabel(label)
    ax.legend(fontsize=8)
    return fig
