"""Property-based validation: thousands of generated studies, valid and invalid.

- ``test_validation_never_crashes``: 2,500 studies (a valid study, then 0-3 random mutations of any
  field: odd types, NaN/inf, huge or negative numbers, formula-like and unicode names, deleted or
  unknown keys). Study.from_dict either returns a Study or raises StudyError, nothing else.
- ``test_valid_studies_build_and_invalid_ones_write_nothing``: a smaller number is written to a
  study file and given to ``build``; a valid one builds a database whose amounts are finite and
  whose LCA score is finite; an invalid one raises StudyError and leaves ``bd.databases`` as it was.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bw_mllca import Study, StudyError
from bw_mllca.scope.study import DEVELOPMENT_KINDS

VALIDATION_EXAMPLES = 2_500
BUILD_EXAMPLES = 25
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                     HealthCheck.function_scoped_fixture])

simple_names = st.sampled_from(["gpu", "node", "dc", "quebec", "A100 box", "h-100", "训练", "=cmd", "@x", "+1", "-a", "Ünïcödé"])
free_names = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=10)
names = st.one_of(simple_names, simple_names, free_names)
shares = st.floats(min_value=0.05, max_value=1.0)


@st.composite
def hardware_specs(draw) -> dict:
    if draw(st.booleans()):
        spec: dict[str, Any] = {"accelerator": draw(st.sampled_from(["H100-SXM5-80GB", "A100-SXM4-80GB", "H200-SXM-141GB"])),
                                "accelerators_per_node": draw(st.integers(1, 8)), "utilization": draw(shares)}
        if draw(st.booleans()):
            spec["server"] = "HGX-host-server"
        if draw(st.booleans()):
            spec["lifespan_years"] = draw(st.floats(1, 8))
    else:
        spec = {"accelerator_embodied": {"co2e_kg": draw(st.floats(0, 1e4)), "source": draw(names)},
                "lifespan_years": draw(st.floats(0.5, 8)), "utilization": draw(shares),
                "power_w": draw(st.floats(0, 1500))}
    return spec


@st.composite
def datacenter_specs(draw) -> dict:
    if draw(st.booleans()):
        spec: dict[str, Any] = {"region": draw(st.sampled_from(["SRVC", "FR", "DE", "CA-QC", "US", "SE"]))}
        if draw(st.booleans()):
            spec["profile"] = draw(st.sampled_from(["us-average", "nordic", "hyperscale-google-like"]))
        else:
            spec["pue"] = draw(st.floats(1.0, 1.9))
    else:
        spec = {"grid_kgco2e_per_kwh": draw(st.floats(0.02, 0.6)), "pue": draw(st.floats(1.0, 1.9)),
                "wue_l_per_kwh": draw(st.floats(0, 3))}
    return spec


@st.composite
def valid_studies(draw, name: str = "prop") -> dict:
    hardware = draw(st.dictionaries(names, hardware_specs(), min_size=1, max_size=3))
    datacenters = draw(st.dictionaries(names, datacenter_specs(), min_size=1, max_size=2))
    hw_names, dc_names = sorted(hardware), sorted(datacenters)
    fu_queries = draw(st.floats(1, 1000))
    stages = []
    for index in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from([k.value for k in DEVELOPMENT_KINDS] + ["re-training"]))
        stage: dict[str, Any] = {"name": f"stage {index} {draw(names)}", "kind": kind,
                                 "hardware": draw(st.sampled_from(hw_names)), "datacenter": draw(st.sampled_from(dc_names))}
        if draw(st.booleans()):
            stage["accelerator_hours"] = draw(st.floats(0, 1e6))
        else:
            stage["node_hours"] = draw(st.floats(0, 1e5))
        if draw(st.booleans()):
            stage["energy_kwh"] = draw(st.floats(0, 1e6))
        elif draw(st.booleans()):
            stage["power_w"] = draw(st.floats(50, 1000))
        if kind == "re-training":
            stage["count"] = draw(st.floats(0.5, 50))
        stages.append(stage)
    use: dict[str, Any] = {"hardware": draw(st.sampled_from(hw_names)), "datacenter": draw(st.sampled_from(dc_names)),
                           "batch_size": draw(st.floats(1, 64)), "accelerators": draw(st.integers(1, 8)),
                           "lifetime_queries": draw(st.floats(1e4, 1e10))}
    if draw(st.booleans()):
        use["seconds_per_batch"] = draw(st.floats(0.01, 10))
    else:
        use["throughput_queries_per_s"] = draw(st.floats(0.1, 500))
    if draw(st.booleans()):
        use["energy_kwh_per_batch"] = draw(st.floats(0, 0.01))
    else:
        use["power_w"] = draw(st.floats(50, 1000))
    if draw(st.booleans()):
        use["idle_share"] = draw(st.floats(0, 0.9))
        use["idle_power_w"] = draw(st.floats(0, 300))
    model: dict[str, Any] = {"name": "m"}
    models = []
    if draw(st.booleans()):
        model.update(teacher="teacher", teacher_weight=draw(st.floats(0, 1)))
        models.append({"name": "teacher"})
    return {
        "study": {"name": name},
        "goal": {"functional_unit": {"description": draw(names), "queries": fu_queries}},
        "hardware": hardware,
        "datacenters": datacenters,
        "model": model,
        "models": models,
        "stages": stages,
        "use": use,
    }


ODD_VALUES = st.sampled_from([
    None, -1, 0, -0.0, 0.9, 85, 700_000, 1e308, -1e308, 10**400, float("nan"), float("inf"), float("-inf"),
    True, "", "bell\x07", "nul\x00", "=1+1", "+cmd|' /C calc'!A0", "训练", "x" * 300, [], [1, "a"], {}, {"x": 1}, 1e-320, "1e7",
    "H100", "SRV", "teacher", "m", "gpu", "dc", "re-training", {"name": "m", "teacher": "m"},
])


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside nested dicts and lists (the root excluded)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append(prefix + (key,))
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append(prefix + (index,))
            found += _paths(item, prefix + (index,))
    return found


@st.composite
def mutated_studies(draw) -> tuple[dict, int]:
    data = draw(valid_studies())
    mutations = draw(st.integers(0, 3))
    for _ in range(mutations):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "replace", "delete", "extra"]))
        if action == "replace":
            parent[path[-1]] = copy.deepcopy(draw(ODD_VALUES))  # a copy: a shared value mutated later would loop
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["power_kw", "pue ", "unknown", 7]))] = copy.deepcopy(draw(ODD_VALUES))
    return data, mutations


def test_validation_never_crashes():
    counts: Counter = Counter()

    @settings(max_examples=VALIDATION_EXAMPLES, **SETTINGS)
    @given(mutated_studies())
    def check(case):
        data, mutations = case
        counts["cases"] += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                study = Study.from_dict(data)
            except StudyError as error:
                counts["invalid"] += 1
                assert error.problems
                for path, _, message in error.problems:
                    assert isinstance(path, str) and path and isinstance(message, str) and message
                assert len(str(error)) < 50_000
                return
        counts["valid"] += 1
        counts["valid after mutation"] += mutations > 0
        assert study.database_name.startswith("mllca study: ")
        assert math.isfinite(study.use.total_queries)

    check()
    print(f"\nvalidation cases: {dict(counts)}")
    assert counts["cases"] >= 2_000
    assert counts["valid"] >= 500 and counts["invalid"] >= 500, counts


def _write_study_file(folder, index: int, data: dict):
    """The study as a TOML file (YAML where TOML cannot hold it, e.g. a None); None if neither can."""
    try:
        import tomli_w

        path = folder / f"study-{index}.toml"
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        return path
    except (ImportError, TypeError, ValueError):
        pass
    try:
        import yaml

        path = folder / f"study-{index}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path
    except (ImportError, yaml.YAMLError, TypeError, ValueError):
        return None


def _database_state() -> dict:
    import bw2data as bd

    return {name: dict(bd.databases[name]) for name in bd.databases}


def test_valid_studies_build_and_invalid_ones_write_nothing(project, tmp_path):
    import bw2calc as bc
    import bw2data as bd

    from bw_mllca import build
    from bw_mllca.impact.methods import TRACI_GWP100
    from bw_mllca.inventory.foreground import FU_ATTRIBUTIONAL

    counts: Counter = Counter()

    valid = valid_studies(name="prop build").map(lambda d: (d, 0))

    # Derandomized: the same 25 cases on every run, so the closing count is a fixed expectation.
    @settings(max_examples=BUILD_EXAMPLES, derandomize=True, **SETTINGS)
    @given(st.one_of(valid, valid, mutated_studies()))
    def check(case):
        data, _ = case
        data = {**data, "study": {"name": "prop build"}} if isinstance(data.get("study"), dict) else data
        index = counts["cases"]
        counts["cases"] += 1
        path = _write_study_file(tmp_path, index, data)
        before = _database_state()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                name = build(path) if path is not None else build(Study.from_dict(data))
            except StudyError:
                counts["invalid"] += 1
                assert _database_state() == before
                return
        counts["built"] += 1
        try:
            assert name.startswith("mllca study: ")
            assert set(_database_state()) - set(before) <= {name}
            for activity in bd.Database(name):
                for exchange in activity.exchanges():
                    assert math.isfinite(exchange["amount"]) and exchange["amount"] >= 0
            lca = bc.LCA({bd.get_node(database=name, code=FU_ATTRIBUTIONAL): 1}, TRACI_GWP100)
            lca.lci()
            lca.lcia()
            assert math.isfinite(lca.score) and lca.score >= 0
        finally:
            del bd.databases[name]

    check()
    print(f"\nbuild cases: {dict(counts)}")
    assert counts["built"] >= 5 and counts["invalid"] >= 3, counts
