"""10,000-iteration Monte Carlo of the OLMo 2 study, 9 TRACI categories, background distributions.

Fast engine: ``monte_carlo`` (target < 5 s and >= 100x faster than bw2calc).
bw2calc: ``MultiLCA(..., use_distributions=True)`` with the 9 categories, ``next()`` per iteration;
a sample of iterations is timed and extrapolated to 10,000.
"""

from __future__ import annotations

import common  # noqa: F401  (environment first)

import time

import numpy as np
from tqdm import tqdm

from common import olmo_project, report, timed

ITERATIONS = 10_000
SAMPLE = 200


def main() -> None:
    import bw2calc as bc
    import bw2data as bd

    from bw_mllca.impact.engine import LinearEngine
    from bw_mllca.impact.methods import TRACI
    from bw_mllca.interpretation.uncertainty import monte_carlo

    study = olmo_project()
    methods = list(TRACI)
    engine = LinearEngine(study, methods)
    monte_carlo(engine, 100, seed=0, progress=False)  # warm-up: distributions read once
    best, times = timed(lambda: monte_carlo(engine, ITERATIONS, seed=1, progress=True), repeat=3)
    result = monte_carlo(engine, ITERATIONS, seed=1, progress=False)
    print(f"engine: {ITERATIONS:,} iterations x {len(methods)} categories: best {best:.3f} s, runs {[round(t, 3) for t in times]}")

    fu = bd.get_node(database=study.database_name, code="fu:attributional")
    demands = {"fu": {fu.id: 1.0}}
    config = {"impact_categories": methods}
    data_objs = bd.get_multilca_data_objs(functional_units=demands, method_config=config)
    mlca = bc.MultiLCA(demands=demands, method_config=config, data_objs=data_objs, use_distributions=True, seed_override=1)
    mlca.lci()
    mlca.lcia()
    gwp = []
    start = time.perf_counter()
    for _ in tqdm(range(SAMPLE), desc="bw2calc MultiLCA Monte Carlo", leave=False):
        next(mlca)
        gwp.append(mlca.scores[(methods[1], "fu")])
    per_iteration = (time.perf_counter() - start) / SAMPLE
    bw = per_iteration * ITERATIONS
    print(f"bw2calc: {per_iteration * 1e3:.2f} ms/iteration -> {bw:.1f} s for {ITERATIONS:,}; ratio {bw / best:,.0f}x")
    print(f"GWP mean/sd: engine {result.samples[:, 1].mean():.4e} / {result.samples[:, 1].std():.3e}; "
          f"bw2calc ({SAMPLE}) {np.mean(gwp):.4e} / {np.std(gwp):.3e}")
    report("Monte Carlo 1e4 x 9", engine_s=best, engine_first_s=times[0], brightway_s=bw, ratio=bw / best, target_s=5.0)


if __name__ == "__main__":
    main()
