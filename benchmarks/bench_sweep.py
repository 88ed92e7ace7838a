"""A 10^6-point lifetime-query sweep of the OLMo 2 study x 9 TRACI categories.

Fast engine: one call, array arithmetic on the factorized study (target < 0.5 s).
Plain Brightway: re-solve per point, timed on a sample of points and extrapolated:
  (a) write the FU -> trained-model exchange (q / L) to the database, new bw2calc.LCA, lci, and
      lcia for 9 categories (switch_method);
  (b) the favourable in-memory form: edit the technosphere matrix entry, lca.lci_calculation()
      (one solve), and the 9 characterized sums with preloaded characterization matrices.
Also a 10^4-point sweep of use.idle_share (not a power law: idle hours are busy x s / (1 - s)),
first call on a fresh engine (probe builds included) and warm; target: seconds, not minutes.
(``--idle-only`` runs just that part.)
"""

from __future__ import annotations

import time

import common  # noqa: F401  (environment first)

import numpy as np
from tqdm import tqdm

from common import olmo_project, report, timed

POINTS = 1_000_000
SAMPLE_DB, SAMPLE_MATRIX = 20, 200


IDLE_POINTS = 10_000


def idle_share_sweep(study, methods) -> None:
    from bw_mllca.impact.engine import LinearEngine
    from bw_mllca.interpretation.parameters import idle_share

    shares = np.linspace(0.0, 0.95, IDLE_POINTS)
    engine = LinearEngine(study, methods)
    cold, _ = timed(lambda: engine.scores({idle_share(): shares}))  # fits the rational law: probe builds
    warm, times = timed(lambda: engine.scores({idle_share(): shares}), repeat=5)
    tabulated = any(level.tabulated for level in engine._levels.values())
    print(f"engine: idle_share sweep {IDLE_POINTS:,} points x {len(methods)} categories: first call {cold:.3f} s, "
          f"warm best {warm:.4f} s, runs {[round(t, 4) for t in times]} (tabulated: {tabulated})")
    report("idle_share sweep 1e4 x 9", first_call_s=cold, warm_s=warm, tabulated=tabulated, target_s=10.0)


def main() -> None:
    import sys

    import bw2calc as bc
    import bw2data as bd

    from bw_mllca.impact.engine import LinearEngine
    from bw_mllca.impact.methods import TRACI
    from bw_mllca.interpretation.parameters import lifetime_queries

    study = olmo_project()
    methods = list(TRACI)
    idle_share_sweep(study, methods)
    if "--idle-only" in sys.argv:
        return
    setup, _ = timed(lambda: LinearEngine(study, methods))
    engine = LinearEngine(study, methods)
    lifetimes = np.logspace(8, 12, POINTS)
    parameter = lifetime_queries()
    first, times = timed(lambda: engine.scores({parameter: lifetimes}), repeat=5)
    floor, _ = timed(lambda: np.full((POINTS, len(methods)), 1.0), repeat=5)  # writing the result once
    print(f"engine: {POINTS:,} points x {len(methods)} categories: best {first:.3f} s, runs {[round(t, 3) for t in times]} "
          f"(engine set-up {setup:.2f} s, once); memory-write floor {floor:.3f} s, ratio {first / floor:.1f}x")

    q = study.goal.functional_unit.queries
    fu = bd.get_node(database=study.database_name, code="fu:attributional")
    model = next(e for e in fu.technosphere() if e.input["code"].startswith("model:"))
    original = model["amount"]
    sample = lifetimes[:: POINTS // SAMPLE_DB][:SAMPLE_DB]
    start = time.perf_counter()
    for lifetime in tqdm(sample, desc="plain Brightway (a): database edit + LCA", leave=False):
        model["amount"] = q / lifetime
        model.save()
        lca = bc.LCA({fu.id: 1.0}, methods[0])
        lca.lci()
        for i, method in enumerate(methods):
            if i:
                lca.switch_method(method)
            lca.lcia()
    per_point_db = (time.perf_counter() - start) / len(sample)
    model["amount"] = original
    model.save()

    lca = bc.LCA({fu.id: 1.0}, methods[0])
    lca.lci()
    lca.lcia()
    characterization = []
    for i, method in enumerate(methods):
        if i:
            lca.switch_method(method)
        characterization.append(lca.characterization_matrix.copy())
    row = lca.dicts.product[bd.get_id(model.input.key)]
    col = lca.dicts.activity[fu.id]
    matrix = lca.technosphere_matrix.tolil()
    sample = lifetimes[:: POINTS // SAMPLE_MATRIX][:SAMPLE_MATRIX]
    start = time.perf_counter()
    for lifetime in tqdm(sample, desc="plain Brightway (b): matrix edit + re-solve", leave=False):
        matrix[row, col] = -np.float32(q / lifetime)
        lca.technosphere_matrix = matrix.tocsr()
        lca.lci_calculation()
        scores = [float((c @ lca.inventory).sum()) for c in characterization]
    per_point_matrix = (time.perf_counter() - start) / len(sample)
    print(f"plain Brightway (a) database edit + LCA: {per_point_db * 1e3:.1f} ms/point -> {per_point_db * POINTS:,.0f} s for {POINTS:,}")
    print(f"plain Brightway (b) matrix edit + re-solve: {per_point_matrix * 1e3:.2f} ms/point -> {per_point_matrix * POINTS:,.0f} s for {POINTS:,}")
    print(f"speed-up: {per_point_db * POINTS / first:,.0f}x (a), {per_point_matrix * POINTS / first:,.0f}x (b)")
    report("sweep 1e6 x 9", engine_s=first, write_floor_s=floor, floor_ratio=first / floor, engine_first_s=times[0], engine_setup_s=setup, brightway_db_s=per_point_db * POINTS,
           brightway_matrix_s=per_point_matrix * POINTS, target_s=0.5)


if __name__ == "__main__":
    main()
