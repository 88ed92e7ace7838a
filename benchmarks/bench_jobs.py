"""Per-job attribution of a cluster's jobs (`bw_mllca.jobs`): throughput, memory, and the
memory-bandwidth floor of writing the output columns; the plain Brightway way for comparison.

    python benchmarks/bench_jobs.py --sizes 1e6 1e7 --dask-jobs 1e8

Synthetic job tables with realistic size distributions (elapsed time log-normal, median 20 min,
1 % of jobs longer than 1.5 days; 85 % single-node jobs, the rest up to 64 nodes; 0-8 GPUs per
node; 60 % with metered energy; 2,000 users in 200 accounts; 5 % of jobs serve a model) on the
example cluster (examples/cluster.toml, every TRACI category, water and AWARE: 11 methods).

In process: the table is attributed in blocks of 10^6 jobs (one dask task's worth), per-job
Parquet written for each block; "per core" is that single-threaded rate. With --dask-jobs: the
table is written as Parquet (one row group of 10^6 jobs per file) and attributed on a local Dask
cluster (one single-threaded worker per core) writing aggregates only; memory per worker is each
worker's peak resident memory.

The plain Brightway way: each job as a demand on the built unit database, bw2calc ``lci`` and
``lcia`` per job and method (timed on a few jobs).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (temporary Brightway directory, sys.path)
import numpy as np
import pandas as pd

from common import ROOT, report

BLOCK = 1_000_000


def synthetic_jobs(n: int, seed: int, first_id: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    elapsed = np.minimum(np.exp(rng.normal(np.log(1200), 1.6, n)), 14 * 86400).astype("int64") + 1
    start = np.datetime64("2025-01-01T00:00:00", "s") + rng.integers(0, 365 * 86400, n).astype("timedelta64[s]")
    multi = rng.random(n) < 0.15
    nodes = np.where(multi, np.minimum(rng.geometric(0.2, n) + 1, 64), 1)
    gpu = rng.random(n) < 0.7
    per_node = rng.choice([1, 2, 4, 8], n, p=[0.4, 0.2, 0.2, 0.2])
    metered = rng.random(n) < 0.6
    kwh = np.where(metered, nodes * np.where(gpu, per_node, 0) * elapsed / 3600 * rng.uniform(0.2, 0.7, n) + 0.01, np.nan)
    users = rng.integers(0, 2000, n)
    return pd.DataFrame({
        "job_id": np.arange(first_id, first_id + n, dtype="int64"),
        "user": pd.Categorical.from_codes(users, [f"user{i:04d}" for i in range(2000)]),
        "account": pd.Categorical.from_codes(users % 200, [f"acct{i:03d}" for i in range(200)]),
        "partition": pd.Categorical.from_codes(gpu.astype(int), ["cpu", "gpu"]),
        "product": pd.Categorical.from_codes((gpu & (rng.random(n) < 0.05)).astype(int), ["", "olmo2-7b"]),
        "start": pd.to_datetime(start).tz_localize("UTC"),
        "end": pd.to_datetime(start + elapsed.astype("timedelta64[s]")).tz_localize("UTC"),
        "nodes": nodes.astype("int32"), "accelerators": (nodes * np.where(gpu, per_node, 0)).astype("int32"),
        "energy_kwh": kwh,
    })


def write_bandwidth_gb_s() -> float:
    """Best of 5 single-threaded writes of a 512 MB float32 array (first touch excluded)."""
    a = np.empty(128 * 2**20, dtype=np.float32)
    a.fill(0.0)
    best = min(_time(lambda: a.fill(1.0)) for _ in range(5))
    return a.nbytes / best / 1e9


def _time(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def in_process(n: int, units, folder: Path, bandwidth: float) -> dict:
    from bw_mllca.jobs.accounting import canonical_generic
    from bw_mllca.jobs import attribute as att

    attribute_s = attribute_cpu_s = write_s = 0.0
    out_bytes = 0
    folder.mkdir(parents=True, exist_ok=True)
    for block in range(0, n, BLOCK):
        raw = synthetic_jobs(min(BLOCK, n - block), seed=block, first_id=block)
        jobs, problems = canonical_generic(raw, "synthetic", block + 1)
        assert not problems
        start, cpu = time.perf_counter(), time.process_time()
        table = att.per_job(jobs, units)
        attribute_s += time.perf_counter() - start
        attribute_cpu_s += time.process_time() - cpu
        scores = [c for c in table.columns if ": " in c]
        out_bytes += sum(table[c].nbytes for c in scores)
        write_s += _time(lambda: table.to_parquet(folder / f"part-{block // BLOCK:05d}.parquet", index=False))
        del table, jobs, raw
    disk = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    shutil.rmtree(folder)
    floor_s = out_bytes / (bandwidth * 1e9)
    return {"jobs": n, "attribute_s": attribute_s, "attribute_cpu_s": attribute_cpu_s,
            "jobs_per_s_per_core": n / attribute_cpu_s, "write_parquet_s": write_s,
            "output_columns": len(scores), "output_gb": out_bytes / 1e9, "bandwidth_floor_s": floor_s,
            "ratio_to_floor": attribute_cpu_s / floor_s, "per_job_parquet_gb": disk / 1e9, "peak_rss_gb": peak_rss_gb()}


def plain_brightway_per_job_s(units, jobs: pd.DataFrame) -> float:
    """bw2calc per job: demand (accelerator-hours, kWh, platform minutes) on the unit database,
    lci + lcia for each method (the way a Brightway user scores a job)."""
    import bw2calc as bc
    import bw2data as bd

    db = bd.Database(units.database)
    by_code = {a["code"]: a for a in db}
    from bw_mllca.jobs import attribute as att

    d = att.drivers(jobs, units)
    times = []
    for i in range(len(jobs)):
        partition = jobs["partition"].iloc[i]
        hw = "hgx-h100" if partition == "gpu" else "cpu-node"
        demand = {by_code[f"accelerator-hour:{hw}"].id: float(d["accelerator_hours"].iloc[i]),
                  by_code["it-energy:main-hall"].id: float(d["it_energy_kwh"].iloc[i]),
                  by_code["platform:services"].id: float(d["job_minutes"].iloc[i]) / 200}
        start = time.perf_counter()
        lca = bc.LCA(demand, method=units.methods[0])
        lca.lci()
        lca.lcia()
        for method in units.methods[1:]:
            lca.switch_method(method)
            lca.lcia()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def on_dask(n: int, cluster, folder: Path, workers: int) -> dict:
    from distributed import Client, LocalCluster

    from bw_mllca.jobs import run_jobs

    folder.mkdir(parents=True, exist_ok=True)
    generate_s = 0.0
    for block in range(0, n, BLOCK):
        raw = synthetic_jobs(min(BLOCK, n - block), seed=10_000 + block, first_id=block)
        generate_s += _time(lambda: raw.to_parquet(folder / f"jobs-{block // BLOCK:05d}.parquet", row_group_size=BLOCK))
    disk = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit="3GiB") as local, Client(local) as client:
        import os
        import threading

        import psutil

        processes = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
        cpu_before = sum(sum(p.cpu_times()[:2]) for p in processes)
        peak = {p.pid: 0 for p in processes}
        done = threading.Event()

        def watch() -> None:  # resident memory of each worker, every 0.2 s
            while not done.wait(0.2):
                for p in processes:
                    peak[p.pid] = max(peak[p.pid], p.memory_info().rss)

        watcher = threading.Thread(target=watch)
        watcher.start()
        start = time.perf_counter()
        result = run_jobs([folder], cluster, scheduler=client, per_job=False)
        wall = time.perf_counter() - start
        done.set()
        watcher.join()
        cpu = sum(sum(p.cpu_times()[:2]) for p in processes) - cpu_before
    total = result.aggregate("partition")
    shutil.rmtree(folder)
    return {"jobs": n, "attributed": int(total["jobs"].sum()), "wall_s": wall, "workers": workers,
            "worker_cpu_s": cpu, "jobs_per_s_per_core": n / cpu, "peak_rss_gb_per_worker": max(peak.values()) / 2**30,
            "input_parquet_gb": disk / 1e9, "parquet_write_s": generate_s}


def main() -> None:
    """Results as one JSON line (``RESULT ...``); timings in CPU seconds where the machine is shared."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="*", default=[1e6, 1e7])
    parser.add_argument("--dask-jobs", type=float, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=None, help="scratch folder for the Parquet files")
    args = parser.parse_args()
    import bw2data as bd

    from bw_mllca import setup_project
    from bw_mllca.jobs import Cluster
    from bw_mllca.jobs.units import cluster_units

    setup_project(common.PROJECT)
    bd.projects.set_current(common.PROJECT)
    cluster = Cluster.from_file(ROOT / "examples" / "cluster.toml")
    units_s = _time(lambda: cluster_units(cluster))  # first time: builds the unit and product databases
    units = cluster_units(cluster)
    units_warm_s = _time(lambda: cluster_units(cluster))
    scratch = args.folder or Path(tempfile.mkdtemp(prefix="bw_mllca_jobs_"))
    bandwidth = write_bandwidth_gb_s()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; unit vectors: {units_s:.2f} s cold, {units_warm_s:.2f} s warm; write bandwidth {bandwidth:.2f} GB/s (1 core)")
    results: dict = {"units_cold_s": units_s, "units_warm_s": units_warm_s, "write_bandwidth_gb_s": bandwidth}
    from bw_mllca.jobs.accounting import canonical_generic

    sample, _ = canonical_generic(synthetic_jobs(20, seed=1), "synthetic", 1)
    plain = plain_brightway_per_job_s(units, sample)
    results["plain_brightway_s_per_job"] = plain
    print(f"plain Brightway: {plain * 1e3:.1f} ms per job (lci + lcia x {len(units.methods)} methods)")
    results["load_average"] = os.getloadavg()[0]
    for size in args.sizes:
        r = in_process(int(size), units, scratch / f"per-job-{int(size)}", bandwidth)
        r["speedup_vs_plain_brightway"] = plain * r["jobs_per_s_per_core"]
        results[f"in_process_{int(size)}"] = r
        print(f"{int(size):>12,} jobs in process: {r['attribute_cpu_s']:.2f} s CPU ({r['attribute_s']:.2f} s wall) attribution "
              f"({r['jobs_per_s_per_core']:,.0f} jobs/s/core), "
              f"{r['output_columns']} float32 columns = {r['output_gb']:.2f} GB, floor {r['bandwidth_floor_s']:.2f} s "
              f"(ratio {r['ratio_to_floor']:.1f}), Parquet {r['write_parquet_s']:.1f} s / {r['per_job_parquet_gb']:.2f} GB, "
              f"peak RSS {r['peak_rss_gb']:.2f} GB; {r['speedup_vs_plain_brightway']:,.0f}x plain Brightway")
    if args.dask_jobs:
        r = on_dask(int(args.dask_jobs), cluster, scratch / "dask-input", args.workers)
        results[f"dask_{int(args.dask_jobs)}"] = r
        print(f"{r['jobs']:>12,} jobs on {r['workers']} Dask workers, aggregates only: {r['wall_s']:.1f} s wall, "
              f"{r['worker_cpu_s']:.1f} s worker CPU "
              f"({r['jobs_per_s_per_core']:,.0f} jobs/s/core), peak RSS per worker {r['peak_rss_gb_per_worker']:.2f} GB, "
              f"input Parquet {r['input_parquet_gb']:.2f} GB (written in {r['parquet_write_s']:.0f} s)")
    report("bench_jobs", **results)


if __name__ == "__main__":
    main()
