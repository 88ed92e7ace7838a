"""The engine against plain bw2calc on a generated ecoinvent-sized background (benchmarks/synthetic.py).

    python benchmarks/bench_ecoinvent.py --structure hub   # or loop; --activities, --draws, --stages

In one run, on the OLMo 2 study with its electricity from the background's market:
- ``calculate`` (matrices, one factorization, every stage and component) against bw2calc's
  ``LCA.lci()`` + ``lcia()`` for the 9 TRACI categories and water (switch_method);
- Monte Carlo with technosphere and biosphere uncertainty: ``--draws`` draws timed (extrapolated to
  10^4 when fewer, and said so), peak resident memory, the same draws on a local Dask cluster,
  against bw2calc's MultiLCA with ``use_distributions=True`` timed on ``--bw-draws`` iterations;
- ``calculate`` with 10, 100 and ``--stages`` stages (time per stage should stay flat).
"""

from __future__ import annotations

import common  # noqa: F401  (environment first)

import argparse
import resource
import time

import numpy as np

from common import OLMO, olmo_project, report

TARGET_DRAWS = 10_000


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--structure", default="hub", choices=("hub", "loop"))
    parser.add_argument("--activities", type=int, default=20_033)
    parser.add_argument("--draws", type=int, default=1_000)
    parser.add_argument("--bw-draws", type=int, default=3)
    parser.add_argument("--stages", type=int, default=1_000)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()

    import bw2calc as bc
    import bw2data as bd

    from bw_mllca import Study, build
    from bw_mllca.impact.calculate import DEFAULT_METHODS, calculate, results_frame, system_for
    from bw_mllca.impact.engine import LinearEngine
    from synthetic import Shape, linked_study, write_background

    olmo_project()
    start = time.perf_counter()
    background = write_background(Shape(activities=args.activities, structure=args.structure))
    print(f"wrote {background!r} in {time.perf_counter() - start:.0f} s")
    data = linked_study(OLMO, background)
    study = Study.from_dict(data)
    build(study)
    methods = list(DEFAULT_METHODS)
    fu = bd.get_node(database=study.database_name, code="fu:attributional")

    start = time.perf_counter()
    lca = bc.LCA({fu.id: 1.0}, methods[0])
    lca.lci()
    scores = []
    for i, method in enumerate(methods):
        if i:
            lca.switch_method(method)
        lca.lcia()
        scores.append(lca.score)
    bw_calc = time.perf_counter() - start
    start = time.perf_counter()
    system = system_for(study, methods)
    frame = results_frame(system)
    ours_calc = time.perf_counter() - start
    ours = frame[frame.view == "attributional"].groupby("method", sort=False)["score"].sum()
    agree = max(abs(ours[" | ".join(m)] / s - 1) for m, s in zip(methods, scores) if s)
    print(f"calculate: bw_mllca {ours_calc:.2f} s, bw2calc LCA + {len(methods)} LCIA {bw_calc:.2f} s, "
          f"ratio {ours_calc / bw_calc:.2f}; max relative difference {agree:.1e}; A {system.A.shape}, nnz {system.A.nnz}")

    engine = LinearEngine(study, methods, system=system)
    start = time.perf_counter()
    model = engine.background_model()
    scheme = model.choose_scheme()
    model_s = time.perf_counter() - start
    start = time.perf_counter()
    draw = engine.draw_background(args.draws, seed=1)
    engine.scores(background=draw)
    mc = time.perf_counter() - start
    per_draw = mc / args.draws
    print(f"Monte Carlo: reach {len(model.columns)} of {system.A.shape[0]} activities, {len(model.tech)} technosphere + "
          f"{len(model.bio)} biosphere entries drawn, batch {model.batch_size()}, scheme {scheme!r}, "
          f"set-up {model_s:.1f} s; {args.draws} draws {mc:.1f} s ({per_draw * 1e3:.1f} ms/draw, "
          f"{model.refactored} refactorized) -> {per_draw * TARGET_DRAWS:.0f} s for {TARGET_DRAWS:,}"
          f"{' (extrapolated)' if args.draws < TARGET_DRAWS else ''}; peak RSS {_rss_gb():.2f} GB")
    dask_s = float("nan")
    if not args.no_dask:
        from distributed import Client, LocalCluster

        with LocalCluster(threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            client.submit(sum, [1]).result()  # the cluster is up
            start = time.perf_counter()
            other = engine.draw_background(args.draws, seed=1, dask=client)
            dask_s = time.perf_counter() - start
            workers = len(cluster.workers)
        same = np.allclose(other.scores, draw.scores, rtol=1e-9)
        print(f"Monte Carlo on a local Dask cluster ({workers} workers): {dask_s:.1f} s, same draws: {same}")

    demands = {"fu": {fu.id: 1.0}}
    config = {"impact_categories": methods[:9]}
    mlca = bc.MultiLCA(demands=demands, method_config=config,
                       data_objs=bd.get_multilca_data_objs(functional_units=demands, method_config=config),
                       use_distributions=True, seed_override=1)
    mlca.lci()
    mlca.lcia()
    start = time.perf_counter()
    for _ in range(args.bw_draws):
        next(mlca)
    bw_per_draw = (time.perf_counter() - start) / args.bw_draws
    print(f"bw2calc MultiLCA Monte Carlo: {bw_per_draw:.2f} s/iteration ({args.bw_draws} timed) -> "
          f"{bw_per_draw * TARGET_DRAWS:,.0f} s for {TARGET_DRAWS:,}; ratio {bw_per_draw / per_draw:.0f}x")

    per_stage = {}
    template = data["stages"][0]
    for count in (10, 100, args.stages):
        many = dict(data, stages=[dict(template, name=f"stage {i}") for i in range(count)])
        many["study"] = dict(data["study"], name=f"{count} stages on {background}")
        big = Study.from_dict(many)
        build(big)
        start = time.perf_counter()
        calculate(big, methods)
        per_stage[count] = (time.perf_counter() - start)
    print("calculate vs stages: " + ", ".join(f"{c} stages {t:.2f} s ({t / c * 1e3:.1f} ms/stage)" for c, t in per_stage.items()))
    report(f"ecoinvent-sized {args.structure}", calculate_s=ours_calc, bw2calc_calculate_s=bw_calc,
           calculate_ratio=ours_calc / bw_calc, mc_draws=args.draws, mc_s=mc, mc_per_draw_s=per_draw,
           mc_1e4_s=per_draw * TARGET_DRAWS, mc_scheme=scheme, peak_rss_gb=_rss_gb(), dask_s=dask_s,
           bw2calc_mc_per_draw_s=bw_per_draw, mc_ratio=bw_per_draw / per_draw,
           stages_s={str(k): v for k, v in per_stage.items()})


if __name__ == "__main__":
    main()
