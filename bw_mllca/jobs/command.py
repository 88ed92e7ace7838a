"""``bw-mllca jobs ACCOUNTING... --cluster cluster.toml --out DIR [--scheduler ADDRESS]``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(commands) -> None:
    jobs = commands.add_parser(
        "jobs",
        help="per-job footprints of a cluster's jobs (JSC, JSC^e, ASC, ASC^e)",
        description="Attribute every job of SLURM sacct --parsable2 exports or generic job tables (CSV, Parquet) "
        "its JSC, JSC^e, ASC and ASC^e for every method; write per-job Parquet, aggregates by user, account, "
        "partition, product and month, the idle-capacity ledger and a workbook summary.",
    )
    jobs.add_argument("accounting", type=Path, nargs="+", metavar="ACCOUNTING", help="accounting files (or folders of Parquet)")
    jobs.add_argument("--cluster", type=Path, required=True, help="cluster description (TOML)")
    jobs.add_argument("--out", type=Path, required=True, help="output folder")
    jobs.add_argument("--scheduler", default=None, metavar="ADDRESS",
                      help="run on this dask.distributed scheduler ('local': a local cluster); default: in process, "
                      "or a local cluster beyond a few million Parquet rows")
    jobs.add_argument("--no-per-job", action="store_true", help="write aggregates only (no per-job Parquet)")
    jobs.add_argument("--plots", action="store_true", help="also write PNG plots (top accounts, idle share, monthly)")


def run(args: argparse.Namespace) -> list[str]:
    """Attribute the accounting of ``args`` and write the outputs; the summary lines to show."""
    from .. import setup_project
    from ..report.files import inside, safe_output_dir
    from .cluster import Cluster
    from .outputs import gwp_label, write_job_outputs
    from .pipeline import run_jobs

    cluster = Cluster.from_file(args.cluster)  # validated before anything is set up or written
    out = safe_output_dir(args.out)
    setup_project(args.project)
    scheduler = None if args.scheduler in (None, "local") else args.scheduler
    dask = True if args.scheduler is not None else None
    result = run_jobs(args.accounting, cluster, scheduler=scheduler, dask=dask,
                      per_job_dir=None if args.no_per_job else inside(out, "jobs"), per_job=not args.no_per_job)
    written = write_job_outputs(result, out, plots=args.plots)
    label = gwp_label(result)
    total = result.aggregate("partition")
    lines = [f"cluster {cluster.cluster.name!r}: {int(total['jobs'].sum()):,} jobs"]
    for metric in ("JSC", "JSC^e", "ASC", "ASC^e"):
        lines.append(f"  {metric:<6} {total[f'{metric}: {label}'].sum():>14.6g} {label}")
    unallocated = result.cluster_total().loc[label, "unallocated idle"]
    lines.append(f"  unallocated idle capacity {unallocated:.6g} {label}")
    lines.append(f"wrote {len(written) + len(result.per_job_files or [])} files to {out}")
    return lines
