"""The ecoinvent switch on an ecoinvent-sized database: setup's mapping check and a study's results.

    python benchmarks/bench_ecoinvent_switch.py            # --activities (default 20,033)

The database: the stand-in's published names (``bw_mllca.ecoinvent.standin``) merged with a generated
ecoinvent-shaped background (``synthetic.py``, hub structure, every exchange lognormal): each stand-in
activity also buys from one of the generated markets, so a gateway's score goes through ~20,000
activities. In one run:
- plain Brightway writing that database (``Database.write``), for scale;
- ``setup_project(background=...)``: the mapping checked (every row, 379 regions' location chains)
  and the relinked hardware written; then again, unchanged;
- the OLMo 2 study on it: ``calculate`` (every stage and component, 9 TRACI categories and water)
  against bw2calc ``lci()`` + ``lcia()`` per method on the study's functional unit.
"""

from __future__ import annotations

import common  # noqa: F401  (environment first)

import argparse
import time

import bw2calc as bc
import bw2data as bd
import numpy as np

from common import OLMO, PROJECT, report
from synthetic import Shape, generate

EI = "ecoinvent-3.10-cutoff"


def write_database(activities: int) -> tuple[int, float]:
    from bw_mllca.ecoinvent.standin import STANDIN_MARK, standin_data
    from bw_mllca.inventory.biosphere import BIOSPHERE

    flows = [f.key for f in bd.Database(BIOSPHERE)]
    generated = generate(Shape(activities=activities), flows)
    markets = sorted(key for key in generated if key[1].startswith("market"))
    data = {(EI, code): {**ds, "exchanges": [{**e, "input": (EI, e["input"][1]) if e["input"][0] != BIOSPHERE else e["input"]}
                                             for e in ds["exchanges"]]}
            for (_, code), ds in generated.items()}
    rng = np.random.default_rng(0)
    for key, ds in standin_data(EI, "3.10", "cutoff").items():
        market = markets[int(rng.integers(len(markets)))][1]
        data[key] = {**ds, "exchanges": [*ds["exchanges"], {"input": (EI, market), "amount": 0.1, "type": "technosphere"}]}
    if EI in bd.databases:
        del bd.databases[EI]
    started = time.perf_counter()
    database = bd.Database(EI)
    database.register(**{STANDIN_MARK: True, "depends": [BIOSPHERE]})
    database.write(data)
    return len(data), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=20_033)
    args = parser.parse_args()
    from bw_mllca import Study, build, calculate, setup_project
    from bw_mllca.impact.calculate import DEFAULT_METHODS
    from bw_mllca.inventory.foreground import FU_ATTRIBUTIONAL

    setup_project(PROJECT)
    bd.projects.set_current(PROJECT)
    size, write_s = write_database(args.activities)
    started = time.perf_counter()
    print(setup_project(PROJECT, background=EI).ecoinvent[0])
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    setup_project(PROJECT, background=EI)
    again_s = time.perf_counter() - started

    study = Study.from_file(OLMO).with_background(EI)
    started = time.perf_counter()
    build(study)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    frame = calculate(study, views=["attributional"])
    calculate_s = time.perf_counter() - started

    fu = bd.get_node(database=study.database_name, code=FU_ATTRIBUTIONAL)
    started = time.perf_counter()
    lca = bc.LCA({fu: 1.0}, DEFAULT_METHODS[0])
    lca.lci()
    scores = {}
    for method in DEFAULT_METHODS:
        lca.switch_method(method)
        lca.lcia()
        scores[method] = lca.score
    bw2calc_s = time.perf_counter() - started
    ours = frame[frame["method"] == " | ".join(DEFAULT_METHODS[0])]["score"].sum()
    agreement = abs(ours - scores[DEFAULT_METHODS[0]]) / abs(scores[DEFAULT_METHODS[0]])

    print(f"database: {size:,} activities, plain Database.write {write_s:.2f} s")
    print(f"setup --background: {setup_s:.2f} s (mapping checked, hardware relinked); unchanged: {again_s:.3f} s")
    print(f"build on it: {build_s:.2f} s; calculate: {calculate_s:.2f} s; bw2calc lci + {len(DEFAULT_METHODS)} lcia: "
          f"{bw2calc_s:.2f} s (ratio {calculate_s / bw2calc_s:.2f}); agreement {agreement:.1e}")
    report("ecoinvent switch", activities=size, write_s=write_s, setup_s=setup_s, setup_unchanged_s=again_s,
           build_s=build_s, calculate_s=calculate_s, bw2calc_s=bw2calc_s, agreement=agreement)


if __name__ == "__main__":
    main()
