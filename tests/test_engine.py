"""The fast linear engine against bw2calc: exact at random parameter points, statistically equal in
Monte Carlo, and against hand calculations (float32 amounts, as Brightway stores them)."""

from __future__ import annotations

from pathlib import Path

import bw2calc as bc
import bw2data as bd
import numpy as np
import pytest
from scipy import stats

from bw_mllca import Study, build
from bw_mllca.errors import StudyError
from bw_mllca.impact.engine import LinearEngine, Parameter, study_dict, study_with
from bw_mllca.impact.methods import TRACI, TRACI_GWP100
from bw_mllca.interpretation import parameters as P
from bw_mllca.interpretation.uncertainty import monte_carlo, uniform
from conftest import SETUP_PROJECT, f32
from studies import HOURS_PER_YEAR, minimal_study

OLMO = Path(__file__).resolve().parents[1] / "examples" / "olmo2-7b.toml"
PARAMETERS = [P.lifetime_queries(), P.lifespan_years(), P.utilization(), P.pue(), P.wue(), P.grid_region(),
              P.batch_size(), P.training_energy_factor(), P.idle_share(), P.idle_power_w()]


@pytest.fixture(scope="module")
def olmo(setup_report):
    bd.projects.set_current(SETUP_PROJECT)
    study = Study.from_file(OLMO)
    return study, LinearEngine(study), LinearEngine(study, view="consumer")


def _bw2calc_scores(study: Study, methods, view: str = "attributional", database: str = "mllca study: engine check") -> np.ndarray:
    """Rebuild ``study`` under another database name and solve it with a fresh bw2calc LCA."""
    data = study_dict(study)
    data["study"]["database"] = database
    build(Study.from_dict(data, base_dir=study.base_dir))
    fu = bd.get_node(database=database, code=f"fu:{view}")
    lca = bc.LCA({fu.id: 1.0}, methods[0])
    lca.lci()
    scores = []
    for i, method in enumerate(methods):
        if i:
            lca.switch_method(method)
        lca.lcia()
        scores.append(lca.score)
    return np.array(scores)


def _random_point(rng: np.random.Generator) -> dict:
    return {
        PARAMETERS[0]: 10 ** rng.uniform(8, 12), PARAMETERS[1]: rng.uniform(1, 10), PARAMETERS[2]: rng.uniform(0.05, 1),
        PARAMETERS[3]: rng.uniform(1.0, 2.0), PARAMETERS[4]: rng.uniform(0, 3), PARAMETERS[5]: str(rng.choice(["SRVC", "CAMX", "FR", "SE", "ERCT"])),
        PARAMETERS[6]: rng.uniform(1, 10_000), PARAMETERS[7]: rng.uniform(0.2, 3),
        PARAMETERS[8]: rng.uniform(0, 0.9), PARAMETERS[9]: rng.uniform(0, 700),
    }


def test_engine_equals_fresh_bw2calc_solve_at_random_points(olmo):
    study, engine, consumer = olmo
    rng = np.random.default_rng(20240501)
    for i in range(6):
        point = _random_point(rng)
        view_engine = consumer if i == 5 else engine
        fast = view_engine.scores({p: [v] for p, v in point.items()})[0]
        slow = _bw2calc_scores(study_with(study, point), view_engine.methods, view_engine.view)
        assert fast == pytest.approx(slow, rel=1e-9, abs=1e-300), point


def test_engine_at_the_base_equals_bw2calc_and_vectorizes(olmo):
    study, engine, _ = olmo
    base = engine.scores()[0]
    assert base == pytest.approx(_bw2calc_scores(study, engine.methods), rel=1e-9)
    # a vector of points equals the points one by one
    pue = np.array([1.05, 1.2, 1.7])
    together = engine.scores({PARAMETERS[3]: pue})
    for row, value in zip(together, pue):
        assert row == pytest.approx(engine.scores({PARAMETERS[3]: [value]})[0], rel=1e-12)


