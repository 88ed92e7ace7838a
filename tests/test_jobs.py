"""Per-job footprints of a cluster: the paper's worked examples as jobs, idle capacity conserved,
malformed accounting reported by file and line, jobs equal to one-stage studies solved by bw2calc,
the dask path equal to the in-process one, and the command run on the examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from conftest import SETUP_PROJECT, f32
from bw_mllca.data_files import examples_dir
from bw_mllca.jobs import AccountingError, Cluster, read_accounting, run_jobs
from bw_mllca.jobs.attribute import COMPONENTS

GWP = "climate change [kg CO2-Eq]"
HOURS_PER_YEAR = 365 * 24

# The worked examples of "Towards a Methodology and Framework for AI Sustainability Metrics":
# JSC: 1 kJ + 0.08 kJ overhead (PUE 1.08) on 80 % coal (820 g/kWh) + 20 % solar (48 g/kWh) = 0.1997 g;
# ASC: + 10,000 g system x 5 min / 3 years = 0.0317 g -> 0.2314 g; platform: 50 g/min / 10 jobs x 5 min = 25 g.
GRID_KG_PER_KWH = 0.8 * 0.820 + 0.2 * 0.048
PAPER_CLUSTER = {
    "cluster": {"name": "worked examples", "idle": "report"},
    "hardware": {"paper-system": {"accelerator_embodied": {"co2e_kg": 10.0}, "lifespan_years": 3}},
    "datacenters": {"coal-solar": {"grid_kgco2e_per_kwh": GRID_KG_PER_KWH, "pue": 1.08, "wue_l_per_kwh": 0.0}},
    "platforms": {"shared": {"co2e_kg_per_minute": 0.050, "concurrent_jobs": 10}},
    "partitions": {
        "paper": {"hardware": "paper-system", "datacenter": "coal-solar"},
        "paper-platform": {"hardware": "paper-system", "datacenter": "coal-solar", "platform": "shared"},
    },
}
GENERIC_HEADER = "job_id,user,account,partition,start,end,nodes,accelerators,energy_kwh\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_worked_examples_as_jobs(project, tmp_path):
    table = _write(tmp_path / "jobs.csv", GENERIC_HEADER
                   + f"1,ann,a,paper,2025-01-01T00:00:00Z,2025-01-01T00:05:00Z,1,1,{1 / 3600}\n"
                   + f"2,ann,a,paper-platform,2025-01-01T00:00:00Z,2025-01-01T00:05:00Z,1,1,{1 / 3600}\n")
    result = run_jobs([table], Cluster.from_dict(PAPER_CLUSTER))
    jobs = result.jobs.set_index("job_id")
    # hand calculation with each amount as Brightway stores it (float32)
    jsc = (1 / 3600) * f32(1.08) * f32(GRID_KG_PER_KWH)
    embodied = (5 / 60) * f32(1 / (3 * HOURS_PER_YEAR)) * f32(10.0)
    platform = 5 * f32(0.050) / 10
    row = jobs.loc["1"]
    assert row[f"JSC: {GWP}"] == pytest.approx(jsc, rel=1e-6)
    assert round(row[f"JSC: {GWP}"] * 1000, 4) == 0.1997  # g, as published
    assert row[f"ASC: {GWP}"] == pytest.approx(jsc + embodied, rel=1e-6)
    assert round(row[f"ASC: {GWP}"] * 1000, 4) == 0.2314
    assert round((row[f"ASC: {GWP}"] - row[f"JSC: {GWP}"]) * 1000, 4) == 0.0317
    assert row[f"JSC^e: {GWP}"] == row[f"JSC: {GWP}"]  # no platform on this partition
    tax = jobs.loc["2", f"JSC^e: {GWP}"] - jobs.loc["2", f"JSC: {GWP}"]
    assert tax == pytest.approx(platform, rel=1e-6) and round(tax * 1000, 3) == 25.0
    assert jobs.loc["2", f"ASC^e: {GWP}"] == pytest.approx(jsc + embodied + platform, rel=1e-6)
    # metrics are sums of the components, for every method
    for method in [c.split(": ", 1)[1] for c in jobs.columns if c.startswith("JSC: ")]:
        parts = sum(jobs[f"{c}: {method}"].astype(float) for c in COMPONENTS)
        np.testing.assert_allclose(jobs[f"ASC^e: {method}"], parts, rtol=1e-6, atol=1e-30)


def _idle_cluster(policy: str) -> Cluster:
    data = {**PAPER_CLUSTER, "cluster": {"name": f"idle {policy}", "idle": policy},
            "partitions": {"gpu": {"hardware": "paper-system", "datacenter": "coal-solar", "nodes": 2, "power_w": 400,
                                   "idle_node_power_w": 500},
                           "spare": {"hardware": "paper-system", "datacenter": "coal-solar", "nodes": 1, "power_w": 300}}}
    return Cluster.from_dict(data)


@pytest.mark.parametrize("policy", ["charge", "report"])
def test_idle_capacity_is_conserved(project, tmp_path, policy):
    # Window: 2025-01-31 00:00 to 2025-02-01 06:00 (30 h). January: 2 nodes x 24 h = 48 node-hours,
    # busy 12 + 6 -> idle 30; February: 2 x 6 = 12, busy 2 x 6 = 12 -> idle 0. "spare" (1 node, no jobs): 24 + 6.
    table = _write(tmp_path / "jobs.csv", GENERIC_HEADER
                   + "a,ann,x,gpu,2025-01-31T00:00:00Z,2025-01-31T12:00:00Z,1,1,1.0\n"
                   + "b,bob,y,gpu,2025-01-31T12:00:00Z,2025-01-31T18:00:00Z,1,1,\n"
                   + "c,bob,y,gpu,2025-02-01T00:00:00Z,2025-02-01T06:00:00Z,2,2,3.0\n")
    result = run_jobs([table], _idle_cluster(policy))
    ledger = result.ledger.set_index(["partition", "month"])
    assert ledger["idle_node_hours"].tolist() == pytest.approx([30.0, 0.0, 24.0, 6.0])
    jobs = result.jobs.set_index("job_id")
    charged = {"charge": [30 * 12 / 18, 30 * 6 / 18, 0.0], "report": [0.0, 0.0, 0.0]}[policy]
    assert jobs["idle_node_hours"].tolist() == pytest.approx(charged)
    # node-hours and impacts: charged to jobs + unallocated = the cluster's idle total, per method
    assert jobs["idle_node_hours"].sum() + ledger["unallocated_node_hours"].sum() == pytest.approx(60.0)
    for method in [c.split(": ", 1)[1] for c in result.ledger.columns if c.startswith("idle: ")]:
        on_jobs = jobs[f"idle capacity: {method}"].astype(float).sum()
        assert on_jobs + ledger[f"unallocated: {method}"].sum() == pytest.approx(ledger[f"idle: {method}"].sum(), rel=1e-6, abs=1e-30)
    # one idle node-hour of "gpu": one accelerator-hour of embodied share + 0.5 kWh (independent of the ledger)
    per_idle_hour = f32(1 / (3 * HOURS_PER_YEAR)) * f32(10.0) + 0.5 * f32(1.08) * f32(GRID_KG_PER_KWH)
    assert ledger.loc[("gpu", 660), f"idle: {GWP}"] == pytest.approx(30 * per_idle_hour, rel=1e-6)
    # the idle-share plot draws the ledger's idle share per partition (a Figure, nothing shown)
    from bw_mllca.jobs.outputs import idle_share

    lines = {line.get_label(): list(line.get_ydata()) for line in idle_share(result).axes[0].get_lines()}
    assert lines["gpu"] == pytest.approx([30 / 48, 0.0]) and lines["spare"] == pytest.approx([1.0, 1.0])
    total = result.cluster_total().loc[GWP]
    assert total["cluster total"] == pytest.approx(
        jobs[f"ASC^e: {GWP}"].astype(float).sum() + ledger[f"unallocated: {GWP}"].sum(), rel=1e-6)


def test_malformed_rows_are_reported_with_file_and_line(tmp_path):
    generic = _write(tmp_path / "jobs.csv", GENERIC_HEADER
                     + "1,ann,a,paper,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z,1,1,\n"       # line 2: fine
                     + "2,,a,paper,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z,1,1,\n"          # 3: no user
                     + "3,ann,a,paper,2025-01-01T02:00:00Z,2025-01-01T01:00:00Z,1,1,\n"       # 4: negative
                     + "4,ann,a,nowhere,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z,1,1,\n"     # 5: partition
                     + "5,ann,a,paper,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z,1,1,lots\n")  # 6: energy
    sacct = _write(tmp_path / "sacct.txt",
                   "JobID|User|Account|Partition|Start|End|Elapsed|NNodes|AllocTRES|ConsumedEnergyRaw\n"
                   "1|ann|a|paper|2025-01-01T00:00:00|2025-01-01T01:00:00|01:00:00|1|gres/gpu=1|3600000\n"   # 2: dup of 1
                   "1.batch|||paper|2025-01-01T00:00:00|2025-01-01T01:00:00|01:00:00|1|gres/gpu=1|3600000\n"  # 3: a step
                   "7|ann|a|paper|2025-01-01T00:00:00|Unknown|01:00:00|1|gres/gpu=1|\n"                        # 4: no end
                   "8|ann|a|paper|2025-01-01T00:00:00|2025-01-01T01:00:00|1:xx|1|gres/gpu=1|\n")               # 5: elapsed
    with pytest.raises(AccountingError) as caught:
        read_accounting([generic, sacct], partitions=["paper"], products=[])
    found = {(p.where, p.field) for p in caught.value.problems}
    assert found == {
        (f"{generic}:3", "user"), (f"{generic}:4", "elapsed"), (f"{generic}:5", "partition"),
        (f"{generic}:6", "energy_kwh"), (f"{sacct}:2", "job_id"), (f"{sacct}:4", "End"), (f"{sacct}:5", "Elapsed/AllocTRES"),
    }
    duplicate = next(p for p in caught.value.problems if p.field == "job_id")
    assert duplicate.message == f"duplicate job id (first at {generic}:2)"
    assert "7 malformed accounting row(s)" in str(caught.value)


def test_jobs_equal_one_stage_studies_solved_by_bw2calc(project, tmp_path):
    """Each sampled job, built as a one-stage study (its accelerator-hours, IT energy and platform
    time as exchanges) and solved with bw2calc, scores what the attribution gives."""
    import bw_mllca
    from bw_mllca.impact.calculate import DEFAULT_METHODS
    from bw_mllca.impact.system import StudySystem
    from bw_mllca.jobs.cluster import Cluster as C

    data = C.from_file(examples_dir() / "cluster.toml").model_dump(mode="json", exclude_none=True)
    data["cluster"]["idle"] = "report"
    data["products"] = {}
    cluster = C.from_dict(data)
    accounting = _write(tmp_path / "sacct.txt", (examples_dir() / "sacct-sample.txt").read_text().replace("*olmo2-7b", ""))
    result = run_jobs([accounting], cluster)
    sample = result.jobs.set_index("job_id").loc[["41001", "41003_1", "41004+0", "41006"]]
    stages = []
    for job_id, job in sample.iterrows():
        partition = cluster.partitions[job["partition"]]
        stages.append({"name": f"job {job_id}", "kind": "evaluation", "hardware": partition.hardware,
                       "datacenter": partition.datacenter, "accelerator_hours": float(job["accelerator_hours"]),
                       "energy_kwh": float(job["it_energy_kwh"]), "platform": partition.platform,
                       "duration_hours": float(job["elapsed_hours"])})
    study = bw_mllca.Study.from_dict({
        "study": {"name": "jobs as stages"}, "goal": {"functional_unit": {"description": "jobs", "queries": 1}},
        "hardware": data["hardware"], "datacenters": data["datacenters"], "platforms": data["platforms"],
        "model": {"name": "jobs"}, "stages": stages,
        "use": {"hardware": "hgx-h100", "datacenter": "main-hall", "seconds_per_batch": 1, "energy_kwh_per_batch": 0,
                "lifetime_queries": 1}})
    system = StudySystem(bw_mllca.build(study), list(DEFAULT_METHODS))
    nodes = {n.stage: n for n in system.stages}
    parts, _, kwh = system.stage_parts([nodes[f"job {j}"] for j in sample.index])
    labels = [c.split(": ", 1)[1] for c in sample.columns if c.startswith("ASC^e: ")]
    expected = parts.sum(axis=1)  # (jobs, methods): one run of each stage
    got = sample[[f"ASC^e: {label}" for label in labels]].to_numpy(float)
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-30)
    np.testing.assert_allclose(sample["meter_energy_kwh"], kwh, rtol=1e-6)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_dask_path_equals_in_process(project, tmp_path, dask_client):
    rng = np.random.default_rng(0)
    n = 3000
    start = pd.Timestamp("2025-01-20", tz="UTC") + pd.to_timedelta(rng.integers(0, 40 * 86400, n), unit="s")
    frame = pd.DataFrame({
        "job_id": np.arange(n), "user": rng.choice(["ann", "bob", "cid"], n), "account": rng.choice(["x", "y"], n),
        "partition": rng.choice(["gpu", "spare"], n), "start": start,
        "end": start + pd.to_timedelta(rng.integers(60, 20 * 3600, n), unit="s"),
        "nodes": rng.integers(1, 3, n), "accelerators": rng.integers(0, 3, n),
        "energy_kwh": np.where(rng.random(n) < 0.5, rng.random(n) * 5, np.nan)})
    folder = tmp_path / "jobs"
    folder.mkdir()
    frame.iloc[:2000].to_parquet(folder / "a.parquet", row_group_size=700)
    frame.iloc[2000:].to_parquet(folder / "b.parquet")
    cluster = _idle_cluster("charge")
    local = run_jobs([folder / "a.parquet", folder / "b.parquet"], cluster, dask=False)
    spread = run_jobs([folder], cluster, scheduler=dask_client, per_job_dir=tmp_path / "out")
    per_job = spread.jobs.compute().sort_values("job_id")
    np.testing.assert_allclose(per_job[f"ASC^e: {GWP}"], local.jobs.sort_values("job_id")[f"ASC^e: {GWP}"], rtol=1e-6)
    for by in ("user", "month"):
        a, b = local.aggregate(by), spread.aggregate(by)
        np.testing.assert_allclose(a[f"ASC^e: {GWP}"], b[f"ASC^e: {GWP}"], rtol=1e-9)
        # an aggregate (drivers x unit vectors) equals the sum of its jobs' per-job scores
        key = "user" if by == "user" else None
        if key:
            np.testing.assert_allclose(per_job.groupby(key)[f"ASC^e: {GWP}"].sum().to_numpy(float), b[f"ASC^e: {GWP}"], rtol=1e-5)
    pd.testing.assert_frame_equal(local.ledger, spread.ledger)
    # a duplicate across files (row 5 of b.parquet repeats job 3) is found on the dask path too
    frame.iloc[[2000, 2001, 2002, 2003, 3]].to_parquet(folder / "c.parquet")
    with pytest.raises(AccountingError) as caught:
        run_jobs([folder], cluster, scheduler=dask_client, per_job=False)
    assert {(p.where, p.field) for p in caught.value.problems} >= {(f"{folder / 'c.parquet'}:5", "job_id")}


def test_command_on_the_examples(setup_report, bw_dir, tmp_path, capsys):
    """The README's command: per-job Parquet, aggregates, workbook; the product's EPC share by hand."""
    env = {k: v for k, v in os.environ.items() if k != "BRIGHTWAY2_DIR"}
    command = [sys.executable, "-m", "bw_mllca.cli", "--bw-dir", str(bw_dir), "--project", SETUP_PROJECT, "jobs",
               str(examples_dir() / "sacct-sample.txt"), "--cluster", str(examples_dir() / "cluster.toml"),
               "--out", str(tmp_path / "out")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = tmp_path / "out"
    jobs = pd.read_parquet(out / "jobs")
    assert len(jobs) == 9 and jobs["job_id"].is_unique  # steps are not jobs; array and het components are
    by_account = pd.read_csv(out / "by_account.csv")
    assert by_account[f"ASC^e: {GWP}"].sum() == pytest.approx(jobs[f"ASC^e: {GWP}"].astype(float).sum(), rel=1e-6)
    printed = next(line for line in done.stdout.splitlines() if line.strip().startswith("ASC^e"))
    assert float(printed.split()[1]) == pytest.approx(jobs[f"ASC^e: {GWP}"].astype(float).sum(), rel=1e-5)
    sheet = openpyxl.load_workbook(out / "summary.xlsx")["by account"]
    header = [c.value for c in sheet[1]]
    column = header.index(f"ASC^e: {GWP}")
    assert sum(row[column] for row in sheet.iter_rows(min_row=2, values_only=True)) == pytest.approx(by_account[f"ASC^e: {GWP}"].sum())
    # job 41002 serves OLMo 2 7B for 24 h: 24 / (35,040 h x 8 replicas) of the model's development,
    # which is the sum of its development stages (one run each) in the study solved by bw2calc
    import bw2data as bd
    import bw_mllca
    from bw_mllca.impact.system import StudySystem
    from bw_mllca.impact.methods import TRACI_GWP100

    bd.projects.set_current(SETUP_PROJECT)
    bd.databases.load()  # the command wrote into this project from another process
    study = bw_mllca.Study.from_file(examples_dir() / "olmo2-7b.toml")
    system = StudySystem(study.database_name, [TRACI_GWP100])
    development = [n for n in system.stages if n.stage not in ("inference", "idle capacity")]
    epc = system.stage_parts(development)[0].sum()
    served = jobs.set_index("job_id").loc["41002", f"product EPC: {GWP}"]
    assert served == pytest.approx(24 / (35040 * 8) * epc, rel=1e-6)

    bad = tmp_path / "bad.txt"
    bad.write_text((examples_dir() / "sacct-sample.txt").read_text().replace("|gpu|2025-03-05", "|gpuu|2025-03-05"))
    # bad input: exit status 2, one line naming file, line, field and value (the same entry point,
    # in process: the command was run as a program above)
    from bw_mllca.cli import main

    assert main(["--bw-dir", str(bw_dir), "--project", SETUP_PROJECT, "jobs", str(bad), "--cluster",
                 str(examples_dir() / "cluster.toml"), "--out", str(tmp_path / "bad-out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{bad}:5: partition = 'gpuu'" in err


def test_hourly_carbon_intensity_weights_each_job_by_its_hours(project, tmp_path):
    # 0.2 kg/kWh from 00:00, 1.0 from 01:00 (for one hour); a job 00:30-01:30 averages 0.6 kg/kWh.
    _write(tmp_path / "grid.csv", "hour,kg_co2e_per_kwh\n2025-01-01T00:00:00Z,0.2\n2025-01-01T01:00:00Z,1.0\n")
    data = {**PAPER_CLUSTER, "hourly_grid": {"coal-solar": {"file": "grid.csv"}}}
    cluster = Cluster.from_dict(data, base_dir=tmp_path)
    table = _write(tmp_path / "jobs.csv", GENERIC_HEADER
                   + "in,ann,a,paper,2025-01-01T00:30:00Z,2025-01-01T01:30:00Z,1,1,1.0\n"
                   + "half-out,ann,a,paper,2025-01-01T01:30:00Z,2025-01-01T02:30:00Z,1,1,1.0\n"
                   + "out,ann,a,paper,2025-01-02T00:00:00Z,2025-01-02T01:00:00Z,1,1,1.0\n")
    jobs = run_jobs([table], cluster).jobs.set_index("job_id")
    pue = f32(1.08)
    assert jobs.loc["in", f"JSC: {GWP}"] == pytest.approx(pue * 0.6, rel=1e-6)
    # outside the series the catalog (annual) intensity applies
    assert jobs.loc["half-out", f"JSC: {GWP}"] == pytest.approx(pue * (0.5 * 1.0 + 0.5 * f32(GRID_KG_PER_KWH)), rel=1e-6)
    assert jobs.loc["out", f"JSC: {GWP}"] == pytest.approx(pue * f32(GRID_KG_PER_KWH), rel=1e-6)
    # carbon intensity only: the other categories keep the catalog mix (equal for equal kWh)
    water = [c for c in jobs.columns if c.startswith("JSC: consumptive water")][0]
    assert jobs[water].nunique() == 1
