"""A study becomes a foreground whose exchange amounts carry the amortization.

Every expectation is a hand calculation in the test. Brightway stores exchange amounts at
float32 precision (bw_processing), so each stored amount is rounded with ``f32`` before the
float64 hand arithmetic; the comparison with bw2calc is then within 1e-9 relative.
"""

from __future__ import annotations

import bw2data as bd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bw_mllca import Study, build, calculate
from bw_mllca.impact.methods import TRACI_GWP100
from bw_mllca.impact.calculate import WATER_METHOD, method_label
from conftest import f32
from studies import CO2_G_PER_KG, HOURS_PER_YEAR, catalog_study, merge, minimal_study

GWP = method_label(TRACI_GWP100)
WATER = method_label(WATER_METHOD)


def _frame(data: dict, methods=(TRACI_GWP100,)):
    study = Study.from_dict(data)
    build(study)
    return calculate(study, methods=list(methods))


def _score(frame, view="attributional", method=GWP, stage=None, component=None) -> float:
    part = frame[(frame["view"] == view) & (frame["method"] == method)]
    if stage is not None:
        part = part[part["stage"] == stage]
    if component is not None:
        part = part[part["component"] == component]
    return float(part["score"].sum())


# -- the worked examples of the JSC / ASC / EPC metrics (AI sustainability metrics framework) --

def _job_study(name: str, **changes) -> dict:
    """One 5-minute job using 1 kJ on a 80 % coal / 20 % solar grid, overhead 8 % (PUE 1.08)."""
    grid = 0.8 * 0.820 + 0.2 * 0.048  # kg CO2e per kWh
    base = {
        "study": {"name": name},
        "goal": {"functional_unit": {"description": "one job", "queries": 1}},
        "hardware": {"system": {"accelerator_embodied": {"co2e_kg": 10.0}, "lifespan_years": 3,
                                "utilization": 1.0, "power_w": 0}},
        "datacenters": {"dc": {"grid_kgco2e_per_kwh": grid, "pue": 1.08}},
        "model": {"name": "job model"},
        "stages": [{"name": "job", "kind": "evaluation", "hardware": "system", "datacenter": "dc",
                    "accelerator_hours": 5 / 60, "energy_kwh": 1 / 3600}],
        "use": {"hardware": "system", "datacenter": "dc", "seconds_per_batch": 1.0, "energy_kwh_per_batch": 0,
                "lifetime_queries": 1},
    }
    return merge(base, changes)


def test_jsc_asc_and_platform_tax_worked_examples(project):
    frame = _frame(_job_study("seed JSC", platforms={"shared": {"co2e_kg_per_minute": 0.050, "concurrent_jobs": 10}},
                              stages=[{"name": "job", "kind": "evaluation", "hardware": "system", "datacenter": "dc",
                                       "accelerator_hours": 5 / 60, "energy_kwh": 1 / 3600,
                                       "platform": "shared", "duration_hours": 5 / 60}]))
    jsc_g = _score(frame, stage="job", component="electricity") * CO2_G_PER_KG
    embodied_g = _score(frame, stage="job", component="embodied accelerator") * CO2_G_PER_KG
    platform_g = _score(frame, stage="job", component="platform overhead") * CO2_G_PER_KG

    # JSC: 1 kJ x (1 + 0.08 overhead) x (0.8 x 820 + 0.2 x 48) g/kWh
    assert jsc_g == pytest.approx(f32(1 / 3600) * f32(1.08) * f32(0.8 * 0.820 + 0.2 * 0.048) * 1000, rel=1e-9)
    assert round(jsc_g, 4) == 0.1997  # the paper's figure
    # Embodied tax: 10,000 g x 5 min / (3 years x 1 job)
    assert embodied_g == pytest.approx(f32(5 / 60) * f32(1 / (3 * HOURS_PER_YEAR)) * f32(10.0) * 1000, rel=1e-9)
    assert round(jsc_g + embodied_g, 4) == 0.2314  # ASC, the paper's figure
    # Platform tax: 50 g/min / 10 jobs x 5 min
    assert platform_g == pytest.approx(f32(5 / 10) * f32(0.050) * 1000, rel=1e-9)
    assert round(platform_g, 6) == 25.0


