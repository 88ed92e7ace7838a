"""Shared set-up for the benchmark scripts (not tests): a temporary Brightway directory, the OLMo 2
study, and an optional switch that hides pypardiso from bw2calc.

Run a script with ``BW_MLLCA_NO_PYPARDISO=1`` to make ``import pypardiso`` fail before bw2calc is
imported: bw2calc then falls back to SciPy's SuperLU (its ``PYPARDISO`` flag is False). Each script
prints one JSON line of results (seconds) after its human-readable output; ``run_all.py`` collects them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLMO = ROOT / "examples" / "olmo2-7b.toml"
PROJECT = "bw_mllca benchmarks"

if os.environ.get("BW_MLLCA_NO_PYPARDISO") == "1":
    sys.modules["pypardiso"] = None  # type: ignore[assignment]  # import fails -> SciPy fallback
if "BRIGHTWAY2_DIR" not in os.environ:
    os.environ["BRIGHTWAY2_DIR"] = tempfile.mkdtemp(prefix="bw_mllca_bench_")
warnings.simplefilter("ignore")
sys.path.insert(0, str(ROOT))


def pypardiso_used() -> bool:
    import bw2calc

    return bool(bw2calc.PYPARDISO)


def olmo_project():
    """The benchmark project (set up once per Brightway directory) and the OLMo 2 study, built."""
    import bw2data as bd

    from bw_mllca import Study, build, setup_project

    setup_project(PROJECT)
    bd.projects.set_current(PROJECT)
    study = Study.from_file(OLMO)
    build(study)
    return study


def timed(function, repeat: int = 1) -> tuple[float, list[float]]:
    """(best seconds, all seconds) of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), times


def report(name: str, **values) -> None:
    values = {"benchmark": name, "pypardiso": pypardiso_used(), **values}
    print("RESULT " + json.dumps(values))