def test_lifetime_sweep_equals_hand_formula(project):
    """FU score(L) = inference + (q / L) x development, with every stored amount in float32."""
    lifespan, utilization, embodied, grid, pue = 4.0, 0.5, 150.0, 0.3, 1.25
    study = Study.from_dict(minimal_study("engine sweep", datacenters={"dc": {"grid_water_l_per_kwh": 0.0, "wue_l_per_kwh": 0.0}}))
    engine = LinearEngine(study, methods=[TRACI_GWP100])
    lifetimes = np.array([1e5, 3.3e7, 1e10, 7.7e12])
    fast = engine.scores({P.lifetime_queries(): lifetimes})[:, 0]
    share = f32(1 / (lifespan * HOURS_PER_YEAR * utilization))
    per_kwh = f32(pue) * f32(grid)
    inference = f32(1000 / 8) * (f32(2.0 / 3600) * share * f32(embodied) + f32(0.0005) * per_kwh)
    development = f32(10_000) * share * f32(embodied) + f32(3_000) * per_kwh
    hand = [inference + f32(1000 / lifetime) * development for lifetime in lifetimes]
    assert fast == pytest.approx(hand, rel=1e-9)


def _iqr(values: np.ndarray) -> float:
    low, high = np.percentile(values, [25, 75])
    return float(high - low)


def test_monte_carlo_matches_bw2calc_use_distributions(olmo):
    """Same distributions, different random streams: mean and spread agree statistically.

    bw2calc: 400 iterations (seed 11); engine: 20,000 (seed 5). Tolerance: means within 4 standard
    errors of bw2calc's mean, interquartile ranges within 15 %, and a two-sample Kolmogorov-Smirnov
    test not rejecting at 0.1 %. The spread is compared by its interquartile range, not its standard
    deviation: water's draws are heavy-tailed (hydro reservoir evaporation, a wide lognormal), and a
    400-sample sd of them moves by a factor 0.8-1.6 from one seed to the next.
    """
    study, engine, _ = olmo
    methods = [TRACI_GWP100, TRACI[0], ("bw_mllca", "water", "consumptive water use")]
    fast = LinearEngine(study, methods=methods, system=None)
    draws = fast.scores(background=fast.draw_background(20_000, seed=5))
    fu = bd.get_node(database=study.database_name, code="fu:attributional")
    for m, method in enumerate(methods):
        lca = bc.LCA({fu.id: 1.0}, method, use_distributions=True, seed_override=11)
        lca.lci()
        lca.lcia()
        slow = [lca.score]
        for _ in range(399):
            next(lca)
            slow.append(lca.score)
        slow = np.array(slow)
        standard_error = slow.std(ddof=1) / np.sqrt(len(slow))
        assert abs(draws[:, m].mean() - slow.mean()) < 4 * standard_error, method
        assert _iqr(draws[:, m]) == pytest.approx(_iqr(slow), rel=0.15), method
        assert stats.ks_2samp(draws[:, m], slow).pvalue > 1e-3, method


def test_monte_carlo_is_seeded_and_linear_in_parameters(olmo):
    _, engine, _ = olmo
    first = monte_carlo(engine, 3_000, seed=42, progress=False)
    again = monte_carlo(engine, 3_000, seed=42, progress=True)
    other = monte_carlo(engine, 3_000, seed=43, progress=False)
    assert np.array_equal(first.samples, again.samples)
    assert not np.array_equal(first.samples, other.samples)
    # Only PUE varies (no background): the score is linear in PUE, so the mean score is the score
    # at the mean PUE (up to float32 rounding of the amounts).
    pue = P.pue()
    result = monte_carlo(engine, 5_000, seed=1, parameters={pue: uniform(1.1, 1.5)}, background=False)
    drawn = result.parameter_samples["PUE"]
    assert result.samples.mean(axis=0) == pytest.approx(engine.scores({pue: [drawn.mean()]})[0], rel=1e-6)
    summary = result.summary()
    assert (summary["p5"] <= summary["p50"]).all() and (summary["p50"] <= summary["p95"]).all()


