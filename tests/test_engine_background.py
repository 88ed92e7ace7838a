"""The engine on a background with technosphere exchanges and uncertainty on every entry (a small
generated ecoinvent-shaped background): each Monte Carlo draw equals an exact solve of the matrices
bw2calc itself draws, a local Dask cluster gives the same draws, and batches sized by memory
change nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import bw2calc as bc
import bw2data as bd
import numpy as np
import pytest
import scipy.sparse.linalg as spla

from bw_mllca import Study, build
from bw_mllca.impact import sampling
from bw_mllca.impact.calculate import calculate, totals
from bw_mllca.impact.engine import BackgroundDraw, LinearEngine
from bw_mllca.interpretation.uncertainty import monte_carlo
from conftest import SETUP_PROJECT

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import Shape, linked_study, write_background  # noqa: E402


@pytest.fixture(scope="module", params=["hub", "loop"])
def linked(request, setup_report):
    bd.projects.set_current(SETUP_PROJECT)
    shape = Shape(activities=160, markets=16, structure=request.param, flows=200, seed=7)
    background = write_background(shape)
    study = Study.from_dict(linked_study(ROOT / "examples" / "olmo2-7b.toml", background,
                                         name=f"OLMo 2 on small {request.param}"))
    build(study)
    return study, LinearEngine(study)


def _fresh_scores(study: Study, methods, use_distributions: bool = False, seed: int | None = None,
                  demand: dict | None = None) -> np.ndarray:
    """Scores of one FU from bw2calc's own (drawn) matrices, solved directly. ``demand``: the
    demand that builds the matrices (the engine's, so the entries come in the same order)."""
    fu = bd.get_node(database=study.database_name, code="fu:attributional")
    lca = bc.LCA(demand or {fu.id: 1.0}, methods[0], use_distributions=use_distributions, seed_override=seed)
    lca.lci({fu.id: 1.0})
    scores = []
    for i, method in enumerate(methods):
        if i:
            lca.switch_method(method)
        lca.lcia()
        scores.append(lca.score)
    return np.array(scores), lca


def test_calculate_on_a_linked_background_equals_bw2calc(linked):
    study, engine = linked
    fast = totals(calculate(study))
    fast = fast[fast.view == "attributional"].set_index("method")["score"]
    slow, _ = _fresh_scores(study, engine.methods)
    assert [fast[" | ".join(m)] for m in engine.methods] == pytest.approx(slow, rel=1e-9)
    assert engine.scores()[0] == pytest.approx(slow, rel=1e-9)


def test_each_draw_equals_a_solve_of_bw2calcs_drawn_matrices(linked):
    """bw2calc draws technosphere and biosphere; the engine is given the same sampled values and
    must give the FU score of a direct solve of those matrices."""
    study, engine = linked
    model = engine.background_model()
    assert len(model.tech) > 0 and len(model.bio) > 0
    for seed in (3, 4):
        _, lca = _fresh_scores(study, engine.methods[:1], use_distributions=True, seed=seed,
                               demand=engine.system.lca.demand)
        values = []
        for mm, mask in ((lca.technosphere_mm, model.t_mask), (lca.biosphere_mm, model.b_mask)):
            entries = sampling.matrix_entries(mm)  # data_current: this draw's values, flipped
            values.append((entries.values / entries.factor)[mask])
        h = model.scores(np.concatenate(values)[None, :])
        fast = engine.scores(background=BackgroundDraw(model.gateway_ids, h, seed, tuple(engine.methods)))[0]
        supply = spla.spsolve(lca.technosphere_matrix.tocsc(), lca.demand_array)
        inventory = lca.biosphere_matrix @ supply
        for m, method in enumerate(engine.methods):
            lca.switch_method(method)
            expected = float(lca.characterization_matrix.diagonal() @ inventory)
            assert fast[m] == pytest.approx(expected, rel=1e-9, abs=1e-300), method


def test_memory_sized_batches_change_nothing(linked, monkeypatch):
    _, engine = linked
    model = engine.background_model()
    values = model.draw(40, seed=1)
    whole = model.scores(values)
    monkeypatch.setattr(sampling, "MEMORY_BYTES", 1)
    assert model.batch_size() == 1
    assert model.scores(values) == pytest.approx(whole, rel=1e-10)


def test_monte_carlo_with_technosphere_uncertainty_spreads_and_is_seeded(linked):
    _, engine = linked
    first = monte_carlo(engine, 400, seed=2, progress=False)
    again = monte_carlo(engine, 400, seed=2, progress=False)
    assert np.array_equal(first.samples, again.samples)
    gwp = first.samples[:, 1]
    assert gwp.std() > 0 and np.all(np.isfinite(first.samples))


def test_local_dask_cluster_gives_the_same_draws(linked):
    pytest.importorskip("distributed")
    _, engine = linked
    here = engine.draw_background(300, seed=5)
    there = engine.draw_background(300, seed=5, dask=True)
    assert there.scores == pytest.approx(here.scores, rel=1e-10)


def test_a_foreground_without_gateways_draws_nothing(linked):
    _, engine = linked
    model = engine.background_model(gateways=[])
    assert model.sample_scores(5, seed=0).shape == (5, len(engine.methods), 0)