def test_epc_chain_teacher_student_and_dataset(project):
    """EPC(student) = ASC(training) + w1 EPC(teacher) + w2 EPC(data set), amortized per FU."""
    grid, pue = 0.4, 1.1
    e_student, e_teacher, e_data = 2_000.0, 50_000.0, 800.0
    w1, w2 = 0.3, 0.25
    queries, lifetime = 1000, 2e8
    data = minimal_study(
        "seed EPC",
        datacenters={"dc": {"grid_kgco2e_per_kwh": grid, "pue": pue, "wue_l_per_kwh": 0.0, "grid_water_l_per_kwh": 0.0}},
        model={"name": "student", "teacher": "teacher", "teacher_weight": w1, "datasets": {"corpus": w2}},
        models=[{"name": "teacher"}],
        datasets=[{"name": "corpus"}],
        stages=[
            {"name": "student training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 0, "energy_kwh": e_student},
            {"name": "teacher training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc", "model": "teacher", "accelerator_hours": 0, "energy_kwh": e_teacher},
            {"name": "corpus cleaning", "kind": "data preparation", "hardware": "gpu", "datacenter": "dc", "dataset": "corpus", "accelerator_hours": 0, "energy_kwh": e_data},
        ],
        use={"lifetime_queries": lifetime},
    )
    frame = _frame(data)
    share = f32(queries / lifetime)

    def per_kwh(energy):
        return f32(energy) * f32(pue) * f32(grid)

    assert _score(frame, stage="student training") == pytest.approx(share * per_kwh(e_student), rel=1e-9)
    assert _score(frame, stage="teacher training") == pytest.approx(share * f32(w1) * per_kwh(e_teacher), rel=1e-9)
    assert _score(frame, stage="corpus cleaning") == pytest.approx(share * f32(w2) * per_kwh(e_data), rel=1e-9)


# -- eq. 1 as a property ----------------------------------------------------------------------------

@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lifespan=st.floats(0.5, 10), utilization=st.floats(0.05, 1), embodied=st.floats(10, 2000),
    grid=st.floats(0.01, 0.9), pue=st.floats(1.0, 2.0), train_kwh=st.floats(1, 1e6), train_hours=st.floats(1, 1e6),
    batch=st.integers(1, 64), seconds=st.floats(0.05, 30), batch_kwh=st.floats(1e-6, 0.1),
    lifetime=st.floats(1e5, 1e12), accelerators=st.integers(1, 8),
)
def test_eq1_fu_score_equals_hand_formula(project, lifespan, utilization, embodied, grid, pue, train_kwh,
                                         train_hours, batch, seconds, batch_kwh, lifetime, accelerators):
    queries = 1000
    data = minimal_study(
        "eq1 property",
        hardware={"gpu": {"accelerator_embodied": {"co2e_kg": embodied}, "lifespan_years": lifespan,
                          "utilization": utilization}},
        datacenters={"dc": {"grid_kgco2e_per_kwh": grid, "pue": pue, "wue_l_per_kwh": 0.0, "grid_water_l_per_kwh": 0.0}},
        stages=[{"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc",
                 "accelerator_hours": train_hours, "energy_kwh": train_kwh}],
        use={"batch_size": batch, "seconds_per_batch": seconds, "energy_kwh_per_batch": batch_kwh,
             "lifetime_queries": lifetime, "accelerators": accelerators},
    )
    frame = _frame(data)
    share = f32(1 / (lifespan * HOURS_PER_YEAR * utilization))  # accelerator manufacture per accelerator-hour
    per_kwh = f32(pue) * f32(grid)
    inference = f32(queries / batch) * (f32(seconds / 3600 * accelerators) * share * f32(embodied) + f32(batch_kwh) * per_kwh)
    development = f32(queries / lifetime) * (f32(train_hours) * share * f32(embodied) + f32(train_kwh) * per_kwh)
    assert _score(frame) == pytest.approx(inference + development, rel=1e-9)


