"""Run every benchmark with and without pypardiso and print one table.

    .venv/bin/python benchmarks/run_all.py

Each script runs in its own process (bw2calc reads pypardiso once, at import). The sweep and Monte
Carlo scripts share one temporary Brightway directory, set up once; the end-to-end script gets a
fresh one each time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("bench_end_to_end.py", "bench_sweep.py", "bench_monte_carlo.py")


def run(script: str, pypardiso: bool, bw_dir: str | None) -> dict:
    env = dict(os.environ)
    env.pop("BW_MLLCA_NO_PYPARDISO", None)
    if not pypardiso:
        env["BW_MLLCA_NO_PYPARDISO"] = "1"
    env["BRIGHTWAY2_DIR"] = bw_dir or tempfile.mkdtemp(prefix="bw_mllca_bench_")
    done = subprocess.run([sys.executable, str(HERE / script)], env=env, capture_output=True, text=True, cwd=HERE)
    for line in done.stdout.splitlines():
        if not line.startswith("RESULT "):
            print(f"  {line}")
    if done.returncode != 0:
        print(done.stderr[-3000:])
        raise SystemExit(f"{script} failed")
    return json.loads(next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))[7:])


def main() -> None:
    shared = tempfile.mkdtemp(prefix="bw_mllca_bench_")
    results = []
    for pypardiso in (True, False):
        for script in SCRIPTS:
            print(f"{script} ({'with' if pypardiso else 'without'} pypardiso)")
            results.append(run(script, pypardiso, None if script == "bench_end_to_end.py" else shared))
    print()
    print("bw_mllca = best of repeated runs; plain Brightway = re-solve per point (sweep: matrix edit, the")
    print("favourable form) or bw2calc MultiLCA Monte Carlo, timed on a sample and extrapolated.")
    print(f"{'benchmark':<22} {'pypardiso':<9} {'bw_mllca (s)':>13} {'plain Brightway (s)':>20} {'ratio':>10}  detail")
    for r in results:
        name = r["benchmark"]
        if name.startswith("sweep"):
            fast, slow = r["engine_s"], r["brightway_matrix_s"]
            detail = (f"first run {r['engine_first_s']:.3f} s; DB edit + LCA per point: {r['brightway_db_s']:,.0f} s; "
                      f"target < {r['target_s']} s")
        elif name.startswith("Monte"):
            fast, slow = r["engine_s"], r["brightway_s"]
            detail = f"first run {r['engine_first_s']:.3f} s; target < {r['target_s']} s and >= 100x"
        else:
            fast, slow = r["total_s"], float("nan")
            detail = (f"import {r['import_s']:.2f}, setup {r['setup_s']:.2f}, build {r['build_s']:.2f}, "
                      f"calculate {r['calculate_s']:.2f}, engine set-up {r['engine_setup_s']:.2f}")
        ratio = f"{slow / fast:,.0f}x" if slow == slow else ""
        slow_text = f"{slow:,.1f}" if slow == slow else "-"
        print(f"{name:<22} {str(r['pypardiso']):<9} {fast:>13.3f} {slow_text:>20} {ratio:>10}  {detail}")


if __name__ == "__main__":
    main()
