"""Soak: many ``bw-mllca run`` processes, 4 at a time on one project, killed at random moments.

Each round starts 4 runs of 4 different studies at once into the same Brightway project; each run
is killed with probability ``--kill-share`` after a random delay, by SIGKILL or SIGINT (Ctrl-C),
chosen at random. Afterwards:

- every project bw_mllca wrote is consistent: every database and method of ours complete (mark,
  row counts), every datapackage a readable zip, bw2data's SQLite indices present;
- every run that finished wrote outputs equal to a clean run's (each study once, alone, in a
  fresh project), and every output folder is either a whole run (its manifest matches) or absent
  with the previous one put back;
- one more run of each study, unkilled, gives the clean run's results.

    python benchmarks/soak.py --runs 100 --parallel 4
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PROJECT = "soak"


def _studies(folder: Path) -> list[Path]:
    """The three example studies and a fourth: the OLMo study under another name, a tenth of its
    queries a day (its own database, a different score)."""
    olmo = (EXAMPLES / "olmo2-7b.toml").read_text(encoding="utf-8")
    variant = folder / "olmo2-7b-short-life.toml"
    text = re.sub(r'(\[study\]\s*\nname = ")([^"]+)"', r'\1\2 (short life)"', olmo, count=1)
    text = re.sub(r"queries_per_day = ([0-9.e_]+)", lambda m: f"queries_per_day = {float(m.group(1).replace('_', '')) / 10!r}", text, count=1)
    assert text != olmo
    variant.write_text(text, encoding="utf-8")
    return [EXAMPLES / "olmo2-7b.toml", EXAMPLES / "distilled-student.toml", EXAMPLES / "from-scratch-small.toml", variant]


def _command(bw_dir: Path, project: str, study: Path, out: Path, iterations: int) -> tuple[list[str], dict]:
    env = dict(os.environ, BRIGHTWAY2_DIR=str(bw_dir), PYTHONPATH=str(ROOT))
    env.pop("BW_MLLCA_KILL_AT", None)
    return [sys.executable, "-m", "bw_mllca.cli", "--project", project, "run", str(study), "--out", str(out),
            "--iterations", str(iterations)], env


def _scores(out: Path) -> pd.DataFrame:
    frame = pd.read_csv(out / "lcia.csv")
    keys = ["view", "method", "stage", "component"]
    return frame.sort_values(keys).reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if len(a) != len(b) or not a.drop(columns="score").equals(b.drop(columns="score")):
        return False
    return bool(((a["score"] - b["score"]).abs() <= 1e-12 * b["score"].abs().clip(lower=1e-300)).all())


def consistency_problems(bw_dir: Path, project: str) -> list[str]:
    """Run the library's own checks on ``project`` in a fresh process; the problems found."""
    script = f"""
import json, bw2data as bd
from bw_mllca import integrity
from bw_mllca.ownership import owner_mark
bd.projects.set_current({project!r})
problems = []
missing = [n for n in integrity.INDICES if n not in {{r[0] for r in __import__('bw2data').backends.sqlite3_lci_db.execute_sql("SELECT name FROM sqlite_master WHERE type='index'").fetchall()}}]
problems += [f"index {{n}} missing" for n in missing]
for name in bd.databases:
    if owner_mark(bd.databases[name]) is None:
        continue
    p = integrity.rows_problem(name)
    store = bd.Database(name)
    z = integrity.datapackage_problem(store.dirpath_processed() / store.filename_processed())
    problems += [f"database {{name}}: {{x}}" for x in (p, z) if x]
for method in bd.methods:
    if owner_mark(bd.methods[method]) is None:
        continue
    p = integrity.method_problem(method)
    z = integrity.datapackage_problem(bd.Method(method).filepath_processed())
    problems += [f"method {{method}}: {{x}}" for x in (p, z) if x]
print(json.dumps(problems))
"""
    env = dict(os.environ, BRIGHTWAY2_DIR=str(bw_dir), PYTHONPATH=str(ROOT), BRIGHTWAY_NO_STRUCTLOG="1")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return [f"checker failed: {done.stderr.strip().splitlines()[-1:]}"]
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--kill-share", type=float, default=0.5, help="share of runs killed (default 0.5)")
    parser.add_argument("--iterations", type=int, default=200, help="Monte Carlo draws per run (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="bw_mllca_soak_"))
    bw_dir = work / "bw"
    bw_dir.mkdir()
    studies = _studies(work)
    started = time.perf_counter()

    # Clean results: each study alone in a fresh project (its duration bounds the kill delays).
    clean: dict[Path, pd.DataFrame] = {}
    durations = []
    for study in studies:
        command, env = _command(bw_dir, "clean", study, work / "clean" / study.stem, args.iterations)
        t = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=900)
        durations.append(time.perf_counter() - t)
        clean[study] = _scores(work / "clean" / study.stem)
    longest = max(durations)
    print(f"clean runs: {len(studies)} in {sum(durations):.1f} s (longest {longest:.1f} s)")

    outcomes = {"finished": 0, "SIGKILL": 0, "SIGINT": 0, "refused": 0, "wrong": 0}
    bad_outputs = []
    done = 0
    while done < args.runs:
        wave = []
        for study in studies[: min(args.parallel, args.runs - done)]:
            out = work / "out" / study.stem
            command, env = _command(bw_dir, PROJECT, study, out, args.iterations)
            kill = rng.random() < args.kill_share
            wave.append({
                "study": study, "out": out,
                "process": subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True),
                "signal": rng.choice([signal.SIGKILL, signal.SIGINT]) if kill else None,
                "at": time.monotonic() + rng.uniform(0.2, 1.5 * longest),
            })
        while any(run["process"].poll() is None for run in wave):
            now = time.monotonic()
            for run in wave:
                if run["signal"] and run["process"].poll() is None and now >= run["at"]:
                    run["process"].send_signal(run["signal"])
                    run["sent"] = True
            time.sleep(0.02)
        for run in wave:
            code = run["process"].returncode
            stderr = run["process"].stderr.read()
            if code == 0:
                outcomes["finished"] += 1
                if not _same(_scores(run["out"]), clean[run["study"]]):
                    outcomes["wrong"] += 1
            elif run.get("sent"):
                outcomes[run["signal"].name] += 1
            else:
                outcomes["refused"] += 1
                print(f"  run of {run['study'].name} exited {code}: {stderr.strip().splitlines()[-1:]}")
            if "Traceback" in stderr and not run.get("sent"):
                print(f"  traceback from {run['study'].name}: {stderr.strip().splitlines()[-1:]}")
        done += len(wave)
        print(f"{done} runs: {outcomes}", flush=True)

    # Afterwards: the output folders, the project, and one clean run of each study.
    from bw_mllca.report.publish import manifest_problems, recover

    for study in studies:
        out = work / "out" / study.stem
        recover(out)
        if out.exists() and any(out.iterdir()) and manifest_problems(out):  # (created empty by a run killed early)
            bad_outputs.append(f"{out.name}: {manifest_problems(out)}")
    problems = consistency_problems(bw_dir, PROJECT)
    final_same = 0
    for study in studies:
        out = work / "final" / study.stem
        command, env = _command(bw_dir, PROJECT, study, out, args.iterations)
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        final_same += finished.returncode == 0 and _same(_scores(out), clean[study])
    problems += consistency_problems(bw_dir, PROJECT)
    print(f"\n{args.runs} runs ({args.parallel} at once) in {time.perf_counter() - started:.0f} s: {outcomes}")
    print(f"output folders not whole: {bad_outputs or 'none'}")
    print(f"project problems: {problems or 'none'}")
    print(f"final clean runs equal to the clean results: {final_same} of {len(studies)}")
    ok = not bad_outputs and not problems and final_same == len(studies) and outcomes["wrong"] == 0
    print("consistent" if ok else "NOT CONSISTENT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