# -- properties of the product system ---------------------------------------------------------------

def test_doubling_pretraining_energy_doubles_its_contribution_only(project):
    base = minimal_study("linearity", stages=[
        {"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 10_000, "energy_kwh": 3_000},
        {"name": "sft", "kind": "post-training", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 500, "energy_kwh": 200},
    ])
    once = _frame(base)
    base["stages"][0]["energy_kwh"] = 6_000
    twice = _frame(base)
    key = ["view", "method", "stage", "component"]
    a = once.set_index(key)["score"]
    b = twice.set_index(key)["score"]
    changed = [("attributional", GWP, "pre-training", "electricity"),
               ("attributional", "inventory | electricity at the meter", "pre-training", "electricity")]
    for row in changed:
        assert b[row] == pytest.approx(2 * a[row], rel=1e-12)  # doubling is exact in float32 too
    assert b.drop(changed).to_dict() == pytest.approx(a.drop(changed).to_dict(), rel=1e-12)


def test_distilled_student_carries_teacher_side_workloads(project):
    teacher_side = [
        {"name": "synthetic data", "kind": "distillation: synthetic data generation", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 2_000, "energy_kwh": 900},
        {"name": "logit caching", "kind": "distillation: logit caching", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 800, "energy_kwh": 400},
        {"name": "teacher eval", "kind": "distillation: teacher evaluation", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 100, "energy_kwh": 40},
    ]
    student = {"name": "student training", "kind": "distillation: student training", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 3_000, "energy_kwh": 1_200}
    full = _frame(minimal_study("distilled", stages=[*teacher_side, student]), methods=(TRACI_GWP100, WATER_METHOD))
    bare = _frame(minimal_study("distilled", stages=[student]), methods=(TRACI_GWP100, WATER_METHOD))
    for method in (GWP, WATER):
        teacher_part = sum(_score(full, method=method, stage=s["name"]) for s in teacher_side)
        assert teacher_part > 0
        assert _score(full, method=method) - _score(bare, method=method) == pytest.approx(teacher_part, rel=1e-9)


def test_water_onsite_and_offsite_apply_pue_once(project):
    energy, pue, wue, grid_water = 1_000.0, 1.4, 1.8, 3.0
    data = minimal_study("water", datacenters={"dc": {"grid_kgco2e_per_kwh": 0.3, "grid_water_l_per_kwh": grid_water, "pue": pue, "wue_l_per_kwh": wue}},
                         stages=[{"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 0, "energy_kwh": energy}],
                         use={"lifetime_queries": 1000})
    frame = _frame(data, methods=(WATER_METHOD,))
    onsite = _score(frame, method=WATER, stage="pre-training", component="on-site water")
    offsite = _score(frame, method=WATER, stage="pre-training", component="electricity")
    assert onsite == pytest.approx(f32(energy) * f32(wue / 1000), rel=1e-9)  # IT energy x WUE
    assert offsite == pytest.approx(f32(energy) * f32(pue) * f32(grid_water / 1000), rel=1e-9)  # IT x PUE x L/kWh
    kwh = _score(frame, method="inventory | electricity at the meter", stage="pre-training")
    assert kwh == pytest.approx(f32(energy) * f32(pue), rel=1e-9)


def test_embodied_share_per_query_divides_by_batch_concurrency(project):
    def inference_embodied(batch):
        frame = _frame(minimal_study("concurrency", use={"batch_size": batch, "seconds_per_batch": 3.0}))
        return _score(frame, stage="inference", component="embodied accelerator")

    one, thirty_two = inference_embodied(1), inference_embodied(32)
    share = f32(1 / (4 * HOURS_PER_YEAR * 0.5))
    assert one == pytest.approx(f32(1000 / 1) * f32(3 / 3600) * share * f32(150.0), rel=1e-9)
    assert thirty_two == pytest.approx(f32(1000 / 32) * f32(3 / 3600) * share * f32(150.0), rel=1e-9)


def test_eight_accelerator_nodes_scale_energy_and_embodied_by_eight(project):
    def stage_parts(count):
        data = catalog_study("node size", hardware={"node": {"accelerators_per_node": count}})
        frame = _frame(data)
        return {c: _score(frame, stage="pre-training", component=c) for c in ("electricity", "embodied accelerator", "embodied host server", "end of life")}

    one, eight = stage_parts(1), stage_parts(8)
    for component in one:
        assert one[component] > 0
        assert eight[component] == pytest.approx(8 * one[component], rel=1e-6)


def test_two_views_are_labelled_and_differ_by_development_only(project):
    data = minimal_study("views", stages=[
        {"name": "pre-training", "kind": "pre-training", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 10_000, "energy_kwh": 3_000},
        {"name": "refresh", "kind": "re-training", "hardware": "gpu", "datacenter": "dc", "accelerator_hours": 100, "energy_kwh": 50, "count": 4},
    ])
    frame = _frame(data)
    consumer, attributional = _score(frame, "consumer"), _score(frame, "attributional")
    development = _score(frame, stage="pre-training") + _score(frame, stage="refresh")
    assert set(frame[frame["view"] == "consumer"]["stage"]) == {"inference"}
    assert attributional - consumer == pytest.approx(development, rel=1e-9)
    # Re-training: 4 runs over the deployment, split over lifetime queries.
    assert _score(frame, stage="refresh", component="electricity") == pytest.approx(
        f32(4 * 1000 / 1e7) * f32(50) * f32(1.25) * f32(0.3), rel=1e-9)
    database = bd.Database(Study.from_dict(data).database_name)
    names = {a["name"] for a in database if a.get("mllca_role") == "functional unit"}
    assert any("(attributional view)" in n for n in names) and any("(consumer view)" in n for n in names)


def test_rebuild_is_idempotent_with_stable_codes_and_goal_on_metadata(project):
    data = catalog_study("rebuild", goal={"functional_unit": {"constraints": [{"metric": "MMLU", "operator": ">=", "value": 0.6}]}},
                         scope={"excluded": [{"stage": "data preparation", "reason": "no public figure"}]})
    name = build(Study.from_dict(data))
    first = {a["code"]: (a["name"], sorted((e["input"], e["amount"]) for e in a.exchanges())) for a in bd.Database(name)}
    stamp = bd.databases[name]["modified"]
    build(Study.from_dict(data))
    assert bd.databases[name]["modified"] == stamp  # nothing written
    changed = merge(data, {"use": {"power_w": 510}})
    build(Study.from_dict(changed))
    second = {a["code"]: (a["name"], sorted((e["input"], e["amount"]) for e in a.exchanges())) for a in bd.Database(name)}
    assert set(second) == set(first) and second != first
    build(Study.from_dict(data))
    assert {a["code"]: (a["name"], sorted((e["input"], e["amount"]) for e in a.exchanges())) for a in bd.Database(name)} == first
    meta = bd.databases[name]
    assert meta["mllca_goal"]["performance_constraints"] == ["MMLU >= 0.6"]
    assert meta["mllca_scope"]["stages_excluded"] == {"data preparation": "no public figure"}
    assert meta["mllca_scope"]["approach"] == "attributional"
    assert meta["mllca_data_sources"]
    for activity in bd.Database(name):
        assert activity["name"] and activity["unit"] and activity["location"]


def test_stage_contributions_sum_to_the_fu_score(project):
    import bw2calc as bc

    data = catalog_study("sum check")
    study = Study.from_dict(data)
    build(study)
    frame = calculate(study, methods=[TRACI_GWP100])
    fu = next(a for a in bd.Database(study.database_name) if a.get("mllca_view") == "attributional")
    lca = bc.LCA({fu: 1}, TRACI_GWP100)
    lca.lci()
    lca.lcia()
    assert _score(frame) == pytest.approx(lca.score, rel=1e-9)