def test_invalid_value_names_field_and_value(olmo):
    _, engine, _ = olmo
    with pytest.raises(StudyError) as error:
        engine.scores({P.utilization(): [0.5, 1.5]})
    assert "utilization" in str(error.value) and "1.5" in str(error.value)
    with pytest.raises(StudyError) as error:
        engine.scores({P.grid_region(): ["ERCT", "ATLANTIS"]})
    assert "region" in str(error.value) and "ATLANTIS" in str(error.value)


def test_idle_parameters_sweep_equal_fresh_bw2calc_solves(olmo):
    """idle_share enters as s / (1 - s) and idle power affinely (+ host power): not power laws. At
    s = 0 the builder drops the idle activity altogether; the engine must still agree."""
    study, engine, consumer = olmo
    shares = np.array([0.0, 0.05, 0.5, 0.9])
    fast = engine.scores({P.idle_share(): shares})
    for row, share in zip(fast, shares):
        slow = _bw2calc_scores(study_with(study, {P.idle_share(): share}), engine.methods)
        assert row == pytest.approx(slow, rel=1e-9, abs=1e-300), share
    powers = np.array([0.0, 333.0, 1_500.0])
    fast = consumer.scores({P.idle_power_w(): powers})
    for row, power in zip(fast, powers):
        slow = _bw2calc_scores(study_with(study, {P.idle_power_w(): power}), consumer.methods, "consumer")
        assert row == pytest.approx(slow, rel=1e-9, abs=1e-300), power
    # the same field through study_field, vectorized: equals the points one by one
    share = P.study_field("use.idle_share")
    together = engine.scores({share: shares})
    assert together == pytest.approx(np.vstack([engine.scores({share: [v]}) for v in shares]), rel=1e-12)


def test_field_no_law_fits_is_built_per_distinct_point(olmo):
    """A parameter whose amounts are neither a power law nor rational (PUE = 1 + x^2) is evaluated
    by building the foreground at each distinct value: still equal to bw2calc."""
    study, engine, _ = olmo

    def setter(data: dict, value, _study) -> None:
        for entry in data["datacenters"].values():
            entry["pue"] = 1.0 + float(value) ** 2

    squared = Parameter("sqrt(PUE - 1)", "", ("datacenters.*.pue",), setter,
                        lambda s: float(np.sqrt(next(iter(s.datacenters.values())).pue - 1.0)))
    xs = np.array([0.1, 0.8, 0.8, 0.3, 0.1])
    fast = engine.scores({squared: xs})
    assert any(level.tabulated for level in engine._levels.values())
    for row, x in zip(fast, xs):
        slow = _bw2calc_scores(study_with(study, {P.pue(): 1.0 + x**2}), engine.methods)
        assert row == pytest.approx(slow, rel=1e-9, abs=1e-300), x


def test_idle_share_outside_the_schema_names_field_and_value(olmo):
    _, engine, _ = olmo
    with pytest.raises(StudyError) as error:
        engine.scores({P.idle_share(): [0.2, 1.0]})
    assert "idle_share" in str(error.value) and "1.0" in str(error.value)


def test_tornado_and_monte_carlo_take_idle_parameters(olmo):
    from bw_mllca.interpretation.sensitivity import tornado

    study, engine, _ = olmo
    table = tornado(engine, {P.idle_share(): (0.0, 0.6)}, methods=engine.methods)
    first = table[table["method"] == table["method"].iloc[0]].iloc[0]
    for value, column in ((0.0, "low_score"), (0.6, "high_score")):
        slow = _bw2calc_scores(study_with(study, {P.idle_share(): value}), engine.methods)
        assert first[column] == pytest.approx(slow[0], rel=1e-9), value
    share, power = P.idle_share(), P.idle_power_w()
    result = monte_carlo(engine, 2_000, seed=3, parameters={share: uniform(0.0, 0.8), power: uniform(20, 400)},
                         background=False, progress=False)
    for i in (0, 1_999):
        point = {share: result.parameter_samples["idle share"][i], power: result.parameter_samples["idle power"][i]}
        slow = _bw2calc_scores(study_with(study, point), engine.methods)
        assert result.samples[i] == pytest.approx(slow, rel=1e-9), point
