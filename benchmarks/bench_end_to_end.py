"""Setup + build + calculate of the OLMo 2 study end to end, in a fresh Brightway directory."""

from __future__ import annotations

import common  # noqa: F401  (environment first)

import time

from common import OLMO, PROJECT, report


def main() -> None:
    start = time.perf_counter()
    from bw_mllca import Study, build, calculate, setup_project

    imported = time.perf_counter()
    setup_project(PROJECT)
    set_up = time.perf_counter()
    study = Study.from_file(OLMO)
    build(study)
    built = time.perf_counter()
    frame = calculate(study)
    calculated = time.perf_counter()
    from bw_mllca.impact.engine import LinearEngine

    LinearEngine(study)
    engine = time.perf_counter()
    print(f"import {imported - start:.2f} s, setup_project {set_up - imported:.2f} s, build {built - set_up:.2f} s, "
          f"calculate ({frame['method'].nunique()} indicators, 2 views) {calculated - built:.2f} s; "
          f"total {calculated - start:.2f} s; fast engine set-up {engine - calculated:.2f} s")
    report("end to end (OLMo 2)", import_s=imported - start, setup_s=set_up - imported, build_s=built - set_up,
           calculate_s=calculated - built, total_s=calculated - start, engine_setup_s=engine - calculated)


if __name__ == "__main__":
    main()
